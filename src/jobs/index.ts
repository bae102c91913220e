import type { Logger } from "pino";
import { z } from "zod";
import { parseEnv } from "../config/settings.js";
import type { Store } from "../store/index.js";
import { keyfenceLanes } from "./lanes.js";
import { PgBossQueue } from "./pgboss.js";
import { StoreQueue, type JobQueue } from "./queue.js";

export { StoreQueue, type JobQueue, type JobHandler, type EnqueueOptions } from "./queue.js";
export { PgBossQueue, DEAD_LETTER_QUEUE } from "./pgboss.js";
export { keyfenceLanes, sameLane, type JobLanes } from "./lanes.js";
export { currentJob, secondsSinceQueued } from "./context.js";
export { NotYet } from "./not-yet.js";

// The job queue's own settings, read from the environment (all optional).
const schema = z.object({
  /** Jobs one process runs at once. */
  KEYFENCE_WORKERS: z.coerce.number().int().min(1).max(256).default(4),
  /** How long a job may run before another worker takes it over (seconds). */
  KEYFENCE_JOB_TIMEOUT: z.coerce.number().int().min(1).max(86_000).default(900),
  /** The same, for one repository of a backfill. */
  KEYFENCE_BACKFILL_JOB_TIMEOUT: z.coerce.number().int().min(1).max(86_000).default(3600),
  /** Attempts before a job is dead-lettered. */
  KEYFENCE_JOB_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** How often an idle worker looks for jobs queued by another replica (ms). */
  KEYFENCE_QUEUE_POLL_MS: z.coerce.number().int().min(20).default(500),
  /** pg-boss's schema (PostgreSQL only). */
  KEYFENCE_PGBOSS_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,49}$/, "must be a lower-case PostgreSQL identifier")
    .optional(),
});

export interface QueueSettings {
  concurrency: number;
  timeoutSeconds: number;
  backfillTimeoutSeconds: number;
  maxAttempts: number;
  pollMs: number;
  pgbossSchema?: string;
}

export function loadQueueSettings(env: NodeJS.ProcessEnv = process.env): QueueSettings {
  const s = parseEnv(schema, env);
  return {
    concurrency: s.KEYFENCE_WORKERS,
    timeoutSeconds: s.KEYFENCE_JOB_TIMEOUT,
    backfillTimeoutSeconds: s.KEYFENCE_BACKFILL_JOB_TIMEOUT,
    maxAttempts: s.KEYFENCE_JOB_ATTEMPTS,
    pollMs: s.KEYFENCE_QUEUE_POLL_MS,
    pgbossSchema: s.KEYFENCE_PGBOSS_SCHEMA,
  };
}

/**
 * The job queue for this store: pg-boss when the store is PostgreSQL (several replicas share
 * it), the store's own `jobs` table with SQLite (one process). Same interface, same handlers,
 * same lanes (containment first: ./lanes.ts).
 */
export async function openQueue(store: Store, databaseUrl: string | undefined, log: Logger, qs: QueueSettings = loadQueueSettings({})): Promise<JobQueue> {
  const timeout = (type: string) => (type.startsWith("backfill") ? qs.backfillTimeoutSeconds : qs.timeoutSeconds);
  const lanes = keyfenceLanes(qs.concurrency);
  if (store.isPostgres && databaseUrl) {
    return PgBossQueue.open(store, databaseUrl, log, {
      schema: qs.pgbossSchema,
      concurrency: qs.concurrency,
      lanes,
      maxAttempts: qs.maxAttempts,
      pollMs: qs.pollMs,
      timeoutSeconds: timeout,
      // A job whose worker died is noticed within about a quarter of its timeout after it.
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(qs.timeoutSeconds / 4))),
    });
  }
  return new StoreQueue(store, log, {
    concurrency: qs.concurrency,
    lanes,
    maxAttempts: qs.maxAttempts,
    pollMs: qs.pollMs,
    leaseMs: qs.timeoutSeconds * 1000,
    leaseMsFor: (type) => timeout(type) * 1000,
  });
}
