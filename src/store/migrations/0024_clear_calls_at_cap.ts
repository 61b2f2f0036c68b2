/**
 * A tenant may have its external calls cut off when its daily minutes or spend cap
 * is reached while they are running (issue 12: caps "block new calls and can clear
 * active ones"). Off by default: a cap refuses new calls only.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants add column clear_calls_at_cap boolean not null default false`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants drop column clear_calls_at_cap`.execute(db);
}
