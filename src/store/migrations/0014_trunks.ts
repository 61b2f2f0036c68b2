/**
 * SIP trunks and the number pool (issue 9). Trunks belong to the platform (the
 * operator's carriers); numbers (DIDs) are the operator's and are handed to
 * tenants. Outbound routes are routing objects of kind 'outboundRoute'. Tenants
 * get external-call limits and the most expensive call class their extensions
 * may have (international is off until the operator allows it); extensions get
 * their own outbound caller ID, limit, and a block set by the fraud rule. Calls
 * remember the trunk they went through.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table trunks (
    id uuid primary key default gen_random_uuid(),
    name text not null unique,
    enabled boolean not null default true,
    kind text not null check (kind in ('register', 'ip')),
    host text not null,
    port integer,
    transport text not null default 'UDP' check (transport in ('UDP', 'TCP', 'TLS')),
    username text,
    auth_username text,
    password text,
    expiry_sec integer not null default 300,
    contact_user text,
    addresses jsonb not null default '[]',
    codecs jsonb not null default '["PCMA", "PCMU"]',
    max_channels integer,
    number_format text not null default 'e164'
      check (number_format in ('e164', 'e164NoPlus', 'national', 'local')),
    country text not null default 'RU',
    area_code text,
    caller_id_header text not null default 'pai' check (caller_id_header in ('pai', 'rpid', 'from')),
    did_source text not null default 'requestUri' check (did_source in ('requestUri', 'to', 'diversion')),
    options_interval_sec integer,
    tenant_ids jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create table numbers (
    id uuid primary key default gen_random_uuid(),
    number text not null unique,
    tenant_id uuid references tenants (id) on delete set null,
    trunk_id uuid references trunks (id) on delete set null,
    note text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index numbers_tenant_idx on numbers (tenant_id, number)`.execute(db);
  await sql`alter table routing_objects drop constraint routing_objects_kind_check`.execute(db);
  await sql`alter table routing_objects add constraint routing_objects_kind_check
    check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute', 'queue', 'ivr', 'outboundRoute'))`.execute(
    db,
  );
  await sql`alter table tenants
    add column max_external_calls integer not null default 10,
    add column max_call_class text not null default 'national'
      check (max_call_class in ('internal', 'local', 'national', 'international')),
    add column local_prefixes jsonb not null default '[]',
    add column daily_external_minutes integer,
    add column default_caller_id text`.execute(db);
  await sql`alter table extensions
    add column outbound_caller_id text,
    add column max_external_calls integer,
    add column external_blocked text`.execute(db);
  await sql`alter table calls add column trunk text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table calls drop column trunk`.execute(db);
  await sql`alter table extensions drop column outbound_caller_id, drop column max_external_calls,
    drop column external_blocked`.execute(db);
  await sql`alter table tenants drop column max_external_calls, drop column max_call_class,
    drop column local_prefixes, drop column daily_external_minutes, drop column default_caller_id`.execute(
    db,
  );
  await sql`delete from routing_objects where kind = 'outboundRoute'`.execute(db);
  await sql`alter table routing_objects drop constraint routing_objects_kind_check`.execute(db);
  await sql`alter table routing_objects add constraint routing_objects_kind_check
    check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute', 'queue', 'ivr'))`.execute(db);
  await sql`drop table numbers`.execute(db);
  await sql`drop table trunks`.execute(db);
}
