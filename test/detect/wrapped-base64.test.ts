// Base64 as `base64` (76 columns), PEM-style tools (64) and mail wrap it: the line break can
// fall anywhere, inside the encoded key prefix too, and the key is still there.
import { describe, expect, it } from "vitest";
import { scanBytes, scanText } from "../../src/detect/index.js";
import { BASE64_NEEDLES } from "../../src/detect/codec/base64.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const wrap = (s: string, width: number, eol: string) => (s.match(new RegExp(`.{1,${width}}`, "g")) ?? []).join(eol);
const secret = makeSecret(23);

describe("base64 wrapped over lines", () => {
  it("is found wherever the break falls, for every prefix, with LF and CRLF, once or twice encoded", () => {
    for (const p of ["AKIA", "ASIA", "ABIA", "ACCA"]) {
      const key = makeKeyId(p, 123456789012n, 0x5eedn);
      // Each pad moves the key 4/3 of a column in the encoding: 60 pads put the break everywhere.
      for (let pad = 0; pad < 60; pad++) {
        const env = `# ${"x".repeat(pad)}\nAWS_ACCESS_KEY_ID=${key}\nAWS_SECRET_ACCESS_KEY=${secret}\nREGION=eu-west-1\n`;
        for (const [eol, width] of [["\n", 76], ["\r\n", 64]] as const) {
          const once = Buffer.from(env).toString("base64");
          const text = `credentials: |\n${wrap(once, width, eol)}${eol}`;
          const want = [{ keyId: key, secret, encoding: "base64" }];
          expect(scanText(text), `${p} pad ${pad} ${JSON.stringify(eol)}`).toMatchObject(want);
          expect(scanBytes(Buffer.from(text)), `${p} pad ${pad} ${JSON.stringify(eol)} (bytes)`).toMatchObject(want);
          const twice = Buffer.from(once).toString("base64");
          expect(scanText(`${wrap(twice, 76, eol)}${eol}`), `${p} pad ${pad} twice`).toMatchObject([{ keyId: key, secret, encoding: "base64+base64" }]);
        }
      }
    }
  });

  it("is found at 76 and 64 columns, on the line where the key's encoding starts", () => {
    const key = makeKeyId("AKIA", 210987654321n, 0x77n);
    const env = `${"# filler line\n".repeat(9)}aws_access_key_id = ${key}\naws_secret_access_key = ${secret}\n`;
    const enc = Buffer.from(env).toString("base64");
    for (const width of [76, 64]) {
      const lines = wrap(enc, width, "\n").split("\n");
      const keyAt = Math.floor((Buffer.from(env).indexOf(key) * 4) / 3);
      const f = scanText(`${lines.join("\n")}\n`);
      expect(f).toMatchObject([{ keyId: key, secret, line: 1 + Math.floor(keyAt / width) }]);
    }
  });

  it("keeps a last line of 2 or 3 characters and its padding (`SAo=`)", () => {
    const key = makeKeyId("AKIA", 123456789012n, 0x1234567n);
    for (const pad of ["", "x", "xx", "xxx"]) {
      const file = `# xxxxxxxxxxx${pad}\naws_secret_access_key=${secret}\naws_access_key_id=${key}\n`;
      const enc = Buffer.from(file).toString("base64");
      const text = `${wrap(enc, 76, "\n")}\n`;
      expect(scanText(text), `${JSON.stringify(text.split("\n").at(-2))}`).toMatchObject([{ keyId: key, secret }]);
    }
  });

  it("is found when wrapped with escaped `\\n` inside a JSON string, wherever the wrap falls", () => {
    const key = makeKeyId("AKIA", 123456789012n, 0xe5cn);
    let cutPrefix = 0;
    for (let pad = 0; pad < 60; pad++) {
      const ini = `# ${"x".repeat(pad)}\n[default]\naws_access_key_id = ${key}\naws_secret_access_key = ${secret}\n`;
      for (const eol of ["\\n", "\\r\\n"]) {
        const encoded = Buffer.from(ini).toString("base64");
        const json = `{"value": "${wrap(encoded, 76, eol)}"}\n`;
        // The escaped break cuts the encoded prefix itself: found by the escaped wrapped needles.
        if (!BASE64_NEEDLES.some((n) => json.includes(n))) cutPrefix++;
        const want = [{ keyId: key, secret, line: 1, encoding: "base64" }];
        expect(scanText(json), `pad ${pad} ${eol}`).toMatchObject(want);
        expect(scanBytes(Buffer.from(json)), `pad ${pad} ${eol} (bytes)`).toMatchObject(want);
      }
    }
    expect(cutPrefix).toBeGreaterThan(0);
  });
});
