/**
 * Call records as CSV (RFC 4180) or an Excel workbook, streamed: a batch of rows from the database,
 * then the next, so an export of a year of calls holds one batch at a time. UTF-8
 * with a byte-order mark, so spreadsheet programs read Cyrillic names right; a
 * text cell that a spreadsheet would run as a formula (=, +, -, @ — a caller's
 * name comes from outside) is written with a leading apostrophe. Phone numbers are
 * left as they are.
 */
import type { Writable } from 'node:stream';
import type { CallRecord } from '../store/schema.js';

export const CALL_CSV_COLUMNS = [
  'started_at',
  'answered_at',
  'ended_at',
  'wait_s',
  'talk_s',
  'direction',
  'caller',
  'caller_name',
  'callee',
  'status',
  'cause',
  'hangup_by',
  'trunk',
  'cost',
  'tags',
  'mos',
  'id',
] as const;

const PHONE = /^\+?[0-9*#]*$/;

/** One CSV field: quoted when it must be, defused when a spreadsheet would run it. */
export function csvField(value: string | number | null, text = true): string {
  if (value === null) return '';
  let s = String(value);
  if (text && /^[=+\-@\t\r]/.test(s) && !PHONE.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const seconds = (from: Date | null, to: Date | null) =>
  from && to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : null;

/** A record's cells in the order of CALL_CSV_COLUMNS (times as dates; each format writes them its way). */
function cells(c: CallRecord): (string | number | Date | null)[] {
  return [
    c.startedAt,
    c.answeredAt,
    c.endedAt,
    seconds(c.startedAt, c.answeredAt ?? c.endedAt),
    seconds(c.answeredAt, c.endedAt),
    c.direction,
    c.caller,
    c.callerName,
    c.callee,
    c.status,
    c.cause,
    c.hangupBy,
    c.trunk,
    c.cost,
    c.tags.join(' '),
    c.mos,
    c.id,
  ];
}

export function callCsvLine(c: CallRecord): string {
  const line = cells(c).map((f) =>
    f instanceof Date ? f.toISOString() : csvField(f, typeof f === 'string'),
  );
  return `${line.join(',')}\r\n`;
}

/**
 * The same rows as an Excel workbook, streamed into `out` as they come (exceljs's
 * streaming writer: rows are committed and not kept). Times are real date cells (UTC),
 * durations and cost numbers; text is text, so nothing in it is ever run as a formula.
 */
export async function writeCallXlsx(batches: AsyncIterable<CallRecord[]>, out: Writable): Promise<void> {
  // Loaded when an export is asked for: start-up does not pay for it.
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = book.addWorksheet('Calls', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = CALL_CSV_COLUMNS.map((key) => ({
    header: key,
    key,
    width: key.endsWith('_at')
      ? 21
      : key === 'id'
        ? 38
        : key.startsWith('caller') || key === 'callee'
          ? 18
          : 12,
    ...(key.endsWith('_at') ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } } : {}),
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  for await (const rows of batches) for (const c of rows) sheet.addRow(cells(c)).commit();
  sheet.commit();
  await book.commit();
}

/** The whole file: the header, then each batch's lines as it arrives. */
export async function* callCsv(batches: AsyncIterable<CallRecord[]>): AsyncGenerator<string> {
  yield `\uFEFF${CALL_CSV_COLUMNS.join(',')}\r\n`;
  for await (const rows of batches) yield rows.map(callCsvLine).join('');
}
