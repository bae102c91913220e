import type { Store } from "./index.js";

// The reconciliation's own records (migration 0004_reconcile): what was scanned per ref, which
// failed deliveries were asked for again, and the sweep's watermarks. Functions taking the Store.

const now = () => new Date().toISOString();

/** Records that a ref's head was scanned (insert or move forward). */
export async function recordScannedRef(store: Store, r: { repo: string; ref: string; sha: string; installationId: number }): Promise<void> {
  await store.db
    .insertInto("scanned_refs")
    .values({ repo: r.repo, ref: r.ref, sha: r.sha, installation_id: r.installationId, scanned_at: now() })
    .onConflict((oc) => oc.columns(["repo", "ref"]).doUpdateSet({ sha: r.sha, installation_id: r.installationId, scanned_at: now() }))
    .execute();
}

/** Forgets a deleted ref. */
export async function forgetScannedRef(store: Store, repo: string, ref: string): Promise<void> {
  await store.db.deleteFrom("scanned_refs").where("repo", "=", repo).where("ref", "=", ref).execute();
}

/** ref → last scanned head, for one repository. */
export async function scannedRefs(store: Store, repo: string): Promise<Map<string, string>> {
  const rows = await store.db.selectFrom("scanned_refs").select(["ref", "sha"]).where("repo", "=", repo).execute();
  return new Map(rows.map((r) => [r.ref, r.sha]));
}

/** Whether a delivery GUID was accepted by keyfence (the webhook handlers record each one). */
export async function deliveryKnown(store: Store, guid: string): Promise<boolean> {
  return !!(await store.db.selectFrom("deliveries").select("id").where("id", "=", guid).executeTakeFirst());
}

/** How many times keyfence asked GitHub to redeliver this GUID. */
export async function redeliveryAttempts(store: Store, guid: string): Promise<number> {
  const row = await store.db.selectFrom("redeliveries").select("attempts").where("guid", "=", guid).executeTakeFirst();
  return Number(row?.attempts ?? 0);
}

export async function noteRedelivery(store: Store, guid: string, event: string): Promise<void> {
  await store.db
    .insertInto("redeliveries")
    .values({ guid, event, attempts: 1, last_asked_at: now() })
    .onConflict((oc) => oc.column("guid").doUpdateSet((eb) => ({ attempts: eb("redeliveries.attempts", "+", 1), last_asked_at: now() })))
    .execute();
}

export async function getMark(store: Store, name: string): Promise<string | undefined> {
  return (await store.db.selectFrom("reconcile_marks").select("value").where("name", "=", name).executeTakeFirst())?.value;
}

export async function setMark(store: Store, name: string, value: string): Promise<void> {
  await store.db
    .insertInto("reconcile_marks")
    .values({ name, value })
    .onConflict((oc) => oc.column("name").doUpdateSet({ value }))
    .execute();
}

/** Gives back a reservation to open a key's issue (number -1) after opening it failed. */
export async function releaseIssueClaim(store: Store, repo: string, keyId: string): Promise<void> {
  await store.db.deleteFrom("issues").where("repo", "=", repo).where("key_id", "=", keyId).where("number", "=", -1).execute();
}
