import { randomBytes } from "node:crypto";
import pg from "pg";
import { Store } from "../../src/store/index.js";

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

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
      const schema = `kf_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const store = await Store.open({ databaseUrl: url });
      return {
        store,
        async drop() {
          await store.close();
          const c = new pg.Client({ connectionString: POSTGRES_URL });
          await c.connect();
          await c.query(`DROP SCHEMA ${schema} CASCADE`);
          await c.end();
        },
      };
    },
  },
];
