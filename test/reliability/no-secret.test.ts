import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The whole e2e suite run with a log sink: every log line of every keyfence process, the database
 * files, and every issue, comment and check run the simulator saw are appended to one file, with
 * every secret access key the AWS simulator ever issued (leaked and new) to another. Not one
 * secret, nor any 20-character piece of one, may appear. Several minutes: with KEYFENCE_SLOW_TESTS=1
 * (each reliability file already checks its own scenarios the same way, always).
 */
describe("no secret anywhere, across the whole e2e suite", () => {
  it.runIf(!!process.env.KEYFENCE_SLOW_TESTS)("zero hits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kf-sink-"));
    const sink = join(dir, "sink.txt");
    try {
      const code = await new Promise<number | null>((r) => {
        const c = spawn(join(ROOT, "node_modules/.bin/vitest"), ["run", "test/e2e", "test/reliability/missed-webhooks.test.ts", "test/reliability/attack.test.ts"], {
          cwd: ROOT,
          env: { ...process.env, KEYFENCE_TEST_LOG_SINK: sink, KEYFENCE_SLOW_TESTS: "" },
          stdio: "ignore",
        });
        c.on("close", r);
      });
      expect(code).toBe(0);
      expect(existsSync(sink)).toBe(true);
      const text = readFileSync(sink, "latin1");
      const secrets = [...new Set(readFileSync(`${sink}.secrets`, "utf8").split("\n").filter(Boolean))];
      expect(secrets.length).toBeGreaterThan(20);
      expect(text.length).toBeGreaterThan(100_000);
      const hits: string[] = [];
      for (const s of secrets) {
        for (let i = 0; i + 20 <= s.length; i += 4) if (text.includes(s.slice(i, i + 20))) hits.push(`…${s.slice(i, i + 4)}…`);
      }
      expect(hits).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
