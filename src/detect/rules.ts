// The shapes of AWS credentials: key ID prefixes and formats, secrets, session tokens, and what
// makes a key an example or placeholder rather than a live one.
import type { FindingKind } from "./types.js";
import { englishTrigrams } from "./trigrams.js";

/** Access key ID prefixes: long-term user keys, STS temporary keys, and two rarer key types. */
export const KEY_PREFIXES = ["AKIA", "ASIA", "ABIA", "ACCA"] as const;

const PREFIX_ALT = KEY_PREFIXES.join("|");

/** A key ID not inside a longer alphanumeric run (current and pre-2016 formats). */
export const keyIdRegex = (): RegExp =>
  new RegExp(`(?<![A-Za-z0-9])(?:${PREFIX_ALT})[A-Z0-9]{16}(?![A-Za-z0-9])`, "g");

/** Placeholders outside the key alphabet, e.g. `AKIAxxxxxxxxxxxxxxxx`: reported as examples. */
export const placeholderKeyRegex = (): RegExp =>
  new RegExp(`(?<![A-Za-z0-9])(?:${PREFIX_ALT})(?:x{16}|\\*{16}|_{16}|\\.{16})(?![A-Za-z0-9])`, "g");

/** Any prefix occurrence, even glued to other text (decoders look around these). */
export const prefixRegex = (): RegExp => new RegExp(PREFIX_ALT, "g");

const B64 = "A-Za-z0-9+/";

const SECRET_END = `(?![${B64}=_\\-])`;
/** After a secret; in binary data a lower-case type byte may follow (see secretRegex). */
const secretEnd = (binary?: boolean) => (binary ? `(?:${SECRET_END}|(?=[a-z]${SECRET_END}))` : SECRET_END);

/**
 * 40 characters of the secret access key alphabet, not part of a longer run.
 * `binary`: the text holds NUL bytes, where a string's neighbour is often a type byte that happens
 * to be a lower-case letter (CPython's marshal writes `z` after each string): one may follow.
 * `diff`: the text is a unified diff, where the `+`/`-` starting a line is no part of the value;
 * `combinedDiff`: a merge's combined diff, with two such columns (`++`, ` -`, `+ `).
 * Markdown emphasis (`_secret_`) is no part of it either, when a space or punctuation sets it off.
 */
export const secretRegex = (opts: { binary?: boolean; diff?: boolean; combinedDiff?: boolean } = {}): RegExp => {
  const body = `[${B64}]{40}`;
  const marker = opts.combinedDiff ? `\\n[+\\- ][+\\-]` : `\\n[+\\-]`;
  const before = opts.diff ? `(?:(?<![${B64}_\\-])|(?<=${marker}))` : `(?<![${B64}_\\-])`;
  const emphasis = `(?<=(?<![${B64}=_\\-])_)${body}(?=_(?![${B64}=_\\-]))`;
  return new RegExp(`${before}${body}${secretEnd(opts.binary)}|${emphasis}`, "g");
};

/**
 * A secret right where a key ID ends (sticky): in binary data a record's columns may be written
 * back to back (SQLite rows), so a key's secret can start without a separator and the next
 * column (a date, a session token) follow it at once: exactly 40 characters are taken.
 */
export const secretAfterKeyRegex = (): RegExp => new RegExp(`[${B64}]{40}`, "y");

/** STS session tokens are long base64 strings (hundreds of characters). */
export const sessionTokenRegex = (): RegExp =>
  new RegExp(`(?<![${B64}])[${B64}]{100,}={0,2}(?![${B64}=])`, "g");

const PLACEHOLDER_WORDS = [
  "EXAMPLE",
  "SAMPLE",
  "FAKE",
  "DUMMY",
  "TEST",
  "XXXX",
  "REDACTED",
  "PLACEHOLDER",
  "YOURKEY",
  "YOURACCESS",
  "YOURS",
  "CHANGEME",
  "MYKEY",
  "MYACCESS",
  "ACCESSKEY",
  "REPLACE",
  "INSERT",
  "QWERTY",
  "ASDFGH",
];

/**
 * Words placeholders are written with (`AKIANOTAREALKEYATALL`, `AKIAPUTYOURKEYIDHERE`). Any one of
 * them may turn up in a random key by chance, so they only count together (wordCover).
 */
const FILLER_WORDS = (
  "NOT NOTA REAL KEY KEYS KEYID ID AT ALL YOUR YOURS MY ACCESS HERE GOES THIS IS FAKE DUMMY SAMPLE " +
  "PLACEHOLDER CHANGE ME EXAMPLE TEST TESTS SECRET AWS INSERT REPLACE WITH PUT ENTER VALUE NONE NULL FOO BAR " +
  "BAZ DEMO MOCK STUB TODO FIXME INVALID BOGUS NO AN OF THE USER GO TO BE FOR AND ONLY JUST " +
  // Enum constants that read as a key: ASIA + PACIFICSOUTHEAST, ASIA + PACIFICNORTH…
  "PACIFIC SOUTH NORTH EAST WEST CENTRAL REGION ZONE"
).split(" ");
/** Of a key body's 16 characters, words must cover this many; random bodies reach 8 at most (500k tried). */
const WORD_COVER_MIN = 12;

/** How many characters of `body` non-overlapping FILLER_WORDS can cover (dynamic programming). */
function wordCover(body: string): number {
  const best = new Array<number>(body.length + 1).fill(0);
  for (let i = body.length - 1; i >= 0; i--) {
    best[i] = best[i + 1]!;
    for (const w of FILLER_WORDS) if (body.startsWith(w, i)) best[i] = Math.max(best[i]!, w.length + best[i + w.length]!);
  }
  return best[0]!;
}

/** Longest run of chars each `step` apart (0: repeated, 1: ascending) and where it ends. */
function longestRun(body: string, step: number): { len: number; end: number } {
  let best = { len: 1, end: 1 };
  let run = 1;
  for (let i = 1; i < body.length; i++) {
    run = body.charCodeAt(i) - body.charCodeAt(i - 1) === step ? run + 1 : 1;
    if (run > best.len) best = { len: run, end: i + 1 };
  }
  return best;
}

/**
 * True for AWS documentation keys and obvious placeholders. Current-format IDs
 * of small account numbers legitimately start with a run of `A`s, so repeated
 * characters only count when they reach the random tail of the ID.
 */
const exampleCache = new Map<string, boolean>();

/** Whether a key ID is AWS's documentation key or a placeholder (asked again and again while pairing). */
export function isExampleKeyId(keyId: string): boolean {
  let v = exampleCache.get(keyId);
  if (v === undefined) {
    if (exampleCache.size > 10_000) exampleCache.clear();
    exampleCache.set(keyId, (v = exampleBody(keyId.slice(4))));
  }
  return v;
}

function exampleBody(body: string): boolean {
  if (/[^A-Z0-9]/.test(body)) return true;
  if (PLACEHOLDER_WORDS.some((w) => body.includes(w))) return true;
  if (wordCover(body) >= WORD_COVER_MIN) return true;
  // An identifier made of words (`ASIAPACIFICCUSTOMERS`). 27 key bodies in 28 have a digit; of a
  // million random letter-only bodies one reached 11 common trigrams (of 14), 35 reached 9.
  if (!/[0-9]/.test(body) && englishTrigrams(body) >= 11) return true;
  if (new Set(body).size <= 4) return true;
  const rep = longestRun(body, 0);
  if (rep.len >= 6 && rep.end > body.length - 4) return true;
  if (longestRun(body, 1).len >= 6 || longestRun(body, -1).len >= 6) return true;
  return false;
}

export function isExampleSecret(secret: string): boolean {
  const up = secret.toUpperCase();
  if (up.includes("EXAMPLE") || up.includes("XXXXXX")) return true;
  return new Set(secret).size <= 6;
}

export function kindOf(keyId: string): FindingKind {
  if (isExampleKeyId(keyId)) return "example";
  return keyId.startsWith("ASIA") ? "temporary" : "live-candidate";
}

const HEX40 = /^[0-9a-fA-F]{40}$/;

/** Character classes of a secret candidate, used to tell real secrets from hashes and words. */
export function secretShape(s: string): { hex: boolean; upper: boolean; lower: boolean; digit: boolean; slashes: number } {
  let upper = false;
  let lower = false;
  let digit = false;
  let slashes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else if (c >= 48 && c <= 57) digit = true;
    else if (c === 47) slashes++;
  }
  return { hex: HEX40.test(s), upper, lower, digit, slashes };
}
