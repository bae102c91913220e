import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { PgBossQueue, StoreQueue, type JobLanes, type JobQueue } from "../../src/jobs/index.js";
import { Store } from "../../src/store/index.js";
import { pgSchema } from "../helpers/stores.js";



export const log = pino({ level: "silent" });

export interface QueueOpts {
  maxAttempts?: number;
  concurrency?: number;
  /** How long a job may be held before another worker takes it (seconds). */
  timeoutSeconds?: number;
  /** The first retry's delay (seconds); the store queue's is scaled to ms in these tests. */
  retryDelaySeconds?: number;
  lanes?: JobLanes;
}

/** One database (a file or a schema) that store and queue instances can be opened on, as processes would. */
export interface Engine {
  name: string;
  openStore(): Promise<Store>;
  openQueue(store: Store, opts?: QueueOpts): Promise<JobQueue>;
  drop(): Promise<void>;
}

export const engines: Array<{ name: string; create(): Promise<Engine> }> = [
  {
    name: "sqlite (store queue)",
    async create() {
      const dir = mkdtempSync(join(tmpdir(), "keyfence-jobs-"));
      const dbPath = join(dir, "kf.db");
      return {
        name: "sqlite",
        openStore: () => Store.open({ dbPath }),
        async openQueue(store, o = {}) {
          return new StoreQueue(store, log, {
            pollMs: 20,
            maxAttempts: o.maxAttempts,
            concurrency: o.concurrency,
            lanes: o.lanes,
            leaseMs: (o.timeoutSeconds ?? 60) * 1000,
            backoffMs: (n) => (o.retryDelaySeconds ?? 0.01) * 1000 * 2 ** (n - 1),
          });
        },
        async drop() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "postgres (pg-boss)",
    async create() {
      const db = await pgSchema();
      return {
        name: "postgres",
        openStore: () => Store.open({ databaseUrl: db.url }),
        openQueue: (store, o = {}) =>
          PgBossQueue.open(store, db.url, log, {
            pollMs: 50,
            maxAttempts: o.maxAttempts,
            concurrency: o.concurrency,
            lanes: o.lanes,
            retryDelaySeconds: o.retryDelaySeconds ?? 0,
            timeoutSeconds: () => o.timeoutSeconds ?? 60,
            maintenanceIntervalSeconds: 1,
          }),
        drop: db.drop,
      };
    },
  },
];

export const until = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};
