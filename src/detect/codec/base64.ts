// Base64 values (Kubernetes Secret data, encoded env files, …): only windows
// containing the base64 form of a key prefix are decoded, at any alignment.
import { Buffer } from "node:buffer";
import type { Codec } from "./types.js";
import { KEY_PREFIXES } from "../rules.js";
import { indexAll, rewriteMatches } from "./rewrite.js";

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
/** The same, base64-encoded twice (e.g. a Secret manifest inside base64-encoded Helm values). */
export const BASE64_NEEDLES_2: string[] = BASE64_NEEDLES.flatMap((n) => stableBase64(Buffer.from(n, "latin1")));

// A run, possibly wrapped over several lines (`base64` wraps at 76, PEM at 64).
const RUN = /[A-Za-z0-9+/_-]{16,}={0,2}(?:\r?\n[ \t]*[A-Za-z0-9+/_-]{4,}={0,2})*/g;
const WRAP = /\r?\n[ \t]*/g;

function printable(b: Uint8Array): boolean {
  let bad = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) bad++;
  }
  return bad === 0 || (b.length >= 64 && bad * 20 < b.length);
}

function decodeRun(run: string): { text: string; shift: number } | null {
  for (let shift = 0; shift < 4 && run.length - shift >= 16; shift++) {
    const body = run.slice(shift).replace(/=+$/, "");
    const usable = body.length - (body.length % 4 === 1 ? 1 : 0);
    const bytes = Buffer.from(body.slice(0, usable), "base64");
    if (printable(bytes)) return { text: bytes.toString("latin1"), shift };
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
    map.push(base + d.shift + Math.floor((j * 4) / 3));
  }
  return true;
}

/** A wrapped block decodes as one run when its lines (but the last) share one width; else line by line. */
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
  const width = pieces[0]!.text.length;
  const uniform = pieces.length > 1 && width >= 40 && pieces.slice(0, -1).every((p) => p.text.length === width);
  if (uniform) {
    const joined = pieces.map((p) => p.text).join("");
    const src: number[] = [];
    for (const p of pieces) for (let k = 0; k < p.text.length; k++) src.push(p.offset + k);
    const tmp: number[] = [];
    if (decodeAt(joined, 0, text, tmp)) {
      for (const t of tmp) map.push(m.index + src[Math.min(t, src.length - 1)]!);
      return { text: text.join(""), at: (j) => map[j]! };
    }
  }
  pieces.forEach((p, i) => {
    if (p.text.length >= 16 && decodeAt(p.text, m.index + p.offset, text, map)) changed = true;
    else for (let k = 0; k < p.text.length; k++) text.push(p.text[k]!), map.push(m.index + p.offset + k);
    const sep = seps[i];
    if (sep !== undefined) for (let k = 0; k < sep.length; k++) text.push(sep[k]!), map.push(m.index + p.offset + p.text.length + k);
  });
  return changed ? { text: text.join(""), at: (j) => map[j]! } : null;
}

export const base64: Codec = {
  name: "base64",
  triggers(text) {
    const out: number[] = [];
    for (const n of BASE64_NEEDLES) indexAll(text, n, out);
    for (const n of BASE64_NEEDLES_2) indexAll(text, n, out);
    return out.sort((a, b) => a - b);
  },
  decode(window) {
    // Identifiers and hex are in the base64 alphabet too, but rarely decode to text.
    return rewriteMatches(window, RUN, decodeBlock);
  },
};
