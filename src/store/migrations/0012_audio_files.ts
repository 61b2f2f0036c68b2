/**
 * A tenant's own audio (issue 8): recordings and uploads used as IVR greetings
 * and prompts. The WAV lives under `<dataDir>/audio/<tenant>/<id>.wav`; the row
 * names it, and is written only once the file is in place.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table audio_files (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    name text not null,
    duration_ms integer not null,
    size_bytes integer not null,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index audio_files_tenant_idx on audio_files (tenant_id, name)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table audio_files`.execute(db);
}
