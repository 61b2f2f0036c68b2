/**
 * The SIP allow-list kept by the operator in the portal (issue 12: "an allow-list
 * editable there"): addresses and CIDR ranges never banned, rate-limited or capped,
 * in addition to the node's NIMBUS_SIP_ALLOW. Platform objects, like the rate deck.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table sip_allow_list (
    id uuid primary key default gen_random_uuid(),
    cidr text not null unique,
    note text not null default '',
    created_at timestamptz not null default now()
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table sip_allow_list`.execute(db);
}
