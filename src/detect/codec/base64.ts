// Base64 values (Kubernetes Secret data, encoded env files, …): only windows
// containing the base64 form of a key prefix are decoded, at any alignment.
import { Buffer } from "node:buffer";
import type { Codec } from "./types.js";
import { KEY_PREFIXES } from "../rules.js";
import { rewriteMatches } from "./rewrite.js";
import { NeedleSet } from "../needles.js";

/** The characters of base64(prefix) that do not depend on the neighbouring bytes, for each of the 3 alignments. */
export function stableBase64(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let align = 0; align < 3; align++) {
    const enc = (fill: number) => {
      const b = new Uint8Array(align + bytes.length + 3).fill(fill);
      b.set(bytes, align);
      return Buffer.from(b).toString("base64");
    };
    const a = enc(0x00);
    const b = enc(0xff);
    let best = "";
    let cur = "";
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) {
        cur += a[i];
        if (cur.length > best.length) best = cur;
      } else cur = "";
    }
    out.push(best);
  }
  return out;
}

export const BASE64_NEEDLES: string[] = KEY_PREFIXES.flatMap((p) => stableBase64(Buffer.from(p, "latin1")));
/** UTF-16LE text base64-encoded: PowerShell's -EncodedCommand, .NET's Convert.ToBase64String(Encoding.Unicode…). */
export const UTF16_BASE64_NEEDLES: string[] = KEY_PREFIXES.flatMap((p) => stableBase64(Buffer.from(p, "utf16le")));
/** The same, base64-encoded twice (e.g. a Secret manifest inside base64-encoded Helm values). */
export const BASE64_NEEDLES_2: string[] = BASE64_NEEDLES.flatMap((n) => stableBase64(Buffer.from(n, "latin1")));

/**
 * A needle as it reads when a wrapped block's line break falls inside it: LF or CRLF, or the same
 * escaped inside a JSON or code string (`\n`, `\r\n`: two or four characters).
 */
export function wrappedForms(n: string): string[] {
  const out: string[] = [];
  for (let k = 1; k < n.length; k++) for (const eol of ["\n", "\r\n", "\\n", "\\r\\n"]) out.push(n.slice(0, k) + eol + n.slice(k));
  return out;
}
export const WRAPPED_NEEDLES: string[] = [...BASE64_NEEDLES, ...BASE64_NEEDLES_2].flatMap(wrappedForms);
const NEEDLE_SET = new NeedleSet([...BASE64_NEEDLES, ...BASE64_NEEDLES_2, ...WRAPPED_NEEDLES, ...UTF16_BASE64_NEEDLES]);

// A run, possibly wrapped over several lines (`base64` wraps at 76, PEM at 64); the last line may
// be as short as 2 characters and its padding (`SAo=`). Inside a JSON or code string the line
// breaks are escaped: `\n` or `\r\n` as two or four characters.
const RUN = /[A-Za-z0-9+/_-]{16,}={0,2}(?:(?:\r?\n[ \t]*|(?:\\r)?\\n)(?:[A-Za-z0-9+/_-]{4,}={0,2}|[A-Za-z0-9+/_-]{2,3}={1,2}))*/g;
const WRAP = /\r?\n[ \t]*|(?:\\r)?\\n/g;

function printable(b: Uint8Array): boolean {
  let bad = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) bad++;
  }
  return bad === 0 || (b.length >= 64 && bad * 20 < b.length);
}

/** UTF-16LE text of the Latin-1 range: every other byte is zero (PowerShell's -EncodedCommand). */
function utf16le(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  let zeros = 0;
  for (let i = 1; i < b.length; i += 2) if (b[i] === 0) zeros++;
  return zeros * 10 >= (b.length >> 1) * 9 && printable(Buffer.from(b).subarray(0, b.length & ~1).filter((_, i) => i % 2 === 0));
}

/** The text a run decodes to; `width`: bytes per character (2 for UTF-16LE). */
function decodeRun(run: string): { text: string; shift: number; width: 1 | 2 } | null {
  for (let shift = 0; shift < 4 && run.length - shift >= 16; shift++) {
    const body = run.slice(shift).replace(/=+$/, "");
    const usable = body.length - (body.length % 4 === 1 ? 1 : 0);
    const bytes = Buffer.from(body.slice(0, usable), "base64");
    if (printable(bytes)) return { text: bytes.toString("latin1"), shift, width: 1 };
    if (utf16le(bytes)) return { text: bytes.subarray(0, bytes.length & ~1).toString("utf16le"), shift, width: 2 };
  }
  return null;
}

interface Piece {
  text: string;
  offset: number;
}

/** Decoded text for one run (offsets relative to the run), or null. */
function decodeAt(run: string, base: number, text: string[], map: number[]): boolean {
  const d = decodeRun(run);
  if (!d || d.text.length < 8) return false;
  for (let j = 0; j < d.text.length; j++) {
    text.push(d.text[j]!);
    map.push(base + d.shift + Math.floor((j * d.width * 4) / 3));
  }
  return true;
}

/**
 * A wrapped block: lines of one width (at least 40), the last one no longer. Found anywhere in a
 * run, so that a word before it (`CREDENTIALS-----` is in the alphabet too) or after it does not
 * keep it from decoding as one.
 */
function wrappedGroups(pieces: Piece[]): Array<[number, number]> {
  const groups: Array<[number, number]> = [];
  for (let i = 0; i < pieces.length; ) {
    const width = pieces[i]!.text.length;
    let j = i + 1;
    if (width >= 40) {
      while (j < pieces.length && pieces[j]!.text.length === width) j++;
      if (j < pieces.length && pieces[j]!.text.length < width) j++;
    }
    groups.push([i, j]);
    i = j;
  }
  return groups;
}

/** Decodes a run, wrapped over lines or not; null when no part of it decodes to text. */
function decodeBlock(m: RegExpExecArray): { text: string; at: (j: number) => number } | null {
  const pieces: Piece[] = [];
  const seps: string[] = [];
  let last = 0;
  WRAP.lastIndex = 0;
  for (let w = WRAP.exec(m[0]); w; w = WRAP.exec(m[0])) {
    pieces.push({ text: m[0].slice(last, w.index), offset: last });
    seps.push(w[0]);
    last = w.index + w[0].length;
  }
  pieces.push({ text: m[0].slice(last), offset: last });
  const text: string[] = [];
  const map: number[] = [];
  let changed = false;
  const keep = (from: number, s: string) => {
    for (let k = 0; k < s.length; k++) text.push(s[k]!), map.push(m.index + from + k);
  };
  for (const [i, j] of wrappedGroups(pieces)) {
    const group = pieces.slice(i, j);
    let joinedOk = false;
    if (group.length > 1) {
      const src: number[] = [];
      for (const p of group) for (let k = 0; k < p.text.length; k++) src.push(p.offset + k);
      const t: string[] = [];
      const at: number[] = [];
      if (decodeAt(group.map((p) => p.text).join(""), 0, t, at)) {
        for (let k = 0; k < t.length; k++) text.push(t[k]!), map.push(m.index + src[Math.min(at[k]!, src.length - 1)]!);
        joinedOk = changed = true;
      }
    }
    group.forEach((p, g) => {
      if (!joinedOk) {
        if (p.text.length >= 16 && decodeAt(p.text, m.index + p.offset, text, map)) changed = true;
        else keep(p.offset, p.text);
      }
      const sep = seps[i + g];
      // Inside a block decoded as one the breaks are gone; between blocks they stay.
      if (sep !== undefined && (!joinedOk || g === group.length - 1)) keep(p.offset + p.text.length, sep);
    });
  }
  return changed ? { text: text.join(""), at: (j) => map[j]! } : null;
}

export const base64: Codec = {
  name: "base64",
  triggers(text) {
    return NEEDLE_SET.find(text);
  },
  decode(window) {
    // Identifiers and hex are in the base64 alphabet too, but rarely decode to text.
    return rewriteMatches(window, RUN, decodeBlock);
  },
};
