/**
 * A scheduled report as a PDF (pdfkit): the same figures as the workbook, laid out
 * for reading — a title with the period, the totals, the days as a bar chart, then
 * tables — with headings in the tenant's language. DejaVu Sans (from the
 * @fontsource/dejavu-sans package, Latin and Cyrillic in one file) is embedded, so
 * Russian renders on any reader; pdfkit embeds only the glyphs used.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { CallReport } from '../store/repositories/call-reports.js';
import type { QueueReportRow, TrunkReportRow } from '../store/repositories/queue-trunk-reports.js';

export type Lang = 'en' | 'ru';

const fontDir = join(
  dirname(createRequire(import.meta.url).resolve('@fontsource/dejavu-sans/LICENSE')),
  'files',
);
const FONT = join(fontDir, 'dejavu-sans-latin-400-normal.woff');
const BOLD = join(fontDir, 'dejavu-sans-latin-700-normal.woff');

const WORDS = {
  en: {
    period: 'Period',
    totals: 'Totals',
    calls: 'Calls',
    answered: 'Answered',
    missed: 'Missed',
    inbound: 'Inbound',
    outbound: 'Outbound',
    internal: 'Internal',
    talkMin: 'Talk, min',
    avgAnswerSec: 'Mean answer, s',
    byDay: 'By day',
    date: 'Date',
    extensions: 'Extensions',
    extension: 'Extension',
    missedNotReturned: 'Missed, not called back',
    number: 'Number',
    missedCalls: 'Missed calls',
    lastMissed: 'Last missed',
    queue: 'Queue',
    queues: 'Queues',
    offered: 'Offered',
    abandoned: 'Abandoned',
    abandonRate: 'Abandoned, %',
    serviceLevel: (s: string) => `SL ${s} s, %`,
    asa: 'ASA, s',
    aht: 'AHT, s',
    agents: 'Agents',
    agent: 'Agent',
    trunks: 'Trunks',
    trunk: 'Trunk',
    minutes: 'Minutes',
    peak: 'Peak channels',
    none: 'No data for the period.',
  },
  ru: {
    period: 'Период',
    totals: 'Итоги',
    calls: 'Звонки',
    answered: 'Отвечено',
    missed: 'Пропущено',
    inbound: 'Входящие',
    outbound: 'Исходящие',
    internal: 'Внутренние',
    talkMin: 'Разговор, мин',
    avgAnswerSec: 'Среднее до ответа, с',
    byDay: 'По дням',
    date: 'Дата',
    extensions: 'Внутренние номера',
    extension: 'Номер',
    missedNotReturned: 'Пропущенные, не перезвонили',
    number: 'Номер',
    missedCalls: 'Пропущено',
    lastMissed: 'Последний пропущенный',
    queue: 'Очередь',
    queues: 'Очереди',
    offered: 'Поступило',
    abandoned: 'Брошено',
    abandonRate: 'Брошено, %',
    serviceLevel: (s: string) => `SL ${s} с, %`,
    asa: 'ASA, с',
    aht: 'AHT, с',
    agents: 'Операторы',
    agent: 'Оператор',
    trunks: 'Транки',
    trunk: 'Транк',
    minutes: 'Минуты',
    peak: 'Пик каналов',
    none: 'Нет данных за период.',
  },
} as const;

type Cell = string | number | null;
const MARGIN = 40;
const COLORS = { bar: '#3b6fd4', second: '#e0913a', grid: '#d0d4da', text: '#1f2328', dim: '#6a737d' };

/** A document being laid out top to bottom, a new page when the next block does not fit. */
class Layout {
  readonly doc: PDFKit.PDFDocument;
  constructor() {
    this.doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Producer: 'Nimbus PBX' } });
    this.doc.registerFont('body', FONT);
    this.doc.registerFont('bold', BOLD);
    this.doc.font('body').fillColor(COLORS.text);
  }
  get width(): number {
    return this.doc.page.width - 2 * MARGIN;
  }
  /** Room for `h` more points on this page, or a new page. */
  need(h: number): void {
    if (this.doc.y + h > this.doc.page.height - MARGIN) this.doc.addPage();
  }
  heading(text: string, size = 13): void {
    this.need(size * 3);
    this.doc.moveDown(0.6).font('bold').fontSize(size).fillColor(COLORS.text).text(text, MARGIN);
    this.doc.font('body').moveDown(0.3);
  }
  note(text: string): void {
    this.doc.font('body').fontSize(9).fillColor(COLORS.dim).text(text, MARGIN).fillColor(COLORS.text);
  }
  /** A table: the first column left-aligned, numbers right-aligned; the head (if any) again on each new page. */
  table(head: string[], rows: Cell[][], firstWidth = 0.28): void {
    const doc = this.doc;
    const size = head.length > 7 ? 7.5 : 8.5;
    const rowH = size + 6;
    const first = this.width * (head.length === 1 ? 1 : firstWidth);
    const rest = head.length > 1 ? (this.width - first) / (head.length - 1) : 0;
    const xs = head.map((_, i) => (i === 0 ? MARGIN : MARGIN + first + (i - 1) * rest));
    const ws = head.map((_, i) => (i === 0 ? first : rest));
    // Body cells stay on one line (cut with an ellipsis); heads wrap, the row as tall as its tallest.
    const line = (cells: Cell[], head: boolean) => {
      const y = doc.y;
      doc.font(head ? 'bold' : 'body').fontSize(size);
      const texts = cells.map((c) => (c === null ? '—' : String(c)));
      const h = head
        ? Math.max(rowH, ...texts.map((x, i) => doc.heightOfString(x, { width: ws[i]! - 4 }) + 6))
        : rowH;
      texts.forEach((x, i) => {
        doc.text(x, xs[i]! + 2, y + 3, {
          width: ws[i]! - 4,
          align: i === 0 ? 'left' : 'right',
          ...(head ? {} : { lineBreak: false, ellipsis: true }),
        });
      });
      doc
        .moveTo(MARGIN, y + h)
        .lineTo(MARGIN + this.width, y + h)
        .lineWidth(0.5)
        .strokeColor(COLORS.grid)
        .stroke();
      doc.x = MARGIN;
      doc.y = y + h;
    };
    // A table of label and value pairs has no head.
    const withHead = head.some((h) => h !== '');
    this.need(rowH * 2);
    if (withHead) line(head, true);
    for (const r of rows) {
      if (doc.y + rowH > doc.page.height - MARGIN) {
        doc.addPage();
        if (withHead) line(head, true);
      }
      line(r, false);
    }
    doc.font('body');
  }
  /**
   * Bars per day: the first series full height, the second drawn over it from the
   * bottom (answered over calls); dates under the first, middle and last bars.
   */
  bars(days: { label: string; a: number; b: number }[], legend: [string, string | null]): void {
    const doc = this.doc;
    const h = 130;
    this.need(h + 40);
    const top = doc.y + 4;
    const max = Math.max(1, ...days.map((d) => d.a));
    const step = this.width / Math.max(days.length, 1);
    const barW = Math.max(1, step * 0.7);
    doc.lineWidth(0.5).strokeColor(COLORS.grid);
    for (const f of [0, 0.5, 1]) {
      const y = top + h - f * h;
      doc
        .moveTo(MARGIN, y)
        .lineTo(MARGIN + this.width, y)
        .stroke();
      doc
        .fontSize(7)
        .fillColor(COLORS.dim)
        .text(String(Math.round(max * f)), MARGIN - 30, y - 4, {
          width: 27,
          align: 'right',
          lineBreak: false,
        });
    }
    days.forEach((d, i) => {
      const x = MARGIN + i * step + (step - barW) / 2;
      const ha = (d.a / max) * h;
      const hb = (d.b / max) * h;
      if (ha > 0) doc.rect(x, top + h - ha, barW, ha).fill(COLORS.bar);
      if (hb > 0) doc.rect(x, top + h - hb, barW, hb).fill(COLORS.second);
    });
    const marks = new Set([0, Math.floor((days.length - 1) / 2), days.length - 1]);
    doc.fontSize(7).fillColor(COLORS.dim);
    for (const i of marks) {
      const d = days[i];
      if (!d) continue;
      doc.text(d.label, MARGIN + i * step - 20 + step / 2, top + h + 3, {
        width: 40,
        align: 'center',
        lineBreak: false,
      });
    }
    const ly = top + h + 16;
    doc.rect(MARGIN, ly, 8, 8).fill(COLORS.bar);
    doc.fillColor(COLORS.text).text(legend[0], MARGIN + 12, ly, { lineBreak: false });
    if (legend[1]) {
      doc.rect(MARGIN + 110, ly, 8, 8).fill(COLORS.second);
      doc.fillColor(COLORS.text).text(legend[1], MARGIN + 122, ly, { lineBreak: false });
    }
    doc.x = MARGIN;
    doc.y = ly + 16;
  }
  finish(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    this.doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<Buffer>((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      this.doc.on('error', reject);
    });
    this.doc.end();
    return done;
  }
}

const pct = (r: number | null) => (r === null ? null : Math.round(r * 1000) / 10);
const minutes = (sec: number) => Math.round(sec / 6) / 10;

export type ReportContent =
  | { report: 'calls'; data: CallReport }
  | { report: 'queues'; data: QueueReportRow[] }
  | { report: 'trunks'; data: TrunkReportRow[] };

/**
 * The PDF of a report. `title` names the schedule and report; `period` is the
 * local first and last day; `timeZone` formats the times in the lists.
 */
export function reportPdf(
  content: ReportContent,
  o: { title: string; period: string; lang: Lang; timeZone: string },
): Promise<Buffer> {
  const w = WORDS[o.lang];
  const l = new Layout();
  const { doc } = l;
  doc.info.Title = o.title;
  doc.font('bold').fontSize(17).text(o.title, MARGIN, MARGIN);
  l.note(`${w.period}: ${o.period}`);
  if (content.report === 'calls') {
    const r = content.data;
    l.heading(w.totals);
    const totals: [string, Cell][] = [
      [w.calls, r.totals.calls],
      [w.answered, r.totals.answered],
      [w.missed, r.totals.missed],
      [w.inbound, r.totals.inbound],
      [w.outbound, r.totals.outbound],
      [w.internal, r.totals.internal],
      [w.talkMin, minutes(r.totals.talkSec)],
      [w.avgAnswerSec, r.totals.avgAnswerSec],
    ];
    l.table(['', ''], totals, 0.5);
    l.heading(w.byDay);
    if (r.byDay.length === 0) l.note(w.none);
    else {
      l.bars(
        r.byDay.map((d) => ({ label: d.date.slice(5), a: d.calls, b: d.missed })),
        [w.calls, w.missed],
      );
      l.table(
        [w.date, w.calls, w.answered, w.missed],
        r.byDay.map((d) => [d.date, d.calls, d.answered, d.missed]),
      );
    }
    l.heading(w.extensions);
    if (r.byExtension.length === 0) l.note(w.none);
    else
      l.table(
        [w.extension, w.calls, w.answered, w.missed, w.talkMin],
        r.byExtension.map((e) => [e.number, e.calls, e.answered, e.missed, minutes(e.talkSec)]),
      );
    l.heading(w.missedNotReturned);
    const when = new Intl.DateTimeFormat(o.lang === 'ru' ? 'ru-RU' : 'en-GB', {
      timeZone: o.timeZone,
      dateStyle: 'short',
      timeStyle: 'short',
    });
    if (r.missedNotReturned.length === 0) l.note(w.none);
    else
      l.table(
        [w.number, w.missedCalls, w.lastMissed],
        r.missedNotReturned.map((m) => [m.number, m.missedCalls, when.format(new Date(m.lastMissedAt))]),
        0.4,
      );
  } else if (content.report === 'queues') {
    const queues = content.data;
    const thresholds = [...new Set(queues.flatMap((q) => Object.keys(q.serviceLevel)))].sort(
      (a, b) => Number(a) - Number(b),
    );
    l.heading(w.queues);
    if (queues.length === 0) l.note(w.none);
    else
      l.table(
        [
          w.queue,
          w.offered,
          w.answered,
          w.abandoned,
          w.abandonRate,
          ...thresholds.map(w.serviceLevel),
          w.asa,
          w.aht,
        ],
        queues.map((q) => [
          q.name || q.queueId.slice(0, 8),
          q.offered,
          q.answered,
          q.abandoned,
          pct(q.abandonRate),
          ...thresholds.map((s) => pct(q.serviceLevel[s] ?? null)),
          q.asaSec,
          q.ahtSec,
        ]),
        0.2,
      );
    for (const q of queues) {
      l.heading(`${w.queue}: ${q.name || q.queueId}`, 11);
      if (q.byDay.length)
        l.bars(
          q.byDay.map((d) => ({ label: d.date.slice(5), a: d.offered, b: d.abandoned })),
          [w.offered, w.abandoned],
        );
      if (q.agents.length)
        l.table(
          [w.agent, w.offered, w.answered, w.missed, w.talkMin],
          q.agents.map((a) => [a.agent, a.offered, a.answered, a.missed, minutes(a.talkSec)]),
        );
    }
  } else {
    const trunks = content.data;
    l.heading(w.trunks);
    if (trunks.length === 0) l.note(w.none);
    else
      l.table(
        [w.trunk, w.calls, w.answered, w.minutes, w.peak],
        trunks.map((t) => [t.trunk, t.calls, t.answered, t.minutes, t.peak]),
      );
    for (const t of trunks) {
      l.heading(`${w.trunk}: ${t.trunk}`, 11);
      l.bars(
        t.byDay.map((d) => ({ label: d.date.slice(5), a: d.calls, b: 0 })),
        [w.calls, null],
      );
      l.table(
        [w.date, w.calls, w.minutes, w.peak],
        t.byDay.map((d) => [d.date, d.calls, d.minutes, d.peak]),
      );
    }
  }
  return l.finish();
}
