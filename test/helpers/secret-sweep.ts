import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The suite-wide "no secret anywhere" check. Every harness, when it closes, drops into the sink
 * directory (KEYFENCE_TEST_LOG_SINK, made by test/setup/no-secret-sweep.ts) everything keyfence
 * wrote or made visible (each log line, the database files, every issue, comment and check run the
 * GitHub simulator holds) and every secret access key the AWS simulator issued, leaked or new.
 * After the last test file, `sweep` looks for any 20 consecutive characters of any of those secrets.
 */
let dropped = 0;
export function sinkEverything(sinkDir: string, text: string, secrets: string[]): void {
  const base = join(sinkDir, `${process.pid}-${++dropped}`);
  writeFileSync(`${base}.txt`, text + "\n");
  writeFileSync(`${base}.secrets`, secrets.map((s) => s + "\n").join(""));
}

export interface SweepResult {
  secrets: number;
  bytes: number;
  /** where a piece of a secret was seen: file and a 4-character hint, never the secret */
  hits: string[];
}

const PIECE = 20;

export function sweep(sinkDir: string): SweepResult {
  if (!existsSync(sinkDir)) return { secrets: 0, bytes: 0, hits: [] };
  const files = readdirSync(sinkDir);
  const secrets = new Set(files.filter((f) => f.endsWith(".secrets")).flatMap((f) => readFileSync(join(sinkDir, f), "utf8").split("\n").filter(Boolean)));
  // Every 20-character piece of every secret, at every offset.
  const pieces = new Map<string, string>();
  for (const s of secrets) for (let i = 0; i + PIECE <= s.length; i++) pieces.set(s.slice(i, i + PIECE), s.slice(i, i + 4));
  let bytes = 0;
  const hits: string[] = [];
  for (const f of files.filter((f) => f.endsWith(".txt"))) {
    const text = readFileSync(join(sinkDir, f), "latin1");
    bytes += text.length;
    // A piece can only sit inside a run of the characters secrets are made of.
    for (const run of text.match(/[A-Za-z0-9/+]{20,}/g) ?? []) {
      for (let i = 0; i + PIECE <= run.length; i++) {
        const hint = pieces.get(run.slice(i, i + PIECE));
        if (hint) hits.push(`${f}: …${hint}…`);
      }
    }
  }
  return { secrets: secrets.size, bytes, hits: [...new Set(hits)] };
}
