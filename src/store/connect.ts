/**
 * Opens the database: PGlite in `<dataDir>/db` by default, PostgreSQL when a
 * URL is given. Optionally confines every query to one schema (tests use a
 * fresh schema per run so parallel runs never collide).
 */
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely';
import { type EmbeddedDb, openEmbedded } from './embedded.js';
import { UnavailableError } from './errors.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export interface DbOptions {
  /** PostgreSQL URL; null = embedded PGlite. */
  databaseUrl: string | null;
  /** Directory for PGlite's files; null = in memory (tests). */
  dataDir: string | null;
  /** PostgreSQL only: schema to create and put first on the search path. */
  schema?: string;
  /** PGlite only: start from this dump of a data directory (tests skip initdb this way). */
  template?: Blob;
  /** PGlite only: the embedded database already being opened (`nimbus start` begins early). */
  embedded?: Promise<EmbeddedDb>;
}

export interface DbHandle {
  db: Kysely<Database>;
  engine: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export async function openDatabase(opts: DbOptions): Promise<DbHandle> {
  const plugins = [new CamelCasePlugin()];
  if (opts.databaseUrl) {
    if (opts.schema && !/^[a-z_][a-z0-9_]*$/.test(opts.schema))
      throw new Error(`Bad schema name ${opts.schema}`);
    // Loaded only for PostgreSQL: the embedded database never needs the driver.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: 10,
      connectionTimeoutMillis: 5000,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    try {
      if (opts.schema) await sql`create schema if not exists ${sql.id(opts.schema)}`.execute(db);
      else await sql`select 1`.execute(db);
    } catch (e) {
      await db.destroy().catch(() => {});
      throw new UnavailableError(`Cannot connect to PostgreSQL: ${(e as Error).message}`, { cause: e });
    }
    return { db, engine: 'postgres', close: () => db.destroy() };
  }

  const embedded = await (opts.embedded ?? openEmbedded(opts.dataDir, opts.template));
  const db = new Kysely<Database>({ dialect: new PGliteDialect(embedded.pg), plugins });
  return {
    db,
    engine: 'pglite',
    close: async () => {
      await db.destroy();
      await embedded.close();
    },
  };
}
