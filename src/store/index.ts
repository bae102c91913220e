import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import pg from "pg";
import { Kysely, Migrator, sql, SqliteDialect, type MigrationProvider } from "kysely";
import { StorePostgresDialect } from "./postgres-dialect.js";
import { migrations } from "./migrations.js";
import type { Database, KeyTable, RotationTable } from "./schema.js";

export type { Database } from "./schema.js";
export type KeyRow = KeyTable;
export type RotationRow = RotationTable;

const now = () => new Date().toISOString();

/** The store: SQLite by default (a file path), PostgreSQL when given a postgres:// URL. */
export class Store {
  private constructor(
    readonly db: Kysely<Database>,
    readonly isPostgres: boolean,
  ) {}

  static async open(location: { dbPath?: string; databaseUrl?: string }): Promise<Store> {
    let db: Kysely<Database>;
    if (location.databaseUrl) {
      db = new Kysely<Database>({
        dialect: new StorePostgresDialect({ pool: new pg.Pool({ connectionString: location.databaseUrl, max: 10 }) }),
      });
    } else {
      const path = location.dbPath ?? ":memory:";
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      const sqlite = new SQLite(path);
      sqlite.pragma("journal_mode = WAL");
      sqlite.pragma("busy_timeout = 5000");
      // In WAL mode NORMAL survives a killed process (what the idempotency guarantees are about) and
      // saves an fsync per write on the containment path; only a power cut can lose the last writes.
      sqlite.pragma("synchronous = NORMAL");
      db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    }
    const store = new Store(db, !!location.databaseUrl);
    await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    const provider: MigrationProvider = { getMigrations: async () => migrations };
    // Kysely looks for its own tables by name in every schema unless told which one is ours.
    const schema = this.isPostgres
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(this.db)).rows[0]?.s
      : undefined;
    const { error } = await new Migrator({ db: this.db, provider, migrationTableSchema: schema }).migrateToLatest();
    if (error) throw new Error(`store migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  /** True the first time a delivery ID is seen, false for a redelivery. */
  async recordDelivery(id: string, event: string): Promise<boolean> {
    const r = await this.db
      .insertInto("deliveries")
      .values({ id, event, received_at: now() })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Records where a key was seen; true if this place is new. */
  async addFinding(f: {
    keyId: string;
    repo: string;
    commitSha: string;
    path: string;
    line: number;
    kind: string;
    secretHash: string | null;
  }): Promise<boolean> {
    const r = await this.db
      .insertInto("findings")
      .values({
        key_id: f.keyId,
        repo: f.repo,
        commit_sha: f.commitSha,
        path: f.path,
        line: f.line,
        kind: f.kind,
        secret_hash: f.secretHash,
        found_at: now(),
      })
      .onConflict((oc) => oc.columns(["key_id", "repo", "commit_sha", "path", "line"]).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  findingsOf(keyId: string, repo?: string) {
    let q = this.db.selectFrom("findings").selectAll().where("key_id", "=", keyId);
    if (repo) q = q.where("repo", "=", repo);
    return q.orderBy("id").execute();
  }

  /** Records a key the first time it is seen; returns the row as it stands. */
  async upsertKey(k: { keyId: string; kind: string; secretHash: string | null; state: string }): Promise<KeyRow> {
    await this.db
      .insertInto("keys")
      .values({
        key_id: k.keyId,
        kind: k.kind,
        account_id: null,
        user_name: null,
        state: k.state,
        note: null,
        last_used: null,
        secret_hash: k.secretHash,
        first_seen_at: now(),
        contained_at: null,
        claimed_until: null,
      })
      .onConflict((oc) => oc.column("key_id").doNothing())
      .execute();
    if (k.secretHash) {
      await this.db
        .updateTable("keys")
        .set({ secret_hash: k.secretHash })
        .where("key_id", "=", k.keyId)
        .where("secret_hash", "is", null)
        .execute();
    }
    return (await this.key(k.keyId))!;
  }

  key(keyId: string): Promise<KeyRow | undefined> {
    return this.db.selectFrom("keys").selectAll().where("key_id", "=", keyId).executeTakeFirst();
  }

  async updateKey(keyId: string, patch: Partial<Omit<KeyRow, "key_id">>): Promise<void> {
    await this.db.updateTable("keys").set(patch).where("key_id", "=", keyId).execute();
  }

  /**
   * Moves a key from one state to another only if it is still in `from`: the caller that wins
   * the transition does the work, so two workers never contain or rotate the same key twice.
   */
  async claimKey(keyId: string, from: string[], to: string, leaseMs = 120_000): Promise<boolean> {
    const t = Date.now();
    const r = await this.db
      .updateTable("keys")
      .set({ state: to, claimed_until: t + leaseMs })
      .where("key_id", "=", keyId)
      .where((eb) =>
        eb.or([eb("state", "in", from), eb.and([eb("state", "=", to), eb("claimed_until", "<", t)])]),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  issueFor(repo: string, keyId: string) {
    return this.db
      .selectFrom("issues")
      .selectAll()
      .where("repo", "=", repo)
      .where("key_id", "=", keyId)
      .executeTakeFirst();
  }

  issueByNumber(repo: string, number: number) {
    return this.db
      .selectFrom("issues")
      .selectAll()
      .where("repo", "=", repo)
      .where("number", "=", number)
      .executeTakeFirst();
  }

  /**
   * Reserves the right to open the issue for a key in a repository (number -1 until opened).
   * True for the one caller that got it, or when an earlier reservation went stale.
   */
  async claimIssue(repo: string, keyId: string, staleMs = 120_000): Promise<boolean> {
    const r = await this.db
      .insertInto("issues")
      .values({ repo, key_id: keyId, number: -1, opened_at: now() })
      .onConflict((oc) => oc.columns(["repo", "key_id"]).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    const stale = await this.db
      .updateTable("issues")
      .set({ opened_at: now() })
      .where("repo", "=", repo)
      .where("key_id", "=", keyId)
      .where("number", "=", -1)
      .where("opened_at", "<", new Date(Date.now() - staleMs).toISOString())
      .executeTakeFirst();
    return Number(stale.numUpdatedRows) === 1;
  }

  /**
   * Reserves the right to open a replacement for the key's issue `gone`, deleted on GitHub (number -1
   * until opened, as claimIssue does). True for one caller only; false when another caller holds the
   * reservation or has recorded the replacement already (issueFor says which).
   */
  async claimReplacement(repo: string, keyId: string, gone: number, staleMs = 120_000): Promise<boolean> {
    const r = await this.db
      .updateTable("issues")
      .set({ number: -1, opened_at: now() })
      .where("repo", "=", repo)
      .where("key_id", "=", keyId)
      .where("number", "=", gone)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return true;
    return this.claimIssue(repo, keyId, staleMs);
  }

  /** Whether an issue of this repository was opened but its number is not recorded yet. */
  async issueBeingOpened(repo: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("issues")
      .select("key_id")
      .where("repo", "=", repo)
      .where("number", "=", -1)
      .executeTakeFirst();
    return !!row;
  }

  async recordIssue(repo: string, keyId: string, number: number): Promise<void> {
    await this.db
      .updateTable("issues")
      .set({ number })
      .where("repo", "=", repo)
      .where("key_id", "=", keyId)
      .execute();
  }

  async logAction(a: { keyId?: string; repo?: string; action: string; detail?: string; actor?: string }): Promise<void> {
    await this.db
      .insertInto("actions")
      .values({
        key_id: a.keyId ?? null,
        repo: a.repo ?? null,
        action: a.action,
        detail: a.detail ?? null,
        actor: a.actor ?? null,
        at: now(),
      })
      .execute();
  }

  actionsOf(keyId: string) {
    return this.db.selectFrom("actions").selectAll().where("key_id", "=", keyId).orderBy("id").execute();
  }

  rotation(keyId: string): Promise<RotationRow | undefined> {
    return this.db.selectFrom("rotations").selectAll().where("key_id", "=", keyId).executeTakeFirst();
  }

  /** Starts a rotation unless one is already under way or done; true if this call started it. */
  async startRotation(r: { keyId: string; repo: string; issueNumber: number; requestedBy: string }): Promise<boolean> {
    const ins = await this.db
      .insertInto("rotations")
      .values({
        key_id: r.keyId,
        repo: r.repo,
        issue_number: r.issueNumber,
        requested_by: r.requestedBy,
        step: "requested",
        new_key_id: null,
        keys_before: null,
        locked_by: null,
        locked_until: null,
        error: null,
        updated_at: now(),
      })
      .onConflict((oc) => oc.column("key_id").doNothing())
      .executeTakeFirst();
    if (Number(ins.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    // A failed rotation may be asked for again.
    const retry = await this.db
      .updateTable("rotations")
      .set({ step: "requested", error: null, requested_by: r.requestedBy, updated_at: now() })
      .where("key_id", "=", r.keyId)
      .where("step", "=", "failed")
      .executeTakeFirst();
    return Number(retry.numUpdatedRows) === 1;
  }

  /**
   * Takes or renews the rotation's lock for `holder`; false while another holder's lease runs.
   * Renewed at every step, so a job that outlives its queue timeout and is started again elsewhere
   * finds the rotation still held and waits.
   */
  async lockRotation(keyId: string, holder: string, leaseMs: number): Promise<boolean> {
    const t = Date.now();
    const r = await this.db
      .updateTable("rotations")
      .set({ locked_by: holder, locked_until: t + leaseMs })
      .where("key_id", "=", keyId)
      .where((eb) => eb.or([eb("locked_by", "is", null), eb("locked_by", "=", holder), eb("locked_until", "<", t)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async unlockRotation(keyId: string, holder: string): Promise<void> {
    await this.db
      .updateTable("rotations")
      .set({ locked_by: null, locked_until: null })
      .where("key_id", "=", keyId)
      .where("locked_by", "=", holder)
      .execute();
  }

  async setRotation(keyId: string, patch: Partial<Omit<RotationRow, "key_id">>): Promise<void> {
    await this.db
      .updateTable("rotations")
      .set({ ...patch, updated_at: now() })
      .where("key_id", "=", keyId)
      .execute();
  }
}
