import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sinkEverything, sweep } from "../helpers/secret-sweep.js";

// "No secret anywhere" is checked over the whole suite: every harness drops what keyfence wrote and
// showed into the sink made by test/setup/no-secret-sweep.ts, swept once every file has run. These
// tests show that the sweep is on and that it finds what it must.
describe("the suite-wide no-secret sweep", () => {
  it("is on: this run's harnesses have a sink", () => {
    expect(process.env.KEYFENCE_TEST_LOG_SINK).toBeTruthy();
    expect(existsSync(process.env.KEYFENCE_TEST_LOG_SINK!)).toBe(true);
  });

  it("finds any 20 characters of an issued secret, at any offset, and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "kf-sweep-"));
    try {
      const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKY".replace("EXAMPLE", "SAMPLE1");
      sinkEverything(dir, `{"msg":"key deactivated","key":"AKIA…WXYZ"}\nsecret hash ${"f".repeat(64)}`, [secret]);
      expect(sweep(dir)).toMatchObject({ secrets: 1, hits: [] });
      sinkEverything(dir, `body: x${secret.slice(7, 27)}y`, []);
      const r = sweep(dir);
      expect(r.hits).toHaveLength(1);
      expect(r.hits[0]).toContain(secret.slice(7, 11));
      expect(r.hits[0]).not.toContain(secret.slice(7, 27));
      // 19 characters are not a hit.
      const fresh = mkdtempSync(join(tmpdir(), "kf-sweep-"));
      sinkEverything(fresh, `x${secret.slice(0, 19)}-`, [secret]);
      expect(sweep(fresh).hits).toEqual([]);
      rmSync(fresh, { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
