// Property tests: generated credentials are found and paired in any supported
// encoding at any position; text without key prefixes yields nothing; the
// scanners never throw.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { scanBytes, scanPatch, scanText } from "../../src/detect/index.js";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const keyArb = fc
  .tuple(
    fc.constantFrom("AKIA", "ASIA", "ABIA", "ACCA"),
    fc.constantFrom(..."QRSTUVWXYZ234567"),
    fc.array(fc.constantFrom(...B32), { minLength: 15, maxLength: 15 }),
  )
  .map(([p, c, rest]) => p + c + rest.join(""));

const secretArb = fc
  .array(fc.constantFrom(...(ALNUM + "/+")), { minLength: 37, maxLength: 37 })
  .map((cs) => "aB3" + cs.join(""));

const fillerArb = fc
  .array(fc.constantFrom("lorem ipsum", "x = 1;", "# note", "\n", " ", "{", "}", "name: value", "\t", "path/to/file.txt", "2026-11-29 INFO ok"), {
    maxLength: 12,
  })
  .map((xs) => xs.join(""));

type Encoding = "plain" | "crlf" | "json" | "base64" | "base64-wrapped" | "url" | "utf16le" | "utf16be" | "concat" | "binary";
const encodingArb = fc.constantFrom<Encoding>("plain", "crlf", "json", "base64", "base64-wrapped", "url", "utf16le", "utf16be", "concat", "binary");

/** Renders key and secret in one encoding, with filler before, between and after. */
function render(enc: Encoding, key: string, secret: string, [a, b, c]: string[]): Uint8Array {
  const env = `${a}\nAWS_ACCESS_KEY_ID=${key}\n${b}\nAWS_SECRET_ACCESS_KEY=${secret}\n${c}\n`;
  switch (enc) {
    case "plain":
      return Buffer.from(env);
    case "crlf":
      return Buffer.from(env.replace(/\n/g, "\r\n"));
    case "json":
      return Buffer.from(JSON.stringify({ note: a, env: env }).replace(/\//g, "\\/"));
    case "base64":
      return Buffer.from(
        `${a}\ndata:\n  AWS_ACCESS_KEY_ID: ${Buffer.from(key).toString("base64")}\n  AWS_SECRET_ACCESS_KEY: ${Buffer.from(secret).toString("base64")}\n${c}\n`,
      );
    case "base64-wrapped":
      // The whole file encoded and wrapped at 76 columns, as `base64` prints it.
      return Buffer.from(`${(Buffer.from(env).toString("base64").match(/.{1,76}/g) ?? []).join("\n")}\n`);
    case "url":
      return Buffer.from(`${a}\nremote = https://${key}:${encodeURIComponent(secret)}@example.com/x\n${c}`);
    case "utf16le":
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(env, "utf16le")]);
    case "utf16be":
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(env, "utf16le").swap16()]);
    case "concat":
      return Buffer.from(`${a}\nconst id = "${key.slice(0, 7)}" +\n  "${key.slice(7)}";\nconst secretAccessKey = "${secret}";\n${c}`);
    case "binary":
      return Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]), Buffer.from(env), Buffer.from([0, 0x9c, 0xfe])]);
  }
}

describe("properties", () => {
  it("finds and pairs generated credentials in any encoding at any position", () => {
    fc.assert(
      fc.property(keyArb, secretArb, encodingArb, fc.tuple(fillerArb, fillerArb, fillerArb), (key, secret, enc, filler) => {
        const found = scanBytes(render(enc, key, secret, filler));
        const f = found.find((x) => x.keyId === key);
        expect(f, `${enc}`).toBeDefined();
        expect(f!.secret, `${enc}`).toBe(secret);
        if (key.startsWith("ASIA") && f!.kind !== "example") expect(f!.kind).toBe("temporary");
      }),
      { numRuns: 400 },
    );
  });

  it("finds keys at any offset of a larger random text", () => {
    fc.assert(
      fc.property(keyArb, fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (key, before, after) => {
        const text = `${before}\n${key}\n${after}`;
        expect(scanText(text).some((f) => f.keyId === key)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("reports nothing for text without key prefixes", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => {
        expect(scanText(s.replace(/A/g, "a"))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on arbitrary strings, bytes and patches", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 3000 }), (s) => {
        scanText(s);
        scanPatch(s);
        scanText(`AKIA${s}`);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (b) => {
        scanBytes(b);
        scanBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), b]));
        scanBytes(Buffer.concat([Buffer.from("AKIA"), b]));
      }),
      { numRuns: 300 },
    );
  });
});
