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

describe("a byte-order mark that does not start UTF-16 text", () => {
  const { text, keys } = lines(3000, 700);
  for (const bom of [[0xff, 0xfe], [0xfe, 0xff]]) {
    const buf = Buffer.concat([Buffer.from(bom), Buffer.from(text)]);
    it(`${bom.map((b) => b.toString(16)).join(" ")} then ASCII: keys found as in the raw bytes, whole or streamed`, () => {
      const raw = scanBytes(Buffer.from(text)).map(key);
      expect(raw).toHaveLength(keys.length);
      expect(scanBytes(buf).map(key)).toEqual(raw);
      for (const piece of [1, 999]) {
        const sc = createStreamScanner({ chunkSize: 4096 });
        const got: Finding[] = [];
        for (let i = 0; i < buf.length; i += piece) got.push(...sc.push(buf.subarray(i, i + piece)));
        got.push(...sc.end());
        expect(got.map(key).sort()).toEqual([...raw].sort());
      }
    });
  }

  it("inside an input is not taken for one: only its first two bytes may be", () => {
    const k = makeKeyId("AKIA", 123456789012n, 0xabcn);
    const ffFe = Buffer.from([0xff, 0xfe]);
    // A large buffer read by windows, one of which starts at a line beginning with FF FE.
    const big = Buffer.concat([Buffer.from("x".repeat(300000) + "\n"), ffFe, Buffer.from(`${"z".repeat(25000)}\nAWS_ACCESS_KEY_ID=${k}\n`), Buffer.from("y".repeat(300000))]);
    expect(scanBytes(big)).toMatchObject([{ keyId: k, line: 3, column: 19 }]);
    // A stream whose second block starts with FF FE.
    const sc = createStreamScanner({ chunkSize: 65536 });
    const stream = Buffer.concat([Buffer.from("x".repeat(65535) + "\n"), ffFe, Buffer.from(`\nAWS_ACCESS_KEY_ID=${k}\n${"y".repeat(100000)}`)]);
    const got = [...sc.push(stream), ...sc.end()];
    expect(got).toMatchObject([{ keyId: k, line: 3, column: 19 }]);
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
