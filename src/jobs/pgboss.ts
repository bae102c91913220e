import PgBoss from "pg-boss";
import { CompiledQuery, sql } from "kysely";
import type { Logger } from "pino";
import type { Store } from "../store/index.js";
import { runInJob } from "./context.js";
import { sameLane, type JobLanes } from "./lanes.js";
import { jobEvents, type EnqueueOptions, type JobHandler, type JobQueue } from "./queue.js";
import { notYetDelay } from "./not-yet.js";

export interface PgBossQueueOptions {
  /** pg-boss's own schema; default `pgboss`, or `<store schema>_pgboss` when the store is not in `public`. */
  schema?: string;
  /** Attempts before a job goes to the dead-letter queue (default 8). */
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles, with jitter (pg-boss's retryBackoff). Default 1 s. */
  retryDelaySeconds?: number;
  /** How long a job may run; a job held longer (its worker died) is retried by another worker. */
  timeoutSeconds?: (type: string) => number;
  /** How often the queue is looked at when idle; a job queued by this process is taken at once. */
  pollMs?: number;
  /** Jobs run at once by this process. */
  concurrency?: number;
  /** How often one of the processes expires jobs whose worker died (pg-boss maintenance). */
  maintenanceIntervalSeconds?: number;
  /** Which waiting jobs are taken first, and how many of a type run at once (default: all alike). */
  lanes?: JobLanes;
}

/** Where jobs out of attempts end (pg-boss's deadLetter): the dead-letter record, with type and payload. */
export const DEAD_LETTER_QUEUE = "keyfence-dead";

interface Envelope {
  type: string;
  payload: unknown;
  /** ms since the epoch */
  enqueuedAt: number;
  dedupeKey?: string;
}

/**
 * The job queue on PostgreSQL: pg-boss keeps the jobs (its own schema in the same database),
 * hands each to one worker of any replica (SKIP LOCKED), retries with exponential backoff, expires
 * a job whose worker died so another takes it, and moves a job out of attempts to a dead-letter
 * queue. pg-boss's own singleton keys only hold while a job is pending, so a dedupe key is kept in
 * the store's `job_keys` table, written in the same transaction as the job: a webhook redelivered
 * a day later, to any replica, still queues nothing.
 */
export class PgBossQueue implements JobQueue {
  readonly engine = "pg-boss" as const;
  private handlers: Record<string, JobHandler> = {};
  private order: string[] = [];
  private readonly queues = new Map<string, Promise<void>>();
  private running = 0;
  private readonly runningByType = new Map<string, number>();
  private stopped = true;
  private closed = false;
  private loopDone?: Promise<void>;
  private wake?: () => void;
  private readonly opts: Required<Omit<PgBossQueueOptions, "schema">>;

  private constructor(
    private readonly store: Store,
    private readonly boss: PgBoss,
    readonly schema: string,
    private readonly log: Logger,
    opts: PgBossQueueOptions,
  ) {
    this.opts = {
      maxAttempts: opts.maxAttempts ?? 8,
      retryDelaySeconds: opts.retryDelaySeconds ?? 1,
      timeoutSeconds: opts.timeoutSeconds ?? ((type) => (type.startsWith("backfill") ? 3600 : 900)),
      pollMs: opts.pollMs ?? 500,
      concurrency: opts.concurrency ?? 4,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
      lanes: opts.lanes ?? sameLane,
    };
  }

  /** Connects pg-boss to the store's database (creating or migrating its schema) and its dead-letter queue. */
  static async open(store: Store, databaseUrl: string, log: Logger, opts: PgBossQueueOptions = {}): Promise<PgBossQueue> {
    if (!store.isPostgres) throw new Error("pg-boss needs the PostgreSQL store");
    const schema = opts.schema ?? (await defaultSchema(store));
    const boss = new PgBoss({
      connectionString: databaseUrl,
      schema,
      max: 5,
      application_name: "keyfence",
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
    });
    boss.on("error", (err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, "pg-boss error"));
    const q = new PgBossQueue(store, boss, schema, log, opts);
    // Replicas starting at once would deadlock creating pg-boss's schema and queue tables: one at a time.
    await q.exclusively(async () => {
      await boss.start();
      if (!(await boss.getQueue(DEAD_LETTER_QUEUE))) {
        await boss.createQueue(DEAD_LETTER_QUEUE, { name: DEAD_LETTER_QUEUE, retryLimit: 0, retentionDays: 30 });
      }
    });
    q.queues.set(DEAD_LETTER_QUEUE, Promise.resolve());
    return q;
  }

  /** Runs fn while holding a database-wide lock of this queue's (a transaction-scoped advisory lock). */
  private exclusively<T>(fn: () => Promise<T>): Promise<T> {
    return this.store.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`keyfence.pgboss.${this.schema}`}))`.execute(trx);
      return fn();
    });
  }

  async enqueue(type: string, payload: unknown, opts: EnqueueOptions = {}): Promise<boolean> {
    await this.ensureQueue(type);
    const data: Envelope = { type, payload, enqueuedAt: Date.now(), dedupeKey: opts.dedupeKey };
    const send: PgBoss.SendOptions = {
      ...this.jobOptions(type),
      ...(opts.delayMs ? { startAfter: new Date(Date.now() + opts.delayMs) } : {}),
    };
    const key = opts.dedupeKey;
    let queued: boolean;
    if (!key) {
      queued = (await this.boss.send(type, data as object, send)) !== null;
    } else {
      queued = await this.store.db.transaction().execute(async (trx) => {
        const r = await trx
          .insertInto("job_keys")
          .values({ key, type, job_id: null, created_at: new Date().toISOString() })
          .onConflict((oc) => oc.column("key").doNothing())
          .executeTakeFirst();
        if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
        // The job is written on the same connection, in the same transaction as its key.
        const db: PgBoss.Db = {
          executeSql: async (text, values) => ({ rows: [...(await trx.executeQuery(CompiledQuery.raw(text, values))).rows] }),
        };
        const id = await this.boss.send(type, data as object, { ...send, db });
        if (!id) throw new Error(`pg-boss did not queue a '${type}' job`);
        await trx.updateTable("job_keys").set({ job_id: id }).where("key", "=", key).execute();
        return true;
      });
    }
    if (queued) this.wake?.();
    return queued;
  }

  async start(handlers: Record<string, JobHandler>): Promise<void> {
    this.handlers = handlers;
    // Each pg-boss queue is one job type: they are fetched from in the lanes' order (a stable sort).
    this.order = Object.keys(handlers).sort((a, b) => this.opts.lanes.rank(a) - this.opts.lanes.rank(b));
    for (const type of this.order) await this.ensureQueue(type);
    this.stopped = false;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) {
      this.closed = true;
      await this.boss.stop({ graceful: false, close: true, wait: true });
    }
  }

  async pending(): Promise<number> {
    let n = 0;
    for (const q of await this.boss.getQueues()) {
      if (q.name === DEAD_LETTER_QUEUE) continue;
      n += await this.boss.getQueueSize(q.name, { before: "completed" });
    }
    return n;
  }

  async dead(): Promise<number> {
    return this.boss.getQueueSize(DEAD_LETTER_QUEUE, { before: "completed" });
  }

  /** The dead-letter record (read only): each job's type, payload and why its last attempt failed. */
  async deadLetters(limit = 100): Promise<Array<{ type: string; payload: unknown; dedupeKey?: string; error?: string }>> {
    const { rows } = await sql<{ data: Envelope; output: { message?: string } | null }>`
      select data, output from ${sql.table(`${this.schema}.job`)}
      where name = ${DEAD_LETTER_QUEUE} order by created_on limit ${limit}`.execute(this.store.db);
    return rows.map((r) => ({ type: r.data.type, payload: r.data.payload, dedupeKey: r.data.dedupeKey, error: r.output?.message }));
  }

  async ready(): Promise<boolean> {
    if (this.closed) return false;
    await this.boss.getQueueSize(DEAD_LETTER_QUEUE);
    return true;
  }

  private jobOptions(type: string) {
    return {
      retryLimit: Math.max(0, this.opts.maxAttempts - 1),
      retryDelay: this.opts.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: Math.max(1, Math.round(this.opts.timeoutSeconds(type))),
      deadLetter: DEAD_LETTER_QUEUE,
    };
  }

  private ensureQueue(type: string): Promise<void> {
    let p = this.queues.get(type);
    if (!p) {
      p = this.exclusively(async () => {
        if (!(await this.boss.getQueue(type))) await this.boss.createQueue(type, { name: type, policy: "standard", ...this.jobOptions(type) });
      });
      p.catch(() => this.queues.delete(type));
      this.queues.set(type, p);
    }
    return p;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let got = 0;
      try {
        for (const type of this.order) {
          const free = this.opts.concurrency - this.running;
          if (this.stopped || free <= 0) break;
          const room = Math.min(free, this.opts.lanes.limit(type) - (this.runningByType.get(type) ?? 0));
          if (room <= 0) continue;
          const jobs = await this.boss.fetch<Envelope>(type, { batchSize: room, includeMetadata: true });
          for (const job of jobs ?? []) {
            got++;
            this.running++;
            this.runningByType.set(type, (this.runningByType.get(type) ?? 0) + 1);
            void this.run(type, job).finally(() => {
              this.running--;
              this.runningByType.set(type, this.runningByType.get(type)! - 1);
              this.wake?.();
            });
          }
        }
      } catch (err) {
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, "job queue: fetching failed");
      }
      if (got === 0 || this.running >= this.opts.concurrency) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.opts.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /**
   * Back to waiting, to start after ms, as if it had never started: pg-boss counts a retry when it
   * fetches a job that has (started_on set). False if the job is no longer this worker's.
   */
  private async putBack(type: string, id: string, ms: number, reason: string): Promise<boolean> {
    try {
      const r = await sql`
        update ${sql.table(`${this.schema}.job`)}
        set state = 'retry', started_on = null, start_after = now() + ${ms} * interval '1 millisecond'
        where name = ${type} and id = ${id} and state = 'active'`.execute(this.store.db);
      if (Number(r.numAffectedRows ?? 0) !== 1) return false;
      this.log.info({ job: id, type, waitMs: ms, reason }, "job waits for another worker");
      return true;
    } catch (e) {
      this.log.error({ job: id, err: e instanceof Error ? e.message : String(e) }, "job queue: putting a job back failed");
      return false;
    }
  }

  private async run(type: string, job: PgBoss.JobWithMetadata<Envelope>): Promise<void> {
    const attempts = job.retryCount + 1;
    const handler = this.handlers[type];
    try {
      if (!handler) throw new Error(`no handler for job type '${type}'`);
      const info = { id: job.id, type, attempts, enqueuedAt: job.data.enqueuedAt ?? job.createdOn.getTime() };
      await withTimeout(
        runInJob(info, () => handler(job.data.payload, { id: job.id, attempts })),
        job.expireInSeconds * 1000,
        `job '${type}' ran longer than ${job.expireInSeconds}s`,
      );
      await this.boss.complete(type, job.id);
      jobEvents.onDone?.(type);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const wait = notYetDelay(err, job.data.enqueuedAt ?? job.createdOn.getTime());
      if (wait !== undefined && (await this.putBack(type, job.id, wait, message))) return;
      const dead = job.retryCount >= job.retryLimit;
      this.log.error({ job: job.id, type, attempt: attempts, dead, err: message, stack: (err as Error)?.stack }, "job failed");
      jobEvents.onFailed?.(type, dead);
      try {
        await this.boss.fail(type, job.id, { message: message.slice(0, 2000) });
      } catch (e) {
        this.log.error({ job: job.id, err: e instanceof Error ? e.message : String(e) }, "job queue: recording a failure failed");
      }
    }
  }
}

async function defaultSchema(store: Store): Promise<string> {
  const s = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]?.s ?? "public";
  return s === "public" ? "pgboss" : `${s}_pgboss`;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
