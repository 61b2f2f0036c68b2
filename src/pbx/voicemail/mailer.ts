/**
 * Voicemail to email: a sender that works through the outbox table
 * (voicemail_emails) apart from any call. A message's email is queued when the
 * message is stored; the sender claims due rows, sends them through the
 * configured SMTP server (nodemailer) with the WAV attached, and retries
 * failures with backoff (10 s doubling to an hour, eight tries). A mailbox that
 * asks for it has the message deleted once the email is out.
 */
import { readFile } from 'node:fs/promises';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { encodeMp3 } from '../../media/audio/mp3-encoder.js';
import { decodeWav } from '../../media/audio/wav.js';
import type { VoicemailMessage } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { SerialRunner } from '../../util/serial-runner.js';
import type { Directory } from '../directory.js';
import type { VoicemailService } from './service.js';

export interface MailerOptions {
  /** smtp://user:pass@host:port or smtps://... */
  smtpUrl: string;
  from: string;
  /** Base URL of the portal, for the link in the email (none: no link). */
  portalUrl: string | null;
  /** How often the outbox is looked at when nothing kicks it (default 15 s). */
  pollMs?: number;
}

const MAX_ATTEMPTS = 8;
const LEASE_MS = 5 * 60_000;

function backoffMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3600_000);
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class VoicemailMailer {
  /** Made on the first email: nodemailer is loaded only by nodes that send one (start-up time). */
  private transport: Transporter | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly sender = new SerialRunner(
    () => this.run(),
    (err) => this.log.error({ err }, 'voicemail email run failed'),
  );

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly vm: VoicemailService,
    private readonly log: Logger,
    private readonly opts: MailerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? 15_000);
    this.timer.unref();
    this.kick();
  }

  /** Looks at the outbox soon (a message was just stored). Never blocks the caller. */
  kick(): void {
    this.sender.kick();
  }

  /** Waits for the run in progress (tests, shutdown). */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sender.stop();
    this.transport?.close();
  }

  private async run(): Promise<void> {
    for (;;) {
      const batch = await this.store.voicemailOutbox.claim(new Date(), 10, LEASE_MS);
      if (batch.length === 0) return;
      for (const e of batch) {
        try {
          await this.send(e.tenantId, e.messageId, e.toAddress);
          await this.store.voicemailOutbox.sent(e.id, new Date());
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          const retry = e.attempts >= MAX_ATTEMPTS ? null : new Date(Date.now() + backoffMs(e.attempts));
          this.log.warn({ err: message, attempts: e.attempts, to: e.toAddress }, 'voicemail email not sent');
          await this.store.voicemailOutbox.failed(e.id, message, retry);
        }
      }
    }
  }

  private async send(tenantId: string, messageId: string, to: string): Promise<void> {
    const repo = this.store.tenant(tenantId).voicemail;
    const m = await repo.getMessage(messageId);
    if (!m) return; // deleted before its email went out
    const box = await repo.getBox(m.boxId);
    const tenant = this.directory.tenantById(tenantId);
    if (!box || !tenant) return;
    const ru = tenant.language === 'ru';
    const when = new Intl.DateTimeFormat(ru ? 'ru-RU' : 'en-GB', {
      timeZone: tenant.timeZone,
      dateStyle: 'long',
      timeStyle: 'short',
    }).format(m.receivedAt);
    const caller = m.callerName
      ? `${m.callerName} <${m.caller}>`
      : m.caller || (ru ? 'неизвестный' : 'unknown');
    const mailbox = box.name || this.vm.numberOf(tenant, box);
    const portal = this.opts.portalUrl?.replace(/\/$/, '') ?? null;
    const link = portal ? `${portal}/voicemail?message=${m.id}` : null;
    // Mark heard or delete from the email, without signing in (the message's own key); not
    // when the message is deleted once this email is out.
    const action =
      portal && m.actionKey && !box.deleteAfterEmail
        ? `${portal}/api/v1/voicemail-actions/${tenantId}/${m.id}?key=${m.actionKey}`
        : null;
    const lines = ru
      ? [
          `Новое голосовое сообщение в ящике ${mailbox}.`,
          '',
          `От: ${caller}`,
          `Длительность: ${duration(m.durationMs)}`,
          `Получено: ${when} (${tenant.timeZone})`,
          ...(m.transcript ? ['', 'Текст сообщения (распознан автоматически):', m.transcript] : []),
          ...(link ? ['', `Прослушать на портале: ${link}`] : []),
          ...(action ? [`Отметить как прослушанное или удалить: ${action}`] : []),
        ]
      : [
          `New voicemail in mailbox ${mailbox}.`,
          '',
          `From: ${caller}`,
          `Duration: ${duration(m.durationMs)}`,
          `Received: ${when} (${tenant.timeZone})`,
          ...(m.transcript ? ['', 'Message text (transcribed automatically):', m.transcript] : []),
          ...(link ? ['', `Listen in the portal: ${link}`] : []),
          ...(action ? [`Mark as heard or delete: ${action}`] : []),
        ];
    const attachments = box.attachAudio ? [await this.attachment(tenantId, m, box.attachFormat)] : [];
    if (!this.transport) {
      const { default: nodemailer } = await import('nodemailer');
      this.transport = nodemailer.createTransport(this.opts.smtpUrl);
    }
    await this.transport.sendMail({
      from: this.opts.from,
      to,
      subject: ru
        ? `Голосовое сообщение от ${caller} (${duration(m.durationMs)})`
        : `Voicemail from ${caller} (${duration(m.durationMs)})`,
      text: `${lines.join('\n')}\n`,
      attachments,
      headers: { 'X-Nimbus-Voicemail': m.id },
    });
    if (box.deleteAfterEmail) await this.vm.remove(tenantId, m);
  }

  /** The message's audio as the mailbox wants it attached: the WAV itself, or MP3 made from it. */
  private async attachment(
    tenantId: string,
    m: VoicemailMessage,
    format: 'wav' | 'mp3',
  ): Promise<{ filename: string; content: Buffer; contentType: string }> {
    const wav = await readFile(this.vm.files.messagePath(tenantId, m.boxId, m.id));
    const stamp = m.receivedAt.toISOString().slice(0, 16).replace(/[-:T]/g, '');
    const name = `voicemail-${stamp}-${m.caller.replace(/[^0-9+]/g, '') || 'unknown'}`;
    if (format === 'wav') return { filename: `${name}.wav`, content: wav, contentType: 'audio/wav' };
    const pcm = decodeWav(wav);
    // 24 kbit/s is ample for 8 kHz speech (MPEG-2.5 Layer III).
    return {
      filename: `${name}.mp3`,
      content: encodeMp3(pcm.samples, pcm.sampleRate, 24),
      contentType: 'audio/mpeg',
    };
  }
}
