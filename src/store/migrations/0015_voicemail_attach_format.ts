/**
 * Voicemail to email as MP3 when a mailbox asks for it (issue 8): the format of
 * the attached audio, WAV by default.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voicemail_boxes
    add column attach_format text not null default 'wav' check (attach_format in ('wav', 'mp3'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voicemail_boxes drop column attach_format`.execute(db);
}
