// The cheap first pass. Clean input is rejected by looking for the key
// prefixes and their encoded forms with native memchr-based searches:
// indexOf for each plain prefix, and one memchr per distinct first byte of the
// other needles (base64, escaped, percent-encoded forms), verified in place.
import { Buffer } from "node:buffer";
import { KEY_PREFIXES } from "./rules.js";
import { BASE64_NEEDLES, BASE64_NEEDLES_2 } from "./codec/base64.js";

const UTF16_NEEDLES = KEY_PREFIXES.map((p) => p.slice(1).split("").join("\0"));
const ESCAPED_NEEDLES = ["%41%4", "%41%53", "\\u0041", "\\x41", "&#65;", "&#x41;"];

export const NEEDLES: string[] = [...KEY_PREFIXES, ...BASE64_NEEDLES, ...UTF16_NEEDLES, ...ESCAPED_NEEDLES];

const esc = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&").replace(/\0/g, "\\0");
// Strings also look for doubly base64-encoded prefixes: one regex pass, so the
// extra alternatives are nearly free here (unlike separate searches on bytes).
const ANY = new RegExp([...NEEDLES, ...BASE64_NEEDLES_2].map(esc).join("|"));

export function mayContainKey(text: string): boolean {
  return ANY.test(text);
}

const bytesOf = (s: string) => Buffer.from(s, "latin1");
const IA = bytesOf("IA");
const ACCA = bytesOf("ACCA");
const UTF16_BYTES = UTF16_NEEDLES.map(bytesOf);
/**
 * The other needles are found through 2-byte anchors, one native search per
 * anchor: any 2 bytes of a base64 needle (chosen to cover most needles, e.g.
 * "BB" for all alignment-2 forms), the first 2 of an escaped one. A single
 * frequent byte such as "F" would cost a JS round trip per hit.
 */
interface Anchor {
  anchor: Buffer;
  needles: Array<{ n: Buffer; at: number }>;
}
function anchorsFor(needles: string[], anyPosition: boolean): Anchor[] {
  const left = new Set(needles);
  const out: Anchor[] = [];
  const subs = (n: string) => (anyPosition ? Array.from({ length: n.length - 1 }, (_, i) => n.slice(i, i + 2)) : [n.slice(0, 2)]);
  while (left.size > 0) {
    let best = "";
    let cover: string[] = [];
    for (const n of left) {
      for (const a of subs(n)) {
        const c = [...left].filter((m) => subs(m).includes(a));
        if (c.length > cover.length) [best, cover] = [a, c];
      }
    }
    out.push({ anchor: bytesOf(best), needles: cover.map((n) => ({ n: bytesOf(n), at: n.indexOf(best) })) });
    for (const n of cover) left.delete(n);
  }
  return out;
}
const ANCHORS = [...anchorsFor(BASE64_NEEDLES, true), ...anchorsFor(ESCAPED_NEEDLES, false)];

function matchesAt(b: Buffer, i: number, n: Buffer): boolean {
  if (i + n.length > b.length) return false;
  for (let j = 0; j < n.length; j++) if (b[i + j] !== n[j]) return false;
  return true;
}

/**
 * Offsets where a key (plain or encoded) may start, sorted; at most `limit`
 * of them (the rest of the input is not searched once the limit is reached).
 */
export function candidateOffsets(bytes: Uint8Array, limit = Infinity): number[] {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  const all = (n: Buffer) => {
    for (let i = b.indexOf(n); i !== -1 && out.length < limit; i = b.indexOf(n, i + 1)) out.push(i);
  };
  // "IA" serves AKIA, ASIA and ABIA in one native pass; ACCA needs its own.
  for (let i = b.indexOf(IA, 2); i !== -1 && out.length < limit; i = b.indexOf(IA, i + 1)) {
    const c1 = b[i - 1];
    if (b[i - 2] === 65 && (c1 === 75 || c1 === 83 || c1 === 66)) out.push(i - 2);
  }
  all(ACCA);
  // UTF-16 text has NULs from its start, like any binary (git's test: a NUL in the first 8000 bytes).
  if (out.length < limit && b.subarray(0, 8000).indexOf(0) !== -1) for (const p of UTF16_BYTES) all(p);
  for (const { anchor, needles } of ANCHORS) {
    for (let i = b.indexOf(anchor); i !== -1 && out.length < limit; i = b.indexOf(anchor, i + 1)) {
      for (const { n, at } of needles) {
        if (i >= at && matchesAt(b, i - at, n)) {
          out.push(i - at);
          break;
        }
      }
    }
  }
  return out.sort((x, y) => x - y);
}

export function mayContainKeyBytes(bytes: Uint8Array): boolean {
  return candidateOffsets(bytes, 1).length > 0;
}
