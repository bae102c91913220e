import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { redactKeyId } from "../../src/detect/index.js";
import { startAppProcess, type AppProcess } from "../../src/sim/app-process.js";
import { startWorld, type World } from "../../src/sim/world.js";

import { sinkEverything } from "../helpers/secret-sweep.js";
export { eventually, keyWorks } from "../helpers/e2e.js";

/**
 * The e2e harness (test/helpers/e2e.ts) with what reliability tests need besides: keyfence stopped
 * and started separately (so pushes can happen while it is down), several repositories, a read of
 * the store, the invariants every scenario must end with, and a log sink
 * (KEYFENCE_TEST_LOG_SINK=file: every line of every process is appended there).
 */
export interface Rig {
  world: World;
  app: AppProcess | undefined;
  dbPath: string;
  env: Record<string, string>;
  repos: string[];
  addRepo(name: string, opts?: { private?: boolean }): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  lines(): string[];
  githubText(): string;
  everything(): string;
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  close(): Promise<void>;
}

export async function startRig(extraEnv: Record<string, string> = {}): Promise<Rig> {
  const world = await startWorld();
  const dir = mkdtempSync(join(tmpdir(), "keyfence-rel-"));
  const dbPath = join(dir, "keyfence.db");
  const env = {
    ...world.env,
    KEYFENCE_DB: dbPath,
    KEYFENCE_MIRRORS: join(dir, "mirrors"),
    KEYFENCE_QUEUE_POLL_MS: "100",
    KEYFENCE_RECONCILE_SCAN_DELAY_MS: "300",
    ...extraEnv,
  };
  const earlier: string[] = [];
  const repos = [world.repo];
  const sink = process.env.KEYFENCE_TEST_LOG_SINK;
  let app: AppProcess | undefined;
  const start = async () => {
    app = await startAppProcess(env);
    world.github.setWebhookUrl(`${app.url}/api/github/webhooks`);
  };
  const stop = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (!app) return;
    await app.kill(signal);
    earlier.push(...app.lines);
    app = undefined;
  };
  await start();
  const githubText = () =>
    repos
      .flatMap((r) => [
        ...world.github.issues(world.org, r).flatMap((i) => [i.title, i.body, ...i.comments.map((c) => c.body)]),
        ...world.github.checkRuns(world.org, r).map((c) => JSON.stringify(c)),
      ])
      .join("\n");
  const rig: Rig = {
    world,
    get app() {
      return app;
    },
    dbPath,
    env,
    repos,
    async addRepo(name, opts = {}) {
      await world.github.addRepo(world.org, name, opts);
      for (const [u, role] of [["alice", "admin"], ["bob", "write"], ["carol", "maintain"], ["dave", "write"]] as const) world.github.setCollaborator(world.org, name, u, role);
      repos.push(name);
    },
    stop,
    start,
    async restart() {
      await stop("SIGKILL");
      await start();
    },
    lines: () => [...earlier, ...(app?.lines ?? [])],
    githubText,
    everything() {
      const db = [dbPath, `${dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1"));
      return [...rig.lines(), ...db, githubText()].join("\n");
    },
    query<T>(sql: string, ...params: unknown[]): T[] {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    async close() {
      await stop("SIGTERM");
      if (sink) sinkEverything(sink, rig.everything(), world.aws.issuedSecrets());
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** A fresh IAM user in the workload account with one key; the key is returned. */
let users = 0;
export function newKey(rig: Rig, prefix = "u"): { user: string; accessKeyId: string; secretAccessKey: string } {
  const user = `${prefix}-${++users}-${process.pid}`;
  rig.world.aws.addUser(rig.world.workloadAccount, user);
  const k = rig.world.aws.createAccessKey(rig.world.workloadAccount, user);
  return { user, accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
}

export const envFile = (k: { accessKeyId: string; secretAccessKey: string }) => `AWS_ACCESS_KEY_ID=${k.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n`;

/**
 * What must hold after every scenario:
 * - every live leaked key pushed is Inactive (or deleted by a rotation);
 * - at most one issue per key per repository;
 * - no IAM user has an Active key that was neither there before nor delivered;
 * - every delivery keyfence accepted is recorded once and queued once;
 * - the store is consistent: no job left, no dead job, no issue reservation or key claim stuck.
 */
export async function expectInvariants(
  rig: Rig,
  leaked: Array<{ user: string; accessKeyId: string; secretAccessKey: string; repo?: string }>,
  opts: { allowDead?: boolean } = {},
): Promise<void> {
  const { aws, github, org, workloadAccount } = rig.world;
  for (const k of leaked) {
    const st = aws.key(k.accessKeyId)?.status;
    expect(st === undefined || st === "Inactive", `${redactKeyId(k.accessKeyId)} is ${st}`).toBe(true);
  }
  for (const r of rig.repos) {
    const titles = github.issues(org, r).filter((i) => i.user.endsWith("[bot]")).map((i) => i.title);
    expect(new Set(titles).size, `duplicate issues in ${r}: ${titles.join(" | ")}`).toBe(titles.length);
  }
  const delivered = new Set<string>();
  for (const r of rig.repos) {
    for (const name of ["AWS_ACCESS_KEY_ID"]) {
      const v = github.actionsSecret(org, r, name);
      if (v) delivered.add(v);
    }
  }
  for (const k of leaked) {
    for (const key of aws.keysOf(workloadAccount, k.user)) {
      if (key.status !== "Active") continue;
      expect(delivered.has(key.accessKeyId), `${k.user} has an undelivered Active key ${redactKeyId(key.accessKeyId)}`).toBe(true);
    }
  }
  // Every processed webhook recorded once, queued once.
  const queuedLines = rig
    .lines()
    .flatMap((l) => {
      try {
        const r = JSON.parse(l) as { msg?: string; delivery?: string };
        return r.msg === "webhook queued" ? [r.delivery!] : [];
      } catch {
        return [];
      }
    });
  expect(new Set(queuedLines).size, "a delivery was queued twice").toBe(queuedLines.length);
  const recorded = new Set(rig.query<{ id: string }>("select id from deliveries").map((r) => r.id));
  for (const d of queuedLines) expect(recorded.has(d), `delivery ${d} queued but not recorded`).toBe(true);
  const jobKeys = rig.query<{ n: number }>("select count(*) as n from jobs where dedupe_key like 'delivery:%'")[0]!.n;
  expect(jobKeys).toBe(recorded.size);
  // The store: nothing stuck.
  const stuck = rig.query<{ state: string; n: number }>("select state, count(*) as n from jobs where state not in ('done') group by state");
  if (!opts.allowDead) expect(stuck, JSON.stringify(rig.query("select type, last_error from jobs where state != 'done'"))).toEqual([]);
  expect(rig.query("select * from issues where number < 0")).toEqual([]);
  expect(rig.query("select key_id from keys where state = 'resolving'")).toEqual([]);
  expect(rig.query("select key_id, step from rotations where step not in ('done', 'failed')")).toEqual([]);
}

/** Waits until keyfence's queue has nothing left to do. */
export async function settle(rig: Rig, ms = 60_000): Promise<void> {
  await rig.world.github.idle();
  const end = Date.now() + ms;
  for (;;) {
    const left = rig.query<{ n: number }>("select count(*) as n from jobs where state in ('queued', 'running')")[0]!.n;
    if (left === 0) return;
    if (Date.now() > end) throw new Error(`jobs still pending: ${JSON.stringify(rig.query("select type, state, attempts, last_error from jobs where state in ('queued','running')"))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asserts that no secret and no secret substring of 20+ characters appears in `text`. */
export function expectNoSecret(text: string, secrets: string[]): void {
  expect(text.length).toBeGreaterThan(1000);
  for (const s of secrets) {
    expect(text.includes(s), `a secret appears in the output`).toBe(false);
    for (let i = 0; i + 20 <= s.length; i += 5) expect(text.includes(s.slice(i, i + 20)), "a 20-character piece of a secret appears in the output").toBe(false);
  }
}
