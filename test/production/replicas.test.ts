import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppProcess, type AppProcess } from "../../src/sim/app-process.js";
import { startWorld, type World } from "../../src/sim/world.js";
import { eventually } from "../helpers/e2e.js";
import { pgSchema } from "../helpers/stores.js";

// Three keyfence processes on loopback share one PostgreSQL (store and pg-boss). Webhooks are
// spread across them, every one is redelivered to a different replica, and one replica is killed
// (SIGKILL) right after it accepted a push. The simulators must show every effect exactly once.
const N = 4;

describe("three replicas on one PostgreSQL", () => {
  let world: World;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let dir: string;
  const apps: AppProcess[] = [];
  let live: AppProcess[] = [];
  const keys: Array<{ user: string; repo: string; accessKeyId: string; secretAccessKey: string }> = [];
  const hook = (a: AppProcess) => `${a.url}/api/github/webhooks`;
  const replicaOf = (url: string | undefined) => apps.find((a) => url === hook(a));

  beforeAll(async () => {
    world = await startWorld();
    db = await pgSchema();
    dir = mkdtempSync(join(tmpdir(), "keyfence-replicas-"));
    const { github, aws, org, workloadAccount } = world;
    for (let i = 0; i < N; i++) {
      const repo = `svc-${i}`;
      await github.addRepo(org, repo);
      github.setCollaborator(org, repo, "alice", "admin");
      github.setCollaborator(org, repo, "dave", "write");
      await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": `# ${repo}\n` } }] });
      const user = `svc-${i}-deployer`;
      aws.addUser(workloadAccount, user);
      keys.push({ user, repo, ...aws.createAccessKey(workloadAccount, user) });
    }
    await github.idle();
    const env = (i: number) => ({
      ...world.env,
      DATABASE_URL: db.url,
      KEYFENCE_MIRRORS: join(dir, `mirrors-${i}`),
      // A job held by a killed replica is taken over within seconds, not minutes.
      KEYFENCE_JOB_TIMEOUT: "25",
      KEYFENCE_QUEUE_POLL_MS: "100",
    });
    // All three start at once: migrations and pg-boss's schema are created by whichever is first.
    apps.push(...(await Promise.all([0, 1, 2].map((i) => startAppProcess(env(i))))));
    live = [...apps];
  }, 60_000);

  afterAll(async () => {
    if (process.env.E2E_DUMP_LOGS) for (const [i, a] of apps.entries()) writeFileSync(`/tmp/replica-${i}.log`, a.lines.join("\n"));
    await Promise.all(apps.map((a) => a.kill()));
    await world?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("starts every replica on PostgreSQL with the pg-boss queue, healthy", async () => {
    for (const a of apps) {
      const listening = a.records().find((r) => r.msg === "keyfence listening")!;
      expect([listening.store, listening.queue]).toEqual(["postgres", "pg-boss"]);
      const res = await fetch(`${a.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, store: true, queue: true });
    }
  });

  it("contains each key once and opens one issue per key, whichever replica gets or redelivers the push, with one killed mid-way", async () => {
    const { github, aws, org } = world;
    const after = new Map<string, string>();
    const pushDelivery = (repo: string) =>
      github.deliveries.find((d) => d.event === "push" && !d.redelivery && (d.payload as { after: string }).after === after.get(repo));

    for (let i = 0; i < N; i++) {
      const k = keys[i]!;
      const target = live[i % live.length]!;
      github.setWebhookUrl(hook(target));
      // While the third replica takes its push, GitHub answers slowly: if its worker took the job,
      // it dies reading the push, before it claims the key (a claim left by a dead worker is
      // waited out by the next attempt: src/pipeline/leak.ts).
      if (i === 2) github.setLatency(300);
      const pushed = await github.push(org, k.repo, {
        branch: "main",
        pusher: "dave",
        commits: [{ message: "deploy settings", files: { "deploy/.env": `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n` } }],
      });
      after.set(k.repo, pushed.after);
      if (i === 2) {
        // The third replica accepts this push (the job is in the shared queue, perhaps already
        // taken by its worker) and dies at once.
        const d = await eventually(() => pushDelivery(k.repo));
        await target.waitForLog((r) => r.msg === "webhook queued" && r.delivery === d.id);
        await target.kill("SIGKILL");
        github.setLatency(0);
        live = live.filter((a) => a !== target);
      }
    }
    await github.idle();

    // GitHub redelivers every push, each to a replica other than the one that got it first.
    for (const k of keys) {
      const d = pushDelivery(k.repo)!;
      const other = live.find((a) => a !== replicaOf(d.url))!;
      github.setWebhookUrl(hook(other));
      expect(await github.redeliver(d.id)).toBe(200);
      await other.waitForLog((r) => r.msg === "webhook already handled" && r.delivery === d.id);
    }

    await eventually(() => keys.every((k) => aws.key(k.accessKeyId)?.status === "Inactive" && github.issues(org, k.repo).length === 1), 100_000);
    await new Promise((r) => setTimeout(r, 1500)); // anything that would happen twice has had time to
    const updates = aws.calls.filter((c) => c.action === "UpdateAccessKey" && c.ok);
    expect(updates).toHaveLength(N); // every key Inactive, N calls in all: one per key
    for (const k of keys) {
      const issues = github.issues(org, k.repo);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.comments).toHaveLength(0); // no "pushed again" from a duplicate run
    }
    // The killed replica's push was handled by the others.
    const killed = apps.find((a) => !live.includes(a))!;
    expect(live.some((a) => a.records().some((r) => r.msg === "issue opened" && String(r.repo).endsWith(keys[2]!.repo)))).toBe(true);
    expect(killed.records().some((r) => r.msg === "issue opened" && String(r.repo).endsWith(keys[2]!.repo))).toBe(false);
  }, 150_000);

  it("rotates once per /rotate, whichever replica gets or redelivers the comment", async () => {
    const { github, aws, org, workloadAccount } = world;
    for (let i = 0; i < N; i++) {
      const k = keys[i]!;
      github.setWebhookUrl(hook(live[i % live.length]!));
      await github.comment(org, k.repo, github.issues(org, k.repo)[0]!.number, "alice", "/rotate");
    }
    await github.idle();
    const comments = github.deliveries.filter((d) => d.event === "issue_comment" && !d.redelivery && (d.payload as { comment: { user: { login: string } } }).comment.user.login === "alice");
    expect(comments).toHaveLength(N);
    for (const d of comments) {
      const other = live.find((a) => a !== replicaOf(d.url))!;
      github.setWebhookUrl(hook(other));
      expect(await github.redeliver(d.id)).toBe(200);
    }
    await eventually(() => keys.every((k) => github.issues(org, k.repo)[0]!.state === "closed"), 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(aws.calls.filter((c) => c.action === "CreateAccessKey" && c.ok)).toHaveLength(N);
    expect(aws.calls.filter((c) => c.action === "DeleteAccessKey" && c.ok)).toHaveLength(N);
    for (const k of keys) {
      const now = aws.keysOf(workloadAccount, k.user).map((x) => x.accessKeyId);
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(k.accessKeyId);
      expect(github.actionsSecret(org, k.repo, "AWS_ACCESS_KEY_ID")).toBe(now[0]);
    }
  }, 120_000);

  it("serves Prometheus metrics and health on each live replica", async () => {
    let webhooks = 0;
    for (const a of live) {
      const res = await fetch(`${a.url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const name of [
        "keyfence_webhooks_received_total",
        "keyfence_findings_total",
        "keyfence_containment_latency_seconds_bucket",
        "keyfence_rotations_total",
        "keyfence_backfill_repositories",
        "keyfence_job_queue_depth",
        "keyfence_github_requests_total",
        "keyfence_aws_requests_total",
        "keyfence_aws_request_errors_total",
      ]) {
        expect(text).toContain(name);
      }
      expect(text).toMatch(/^keyfence_job_queue_depth \d+$/m);
      webhooks += [...text.matchAll(/^keyfence_webhooks_received_total\{event="push",status="200"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    }
    expect(webhooks).toBeGreaterThanOrEqual(N); // the redeliveries at least; the killed one's count died with it
    // Every job finished: the shared queue is empty, nothing was dead-lettered.
    await eventually(async () => /^keyfence_job_queue_depth 0$/m.test(await (await fetch(`${live[0]!.url}/metrics`)).text()), 30_000);
    expect(await (await fetch(`${live[0]!.url}/metrics`)).text()).toMatch(/^keyfence_job_dead_letters 0$/m);
  });
});
