import { createHash } from "node:crypto";
import type { Store } from "./index.js";

// Jobs of a suspended GitHub App installation (migration 0006), kept aside rather than retried
// until they are dead: src/pipeline/suspension.ts queues them again once it is unsuspended.

export interface ParkedJob {
  id: number;
  installationId: number;
  type: string;
  payload: unknown;
}

/** Keeps a job aside; the same job (type and payload) parked twice is kept once. True if new. */
export async function parkJob(store: Store, j: { installationId: number; type: string; payload: unknown; reason: string }): Promise<boolean> {
  const payload = JSON.stringify(j.payload);
  const r = await store.db
    .insertInto("parked_jobs")
    .values({
      installation_id: j.installationId,
      type: j.type,
      payload,
      job_key: createHash("sha256").update(`${j.type}\n${payload}`).digest("hex"),
      reason: j.reason.slice(0, 500),
      parked_at: new Date().toISOString(),
    })
    .onConflict((oc) => oc.column("job_key").doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function parkedJobs(store: Store, installationId: number): Promise<ParkedJob[]> {
  const rows = await store.db.selectFrom("parked_jobs").selectAll().where("installation_id", "=", installationId).orderBy("id").execute();
  return rows.map((r) => ({ id: Number(r.id), installationId: Number(r.installation_id), type: r.type, payload: JSON.parse(r.payload) as unknown }));
}

export async function dropParkedJob(store: Store, id: number): Promise<void> {
  await store.db.deleteFrom("parked_jobs").where("id", "=", id).execute();
}
