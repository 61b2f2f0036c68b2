/**
 * Call routing configuration (issue 6): calendars, time conditions, ring groups
 * and inbound routes are "routing objects" of a tenant — one table, a kind, a
 * name, an optional dialable number and the kind's settings as JSON checked by
 * the API at save. Dialable numbers share one namespace per tenant with the
 * extensions (checked at save, both ways). Calls get the trail of routing steps
 * they went through; tenants get their own feature codes.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table routing_objects (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    kind text not null check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute')),
    name text not null,
    number text,
    config jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index routing_objects_tenant_kind_idx on routing_objects (tenant_id, kind)`.execute(db);
  // Ring groups' internal numbers and inbound routes' DIDs: one of each per tenant.
  await sql`create unique index routing_objects_tenant_number_key on routing_objects (tenant_id, number)
    where number is not null`.execute(db);
  await sql`alter table calls add column trail jsonb not null default '[]'`.execute(db);
  await sql`alter table tenants add column feature_codes jsonb not null default '{}'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants drop column feature_codes`.execute(db);
  await sql`alter table calls drop column trail`.execute(db);
  await sql`drop table routing_objects`.execute(db);
}
