/**
 * Secrets the whole platform shares, made once and kept in the database so every
 * node of a cluster (and the next start of this one) uses the same: the key that
 * signs the browser softphone's short-lived SIP credentials.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table platform_secrets (
    name text primary key,
    value text not null,
    created_at timestamptz not null default now()
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table platform_secrets`.execute(db);
}
