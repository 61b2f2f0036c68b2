/**
 * Spend caps for external calls (issue 9): the operator's rate deck (price per
 * minute by E.164 prefix, the longest prefix wins), a tenant's daily spend cap
 * with the share at which it is warned, and what each call cost on its record.
 * Money is kept in minor units (kopecks, cents) of the operator's currency.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table rates (
    id uuid primary key default gen_random_uuid(),
    prefix text not null unique check (prefix ~ '^\\+[0-9]{1,15}$'),
    price_per_minute integer not null check (price_per_minute >= 0),
    description text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`alter table tenants
    add column daily_spend_cap integer check (daily_spend_cap >= 0),
    add column spend_alert_percent integer not null default 80
      check (spend_alert_percent between 1 and 100)`.execute(db);
  await sql`alter table calls add column cost integer`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table calls drop column cost`.execute(db);
  await sql`alter table tenants drop column daily_spend_cap, drop column spend_alert_percent`.execute(db);
  await sql`drop table rates`.execute(db);
}
