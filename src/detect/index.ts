import type { Finding, ScanOptions } from "./types.js";
import { scanString } from "./engine.js";
import { scanPatchText } from "./patch.js";
import { mayContainKey } from "./prefilter.js";
import { scanBytesWindowed } from "./windows.js";

export type { Finding, FindingKind, ScanOptions } from "./types.js";
export { redactKeyId } from "./redact.js";
export { accountFromKeyId } from "./account.js";
export { isExampleKeyId, isExampleSecret, kindOf, KEY_PREFIXES } from "./rules.js";
export { createStreamScanner, type StreamScanner } from "./stream.js";

export function scanText(text: string, opts: ScanOptions = {}): Finding[] {
  if (!mayContainKey(text)) return [];
  return scanString(text, opts.path);
}

export function scanBytes(bytes: Uint8Array, opts: ScanOptions = {}): Finding[] {
  return scanBytesWindowed(bytes, opts.path);
}

export function scanPatch(patch: string, opts: ScanOptions = {}): Finding[] {
  if (!mayContainKey(patch)) return [];
  return scanPatchText(patch, opts.path);
}
