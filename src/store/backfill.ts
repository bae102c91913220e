// The backfill's progress in the store: a run per scope, a row per repository, what was found.
// Kept apart from Store's class so the backfill can change without touching the push path.
import { hostname } from "node:os";
import type { Store } from "./index.js";
import type { BackfillFindingTable, BackfillRepoTable, BackfillRunTable } from "./schema.js";

export type BackfillRun = BackfillRunTable;
export type BackfillRepoRow = BackfillRepoTable;
export type BackfillFindingRow = BackfillFindingTable;

const now = () => new Date().toISOString();

/** This process, as it names itself in a claimed row. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

const num = <T extends Record<string, unknown>>(r: T): T => {
  const o: Record<string, unknown> = { ...r };
  for (const k of ["installation_id", "lease_until", "scans", "blobs", "bytes", "findings", "line", "col"]) {
    if (o[k] !== null && o[k] !== undefined) o[k] = Number(o[k]);
  }
  return o as T;
};

export class BackfillStore {
  constructor(readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  /** The run for a scope, created if new; an existing one (finished or not) is returned as it is. */
  async openRun(id: string, scope: string, mode: string | null): Promise<{ run: BackfillRun; created: boolean }> {
    const r = await this.db
      .insertInto("backfill_runs")
      .values({ id, scope, mode, state: "running", created_at: now(), finished_at: null })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    const run = (await this.run(id))!;
    return { run, created: Number(r.numInsertedOrUpdatedRows ?? 0) === 1 };
  }

  run(id: string): Promise<BackfillRun | undefined> {
    return this.db.selectFrom("backfill_runs").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async finishRun(id: string): Promise<void> {
    await this.db.updateTable("backfill_runs").set({ state: "done", finished_at: now() }).where("id", "=", id).execute();
  }

  /** Forgets a run and its progress, so the next one starts over (--restart). */
  async dropRun(id: string): Promise<void> {
    await this.db.deleteFrom("backfill_findings").where("run_id", "=", id).execute();
    await this.db.deleteFrom("backfill_repos").where("run_id", "=", id).execute();
    await this.db.deleteFrom("backfill_runs").where("id", "=", id).execute();
  }

  /** Adds a repository to a run unless it is already there; true if added. */
  async addRepo(runId: string, repo: string, installationId: number, info: unknown): Promise<boolean> {
    const r = await this.db
      .insertInto("backfill_repos")
      .values({
        run_id: runId,
        repo,
        installation_id: installationId,
        info: JSON.stringify(info),
        state: "pending",
        owner: null,
        lease_until: null,
        scans: 0,
        blobs: 0,
        bytes: 0,
        findings: 0,
        mode: null,
        error: null,
        started_at: null,
        finished_at: null,
      })
      .onConflict((oc) => oc.columns(["run_id", "repo"]).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    // A repository that failed in an earlier attempt is tried again.
    await this.db
      .updateTable("backfill_repos")
      .set({ state: "pending", error: null })
      .where("run_id", "=", runId)
      .where("repo", "=", repo)
      .where("state", "=", "failed")
      .execute();
    return false;
  }

  async repos(runId: string): Promise<BackfillRepoRow[]> {
    const rows = await this.db.selectFrom("backfill_repos").selectAll().where("run_id", "=", runId).orderBy("repo").execute();
    return rows.map(num);
  }

  async repo(runId: string, repo: string): Promise<BackfillRepoRow | undefined> {
    const r = await this.db.selectFrom("backfill_repos").selectAll().where("run_id", "=", runId).where("repo", "=", repo).executeTakeFirst();
    return r && num(r);
  }

  /**
   * Takes a repository for scanning: pending or failed ones, running ones whose lease ran out, and
   * running ones whose worker was a process of this host that is gone (killed). True if taken.
   */
  async claimRepo(runId: string, repo: string, leaseMs: number): Promise<boolean> {
    const row = await this.repo(runId, repo);
    if (!row || row.state === "done") return false;
    const t = Date.now();
    let takeOver: string | null | undefined;
    if (row.state === "running") {
      const expired = (row.lease_until ?? 0) < t;
      if (!expired && !deadLocalWorker(row.owner)) return false;
      takeOver = row.owner;
    }
    let q = this.db
      .updateTable("backfill_repos")
      .set((eb) => ({
        state: "running",
        owner: WORKER_ID,
        lease_until: t + leaseMs,
        scans: eb("scans", "+", 1),
        started_at: now(),
        error: null,
      }))
      .where("run_id", "=", runId)
      .where("repo", "=", repo);
    if (takeOver === undefined) q = q.where("state", "in", ["pending", "failed"]);
    else q = q.where("state", "=", "running").where((eb) => (takeOver === null ? eb("owner", "is", null) : eb("owner", "=", takeOver)));
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Extends the lease and records progress while the scan goes on. */
  async heartbeat(runId: string, repo: string, leaseMs: number, progress: { blobs: number; bytes: number }): Promise<void> {
    await this.db
      .updateTable("backfill_repos")
      .set({ lease_until: Date.now() + leaseMs, blobs: progress.blobs, bytes: progress.bytes })
      .where("run_id", "=", runId)
      .where("repo", "=", repo)
      .where("owner", "=", WORKER_ID)
      .execute();
  }

  async finishRepo(runId: string, repo: string, r: { blobs: number; bytes: number; findings: number; mode: string }): Promise<void> {
    await this.db
      .updateTable("backfill_repos")
      .set({ state: "done", owner: null, lease_until: null, ...r, finished_at: now() })
      .where("run_id", "=", runId)
      .where("repo", "=", repo)
      .execute();
  }

  async failRepo(runId: string, repo: string, error: string): Promise<void> {
    await this.db
      .updateTable("backfill_repos")
      .set({ state: "failed", owner: null, lease_until: null, error: error.slice(0, 2000), finished_at: now() })
      .where("run_id", "=", runId)
      .where("repo", "=", repo)
      .execute();
  }

  async addFinding(f: BackfillFindingRow): Promise<void> {
    await this.db
      .insertInto("backfill_findings")
      .values(f)
      .onConflict((oc) => oc.columns(["run_id", "repo", "key_id", "commit_sha", "path", "line"]).doNothing())
      .execute();
  }

  async findings(runId: string): Promise<BackfillFindingRow[]> {
    const rows = await this.db
      .selectFrom("backfill_findings")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("repo")
      .orderBy("authored_at")
      .orderBy("path")
      .execute();
    return rows.map(num);
  }
}

/** True when the owner is a process of this host that no longer runs. */
function deadLocalWorker(owner: string | null): boolean {
  if (!owner) return true;
  const i = owner.lastIndexOf(":");
  if (owner.slice(0, i) !== hostname()) return false;
  const pid = Number(owner.slice(i + 1));
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
