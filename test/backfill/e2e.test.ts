import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { startWorld, type World } from "../../src/sim/world.js";
import type { BackfillReport } from "../../src/cli/backfill.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Cli {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number>;
}

function cli(args: string[], env: Record<string, string>): Cli {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "backfill", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const c: Cli = { child, stdout: "", stderr: "", exit: undefined as unknown as Promise<number> };
  child.stdout!.on("data", (b: Buffer) => (c.stdout += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (c.stderr += b.toString()));
  c.exit = new Promise((r) => child.on("close", (code, signal) => r(code ?? (signal ? -1 : 0))));
  return c;
}

const cred = (k: { accessKeyId: string; secretAccessKey: string }) => `aws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`;

// An organization with years of history: keyfence installed afterwards, `keyfence backfill --org`
// interrupted (SIGKILL) after its first repository, then run again to the end.
describe("keyfence backfill --org over the simulators", () => {
  let world: World;
  let dir: string;
  let env: Record<string, string>;
  let shared: { accessKeyId: string; secretAccessKey: string };
  let prOnly: { accessKeyId: string; secretAccessKey: string };
  let removed: { accessKeyId: string; secretAccessKey: string };
  let prSha: string;
  let report: BackfillReport;
  let firstRunDone: string[];
  const REPOS = ["payments", "billing", "web", "infra", "docs"];

  beforeAll(async () => {
    world = await startWorld();
    dir = mkdtempSync(join(tmpdir(), "kf-backfill-e2e-"));
    env = { ...world.env, KEYFENCE_DB: join(dir, "keyfence.db"), KEYFENCE_MIRRORS: join(dir, "mirrors") };
    const { github, aws, org } = world;
    aws.addUser(world.workloadAccount, "ci-bot");
    aws.addUser(world.workloadAccount, "web-bot");
    shared = aws.createAccessKey(world.workloadAccount, world.deployUser);
    prOnly = aws.createAccessKey(world.workloadAccount, "web-bot");
    removed = aws.createAccessKey(world.workloadAccount, "ci-bot");
    for (const r of REPOS.slice(1)) {
      await github.addRepo(org, r, { private: r !== "web" });
      github.setCollaborator(org, r, "dave", "write");
    }
    // The webhook URL is not set: this history predates keyfence.
    const push = (repo: string, branch: string, commits: Array<{ message: string; files: Record<string, string | null> }>) =>
      github.push(org, repo, { branch, pusher: "dave", commits });
    await push("payments", "main", [
      { message: "init", files: { "README.md": "# payments\n" } },
      { message: "ci settings", files: { "ci/env.sh": `export REGION=eu-west-1\n${cred(shared)}` } },
      { message: "more", files: { "src/app.ts": "export const x = 1;\n" } },
    ]);
    await push("billing", "main", [
      { message: "init", files: { "README.md": "# billing\n" } },
      { message: "copy the CI settings", files: { "deploy/ci.env": cred(shared) } },
    ]);
    await push("web", "main", [{ message: "init", files: { "index.html": "<h1>hi</h1>\n" } }]);
    // A pull request whose branch was deleted: only refs/pull/1/head still reaches the key.
    const pr = await push("web", "feature/login", [{ message: "login config", files: { "config/login.yml": cred(prOnly) } }]);
    prSha = pr.after;
    const webDir = world.github.repoDir(org, "web");
    execFileSync("git", ["update-ref", "refs/pull/1/head", prSha], { cwd: webDir });
    execFileSync("git", ["update-ref", "-d", "refs/heads/feature/login"], { cwd: webDir });
    await push("infra", "main", [
      { message: "init", files: { "main.tf": "provider aws {}\n" } },
      { message: "oops", files: { "secrets.tfvars": cred(removed) } },
      { message: "remove secrets", files: { "secrets.tfvars": null } },
    ]);
    await push("docs", "main", [{ message: "init", files: { "index.md": "# docs\n" } }]);
  }, 60_000);

  afterAll(async () => {
    await world?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is killed after its first repository", async () => {
    const run = cli(["--org", world.org, "--concurrency", "1"], env);
    const deadline = Date.now() + 40_000;
    let exited = false;
    void run.exit.then(() => (exited = true));
    while (!/backfill [1-9]\/5 repositories/.test(run.stderr)) {
      if (Date.now() > deadline || exited) throw new Error(`no progress: ${run.stderr}${run.stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill("SIGKILL");
    await run.exit;
    const db = new SQLite(env.KEYFENCE_DB!, { readonly: true });
    const rows = db.prepare("select repo, state, scans from backfill_repos").all() as Array<{ repo: string; state: string; scans: number }>;
    db.close();
    firstRunDone = rows.filter((r) => r.state === "done").map((r) => r.repo);
    expect(rows).toHaveLength(5);
    expect(firstRunDone.length).toBeGreaterThanOrEqual(1);
    expect(firstRunDone.length).toBeLessThan(5);
  }, 60_000);

  it("run again, continues where it stopped: no repository scanned again once done", async () => {
    const run = cli(["--org", world.org, "--format", "json", "--concurrency", "2"], env);
    const code = await run.exit;
    expect(run.stderr).toMatch(/backfill 5\/5 repositories/);
    report = JSON.parse(run.stdout) as BackfillReport;
    expect(code).toBe(1); // live keys were found
    expect(report.repositories.map((r) => r.repo).sort()).toEqual(REPOS.map((r) => `${world.org}/${r}`).sort());
    expect(report.repositories.every((r) => r.state === "done")).toBe(true);
    for (const r of report.repositories) {
      // Done before the kill: scanned once. The one in flight when killed: at most twice.
      if (firstRunDone.includes(r.repo)) expect(r.scans).toBe(1);
      else expect(r.scans).toBeLessThanOrEqual(2);
    }
    expect(report.repositories.filter((r) => r.scans === 2).length).toBeLessThanOrEqual(1);
  }, 60_000);

  it("finds the key only in a closed pull request's ref, the removed one, and the shared one in both repositories", () => {
    const where = report.findings.map((f) => `${f.repo} ${f.path} ${f.key}`).sort();
    expect(where).toEqual(
      [
        `acme/billing deploy/ci.env ${redactKeyId(shared.accessKeyId)}`,
        `acme/infra secrets.tfvars ${redactKeyId(removed.accessKeyId)}`,
        `acme/payments ci/env.sh ${redactKeyId(shared.accessKeyId)}`,
        `acme/web config/login.yml ${redactKeyId(prOnly.accessKeyId)}`,
      ].sort(),
    );
    const pr = report.findings.find((f) => f.repo === "acme/web")!;
    expect(pr.commit).toBe(prSha);
    expect(pr.author).toBe("dave");
    const payments = report.findings.find((f) => f.repo === "acme/payments")!;
    expect(payments.line).toBe(2);
  });

  it("contains each key once, and opens one issue per key in each repository where it appears", () => {
    const { aws, github, org } = world;
    for (const k of [shared, prOnly, removed]) expect(aws.key(k.accessKeyId)?.status).toBe("Inactive");
    // Three keys, three deactivations: the key shared by two repositories was contained once.
    expect(aws.calls.filter((c) => c.action === "UpdateAccessKey" && c.ok)).toHaveLength(3);
    const issuesOf = (repo: string) => github.issues(org, repo);
    for (const repo of ["payments", "billing"]) {
      const issues = issuesOf(repo);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.title).toContain(redactKeyId(shared.accessKeyId));
    }
    expect(issuesOf("web")).toHaveLength(1);
    expect(issuesOf("web")[0]!.body).toContain("config/login.yml");
    expect(issuesOf("infra")).toHaveLength(1);
    expect(issuesOf("docs")).toHaveLength(0);
    expect(report.findings.every((f) => f.keyState === "contained" && f.issue !== null)).toBe(true);
    // Secrets never reach GitHub.
    const text = REPOS.flatMap((r) => issuesOf(r).flatMap((i) => [i.title, i.body, ...i.comments.map((c) => c.body)])).join("\n");
    for (const k of [shared, prOnly, removed]) {
      expect(text).not.toContain(k.secretAccessKey);
      expect(text).not.toContain(k.accessKeyId);
    }
  });

  it("a third run does nothing: no scan, no issue, no AWS call", async () => {
    const calls = world.aws.calls.length;
    const run = cli(["--org", world.org, "--format", "sarif", "--quiet"], env);
    expect(await run.exit).toBe(1);
    const sarif = JSON.parse(run.stdout) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
    const uris = sarif.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri).sort();
    expect(uris).toEqual(["acme/billing/deploy/ci.env", "acme/infra/secrets.tfvars", "acme/payments/ci/env.sh", "acme/web/config/login.yml"]);
    expect(run.stdout).not.toContain(shared.accessKeyId);
    expect(world.aws.calls.length).toBe(calls);
    const db = new SQLite(env.KEYFENCE_DB!, { readonly: true });
    const scans = db.prepare("select sum(scans) as n from backfill_repos").get() as { n: number };
    db.close();
    expect(scans.n).toBeLessThanOrEqual(6);
    for (const r of REPOS) expect(world.github.issues(world.org, r).length).toBeLessThanOrEqual(1);
  }, 60_000);

  it("--repo with --mode report: records and tells, but leaves the key active", async () => {
    const { github, aws, org } = world;
    aws.addUser(world.workloadAccount, "sandbox-bot");
    const k = aws.createAccessKey(world.workloadAccount, "sandbox-bot");
    await github.addRepo(org, "sandbox", { private: true });
    github.setCollaborator(org, "sandbox", "dave", "write");
    await github.push(org, "sandbox", { branch: "main", pusher: "dave", commits: [{ message: "try", files: { "try.sh": cred(k) } }] });
    const run = cli(["--repo", `${org}/sandbox`, "--mode", "report", "--format", "csv", "--quiet"], env);
    expect(await run.exit).toBe(1);
    const [head, ...rows] = run.stdout.trim().split("\n");
    expect(head).toBe("repo,path,line,column,commit,author,date,kind,key,keyState,issue");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^acme\/sandbox,try\.sh,1,\d+,[0-9a-f]{40},dave,[^,]+,live-candidate,AKIA…\w{4},found,1$/);
    expect(aws.key(k.accessKeyId)?.status).toBe("Active");
    expect(github.issues(org, "sandbox")).toHaveLength(1);
    expect(github.issues(org, "sandbox")[0]!.body).toMatch(/report/);
  }, 60_000);
});
