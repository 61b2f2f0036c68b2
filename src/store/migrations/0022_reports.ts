/**
 * Reports (issue 10): indexes the CDR search and the trunk report need, and the
 * tenants' scheduled email reports. A schedule's `next_run_at` is how nodes share
 * the work: a node claims a due schedule by moving `next_run_at` on in the same
 * statement that selects it, so two nodes never send the same report twice.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A search for one number (exact, as a drill-down asks) reads only that number's calls.
  await sql`create index calls_tenant_caller_idx on calls (tenant_id, caller, started_at desc)`.execute(db);
  await sql`create index calls_tenant_callee_idx on calls (tenant_id, callee, started_at desc)`.execute(db);
  // The trunk report and the trunk filter read only calls that went through a trunk.
  await sql`create index calls_tenant_trunk_idx on calls (tenant_id, trunk, started_at)
    where trunk is not null`.execute(db);
  await sql`create table report_schedules (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    name text not null,
    report text not null check (report in ('calls', 'queues', 'trunks')),
    frequency text not null check (frequency in ('daily', 'weekly', 'monthly')),
    time_of_day text not null,
    weekday integer check (weekday between 1 and 7),
    day_of_month integer check (day_of_month between 1 and 28),
    recipients jsonb not null default '[]',
    format text not null default 'xlsx' check (format in ('xlsx', 'pdf')),
    enabled boolean not null default true,
    next_run_at timestamptz not null,
    last_run_at timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index report_schedules_tenant_idx on report_schedules (tenant_id, created_at)`.execute(db);
  await sql`create index report_schedules_due_idx on report_schedules (next_run_at) where enabled`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table report_schedules`.execute(db);
  await sql`drop index calls_tenant_trunk_idx`.execute(db);
  await sql`drop index calls_tenant_callee_idx`.execute(db);
  await sql`drop index calls_tenant_caller_idx`.execute(db);
}
