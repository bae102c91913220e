import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { eventually, startHarness, type Harness } from "../helpers/e2e.js";

// The shapes of push only a real git client makes: merges, renames, submodule bumps, deleted
// branches, tags, a file over 1 MB. Pushed with git to the GitHub simulator, as a developer would.
describe("push shapes made with git", () => {
  let h: Harness;
  let dir: string;
  let users = 0;
  const newKey = () => {
    const user = `git-${++users}`;
    h.world.aws.addUser(h.world.workloadAccount, user);
    return h.world.aws.createAccessKey(h.world.workloadAccount, user);
  };
  const envFile = (k: { accessKeyId: string; secretAccessKey: string }) => `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n`;
  const git = async (...args: string[]) =>
    (await promisify(execFile)("git", ["-c", "credential.helper=", "-c", "user.name=dave", "-c", "user.email=dave@example.invalid", ...args], { cwd: dir, maxBuffer: 1 << 26 })).stdout.trim();
  const url = () => h.world.github.authedCloneUrl(h.world.org, h.world.repo, "dave");
  const commit = async (files: Record<string, string>, message: string) => {
    for (const [p, c] of Object.entries(files)) writeFileSync(join(dir, p), c);
    await git("add", "-A");
    await git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD");
  };
  const push = async (...refspecs: string[]) => {
    await git("push", "-q", url(), ...refspecs);
    await h.world.github.idle();
  };
  const checkOf = (sha: string) => eventually(() => h.world.github.checkRuns(h.world.org, h.world.repo).find((c) => c.head_sha === sha && c.status === "completed"));
  const issuesAbout = (keyId: string) => h.world.github.issues(h.world.org, h.world.repo).filter((i) => i.title.includes(redactKeyId(keyId)));

  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), "kf-gitshapes-"));
    await git("init", "-q", "-b", "main");
    await commit({ "README.md": "hello\n" }, "init");
    await push("HEAD:refs/heads/main");
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await h?.close();
  });

  it("a key written only in a merge's conflict resolution is found in the merge commit", async () => {
    const k = newKey();
    await git("checkout", "-q", "-b", "feature");
    await commit({ "config.env": "REGION=eu-west-1\n" }, "feature config");
    await git("checkout", "-q", "main");
    await commit({ "config.env": "REGION=us-east-1\n" }, "main config");
    await git("merge", "-q", "feature", "-m", "merge").catch(() => undefined); // conflicts
    const merge = await commit({ "config.env": `REGION=us-east-1\n${envFile(k)}` }, "merge feature");
    expect((await git("rev-list", "--parents", "-n", "1", merge)).split(" ")).toHaveLength(3);
    await push("main:refs/heads/main");
    await checkOf(merge);
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    expect(issuesAbout(k.accessKeyId)).toHaveLength(1);
    expect(issuesAbout(k.accessKeyId)[0].body).toContain(merge.slice(0, 7));
  });

  it("a file over 1 MB (no patch from the API) with a key at its end", async () => {
    const k = newKey();
    const sha = await commit({ "big.log": `${"log line\n".repeat(140_000)}${envFile(k)}` }, "big log");
    await push("main:refs/heads/main");
    await checkOf(sha);
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    expect(issuesAbout(k.accessKeyId)[0].body).toContain("big.log");
  });

  it("a renamed file, a submodule bump, a tag and a deleted branch add no finding and no AWS call", async () => {
    const k = newKey();
    const first = await commit({ "keys.env": envFile(k) }, "keys");
    await push("main:refs/heads/main");
    await checkOf(first);
    expect(h.world.aws.key(k.accessKeyId)?.status).toBe("Inactive");
    const calls = h.world.aws.calls.length;

    await git("mv", "keys.env", "moved.env");
    await commit({}, "rename");
    // A gitlink (what a submodule bump changes) pointing at some commit; no .gitmodules needed to push it.
    await git("update-index", "--add", "--cacheinfo", `160000,${first},vendor/lib`);
    await git("commit", "-q", "-m", "submodule");
    const bumped = await git("rev-parse", "HEAD");
    await push("main:refs/heads/main", `${first}:refs/tags/v1`, `${first}:refs/heads/old`);
    await checkOf(bumped);
    expect(h.world.github.checkRuns(h.world.org, h.world.repo).find((c) => c.head_sha === bumped)?.conclusion).toBe("success");
    // Deleting a branch: the push event is answered and nothing is asked of GitHub or AWS. First let
    // the work of the three refs just pushed finish (no request to the simulator for 1.5 s).
    for (let n = -1; n !== h.world.github.requests.length; ) {
      n = h.world.github.requests.length;
      await new Promise((r) => setTimeout(r, 1500));
    }
    const ghRequests = h.world.github.requests.length;
    await push(":refs/heads/old");
    const deleted = h.world.github.deliveries.find((d) => d.event === "push" && (d.payload as { deleted?: boolean; ref?: string }).deleted && (d.payload as { ref?: string }).ref === "refs/heads/old");
    expect(deleted?.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.world.github.requests.slice(ghRequests).filter((r) => r.path.startsWith("/api/"))).toEqual([]);
    // Nothing was asked of AWS again: the moved key is the same key, already contained.
    expect(h.world.aws.calls.slice(calls).filter((c) => c.action === "UpdateAccessKey" || c.action === "GetAccessKeyInfo")).toEqual([]);
    expect(issuesAbout(k.accessKeyId)).toHaveLength(1);
    expect(h.app.records().filter((r) => Number(r.level) >= 50)).toEqual([]);
  });
});
