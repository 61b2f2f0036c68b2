/**
 * IVR menus (issue 8): a menu is a routing object of kind 'ivr'. Calls carry the
 * tags menus and choices give them ("sales", "vip"), for reports and integrations.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table routing_objects drop constraint routing_objects_kind_check`.execute(db);
  await sql`alter table routing_objects add constraint routing_objects_kind_check
    check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute', 'queue', 'ivr'))`.execute(db);
  await sql`alter table calls add column tags jsonb not null default '[]'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table calls drop column tags`.execute(db);
  await sql`delete from routing_objects where kind = 'ivr'`.execute(db);
  await sql`alter table routing_objects drop constraint routing_objects_kind_check`.execute(db);
  await sql`alter table routing_objects add constraint routing_objects_kind_check
    check (kind in ('calendar', 'timeCondition', 'ringGroup', 'inboundRoute', 'queue'))`.execute(db);
}
