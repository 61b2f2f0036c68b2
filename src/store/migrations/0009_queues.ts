/**
 * Call queues (issue 7): a queue is a routing object of kind 'queue'. Agents'
 * logins and pauses are kept so a restart does not log a call centre out, and
 * queue and agent statistics are stored per 15-minute interval as the calls
 * happen (figures are counters and sums, so intervals add up to any period).
 * Each process run writes its own rows (`source`: node and run), so neither a
 * restart nor a second node overwrites figures; reports add the rows up.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table routing_objects drop constraint routing_objects_kind_check`.execute(db);
  await sql`alter table routing_objects add constraint routing_objects_kind_check
    check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute', 'queue'))`.execute(db);
  await sql`create table queue_agents (
    tenant_id uuid not null references tenants (id) on delete cascade,
    number text not null,
    queues jsonb not null default '[]',
    paused boolean not null default false,
    pause_reason text not null default '',
    updated_at timestamptz not null default now(),
    primary key (tenant_id, number)
  )`.execute(db);
  await sql`create table queue_stats (
    tenant_id uuid not null references tenants (id) on delete cascade,
    queue_id uuid not null,
    interval_start timestamptz not null,
    agent text not null default '',
    source text not null,
    figures jsonb not null,
    primary key (tenant_id, queue_id, interval_start, agent, source)
  )`.execute(db);
  await sql`create index queue_stats_tenant_time_idx on queue_stats (tenant_id, interval_start)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table queue_stats`.execute(db);
  await sql`drop table queue_agents`.execute(db);
  await sql`delete from routing_objects where kind = 'queue'`.execute(db);
  await sql`alter table routing_objects drop constraint routing_objects_kind_check`.execute(db);
  await sql`alter table routing_objects add constraint routing_objects_kind_check
    check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute'))`.execute(db);
}
