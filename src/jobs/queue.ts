import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../store/schema.js";
import type { Store } from "../store/index.js";
import { runInJob } from "./context.js";
import { sameLane, type JobLanes } from "./lanes.js";
import { notYetDelay } from "./not-yet.js";

export type JobHandler = (payload: any, job: { id: number | string; attempts: number }) => Promise<void>;

export interface EnqueueOptions {
  /** A second job with the same key is dropped, even after the first finished. */
  dedupeKey?: string;
  delayMs?: number;
}

/**
 * The durable queue every webhook is handed to: the store's own `jobs` table with SQLite
 * (StoreQueue, below), pg-boss with PostgreSQL (PgBossQueue, ./pgboss.ts). Both retry a failing
 * job with backoff, keep a dead-letter record of a job out of attempts, and keep jobs across a
 * restart; any number of processes may work one queue.
 */
export interface JobQueue {
  readonly engine: "store" | "pg-boss";
  /** Queues a job; with a dedupeKey, a second job of the same key is dropped. True if queued. */
  enqueue(type: string, payload: unknown, opts?: EnqueueOptions): Promise<boolean>;
  /** Starts working jobs with these handlers (by job type). */
  start(handlers: Record<string, JobHandler>): Promise<void>;
  /** Stops taking jobs and waits for those running. */
  stop(): Promise<void>;
  /** Jobs not yet finished (queued, waiting for a retry, or running). */
  pending(): Promise<number>;
  /** Jobs out of attempts: the dead-letter record. */
  dead(): Promise<number>;
  /** True when the queue can take and hand out jobs. */
  ready(): Promise<boolean>;
}

export interface QueueOptions {
  /** How long a claimed job stays reserved for its worker; a crashed worker's job is taken over after it. */
  leaseMs?: number;
  /** The lease by job type, when some types run much longer than others (default: leaseMs). */
  leaseMsFor?: (type: string) => number;
  maxAttempts?: number;
  pollMs?: number;
  concurrency?: number;
  backoffMs?: (attempt: number) => number;
  /** Which waiting jobs are taken first, and how many of a type run at once (default: all alike). */
  lanes?: JobLanes;
}

/**
 * A durable job queue in the store's own tables: jobs survive a restart, a worker that dies
 * loses its lease, failures retry with backoff and end as `dead` (the dead-letter record).
 * The in-process queue for SQLite; it works on PostgreSQL too (the tests run it on both).
 */
export class StoreQueue implements JobQueue {
  readonly engine = "store" as const;
  private handlers: Record<string, JobHandler> = {};
  private running = 0;
  private readonly runningByType = new Map<string, number>();
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private readonly opts: Required<Omit<QueueOptions, "leaseMsFor">> & Pick<QueueOptions, "leaseMsFor">;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    opts: QueueOptions = {},
  ) {
    this.opts = {
      leaseMs: opts.leaseMs ?? 5 * 60_000,
      leaseMsFor: opts.leaseMsFor,
      maxAttempts: opts.maxAttempts ?? 8,
      pollMs: opts.pollMs ?? 500,
      concurrency: opts.concurrency ?? 4,
      backoffMs: opts.backoffMs ?? ((n) => Math.min(60_000, 500 * 2 ** (n - 1))),
      lanes: opts.lanes ?? sameLane,
    };
  }

  /** Queues a job; with a dedupeKey, a second job of the same key is dropped. True if queued. */
  async enqueue(type: string, payload: unknown, opts: EnqueueOptions = {}): Promise<boolean> {
    const r = await this.store.db
      .insertInto("jobs")
      .values({
        type,
        payload: JSON.stringify(payload),
        dedupe_key: opts.dedupeKey ?? null,
        state: "queued",
        attempts: 0,
        run_at: Date.now() + (opts.delayMs ?? 0),
        locked_until: null,
        last_error: null,
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column("dedupe_key").doNothing())
      .executeTakeFirst();
    const queued = Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    if (queued) this.wake?.();
    return queued;
  }

  async start(handlers: Record<string, JobHandler>): Promise<void> {
    this.handlers = handlers;
    this.stopped = false;
    void this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Jobs not yet finished (queued or running). */
  async pending(): Promise<number> {
    const r = await this.store.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("state", "in", ["queued", "running"])
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async dead(): Promise<number> {
    const r = await this.store.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("state", "=", "dead")
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async ready(): Promise<boolean> {
    if (this.stopped) return false;
    await this.store.db.selectFrom("jobs").select("id").limit(1).execute();
    return true;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      try {
        while (!this.stopped && this.running < this.opts.concurrency) {
          const job = await this.claim();
          if (!job) break;
          claimed++;
          this.running++;
          this.runningByType.set(job.type, (this.runningByType.get(job.type) ?? 0) + 1);
          void this.run(job).finally(() => {
            this.running--;
            this.runningByType.set(job.type, this.runningByType.get(job.type)! - 1);
            this.wake?.();
          });
        }
      } catch (err) {
        this.log.error({ err }, "job queue: claiming failed");
      }
      if (claimed === 0 || this.running >= this.opts.concurrency) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, this.opts.pollMs);
        });
        clearTimeout(this.timer);
        this.wake = undefined;
      }
    }
  }

  /** The next job this process may run: the lowest rank first, then the one due first; none of a type at its limit. */
  private async claim() {
    const t = Date.now();
    for (const types of this.claimOrder()) {
      const candidates = await this.store.db
        .selectFrom("jobs")
        .select(["id", "type"])
        .where(claimable(t))
        .where(types)
        .orderBy("run_at")
        .limit(5)
        .execute();
      for (const { id, type } of candidates) {
        const lease = this.opts.leaseMsFor?.(type) ?? this.opts.leaseMs;
        const r = await this.store.db
          .updateTable("jobs")
          .set((eb) => ({ state: "running", locked_until: t + lease, attempts: eb("attempts", "+", 1) }))
          .where("id", "=", id)
          .where(claimable(t))
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1) {
          return this.store.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
        }
      }
    }
    return undefined;
  }

  /**
   * The job types to look among, one rank after another (types at their limit left out); last, the
   * types no handler is known for, which are taken only to be failed (and dead-lettered).
   */
  private claimOrder(): Array<(eb: JobsBuilder) => Expression<SqlBool>> {
    const { lanes } = this.opts;
    const known = Object.keys(this.handlers);
    const free = known.filter((type) => (this.runningByType.get(type) ?? 0) < lanes.limit(type));
    const ranks = [...new Set(free.map((type) => lanes.rank(type)))].sort((a, b) => a - b);
    const order = ranks.map((rank) => {
      const types = free.filter((type) => lanes.rank(type) === rank);
      return (eb: JobsBuilder) => eb("type", "in", types);
    });
    order.push(known.length > 0 ? (eb) => eb("type", "not in", known) : (eb) => eb.lit(true));
    return order;
  }

  private async run(job: { id: number; type: string; payload: string; attempts: number; created_at: string }): Promise<void> {
    const handler = this.handlers[job.type];
    try {
      if (!handler) throw new Error(`no handler for job type '${job.type}'`);
      const info = { id: job.id, type: job.type, attempts: Number(job.attempts), enqueuedAt: Date.parse(job.created_at) };
      await runInJob(info, () => handler(JSON.parse(job.payload), { id: job.id, attempts: Number(job.attempts) }));
      await this.store.db.updateTable("jobs").set({ state: "done", locked_until: null }).where("id", "=", job.id).execute();
      jobEvents.onDone?.(job.type);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const wait = notYetDelay(err, Date.parse(job.created_at));
      if (wait !== undefined) {
        this.log.info({ job: job.id, type: job.type, waitMs: wait, reason: message }, "job waits for another worker");
        await this.store.db
          .updateTable("jobs")
          .set((eb) => ({ state: "queued", run_at: Date.now() + wait, locked_until: null, attempts: eb("attempts", "-", 1), last_error: message.slice(0, 2000) }))
          .where("id", "=", job.id)
          .execute();
        return;
      }
      const dead = job.attempts >= this.opts.maxAttempts;
      this.log.error({ job: job.id, type: job.type, attempt: job.attempts, dead, err: message, stack: (err as Error)?.stack }, "job failed");
      jobEvents.onFailed?.(job.type, dead);
      await this.store.db
        .updateTable("jobs")
        .set({
          state: dead ? "dead" : "queued",
          run_at: Date.now() + this.opts.backoffMs(job.attempts),
          locked_until: null,
          last_error: message.slice(0, 2000),
        })
        .where("id", "=", job.id)
        .execute();
    }
  }
}

type JobsBuilder = ExpressionBuilder<Database, "jobs">;

/** Queued and due, or running with its lease over (its worker died). */
function claimable(t: number) {
  return (eb: JobsBuilder) =>
    eb.or([
      eb.and([eb("state", "=", "queued"), eb("run_at", "<=", t)]),
      eb.and([eb("state", "=", "running"), eb("locked_until", "<", t)]),
    ]);
}

/** Kept for callers that construct the SQLite queue by its old name: `new JobQueue(store, log)`. */
export const JobQueue = StoreQueue;

/** Hooks the metrics attach to: every failed attempt, and whether it was the last. */
export const jobEvents: { onFailed?: (type: string, dead: boolean) => void; onDone?: (type: string) => void } = {};
