/**
 * Voicemail email actions (issue 8): each message gets a random key, and its
 * email carries a link with it that marks the message heard or deletes it
 * without signing in (the lamp follows). Messages stored before have none.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voicemail_messages add column action_key text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voicemail_messages drop column action_key`.execute(db);
}
