// Credentials inside compiled files, laid out as the compilers lay out strings.
import { describe, expect, it } from "vitest";
import { scanBytes } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const key = makeKeyId("AKIA", 210987654321n, 0xb1an);
const secret = makeSecret(61);

describe("keys in binary files", () => {
  it("a CPython .pyc: marshal puts a type byte (often a lower-case letter) right after each string", () => {
    const pyc = Buffer.concat([
      Buffer.from([0x6f, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 0xe3, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xda, 0x14]),
      Buffer.from(`${key}z(${secret}`, "latin1"),
      Buffer.from([0xda, 0x07]),
      Buffer.from("reportsN", "latin1"),
    ]);
    expect(scanBytes(pyc)).toMatchObject([{ keyId: key, secret, line: 3 }]); // two LF bytes before it
  });

  it("a .NET assembly's user-string heap: length byte, UTF-16LE, a flag byte", () => {
    const us = (s: string) => Buffer.concat([Buffer.from([s.length * 2 + 1]), Buffer.from(s, "utf16le"), Buffer.from([0])]);
    const dll = Buffer.concat([Buffer.from("MZ\x90\0\x03\0\0\0", "latin1"), Buffer.alloc(64), Buffer.from([0]), us(key), us("AWSSecretKey"), us(secret), us("us-east-1")]);
    expect(scanBytes(dll)).toMatchObject([{ keyId: key, secret, encoding: "utf16" }]);
  });

  it("a UTF-16 string far from the start of a file whose first bytes hold no NUL", () => {
    // A text header, then UTF-16 data (a resource section, a log that captured a UTF-16 dump).
    for (const size of [20_000, 300_000, 2_000_000]) {
      const b = Buffer.alloc(size, "header line\n");
      Buffer.from(`\nAWSAccessKeyId=${key}\n`, "utf16le").copy(b, size >> 1);
      expect(scanBytes(b), `${size} bytes`).toMatchObject([{ keyId: key, encoding: "utf16" }]);
    }
  });

  it("a random binary holds no key", () => {
    let x = 12345;
    const noise = Buffer.alloc(1 << 20, 0).map(() => ((x = (x * 1103515245 + 12345) >>> 0), x >>> 24));
    expect(scanBytes(noise).filter((f) => f.kind !== "example")).toEqual([]);
  });
});
