// Base64 inside base64 (a Kubernetes Secret whose data value is a base64'd .env,
// Helm values holding a base64'd manifest): decoded through two layers, no more.
import { describe, expect, it } from "vitest";
import { createStreamScanner, scanBytes, scanText, type Finding } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const secret = makeSecret(11);

function secretManifest(key: string, pad: number): string {
  const env = `# ${"x".repeat(pad)}\nAWS_ACCESS_KEY_ID=${key}\nAWS_SECRET_ACCESS_KEY=${secret}\n`;
  return `apiVersion: v1\nkind: Secret\ndata:\n  app.env.b64: ${b64(b64(env))}\n`;
}

describe("base64 inside base64", () => {
  it("is found by scanText and scanBytes for every prefix, at every alignment of both layers", () => {
    for (const p of ["AKIA", "ASIA", "ABIA", "ACCA"]) {
      const key = makeKeyId(p, 123456789012n, 0x2468acen);
      // The key's offset mod 9 in the .env sets its alignment in both encodings.
      for (let pad = 0; pad < 9; pad++) {
        const text = secretManifest(key, pad);
        const want = [{ keyId: key, secret, line: 4, encoding: "base64+base64" }];
        expect(scanText(text), `${p} pad ${pad}`).toMatchObject(want);
        expect(scanBytes(Buffer.from(text)), `${p} pad ${pad}`).toMatchObject(want);
      }
    }
  });

  it("is found deep in a large input (windows) and in a stream", () => {
    const key = makeKeyId("AKIA", 210987654321n, 0x1357n);
    const filler = "- name: value\n  image: registry.example/app:1.2.3\n".repeat(12000);
    const buf = Buffer.from(`${filler}---\n${secretManifest(key, 4)}${filler}`);
    expect(buf.length).toBeGreaterThan(1 << 20);
    const want = [{ keyId: key, secret, line: 24005, encoding: "base64+base64" }];
    expect(scanBytes(buf)).toMatchObject(want);
    const sc = createStreamScanner({ chunkSize: 256 << 10 });
    const got: Finding[] = [];
    for (let i = 0; i < buf.length; i += 65536) got.push(...sc.push(buf.subarray(i, i + 65536)));
    got.push(...sc.end());
    expect(got).toMatchObject(want);
  });

  it("stops at two layers: a third is not decoded", () => {
    const key = makeKeyId("AKIA", 123456789012n, 0x2468acen);
    const env = `AWS_ACCESS_KEY_ID=${key}\n`;
    expect(scanText(`v: ${b64(b64(env))}\n`)).toHaveLength(1);
    expect(scanText(`v: ${b64(b64(b64(env)))}\n`)).toEqual([]);
    expect(scanBytes(Buffer.from(`v: ${b64(b64(b64(env)))}\n`))).toEqual([]);
  });
});
