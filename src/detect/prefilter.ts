// The cheap first pass. Clean input is rejected by looking for the key prefixes
// and their other forms: base64-encoded once or twice (a line break inside, too), UTF-16, escaped,
// percent-encoded, cut by a string concatenation (`"AK" + "IA…"`) or a quoted-printable soft
// line break (`AK=\nIA…`).
import { KEY_PREFIXES } from "./rules.js";
import { indexedPairAt, pairKey } from "./needles.js";
import { BASE64_NEEDLES, BASE64_NEEDLES_2, UTF16_BASE64_NEEDLES, WRAPPED_NEEDLES } from "./codec/base64.js";
import { SPLIT_HEADS, SPLIT_SOURCE, SPLIT_TAILS } from "./codec/concat.js";
import { QP_NEEDLES } from "./codec/qp.js";

const UTF16_NEEDLES = KEY_PREFIXES.map((p) => p.slice(1).split("").join("\0"));
const ESCAPED_NEEDLES = ["%41%4", "%41%53", "\\u0041", "\\x41", "&#65;", "&#x41;"];

export const NEEDLES: string[] = [...KEY_PREFIXES, ...BASE64_NEEDLES, ...BASE64_NEEDLES_2, ...WRAPPED_NEEDLES, ...UTF16_BASE64_NEEDLES, ...UTF16_NEEDLES, ...ESCAPED_NEEDLES, ...QP_NEEDLES];

const esc = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&").replace(/\0/g, "\\0");
const ANY = new RegExp(`${NEEDLES.map(esc).join("|")}|${SPLIT_SOURCE}`);

export function mayContainKey(text: string): boolean {
  return ANY.test(text);
}

/**
 * Bytes are searched in one pass, whatever the number of needles: each pair of bytes at an
 * even offset is looked up in a table of the pairs the needles hold, and only the rare hits
 * are compared with the needles. Every needle is at least 3 bytes long, so any occurrence has
 * one of its two chosen pairs (at n.at and n.at + 1) at an even offset. Reading 4 bytes at a
 * time makes this faster than a native search per needle once there are more than a few.
 */
interface Needle {
  n: Uint8Array;
  /** Offset in the needle of the first of its two pairs in the table. */
  at: number;
  /** Must not follow a letter or digit. */
  wordStart: boolean;
}

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function needle(s: string, flags: Partial<Pick<Needle, "wordStart">> = {}): Needle {
  const n = bytesOf(s);
  return { n, at: indexedPairAt(n), wordStart: !!flags.wordStart };
}

const ALL: Needle[] = [
  ...[...KEY_PREFIXES, ...BASE64_NEEDLES, ...BASE64_NEEDLES_2, ...WRAPPED_NEEDLES, ...UTF16_BASE64_NEEDLES, ...ESCAPED_NEEDLES, ...QP_NEEDLES, ...SPLIT_TAILS].map((s) => needle(s)),
  ...SPLIT_HEADS.map((s) => needle(s, { wordStart: true })),
  ...UTF16_NEEDLES.map((s) => needle(s)),
];

/** Pair → 1 + index into BUCKETS (0: no needle has it); each bucket lists (needle, offset of the pair). */
const TABLE = new Uint8Array(65536);
const BUCKETS: Array<Array<{ nd: Needle; off: number }>> = [];
for (const nd of ALL) {
  for (const off of [nd.at, nd.at + 1]) {
    const k = pairKey(nd.n[off]!, nd.n[off + 1]!);
    if (TABLE[k] === 0) {
      BUCKETS.push([]);
      TABLE[k] = BUCKETS.length;
    }
    BUCKETS[TABLE[k]! - 1]!.push({ nd, off });
  }
}
if (BUCKETS.length > 255) throw new Error("prefilter: too many needle pairs");

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const isWordByte = (c: number | undefined) => c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122));

/** The longest needle, less one: how far a block's search must reach back into the one before. */
export const NEEDLE_REACH = Math.max(...ALL.map((nd) => nd.n.length)) - 1;

interface Search {
  b: Uint8Array;
  out: number[];
}

/** The needles whose pair sits at `i`; the table said there is one. */
function check(s: Search, i: number): void {
  const b = s.b;
  for (const { nd, off } of BUCKETS[TABLE[pairKey(b[i]!, b[i + 1]!)]! - 1]!) {
    const start = i - off;
    const n = nd.n;
    if (start < 0 || start + n.length > b.length) continue;
    let j = 0;
    while (j < n.length && b[start + j] === n[j]) j++;
    if (j < n.length) continue;
    if (nd.wordStart && isWordByte(b[start - 1])) continue;
    s.out.push(start);
  }
}

/**
 * The first of `words` from `w` on holding a needle's pair (two pairs each), or their count.
 * Kept this small on purpose: the optimizing compiler then compiles it once, quickly, instead
 * of recompiling a loop that also holds the rare path (a cost each new process pays). Four
 * words a step (a quarter of the loop's overhead); the step with a hit is then gone over again.
 */
function nextHit(words: Uint32Array, w: number): number {
  const T = TABLE;
  const len = words.length;
  for (; w + 3 < len; w += 4) {
    const a = words[w]!;
    const b = words[w + 1]!;
    const c = words[w + 2]!;
    const d = words[w + 3]!;
    if ((T[a & 0xffff]! | T[a >>> 16]! | T[b & 0xffff]! | T[b >>> 16]! | T[c & 0xffff]! | T[c >>> 16]! | T[d & 0xffff]! | T[d >>> 16]!) !== 0) break;
  }
  for (; w < len; w++) {
    const x = words[w]!;
    if ((T[x & 0xffff]! | T[x >>> 16]!) !== 0) return w;
  }
  return w;
}

/**
 * Offsets where a key (plain or encoded) may start, sorted; at most about `limit`
 * of them (the rest of the input is not searched once the limit is reached).
 */
export function candidateOffsets(bytes: Uint8Array, limit = Infinity): number[] {
  const s: Search = { b: bytes, out: [] };
  const n = bytes.length;
  const step = LITTLE_ENDIAN ? 1 : 2;
  const head = (4 - (bytes.byteOffset & 3)) & 3;
  let i = 0;
  if (LITTLE_ENDIAN && n >= head + 8) {
    // Every offset up to the first 4-byte boundary, then every even one from there.
    for (; i < head; i++) if (TABLE[pairKey(bytes[i]!, bytes[i + 1]!)] !== 0) check(s, i);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + head, (n - head) >> 2);
    for (let w = nextHit(words, 0); w < words.length && s.out.length < limit; w = nextHit(words, w + 1)) {
      const at = head + 4 * w;
      if (TABLE[pairKey(bytes[at]!, bytes[at + 1]!)] !== 0) check(s, at);
      if (TABLE[pairKey(bytes[at + 2]!, bytes[at + 3]!)] !== 0) check(s, at + 2);
    }
    i = s.out.length < limit ? head + 4 * words.length : n;
  }
  for (; i + 1 < n && s.out.length < limit; i += step) if (TABLE[pairKey(bytes[i]!, bytes[i + 1]!)] !== 0) check(s, i);
  return sorted(s.out);
}

function sorted(out: number[]): number[] {
  out.sort((x, y) => x - y);
  return out.filter((x, k) => k === 0 || x !== out[k - 1]);
}

export function mayContainKeyBytes(bytes: Uint8Array): boolean {
  return candidateOffsets(bytes, 1).length > 0;
}
