/**
 * Scheduled email reports: every minute (and when kicked) the node claims the due
 * schedules of every tenant (ReportScheduleQueue: one statement moves next_run_at,
 * so two nodes never send the same one), builds the report over the period the
 * schedule covers, writes it as an Excel workbook (exceljs) or a PDF (report-pdf.ts,
 * the schedule's format) and mails it through
 * the same SMTP server and sender as voicemail email (nodemailer). Headings and
 * the message are in the tenant's language (English or Russian).
 */
import type { Workbook } from 'exceljs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { ReportSchedule, ScheduledReport } from '../store/report-tables.js';
import { type ClaimedSchedule, ReportScheduleQueue } from '../store/repositories/report-schedules.js';
import type { Tenant } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { SerialRunner } from '../util/serial-runner.js';
import { type Lang, type ReportContent, reportPdf } from './report-pdf.js';
import { nextRunAt, reportPeriod } from './report-schedule.js';

export interface ReportMailerOptions {
  /** smtp://… or smtps://… — the voicemail email's server. */
  smtpUrl: string;
  from: string;
  /** How often due schedules are looked for (default a minute). */
  pollMs?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** A claimed schedule not finished in this time comes due again (the node died). */
const LEASE_MS = 15 * 60_000;

const TEXT = {
  en: {
    subject: { calls: 'Call report', queues: 'Queue report', trunks: 'Trunk report' },
    body: (name: string, from: string, to: string) =>
      `The scheduled report "${name}" for ${from} – ${to} is attached.`,
    summary: 'Summary',
    byDay: 'By day',
    byExtension: 'By extension',
    missed: 'Missed, not returned',
    queues: 'Queues',
    agents: 'Agents',
    trunks: 'Trunks',
    byHour: 'Peaks by hour',
  },
  ru: {
    subject: { calls: 'Отчёт по звонкам', queues: 'Отчёт по очередям', trunks: 'Отчёт по транкам' },
    body: (name: string, from: string, to: string) =>
      `Во вложении отчёт по расписанию «${name}» за ${from} – ${to}.`,
    summary: 'Итоги',
    byDay: 'По дням',
    byExtension: 'По номерам',
    missed: 'Пропущенные без ответа',
    queues: 'Очереди',
    agents: 'Операторы',
    trunks: 'Транки',
    byHour: 'Пики по часам',
  },
} as const;

/** Column headings: the API's field names, the same in both languages (a spreadsheet's formulas refer to them). */
function sheet(book: Workbook, name: string, rows: Record<string, string | number | null>[]): void {
  const ws = book.addWorksheet(name.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  const keys = rows.length ? Object.keys(rows[0]!) : [];
  ws.columns = keys.map((key) => ({ header: key, key, width: Math.max(12, key.length + 2) }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(r);
}

/** The figures a schedule sends, over [from, to) in the tenant's zone. */
export async function reportContent(
  store: Store,
  tenant: Tenant,
  report: ScheduledReport,
  from: Date,
  to: Date,
): Promise<ReportContent> {
  const scope = store.tenant(tenant.id);
  if (report === 'calls') {
    const extensions = (await scope.extensions.list({ limit: 10_000, offset: 0 })).items.map((e) => e.number);
    return { report, data: await scope.callReports.report(from, to, tenant.timeZone, extensions) };
  }
  if (report === 'queues') return { report, data: await scope.callReports.queues(from, to, tenant.timeZone) };
  return { report, data: await scope.callReports.trunks(from, to, tenant.timeZone) };
}

/** A report's figures as a workbook in memory (a period's figures, not raw calls). */
export async function reportWorkbook(content: ReportContent, lang: Lang): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  const t = TEXT[lang];
  if (content.report === 'calls') {
    const r = content.data;
    sheet(book, t.summary, [{ ...r.totals }]);
    sheet(book, t.byDay, r.byDay);
    sheet(book, t.byExtension, r.byExtension);
    sheet(book, t.missed, r.missedNotReturned);
  } else if (content.report === 'queues') {
    const queues = content.data;
    const thresholds = [...new Set(queues.flatMap((q) => Object.keys(q.serviceLevel)))].sort(
      (a, b) => Number(a) - Number(b),
    );
    sheet(
      book,
      t.queues,
      queues.map((q) => ({
        queue: q.name,
        offered: q.offered,
        answered: q.answered,
        abandoned: q.abandoned,
        abandonRate: q.abandonRate,
        asaSec: q.asaSec,
        ahtSec: q.ahtSec,
        longestWaitSec: q.longestWaitSec,
        ...Object.fromEntries(thresholds.map((s) => [`sl${s}s`, q.serviceLevel[s] ?? null])),
      })),
    );
    sheet(
      book,
      t.byDay,
      queues.flatMap((q) => q.byDay.map((d) => ({ queue: q.name, ...d }))),
    );
    sheet(
      book,
      t.agents,
      queues.flatMap((q) => q.agents.map((a) => ({ queue: q.name, ...a }))),
    );
  } else {
    const trunks = content.data;
    sheet(
      book,
      t.trunks,
      trunks.map(({ trunk, calls, answered, minutes, peak }) => ({ trunk, calls, answered, minutes, peak })),
    );
    sheet(
      book,
      t.byDay,
      trunks.flatMap((x) => x.byDay.map((d) => ({ trunk: x.trunk, ...d }))),
    );
    sheet(
      book,
      t.byHour,
      trunks.flatMap((x) => x.byHour.map((h) => ({ trunk: x.trunk, ...h }))),
    );
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

export class ReportMailer {
  private readonly transport: Transporter;
  private readonly queue: ReportScheduleQueue;
  private timer: NodeJS.Timeout | null = null;
  private readonly runner = new SerialRunner(
    () => this.run(),
    (err) => this.log.error({ err }, 'scheduled reports run failed'),
  );
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: ReportMailerOptions,
  ) {
    this.transport = nodemailer.createTransport(opts.smtpUrl);
    this.queue = new ReportScheduleQueue(store.db);
    this.now = opts.now ?? (() => new Date());
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollMs ?? 60_000);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    this.runner.kick();
  }

  idle(): Promise<void> {
    return this.runner.idle();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.runner.stop();
    this.transport.close();
  }

  private async run(): Promise<void> {
    for (;;) {
      const batch = await this.queue.claim(this.now(), 5, LEASE_MS);
      if (batch.length === 0) return;
      for (const s of batch) await this.runOne(s);
    }
  }

  private async runOne(s: ClaimedSchedule): Promise<void> {
    const tenant = await this.store.tenants.get(s.tenantId);
    if (!tenant) return;
    let error: string | null = null;
    try {
      await this.send(s, tenant);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      this.log.warn({ err: error, schedule: s.id }, 'scheduled report not sent');
    }
    // The next run follows the due time, not the clock: a late run does not shift the series.
    // A failed one is not retried: the next period's report comes as usual, and the error shows.
    const next = nextRunAt(s, tenant.timeZone, new Date(Math.max(s.dueAt.getTime(), this.now().getTime())));
    await this.queue.done(s.id, this.now(), next, error);
  }

  private async send(s: ReportSchedule & { dueAt: Date }, tenant: Tenant): Promise<void> {
    if (s.recipients.length === 0) return;
    const lang: Lang = tenant.language === 'ru' ? 'ru' : 'en';
    const { from, to } = reportPeriod(s.frequency, tenant.timeZone, s.dueAt);
    const content = await reportContent(this.store, tenant, s.report, from, to);
    const day = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: tenant.timeZone }).format(d);
    const last = day(new Date(to.getTime() - 1));
    const title = `${TEXT[lang].subject[s.report]}: ${s.name}`;
    const attachment =
      s.format === 'pdf'
        ? {
            content: await reportPdf(content, {
              title,
              period: `${day(from)} – ${last}`,
              lang,
              timeZone: tenant.timeZone,
            }),
            contentType: 'application/pdf',
          }
        : {
            content: await reportWorkbook(content, lang),
            contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          };
    await this.transport.sendMail({
      from: this.opts.from,
      to: s.recipients,
      subject: `${title} (${day(from)} – ${last})`,
      text: TEXT[lang].body(s.name, day(from), last),
      attachments: [{ filename: `${s.report}-${day(from)}-${last}.${s.format}`, ...attachment }],
    });
  }
}
