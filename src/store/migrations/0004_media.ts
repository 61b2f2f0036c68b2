/**
 * Media anchoring: each tenant's codec preference for its phones' side of the
 * relay, and the per-leg quality (loss, jitter, round trip, estimated MOS) on call
 * records, with the worse leg's MOS in its own column for reports and sorting.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants add column codecs jsonb not null default '["PCMA", "PCMU"]'`.execute(db);
  await sql`alter table calls add column quality jsonb`.execute(db);
  await sql`alter table calls add column mos real`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table calls drop column mos`.execute(db);
  await sql`alter table calls drop column quality`.execute(db);
  await sql`alter table tenants drop column codecs`.execute(db);
}
