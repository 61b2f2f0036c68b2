/**
 * Call recording (issue 10): who is recorded is policy — per extension a choice for
 * each of inbound/outbound × internal/external calls ('always', 'onDemand' by a
 * feature code with pause/resume, 'never'), and optionally per queue and inbound
 * route (kept in their routing config). The tenant chooses whether parties hear an
 * announcement, mono or stereo files, and how many days recordings are kept.
 *
 * A recording's row exists from its start ('recording'), so a node that dies while
 * recording leaves a row its next start recovers from the `.part` file.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table extensions add column recording jsonb not null default
    '{"inboundExternal":"onDemand","inboundInternal":"onDemand","outboundExternal":"onDemand","outboundInternal":"onDemand"}'`.execute(
    db,
  );
  await sql`alter table tenants add column recording jsonb not null default
    '{"announce":true,"mode":"stereo","retentionDays":90}'`.execute(db);
  await sql`create table recordings (
    id uuid primary key,
    tenant_id uuid not null references tenants (id) on delete cascade,
    call_id uuid not null,
    node text not null,
    status text not null check (status in ('recording', 'stored', 'failed', 'deleted')),
    trigger text not null check (trigger in ('policy', 'onDemand')),
    mode text not null check (mode in ('mixed', 'stereo')),
    storage text not null check (storage in ('disk', 's3')),
    key text not null,
    caller text not null,
    callee text not null,
    parties jsonb not null default '[]',
    started_at timestamptz not null,
    ended_at timestamptz,
    duration_ms integer,
    paused_ms integer not null default 0,
    bytes bigint,
    error text,
    deleted_at timestamptz,
    deleted_by text
  )`.execute(db);
  await sql`create index recordings_tenant_started_idx on recordings (tenant_id, started_at desc, id desc)`.execute(
    db,
  );
  await sql`create index recordings_call_idx on recordings (call_id)`.execute(db);
  await sql`create index recordings_open_idx on recordings (node) where status = 'recording'`.execute(db);
  await sql`create index recordings_kept_idx on recordings (tenant_id, started_at) where status = 'stored'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table recordings`.execute(db);
  await sql`alter table tenants drop column recording`.execute(db);
  await sql`alter table extensions drop column recording`.execute(db);
}
