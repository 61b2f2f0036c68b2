/**
 * Voicemail of one tenant: mailboxes and messages, always scoped to the tenant.
 * An extension's mailbox has the extension's id and is made on first use
 * (`ensureForExtension`); group mailboxes are made by an administrator. The
 * email outbox spans tenants (one sender per node): `VoicemailOutbox`.
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Page } from '../list.js';
import type {
  Database,
  GreetingKind,
  TranscriptStatus,
  VoicemailBox,
  VoicemailBoxesTable,
  VoicemailFolder,
  VoicemailMessage,
} from '../schema.js';

export interface BoxSettings {
  name?: string;
  number?: string;
  members?: string[];
  email?: string | null;
  attachAudio?: boolean;
  attachFormat?: 'wav' | 'mp3';
  deleteAfterEmail?: boolean;
  maxMessageSec?: number;
  quota?: number;
  greeting?: 'recorded' | 'generated';
}

export interface NewMessage {
  id: string;
  boxId: string;
  caller: string;
  callerName: string;
  durationMs: number;
  sizeBytes: number;
  receivedAt: Date;
  /** 'pending' when a transcription engine will make its text. */
  transcriptStatus?: TranscriptStatus;
}

export interface MessageCounts {
  /** In the inbox and not heard yet. */
  fresh: number;
  /** Heard, or saved. */
  old: number;
  total: number;
}

export interface MessageFilter {
  boxIds: string[];
  folder?: VoicemailFolder | undefined;
  limit: number;
  offset: number;
}

function encode(s: BoxSettings): Partial<Record<keyof VoicemailBoxesTable, unknown>> {
  const { members, ...rest } = s;
  return { ...rest, ...(members ? { members: JSON.stringify(members) } : {}) };
}

export class VoicemailRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  private boxes() {
    return this.db.selectFrom('voicemailBoxes').selectAll().where('tenantId', '=', this.tenantId);
  }

  /** Every mailbox row of the tenant (extension mailboxes appear once used or configured). */
  listBoxes(): Promise<VoicemailBox[]> {
    return this.boxes().orderBy('createdAt').orderBy('id').execute();
  }

  getBox(id: string): Promise<VoicemailBox | undefined> {
    return this.boxes().where('id', '=', id).executeTakeFirst();
  }

  /** A group mailbox by its number. */
  boxByNumber(number: string): Promise<VoicemailBox | undefined> {
    return this.boxes().where('number', '=', number).executeTakeFirst();
  }

  /** The extension's mailbox, made now if it was never used; undefined when no such extension. */
  async ensureForExtension(extensionId: string): Promise<VoicemailBox | undefined> {
    const ext = await this.db
      .selectFrom('extensions')
      .select('id')
      .where('id', '=', extensionId)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    if (!ext) return undefined;
    await this.db
      .insertInto('voicemailBoxes')
      .values({ id: ext.id, tenantId: this.tenantId, extensionId: ext.id, number: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return this.getBox(ext.id);
  }

  createGroup(number: string, settings: BoxSettings): Promise<VoicemailBox> {
    return this.db
      .insertInto('voicemailBoxes')
      .values({ ...encode(settings), number, tenantId: this.tenantId, extensionId: null } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  updateBox(id: string, settings: BoxSettings): Promise<VoicemailBox | undefined> {
    return this.db
      .updateTable('voicemailBoxes')
      .set({ ...encode(settings), updatedAt: new Date() } as never)
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  /** Sets (or clears) the PIN hash; an extension's mailbox mirrors it on the extension row. */
  async setPinHash(id: string, pinHash: string | null): Promise<void> {
    await this.db
      .updateTable('voicemailBoxes')
      .set({ pinHash, updatedAt: new Date() })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .execute();
    await this.db
      .updateTable('extensions')
      .set({ voicemailPin: pinHash })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .execute();
  }

  async setGreeting(id: string, kind: GreetingKind, present: boolean): Promise<VoicemailBox | undefined> {
    const box = await this.getBox(id);
    if (!box) return undefined;
    const greetings = { ...box.greetings, [kind]: present };
    if (!present) delete greetings[kind];
    return this.db
      .updateTable('voicemailBoxes')
      .set({ greetings: JSON.stringify(greetings), updatedAt: new Date() })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  async deleteBox(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('voicemailBoxes')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  // --- messages ---

  private messages() {
    return this.db.selectFrom('voicemailMessages').selectAll().where('tenantId', '=', this.tenantId);
  }

  async listMessages(f: MessageFilter): Promise<Page<VoicemailMessage>> {
    if (f.boxIds.length === 0) return { items: [], total: 0, limit: f.limit, offset: f.offset };
    let q = this.messages().where('boxId', 'in', f.boxIds);
    if (f.folder) q = q.where('folder', '=', f.folder);
    const total = await q.clearSelect().select(sql<number>`count(*)::int`.as('n')).executeTakeFirst();
    const items = await q
      .orderBy('receivedAt', 'desc')
      .orderBy('id')
      .limit(f.limit)
      .offset(f.offset)
      .execute();
    return { items, total: total?.n ?? 0, limit: f.limit, offset: f.offset };
  }

  /** A mailbox's messages in one folder, newest first (the phone menu). */
  folder(boxId: string, folder: VoicemailFolder): Promise<VoicemailMessage[]> {
    return this.messages()
      .where('boxId', '=', boxId)
      .where('folder', '=', folder)
      .orderBy('receivedAt', 'desc')
      .orderBy('id')
      .execute();
  }

  /** Messages whose transcription was cut short (a crash): they are transcribed again. */
  pendingTranscripts(): Promise<VoicemailMessage[]> {
    return this.messages().where('transcriptStatus', '=', 'pending').execute();
  }

  async setTranscript(id: string, transcript: string | null, status: TranscriptStatus): Promise<void> {
    await this.db
      .updateTable('voicemailMessages')
      .set({ transcript, transcriptStatus: status })
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .execute();
  }

  getMessage(id: string): Promise<VoicemailMessage | undefined> {
    return this.messages().where('id', '=', id).executeTakeFirst();
  }

  /** Call only once the audio file is on disk (DESIGN.md §5). */
  insertMessage(m: NewMessage): Promise<VoicemailMessage> {
    return (
      this.db
        .insertInto('voicemailMessages')
        // The key of its email links: 192 random bits, so a link cannot be guessed.
        .values({ ...m, tenantId: this.tenantId, actionKey: randomBytes(24).toString('base64url') })
        .returningAll()
        .executeTakeFirstOrThrow()
    );
  }

  updateMessage(
    id: string,
    patch: { heard?: boolean; folder?: VoicemailFolder },
  ): Promise<VoicemailMessage | undefined> {
    return this.db
      .updateTable('voicemailMessages')
      .set(patch)
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  async deleteMessage(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('voicemailMessages')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async counts(boxId: string): Promise<MessageCounts> {
    const r = await this.db
      .selectFrom('voicemailMessages')
      .select([
        sql<number>`count(*) filter (where folder = 'inbox' and not heard)::int`.as('fresh'),
        sql<number>`count(*)::int`.as('total'),
      ])
      .where('tenantId', '=', this.tenantId)
      .where('boxId', '=', boxId)
      .executeTakeFirst();
    const fresh = r?.fresh ?? 0;
    const total = r?.total ?? 0;
    return { fresh, old: total - fresh, total };
  }

  /** Ids of the tenant's messages of one mailbox that have a row (start-up reconciliation). */
  async messageIds(boxId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('voicemailMessages')
      .select('id')
      .where('tenantId', '=', this.tenantId)
      .where('boxId', '=', boxId)
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Queues the message for email to `to` (sent by the node's VoicemailMailer). */
  async queueEmail(messageId: string, to: string): Promise<void> {
    await this.db
      .insertInto('voicemailEmails')
      .values({ tenantId: this.tenantId, messageId, toAddress: to, nextAttemptAt: new Date() })
      .execute();
  }
}

export interface OutboxEmail {
  id: string;
  tenantId: string;
  messageId: string;
  toAddress: string;
  attempts: number;
}

/** The voicemail email outbox across tenants: claimed in batches, retried with backoff. */
export class VoicemailOutbox {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes up to `limit` emails that are due, leasing them for `leaseMs` (so a
   * second node, or a crash mid-send, does not lose or double them at once).
   */
  async claim(now: Date, limit: number, leaseMs: number): Promise<OutboxEmail[]> {
    const until = new Date(now.getTime() + leaseMs);
    const { rows } = await sql<OutboxEmail>`
      update voicemail_emails set next_attempt_at = ${until}, attempts = attempts + 1
      where id in (
        select id from voicemail_emails
        where sent_at is null and next_attempt_at <= ${now}
        order by next_attempt_at limit ${limit}
        for update skip locked)
      returning id, tenant_id as "tenantId", message_id as "messageId", to_address as "toAddress", attempts`.execute(
      this.db,
    );
    return rows;
  }

  async sent(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('voicemailEmails')
      .set({ sentAt: at, lastError: null })
      .where('id', '=', id)
      .execute();
  }

  async failed(id: string, error: string, retryAt: Date | null): Promise<void> {
    await this.db
      .updateTable('voicemailEmails')
      .set({
        lastError: error.slice(0, 500),
        // Given up: parked far in the future, kept for the operator to see.
        nextAttemptAt: retryAt ?? new Date('9999-01-01T00:00:00Z'),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The outbox rows of a message (tests and the portal). */
  ofMessage(messageId: string) {
    return this.db.selectFrom('voicemailEmails').selectAll().where('messageId', '=', messageId).execute();
  }
}
