// Key IDs made of words (`AKIANOTAREALKEYATALL`) are placeholders, reported as examples; a random
// key whose body holds a short word by chance is not.
import { describe, expect, it } from "vitest";
import { scanText } from "../../src/detect/index.js";
import { isExampleKeyId } from "../../src/detect/rules.js";
import { englishTrigrams } from "../../src/detect/trigrams.js";
import { makeKeyId } from "./helpers.js";

describe("word placeholders", () => {
  it("are examples when words cover most of the body", () => {
    for (const k of ["AKIANOTAREALKEYATALL", "AKIANOTREALKEYATALL1", "AKIATHISISNOTAREALID", "AKIAFAKEKEYFORTESTS1", "AKIADUMMYACCESSKEYID", "AKIAYOURKEYIDGOESHER", "AKIACHANGEMECHANGEME", "AKIAPUTYOURKEYIDHERE"]) {
      expect(isExampleKeyId(k), k).toBe(true);
      expect(scanText(`ACCESS_KEY=${k}\n`)[0]?.kind, k).toBe("example");
    }
  });

  it("include enum constants that read as a key (ASIA + PACIFICSOUTHEAST): never temporary keys", () => {
    for (const k of ["ASIAPACIFICSOUTHEAST", "ASIAPACIFICNORTHEAST", "ASIAPACIFICSOUTH1234", "ASIAPACIFICCUSTOMERS", "ASIANMARKETSDIVISION", "AKIAPREFIXVALIDATION", "AKIADEVELOPERACCOUNT", "ASIASERVICEPRINCIPAL"]) {
      const f = scanText(`enum Region { ${k}, EUROPE }\n`);
      expect(f.every((x) => x.kind === "example"), k).toBe(true);
    }
  });

  it("are not seen in random keys that hold a short word", () => {
    for (const k of ["AKIAR2776NOTWXZVAIOM", "AKIAS24CNKEYRV5EJDAT", "AKIA4NPOJFSHALLEFLJ3", "AKIAZWJ47D7NFK3C3PJN"]) expect(isExampleKeyId(k), k).toBe(false);
    // Random base32 bodies: words never cover most of one.
    const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let x = 99;
    for (let i = 0; i < 20000; i++) {
      let body = "";
      for (let j = 0; j < 16; j++) body += B32[(x = (x * 1103515245 + 12345) >>> 0) >>> 27]!;
      expect(isExampleKeyId(`AKIA${body}`) && !/EXAMPLE|SAMPLE|FAKE|DUMMY|TEST|XXXX/.test(body), body).toBe(false);
    }
    // Bodies of letters only (1 key in 28): words' trigrams never make up most of one.
    const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (let i = 0; i < 20000; i++) {
      let body = "";
      for (let j = 0; j < 16; j++) body += LETTERS[((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % 26]!;
      expect(englishTrigrams(body), body).toBeLessThan(11);
    }
    expect(isExampleKeyId(makeKeyId("AKIA", 123456789012n))).toBe(false);
  });
});
