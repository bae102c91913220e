// The labelled corpus: every live/temporary key found, correctly paired, on the
// right line; nothing else reported as live.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { scanBytes, type Finding } from "../../src/detect/index.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/detect");

interface Label {
  keyId: string;
  line: number;
  kind: Finding["kind"];
  secret?: string;
  sessionToken?: string;
  accountHint?: string;
}
const labels = JSON.parse(readFileSync(join(DIR, "labels.json"), "utf8")) as {
  files: Record<string, { category: string; findings: Label[] }>;
};

const results = Object.entries(labels.files).map(([path, l]) => ({
  path,
  category: l.category,
  expected: l.findings,
  found: scanBytes(readFileSync(join(DIR, path)), { path }),
}));

describe("labelled corpus", () => {
  it("has a label for a good spread of categories", () => {
    expect(new Set(results.map((r) => r.category)).size).toBeGreaterThanOrEqual(15);
  });

  for (const r of results) {
    it(`${r.category}: ${r.path}`, () => {
      const simplify = (f: Finding | Label) => ({
        keyId: f.keyId,
        line: f.line,
        kind: f.kind,
        secret: f.secret,
        sessionToken: f.sessionToken,
        ...(f.accountHint ? { accountHint: f.accountHint } : {}),
      });
      const got = r.found.map(simplify);
      for (const e of r.expected) expect(got).toContainEqual(simplify(e));
      // No extra live findings (precision) and nothing negative/example reported as live.
      const extraLive = r.found.filter(
        (f) => f.kind !== "example" && !r.expected.some((e) => e.keyId === f.keyId && e.line === f.line),
      );
      expect(extraLive.map((f) => `${f.redacted}@${f.line}`)).toEqual([]);
    });
  }

  it("per-category recall of live/temporary keys is 100% and precision is 100%", () => {
    const byCat = new Map<string, { tp: number; fn: number; fp: number }>();
    for (const r of results) {
      const c = byCat.get(r.category) ?? { tp: 0, fn: 0, fp: 0 };
      for (const e of r.expected.filter((x) => x.kind !== "example")) {
        if (r.found.some((f) => f.keyId === e.keyId && f.kind === e.kind && f.line === e.line)) c.tp++;
        else c.fn++;
      }
      c.fp += r.found.filter((f) => f.kind !== "example" && !r.expected.some((e) => e.keyId === f.keyId && e.kind === f.kind)).length;
      byCat.set(r.category, c);
    }
    const bad = [...byCat].filter(([, c]) => c.fn > 0 || c.fp > 0);
    expect(bad).toEqual([]);
  });

  it("never reports an example key as live", () => {
    for (const r of results) for (const f of r.found) if (/EXAMPLE$|XXXX|0000/.test(f.keyId)) expect(f.kind).toBe("example");
  });
});
