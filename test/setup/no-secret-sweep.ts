import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sweep } from "../helpers/secret-sweep.js";

/**
 * Global setup: a sink for every harness of this run, swept for secrets once every file has run
 * (test/helpers/secret-sweep.ts). A hit fails the run.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "kf-sink-"));
  process.env.KEYFENCE_TEST_LOG_SINK = dir;
  return () => {
    const r = sweep(dir);
    rmSync(dir, { recursive: true, force: true });
    if (r.hits.length > 0) {
      // Vitest reports an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`no-secret sweep: ${r.hits.length} piece(s) of issued secrets found in what keyfence wrote or showed: ${r.hits.slice(0, 20).join(", ")}`);
    }
    if (r.secrets > 0) console.log(`no-secret sweep: ${r.secrets} secrets issued, ${(r.bytes / 1048576).toFixed(1)} MiB of logs, databases and GitHub text searched, 0 hits`);
  };
}
