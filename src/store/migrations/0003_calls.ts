/**
 * Call detail records. A row exists from the first INVITE (status 'ringing') and
 * is finalised at the end; rows a crashed node left open are closed as
 * 'interrupted' at the next start (DESIGN.md §5: nothing is lost).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table calls (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    sip_call_id text not null,
    caller text not null,
    caller_name text not null default '',
    callee text not null,
    direction text not null check (direction in ('internal', 'inbound', 'outbound')),
    status text not null check (status in ('ringing', 'answered', 'ended', 'interrupted')),
    started_at timestamptz not null default now(),
    answered_at timestamptz,
    ended_at timestamptz,
    cause text,
    sip_status integer,
    hangup_by text,
    legs jsonb not null default '[]',
    node text not null
  )`.execute(db);
  await sql`create index calls_tenant_started_idx on calls (tenant_id, started_at desc, id desc)`.execute(db);
  await sql`create index calls_open_idx on calls (node) where status in ('ringing', 'answered')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table calls`.execute(db);
}
