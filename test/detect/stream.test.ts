import { describe, expect, it } from "vitest";
import { createStreamScanner, scanBytes, type Finding } from "../../src/detect/index.js";
import { makeKeyId, makeSecret } from "./helpers.js";

function lines(n: number, keyEvery: number): { text: string; keys: string[] } {
  const out: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % keyEvery === 5) {
      const k = makeKeyId("AKIA", BigInt(100000000000 + i), BigInt(i * 7919));
      keys.push(k);
      out.push(`  aws_access_key_id = ${k}`, `  aws_secret_access_key = ${makeSecret(i + 1)}`);
    } else out.push(`line ${i} ${"lorem ipsum dolor sit amet ".repeat(i % 4)}`);
  }
  return { text: out.join("\n") + "\n", keys };
}

const key = (f: Finding) => `${f.keyId}@${f.line}:${f.column}:${f.secret}`;

describe("createStreamScanner", () => {
  it("gives the same findings as a whole-buffer scan, whatever the chunking", () => {
    const { text, keys } = lines(3000, 37);
    const buf = Buffer.from(text);
    const whole = scanBytes(buf).map(key);
    expect(whole).toHaveLength(keys.length);
    for (const piece of [1, 7, 333, 4096, 100000]) {
      const sc = createStreamScanner({ chunkSize: 4096 });
      const got: Finding[] = [];
      for (let i = 0; i < buf.length; i += piece) got.push(...sc.push(buf.subarray(i, i + piece)));
      got.push(...sc.end());
      expect(got.map(key).sort()).toEqual([...whole].sort());
    }
  });

  it("handles a UTF-16 stream with BOM", () => {
    const { text, keys } = lines(200, 50);
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const sc = createStreamScanner({ chunkSize: 1024 });
    const got: Finding[] = [];
    for (let i = 0; i < buf.length; i += 999) got.push(...sc.push(buf.subarray(i, i + 999)));
    got.push(...sc.end());
    expect(got.map((f) => f.keyId)).toEqual(keys);
    expect(got.every((f) => f.encoding === "utf16" && f.secret)).toBe(true);
  });
});

describe("windowed scanning of large buffers", () => {
  it("reports the same lines and columns as a plain text scan", () => {
    const { text, keys } = lines(40000, 4001);
    const buf = Buffer.from(text);
    expect(buf.length).toBeGreaterThan(1 << 20);
    const got = scanBytes(buf);
    expect(got.map((f) => f.keyId)).toEqual(keys);
    const ls = text.split("\n");
    for (const f of got) expect(ls[f.line - 1]!.slice(f.column - 1, f.column + 19)).toBe(f.keyId);
  });
});
