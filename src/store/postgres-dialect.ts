import { PostgresDialect, PostgresIntrospector, sql, type DatabaseIntrospector, type DatabaseMetadata, type Kysely, type TableMetadata } from "kysely";

/**
 * PostgreSQL, with table introspection limited to the store's own schema. Kysely's migrator
 * asks for every table of the database, and its query resolves each schema by name
 * (pg_get_serial_sequence, has_schema_privilege): a schema dropped by anyone else meanwhile
 * (another app, another keyfence, pg-boss) fails the migration with "schema … does not exist".
 */
export class StorePostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}

class OwnSchemaIntrospector implements DatabaseIntrospector {
  private readonly all: PostgresIntrospector;
  constructor(private readonly db: Kysely<any>) {
    this.all = new PostgresIntrospector(db);
  }

  getSchemas() {
    return this.all.getSchemas();
  }

  /** The tables and views of the current schema (names only: all the migrator needs). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'm')`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === "v" || r.kind === "m", columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
