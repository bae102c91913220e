import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { startWorld, type World } from "../../src/sim/world.js";
import { envFile, eventually, expectInvariants, expectNoSecret, newKey, settle, startRig, type Rig } from "./harness.js";

// GitHub faults (issue #6): an issue deleted or locked under keyfence, a repository renamed, the
// installation suspended, a token expiring in the middle of a backfill. Each scenario checks the
// simulators' state at the end; the invariants (harness.ts) close the file.
describe("GitHub faults", () => {
  let rig: Rig;
  const leaked: ReturnType<typeof newKey>[] = [];
  const secrets: string[] = [];
  const BOT = "keyfence[bot]";
  const issuesOf = (repo: string, keyId: string) => rig.world.github.issues(rig.world.org, repo).filter((i) => i.title.includes(redactKeyId(keyId)));
  const push = (repo: string, file: string, k: { accessKeyId: string; secretAccessKey: string }) =>
    rig.world.github.push(rig.world.org, repo, { branch: "main", pusher: "dave", commits: [{ message: file, files: { [file]: envFile(k) } }] });
  const leak = async (repo: string, prefix: string) => {
    const k = newKey(rig, prefix);
    leaked.push(k);
    await push(repo, `${prefix}.env`, k);
    return k;
  };
  const rotated = (k: { accessKeyId: string }) =>
    rig.query<{ detail: string }>("select detail from actions where key_id = ? and action = 'rotation'", k.accessKeyId).map((a) => a.detail);

  beforeAll(async () => {
    // The sweep's scans wait 3 s: a push's own job (or its parking) comes first, whatever the load.
    rig = await startRig({ KEYFENCE_RECONCILE_INTERVAL: "2", KEYFENCE_RECONCILE_SCAN_DELAY_MS: "3000" });
  });
  afterAll(async () => rig?.close());

  it("an issue deleted: the key pushed again gets a fresh issue with the whole report; a rotation summary too, and it is closed", async () => {
    const { github, aws, org, repo } = rig.world;
    const k = await leak(repo, "deleted-a");
    const first = await eventually(() => issuesOf(repo, k.accessKeyId)[0], 30_000);
    github.deleteIssue(org, repo, first.number, "alice");

    await push(repo, "deleted-b.env", k);
    const second = await eventually(() => issuesOf(repo, k.accessKeyId).find((i) => i.number !== first.number), 30_000);
    await settle(rig);
    expect(second.user).toBe(BOT);
    expect(second.body).toContain("deleted-a.env");
    expect(second.body).toContain("deleted-b.env");
    expect(issuesOf(repo, k.accessKeyId).map((i) => i.number)).toEqual([second.number]);
    expect(rig.query("select number from issues where key_id = ?", k.accessKeyId)).toEqual([{ number: second.number }]);

    // The replacement is the key's issue from now on: the next push is a comment on it.
    await push(repo, "deleted-c.env", k);
    await eventually(() => issuesOf(repo, k.accessKeyId)[0]?.comments.some((c) => c.user === BOT && c.body.includes("deleted-c.env")), 30_000);
    expect(issuesOf(repo, k.accessKeyId)).toHaveLength(1);

    // Deleted while /rotate runs (the new key takes a while to authenticate): the summary gets a fresh issue, closed.
    aws.setKeyPropagation(1500);
    await github.comment(org, repo, second.number, "alice", "/rotate");
    await eventually(() => rotated(k).some((d) => d.startsWith("created ")), 30_000);
    github.deleteIssue(org, repo, second.number, "alice");
    const third = await eventually(() => issuesOf(repo, k.accessKeyId).find((i) => i.state === "closed"), 60_000);
    aws.setKeyPropagation(0);
    await settle(rig);
    expect(third.number).not.toBe(second.number);
    expect(third.state_reason).toBe("completed");
    expect(third.comments.filter((c) => c.user === BOT).map((c) => c.body).join("\n")).toMatch(/Rotation finished/);
    expect(issuesOf(repo, k.accessKeyId).map((i) => i.number)).toEqual([third.number]);
    expect(rig.query("select number from issues where key_id = ?", k.accessKeyId)).toEqual([{ number: third.number }]);
    expect(aws.key(k.accessKeyId)).toBeUndefined(); // the leaked key is deleted
    secrets.push(github.actionsSecret(org, repo, "AWS_SECRET_ACCESS_KEY")!);
  });

  it("an issue locked: what keyfence cannot comment goes into the issue's description; /rotate still finishes and closes it", async () => {
    const { github, org } = rig.world;
    const repo = "notes"; // a repository of its own: each rotation writes its repository's secrets
    await rig.addRepo(repo);
    const k = await leak(repo, "locked-a");
    const issue = await eventually(() => issuesOf(repo, k.accessKeyId)[0], 30_000);
    await settle(rig);
    github.lockIssue(org, repo, issue.number, "carol", "too heated");

    await push(repo, "locked-b.env", k);
    await eventually(() => issuesOf(repo, k.accessKeyId)[0]?.body.includes("locked-b.env"), 30_000);
    await settle(rig);
    // An admin may still comment on a locked conversation: /rotate.
    await github.comment(org, repo, issue.number, "alice", "/rotate");
    const done = await eventually(() => issuesOf(repo, k.accessKeyId).find((i) => i.state === "closed"), 60_000);
    await settle(rig);
    expect(issuesOf(repo, k.accessKeyId)).toHaveLength(1);
    expect(done).toMatchObject({ number: issue.number, locked: true, state_reason: "completed" });
    expect(done.body).toMatch(/locked-b\.env[\s\S]*Rotation finished/);
    expect(done.body.match(/This conversation is locked/g)).toHaveLength(2);
    expect(done.comments.filter((c) => c.user === BOT)).toEqual([]);
    secrets.push(github.actionsSecret(org, repo, "AWS_SECRET_ACCESS_KEY")!);
  });

  it("a repository renamed: a rotation under way follows GitHub's redirects; the key pushed again finds its issue under the new name", async () => {
    const { github, aws, org } = rig.world;
    await rig.addRepo("ledger");
    const k = await leak("ledger", "renamed-a");
    const issue = await eventually(() => issuesOf("ledger", k.accessKeyId)[0], 30_000);
    await settle(rig);

    aws.setKeyPropagation(1500);
    await github.comment(org, "ledger", issue.number, "alice", "/rotate");
    await eventually(() => rotated(k).some((d) => d.startsWith("created ")), 30_000);
    github.renameRepo(org, "ledger", "ledger-v2", "alice");
    rig.repos[rig.repos.indexOf("ledger")] = "ledger-v2";
    // The rotation's job names the old repository: its last comment and the close are redirected (307).
    await eventually(() => issuesOf("ledger-v2", k.accessKeyId)[0]?.state === "closed", 60_000);
    aws.setKeyPropagation(0);
    expect(github.requests.some((r) => r.status === 307 && r.path === `/api/v3/repos/${org}/ledger/issues/${issue.number}/comments`)).toBe(true);
    secrets.push(github.actionsSecret(org, "ledger-v2", "AWS_SECRET_ACCESS_KEY")!);

    // The webhook names the new repository: the records made under the old name follow it.
    await push("ledger-v2", "renamed-b.env", k);
    await eventually(() => issuesOf("ledger-v2", k.accessKeyId)[0]?.comments.some((c) => c.user === BOT && c.body.includes("renamed-b.env")), 30_000);
    await settle(rig);
    expect(issuesOf("ledger-v2", k.accessKeyId).map((i) => i.number)).toEqual([issue.number]);
    expect(rig.query("select repo, number from issues where key_id = ?", k.accessKeyId)).toEqual([{ repo: `${org}/ledger-v2`, number: issue.number }]);
    expect(rig.query("select distinct repo from findings where key_id = ?", k.accessKeyId)).toEqual([{ repo: `${org}/ledger-v2` }]);
    expect(rig.query("select repo from scanned_refs where repo like ?", `${org}/ledger%`).map((r) => r.repo)).toEqual([`${org}/ledger-v2`]);
  });

  it("the installation suspended: its job is parked, not retried to death; after unsuspend it runs, and the push GitHub never sent is swept", async () => {
    const { github, aws, org, installationId } = rig.world;
    await rig.addRepo("ops");
    await github.push(org, "ops", { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": "ops\n" } }] });
    await settle(rig);
    // The push job fails once (GitHub answers 403), and the installation is suspended before its retry.
    github.fail({ method: "GET", path: /\/repos\/acme\/ops\/commits\//, status: 403, times: 1 });
    const failed = () => rig.app!.records().filter((r) => r.msg === "job failed" && r.type === "push").length;
    const failedBefore = failed();
    const k1 = await leak("ops", "suspended-a");
    await eventually(() => failed() > failedBefore, 20_000);
    github.suspendInstallation(installationId);
    await eventually(() => rig.query("select 1 from parked_jobs where type = 'push'").length === 1, 20_000);
    const hooks = github.deliveries.length;
    const k2 = await leak("ops", "suspended-b"); // GitHub sends no webhook for a suspended installation
    await github.idle();
    expect(github.deliveries.slice(hooks).filter((d) => d.event === "push")).toEqual([]);
    await new Promise((r) => setTimeout(r, 2500)); // a reconciliation round: nothing to do while suspended
    expect(aws.key(k1.accessKeyId)?.status).toBe("Active");
    expect(rig.query("select type, state, attempts from jobs where type = 'push' and state != 'done'")).toEqual([]);
    // The push job, and any scan the reconciler had queued for the same push before the suspension.
    const parked = rig.query<{ type: string; installation_id: number }>("select type, installation_id from parked_jobs");
    expect(parked.map((p) => p.type)).toContain("push");
    expect(parked.every((p) => p.installation_id === installationId && ["push", "reconcile-ref"].includes(p.type))).toBe(true);

    github.unsuspendInstallation(installationId, "alice");
    for (const k of [k1, k2]) {
      await eventually(() => aws.key(k.accessKeyId)?.status === "Inactive", 30_000);
      await eventually(() => issuesOf("ops", k.accessKeyId).length === 1, 30_000);
    }
    await settle(rig);
    expect(rig.query("select * from parked_jobs")).toEqual([]);
    expect(rig.query("select count(*) as n from jobs where state = 'dead'")).toEqual([{ n: 0 }]);
    for (const k of [k1, k2]) expect(issuesOf("ops", k.accessKeyId)).toHaveLength(1);
  });

  it("ends with every invariant true and no secret written anywhere", async () => {
    await settle(rig);
    await expectInvariants(rig, leaked);
    expectNoSecret(rig.everything(), [...leaked.map((k) => k.secretAccessKey), ...secrets]);
  });
});

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// `keyfence backfill` over an organization, with the installation token expiring in the middle
// (the REST token while the second repository is handled, the git token of the third's fetch).
describe("GitHub faults: a token expiring mid-backfill", () => {
  let world: World;
  let dir: string;
  const REPOS = ["r1", "r2", "r3"];
  const keys: Array<{ accessKeyId: string; secretAccessKey: string }> = [];

  beforeAll(async () => {
    world = await startWorld();
    dir = mkdtempSync(join(tmpdir(), "kf-token-"));
    const { github, aws, org } = world;
    await github.push(org, "payments", { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": "payments\n" } }] });
    for (const r of REPOS) {
      await github.addRepo(org, r);
      github.setCollaborator(org, r, "dave", "write");
      aws.addUser(world.workloadAccount, `${r}-bot`);
      const k = aws.createAccessKey(world.workloadAccount, `${r}-bot`);
      keys.push(k);
      await github.push(org, r, { branch: "main", pusher: "dave", commits: [{ message: "history", files: { "ci.env": envFile(k) } }] });
    }
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refreshes the token for REST and for git, and scans every repository once", async () => {
    const { github, aws, org } = world;
    github.fail({ method: "GET", path: "/repos/acme/r2/issues", expireToken: true, times: 1 });
    github.fail({ path: /^\/acme\/r3\.git\/info\/refs$/, expireToken: true, times: 1 });
    const env: Record<string, string | undefined> = { ...process.env, ...world.env, KEYFENCE_DB: join(dir, "keyfence.db"), KEYFENCE_MIRRORS: join(dir, "mirrors"), LOG_LEVEL: "warn" };
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "backfill", "--org", org, "--concurrency", "1", "--format", "json", "--quiet"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number>((r) => child.on("close", (c) => r(c ?? -1)));
    expect(code, stderr).toBe(1); // live keys found, no repository failed

    // Both tokens did expire, and the next request with a fresh one went through.
    const statuses = (re: RegExp, method = "GET") => github.requests.filter((r) => r.method === method && re.test(r.path)).map((r) => r.status);
    const r2 = statuses(/^\/api\/v3\/repos\/acme\/r2\/issues$/);
    expect(r2[0]).toBe(401);
    expect(r2.at(-1)).toBe(200);
    const fetches = github.requests.filter((r) => r.path === "/acme/r3.git/info/refs" && r.query.includes("git-upload-pack")).map((r) => r.status);
    expect(fetches).toEqual([401, 200]);

    const db = new SQLite(join(dir, "keyfence.db"), { readonly: true });
    const rows = db.prepare("select repo, state, scans, findings from backfill_repos order by repo").all();
    db.close();
    expect(rows).toEqual([
      { repo: "acme/payments", state: "done", scans: 1, findings: 0 },
      ...REPOS.map((r) => ({ repo: `acme/${r}`, state: "done", scans: 1, findings: 1 })),
    ]);
    for (const [i, r] of REPOS.entries()) {
      expect(aws.key(keys[i]!.accessKeyId)?.status).toBe("Inactive");
      expect(github.issues(org, r)).toHaveLength(1);
    }
    expect(stdout + stderr).not.toContain(keys[0]!.secretAccessKey);
  }, 120_000);
});
