/**
 * The Russian production calendar (производственный календарь): which days are non-working holidays,
 * which weekend days are made working days, and which days are one hour shorter.
 *
 * Where it comes from:
 * - Labour Code art. 112 part 1 fixes the holidays (Jan 1–6 and 8 New Year holidays, Jan 7, Feb 23, Mar 8,
 *   May 1, May 9, Jun 12, Nov 4). Part 2: a weekend day that coincides with a holiday moves to the next
 *   working day after the holiday, except for the January holidays: the government moves two of those
 *   weekend days by its yearly decree (part 5), which may move other weekend days too.
 * - Labour Code art. 95: the working day immediately before a non-working holiday is one hour shorter.
 *
 * Years with a published decree are listed exactly below (public facts, cross-checked against several
 * publications of the decree; the test suite checks every date against its weekday). For any other year
 * the calendar is estimated from the Labour Code alone, and every answer says `estimated: true`.
 */
import { DateTime } from 'luxon';
import type { Weekday } from './types.js';

export interface RuDay {
  kind: 'holiday' | 'workday' | 'short';
  /** Russian name. */
  name: string;
  nameEn: string;
  /**
   * For a weekend day made a working day: the weekday whose hours it works (the weekday that took its day
   * off). Such a day has kind 'workday', or 'short' when it is also a shortened pre-holiday day.
   */
  asWeekday?: Weekday;
  /** True for a year without a published decree: derived from the Labour Code alone. */
  estimated: boolean;
}

/** One year's decree, in month-days ('MM-DD'). The statutory holidays of art. 112 are implied. */
interface YearData {
  /** The decree, for whoever checks the data. */
  decree: string;
  /** Weekdays made non-working: the day → the month-day whose day off was moved there. */
  movedDaysOff: Record<string, string>;
  /** Weekend days made working: the day → the month-day its day off moved to (a weekday, whose hours it works). */
  workdays: Record<string, string>;
  /** Shortened pre-holiday working days (art. 95). */
  short: string[];
}

const EXACT: Record<number, YearData> = {
  // Постановление Правительства РФ от 04.10.2024 № 1335 «О переносе выходных дней в 2025 году»:
  // Sat Jan 4 → Fri May 2, Sun Jan 5 → Wed Dec 31, Sun Feb 23 → Thu May 8, Sat Mar 8 → Fri Jun 13,
  // Sat Nov 1 → Mon Nov 3. 247 working days.
  2025: {
    decree: 'Постановление Правительства РФ от 04.10.2024 № 1335',
    movedDaysOff: {
      '05-02': '01-04',
      '05-08': '02-23',
      '06-13': '03-08',
      '11-03': '11-01',
      '12-31': '01-05',
    },
    workdays: { '11-01': '11-03' },
    short: ['03-07', '04-30', '06-11', '11-01'],
  },
  // Постановление Правительства РФ от 24.09.2025 № 1466 «О переносе выходных дней в 2026 году»:
  // Sat Jan 3 → Fri Jan 9, Sun Jan 4 → Thu Dec 31. Sun Mar 8 → Mon Mar 9 and Sat May 9 → Mon May 11 follow
  // from art. 112 part 2 itself. No working weekend days; 247 working days.
  2026: {
    decree: 'Постановление Правительства РФ от 24.09.2025 № 1466',
    movedDaysOff: { '01-09': '01-03', '03-09': '03-08', '05-11': '05-09', '12-31': '01-04' },
    workdays: {},
    short: ['04-30', '05-08', '06-11', '11-03'],
  },
};

const NEW_YEAR = { name: 'Новогодние каникулы', nameEn: 'New Year holidays' };

/** Labour Code art. 112 part 1, by month-day. */
const STATUTORY: Record<string, { name: string; nameEn: string }> = {
  '01-01': NEW_YEAR,
  '01-02': NEW_YEAR,
  '01-03': NEW_YEAR,
  '01-04': NEW_YEAR,
  '01-05': NEW_YEAR,
  '01-06': NEW_YEAR,
  '01-07': { name: 'Рождество Христово', nameEn: 'Orthodox Christmas' },
  '01-08': NEW_YEAR,
  '02-23': { name: 'День защитника Отечества', nameEn: 'Defender of the Fatherland Day' },
  '03-08': { name: 'Международный женский день', nameEn: "International Women's Day" },
  '05-01': { name: 'Праздник Весны и Труда', nameEn: 'Spring and Labour Day' },
  '05-09': { name: 'День Победы', nameEn: 'Victory Day' },
  '06-12': { name: 'День России', nameEn: 'Russia Day' },
  '11-04': { name: 'День народного единства', nameEn: 'Unity Day' },
};

const MONTHS_RU = [
  'января',
  'февраля',
  'марта',
  'апреля',
  'мая',
  'июня',
  'июля',
  'августа',
  'сентября',
  'октября',
  'ноября',
  'декабря',
];
const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function spokenRu(md: string): string {
  return `${Number(md.slice(3))} ${MONTHS_RU[Number(md.slice(0, 2)) - 1]}`;
}
function spokenEn(md: string): string {
  return `${Number(md.slice(3))} ${MONTHS_EN[Number(md.slice(0, 2)) - 1]}`;
}

const SHORT = {
  name: 'Предпраздничный день, сокращён на 1 час',
  nameEn: 'Pre-holiday day, one hour shorter',
};

function movedDayOff(fromMd: string): { name: string; nameEn: string } {
  return {
    name: `Перенесённый выходной (с ${spokenRu(fromMd)})`,
    nameEn: `Day off moved from ${spokenEn(fromMd)}`,
  };
}

/** ISO weekday of a date, computed without any time zone (dates only). */
function weekdayOf(year: number, md: string): Weekday {
  const d = new Date(Date.UTC(year, Number(md.slice(0, 2)) - 1, Number(md.slice(3))));
  return (((d.getUTCDay() + 6) % 7) + 1) as Weekday;
}

function isWeekend(year: number, md: string): boolean {
  return weekdayOf(year, md) >= 6;
}

/** The month-day `days` after `md` in `year` (may leave the year: callers check). */
function shiftMd(year: number, md: string, days: number): { year: number; md: string } {
  const d = new Date(Date.UTC(year, Number(md.slice(0, 2)) - 1, Number(md.slice(3)) + days));
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return { year: d.getUTCFullYear(), md: `${mm}-${dd}` };
}

type YearTable = Map<string, RuDay>;

function statutoryHolidays(table: YearTable, estimated: boolean): void {
  for (const [md, n] of Object.entries(STATUTORY)) table.set(md, { kind: 'holiday', ...n, estimated });
}

function exactYear(year: number, data: YearData): YearTable {
  const table: YearTable = new Map();
  statutoryHolidays(table, false);
  for (const [md, fromMd] of Object.entries(data.movedDaysOff)) {
    table.set(md, { kind: 'holiday', ...movedDayOff(fromMd), estimated: false });
  }
  const shortDays = new Set(data.short);
  for (const [md, toMd] of Object.entries(data.workdays)) {
    const name = `Рабочий день (выходной перенесён на ${spokenRu(toMd)})`;
    const nameEn = `Working day (its day off moved to ${spokenEn(toMd)})`;
    table.set(md, {
      kind: shortDays.has(md) ? 'short' : 'workday',
      name: shortDays.has(md) ? `${name}; ${SHORT.name}` : name,
      nameEn: shortDays.has(md) ? `${nameEn}; ${SHORT.nameEn}` : nameEn,
      asWeekday: weekdayOf(year, toMd),
      estimated: false,
    });
  }
  for (const md of shortDays) {
    if (!table.has(md)) table.set(md, { kind: 'short', ...SHORT, estimated: false });
  }
  return table;
}

/**
 * A year without a decree, from the Labour Code alone: the statutory holidays; a non-January holiday on
 * a weekend moves the day off to the next working day after it (art. 112 part 2); the working day right
 * before a holiday is short (art. 95), Dec 31 included since Jan 1 follows it. The January weekend moves
 * are left out: only the decree decides them.
 */
function estimatedYear(year: number): YearTable {
  const table: YearTable = new Map();
  statutoryHolidays(table, true);
  for (const md of Object.keys(STATUTORY).sort()) {
    if (md.startsWith('01-') || !isWeekend(year, md)) continue;
    let next = shiftMd(year, md, 1);
    while (next.year === year && (isWeekend(year, next.md) || table.has(next.md)))
      next = shiftMd(year, next.md, 1);
    if (next.year === year) table.set(next.md, { kind: 'holiday', ...movedDayOff(md), estimated: true });
  }
  const beforeHoliday = Object.keys(STATUTORY)
    .map((md) => shiftMd(year, md, -1))
    .filter((d) => d.year === year)
    .map((d) => d.md);
  for (const md of [...beforeHoliday, '12-31']) {
    if (!isWeekend(year, md) && !table.has(md)) table.set(md, { kind: 'short', ...SHORT, estimated: true });
  }
  return table;
}

const cache = new Map<number, YearTable>();

function yearTable(year: number): YearTable {
  let table = cache.get(year);
  if (!table) {
    const data = EXACT[year];
    table = data ? exactYear(year, data) : estimatedYear(year);
    cache.set(year, table);
  }
  return table;
}

/**
 * What the production calendar says of a date: null for an ordinary day (its weekday decides).
 * Throws a RangeError for anything but a real 'YYYY-MM-DD' date.
 */
export function ruDay(date: string): RuDay | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !DateTime.fromISO(date, { zone: 'utc' }).isValid) {
    throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  }
  const entry = yearTable(Number(date.slice(0, 4))).get(date.slice(5));
  return entry ? { ...entry } : null;
}

/** Years whose data comes from a published decree (every other year is estimated). */
export function ruYears(): number[] {
  return Object.keys(EXACT)
    .map(Number)
    .sort((a, b) => a - b);
}
