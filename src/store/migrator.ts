/**
 * Migrations live in code (not files found at run time) so the compiled build and
 * the test run see exactly the same list. Same migrations for PGlite and PostgreSQL.
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_totp_last_step.js';
import * as m0003 from './migrations/0003_calls.js';
import * as m0004 from './migrations/0004_media.js';
import * as m0005 from './migrations/0005_platform_secrets.js';
import * as m0006 from './migrations/0006_push_subscriptions.js';
import * as m0007 from './migrations/0007_routing.js';
import * as m0008 from './migrations/0008_call_rules.js';
import * as m0009 from './migrations/0009_queues.js';
import * as m0010 from './migrations/0010_ivr.js';
import * as m0011 from './migrations/0011_voicemail.js';
import * as m0012 from './migrations/0012_audio_files.js';
import * as m0013 from './migrations/0013_voicemail_transcripts.js';
import * as m0014 from './migrations/0014_trunks.js';
import * as m0015 from './migrations/0015_voicemail_attach_format.js';
import * as m0016 from './migrations/0016_voicemail_action_key.js';
import * as m0017 from './migrations/0017_rates_and_spend.js';
import * as m0018 from './migrations/0018_webhooks.js';
import * as m0019 from './migrations/0019_recordings.js';
import * as m0020 from './migrations/0020_contacts.js';
import * as m0021 from './migrations/0021_integrations.js';
import * as m0022 from './migrations/0022_reports.js';
import * as m0023 from './migrations/0023_report_rollups.js';
import * as m0024 from './migrations/0024_clear_calls_at_cap.js';
import * as m0025 from './migrations/0025_trunk_realm.js';
import * as m0026 from './migrations/0026_queue_node_failures.js';
import * as m0027 from './migrations/0027_tenant_sip_rate_limit.js';
import * as m0028 from './migrations/0028_sip_allow_list.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_totp_last_step': m0002,
  '0003_calls': m0003,
  '0004_media': m0004,
  '0005_platform_secrets': m0005,
  '0006_push_subscriptions': m0006,
  '0007_routing': m0007,
  '0008_call_rules': m0008,
  '0009_queues': m0009,
  '0010_ivr': m0010,
  '0011_voicemail': m0011,
  '0012_audio_files': m0012,
  '0013_voicemail_transcripts': m0013,
  '0014_trunks': m0014,
  '0015_voicemail_attach_format': m0015,
  '0016_voicemail_action_key': m0016,
  '0017_rates_and_spend': m0017,
  '0018_webhooks': m0018,
  '0019_recordings': m0019,
  '0020_contacts': m0020,
  '0021_integrations': m0021,
  '0022_reports': m0022,
  '0023_report_rollups': m0023,
  '0024_clear_calls_at_cap': m0024,
  '0025_trunk_realm': m0025,
  '0026_queue_node_failures': m0026,
  '0027_tenant_sip_rate_limit': m0027,
  '0028_sip_allow_list': m0028,
};

/**
 * The migrator keeps its bookkeeping tables in the connection's current schema.
 * Named explicitly, because otherwise Kysely looks for them in any schema and is
 * fooled by another Nimbus (or test run) sharing the same PostgreSQL database.
 */
async function migrator<DB>(db: Kysely<DB>): Promise<Migrator> {
  const k = db as Kysely<unknown>;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(k);
  return new Migrator({
    db: k,
    migrationTableSchema: rows[0]?.schema ?? 'public',
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'nimbus_migration',
    migrationLockTableName: 'nimbus_migration_lock',
  });
}

export interface MigrationReport {
  applied: string[];
}

/** Names already applied, read directly: the cheap check that lets a warm start skip the migrator. */
async function appliedNames<DB>(db: Kysely<DB>): Promise<Set<string> | null> {
  try {
    const { rows } = await sql<{ name: string }>`select name from nimbus_migration`.execute(
      db as Kysely<unknown>,
    );
    return new Set(rows.map((r) => r.name));
  } catch {
    return null; // no bookkeeping table yet: a new database
  }
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationReport> {
  const applied = await appliedNames(db);
  if (applied && Object.keys(MIGRATIONS).every((name) => applied.has(name))) return { applied: [] };
  const result: MigrationResultSet = await (await migrator(db)).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `Migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`,
      {
        cause: result.error,
      },
    );
  }
  return {
    applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}

/** Names of migrations not yet applied (for `nimbus doctor` and /readyz). */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const list = await (await migrator(db)).getMigrations();
  return list.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
