// Large inputs are not decoded whole: only windows around the prefilter's
// candidate offsets are, each wide enough for pairing and the codecs.
//
// Positions come from bytes, not from a window's text: the line is the count of LFs before the
// key, the column the UTF-16 code units between the line's start and the key, as they would be
// in the whole input decoded at once. So they do not depend on where a window (or a stream's
// block) starts. The input is read as UTF-8 when it all is (windows then start and end on
// character boundaries), otherwise as latin1, as small inputs are (decodeBytes).
import { Buffer, isUtf8 } from "node:buffer";
import type { Finding, RawFinding } from "./types.js";
import { candidateOffsets } from "./prefilter.js";
import { decodeBytes } from "./codec/plain.js";
import { utf16Bom } from "./codec/utf16.js";
import { mergeRaw, scanLayer, scanString, sortFindings, toFinding } from "./engine.js";
import { BytePositions, charStart } from "./lines.js";

/** Inputs up to this size are decoded whole. */
export const WHOLE = 256 << 10;
/** Bytes kept on each side of a candidate. */
const RADIUS = 24 << 10;
/** How far a window edge may move to reach a line boundary. */
const ALIGN = 4 << 10;
/** A candidate this far (or less) outside a region has a window reaching into it. */
const REACH = RADIUS + ALIGN + 16;
/**
 * Context a region needs on each side (see scanRegion): a window around a candidate REACH
 * outside the region ends another REACH further, plus a character boundary.
 */
export const CONTEXT = 64 << 10;
if (2 * REACH + 8 > CONTEXT) throw new Error("windows: CONTEXT too small");

const UTF8_BOM = (b: Uint8Array) => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

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
  let offs = candidateOffsets(b);
  if (offs.length === 0) return [];
  if (atStart && utf16Bom(b)) return scanBom(b, path);
  if (b.length <= WHOLE) {
    const d = decodeBytes(b, atStart);
    return scanString(d.text, path, d.encoding);
  }
  // A UTF-8 byte-order mark is not part of the text (nor of line 1's columns).
  const bom = atStart && UTF8_BOM(b) ? 3 : 0;
  const body = b.subarray(bom);
  if (bom) offs = offs.map((o) => o - bom).filter((o) => o >= 0);
  return scanRegion(body, { from: 0, to: body.length, utf8: isUtf8(body), offsets: offs }, path).map((l) => l.finding);
}

export interface Region {
  /** Keys found at offsets in [from, to) are reported; the rest of the buffer is context. */
  from: number;
  to: number;
  /** The text is UTF-8 (the buffer is valid UTF-8, cut at character boundaries); otherwise latin1. */
  utf8: boolean;
  /** Where b[0] is: 0-based line, UTF-16 units (bytes for latin1) and bytes before it on its line. */
  line?: number;
  column?: number;
  byteColumn?: number;
  /** The prefilter's candidates in the whole buffer, when already known. */
  offsets?: number[];
  /** Decode the buffer whole rather than by windows (by default: when it is small enough). */
  whole?: boolean;
}

export interface Located {
  finding: Finding;
  /** Byte offset of the key in the buffer. */
  offset: number;
  /** The finding's column in bytes (`finding.column` counts the text's UTF-16 units). */
  byteColumn: number;
}

/** Windows around the candidates, on line boundaries when near, merged; character-aligned for UTF-8. */
function windowsOf(b: Buffer, offs: number[], utf8: boolean): Array<[number, number]> {
  const wins: Array<[number, number]> = [];
  for (const o of offs) {
    let s = Math.max(0, o - RADIUS);
    let e = Math.min(b.length, o + RADIUS);
    const nl = s === 0 ? -1 : b.lastIndexOf(10, s);
    if (s > 0 && nl >= s - ALIGN) s = nl + 1;
    const nr = b.indexOf(10, e);
    e = nr !== -1 && nr <= e + ALIGN ? nr + 1 : e;
    if (utf8) {
      s = charStart(b, s);
      e = charStart(b, e);
    }
    const last = wins[wins.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else wins.push([s, e]);
  }
  return wins;
}

/**
 * Scans the keys found at byte offsets in [r.from, r.to) of `b`. The rest of `b` is context:
 * with CONTEXT bytes of it on each side (or the input's own ends), the region's findings are
 * those a scan of the whole input gives there, whatever it holds around (a key glued to what
 * follows or precedes it is no key). Findings come sorted, with positions as r says.
 */
export function scanRegion(b: Buffer, r: Region, path?: string): Located[] {
  let offs = r.offsets;
  if (!offs) {
    const lo = Math.max(0, r.from - REACH);
    offs = candidateOffsets(b.subarray(lo, Math.min(b.length, r.to + REACH)));
    if (lo > 0) offs = offs.map((o) => o + lo);
  }
  if (offs.length === 0) return [];
  const wins: Array<[number, number]> = (r.whole ?? b.length <= WHOLE) ? [[0, b.length]] : windowsOf(b, offs, r.utf8);
  const found: Array<{ raw: RawFinding; offset: number }> = [];
  for (const [s, e] of wins) {
    const text = r.utf8 ? decodeBytes(b.subarray(s, e), false).text : b.toString("latin1", s, e);
    const raws = mergeRaw(scanLayer(text, 0)).sort((x, y) => x.offset - y.offset);
    // Text offsets to byte offsets: the same but where a character takes more than one byte.
    const same = text.length === e - s;
    let t = 0;
    let at = s;
    for (const raw of raws) {
      if (same) at = s + raw.offset;
      else {
        at += Buffer.byteLength(text.slice(t, raw.offset));
        t = raw.offset;
      }
      if (at >= r.from && at < r.to) found.push({ raw, offset: at });
    }
  }
  const pos = new BytePositions(b, r.utf8, r.line, r.column, r.byteColumn);
  const out = found.map(({ raw, offset }): Located => {
    const p = pos.at(offset);
    return { finding: toFinding(raw, p.line, p.column, path), offset, byteColumn: p.byteColumn };
  });
  return out.sort(({ finding: a }, { finding: c }) => a.line - c.line || a.column - c.column || (a.keyId < c.keyId ? -1 : a.keyId > c.keyId ? 1 : 0));
}
