// The scan: find key IDs in the text, pair them, then let each codec decode the
// windows around its triggers and scan the result again (bounded depth).
import type { Finding, RawFinding } from "./types.js";
import { CODECS } from "./codec/index.js";
import { keyIdRegex, placeholderKeyRegex, KEY_PREFIXES, kindOf, isExampleKeyId } from "./rules.js";
import { pairKeys, windowsAround, type KeyHit } from "./pair.js";
import { accountFromKeyId } from "./account.js";
import { redactKeyId } from "./redact.js";
import { positionsOf } from "./lines.js";
import { indexAll } from "./codec/rewrite.js";

const HEX_BODY = /^[0-9A-F]{16}$/;

const MAX_DEPTH = 2;
const CODEC_LINES = 25;
const CODEC_CHARS = 8000;

function prefixOffsets(text: string): number[] {
  const out: number[] = [];
  for (const p of KEY_PREFIXES) indexAll(text, p, out);
  return out.sort((a, b) => a - b);
}

/** In the middle of a long base64 blob (`…x/AKIA…+y…`) a key-shaped run is chance, not a key. */
function insideBlob(text: string, start: number, end: number): boolean {
  const b = text.charCodeAt(start - 1);
  const a = text.charCodeAt(end);
  if (!((b === 43 || b === 47) && (a === 43 || a === 47))) return false;
  const alnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return alnum(text.charCodeAt(start - 2)) && alnum(text.charCodeAt(end + 1));
}

/**
 * In binary data a string's neighbour is often a type or length byte that happens to be a lower-case
 * letter (CPython's marshal writes `AKIA…` then `z`): there a key may be followed by one.
 */
const BINARY_KEY = new RegExp(keyIdRegex().source.replace("(?![A-Za-z0-9])", "(?![A-Z0-9])"), "y");

export function findKeys(text: string, offsets: number[]): KeyHit[] {
  const hits: KeyHit[] = [];
  const re = offsets.length > 0 && text.includes("\0") ? BINARY_KEY : new RegExp(keyIdRegex().source, "y");
  const ph = new RegExp(placeholderKeyRegex().source, "y");
  let lastEnd = -1;
  for (const o of offsets) {
    if (o < lastEnd) continue;
    re.lastIndex = o;
    let m = re.exec(text);
    if (!m) {
      ph.lastIndex = o;
      m = ph.exec(text);
      if (!m) continue;
    }
    lastEnd = o + 20;
    if (insideBlob(text, o, o + 20)) continue;
    // Uppercase hex that happens to start with a prefix (ACCA1F…): a hash, not a key.
    if (HEX_BODY.test(m[0].slice(4)) && !isExampleKeyId(m[0])) continue;
    hits.push({ keyId: m[0], offset: o });
  }
  return hits;
}

export function scanLayer(text: string, depth: number): RawFinding[] {
  const pOffsets = prefixOffsets(text);
  const out = pairKeys(text, findKeys(text, pOffsets));
  if (depth >= MAX_DEPTH) return out;
  const ctx = { prefixOffsets: pOffsets };
  for (const codec of CODECS) {
    const trig = codec.triggers(text, ctx);
    if (trig.length === 0) continue;
    for (const [s, e] of windowsAround(text, trig, CODEC_LINES, CODEC_CHARS)) {
      const d = codec.decode(text.slice(s, e));
      if (!d) continue;
      for (const r of scanLayer(d.text, depth + 1)) {
        const at = d.map[r.offset] ?? d.map[d.map.length - 1] ?? 0;
        out.push({ ...r, offset: s + at, encoding: r.encoding ? `${codec.name}+${r.encoding}` : codec.name });
      }
    }
  }
  return out;
}

function better(a: RawFinding, b: RawFinding): RawFinding {
  // Keep the plainest finding for position/encoding, the best-scored secret and any token.
  const base = (a.encoding?.length ?? 0) <= (b.encoding?.length ?? 0) ? a : b;
  const other = base === a ? b : a;
  const merged: RawFinding = { ...base };
  if (other.secret && (!base.secret || (other.secretCost ?? 1e9) < (base.secretCost ?? 1e9))) {
    merged.secret = other.secret;
    merged.secretCost = other.secretCost;
  }
  // A token read through a decoder (`\/`, `%2F`) is whole; the plain layer may hold only a piece.
  if (other.sessionToken && (!merged.sessionToken || other.sessionToken.length > merged.sessionToken.length)) merged.sessionToken = other.sessionToken;
  return merged;
}

export function mergeRaw(raws: RawFinding[]): RawFinding[] {
  raws.sort((a, b) => a.offset - b.offset || (a.encoding?.length ?? 0) - (b.encoding?.length ?? 0));
  const out: RawFinding[] = [];
  const byKey = new Map<string, number[]>(); // keyId → indexes in out
  for (const r of raws) {
    // Same key at (nearly) the same place, found through two codecs: one finding.
    const idx = byKey.get(r.keyId) ?? [];
    const j = idx.find((i) => Math.abs(out[i]!.offset - r.offset) <= 4);
    if (j === undefined) {
      idx.push(out.length);
      byKey.set(r.keyId, idx);
      out.push(r);
    } else out[j] = better(out[j]!, r);
  }
  // A key repeated in one text gets the secret found with its other occurrence.
  for (const idx of byKey.values()) {
    if (idx.length < 2) continue;
    const withSecret = idx.map((i) => out[i]!).find((o) => o.secret);
    const withToken = idx.map((i) => out[i]!).find((o) => o.sessionToken);
    for (const i of idx) {
      const r = out[i]!;
      if (!r.secret && withSecret) r.secret = withSecret.secret;
      if (!r.sessionToken && withToken) r.sessionToken = withToken.sessionToken;
    }
  }
  return out;
}

export function toFinding(r: RawFinding, line: number, column: number, path?: string): Finding {
  const f: Finding = { keyId: r.keyId, line, column, kind: kindOf(r.keyId), redacted: redactKeyId(r.keyId) };
  if (r.secret) f.secret = r.secret;
  if (r.sessionToken) f.sessionToken = r.sessionToken;
  if (path !== undefined) f.path = path;
  const acct = f.kind === "example" ? undefined : accountFromKeyId(r.keyId);
  if (acct) f.accountHint = acct;
  if (r.encoding) f.encoding = r.encoding;
  return f;
}

export function sortFindings(fs: Finding[]): Finding[] {
  return fs.sort((a, b) => a.line - b.line || a.column - b.column || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
}

/** Scan a whole text and resolve offsets to lines. `encoding` tags every finding (e.g. utf16 files). */
export function scanString(text: string, path?: string, encoding?: string): Finding[] {
  const raws = mergeRaw(scanLayer(text, 0));
  const pos = positionsOf(text, raws.map((r) => r.offset));
  return sortFindings(
    raws.map((r, i) => {
      if (encoding) r.encoding = r.encoding ? `${encoding}+${r.encoding}` : encoding;
      return toFinding(r, pos[i]!.line, pos[i]!.column, path);
    }),
  );
}
