/**
 * The foundation schema: tenants, portal users, extensions, API keys, sessions
 * and the audit log. Every tenant-owned table carries tenant_id (DESIGN.md §2).
 */
import { type Kysely, sql } from 'kysely';

const statements = [
  sql`create table tenants (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    sip_domain text not null,
    time_zone text not null,
    language text not null check (language in ('ru', 'en')),
    country text not null check (country ~ '^[A-Z]{2}$'),
    max_extensions integer not null check (max_extensions >= 0),
    max_concurrent_calls integer not null check (max_concurrent_calls >= 0),
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  sql`create unique index tenants_sip_domain_key on tenants (lower(sip_domain))`,

  sql`create table users (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid references tenants (id) on delete cascade,
    email text not null,
    display_name text not null default '',
    password_hash text not null,
    role text not null check (role in ('operator', 'tenant_admin', 'supervisor', 'user')),
    language text check (language in ('ru', 'en')),
    totp_secret text,
    totp_enabled boolean not null default false,
    disabled boolean not null default false,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- operators belong to the platform, everyone else to exactly one tenant
    constraint users_role_tenant check ((role = 'operator') = (tenant_id is null)),
    constraint users_tenant_id_id_key unique (tenant_id, id)
  )`,
  sql`create unique index users_email_key on users (lower(email))`,

  sql`create table extensions (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    number text not null,
    display_name text not null default '',
    user_id uuid,
    sip_secret text not null,
    voicemail_enabled boolean not null default true,
    voicemail_pin text,
    call_class text not null check (call_class in ('internal', 'local', 'national', 'international')),
    dnd boolean not null default false,
    ring_timeout_sec integer not null check (ring_timeout_sec between 5 and 300),
    forwarding jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint extensions_tenant_id_number_key unique (tenant_id, number),
    -- the owner must be a user of the same tenant; deleting the user keeps the extension
    constraint extensions_owner_fkey foreign key (tenant_id, user_id)
      references users (tenant_id, id) on delete set null (user_id)
  )`,
  sql`create index extensions_user_id_idx on extensions (user_id)`,

  sql`create table api_keys (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid references tenants (id) on delete cascade,
    name text not null,
    prefix text not null unique,
    secret_hash text not null,
    role text not null check (role in ('operator', 'tenant_admin', 'supervisor', 'user')),
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    expires_at timestamptz,
    constraint api_keys_role_tenant check ((role = 'operator') = (tenant_id is null))
  )`,
  sql`create index api_keys_tenant_id_idx on api_keys (tenant_id)`,

  sql`create table sessions (
    id text primary key,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    ip text,
    user_agent text
  )`,
  sql`create index sessions_user_id_idx on sessions (user_id)`,

  // No foreign key to tenants: the audit trail outlives a deleted tenant.
  sql`create table audit_log (
    id bigserial primary key,
    tenant_id uuid,
    at timestamptz not null default now(),
    actor_type text not null,
    actor_id text,
    actor_label text not null,
    action text not null,
    resource_type text not null,
    resource_id text,
    before jsonb,
    after jsonb,
    ip text
  )`,
  sql`create index audit_log_tenant_at_idx on audit_log (tenant_id, at desc, id desc)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await s.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['audit_log', 'sessions', 'api_keys', 'extensions', 'users', 'tenants']) {
    await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  }
}
