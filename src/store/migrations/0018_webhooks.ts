/**
 * Webhooks (issue 10): a tenant's endpoints, each with its secret and the event
 * types it wants, and the outbox of deliveries that is also their log: a row per
 * event and endpoint, retried with backoff until delivered or given up, kept so
 * an administrator can see what was sent and send it again.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table webhooks (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    url text not null,
    secret text not null,
    events jsonb not null,
    description text not null default '',
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index webhooks_tenant_idx on webhooks (tenant_id)`.execute(db);
  await sql`create table webhook_deliveries (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    webhook_id uuid not null references webhooks (id) on delete cascade,
    event_type text not null,
    payload jsonb not null,
    status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_status integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at)
    where status = 'pending'`.execute(db);
  await sql`create index webhook_deliveries_hook_idx on webhook_deliveries (webhook_id, created_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`drop table webhooks`.execute(db);
}
