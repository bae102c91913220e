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

  it("a SQLite row: columns back to back, the key glued to a text column before and its secret after", () => {
    // Record header (NUL, types), then the columns `etl`, the key ID and the secret, unseparated.
    const row = Buffer.concat([Buffer.from([0, 0x13, 0x35, 0x5d]), Buffer.from(`etl${key}${secret}`, "latin1"), Buffer.from([0, 0x0d, 0x0a])]);
    expect(scanBytes(row).map((f) => f.keyId)).toEqual([key]);
    const db = Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(4000), row, Buffer.alloc(4000)]);
    expect(scanBytes(db).map((f) => f.keyId)).toEqual([key]);
    // In text (no NUL) a key glued to a word is none.
    expect(scanBytes(Buffer.from(`etl${key}${secret}\n`))).toEqual([]);
  });

  it("long upper-case runs in a binary hold no key", () => {
    const words = [
      "kASIAPACIFICREGIONNAMEDefaultEndpointResolverConfigurationProvider",
      "totpAKIAMQYTZNBUGQ2DMNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
      "base32ACCA7Q2WLXJTRB5KMNUDVHYEG3FZ46SCIOPAKIALQZ3T5GVKXWM7NRYJDFSB2HCPE6OUA",
      "errACCAUNTINGPERIODCLOSEDFORPOSTINGTRANSACTIONS",
      "seedAKIAMQYTZNBUGQ2DMNBVdefaultConfigurationProviderFactoryInstance",
      "idACCA7Q2WLXJTRB5KMNU3141592653589793238462643383279502884197169399375105820974944",
    ];
    const bin = Buffer.concat(words.flatMap((w) => [Buffer.from([0, 0x17]), Buffer.from(w, "latin1")]));
    expect(scanBytes(bin).filter((f) => f.kind !== "example")).toEqual([]);
  });

  it("a random binary holds no key", () => {
    let x = 12345;
    const noise = Buffer.alloc(1 << 20, 0).map(() => ((x = (x * 1103515245 + 12345) >>> 0), x >>> 24));
    expect(scanBytes(noise).filter((f) => f.kind !== "example")).toEqual([]);
  });
  it("a SQLite row whose secret is followed at once by the next column (a date, a session token)", () => {
    const k2 = makeKeyId("ASIA", 210987654321n, 0xb2an);
    const s2 = makeSecret(62);
    const token = `FwoGZXIvYXdzE${makeSecret(63).replace(/\//g, "+").repeat(8)}`;
    const row1 = Buffer.from(`\0\x135]etl${key}${secret}2025-01-02`, "latin1");
    const row2 = Buffer.from(`\0\x0f\x81\x15${k2}${s2}${token}\0`, "latin1");
    const f = scanBytes(Buffer.concat([Buffer.alloc(64), row1, Buffer.alloc(32), row2, Buffer.alloc(64)]));
    expect(f.find((x) => x.keyId === key)?.secret).toBe(secret);
    expect(f.find((x) => x.keyId === k2)).toMatchObject({ secret: s2, sessionToken: token });
  });
});
