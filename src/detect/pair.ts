// Pairs key IDs with secret access keys (and ASIA keys with session tokens)
// found near them: named candidates first, then the nearest plausible one.
import type { RawFinding } from "./types.js";
import { SECRET_NAME, TOKEN_NAME, KEY_NAME, AWS_SECRET_NAME, nameQualifier, secretRegex, sessionTokenRegex, secretShape, isExampleKeyId, isExampleSecret } from "./rules.js";

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

const SEP = /[\s"'`:=,(>\[{|*$]/;
const IDENT = /[A-Za-z0-9_.\-]/;
/** Spelled-out names: "Secret access key", "AWS Secret Access Key [None]:", "**Secret key**". */
const LOOSE_SECRET = /secret[\s_-]*(?:access[\s_-]*)?key|secretkey/i;

/** The identifier written just before position `at` on the same line, e.g. `aws_secret_access_key = `. */
export function nameBefore(text: string, at: number): string {
  let i = at - 1;
  const stop = Math.max(0, at - 24);
  while (i >= stop && SEP.test(text[i]!) && text[i] !== "\n") i--;
  const end = i + 1;
  const min = Math.max(0, end - 64);
  while (i >= min && IDENT.test(text[i]!)) i--;
  return text.slice(i + 1, end);
}

/**
 * The name the text just before `at` gives a value of this kind (same line, or the line above for
 * a value alone on its line), or undefined. `direct`: written right before it (`name = value`).
 */
function namedBefore(text: string, at: number, isName: RegExp): { name: string; direct: boolean } | undefined {
  const nm = nameBefore(text, at);
  if (isName.test(nm) && (!KEY_NAME.test(nm) || /secret/i.test(nm))) return { name: nm, direct: true };
  if (isName !== SECRET_NAME) return undefined;
  const seg = text.slice(Math.max(0, at - 40), at);
  let line = seg.slice(seg.lastIndexOf("\n") + 1);
  // A value alone on its line takes its name from the line above ("Secret access key:\n  wJal…",
  // or a YAML block scalar: "secret_access_key: >-\n  wJal…").
  if (/^[\s"'`]*$/.test(line)) {
    const ls = at - line.length - 1;
    if (ls > 0) line = text.slice(Math.max(0, text.lastIndexOf("\n", ls - 1) + 1, ls - 60), ls);
    if (!/[:=]\s*(?:[|>][-+]?)?\s*$/.test(line)) return undefined;
  }
  // …but not when another value sits in between ("secret: X, other: <candidate>").
  const from = line.search(LOOSE_SECRET);
  if (from === -1 || /[A-Za-z0-9+/]{16,}[^A-Za-z0-9+/]+\S*$/.test(line.slice(from))) return undefined;
  return { name: line.slice(from).replace(/[\s:=|>+-]+$/, ""), direct: false };
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

function collect(text: string, re: RegExp, win: Array<[number, number]>, starts: number[], isName: RegExp, isSecret: boolean): Candidate[] {
  const out: Candidate[] = [];
  for (const [s, e] of win) {
    // Run on the window (plus one char of context each side for the boundaries),
    // not on the whole text: a failing exec would otherwise search to its end.
    const from = Math.max(0, s - 1);
    const sub = text.slice(from, Math.min(text.length, e + 1));
    re.lastIndex = s - from;
    for (let m = re.exec(sub); m && m.index + from < e; m = re.exec(sub)) {
      const value = m[0];
      const at = m.index + from;
      const line = lineOf(starts, at);
      const by = namedBefore(text, at, isName);
      const named: Candidate["named"] = by ? (AWS_SECRET_NAME.test(by.name) ? 2 : 1) : headerNamesSecret(text, starts, line, at, isName) ? 1 : 0;
      let weak = false;
      if (isSecret) {
        const sh = secretShape(value);
        if (sh.hex) continue;
        const classes = Number(sh.upper) + Number(sh.lower) + Number(sh.digit);
        // Random 40-char secrets use ~29 distinct chars; words, paths and identifiers far fewer.
        const distinct = new Set(value).size;
        if (named > 0 ? classes < 2 || distinct < 12 : !(sh.upper && sh.lower && sh.digit) || distinct < 20) continue;
        weak = sh.slashes >= 3;
      }
      out.push({ value, offset: at, line, named, qualifier: by?.direct ? nameQualifier(by.name) : undefined, weak, example: isSecret && isExampleSecret(value) });
    }
  }
  return out;
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

function assign(keys: PairKey[], cands: Candidate[], records: number[]): Map<number, { c: Candidate; cost: number }> {
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
      if (dl > MAX_LINES) continue;
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
  const byKey = new Map<number, { c: Candidate; cost: number }>();
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
 * when each is the only one of its kind in the text, they are a pair.
 */
function pairFarByName(text: string, keys: PairKey[], secretOf: Map<number, { c: Candidate; cost: number }>): void {
  if (text.length > FAR_TEXT) return;
  const lone = keys.map((k, i) => i).filter((i) => !secretOf.has(i) && !isExampleKeyId(keys[i]!.keyId));
  if (lone.length !== 1) return;
  const used = new Set([...secretOf.values()].map((v) => v.c.offset));
  const all = collect(text, secretRegex(), [[0, text.length]], lineStartsOf(text, 0, text.length), SECRET_NAME, true);
  const far = all.filter((c) => c.named === 2 && !c.example && !used.has(c.offset));
  if (far.length === 1) secretOf.set(lone[0]!, { c: far[0]!, cost: 1000 });
}

/** Attach secrets and session tokens to the key hits of one text. */
export function pairKeys(text: string, hits: KeyHit[]): RawFinding[] {
  if (hits.length === 0) return [];
  const win = windowsAround(text, hits.map((h) => h.offset));
  const starts = lineStartsOf(text, 0, win[win.length - 1]![1]);
  const keys: PairKey[] = hits.map((h) => {
    const name = nameBefore(text, h.offset);
    return { ...h, line: lineOf(starts, h.offset), qualifier: KEY_NAME.test(name) ? nameQualifier(name) : undefined };
  });
  const records = recordStarts(text, win);
  const secrets = collect(text, secretRegex(), win, starts, SECRET_NAME, true);
  const secretOf = assign(keys, secrets, records);
  pairFarByName(text, keys, secretOf);
  const temp = keys.map((k, i) => ({ k, i })).filter(({ k }) => k.keyId.startsWith("ASIA"));
  const tokenOf = new Map<number, string>();
  if (temp.length > 0) {
    const tokens = collect(text, sessionTokenRegex(), win, starts, TOKEN_NAME, false);
    const m = assign(temp.map((t) => t.k), tokens, records);
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
