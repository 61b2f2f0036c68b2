/**
 * Voicemail transcripts (issue 8): the text a speech-to-text engine made of a
 * message, and where that stands (none configured, pending, done, failed). A
 * message pending at a crash is transcribed again at start.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voicemail_messages
    add column transcript text,
    add column transcript_status text not null default 'none'
      check (transcript_status in ('none', 'pending', 'done', 'failed'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voicemail_messages drop column transcript, drop column transcript_status`.execute(db);
}
