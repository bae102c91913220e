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

const isB64 = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47;
/** Characters of the run looked at on each side of the key; a blob has at least BLOB_MIN there. */
const BLOB_SIDE = 32;
const BLOB_MIN = 16;

/** Up to BLOB_SIDE characters of the unbroken base64 run next to [start, end), on one side. */
function runBeside(text: string, start: number, end: number, dir: -1 | 1): string {
  let i = dir < 0 ? start : end;
  let n = 0;
  while (n < BLOB_SIDE && isB64(text.charCodeAt(dir < 0 ? i - 1 : i))) (i += dir), n++;
  return dir < 0 ? text.slice(i, start) : text.slice(end, i);
}

const letterCase = (c: number) => (c >= 65 && c <= 90 ? 1 : c >= 97 && c <= 122 ? 2 : 0);

/**
 * Random base64 switches between upper and lower case all the time (two neighbours are letters
 * of one case a third of the time); words (`alice/access`, `Projects/Downloads`) mostly do not.
 */
function randomLooking(s: string): boolean {
  let same = 0;
  for (let i = 1; i < s.length; i++) {
    const c = letterCase(s.charCodeAt(i));
    if (c !== 0 && c === letterCase(s.charCodeAt(i - 1))) same++;
  }
  return 2 * same < s.length - 1;
}

/**
 * In the middle of a long base64 blob (`…x/AKIA…+y…`) a key-shaped run is chance, not a key: the
 * key is then `+` or `/` on both sides and the run goes on for a while, random-looking. A path or
 * URL segment (`/users/alice/access-keys/AKIA…/deactivate`, `s3://bucket/AKIA…/x.json`) is a key.
 */
function insideBlob(text: string, start: number, end: number): boolean {
  const b = text.charCodeAt(start - 1);
  const a = text.charCodeAt(end);
  if (!((b === 43 || b === 47) && (a === 43 || a === 47))) return false;
  const before = runBeside(text, start, end, -1);
  const after = runBeside(text, start, end, 1);
  if (before.length < BLOB_MIN || after.length < BLOB_MIN) return false;
  return randomLooking(before + after);
}

/**
 * In binary data a string's neighbour is often a type or length byte that happens to be a lower-case
 * letter (CPython's marshal writes `AKIA…` then `z`): there a key may be followed by one.
 */
const BINARY_KEY = new RegExp(keyIdRegex().source.replace("(?![A-Za-z0-9])", "(?![A-Z0-9])"), "y");

/**
 * SQLite and other record formats write columns back to back (`etl` `AKIA…` `secret`): in binary
 * data a key may be glued to its secret after it, and to a lower-case letter before it (not to an
 * upper-case one or a digit: there the key's start is a guess). Only a 40-character run after it
 * that looks like a secret counts, not words, digits or more upper case (`kASIAPACIFIC…`).
 */
const GLUED_KEY = new RegExp(`(?:${KEY_PREFIXES.join("|")})[A-Z0-9]{16}(?=[A-Za-z0-9+/]{40})`, "y");

function gluedKey(text: string, o: number): RegExpExecArray | null {
  const b = text.charCodeAt(o - 1);
  if ((b >= 48 && b <= 57) || (b >= 65 && b <= 90)) return null;
  GLUED_KEY.lastIndex = o;
  const m = GLUED_KEY.exec(text);
  const after = text.slice(o + 20, o + 60);
  return m && /[a-z]/.test(after) && /[A-Z]/.test(after) && randomLooking(after) ? m : null;
}

export function findKeys(text: string, offsets: number[]): KeyHit[] {
  const hits: KeyHit[] = [];
  const binary = offsets.length > 0 && text.includes("\0");
  const re = binary ? BINARY_KEY : new RegExp(keyIdRegex().source, "y");
  const ph = new RegExp(placeholderKeyRegex().source, "y");
  let lastEnd = -1;
  for (const o of offsets) {
    if (o < lastEnd) continue;
    re.lastIndex = o;
    let m = re.exec(text) ?? (binary ? gluedKey(text, o) : null);
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
