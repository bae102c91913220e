// A key ID between two `/` is a path segment (a URL, an S3 key), not a piece of a base64 blob;
// inside a long random base64 run a key-shaped stretch is chance.
import { describe, expect, it } from "vitest";
import { scanBytes, scanText } from "../../src/detect/index.js";
import { makeKeyId } from "./helpers.js";

const key = makeKeyId("AKIA", 123456789012n, 0x2c0ffeen);

/** Deterministic random base64 of `n` characters. */
function randomBase64(n: number, seed: number): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let x = seed;
  let s = "";
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += A[x >>> 26]!;
  }
  return s;
}

describe("a key between slashes", () => {
  it("is found in a URL path and an S3 path", () => {
    for (const text of [
      `10.0.3.17 - admin "POST /api/v1/users/alice/access-keys/${key}/deactivate HTTP/1.1" 204\n`,
      `aws s3 rm s3://acme-archive/${key}/credentials.json\n`,
      `aws s3 cp s3://backups/iam/${key}/2024/01/credentials.csv .\n`,
      `https://console.example.com/iam/home/users/AliceSmith/keys/${key}/Deactivate\n`,
    ]) {
      expect(scanText(text), text).toMatchObject([{ keyId: key, line: 1 }]);
      expect(scanBytes(Buffer.from(text)), text).toMatchObject([{ keyId: key }]);
    }
  });

  it("is not a key inside a long random base64 run", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const blob = `${randomBase64(60, seed)}/${key}+${randomBase64(60, seed + 1000)}`;
      expect(scanText(`data: ${blob}\n`), blob).toEqual([]);
    }
  });
});
