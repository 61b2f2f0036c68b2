/**
 * Contacts (issue 10): a company phonebook per tenant. A contact's numbers are a
 * list kept on its row, with their normalised forms (E.164 by the tenant's
 * country where they parse, digits otherwise) in an array under a GIN index, so a
 * caller's number finds its contact with one indexed lookup. `source` says where
 * the entry came from ('manual', 'import', 'crm:<connector>'); a connector's own
 * id is unique per tenant and source, so a synchronisation upserts.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table contacts (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    name text not null,
    company text not null default '',
    numbers jsonb not null default '[]',
    number_keys text[] not null default '{}',
    email text not null default '',
    notes text not null default '',
    source text not null default 'manual',
    external_id text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create unique index contacts_source_external_key on contacts (tenant_id, source, external_id)
    where external_id is not null`.execute(db);
  await sql`create index contacts_tenant_name_idx on contacts (tenant_id, lower(name))`.execute(db);
  await sql`create index contacts_number_keys_idx on contacts using gin (number_keys)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table contacts`.execute(db);
}
