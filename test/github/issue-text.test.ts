import { describe, expect, it } from "vitest";
import { keyMarker, leakIssueBody, leakIssueTitle, type LeakReport } from "../../src/github/issue-text.js";

const keyId = "AKIA2E0A8F3B244C9986";
const report: LeakReport = {
  redactedKeyId: "AKIA…9986",
  marker: keyMarker(keyId),
  kind: "live-candidate",
  locations: [{ commitSha: "0123456789abcdef0123456789abcdef01234567", path: "config/`x`.env", line: 2, url: "https://github.example/o/r/commit/0123" }],
  accountId: "444455556666",
  userName: "deploy-bot",
  done: [{ what: "set the key to Inactive", at: new Date("2026-01-01T00:00:00Z") }],
  notDone: [],
  contained: true,
};

describe("the leak issue", () => {
  it("says where, whose, what was done and how to finish, without the full key ID", () => {
    const body = leakIssueBody(report);
    expect(leakIssueTitle(report)).toContain("AKIA…9986");
    expect(body).toContain("line 2");
    expect(body).toContain("444455556666");
    expect(body).toContain("deploy-bot");
    expect(body).toContain("set the key to Inactive");
    expect(body).toContain("/rotate");
    expect(body).toContain("filter-repo");
    expect(body).not.toContain(keyId);
    expect(body).toContain(report.marker);
  });
  it("hides the key behind a marker that does not reveal it", () => {
    expect(keyMarker(keyId)).not.toContain(keyId.slice(4));
    expect(keyMarker(keyId)).toBe(keyMarker(keyId));
    expect(keyMarker(keyId)).not.toBe(keyMarker("AKIA2E0A8F3B244C9987"));
  });
  it("explains what cannot be done for temporary keys and keys of other accounts", () => {
    expect(leakIssueBody({ ...report, kind: "temporary" })).toMatch(/cannot be deactivated/);
    const foreign = leakIssueBody({ ...report, contained: false, done: [], notDone: ["deactivation: not configured"] });
    expect(foreign).toMatch(/did not deactivate/);
    expect(foreign).toMatch(/Deactivate it/);
    expect(foreign).not.toMatch(/comments `\/rotate`/);
  });
});
