// `npm run bench -- replicas [--quick]`: keyfence as 1 and as 3 replicas on one PostgreSQL —
// webhook throughput and containment latency — and a backfill with 1 and 2 worker processes.
// Everything runs on loopback against the simulators; the figures compare the columns of one run,
// on one machine, and say nothing absolute.
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { openQueue } from "../src/jobs/index.js";
import { enqueueRun, planRun } from "../src/pipeline/backfill.js";
import type { Deps } from "../src/pipeline/context.js";
import { startAppProcess, type AppProcess } from "../src/sim/app-process.js";
import { generateRepo } from "../src/sim/repo-generator.js";
import { startWorld, type World } from "../src/sim/world.js";
import { BackfillStore } from "../src/store/backfill.js";
import { Store } from "../src/store/index.js";

const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const log = pino({ level: "silent" });

/** A schema of its own (and pg-boss's next to it), dropped after. */
async function freshSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `kfbench_${randomBytes(5).toString("hex")}`;
  const q = async (text: string) => {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await q(`CREATE SCHEMA ${schema}`);
  return {
    url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      await q(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await q(`DROP SCHEMA IF EXISTS ${schema}_pgboss CASCADE`);
    },
  };
}

async function startReplicas(world: World, url: string, n: number, dir: string, extra: Record<string, string> = {}): Promise<AppProcess[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      startAppProcess({
        ...world.env,
        DATABASE_URL: url,
        KEYFENCE_MIRRORS: join(dir, `mirrors-${i}`),
        KEYFENCE_RECONCILE: "off", // only the webhooks measured here
        ...extra,
      }),
    ),
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WebhookFigures {
  replicas: number;
  webhooks: number;
  acceptedPerSecond: number;
  containP50: number;
  containP95: number;
  allContained: number;
  allIssues: number;
}

/**
 * M pushes, each with a live key in a repository of its own, are made while no webhook URL is
 * set; then all M deliveries are redelivered at once, round-robin across the replicas. Timed from
 * that burst: each webhook answered, each key Inactive in the AWS simulator, each issue opened.
 */
async function webhookRun(n: number, m: number): Promise<WebhookFigures> {
  const world = await startWorld();
  const db = await freshSchema();
  const dir = mkdtempSync(join(tmpdir(), "keyfence-bench-"));
  let apps: AppProcess[] = [];
  try {
    const { github, aws, org, workloadAccount } = world;
    const keys: Array<{ id: string; repo: string; delivery?: string }> = [];
    for (let i = 0; i < m; i++) {
      const repo = `svc-${i}`;
      await github.addRepo(org, repo);
      github.setCollaborator(org, repo, "dave", "write");
      await github.push(org, repo, { branch: "main", pusher: "dave", commits: [{ message: "init", files: { "README.md": `# ${repo}\n` } }] });
      const user = `deployer-${i}`;
      aws.addUser(workloadAccount, user);
      const k = aws.createAccessKey(workloadAccount, user);
      const r = await github.push(org, repo, {
        branch: "main",
        pusher: "dave",
        commits: [{ message: "settings", files: { ".env": `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n` } }],
      });
      await github.idle();
      const d = github.deliveries.find((x) => x.event === "push" && (x.payload as { after: string }).after === r.after);
      keys.push({ id: k.accessKeyId, repo, delivery: d?.id });
    }
    apps = await startReplicas(world, db.url, n, dir);
    const t0 = Date.now();
    const answered: Array<Promise<number>> = [];
    keys.forEach((k, i) => {
      github.setWebhookUrl(`${apps[i % n]!.url}/api/github/webhooks`);
      answered.push(github.redeliver(k.delivery!)); // the URL is taken as it is sent
    });
    const statuses = await Promise.all(answered);
    const tAccepted = Date.now() - t0;
    if (statuses.some((s) => s !== 200)) throw new Error(`webhooks answered ${statuses.join(",")}`);
    const contained = new Map<string, number>();
    const issued = new Map<string, number>();
    const deadline = Date.now() + 300_000;
    while ((contained.size < m || issued.size < m) && Date.now() < deadline) {
      for (const k of keys) {
        if (!contained.has(k.id) && aws.key(k.id)?.status === "Inactive") contained.set(k.id, Date.now() - t0);
        if (!issued.has(k.id) && github.issues(org, k.repo).length > 0) issued.set(k.id, Date.now() - t0);
      }
      await sleep(10);
    }
    if (contained.size < m) throw new Error(`only ${contained.size} of ${m} keys contained`);
    const lat = [...contained.values()];
    return {
      replicas: n,
      webhooks: m,
      acceptedPerSecond: m / (tAccepted / 1000),
      containP50: pct(lat, 50) / 1000,
      containP95: pct(lat, 95) / 1000,
      allContained: Math.max(...lat) / 1000,
      allIssues: Math.max(...issued.values()) / 1000,
    };
  } finally {
    await Promise.all(apps.map((a) => a.kill()));
    await world.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BackfillFigures {
  workers: number;
  repos: number;
  seconds: number;
  /** Repositories each worker process scanned. */
  spread: number[];
}

/** R generated repositories (history only, no keys), one backfill run queued, worked by W processes. */
async function backfillRun(w: number, r: number, commits: number): Promise<BackfillFigures> {
  const world = await startWorld();
  const db = await freshSchema();
  const dir = mkdtempSync(join(tmpdir(), "keyfence-bench-"));
  let apps: AppProcess[] = [];
  let store: Store | undefined;
  let queue: Awaited<ReturnType<typeof openQueue>> | undefined;
  try {
    const { github, org } = world;
    const targets = [];
    for (let i = 0; i < r; i++) {
      const name = `history-${i}`;
      await github.addRepo(org, name);
      await generateRepo(github.repoDir(org, name), { seed: i + 1, commits, files: Math.max(20, commits / 5), plant: [] });
      targets.push({
        installationId: world.installationId,
        repo: { owner: org, repo: name, htmlUrl: `${github.url}/${org}/${name}`, cloneUrl: `${github.url}/${org}/${name}.git`, private: true },
      });
    }
    apps = await startReplicas(world, db.url, w, dir, { KEYFENCE_WORKERS: "2" });
    store = await Store.open({ databaseUrl: db.url });
    queue = await openQueue(store, db.url, log);
    const deps = { store, queue, log } as unknown as Deps; // planning and queuing use only these
    const runId = "bench";
    await planRun(deps, runId, "org:acme", targets, "report");
    const bs = new BackfillStore(store);
    const t0 = Date.now();
    await enqueueRun(deps, runId, "report");
    const deadline = Date.now() + 600_000;
    for (;;) {
      const rows = await bs.repos(runId);
      if (rows.every((x) => x.state === "done" || x.state === "failed")) {
        const failed = rows.filter((x) => x.state === "failed");
        if (failed.length) throw new Error(`backfill: ${failed.length} repositories failed: ${failed[0]!.error}`);
        break;
      }
      if (Date.now() > deadline) throw new Error("backfill did not finish");
      await sleep(50);
    }
    const seconds = (Date.now() - t0) / 1000;
    const counts = () => apps.map((a) => a.records().filter((x) => x.msg === "repository backfilled").length);
    for (let i = 0; i < 100 && counts().reduce((a, b) => a + b, 0) < r; i++) await sleep(20); // the last log lines are on their way
    const spread = counts();
    return { workers: w, repos: r, seconds, spread };
  } finally {
    await queue?.stop();
    await store?.close();
    await Promise.all(apps.map((a) => a.kill()));
    await world.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

export async function replicas(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const m = quick ? 6 : 12;
  const r = quick ? 4 : 8;
  const commits = quick ? 150 : 400;
  const out = (s: string) => process.stdout.write(s);

  const web: WebhookFigures[] = [];
  for (const n of [1, 3]) {
    out(`webhooks: ${m} pushes with a live key each, ${n} replica${n > 1 ? "s" : ""}…\n`);
    web.push(await webhookRun(n, m));
  }
  const s = (x: number) => x.toFixed(2);
  out(
    table(
      ["", ...web.map((f) => `${f.replicas} replica${f.replicas > 1 ? "s" : ""}`)],
      [
        ["webhooks answered /s", ...web.map((f) => f.acceptedPerSecond.toFixed(1))],
        ["containment p50 (s)", ...web.map((f) => s(f.containP50))],
        ["containment p95 (s)", ...web.map((f) => s(f.containP95))],
        [`all ${m} keys Inactive (s)`, ...web.map((f) => s(f.allContained))],
        [`all ${m} issues opened (s)`, ...web.map((f) => s(f.allIssues))],
      ],
    ),
  );
  out(`speed-up with 3 replicas (time with 1 / time with 3): all keys Inactive ×${(web[0]!.allContained / web[1]!.allContained).toFixed(2)}, all issues opened ×${(web[0]!.allIssues / web[1]!.allIssues).toFixed(2)}\n\n`);

  const bf: BackfillFigures[] = [];
  for (const w of [1, 2]) {
    out(`backfill: ${r} repositories of ${commits} commits, ${w} worker process${w > 1 ? "es" : ""} (2 jobs each)…\n`);
    bf.push(await backfillRun(w, r, commits));
  }
  out(
    table(
      ["", ...bf.map((f) => `${f.workers} worker${f.workers > 1 ? "s" : ""}`)],
      [
        [`backfill of ${r} repositories (s)`, ...bf.map((f) => s(f.seconds))],
        ["repositories per worker", ...bf.map((f) => f.spread.join(" + "))],
      ],
    ),
  );
  out(`speed-up with 2 workers: ×${(bf[0]!.seconds / bf[1]!.seconds).toFixed(2)} (time with 1 / time with 2)\n`);
}
