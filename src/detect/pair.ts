// Pairs key IDs with secret access keys (and ASIA keys with session tokens)
// found near them: named candidates first, then the nearest plausible one.
import { Buffer } from "node:buffer";
import type { RawFinding } from "./types.js";
import { secretRegex, secretAfterKeyRegex, sessionTokenRegex, secretShape, isExampleKeyId, isExampleSecret } from "./rules.js";
import { SECRET_NAME, TOKEN_NAME, KEY_NAME, AWS_SECRET_NAME, nameQualifier, isForeignSecretName, isNotSessionToken, nameOf } from "./names.js";

export interface KeyHit {
  keyId: string;
  offset: number;
}

interface Candidate {
  value: string;
  example: boolean;
  offset: number;
  line: number;
  /** 2: a name only AWS secrets go by; 1: another secret name (or a table header); 0: none */
  named: 0 | 1 | 2;
  /** The name's qualifier (nameQualifier), when it was written just before the value. */
  qualifier?: string;
  /** Named like another service's secret (`DB_BACKUP_SECRET_KEY`): only for a key of this qualifier. */
  onlyFor?: string;
  weak: boolean;
}

const MAX_LINES = 25;
const MAX_CHARS = 6000;

/** Ranges of text around each (sorted) offset: ±maxLines lines, at most ±maxChars; merged. */
export function windowsAround(text: string, offsets: number[], maxLines = MAX_LINES, maxChars = MAX_CHARS): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const off of offsets) {
    const last = out[out.length - 1];
    const lo = Math.max(0, off - maxChars);
    let s = off;
    // Walk back line by line; stop early once inside the previous window (they merge anyway).
    for (let n = 0; n <= maxLines && s > lo; n++) {
      if (last && s <= last[1]) break;
      const nl = text.lastIndexOf("\n", s - 1);
      s = nl < lo ? lo : nl;
    }
    if (s > 0 && s < off && text.charCodeAt(s) === 10) s++;
    const hi = Math.min(text.length, off + maxChars);
    let e = off;
    for (let n = 0; n <= maxLines && e < hi; n++) {
      const nl = text.indexOf("\n", e);
      e = nl === -1 || nl >= hi ? hi : nl + 1;
    }
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * Where one record ends and the next begins, between a key and a candidate: a YAML list item, the
 * next object of an array, an INI section, a YAML document. A secret across one is another
 * record's (F2 of the probe: `- secret: S1\n  id: K1\n- secret: S2` pairs K1 with S1).
 */
const RECORD_START = /\n[ \t]*- |\}\s*,?\s*\{|\n[ \t]*\[[A-Za-z0-9 _.:-]{1,64}\][ \t]*\r?$|\n---/gm;

function lineStartsOf(text: string, from: number, to: number): number[] {
  const starts = [from];
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], off: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= off) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** CSV / markdown tables: is the cell at `at` under a header cell that names a secret? */
function headerNamesSecret(text: string, starts: number[], line: number, at: number, name: RegExp): boolean {
  const ls = starts[line]!;
  const prefix = text.slice(ls, at);
  const delim = prefix.includes("|") ? "|" : prefix.includes(",") ? "," : prefix.includes("\t") ? "\t" : "";
  if (!delim) return false;
  const col = prefix.split(delim).length - 1;
  for (let l = line - 1; l >= 0 && l >= line - 40; l--) {
    const row = text.slice(starts[l]!, (starts[l + 1] ?? text.length) - 1);
    if (!row.includes(delim)) continue;
    const cells = row.split(delim);
    if (cells.length <= col) continue;
    if (name.test(cells[col]!.trim().replace(/\s+/g, "_"))) return true;
    if (/[A-Za-z]/.test(row) && !/AKIA|ASIA/.test(row) && /id|key|name/i.test(row)) return false;
  }
  return false;
}

/** What a text is: NUL bytes make it binary; a hunk header makes it a diff (`@@@`: a merge's combined one). */
interface TextKind {
  binary: boolean;
  diff: boolean;
  combinedDiff: boolean;
}

function textKind(text: string): TextKind {
  const combinedDiff = text.startsWith("@@@ -") || text.includes("\n@@@ -");
  return { binary: text.includes("\0"), diff: combinedDiff || text.startsWith("@@ -") || text.includes("\n@@ -"), combinedDiff };
}

/** A 40-char run at `at` as a secret candidate, or undefined when its shape or name rules it out. */
function secretCandidate(text: string, value: string, at: number, starts: number[]): Candidate | undefined {
  const line = lineOf(starts, at);
  const { name, by } = nameOf(text, at, SECRET_NAME);
  const onlyFor = isForeignSecretName(name) ? sameRecordQualifier(by) : undefined;
  if (onlyFor === "") return undefined;
  const named: Candidate["named"] = by ? (AWS_SECRET_NAME.test(by.name) ? 2 : 1) : headerNamesSecret(text, starts, line, at, SECRET_NAME) ? 1 : 0;
  const sh = secretShape(value);
  if (sh.hex) return undefined;
  const classes = Number(sh.upper) + Number(sh.lower) + Number(sh.digit);
  // Random 40-char secrets use ~29 distinct chars; words, paths and identifiers far fewer.
  const distinct = new Set(value).size;
  if (named > 0 ? classes < 2 || distinct < 12 : !(sh.upper && sh.lower && sh.digit) || distinct < 20) return undefined;
  const qualifier = by?.direct ? nameQualifier(by.name) : undefined;
  return { value, offset: at, line, named, qualifier, onlyFor, weak: sh.slashes >= 3, example: isExampleSecret(value) };
}

/**
 * A foreign-sounding AWS-style name (`DB_BACKUP_SECRET_KEY`) still names the secret of a key
 * called the same way (`DB_BACKUP_ACCESS_KEY`): its qualifier, or "" when it names nothing of AWS.
 */
function sameRecordQualifier(by: { name: string; direct: boolean } | undefined): string {
  return by?.direct && AWS_SECRET_NAME.test(by.name) ? nameQualifier(by.name) : "";
}

/**
 * Base64 (or base64url) of 40 characters: 54 characters and `==`, a whole run, with the character
 * before it (a lookbehind would be tried at every position of a long base64 blob).
 */
const ENCODED_SECRET = /(?:^|[^A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{54}(?:==)?(?![A-Za-z0-9+/=_-])/g;
/** Where an encoded secret can be named at all (encodedSecretCandidate wants a name). */
const ENCODED_SECRET_NAMED = /secret|passw|\bpass\b|credential/i;
const isRunChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 95 || c === 45 || c === 61;

/**
 * A secret stored base64-encoded while its key is plain (a k8s Secret's `data:` next to a
 * ConfigMap, FileZilla's `<Pass encoding="base64">`): named ones only, unnamed base64 is anything.
 */
function encodedSecretCandidate(text: string, run: string, start: number, starts: number[]): Candidate | undefined {
  const skip = isRunChar(run.charCodeAt(0)) ? 0 : 1;
  const value = run.slice(skip);
  const at = start + skip;
  const decoded = Buffer.from(value, "base64").toString("latin1");
  if (!/^[A-Za-z0-9+/]{40}$/.test(decoded)) return undefined;
  const c = secretCandidate(text, decoded, at, starts);
  return c && c.named > 0 ? c : undefined;
}

function tokenCandidate(text: string, value: string, at: number, starts: number[]): Candidate | undefined {
  const line = lineOf(starts, at);
  const { name, by } = nameOf(text, at, TOKEN_NAME);
  if (isNotSessionToken(value, name, text, at)) return undefined;
  const named = by || headerNamesSecret(text, starts, line, at, TOKEN_NAME) ? 1 : 0;
  return { value, offset: at, line, named, qualifier: by?.direct ? nameQualifier(by.name) : undefined, weak: false, example: false };
}

/**
 * A session token hard-wrapped over lines (pasted into a note or a ticket): lines of one width but
 * the last, all base64, the first starting as STS tokens do. Only then: a wrapped PEM or MIME body
 * is no token.
 */
const WRAPPED_TOKEN = /(?<![A-Za-z0-9+/])(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz)[A-Za-z0-9+/]*(?:\r?\n[ \t]*[A-Za-z0-9+/]+={0,2}[ \t]*(?=\r?\n|$))+/g;

function wrappedToken(text: string, value: string, at: number, starts: number[]): Candidate | undefined {
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  const width = lines[0]!.length;
  let n = 1;
  while (n < lines.length && lines[n]!.length === width) n++;
  // The last line may be shorter; a line after it is not the token's.
  if (n < lines.length && lines[n]!.length < width) n++;
  const joined = lines.slice(0, n).join("");
  if (n < 2 || width < 40 || joined.length < 100) return undefined;
  return tokenCandidate(text, joined, at, starts);
}

/** Tokens on one line, and wrapped ones in place of the first line of each. */
function tokenCandidates(text: string, win: Array<[number, number]>, starts: number[]): Candidate[] {
  const wrapped = collect(text, WRAPPED_TOKEN, win, starts, wrappedToken);
  const at = new Set(wrapped.map((c) => c.offset));
  const single = collect(text, sessionTokenRegex(), win, starts, tokenCandidate).filter((c) => !at.has(c.offset));
  return [...single, ...wrapped].sort((a, b) => a.offset - b.offset);
}

type MakeCandidate = (text: string, value: string, at: number, starts: number[]) => Candidate | undefined;

/** `gate`: windows whose text fails it hold no candidate (a cheap test before a costly search). */
function collect(text: string, re: RegExp, win: Array<[number, number]>, starts: number[], make: MakeCandidate, gate?: RegExp): Candidate[] {
  const out: Candidate[] = [];
  for (const [s, e] of win) {
    // Run on the window (plus one char of context each side for the boundaries),
    // not on the whole text: a failing exec would otherwise search to its end.
    const from = Math.max(0, s - 1);
    const sub = text.slice(from, Math.min(text.length, e + 1));
    if (gate && !gate.test(sub)) continue;
    re.lastIndex = s - from;
    for (let m = re.exec(sub); m && m.index + from < e; m = re.exec(sub)) {
      const c = make(text, m[0], m.index + from, starts);
      if (c) out.push(c);
    }
  }
  return out;
}

/** A session token glued to the secret glued to an ASIA key (the next column of the row). */
const GLUED_TOKEN = /(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz)[A-Za-z0-9+/]{88,}={0,2}/y;

/**
 * Binary data only: values glued to the end of a key ID (`after` characters on: the columns of a
 * SQLite row), made candidates by `make` and merged in.
 */
function withGlued(text: string, keys: PairKey[], starts: number[], cands: Candidate[], re: RegExp, after: number, make: MakeCandidate): Candidate[] {
  const seen = new Set(cands.map((c) => c.offset));
  const glued: Candidate[] = [];
  for (const k of keys) {
    re.lastIndex = k.offset + k.keyId.length + after;
    const m = re.exec(text);
    const c = m ? make(text, m[0], m.index, starts) : undefined;
    if (c && !seen.has(c.offset)) glued.push(c);
  }
  return glued.length ? [...cands, ...glued].sort((a, b) => a.offset - b.offset) : cands;
}

/** The candidates with the encoded ones (encodedSecretCandidate) merged in, in text order. */
function withEncodedSecrets(cands: Candidate[], encoded: Candidate[]): Candidate[] {
  return encoded.length ? [...cands, ...encoded].sort((a, b) => a.offset - b.offset) : cands;
}

interface Edge {
  k: number;
  c: number;
  cost: number;
}

/** Index of the first element of the sorted `xs` that is >= v. */
function lowerBound(xs: number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a candidate's name costs it: a name only AWS secrets go by, another secret name, none. */
const NAME_COST = [150, 40, 0] as const;

type PairKey = KeyHit & { line: number; qualifier?: string };
/** Key index → its candidate and what the pairing cost. */
type Pairing = Map<number, { c: Candidate; cost: number }>;

function assign(keys: PairKey[], cands: Candidate[], records: number[]): Pairing {
  const edges: Edge[] = [];
  // Both lists are in text order; binary searches keep files with thousands of keys linear-ish.
  const keyOffs = keys.map((k) => k.offset);
  const candOffs = cands.map((c) => c.offset);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const keyExample = isExampleKeyId(key.keyId);
    for (let c = lowerBound(candOffs, key.offset - MAX_CHARS); c < cands.length; c++) {
      const cand = cands[c]!;
      if (cand.offset > key.offset + MAX_CHARS) break;
      const dl = Math.abs(cand.line - key.line);
      const dc = Math.abs(cand.offset - key.offset);
      if (dl > MAX_LINES || (cand.onlyFor !== undefined && cand.onlyFor !== key.qualifier)) continue;
      // A placeholder key has no real secret: a real-looking one near it belongs to something else.
      if (keyExample && !cand.example && cand.named < 2) continue;
      if (cand.offset < key.offset + key.keyId.length && cand.offset + cand.value.length > key.offset) continue;
      const lo = Math.min(cand.offset, key.offset);
      const hi = Math.max(cand.offset, key.offset);
      const between = lowerBound(keyOffs, hi) - lowerBound(keyOffs, lo + 1);
      const crossed = lowerBound(records, hi) - lowerBound(records, lo);
      const cost =
        dl * 10 +
        (dl === 0 ? Math.min(dc, 2000) / 200 : 0) +
        NAME_COST[cand.named] +
        (cand.offset < key.offset ? 2 : 0) +
        // `aws_secret_access_key = S1  ; replaces K2`: an unnamed key after a named secret is a remark
        (dl === 0 && cand.offset < key.offset && cand.qualifier !== undefined && key.qualifier === undefined ? 20 : 0) +
        between * 40 +
        crossed * 25 +
        // AWS_ACCESS_KEY_ID_BACKUP goes with AWS_SECRET_ACCESS_KEY_BACKUP, not with AWS_SECRET_ACCESS_KEY
        (key.qualifier !== undefined && cand.qualifier !== undefined && key.qualifier !== cand.qualifier ? 30 : 0) +
        (cand.weak ? 10 : 0) +
        // documentation secrets go with documentation keys
        (cand.example !== keyExample ? 100 : 0);
      edges.push({ k, c, cost });
    }
  }
  edges.sort((a, b) => a.cost - b.cost);
  const byKey: Pairing = new Map();
  const used = new Set<number>();
  for (const e of edges) {
    if (byKey.has(e.k) || used.has(e.c)) continue;
    byKey.set(e.k, { c: cands[e.c]!, cost: e.cost });
    used.add(e.c);
  }
  return byKey;
}

/** Offsets of the record starts (RECORD_START) in the windows, sorted. */
function recordStarts(text: string, win: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (const [s, e] of win) {
    const sub = text.slice(s, e);
    RECORD_START.lastIndex = 0;
    for (let m = RECORD_START.exec(sub); m; m = RECORD_START.exec(sub)) out.push(s + m.index);
  }
  return out;
}

/** Texts up to this size are searched whole for a key's secret written far from it. */
const FAR_TEXT = 256 << 10;

/**
 * A key still without a secret, and one secret under an AWS-only name further away than the
 * windows reach (`.s3cfg` sorts its settings: access_key on line 2, secret_key 60 lines down):
 * when each is the only one of its kind in the text, they are a pair. A secret under another
 * secret name (`secret:`) too, when only blank lines push it out of reach.
 */
function pairFarByName(text: string, kind: TextKind, keys: PairKey[], secretOf: Pairing): void {
  if (text.length > FAR_TEXT) return;
  const lone = keys.map((k, i) => i).filter((i) => !secretOf.has(i) && !isExampleKeyId(keys[i]!.keyId));
  if (lone.length !== 1) return;
  const key = keys[lone[0]!]!;
  const used = new Set([...secretOf.values()].map((v) => v.c.offset));
  const all = collect(text, secretRegex(kind), [[0, text.length]], lineStartsOf(text, 0, text.length), secretCandidate);
  const far = all.filter((c) => c.named > 0 && !c.example && c.onlyFor === undefined && !used.has(c.offset));
  const c = onlyFarSecret(text, key, far);
  if (c) secretOf.set(lone[0]!, { c, cost: 1000 });
}

function onlyFarSecret(text: string, key: PairKey, far: Candidate[]): Candidate | undefined {
  const aws = far.filter((c) => c.named === 2);
  if (aws.length > 0) return aws.length === 1 ? aws[0] : undefined;
  return far.length === 1 && filledLinesBetween(text, key.offset, far[0]!.offset) <= MAX_LINES ? far[0] : undefined;
}

/** Lines between offsets a and b that hold more than white space. */
function filledLinesBetween(text: string, a: number, b: number): number {
  const lines = text.slice(Math.min(a, b), Math.max(a, b)).split("\n");
  return lines.slice(1, -1).filter((l) => l.trim() !== "").length;
}

/**
 * The texts of a diff a line belongs to, as bits: a unified diff's old (1) and new (2) text; a
 * merge's combined diff's two parents (1, 2) and its result (4). A line marked `-` in some
 * columns is in those parents only; any other is in the result, and in each parent whose column
 * is not `+`.
 */
function versionsOf(text: string, starts: number[], line: number, columns: number): number {
  const marks = [...text.slice(starts[line]!, starts[line]! + columns).padEnd(columns)];
  if (marks.includes("-")) return marks.reduce((m, c, i) => (c === "-" ? m | (1 << i) : m), 0);
  return marks.reduce((m, c, i) => (c === "+" ? m : m | (1 << i)), 1 << columns);
}

/**
 * A diff holds several texts: the old one (removed and context lines) and the new one (added and
 * context lines), or a merge's parents and result. A rotated key goes with the secret of its own
 * text, and a context line's secret with a key of any; a context line's key takes the new text's
 * pairing.
 */
function assignInDiff(text: string, starts: number[], kind: TextKind, keys: PairKey[], cands: Candidate[], records: number[]): Pairing {
  const columns = kind.combinedDiff ? 2 : 1;
  const keyIn = keys.map((k) => versionsOf(text, starts, k.line, columns));
  const candIn = cands.map((c) => versionsOf(text, starts, c.line, columns));
  const out: Pairing = new Map();
  for (let v = 0; v <= columns; v++) {
    const ks = keys.map((_, i) => i).filter((i) => keyIn[i]! & (1 << v));
    const cs = cands.filter((_, i) => candIn[i]! & (1 << v));
    for (const [j, p] of assign(ks.map((i) => keys[i]!), cs, records)) out.set(ks[j]!, p);
  }
  return out;
}

/** Attach secrets and session tokens to the key hits of one text. */
export function pairKeys(text: string, hits: KeyHit[]): RawFinding[] {
  if (hits.length === 0) return [];
  const win = windowsAround(text, hits.map((h) => h.offset));
  const starts = lineStartsOf(text, 0, win[win.length - 1]![1]);
  const keys: PairKey[] = hits.map((h) => {
    const { name } = nameOf(text, h.offset, KEY_NAME);
    // The value is a key ID: any name with KEY or ACCESS in it is its name (`A_KEY`, `AccessKey`).
    return { ...h, line: lineOf(starts, h.offset), qualifier: KEY_NAME.test(name) || /key|access/i.test(name) ? nameQualifier(name) : undefined };
  });
  const records = recordStarts(text, win);
  const kind = textKind(text);
  const pair = (ks: PairKey[], cands: Candidate[]) => (kind.diff ? assignInDiff(text, starts, kind, ks, cands, records) : assign(ks, cands, records));
  let secrets = collect(text, secretRegex(kind), win, starts, secretCandidate);
  if (kind.binary) secrets = withGlued(text, keys, starts, secrets, secretAfterKeyRegex(), 0, secretCandidate);
  secrets = withEncodedSecrets(secrets, collect(text, ENCODED_SECRET, win, starts, encodedSecretCandidate, ENCODED_SECRET_NAMED));
  const secretOf = pair(keys, secrets);
  pairFarByName(text, kind, keys, secretOf);
  const temp = keys.map((k, i) => ({ k, i })).filter(({ k }) => k.keyId.startsWith("ASIA"));
  const tokenOf = new Map<number, string>();
  if (temp.length > 0) {
    let tokens = tokenCandidates(text, win, starts);
    if (kind.binary) tokens = withGlued(text, temp.map((t) => t.k), starts, tokens, GLUED_TOKEN, 40, tokenCandidate);
    const m = pair(temp.map((t) => t.k), tokens);
    for (const [j, v] of m) tokenOf.set(temp[j]!.i, v.c.value);
  }
  return keys.map((k, i) => {
    const f: RawFinding = { keyId: k.keyId, offset: k.offset };
    const s = secretOf.get(i);
    if (s) {
      f.secret = s.c.value;
      f.secretCost = s.cost;
    }
    const t = tokenOf.get(i);
    if (t) f.sessionToken = t;
    return f;
  });
}
