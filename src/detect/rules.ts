import type { FindingKind } from "./types.js";

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

/** 40 characters of the secret access key alphabet, not part of a longer run. */
export const secretRegex = (): RegExp =>
  new RegExp(`(?<![${B64}_\\-])[${B64}]{40}(?![${B64}=_\\-])`, "g");

/** STS session tokens are long base64 strings (hundreds of characters). */
export const sessionTokenRegex = (): RegExp =>
  new RegExp(`(?<![${B64}])[${B64}]{100,}={0,2}(?![${B64}=])`, "g");

/** Names under which a secret access key is usually written. */
export const SECRET_NAME =
  /(secret|^sk$|_sk$|password|passwd|^pass$|pwd|credential|private_?key|aws_?key$)/i;
export const TOKEN_NAME = /(session_?token|sessiontoken|security_?token|securitytoken|^token$|_token$|sts_?token)/i;
export const KEY_NAME = /(access_?key_?id|accesskeyid|access_?key$|aws_?key_?id|key_?id$)/i;
/** Names only an AWS secret access key goes by: they outrank `JWT_SECRET`, `password`… */
export const AWS_SECRET_NAME = /(secret[\s_.-]*access[\s_.-]*key|aws[\s_.-]*secret|secret[\s_.-]*key$|^secret[\s_.-]*key)/i;

/**
 * What sets a name apart from the others of its kind: `AWS_ACCESS_KEY_ID_BACKUP` and
 * `AWS_SECRET_ACCESS_KEY_BACKUP` both say BACKUP, `PROD_AWS_SECRET` says PROD, `JWT_SECRET` JWT.
 */
export function nameQualifier(name: string): string {
  return name.toUpperCase().replace(/AWS|ACCESS|SECRET|KEY|ID|[^A-Z0-9]/g, "");
}

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
export function isExampleKeyId(keyId: string): boolean {
  const body = keyId.slice(4);
  if (/[^A-Z0-9]/.test(body)) return true;
  if (PLACEHOLDER_WORDS.some((w) => body.includes(w))) return true;
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
