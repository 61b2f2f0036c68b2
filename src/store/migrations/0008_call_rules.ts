/**
 * Per-extension call handling beyond plain forwarding (issue 6): a presence
 * status (available, away, lunch, business trip; DND stays its own switch), call
 * waiting on or off, and the rules that go with them — follow-me steps, what each
 * status does for internal and external callers, callers who always get through,
 * a calendar that sets the status when the office is closed, and a secretary who
 * screens the calls. Checked by the API at save.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table extensions
    add column status text not null default 'available'
      check (status in ('available', 'away', 'lunch', 'trip')),
    add column call_waiting boolean not null default true,
    add column call_rules jsonb not null default '{}'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table extensions drop column status, drop column call_waiting, drop column call_rules`.execute(
    db,
  );
}
