import type { Store } from "./index.js";

// Which places of a key its repository's issue has shown (migration 0007_findings_told). A place
// is told once: in the description when it is opened, or in one "pushed again" comment.
// The report that tells it claims it first (told_by), so that a retry of that report, even after
// its process died, tells what it claimed and nothing another report told.

const now = () => new Date().toISOString();

/** Claims the key's untold places in the repository for `by`; returns those `by` holds, oldest first. */
export async function claimUntold(store: Store, repo: string, keyId: string, by: string) {
  await store.db
    .updateTable("findings")
    .set({ told_by: by })
    .where("repo", "=", repo)
    .where("key_id", "=", keyId)
    .where("told_at", "is", null)
    .where("told_by", "is", null)
    .execute();
  return store.db
    .selectFrom("findings")
    .select(["id", "commit_sha", "path", "line"])
    .where("repo", "=", repo)
    .where("key_id", "=", keyId)
    .where("told_by", "=", by)
    .where("told_at", "is", null)
    .orderBy("id")
    .execute();
}

/** The places `by` claimed are now shown on GitHub. */
export async function markTold(store: Store, repo: string, keyId: string, by: string): Promise<void> {
  await store.db
    .updateTable("findings")
    .set({ told_at: now() })
    .where("repo", "=", repo)
    .where("key_id", "=", keyId)
    .where("told_by", "=", by)
    .where("told_at", "is", null)
    .execute();
}

/** These places are in a newly opened issue's description. */
export async function markListed(store: Store, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await store.db
    .updateTable("findings")
    .set((eb) => ({ told_by: eb.fn.coalesce("told_by", eb.val("issue")), told_at: now() }))
    .where("id", "in", ids)
    .where("told_at", "is", null)
    .execute();
}
