/**
 * The digest realm a trunk's carrier challenges with (issue 12): when set, the
 * PBX answers a 401/407 only when its realm is this one, so a peer cannot have
 * the trunk's credentials computed for a realm of its choosing (the digest leak
 * of FreeSWITCH CVE-2021-41158).
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table trunks add column realm text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table trunks drop column realm`.execute(db);
}
