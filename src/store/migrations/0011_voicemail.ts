/**
 * Voicemail (issue 8): mailboxes, messages and the email outbox.
 *
 * A mailbox is an extension's own (its id is the extension's id, so routing can
 * name it before the row exists; the row is made on first use and removed with
 * the extension) or a shared group mailbox with its own number and members.
 * A message row is written only once its audio file is on disk (DESIGN.md §5).
 * Voicemail PINs were kept as typed in `extensions.voicemail_pin`: they move to
 * the mailbox as argon2id hashes, and the extension column keeps only the hash
 * (the API's `hasVoicemailPin` reads it).
 */
import { type Kysely, sql } from 'kysely';
import { hashPassword } from '../../util/password-hash.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table voicemail_boxes (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    extension_id uuid unique references extensions (id) on delete cascade,
    number text,
    name text not null default '',
    members jsonb not null default '[]',
    pin_hash text,
    email text,
    attach_audio boolean not null default true,
    delete_after_email boolean not null default false,
    max_message_sec integer not null default 180,
    quota integer not null default 100,
    greeting text not null default 'recorded' check (greeting in ('recorded', 'generated')),
    greetings jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, number),
    check ((extension_id is null) <> (number is null))
  )`.execute(db);
  await sql`create table voicemail_messages (
    id uuid primary key,
    tenant_id uuid not null references tenants (id) on delete cascade,
    box_id uuid not null references voicemail_boxes (id) on delete cascade,
    caller text not null,
    caller_name text not null default '',
    duration_ms integer not null,
    size_bytes integer not null,
    received_at timestamptz not null,
    folder text not null default 'inbox' check (folder in ('inbox', 'saved')),
    heard boolean not null default false,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index voicemail_messages_box_idx on voicemail_messages (tenant_id, box_id, received_at)`.execute(
    db,
  );
  await sql`create table voicemail_emails (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants (id) on delete cascade,
    message_id uuid not null references voicemail_messages (id) on delete cascade,
    to_address text not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    sent_at timestamptz,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index voicemail_emails_due_idx on voicemail_emails (next_attempt_at) where sent_at is null`.execute(
    db,
  );
  // Every extension gets its mailbox; typed PINs become hashes.
  const { rows } = await sql<{
    id: string;
    tenant_id: string;
    voicemail_pin: string | null;
  }>`select id, tenant_id, voicemail_pin from extensions`.execute(db);
  for (const e of rows) {
    const pin =
      e.voicemail_pin && /^[0-9]{4,10}$/.test(e.voicemail_pin) ? await hashPassword(e.voicemail_pin) : null;
    await sql`insert into voicemail_boxes (id, tenant_id, extension_id, pin_hash)
      values (${e.id}, ${e.tenant_id}, ${e.id}, ${pin})`.execute(db);
    if (e.voicemail_pin !== null)
      await sql`update extensions set voicemail_pin = ${pin} where id = ${e.id}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table voicemail_emails`.execute(db);
  await sql`drop table voicemail_messages`.execute(db);
  await sql`drop table voicemail_boxes`.execute(db);
}
