/**
 * Business-hours evaluation for time-based routing: is the tenant open at an instant, why, and when does
 * that next change. Pure functions: the instant is always passed in.
 *
 * Everything is decided by local wall-clock time in `spec.timeZone` (luxon converts the instant). That
 * makes daylight-saving nights behave the way a person reading the schedule expects:
 * - spring forward (e.g. Europe/Berlin 2026-03-29, 02:00 → 03:00): wall times 02:00–02:59 never occur, so a
 *   range 02:30–04:00 opens at 03:00 and a range 02:00–02:30 does not open at all that night;
 * - fall back (e.g. Europe/Berlin 2026-10-25, 03:00 → 02:00; America/New_York 2026-11-01, 02:00 → 01:00):
 *   the repeated wall times occur twice, and a range covering them is open during BOTH passes
 *   (00:00–02:30 in Berlin is open 02:00–02:30 CEST, closed 02:30–03:00 CEST, open again 02:00–02:30 CET).
 */
import { DateTime, IANAZone } from 'luxon';
import { ruDay } from './ru-production.js';
import type { CalendarSpec, CalendarState, Holiday, Weekday } from './types.js';

export interface CalendarProblem {
  /** Dotted path of the offending field, e.g. 'weekly.0.to' ('' for the whole spec). */
  field: string;
  message: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY_MINUTES = 1440;

// ---------------------------------------------------------------------------------------------------
// Parsing helpers shared by validation and evaluation

/** Minutes since local midnight of an 'HH:MM' time; '24:00' only when `asEnd`. Null when malformed. */
export function parseLocalTime(value: unknown, asEnd: boolean): number | null {
  if (typeof value !== 'string') return null;
  if (value === '24:00') return asEnd ? DAY_MINUTES : null;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function isCalendarDate(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    DateTime.fromISO(value, { zone: 'utc' }).isValid
  );
}

/** 'MM-DD' that exists in some year (checked against leap year 2000, so '02-29' passes). */
function isMonthDay(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^\d{2}-\d{2}$/.test(value) &&
    DateTime.fromISO(`2000-${value}`, { zone: 'utc' }).isValid
  );
}

/** An instant must say its offset: a wall time without one would be ambiguous. */
function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value))
    return null;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt.toMillis() : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Validation

/** Every problem of a spec, each with its dotted field path. An empty list means the spec is usable. */
export function validateCalendar(spec: CalendarSpec): CalendarProblem[] {
  const problems: CalendarProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  // The spec usually arrives as JSON from the API, so check shapes, not just values.
  const s: unknown = spec;
  if (!isRecord(s)) return [{ field: '', message: 'must be an object' }];

  if (typeof s.timeZone !== 'string' || !IANAZone.isValidZone(s.timeZone)) {
    add('timeZone', 'must be a known IANA time zone, e.g. Europe/Moscow');
  }

  if (!Array.isArray(s.weekly)) add('weekly', 'must be a list of ranges');
  else for (const [i, r] of s.weekly.entries()) validateRange(r, `weekly.${i}`, true, add);

  if (!Array.isArray(s.holidays)) add('holidays', 'must be a list of holidays');
  else for (const [i, h] of s.holidays.entries()) validateHoliday(h, `holidays.${i}`, add);

  if (s.productionCalendar !== 'ru' && s.productionCalendar !== null) {
    add('productionCalendar', "must be 'ru' or null");
  }

  if (s.override !== null) {
    if (!isRecord(s.override)) add('override', 'must be an object or null');
    else {
      if (s.override.state !== 'open' && s.override.state !== 'closed') {
        add('override.state', "must be 'open' or 'closed'");
      }
      if (s.override.until !== null && parseInstant(s.override.until) === null) {
        add(
          'override.until',
          'must be an ISO instant with an offset (e.g. 2026-01-09T09:00:00+03:00) or null',
        );
      }
    }
  }
  return problems;
}

type Add = (field: string, message: string) => void;

/** A time range; `withDays` for a weekly range (holiday hours have no days). */
function validateRange(r: unknown, path: string, withDays: boolean, add: Add): void {
  if (!isRecord(r)) {
    add(path, 'must be an object with from and to');
    return;
  }
  if (withDays) {
    if (!Array.isArray(r.days) || r.days.length === 0) {
      add(`${path}.days`, 'must list at least one weekday (1 = Monday … 7 = Sunday)');
    } else {
      r.days.forEach((d: unknown, j) => {
        // Duplicates are harmless: the day is simply listed twice.
        if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 7) {
          add(`${path}.days.${j}`, 'must be a weekday from 1 (Monday) to 7 (Sunday)');
        }
      });
    }
  }
  const from = parseLocalTime(r.from, false);
  const to = parseLocalTime(r.to, true);
  if (from === null) add(`${path}.from`, 'must be a time HH:MM from 00:00 to 23:59');
  if (to === null) add(`${path}.to`, 'must be a time HH:MM from 00:01 to 24:00');
  if (from !== null && to !== null && from >= to) {
    add(`${path}.to`, 'must be later than from (an overnight range is two ranges: …–24:00 and 00:00–…)');
  }
}

function validateHoliday(h: unknown, path: string, add: Add): void {
  if (!isRecord(h)) {
    add(path, 'must be an object');
    return;
  }
  if (typeof h.name !== 'string' || h.name.trim() === '') add(`${path}.name`, 'must be a non-empty name');

  const forms = [h.date !== undefined, h.from !== undefined || h.to !== undefined, h.yearly !== undefined];
  if (forms.filter(Boolean).length !== 1) {
    add(path, 'must have exactly one of: date, from and to, yearly');
  }
  if (h.date !== undefined && !isCalendarDate(h.date)) add(`${path}.date`, 'must be a real date YYYY-MM-DD');
  if (h.from !== undefined || h.to !== undefined) {
    if (!isCalendarDate(h.from)) add(`${path}.from`, 'must be a real date YYYY-MM-DD (the first day)');
    if (!isCalendarDate(h.to)) add(`${path}.to`, 'must be a real date YYYY-MM-DD (the last day, inclusive)');
    else if (isCalendarDate(h.from) && h.from > h.to) add(`${path}.to`, 'must not be before from');
  }
  if (h.yearly !== undefined && !isMonthDay(h.yearly)) {
    add(`${path}.yearly`, 'must be a real month and day MM-DD');
  }
  if (h.hours !== undefined) {
    if (!Array.isArray(h.hours)) add(`${path}.hours`, 'must be a list of ranges');
    else for (const [j, r] of h.hours.entries()) validateRange(r, `${path}.hours.${j}`, false, add);
  }
}

// ---------------------------------------------------------------------------------------------------
// A day's plan: the open hours of one local date and the rule that chose them

/** Half-open [from, to) in minutes of the local day (wall clock). */
interface Span {
  from: number;
  to: number;
}

interface DayPlan {
  spans: Span[];
  /** The rule that chose the hours. */
  rule: 'holiday' | 'production-holiday' | 'production-workday' | 'production-short' | 'weekly';
  label?: string;
  labelEn?: string;
  estimated?: boolean;
  /** On a shortened day: the hours before shortening, to tell "closed early" from "outside hours". */
  unshortened?: Span[];
}

/** A local calendar date. */
interface LocalDate {
  iso: string; // 'YYYY-MM-DD'
  weekday: Weekday;
}

/** Sorted, non-overlapping spans (weekly ranges may overlap or touch: merge them). */
function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

function toSpans(ranges: readonly { from: string; to: string }[]): Span[] {
  const spans: Span[] = [];
  for (const r of ranges) {
    const from = parseLocalTime(r.from, false);
    const to = parseLocalTime(r.to, true);
    // A malformed range (validateCalendar reports it) opens nothing rather than throwing in the call path.
    if (from !== null && to !== null && from < to) spans.push({ from, to });
  }
  return merge(spans);
}

function weeklySpans(spec: CalendarSpec, weekday: Weekday): Span[] {
  return toSpans(spec.weekly.filter((r) => r.days.includes(weekday)));
}

/**
 * Labour Code art. 95: the day is one hour shorter. Cut the day's last 60 open minutes, which is "the last
 * range ends one hour earlier" unless that range is under an hour long (then the cut continues into the
 * range before it, so the day still loses a full hour).
 */
function shorten(spans: Span[]): Span[] {
  const out = spans.map((s) => ({ ...s }));
  let cut = 60;
  while (cut > 0 && out.length > 0) {
    const last = out[out.length - 1]!;
    const len = last.to - last.from;
    if (len <= cut) {
      out.pop();
      cut -= len;
    } else {
      last.to -= cut;
      cut = 0;
    }
  }
  return out;
}

function holidayOn(holidays: readonly Holiday[], iso: string): Holiday | undefined {
  // ISO dates compare correctly as strings. The first matching holiday wins.
  return holidays.find(
    (h) =>
      h.date === iso ||
      (h.from !== undefined && h.to !== undefined && h.from <= iso && iso <= h.to) ||
      h.yearly === iso.slice(5),
  );
}

/** The hours of one local date, by precedence: tenant holiday → production calendar → weekly ranges. */
function dayPlan(spec: CalendarSpec, day: LocalDate): DayPlan {
  const holiday = holidayOn(spec.holidays, day.iso);
  if (holiday) return { spans: toSpans(holiday.hours ?? []), rule: 'holiday', label: holiday.name };

  if (spec.productionCalendar === 'ru') {
    const ru = ruDay(day.iso);
    if (ru) {
      const labels = { label: ru.name, labelEn: ru.nameEn, estimated: ru.estimated };
      if (ru.kind === 'holiday') return { spans: [], rule: 'production-holiday', ...labels };
      // A weekend made a working day works the hours of the weekday it stands in for.
      const base = weeklySpans(spec, ru.asWeekday ?? day.weekday);
      if (ru.kind === 'workday') return { spans: base, rule: 'production-workday', ...labels };
      return { spans: shorten(base), rule: 'production-short', unshortened: base, ...labels };
    }
  }
  return { spans: weeklySpans(spec, day.weekday), rule: 'weekly' };
}

function contains(spans: readonly Span[], minuteOfDay: number): boolean {
  return spans.some((s) => s.from <= minuteOfDay && minuteOfDay < s.to);
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

function zoneOf(spec: CalendarSpec): IANAZone {
  const zone = IANAZone.create(spec.timeZone);
  if (!zone.isValid) throw new RangeError(`unknown time zone: ${spec.timeZone}`);
  return zone;
}

/** The override while it is in force at `t` (until null, or still in the future), else null. */
function activeOverride(spec: CalendarSpec, t: number): CalendarSpec['override'] {
  const o = spec.override;
  if (!o) return null;
  if (o.until === null) return o;
  const until = parseInstant(o.until);
  return until !== null && until > t ? o : null;
}

/**
 * Open or closed at `at`, and which rule decided. Precedence: an override in force → tenant holidays →
 * production calendar → weekly ranges. Expects a spec that passed validateCalendar (an unknown time zone
 * throws a RangeError; other malformed entries are ignored).
 */
export function calendarState(spec: CalendarSpec, at: Date): CalendarState {
  const t = at.getTime();
  const override = activeOverride(spec, t);
  if (override) return { open: override.state === 'open', reason: 'override' };

  const local = DateTime.fromMillis(t, { zone: zoneOf(spec) });
  const day: LocalDate = { iso: local.toISODate()!, weekday: local.weekday as Weekday };
  // Fractional minutes, so that 17:59:30 is before an 18:00 close.
  const minute = local.hour * 60 + local.minute + (local.second * 1000 + local.millisecond) / MINUTE_MS;
  const plan = dayPlan(spec, day);
  const open = contains(plan.spans, minute);
  const labels = {
    ...(plan.label !== undefined && { label: plan.label }),
    ...(plan.labelEn !== undefined && { labelEn: plan.labelEn }),
    ...(plan.estimated && { estimated: true }),
  };

  switch (plan.rule) {
    case 'weekly':
      return { open, reason: open ? 'weekly' : 'outside-hours' };
    case 'holiday':
    case 'production-holiday':
      // The holiday set the whole day's hours, so it is the reason whether open or closed.
      return { open, reason: plan.rule, ...labels };
    case 'production-workday':
      return open ? { open, reason: plan.rule, ...labels } : { open, reason: 'outside-hours' };
    case 'production-short':
      // Closed in the hour cut off: the short day decided. Closed at night: plain outside hours.
      return open || contains(plan.unshortened ?? [], minute)
        ? { open, reason: plan.rule, ...labels }
        : { open, reason: 'outside-hours' };
  }
}

// ---------------------------------------------------------------------------------------------------
// The next change

/** Local date `offsetDays` after the UTC-midnight-based date `base` (pure date arithmetic, no zone). */
function localDateAt(baseUtcMidnight: number, offsetDays: number): LocalDate & { utcMidnight: number } {
  const d = new Date(baseUtcMidnight + offsetDays * DAY_MS);
  return {
    iso: d.toISOString().slice(0, 10),
    weekday: (((d.getUTCDay() + 6) % 7) + 1) as Weekday,
    utcMidnight: d.getTime(),
  };
}

/**
 * Every instant whose wall-clock time in `zone` is `wallAsUtc` (the wall time written as if it were UTC):
 * none in a spring-forward gap, two in a fall-back overlap, else one.
 */
function instantsOfWallTime(zone: IANAZone, wallAsUtc: number): number[] {
  const offsets = new Set<number>();
  for (let k = -2; k <= 2; k++) offsets.add(zone.offset(wallAsUtc + k * 12 * 3_600_000));
  const out: number[] = [];
  for (const offset of offsets) {
    const t = wallAsUtc - offset * MINUTE_MS;
    if (zone.offset(t) === offset) out.push(t);
  }
  return out;
}

/** The instants in [start, end] where the zone's UTC offset changes (DST transitions). */
function offsetTransitions(zone: IANAZone, start: number, end: number): number[] {
  const STEP = 6 * 3_600_000; // transitions are months apart; no zone has two within 6 hours
  const out: number[] = [];
  for (let a = start; a < end; a += STEP) {
    const b = Math.min(a + STEP, end);
    if (zone.offset(a) === zone.offset(b)) continue;
    // Binary search for the first millisecond with the new offset.
    let lo = a;
    let hi = b;
    const after = zone.offset(b);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (zone.offset(mid) === after) hi = mid;
      else lo = mid;
    }
    out.push(hi);
  }
  return out;
}

/**
 * The next instant after `at`, within `horizonDays`, at which `calendarState(spec, ·).open` flips; null if
 * it does not flip within the horizon (or an override without end holds). Instead of stepping minute by
 * minute it tests only the instants where the state can change: the edges of each local day's open hours,
 * local midnights, DST transitions (where wall time jumps over or back across an edge) and the override's
 * end. Between two such instants the state is constant, so the first candidate whose state differs is
 * exactly the flip.
 */
export function nextChange(spec: CalendarSpec, at: Date, horizonDays = 14): Date | null {
  const start = at.getTime();
  const end = start + horizonDays * DAY_MS;
  const initial = calendarState(spec, at).open;
  const override = activeOverride(spec, start);
  if (override && override.until === null) return null;

  const zone = zoneOf(spec);
  const candidates = new Set<number>(offsetTransitions(zone, start, end));
  if (override?.until) candidates.add(parseInstant(override.until)!);

  // Local dates from the day before `at` to the day after the horizon, so every edge in range is seen.
  const first = DateTime.fromMillis(start, { zone }).toISODate()!;
  const base = Date.parse(`${first}T00:00:00Z`) - DAY_MS;
  for (let i = 0; i <= horizonDays + 3; i++) {
    const day = localDateAt(base, i);
    const plan = dayPlan(spec, day);
    const edges = new Set<number>([0]);
    for (const s of plan.spans) {
      edges.add(s.from);
      edges.add(s.to);
    }
    for (const minute of edges) {
      for (const t of instantsOfWallTime(zone, day.utcMidnight + minute * MINUTE_MS)) candidates.add(t);
    }
  }

  const sorted = [...candidates].filter((t) => t > start && t <= end).sort((a, b) => a - b);
  for (const t of sorted) {
    if (calendarState(spec, new Date(t)).open !== initial) return new Date(t);
  }
  return null;
}
