/**
 * The phonebook as CSV, both ways. Reading takes what spreadsheets write: a UTF-8
 * byte-order mark, ',' or ';' between fields (Excel in Russian and most of Europe
 * writes ';'), quoted fields with "" inside and line breaks, CRLF or LF. The
 * header names the columns (English or Russian, any order, any case); rows that
 * cannot be taken are reported by their line in the file and the field at fault,
 * never silently dropped. Writing uses the call export's defused, quoted fields.
 */
import type { ContactInput } from '../store/repositories/contacts.js';
import type { Contact, ContactNumber } from '../store/schema.js';
import { csvField } from './call-export.js';

export const CONTACT_CSV_COLUMNS = ['name', 'company', 'numbers', 'email', 'notes'] as const;
type Column = (typeof CONTACT_CSV_COLUMNS)[number];

export const MAX_CONTACT_NUMBERS = 10;
export const CONTACT_LIMITS = { name: 200, company: 200, email: 254, notes: 2000, number: 40 } as const;

/** Header names as people write them, lower-cased, to the column they mean. */
const HEADERS: Record<string, Column> = {
  name: 'name',
  'full name': 'name',
  contact: 'name',
  имя: 'name',
  фио: 'name',
  контакт: 'name',
  company: 'company',
  organization: 'company',
  organisation: 'company',
  компания: 'company',
  организация: 'company',
  number: 'numbers',
  numbers: 'numbers',
  phone: 'numbers',
  phones: 'numbers',
  telephone: 'numbers',
  'phone number': 'numbers',
  номер: 'numbers',
  номера: 'numbers',
  телефон: 'numbers',
  телефоны: 'numbers',
  email: 'email',
  'e-mail': 'email',
  mail: 'email',
  почта: 'email',
  notes: 'notes',
  note: 'notes',
  comment: 'notes',
  заметки: 'notes',
  примечание: 'notes',
  комментарий: 'notes',
};

export interface CsvRow {
  /** The line of the file the record starts on (the header is line 1). */
  line: number;
  fields: string[];
}

/** Splits CSV text into records (RFC 4180, with `sep` between fields). */
export function parseCsv(text: string, sep: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    // Blank lines (a trailing newline, spacing in a hand-made file) are no records.
    if (fields.length > 1 || fields[0]?.trim()) rows.push({ line: start, fields });
    fields = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (c === sep) {
      fields.push(field);
      field = '';
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else field += c;
    i++;
  }
  if (field !== '' || fields.length) endRecord();
  return rows;
}

/** ';' when the header has more of them than commas (Excel's "CSV" in many locales). */
export function detectSeparator(text: string): string {
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  const count = (ch: string) => header.split(ch).length - 1;
  if (count('\t') > Math.max(count(','), count(';'))) return '\t';
  return count(';') > count(',') ? ';' : ',';
}

/**
 * One cell of numbers: several separated by ',', ';' or '|', each optionally with
 * its label in parentheses after it ("+7 495 123-45-67 (work)") or before it with a
 * colon ("mobile: +7 916 …"), as the export writes and people type.
 */
export function parseNumbers(cell: string, defaultLabel = ''): ContactNumber[] {
  const out: ContactNumber[] = [];
  for (const part of cell.split(/[,;|\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const after = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(p);
    const before = /^([^\d+:]+):\s*(.+)$/.exec(p);
    if (after) out.push({ number: (after[1] ?? '').trim(), label: (after[2] ?? '').trim() });
    else if (before) out.push({ number: (before[2] ?? '').trim(), label: (before[1] ?? '').trim() });
    else out.push({ number: p, label: defaultLabel });
  }
  return out;
}

/** Digits, with the separators people write in numbers; a leading + and * # for service codes. */
const NUMBER = /^\+?[0-9*#][0-9*#\s().\-/]*$/;

/** What is wrong, as a stable word the portal words in the user's language (`value` fills it in). */
export type ProblemCode = 'required' | 'tooLong' | 'notEmail' | 'notNumber' | 'tooMany' | 'file';

export interface ContactProblem {
  line: number;
  field: Column | 'row' | 'file';
  code: ProblemCode;
  /** The offending value (cut short), or the limit. */
  value: string;
  message: string;
}

/** Checks a contact as the API and the import both take it; problems name the field. */
export function contactProblems(c: ContactInput): Omit<ContactProblem, 'line'>[] {
  const out: Omit<ContactProblem, 'line'>[] = [];
  const tooLong = (field: Column, max: number) =>
    out.push({ field, code: 'tooLong', value: String(max), message: `At most ${max} characters` });
  if (!c.name.trim()) out.push({ field: 'name', code: 'required', value: '', message: 'A name is required' });
  else if (c.name.length > CONTACT_LIMITS.name) tooLong('name', CONTACT_LIMITS.name);
  if ((c.company ?? '').length > CONTACT_LIMITS.company) tooLong('company', CONTACT_LIMITS.company);
  if ((c.notes ?? '').length > CONTACT_LIMITS.notes) tooLong('notes', CONTACT_LIMITS.notes);
  const email = (c.email ?? '').trim();
  if (email && (email.length > CONTACT_LIMITS.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) {
    const value = email.slice(0, 60);
    out.push({ field: 'email', code: 'notEmail', value, message: `Not an email address: ${value}` });
  }
  if (c.numbers.length > MAX_CONTACT_NUMBERS)
    out.push({
      field: 'numbers',
      code: 'tooMany',
      value: String(MAX_CONTACT_NUMBERS),
      message: `At most ${MAX_CONTACT_NUMBERS} numbers`,
    });
  for (const n of c.numbers) {
    const digits = n.number.replace(/[^0-9]/g, '');
    if (!NUMBER.test(n.number) || digits.length === 0 || n.number.length > CONTACT_LIMITS.number) {
      const value = n.number.slice(0, 40);
      out.push({ field: 'numbers', code: 'notNumber', value, message: `Not a phone number: ${value}` });
      break;
    }
  }
  return out;
}

export interface ParsedImport {
  rows: { line: number; contact: ContactInput }[];
  problems: ContactProblem[];
  /** Records in the file after the header. */
  total: number;
}

/** Reads an import: header, then a contact per record; bad records become problems. */
export function readContactsCsv(input: string, maxRows: number): ParsedImport {
  const text = input.replace(/^\uFEFF/, '');
  const problems: ContactProblem[] = [];
  const records = parseCsv(text, detectSeparator(text));
  const header = records.shift();
  if (!header)
    return {
      rows: [],
      problems: [{ line: 1, field: 'file', code: 'file', value: '', message: 'The file is empty' }],
      total: 0,
    };
  const columns = header.fields.map((h) => {
    const key = h.trim().toLowerCase().replace(/\s+/g, ' ');
    return HEADERS[key] ?? (/^(phone|number|тел|номер)/.test(key) ? 'numbers' : null);
  });
  if (!columns.includes('name'))
    return {
      rows: [],
      problems: [
        {
          line: header.line,
          field: 'file',
          code: 'file',
          value: '',
          message: 'The header has no "name" column',
        },
      ],
      total: records.length,
    };
  if (records.length > maxRows)
    return {
      rows: [],
      problems: [
        {
          line: 1,
          field: 'file',
          code: 'file',
          value: '',
          message: `More than ${maxRows} contacts in one file`,
        },
      ],
      total: records.length,
    };
  const rows: ParsedImport['rows'] = [];
  for (const r of records) {
    const contact: ContactInput = { name: '', company: '', numbers: [], email: '', notes: '' };
    r.fields.forEach((raw, i) => {
      // The apostrophe an export put before a cell a spreadsheet would run (see csvField) comes off.
      const value = raw.replace(/^'(?=[=+\-@])/, '');
      const col = columns[i];
      if (!col) return;
      if (col === 'numbers') {
        // A column headed "Phone (mobile)" or "Mobile phone" lends its word to the numbers' label.
        const head = header.fields[i]?.trim() ?? '';
        const label = /\(([^)]+)\)/.exec(head)?.[1] ?? '';
        contact.numbers.push(...parseNumbers(value, label));
      } else if (col === 'name' && contact.name) return;
      else contact[col] = value.trim();
    });
    const found = contactProblems(contact);
    if (found.length) for (const f of found) problems.push({ line: r.line, ...f });
    else rows.push({ line: r.line, contact });
  }
  return { rows, problems, total: records.length };
}

/** A contact's numbers in one cell, as `parseNumbers` reads them back. */
export function numbersCell(numbers: ContactNumber[]): string {
  return numbers.map((n) => (n.label ? `${n.number} (${n.label})` : n.number)).join(', ');
}

export function contactCsvHeader(): string {
  return `\uFEFF${CONTACT_CSV_COLUMNS.join(',')}\r\n`;
}

export function contactCsvLine(c: Contact): string {
  return `${[c.name, c.company, numbersCell(c.numbers), c.email, c.notes].map((v) => csvField(v)).join(',')}\r\n`;
}

/** The export, a page of contacts at a time. */
export async function* contactsCsv(pages: AsyncIterable<Contact[]>): AsyncGenerator<string> {
  yield contactCsvHeader();
  for await (const page of pages) yield page.map(contactCsvLine).join('');
}
