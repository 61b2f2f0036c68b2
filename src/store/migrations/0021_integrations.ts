/**
 * Integrations (issue 10, items 8 and 9): a tenant's ticket systems and CRMs.
 * `config` holds what an administrator may read back; `secrets` holds tokens,
 * secret headers and webhook URLs that carry a key, sealed with AES-256-GCM
 * under a platform key (src/util/sealed.ts), never shown again. Deliveries
 * (tickets, call logs, tests) go through their own outbox table, which is also
 * their log; `state` keeps what a multi-step connector learnt on the way (a
 * Bitrix24 call id from register, so a retry of finish does not register twice).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table integrations (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    kind text not null check (kind in ('ticket', 'crmWebhook', 'bitrix24', 'amocrm')),
    name text not null,
    enabled boolean not null default true,
    config jsonb not null default '{}',
    secrets text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index integrations_tenant_idx on integrations (tenant_id)`.execute(db);
  await sql`create table integration_deliveries (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    integration_id uuid not null references integrations (id) on delete cascade,
    event_type text not null,
    payload jsonb not null,
    state jsonb not null default '{}',
    status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_status integer,
    last_error text,
    last_request jsonb,
    last_response text,
    delivered_at timestamptz,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index integration_deliveries_due_idx on integration_deliveries (next_attempt_at)
    where status = 'pending'`.execute(db);
  await sql`create index integration_deliveries_log_idx on integration_deliveries (integration_id, created_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table integration_deliveries`.execute(db);
  await sql`drop table integrations`.execute(db);
}
