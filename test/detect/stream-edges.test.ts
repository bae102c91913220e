// Block and window edges: however a large input is cut (the stream scanner's regions, the
// windows scanBytes decodes around candidates in inputs over 256 KiB), the findings are those
// of the text scanned in one piece — same keys, lines, columns (UTF-16 units), secrets, once.
import { describe, expect, it } from "vitest";
import { createStreamScanner, scanBytes, scanText, type Finding } from "../../src/detect/index.js";
import { CONTEXT } from "../../src/detect/windows.js";
import { makeKeyId, makeSecret } from "./helpers.js";

const KEY = makeKeyId("AKIA", 123456789012n, 0xabcn);
const SECRET = makeSecret(7);
/** scanBytes decodes inputs up to this size whole, larger ones by windows. */
const WHOLE = 256 << 10;
/** Bytes scanBytes decodes on each side of a candidate: a window starts this far before a key. */
const RADIUS = 24 << 10;

const sig = (f: Finding) => `${f.keyId}@${f.line}:${f.column}:${f.secret ?? ""}:${f.encoding ?? ""}`;
const sigs = (fs: Finding[]) => fs.map(sig).sort();

function streamScan(buf: Buffer, chunkSize: number, piece = 1 << 20): Finding[] {
  const sc = createStreamScanner({ chunkSize });
  const out: Finding[] = [];
  for (let i = 0; i < buf.length; i += piece) out.push(...sc.push(buf.subarray(i, i + piece)));
  out.push(...sc.end());
  return out;
}

/**
 * Where the stream scanner's regions end, for a chunk size: the first region holds chunkSize +
 * CONTEXT bytes, each next one chunkSize (moved back to a character's start in UTF-8 text).
 */
const cuts = (chunkSize: number, n: number) => Array.from({ length: n }, (_, i) => chunkSize * (i + 1) + CONTEXT);

/** A text whose `at`-th byte starts `token`, after `before` (its last bytes), padded with `pad` (one byte). */
function place(at: number, token: string, before: string, pad = " ", after = " tail\n"): string {
  const n = at - Buffer.byteLength(before);
  if (n < 0 || Buffer.byteLength(pad) !== 1) throw new Error("place: no room");
  return pad.repeat(n) + before + token + after;
}

/** Offsets within ±25 of each cut. */
const around = (xs: number[]) => xs.flatMap((x) => Array.from({ length: 51 }, (_, d) => x - 25 + d));

/** Text long enough for the stream to cut it where `cuts` says (and for scanBytes' windows). */
const long = (s: string, min: number) => (Buffer.byteLength(s) >= min ? s : s + "filler line\n".repeat(Math.ceil((min - Buffer.byteLength(s)) / 12)));

describe("the stream scanner at its region edges", () => {
  const CHUNK = 4096;
  /** Around the first two cuts, or the first one only. */
  const positions = around(cuts(CHUNK, 2));
  const first = around(cuts(CHUNK, 1));
  const size = CHUNK * 3 + 2 * CONTEXT;

  it("reports a key once, at its place, wherever the cut falls", () => {
    for (const at of positions) {
      const text = long(place(at, KEY, "key: "), size);
      const want = sigs(scanText(text));
      expect(want).toEqual([`${KEY}@1:${at + 1}::`]);
      expect(sigs(streamScan(Buffer.from(text), CHUNK)), `key at ${at}`).toEqual(want);
    }
  });

  it("reports no key in a longer alphanumeric run cut just before or after the key", () => {
    for (const at of positions) {
      const glued = [[`${KEY}ZZZZ`, 0], [`ZZZZ${KEY}`, 4], [`z${KEY}`, 1], [`${KEY}9`, 0]] as const;
      for (const [token, keyAt] of first.includes(at) ? glued : glued.slice(0, 2)) {
        const text = long(place(at - keyAt, token, "id: "), size);
        expect(scanText(text)).toEqual([]);
        expect(streamScan(Buffer.from(text), CHUNK), `${token} with the key at ${at}`).toEqual([]);
      }
    }
  });

  it("gives the same for the smallest chunk size and for 7-byte pushes", () => {
    for (const at of around(cuts(16, 1))) {
      for (const token of [`${KEY}ZZZZ`, `ZZZZ${KEY}`]) {
        const text = long(place(at - token.indexOf(KEY), token, "k="), 16 + 2 * CONTEXT + 64);
        const want = sigs(scanText(text));
        expect(sigs(streamScan(Buffer.from(text), 16, 7)), `${token} with the key at ${at}`).toEqual(want);
      }
    }
  });

  it("gives the column in characters after multibyte text on a line longer than a region", () => {
    // 1- to 4-byte characters (the emoji is two UTF-16 units) end just before the key: the cut
    // falls inside characters, between them, and on each side of the key.
    const mb = "é€😀a".repeat(6000) + "é€😀 ";
    for (const at of first) {
      const text = long(place(at, KEY, mb, "-"), size);
      const want = sigs(scanText(text));
      const column = text.indexOf(KEY) + 1;
      expect(want).toEqual([`${KEY}@1:${column}::`]);
      expect(sigs(streamScan(Buffer.from(text), CHUNK)), `key at byte ${at}`).toEqual(want);
    }
  });

  it("gives glued keys nothing after multibyte text either", () => {
    const mb = "é".repeat(1000) + "€".repeat(2000);
    for (const at of first) {
      for (const [token, keyAt] of [[`${KEY}ZZZZ`, 0], [`ZZZZ${KEY}`, 4]] as const) {
        const text = long(place(at - keyAt, token, mb, "-"), size);
        expect(streamScan(Buffer.from(text), CHUNK), `${token} with the key at byte ${at}`).toEqual([]);
      }
    }
  });

  it("pairs a key with the secret on the line before, across the cut", () => {
    for (const at of first) {
      const text = long(place(at, KEY, `\naws_secret_access_key = ${SECRET}\naws_access_key_id = `, "x"), size);
      const want = sigs(scanText(text));
      expect(want).toHaveLength(1);
      expect(want[0]).toContain(SECRET);
      expect(sigs(streamScan(Buffer.from(text), CHUNK)), `key at ${at}`).toEqual(want);
    }
  });

  it("finds a base64-encoded key cut anywhere", () => {
    const enc = Buffer.from(`aws_access_key_id=${KEY}\naws_secret_access_key=${SECRET}\n`).toString("base64");
    for (const at of first) {
      const text = long(place(at - 24, enc, "data: ", "y"), size);
      const want = sigs(scanText(text));
      expect(want).toHaveLength(1);
      expect(want[0]).toMatch(new RegExp(`^${KEY}@1:\\d+:${SECRET.replace(/[+/]/g, "\\$&")}:base64$`));
      expect(sigs(streamScan(Buffer.from(text), CHUNK)), `encoding at ${at - 24}`).toEqual(want);
    }
  });
});

describe("scanBytes on inputs it reads by windows", () => {
  it("gives the column in characters when a window starts inside a multibyte line", () => {
    // The probe's case: 30000 two-byte characters, then the key.
    const text = long(`${"é".repeat(30000)} ${KEY}\n`, WHOLE + 1000);
    expect(scanText(text)).toMatchObject([{ keyId: KEY, line: 1, column: 30002 }]);
    expect(scanBytes(Buffer.from(text))).toMatchObject([{ keyId: KEY, line: 1, column: 30002 }]);
    expect(streamScan(Buffer.from(text), 4096)).toMatchObject([{ keyId: KEY, line: 1, column: 30002 }]);
  });

  it("gives the same findings as one text wherever the window's start falls in a character", () => {
    // The key's window starts RADIUS bytes before it, in the middle of its line: d spaces before
    // the key move that start over every byte of 1- to 4-byte characters.
    const mb = "b😀é€".repeat(3000);
    for (let d = 0; d <= 50; d++) {
      for (const token of [KEY, `ZZZZ${KEY}`, `${KEY}ZZZZ`]) {
        const line2 = `${"-".repeat(8000)}${mb}${" ".repeat(d)}${token} tail`;
        const text = long(`first line ${"ü".repeat(100)}\n${line2}\n`, WHOLE + 1000);
        const buf = Buffer.from(text);
        expect(buf.length).toBeGreaterThan(WHOLE);
        const want = sigs(scanText(text));
        expect(want).toEqual(token === KEY ? [`${KEY}@2:${line2.indexOf(KEY) + 1}::`] : []);
        expect(sigs(scanBytes(buf)), `${token} after ${d} spaces`).toEqual(want);
      }
    }
  });

  it("gives a key where another candidate's window would end its place, secret and column", () => {
    // Another key's window ends RADIUS bytes after it (no line break near): there, ±25 bytes,
    // comes this one, on the same line.
    const other = makeKeyId("AKIA", 210987654321n, 0x77n);
    const named = ` aws_secret_access_key=${SECRET} aws_access_key_id=`;
    for (const at of around([RADIUS])) {
      for (const token of [KEY, `ZZZZ${KEY}`, `${KEY}ZZZZ`]) {
        const keyAt = token.indexOf(KEY);
        const line = place(at - keyAt - other.length - 1, token, `${"ä".repeat(5000)}${named}`, "-", ` ${"t".repeat(9000)}\n`);
        const text = long(`${other} ${line}`, WHOLE + 1000);
        const want = sigs(scanText(text));
        expect(want).toHaveLength(token === KEY ? 2 : 1);
        expect(sigs(scanBytes(Buffer.from(text))), `${token} at ${at}`).toEqual(want);
      }
    }
  });

  it("does not count a UTF-8 byte-order mark in line 1's columns", () => {
    const text = long(`${"€".repeat(40000)} ${KEY}\n`, WHOLE + 1000);
    const buf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const want = [{ keyId: KEY, line: 1, column: 40002 }];
    expect(scanText(text)).toMatchObject(want);
    expect(scanBytes(buf)).toMatchObject(want);
    expect(streamScan(buf, 4096, 1)).toMatchObject(want);
    expect(streamScan(buf, 100000)).toMatchObject(want);
  });
});

describe("input that is not UTF-8", () => {
  it("is read as latin1 whatever its size: columns are bytes, in a stream too once the bad byte comes", () => {
    // Valid UTF-8 before the key; the byte that is not comes regions later.
    const head = `${"é".repeat(100)} ${KEY}\n`;
    const buf = Buffer.concat([Buffer.from(long(head, 3 * CONTEXT)), Buffer.from([0xff]), Buffer.from(long("", 3 * CONTEXT))]);
    const want = [`${KEY}@1:202::`];
    expect(sigs(scanText(buf.toString("latin1")))).toEqual(want);
    expect(sigs(scanBytes(buf))).toEqual(want);
    expect(sigs(scanBytes(buf.subarray(0, WHOLE)))).toEqual(want);
    for (const chunk of [1000, 4096, 1 << 20]) expect(sigs(streamScan(buf, chunk)), `chunk ${chunk}`).toEqual(want);
    // The same text without the bad byte is UTF-8: the column counts characters.
    const good = Buffer.concat([buf.subarray(0, buf.indexOf(0xff)), buf.subarray(buf.indexOf(0xff) + 1)]);
    for (const chunk of [4096, 1 << 20]) expect(sigs(streamScan(good, chunk))).toEqual([`${KEY}@1:102::`]);
    expect(sigs(scanBytes(good))).toEqual([`${KEY}@1:102::`]);
  });
});

describe("line breaks", () => {
  it("are LF (CRLF too) but not a lone CR, as git numbers lines, in small and large inputs alike", () => {
    for (const eol of ["\r", "\r\n", "\n"]) {
      const text = `${`a line é${eol}`.repeat(40000)}id ${KEY}${eol}${`tail line${eol}`.repeat(30000)}`;
      const buf = Buffer.from(text);
      expect(buf.length).toBeGreaterThan(WHOLE);
      const want = sigs(scanText(text));
      const [f] = scanText(text);
      if (eol === "\r") expect(f).toMatchObject({ line: 1, column: text.indexOf(KEY) + 1 });
      else expect(f).toMatchObject({ line: 40001, column: 4 });
      expect(sigs(scanBytes(buf)), JSON.stringify(eol)).toEqual(want);
      expect(sigs(streamScan(buf, 4096)), JSON.stringify(eol)).toEqual(want);
      // A small input: one piece, the same rule.
      const small = text.slice(text.indexOf(KEY) - 2000, text.indexOf(KEY) + 100);
      expect(sigs(scanBytes(Buffer.from(small)))).toEqual(sigs(scanText(small)));
    }
  });
});
