// Large inputs are not decoded whole: only windows around the prefilter's
// candidate offsets are, each wide enough for pairing and the codecs.
import { Buffer } from "node:buffer";
import type { Finding } from "./types.js";
import { candidateOffsets } from "./prefilter.js";
import { decodeBytes } from "./codec/plain.js";
import { utf16Bom } from "./codec/utf16.js";
import { scanString, sortFindings } from "./engine.js";

/** Inputs up to this size are decoded whole. */
const WHOLE = 256 << 10;
/** Bytes kept on each side of a candidate. */
const RADIUS = 24 << 10;
/** How far a window edge may move to reach a line boundary. */
const ALIGN = 4 << 10;

function countNewlines(b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = b.indexOf(10, from); i !== -1 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Two bytes FE FF or FF FE start UTF-16 text, or by chance anything else (a binary, ASCII
 * behind a stray BOM): the bytes are read both ways, and a key only the raw reading finds is
 * kept too.
 */
function scanBom(b: Buffer, path?: string): Finding[] {
  const d = decodeBytes(b);
  const found = scanString(d.text, path, d.encoding);
  const ids = new Set(found.map((f) => f.keyId));
  const raw = scanBytesWindowed(b.subarray(2), path, false).filter((f) => !ids.has(f.keyId));
  return raw.length ? sortFindings([...found, ...raw]) : found;
}

/** `atStart`: the bytes begin the input, so a byte-order mark there means one. */
export function scanBytesWindowed(bytes: Uint8Array, path?: string, atStart = true): Finding[] {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offs = candidateOffsets(b);
  if (offs.length === 0) return [];
  if (atStart && utf16Bom(b)) return scanBom(b, path);
  if (b.length <= WHOLE) {
    const d = decodeBytes(b, atStart);
    return scanString(d.text, path, d.encoding);
  }
  const wins: Array<[number, number]> = [];
  for (const o of offs) {
    let s = Math.max(0, o - RADIUS);
    let e = Math.min(b.length, o + RADIUS);
    const nl = s === 0 ? -1 : b.lastIndexOf(10, s);
    if (s > 0 && nl >= s - ALIGN) s = nl + 1;
    const nr = b.indexOf(10, e);
    e = nr !== -1 && nr <= e + ALIGN ? nr + 1 : e;
    const last = wins[wins.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else wins.push([s, e]);
  }
  const out: Finding[] = [];
  let line = 0;
  let counted = 0;
  for (const [s, e] of wins) {
    line += countNewlines(b, counted, s);
    counted = s;
    const lineStart = s === 0 ? 0 : b.lastIndexOf(10, s - 1) + 1;
    const col = s - lineStart;
    const d = decodeBytes(b.subarray(s, e), atStart && s === 0);
    for (const f of scanString(d.text, path, d.encoding)) {
      out.push({ ...f, line: f.line + line, column: f.line === 1 ? f.column + col : f.column });
    }
  }
  return out;
}
