// Unified diffs for one file: rebuild the new side (context + added lines),
// scan it, keep keys on added lines, and report new-file line numbers.
import type { Finding } from "./types.js";
import { scanString } from "./engine.js";

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function scanPatchText(patch: string, path?: string): Finding[] {
  const lines = patch.split("\n");
  const text: string[] = [];
  const newLine: number[] = [];
  const added: boolean[] = [];
  let cur = -1;
  let sawHunk = false;
  for (const raw of lines) {
    const h = HUNK.exec(raw);
    if (h) {
      sawHunk = true;
      if (text.length > 0) {
        // keep hunks apart so pairing does not glue unrelated regions
        text.push("");
        newLine.push(-1);
        added.push(false);
      }
      cur = Number(h[1]);
      continue;
    }
    if (cur < 0) continue;
    const tag = raw[0];
    if (tag === "+" || tag === " " || raw === "") {
      text.push(raw.slice(1));
      newLine.push(cur);
      added.push(tag === "+");
      cur++;
    } else if (tag === "\\" || tag === "-") {
      continue;
    } else {
      cur = -1; // a new file header in a multi-file diff
    }
  }
  if (!sawHunk) {
    // Not a diff with hunks: treat '+' lines as the added text.
    let n = 0;
    for (const raw of lines) {
      if (raw.startsWith("+") && !raw.startsWith("+++")) {
        text.push(raw.slice(1));
        newLine.push(++n);
        added.push(true);
      }
    }
  }
  const findings = scanString(text.join("\n"), path);
  return findings
    .filter((f) => added[f.line - 1])
    .map((f) => ({ ...f, line: newLine[f.line - 1]! }));
}
