import { SqliteAdapter, type ColumnDefinitionBuilder, type Kysely, type Migration } from "kysely";

// Versioned migrations, shared by SQLite and PostgreSQL. Never edit one that has shipped: add the next.
export const migrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<any>) {
      const id = serialId(db);
      await db.schema
        .createTable("deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("received_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("findings")
        .addColumn("id", "integer", id)
        .addColumn("key_id", "text", (c) => c.notNull())
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("commit_sha", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("line", "integer", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text")
        .addColumn("found_at", "text", (c) => c.notNull())
        .addUniqueConstraint("findings_place", ["key_id", "repo", "commit_sha", "path", "line"])
        .execute();
      await db.schema
        .createTable("keys")
        .addColumn("key_id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("account_id", "text")
        .addColumn("user_name", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("note", "text")
        .addColumn("last_used", "text")
        .addColumn("secret_hash", "text")
        .addColumn("first_seen_at", "text", (c) => c.notNull())
        .addColumn("contained_at", "text")
        .addColumn("claimed_until", "bigint")
        .execute();
      await db.schema
        .createTable("issues")
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("key_id", "text", (c) => c.notNull())
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("opened_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("issues_pk", ["repo", "key_id"])
        .execute();
      await db.schema
        .createTable("actions")
        .addColumn("id", "integer", id)
        .addColumn("key_id", "text")
        .addColumn("repo", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("detail", "text")
        .addColumn("actor", "text")
        .addColumn("at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("rotations")
        .addColumn("key_id", "text", (c) => c.primaryKey())
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("issue_number", "integer", (c) => c.notNull())
        .addColumn("requested_by", "text", (c) => c.notNull())
        .addColumn("step", "text", (c) => c.notNull())
        .addColumn("new_key_id", "text")
        .addColumn("keys_before", "text")
        .addColumn("error", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("jobs")
        .addColumn("id", "integer", id)
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("dedupe_key", "text", (c) => c.unique())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("run_at", "bigint", (c) => c.notNull())
        .addColumn("locked_until", "bigint")
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("jobs_ready").on("jobs").columns(["state", "run_at"]).execute();
      await db.schema.createIndex("findings_repo_key").on("findings").columns(["repo", "key_id"]).execute();
    },
  },
  // Org-wide backfill (src/pipeline/backfill.ts): one run per scope, progress per repository.
  "0002_backfill": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("backfill_runs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("mode", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .execute();
      await db.schema
        .createTable("backfill_repos")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("info", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("owner", "text")
        .addColumn("lease_until", "bigint")
        .addColumn("scans", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("blobs", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("bytes", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("findings", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("mode", "text")
        .addColumn("error", "text")
        .addColumn("started_at", "text")
        .addColumn("finished_at", "text")
        .addPrimaryKeyConstraint("backfill_repos_pk", ["run_id", "repo"])
        .execute();
      await db.schema
        .createTable("backfill_findings")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("key_id", "text", (c) => c.notNull())
        .addColumn("redacted", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("commit_sha", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("line", "integer", (c) => c.notNull())
        .addColumn("col", "integer", (c) => c.notNull())
        .addColumn("author", "text", (c) => c.notNull())
        .addColumn("author_email", "text", (c) => c.notNull())
        .addColumn("authored_at", "text", (c) => c.notNull())
        .addUniqueConstraint("backfill_findings_place", ["run_id", "repo", "key_id", "commit_sha", "path", "line"])
        .execute();
    },
  },
  // Dedupe keys of jobs handed to pg-boss (src/jobs/pgboss.ts), written in the same transaction as the job.
  "0003_job_keys": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("job_keys")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("job_id", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  // Missed webhooks (src/pipeline/reconcile.ts): the head scanned per ref, redeliveries asked for, sweep watermarks.
  "0004_reconcile": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("scanned_refs")
        .addColumn("repo", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull())
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("scanned_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("scanned_refs_pk", ["repo", "ref"])
        .execute();
      await db.schema
        .createTable("redeliveries")
        .addColumn("guid", "text", (c) => c.primaryKey())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("last_asked_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("reconcile_marks")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0005_rotation_lock": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("rotations").addColumn("locked_by", "text").execute();
      await db.schema.alterTable("rotations").addColumn("locked_until", "bigint").execute();
    },
  },
  // GitHub faults (src/pipeline/repos.ts, src/pipeline/suspension.ts): the name each repository ID was
  // last seen under, so a renamed or transferred repository's records follow it; and the jobs of a
  // suspended installation, parked until it is unsuspended.
  "0006_repositories_parked_jobs": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("repositories")
        .addColumn("id", "bigint", (c) => c.primaryKey())
        .addColumn("full_name", "text", (c) => c.notNull())
        .addColumn("seen_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("repositories_full_name").on("repositories").column("full_name").execute();
      await db.schema
        .createTable("parked_jobs")
        .addColumn("id", "integer", serialId(db))
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("job_key", "text", (c) => c.notNull().unique())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("parked_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("parked_jobs_installation").on("parked_jobs").column("installation_id").execute();
    },
  },
  // Which places each issue has shown (src/store/told.ts); those recorded before were all shown.
  "0007_findings_told": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("findings").addColumn("told_by", "text").execute();
      await db.schema.alterTable("findings").addColumn("told_at", "text").execute();
      await db.updateTable("findings").set((eb: any) => ({ told_by: eb.val("issue"), told_at: eb.ref("found_at") })).execute();
      await db.schema.createIndex("findings_untold").on("findings").columns(["repo", "key_id", "told_at"]).execute();
    },
  },
};

/** An auto-numbered primary key, spelled the way each engine wants it. */
function serialId(db: Kysely<any>) {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  return (c: ColumnDefinitionBuilder) =>
    sqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();
}
