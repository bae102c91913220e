import { describe, expect, it } from "vitest";
import { accountFromKeyId, redactKeyId, scanBytes, scanPatch, scanText } from "../../src/detect/index.js";
import { KEY, SECRET, makeKeyId, makeSecret } from "./helpers.js";

describe("redactKeyId", () => {
  it("keeps the first and last 4 characters", () => {
    expect(redactKeyId("AKIAQYLPMN5HHHFPWXYZ")).toBe("AKIA…WXYZ");
  });
});

describe("accountFromKeyId", () => {
  it("decodes a known current-format key ID", () => {
    // Aidan Steele's example: ASIAY34FZKBOKMUTVV7A belongs to account 609629065308
    expect(accountFromKeyId("ASIAY34FZKBOKMUTVV7A")).toBe("609629065308");
  });
  it("gives no account for pre-2016 style IDs (bit 47 clear, first char A-P)", () => {
    // z = account << 7 with no high bit: account 600000000000 >> 36 = 8 → first char 'I'
    const z = 600000000000n << 7n;
    const v = (z << 32n) | 0x12345678n;
    let id = "AKIA";
    for (let i = 0; i < 16; i++) id += "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[Number((v >> BigInt(75 - 5 * i)) & 31n)];
    expect(id[4]).toBe("I");
    expect(accountFromKeyId(id)).toBeUndefined();
    expect(accountFromKeyId(`AKIA${"Q"}${id.slice(5)}`)).toBeDefined();
  });
  it("round-trips the generator and zero-pads", () => {
    expect(accountFromKeyId(KEY)).toBe("123456789012");
    expect(accountFromKeyId(makeKeyId("AKIA", 42n))).toBe("000000000042");
  });
  it("is undefined for old-format and malformed IDs", () => {
    expect(accountFromKeyId("AKIAI0SFODNN7EXAMP1E")).toBeUndefined();
    expect(accountFromKeyId("AKIAJ8AB12CDEFGHIJKL")).toBeUndefined();
    expect(accountFromKeyId("AKIAQ0000000000000001")).toBeUndefined();
    expect(accountFromKeyId("AKIAQ18")).toBeUndefined();
  });
});

describe("scanText", () => {
  it("finds and pairs a key with its named secret", () => {
    const [f, ...rest] = scanText(`x\naws_access_key_id=${KEY}\naws_secret_access_key=${SECRET}\n`, { path: "a" });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ keyId: KEY, secret: SECRET, line: 2, column: 19, kind: "live-candidate", path: "a", accountHint: "123456789012", redacted: redactKeyId(KEY) });
    expect(f!.encoding).toBeUndefined();
  });

  it("classifies temporary and example keys", () => {
    const asia = makeKeyId("ASIA", 7n);
    expect(scanText(asia)[0]!.kind).toBe("temporary");
    expect(scanText("AKIAIOSFODNN7EXAMPLE")[0]!.kind).toBe("example");
    expect(scanText("AKIAXXXXXXXXXXXXXXXX")[0]!.kind).toBe("example");
    expect(scanText("AKIA0000000000000000")[0]!.kind).toBe("example");
    // Word placeholders people put in READMEs and templates.
    for (const k of ["AKIAMYACCESSKEYID123", "AKIAREPLACEWITHYOURS", "AKIAQWERTYUIOPASDFGH", "AKIAINSERTKEYIDHERE2"]) expect(scanText(`id=${k}`)[0]!.kind, k).toBe("example");
  });

  it("ignores IAM unique identifiers and glued runs", () => {
    for (const p of ["AIDA", "AROA", "AGPA", "ANPA", "AIPA", "ANVA", "APKA", "ASCA"]) expect(scanText(makeKeyId(p, 1n))).toEqual([]);
    expect(scanText(`x${KEY}`)).toEqual([]);
    expect(scanText(`${KEY}7`)).toEqual([]);
  });

  it("does not pair a git sha or a secret belonging to another key", () => {
    const other = makeKeyId("AKIA", 99n);
    const s2 = makeSecret(7);
    const text = `${KEY}\ncommit 3f786850e387550fdab836ed7e6dc881de23001b\n${other}\n${s2}\n`;
    const fs = scanText(text);
    expect(fs.find((f) => f.keyId === other)!.secret).toBe(s2);
    expect(fs.find((f) => f.keyId === KEY)!.secret).toBeUndefined();
  });

  it("decodes base64 twice (a Secret manifest inside base64 Helm values)", () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const manifest = `kind: Secret\ndata:\n  id: ${b64(KEY)}\n  secret: ${b64(SECRET)}\n`;
    const [f] = scanText(`values:\n  manifest: ${b64(manifest)}\n`);
    expect(f).toMatchObject({ keyId: KEY, secret: SECRET, line: 2, encoding: "base64+base64" });
  });

  it("sorts by line and column and deduplicates across codecs", () => {
    const text = `b=${makeKeyId("AKIA", 2n)} a=${KEY}\n"${KEY.slice(0, 8)}" + "${KEY.slice(8)}"\n`;
    const fs = scanText(text);
    expect(fs.map((f) => [f.line, f.column])).toEqual([[1, 3], [1, 26], [2, 2]]);
  });
});

describe("scanBytes", () => {
  it("reads UTF-8 with BOM, UTF-16 LE/BE with BOM and text inside binary", () => {
    const t = `\nid = ${KEY}\nsecret = ${SECRET}\n`;
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)]);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, "utf16le")]);
    const be = Buffer.from(le);
    be.swap16();
    const bin = Buffer.concat([Buffer.from([0, 1, 2, 255, 254, 10]), Buffer.from(t), Buffer.from([0, 200, 201])]);
    for (const b of [utf8, le, be]) expect(scanBytes(b)).toMatchObject([{ keyId: KEY, secret: SECRET, line: 2, column: 6 }]);
    expect(scanBytes(bin)).toMatchObject([{ keyId: KEY, secret: SECRET, line: 3, column: 6 }]);
  });
});

describe("scanPatch", () => {
  it("reports only added lines, with new-file line numbers, pairing through context", () => {
    const old = makeKeyId("AKIA", 5n);
    const patch = [
      "@@ -1,3 +1,3 @@",
      ` secret=${SECRET}`,
      `-id=${old}`,
      `+id=${KEY}`,
      " end",
      "@@ -40,2 +40,3 @@",
      " a",
      `+again ${KEY}`,
      "\\ No newline at end of file",
    ].join("\n");
    const fs = scanPatch(patch, { path: "f" });
    expect(fs.map((f) => [f.keyId, f.line, f.column, f.secret])).toEqual([
      [KEY, 2, 4, SECRET],
      [KEY, 41, 7, SECRET],
    ]);
  });
});

describe("scale", () => {
  it("pairs thousands of keys in one file, each with its own secret", () => {
    let t = "";
    for (let i = 0; i < 3000; i++) t += `id=${makeKeyId("AKIA", BigInt(100000000000 + i * 13), BigInt(i * 7))}\nsecret=${makeSecret(i + 1)}\n`;
    const fs = scanText(t);
    expect(fs).toHaveLength(3000);
    // One generated ID ends in AAAAAA, a placeholder: it keeps no real-looking secret.
    expect(fs.filter((f) => f.kind === "example").map((f) => f.secret)).toEqual([undefined]);
    expect(fs.every((f, i) => f.kind === "example" || f.secret === makeSecret(i + 1))).toBe(true);
  });
});
