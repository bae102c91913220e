// keyfence's store may share a PostgreSQL database with other schemas (other apps, other
// keyfence instances, pg-boss). Schemas created and dropped beside it while it opens and migrates
// must not break it: Kysely's own introspection reads every schema of the database, and fails
// with "schema … does not exist" when one goes away mid-query.
import { describe, expect, it } from "vitest";
import pg from "pg";
import { randomBytes } from "node:crypto";
import { Store } from "../../src/store/index.js";
import { POSTGRES_URL, pgSchema } from "../helpers/stores.js";

describe("store on postgres, beside schemas that come and go", () => {
  it("opens and migrates while other schemas are created and dropped", async () => {
    const churn = new pg.Client({ connectionString: POSTGRES_URL });
    await churn.connect();
    let stop = false;
    const churning = (async () => {
      while (!stop) {
        const s = `kf_churn_${randomBytes(4).toString("hex")}`;
        await churn.query(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.t (id serial primary key, a int, b int, c int)`);
        await churn.query(`DROP SCHEMA ${s} CASCADE`);
      }
    })();
    const failures: string[] = [];
    try {
      for (let i = 0; i < 25; i++) {
        const db = await pgSchema();
        try {
          const store = await Store.open({ databaseUrl: db.url });
          await store.close();
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        } finally {
          await db.drop();
        }
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
