/**
 * Voicemail on a node: mailboxes as the call path and the phone menu see them,
 * messages committed only once their audio is on disk (DESIGN.md §5), recovery
 * of recordings a crash cut short, message-waiting lamps and the email outbox.
 *
 * Life of a message: the caller's details go to `<id>.json`, the recorder
 * writes `.<id>.wav.<random>.part` and renames it to `<id>.wav` when done;
 * then the row is inserted, the details file removed, lamps updated and the
 * email queued. At start every mailbox folder is recovered (`recoverRecordings`)
 * and any `<id>.wav` without a row becomes a message from its details file.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseWav } from '../../media/audio/wav.js';
import type { RecordingSummary } from '../../media/protocol.js';
import { recoverRecordings } from '../../media/record/recover.js';
import type { VoicemailBox, VoicemailMessage } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { Directory, TenantEntry } from '../directory.js';
import type { RoutedCall, StepContext, VoicemailDeposit } from '../routing/context.js';
import type { Destination } from '../routing/types.js';
import { depositStep } from './deposit.js';
import { isUuid, type MessageMeta, VoicemailFiles } from './files.js';
import type { MailboxSummary } from './mwi.js';
import type { Transcriber } from './transcribe.js';

export interface VoicemailOptions {
  /** Folder of every tenant's voicemail (`<dataDir>/voicemail`). */
  dir: string;
  /** Turns messages into text (null: no transcription). */
  transcriber?: Transcriber | null;
}

export interface VoicemailHooks {
  /** A mailbox's counts changed: lamps of `number` (an extension) are updated. */
  lamp(tenantId: string, number: string): void;
  /** A message was stored: it may go out by email. */
  stored(tenantId: string): void;
  /** A new message is in a mailbox (events: the portal, webhooks). */
  deposited?(tenantId: string, box: VoicemailBox, m: VoicemailMessage): void;
}

export class VoicemailService implements VoicemailDeposit {
  readonly files: VoicemailFiles;

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly log: Logger,
    opts: VoicemailOptions,
    private readonly hooks: VoicemailHooks,
  ) {
    this.files = new VoicemailFiles(opts.dir);
    this.transcriber = opts.transcriber ?? null;
  }

  private readonly transcriber: Transcriber | null;

  /**
   * Transcribes a stored message, then queues its email (so the email carries
   * the text). A failed or empty transcription still lets the email go.
   */
  private async transcribeThenMail(tenantId: string, box: VoicemailBox, id: string): Promise<void> {
    const repo = this.store.tenant(tenantId).voicemail;
    const lang = this.directory.tenantById(tenantId)?.language === 'ru' ? 'ru' : 'en';
    try {
      const text = await this.transcriber!.transcribe(this.files.messagePath(tenantId, box.id, id), lang);
      await repo.setTranscript(id, text, 'done');
    } catch (err) {
      this.log.warn(
        { err, tenantId, message: id },
        'voicemail transcription failed; the email goes without text',
      );
      await repo.setTranscript(id, null, 'failed').catch(() => {});
    }
    if (box.email) {
      await repo.queueEmail(id, box.email);
      this.hooks.stored(tenantId);
    }
  }

  /** Messages whose transcription a crash cut short are transcribed (and emailed) now. */
  async resumeTranscripts(tenantIds: string[]): Promise<void> {
    if (!this.transcriber) return;
    for (const tenantId of tenantIds) {
      const repo = this.store.tenant(tenantId).voicemail;
      for (const m of await repo.pendingTranscripts()) {
        const box = await repo.getBox(m.boxId);
        if (box) void this.transcribeThenMail(tenantId, box, m.id);
      }
    }
  }

  /**
   * Recovers every mailbox folder (before any recording starts): half-recorded
   * messages become messages, finished files without a row get one.
   */
  async recover(): Promise<{ recovered: number; removed: number; committed: number }> {
    let recovered = 0;
    let removed = 0;
    let committed = 0;
    for (const tenantId of await dirs(this.files.root)) {
      for (const boxId of await dirs(join(this.files.root, tenantId))) {
        const dir = this.files.boxDir(tenantId, boxId);
        const report = await recoverRecordings(dir);
        recovered += report.recovered.length;
        removed += report.removed.length;
        await recoverRecordings(this.files.greetingDir(tenantId, boxId));
        committed += await this.reconcile(tenantId, boxId, dir);
      }
    }
    if (recovered || removed || committed)
      this.log.warn(
        { recovered, removed, committed },
        'voicemail left unfinished by a previous run recovered',
      );
    return { recovered, removed, committed };
  }

  /** Files in a mailbox folder without a row become messages; details files without audio go. */
  private async reconcile(tenantId: string, boxId: string, dir: string): Promise<number> {
    const repo = this.store.tenant(tenantId).voicemail;
    const box = await repo.getBox(boxId);
    if (!box) return 0;
    const known = await repo.messageIds(boxId);
    const names = await readdir(dir);
    let n = 0;
    for (const name of names) {
      const m = /^(.+)\.wav$/.exec(name);
      const id = m?.[1];
      if (!id || !isUuid(id) || known.has(id)) continue;
      const path = join(dir, name);
      const meta = await this.files.readMeta(tenantId, boxId, id);
      let durationMs = 0;
      try {
        const wav = parseWav(await readFile(path));
        durationMs = Math.round((wav.frames * 1000) / wav.format.sampleRate);
      } catch (err) {
        this.log.warn({ err, path }, 'a voicemail file that is not WAV audio was left alone');
        continue;
      }
      const receivedAt = meta?.receivedAt ? new Date(meta.receivedAt) : (await stat(path)).mtime;
      await this.commit(tenantId, box, id, {
        caller: meta?.caller ?? '',
        callerName: meta?.callerName ?? '',
        receivedAt: Number.isNaN(receivedAt.getTime()) ? new Date() : receivedAt,
        durationMs,
        sizeBytes: (await stat(path)).size,
      });
      n++;
    }
    for (const name of names) {
      const id = /^(.+)\.json$/.exec(name)?.[1];
      if (id && isUuid(id) && !names.includes(`${id}.wav`)) await this.files.dropMeta(tenantId, boxId, id);
    }
    return n;
  }

  /** The mailbox of a destination: a mailbox row, or an extension's (made on first use). */
  async boxFor(tenantId: string, id: string): Promise<VoicemailBox | undefined> {
    if (!isUuid(id)) return undefined;
    const repo = this.store.tenant(tenantId).voicemail;
    return (await repo.getBox(id)) ?? repo.ensureForExtension(id);
  }

  /** The mailbox a number reaches: an extension's own, or a group mailbox's number. */
  async boxByNumber(tenant: TenantEntry, number: string): Promise<VoicemailBox | undefined> {
    const ext = tenant.extensions.get(number);
    const repo = this.store.tenant(tenant.id).voicemail;
    return ext ? repo.ensureForExtension(ext.id) : repo.boxByNumber(number);
  }

  /** The number a mailbox answers to (its extension's, or its own). */
  numberOf(tenant: TenantEntry, box: VoicemailBox): string {
    return box.number ?? tenant.extensionsById.get(box.extensionId ?? '')?.number ?? '';
  }

  deposit(
    ctx: StepContext,
    call: RoutedCall,
    d: { id: string; greeting?: 'busy' | 'unavailable' },
  ): Promise<Destination | null> {
    return depositStep(this, this.store, ctx, call, d);
  }

  /** Stores a message whose audio is on disk: the row, lamps, email. */
  async commit(
    tenantId: string,
    box: VoicemailBox,
    id: string,
    m: Omit<MessageMeta, 'receivedAt'> & { receivedAt: Date; durationMs: number; sizeBytes: number },
  ): Promise<VoicemailMessage> {
    const repo = this.store.tenant(tenantId).voicemail;
    const row = await repo.insertMessage({
      id,
      boxId: box.id,
      caller: m.caller,
      callerName: m.callerName,
      durationMs: m.durationMs,
      sizeBytes: m.sizeBytes,
      receivedAt: m.receivedAt,
      ...(this.transcriber ? { transcriptStatus: 'pending' as const } : {}),
    });
    await this.files.dropMeta(tenantId, box.id, id);
    if (this.transcriber) void this.transcribeThenMail(tenantId, box, id);
    else if (box.email) {
      await repo.queueEmail(id, box.email);
      this.hooks.stored(tenantId);
    }
    this.changed(tenantId, box);
    this.hooks.deposited?.(tenantId, box, row);
    return row;
  }

  /** A recording just finished: its file is in place; commit it (or drop it when nobody spoke). */
  async finished(
    tenantId: string,
    box: VoicemailBox,
    id: string,
    meta: MessageMeta,
    summary: RecordingSummary,
  ): Promise<VoicemailMessage | null> {
    if (summary.voicedMs === 0 || summary.durationMs < 300) {
      await this.files.remove(tenantId, box.id, id);
      return null;
    }
    return this.commit(tenantId, box, id, {
      caller: meta.caller,
      callerName: meta.callerName,
      receivedAt: new Date(meta.receivedAt),
      durationMs: Math.round(summary.durationMs),
      sizeBytes: summary.bytes,
    });
  }

  /** A copy of a message in another mailbox (forwarded from the phone menu). */
  async copy(tenantId: string, m: VoicemailMessage, to: VoicemailBox): Promise<VoicemailMessage> {
    const id = randomUUID();
    const path = await this.files.prepare(tenantId, to.id, id, {
      caller: m.caller,
      callerName: m.callerName,
      receivedAt: m.receivedAt.toISOString(),
    });
    await copyFile(this.files.messagePath(tenantId, m.boxId, m.id), path);
    return this.commit(tenantId, to, id, {
      caller: m.caller,
      callerName: m.callerName,
      receivedAt: new Date(),
      durationMs: m.durationMs,
      sizeBytes: m.sizeBytes,
    });
  }

  /** Deletes a message: the row first (it is what users see), then its audio. */
  async remove(tenantId: string, m: VoicemailMessage): Promise<void> {
    await this.store.tenant(tenantId).voicemail.deleteMessage(m.id);
    await this.files.remove(tenantId, m.boxId, m.id);
    await this.changedById(tenantId, m.boxId);
  }

  async changedById(tenantId: string, boxId: string): Promise<void> {
    const box = await this.store.tenant(tenantId).voicemail.getBox(boxId);
    if (box) this.changed(tenantId, box);
  }

  /** Lamps follow the mailbox: its extension's, or every member's for a group mailbox. */
  changed(tenantId: string, box: VoicemailBox): void {
    const tenant = this.directory.tenantById(tenantId);
    if (!tenant) return;
    if (box.extensionId) {
      const number = tenant.extensionsById.get(box.extensionId)?.number;
      if (number) this.hooks.lamp(tenantId, number);
    } else for (const n of box.members) if (tenant.extensions.has(n)) this.hooks.lamp(tenantId, n);
  }

  /** What an extension's lamp shows. */
  async summary(tenantId: string, number: string): Promise<MailboxSummary | null> {
    const tenant = this.directory.tenantById(tenantId);
    const ext = tenant?.extensions.get(number);
    if (!tenant || !ext) return null;
    const repo = this.store.tenant(tenantId).voicemail;
    const c = await repo.counts(ext.id);
    let { fresh, old } = c;
    // Group mailboxes the extension answers for light its lamp too, as a shared box does on desk phones.
    for (const b of await repo.listBoxes())
      if (!b.extensionId && b.members.includes(number)) {
        const g = await repo.counts(b.id);
        fresh += g.fresh;
        old += g.old;
      }
    return { account: `sip:${number}@${tenant.domain}`, fresh, old };
  }
}

async function dirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && isUuid(e.name)).map((e) => e.name);
}
