/**
 * Test databases. Every store/API suite runs on PGlite; when DATABASE_URL is set
 * it runs on PostgreSQL too, each run in a schema of its own that is dropped after.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { type DbHandle, openDatabase } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { Store } from '../../src/store/store.js';

export type Backend = 'pglite' | 'postgres';

export function backends(): Backend[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export function uniqueSchema(): string {
  return `nimbus_test_${randomBytes(6).toString('hex')}`;
}

let template: Blob | null = null;
function pgliteTemplate(): Blob | undefined {
  const file = process.env.NIMBUS_TEST_PGLITE_TEMPLATE;
  if (!file) return undefined;
  template ??= new Blob([readFileSync(file)]);
  return template;
}

export interface TestDb {
  store: Store;
  handle: DbHandle;
  schema: string | null;
  close(): Promise<void>;
}

export async function openTestDb(backend: Backend): Promise<TestDb> {
  const schema = backend === 'postgres' ? uniqueSchema() : null;
  const tpl = backend === 'pglite' ? pgliteTemplate() : undefined;
  const handle = await openDatabase({
    databaseUrl: backend === 'postgres' ? process.env.DATABASE_URL! : null,
    dataDir: null,
    ...(schema ? { schema } : {}),
    ...(tpl ? { template: tpl } : {}),
  });
  await migrateToLatest(handle.db);
  return {
    store: new Store(handle.db),
    handle,
    schema,
    close: async () => {
      if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}
