import { sql } from "kysely";
import type { Store } from "./index.js";

// Repository identity (migration 0006): the full name each repository ID was last seen under. keyfence
// keys its records by full name; when GitHub says a repository ID now has another name (renamed or
// transferred), renameRepoRecords moves every record from the old name to the new one.

const now = () => new Date().toISOString();

/** The full name a repository ID was last seen under, if it was seen. */
export async function knownRepoName(store: Store, id: number): Promise<string | undefined> {
  return (await store.db.selectFrom("repositories").select("full_name").where("id", "=", id).executeTakeFirst())?.full_name;
}

/** The other repository IDs last seen under this full name (a name a renamed repository left behind, taken again). */
export async function otherIdsOfName(store: Store, fullName: string, id: number): Promise<number[]> {
  const rows = await store.db.selectFrom("repositories").select("id").where("full_name", "=", fullName).where("id", "!=", id).execute();
  return rows.map((r) => Number(r.id));
}

export async function noteRepoName(store: Store, id: number, fullName: string): Promise<void> {
  await store.db
    .insertInto("repositories")
    .values({ id, full_name: fullName, seen_at: now() })
    .onConflict((oc) => oc.column("id").doUpdateSet({ full_name: fullName, seen_at: now() }))
    .execute();
}

/**
 * Moves every record kept under `from` to `to`, in one transaction: findings, the key's issue in the
 * repository, scanned heads, backfill progress, rotations and the audit trail. A record that exists
 * under both names (made under the new name before the move was noticed) is kept once, the new one.
 */
export async function renameRepoRecords(store: Store, from: string, to: string): Promise<void> {
  if (from === to) return;
  await store.db.transaction().execute(async (trx) => {
    // Tables whose rows are unique by repository and some columns: move what does not clash, drop the rest.
    const unique: Array<[string, string[]]> = [
      ["issues", ["key_id"]],
      ["findings", ["key_id", "commit_sha", "path", "line"]],
      ["scanned_refs", ["ref"]],
      ["backfill_findings", ["run_id", "key_id", "commit_sha", "path", "line"]],
    ];
    for (const [table, cols] of unique) {
      const same = sql.join(cols.map((c) => sql`o.${sql.ref(c)} = ${sql.table(table)}.${sql.ref(c)}`), sql` and `);
      await sql`update ${sql.table(table)} set repo = ${to} where repo = ${from}
        and not exists (select 1 from ${sql.table(table)} o where o.repo = ${to} and ${same})`.execute(trx);
      await sql`delete from ${sql.table(table)} where repo = ${from}`.execute(trx);
    }
    for (const table of ["actions", "rotations"]) await sql`update ${sql.table(table)} set repo = ${to} where repo = ${from}`.execute(trx);
    // Backfill progress also keeps the repository's names in its `info` (owner, name, URLs).
    const [owner, name] = to.split("/") as [string, string];
    const rows = await trx.selectFrom("backfill_repos").selectAll().where("repo", "=", from).execute();
    for (const r of rows) {
      const clash = await trx.selectFrom("backfill_repos").select("repo").where("run_id", "=", r.run_id).where("repo", "=", to).executeTakeFirst();
      if (clash) {
        await trx.deleteFrom("backfill_repos").where("run_id", "=", r.run_id).where("repo", "=", from).execute();
        continue;
      }
      const info = JSON.parse(r.info) as Record<string, unknown>;
      const moved: Record<string, unknown> = { ...info, owner, repo: name };
      for (const k of ["htmlUrl", "cloneUrl"]) {
        if (typeof info[k] === "string") moved[k] = (info[k] as string).replace(`/${from}`, `/${to}`);
      }
      await trx.updateTable("backfill_repos").set({ repo: to, info: JSON.stringify(moved) }).where("run_id", "=", r.run_id).where("repo", "=", from).execute();
    }
  });
}
