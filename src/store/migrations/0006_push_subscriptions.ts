/**
 * Web Push subscriptions of portal users (one per browser they allowed
 * notifications in): where to send "incoming call" and "missed call" while the
 * portal is closed. Gone with the user.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table push_subscriptions (
    endpoint text primary key,
    user_id uuid not null references users (id) on delete cascade,
    p256dh text not null,
    auth text not null,
    user_agent text,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index push_subscriptions_user_id_idx on push_subscriptions (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table push_subscriptions`.execute(db);
}
