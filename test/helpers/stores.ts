import { randomBytes } from "node:crypto";
import pg from "pg";
import { Store } from "../../src/store/index.js";

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A schema of its own in the test database, and its URL (search_path set to it). */
export async function pgSchema(): Promise<{ url: string; schema: string; describe(): Promise<string>; drop(): Promise<void> }> {
  const schema = `kf_${randomBytes(6).toString("hex")}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
  return {
    url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    schema,
    // For a failure's message: what the database holds now.
    describe: () =>
      admin(async (c) => {
        const { rows } = await c.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kf\\_%'`);
        const names = rows.map((r) => r.nspname);
        return `schema ${schema} ${names.includes(schema) ? "exists" : "is gone"}; ${names.length} kf_ schemas in the database`;
      }),
    drop: () =>
      admin(async (c) => {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.query(`DROP SCHEMA IF EXISTS ${schema}_pgboss CASCADE`);
      }),
  };
}

/** A fresh store of each kind: SQLite in memory, and PostgreSQL in a schema of its own. */
export const storeKinds: Array<{ name: string; open(): Promise<{ store: Store; drop(): Promise<void> }> }> = [
  {
    name: "sqlite",
    async open() {
      const store = await Store.open({ dbPath: ":memory:" });
      return { store, drop: () => store.close() };
    },
  },
  {
    name: "postgres",
    async open() {
      const db = await pgSchema();
      const store = await Store.open({ databaseUrl: db.url }).catch(async (e: Error) => {
        throw new Error(`${e.message} (${await db.describe()})`);
      });
      return {
        store,
        async drop() {
          await store.close();
          await db.drop();
        },
      };
    },
  },
];
