import type { Logger } from "pino";
import type { Store } from "../store/index.js";

export type JobHandler = (payload: any, job: { id: number; attempts: number }) => Promise<void>;

export interface QueueOptions {
  /** How long a claimed job stays reserved for its worker; a crashed worker's job is taken over after it. */
  leaseMs?: number;
  maxAttempts?: number;
  pollMs?: number;
  concurrency?: number;
  backoffMs?: (attempt: number) => number;
}

/**
 * A durable job queue in the store's own tables: jobs survive a restart, a worker that dies
 * loses its lease, failures retry with backoff and end as `dead` (the dead-letter record).
 */
export class JobQueue {
  private handlers: Record<string, JobHandler> = {};
  private running = 0;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private readonly opts: Required<QueueOptions>;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    opts: QueueOptions = {},
  ) {
    this.opts = {
      leaseMs: opts.leaseMs ?? 5 * 60_000,
      maxAttempts: opts.maxAttempts ?? 8,
      pollMs: opts.pollMs ?? 500,
      concurrency: opts.concurrency ?? 4,
      backoffMs: opts.backoffMs ?? ((n) => Math.min(60_000, 500 * 2 ** (n - 1))),
    };
  }

  /** Queues a job; with a dedupeKey, a second job of the same key is dropped. True if queued. */
  async enqueue(type: string, payload: unknown, opts: { dedupeKey?: string; delayMs?: number } = {}): Promise<boolean> {
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

  start(handlers: Record<string, JobHandler>): void {
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

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      try {
        while (!this.stopped && this.running < this.opts.concurrency) {
          const job = await this.claim();
          if (!job) break;
          claimed++;
          this.running++;
          void this.run(job).finally(() => {
            this.running--;
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

  private async claim() {
    const t = Date.now();
    const candidates = await this.store.db
      .selectFrom("jobs")
      .select(["id"])
      .where((eb) =>
        eb.or([
          eb.and([eb("state", "=", "queued"), eb("run_at", "<=", t)]),
          eb.and([eb("state", "=", "running"), eb("locked_until", "<", t)]),
        ]),
      )
      .orderBy("run_at")
      .limit(5)
      .execute();
    for (const { id } of candidates) {
      const r = await this.store.db
        .updateTable("jobs")
        .set((eb) => ({ state: "running", locked_until: t + this.opts.leaseMs, attempts: eb("attempts", "+", 1) }))
        .where("id", "=", id)
        .where((eb) =>
          eb.or([
            eb.and([eb("state", "=", "queued"), eb("run_at", "<=", t)]),
            eb.and([eb("state", "=", "running"), eb("locked_until", "<", t)]),
          ]),
        )
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) {
        return this.store.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      }
    }
    return undefined;
  }

  private async run(job: { id: number; type: string; payload: string; attempts: number }): Promise<void> {
    const handler = this.handlers[job.type];
    try {
      if (!handler) throw new Error(`no handler for job type '${job.type}'`);
      await handler(JSON.parse(job.payload), { id: job.id, attempts: job.attempts });
      await this.store.db.updateTable("jobs").set({ state: "done", locked_until: null }).where("id", "=", job.id).execute();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const dead = job.attempts >= this.opts.maxAttempts;
      this.log.error({ job: job.id, type: job.type, attempt: job.attempts, dead, err: message }, "job failed");
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
