/**
 * Says numbers, digits, counts, dates and times as ordered lists of system
 * prompt names (see prompts.ts), in English or Russian. No audio here: the
 * player resolves the names to files and plays them one after another.
 *
 * Russian agreement, as implemented:
 * - The form of a counted noun (and its adjective) follows the last two digits:
 *   11-14 -> genitive plural ("many"); else last digit 1 -> nominative singular
 *   ("one"), 2-4 -> genitive singular ("few"), 0 and 5-9 -> genitive plural.
 *   So 1 новое сообщение, 2 новых сообщения, 5/11/0 новых сообщений, 21 новое сообщение.
 * - The numeral for 1 and 2 takes the noun's gender: один/два час(а) (masculine),
 *   одна/две минута/минуты (feminine), одно/два сообщение/сообщения (neuter).
 * - Thousands are a feminine noun: (одна) тысяча, две тысячи, пять тысяч,
 *   двадцать одна тысяча. A bare 1000 is "тысяча".
 * English: "one hundred twenty three", "two thousand five" (no "and"), "one new
 * message", "two new messages", "no new messages".
 */
import type { PromptName } from './prompts.js';

export type SayLang = 'en' | 'ru';

/** Grammatical gender of what is counted (it matters in Russian only). */
export type Gender = 'm' | 'f' | 'n';

/** Russian plural form picked by the last two digits; English uses 'one' and 'many'. */
export type PluralForm = 'one' | 'few' | 'many';

/** Largest number `sayNumber` handles. */
export const SAY_MAX_NUMBER = 999_999;

const ONES: readonly PromptName[] = [
  'num-0',
  'num-1',
  'num-2',
  'num-3',
  'num-4',
  'num-5',
  'num-6',
  'num-7',
  'num-8',
  'num-9',
  'num-10',
  'num-11',
  'num-12',
  'num-13',
  'num-14',
  'num-15',
  'num-16',
  'num-17',
  'num-18',
  'num-19',
];
const TENS: readonly PromptName[] = [
  'num-20',
  'num-30',
  'num-40',
  'num-50',
  'num-60',
  'num-70',
  'num-80',
  'num-90',
];
const HUNDREDS: readonly PromptName[] = [
  'num-100',
  'num-200',
  'num-300',
  'num-400',
  'num-500',
  'num-600',
  'num-700',
  'num-800',
  'num-900',
];
const THOUSAND: Readonly<Record<PluralForm, PromptName>> = {
  one: 'thousand-one',
  few: 'thousand-few',
  many: 'thousand-many',
};
/** Russian 1 and 2 by gender (the masculine ones are in ONES). */
const RU_GENDERED: Readonly<Record<'f' | 'n', readonly [PromptName, PromptName]>> = {
  f: ['num-1-f', 'num-2-f'],
  n: ['num-1-n', 'num-2'],
};

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range`);
  return v;
}

function checkInteger(n: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new RangeError(`${what} must be an integer in 0..${max}, got ${n}`);
}

/** The plural form a count takes in `lang`. */
export function pluralForm(n: number, lang: SayLang): PluralForm {
  const abs = Math.abs(Math.trunc(n));
  if (lang === 'en') return abs === 1 ? 'one' : 'many';
  const last2 = abs % 100;
  const last = abs % 10;
  if (last2 >= 11 && last2 <= 14) return 'many';
  if (last === 1) return 'one';
  if (last >= 2 && last <= 4) return 'few';
  return 'many';
}

/** 1..999 (a group of three digits). */
function group(n: number, lang: SayLang, gender: Gender): PromptName[] {
  const out: PromptName[] = [];
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (h > 0) out.push(at(HUNDREDS, h - 1));
  if (r === 0) return out;
  let units = r;
  if (r >= 20) {
    out.push(at(TENS, Math.floor(r / 10) - 2));
    units = r % 10;
    if (units === 0) return out;
  }
  if (lang === 'ru' && gender !== 'm' && (units === 1 || units === 2))
    out.push(at(RU_GENDERED[gender], units - 1));
  else out.push(at(ONES, units));
  return out;
}

/**
 * Says an integer 0..999,999 in words. In Russian `gender` is that of the noun
 * that follows (default masculine, also right for a bare number).
 */
export function sayNumber(n: number, lang: SayLang, gender: Gender = 'm'): PromptName[] {
  checkInteger(n, SAY_MAX_NUMBER, 'number');
  if (n === 0) return ['num-0'];
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  const out: PromptName[] = [];
  if (thousands > 0) {
    if (lang === 'ru' && thousands === 1) out.push('thousand-one');
    else out.push(...group(thousands, lang, 'f'), THOUSAND[pluralForm(thousands, lang)]);
  }
  if (rest > 0) out.push(...group(rest, lang, gender));
  return out;
}

export interface SayDigitsOptions {
  /** How '#' is said: 'pound' (US, default) or 'hash'. In Russian both are "решётка". */
  hash?: 'pound' | 'hash';
}

/**
 * Says a string of keypad symbols one by one: 0-9, '*', '#', and a leading '+'.
 * Spaces, dashes, dots and parentheses (as in a formatted phone number) are skipped;
 * anything else is a RangeError.
 */
export function sayDigits(digits: string, _lang: SayLang, opts: SayDigitsOptions = {}): PromptName[] {
  const out: PromptName[] = [];
  for (const ch of digits) {
    if (ch >= '0' && ch <= '9') out.push(at(ONES, ch.charCodeAt(0) - 48));
    else if (ch === '*') out.push('star');
    else if (ch === '#') out.push(opts.hash ?? 'pound');
    else if (ch === '+') out.push('plus');
    else if (!' -.()'.includes(ch)) throw new RangeError(`cannot say ${JSON.stringify(ch)} as a digit`);
  }
  return out;
}

/** What `sayCount` can count. */
export type CountNoun = 'message' | 'new-message' | 'saved-message' | 'hour' | 'minute' | 'second';

interface NounInfo {
  gender: Gender;
  forms: Readonly<Record<PluralForm, PromptName>>;
  /** Said instead of "zero <noun>", when there is such a phrase. */
  none?: PromptName;
}

const NOUNS: Readonly<Record<CountNoun, NounInfo>> = {
  message: {
    gender: 'n',
    forms: { one: 'message-one', few: 'message-few', many: 'message-many' },
    none: 'no-messages',
  },
  'new-message': {
    gender: 'n',
    forms: { one: 'new-message-one', few: 'new-message-few', many: 'new-message-many' },
    none: 'no-new-messages',
  },
  'saved-message': {
    gender: 'n',
    forms: { one: 'saved-message-one', few: 'saved-message-few', many: 'saved-message-many' },
    none: 'no-saved-messages',
  },
  hour: { gender: 'm', forms: { one: 'hour-one', few: 'hour-few', many: 'hour-many' } },
  minute: { gender: 'f', forms: { one: 'minute-one', few: 'minute-few', many: 'minute-many' } },
  second: { gender: 'f', forms: { one: 'second-one', few: 'second-few', many: 'second-many' } },
};

export interface SayCountOptions {
  /** Say "zero minutes" rather than "no new messages"-style phrases. Default false. */
  zeroAsNumber?: boolean;
}

/**
 * Says a count with its noun, agreeing in gender and number: "two new messages",
 * "двадцать одно новое сообщение", "две минуты". Zero says "no new messages" /
 * "нет новых сообщений" for nouns that have such a phrase.
 */
export function sayCount(
  n: number,
  noun: CountNoun,
  lang: SayLang,
  opts: SayCountOptions = {},
): PromptName[] {
  checkInteger(n, SAY_MAX_NUMBER, 'count');
  const info = NOUNS[noun];
  if (n === 0 && info.none && !opts.zeroAsNumber) return [info.none];
  return [...sayNumber(n, lang, info.gender), info.forms[pluralForm(n, lang)]];
}

/**
 * Says a duration such as "two minutes five seconds" (hours, minutes and seconds
 * that are not zero; "zero seconds" for 0). Fractions of a second are dropped.
 */
export function sayDuration(seconds: number, lang: SayLang): PromptName[] {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`bad duration ${seconds}`);
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const out: PromptName[] = [];
  if (h > 0) out.push(...sayCount(h, 'hour', lang));
  if (m > 0) out.push(...sayCount(m, 'minute', lang));
  if (s > 0 || out.length === 0) out.push(...sayCount(s, 'second', lang));
  return out;
}

/** A calendar moment as the caller should hear it (already in the right time zone). */
export interface CalendarParts {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** ISO weekday: 1 = Monday .. 7 = Sunday. */
  weekday: number;
  /** 0..23 */
  hour: number;
  /** 0..59 */
  minute: number;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar parts of `date` in `timeZone` (an IANA name; default UTC). */
export function calendarParts(date: Date, timeZone = 'UTC'): CalendarParts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(date)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

export interface SayDateOptions {
  /** IANA time zone of the listener (a tenant's zone); default UTC. Ignored for CalendarParts. */
  timeZone?: string;
  /** Say the weekday ("on Monday," / "в понедельник,"). Default true. */
  weekday?: boolean;
  /** When given, a date on the same day says "today" and on the day before "yesterday". */
  now?: Date;
}

function toParts(date: Date | CalendarParts, timeZone: string | undefined): CalendarParts {
  const p = date instanceof Date ? calendarParts(date, timeZone) : date;
  if (!Number.isInteger(p.month) || p.month < 1 || p.month > 12) throw new RangeError(`bad month ${p.month}`);
  if (!Number.isInteger(p.day) || p.day < 1 || p.day > 31) throw new RangeError(`bad day ${p.day}`);
  if (!Number.isInteger(p.weekday) || p.weekday < 1 || p.weekday > 7)
    throw new RangeError(`bad weekday ${p.weekday}`);
  if (!Number.isInteger(p.hour) || p.hour < 0 || p.hour > 23) throw new RangeError(`bad hour ${p.hour}`);
  if (!Number.isInteger(p.minute) || p.minute < 0 || p.minute > 59)
    throw new RangeError(`bad minute ${p.minute}`);
  return p;
}

function sameDay(a: CalendarParts, b: CalendarParts): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

/**
 * Says a date. English: "on Monday, January first"; Russian: "в понедельник,
 * первое января" (neuter ordinal day, genitive month). No year. With `now`,
 * "today" / "yesterday" instead.
 */
export function sayDate(date: Date | CalendarParts, lang: SayLang, opts: SayDateOptions = {}): PromptName[] {
  const p = toParts(date, opts.timeZone);
  if (opts.now && date instanceof Date) {
    const today = calendarParts(opts.now, opts.timeZone);
    if (sameDay(p, today)) return ['today'];
    const before = calendarParts(new Date(opts.now.getTime() - 86_400_000), opts.timeZone);
    if (sameDay(p, before)) return ['yesterday'];
  }
  const out: PromptName[] = [];
  if (opts.weekday ?? true) out.push(`on-weekday-${p.weekday}` as PromptName);
  const month = `month-${p.month}` as PromptName;
  const day = `day-${p.day}` as PromptName;
  if (lang === 'en') out.push(month, day);
  else out.push(day, month);
  return out;
}

/**
 * Says a time of day. English, 12-hour: "at three fifteen P.M.", "at nine oh
 * five A.M.", "at twelve P.M.". Russian, 24-hour, hours and minutes counted, as a
 * label without a preposition (a lone "в" cannot be recorded as a word):
 * "пятнадцать часов двадцать минут", "двадцать один час", "девять часов одна минута".
 */
export function sayTime(
  date: Date | CalendarParts,
  lang: SayLang,
  opts: { timeZone?: string } = {},
): PromptName[] {
  const { hour, minute } = toParts(date, opts.timeZone);
  if (lang === 'ru') {
    const out = sayCount(hour, 'hour', 'ru');
    if (minute > 0) out.push(...sayCount(minute, 'minute', 'ru'));
    return out;
  }
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const out: PromptName[] = ['at', ...sayNumber(h12, 'en')];
  if (minute > 0 && minute < 10) out.push('oh', ...sayNumber(minute, 'en'));
  else if (minute >= 10) out.push(...sayNumber(minute, 'en'));
  out.push(hour < 12 ? 'am' : 'pm');
  return out;
}

/**
 * `sayDate` then `sayTime`: "on Monday, January first at three fifteen P.M." /
 * "в понедельник, первое января, пятнадцать часов пятнадцать минут".
 */
export function sayDateTime(
  date: Date | CalendarParts,
  lang: SayLang,
  opts: SayDateOptions = {},
): PromptName[] {
  return [...sayDate(date, lang, opts), ...sayTime(date, lang, opts)];
}

/** A menu line: "<action> press <key>", e.g. ['vm-to-save', 'press', 'num-9']. */
export function sayPress(
  action: PromptName,
  key: string,
  lang: SayLang,
  opts: SayDigitsOptions = {},
): PromptName[] {
  return [action, 'press', ...sayDigits(key, lang, opts)];
}

/**
 * Every prompt name the functions above can return for `lang` (for the
 * catalogue check; `sayPress` adds its `action`, which the caller chooses).
 */
export function sayableNames(lang: SayLang): ReadonlySet<PromptName> {
  const names = new Set<PromptName>([...ONES, ...TENS, ...HUNDREDS, ...Object.values(THOUSAND)]);
  if (lang === 'ru') for (const pair of Object.values(RU_GENDERED)) for (const n of pair) names.add(n);
  for (const n of ['star', 'pound', 'hash', 'plus', 'press', 'today', 'yesterday'] as const) names.add(n);
  if (lang === 'en') for (const n of ['at', 'oh', 'am', 'pm'] as const) names.add(n);
  for (const info of Object.values(NOUNS)) {
    for (const n of Object.values(info.forms)) names.add(n);
    if (info.none) names.add(info.none);
  }
  for (let d = 1; d <= 7; d++) names.add(`on-weekday-${d}` as PromptName);
  for (let m = 1; m <= 12; m++) names.add(`month-${m}` as PromptName);
  for (let d = 1; d <= 31; d++) names.add(`day-${d}` as PromptName);
  return names;
}
