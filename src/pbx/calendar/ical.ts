/**
 * iCalendar (.ics, RFC 5545) import of holidays, e.g. a public-holiday feed or an office closure calendar
 * exported from a groupware. A small reader of our own: only what holidays need, and never a throw on bad
 * input; every problem comes back with the line it was found on and the rest is still imported.
 *
 * What becomes a holiday: an all-day event (or a timed one covering whole days), one day → `date`,
 * several → inclusive `from`/`to`, and a yearly recurrence of a single day → `yearly`. A timed event that
 * covers part of a day is reported, not imported: a holiday closes whole days, and the open hours around
 * such an event are not in the file.
 */
import { Buffer } from 'node:buffer';
import { DateTime, Duration, IANAZone } from 'luxon';
import type { Holiday } from './types.js';

export interface IcsError {
  /** 1-based line of the input (the first physical line of a folded line); 0 for the input as a whole. */
  line: number;
  message: string;
}

export interface IcsImport {
  holidays: Holiday[];
  errors: IcsError[];
}

/** Inputs above this many bytes (UTF-8) are refused whole. */
export const ICS_MAX_BYTES = 1024 * 1024;
/** Events past this many are not imported (one error says so). */
export const ICS_MAX_EVENTS = 5000;
/** A bounded yearly recurrence expands to at most this many dated holidays. */
const MAX_OCCURRENCES = 200;
/** Garbage can produce an error a line: report this many, then say that more were left out. */
const MAX_ERRORS = 100;

// ---------------------------------------------------------------------------------------------------
// Content lines (RFC 5545 §3.1)

interface ContentLine {
  line: number;
  name: string;
  /** Parameter names upper-cased; values unquoted. */
  params: Map<string, string[]>;
  value: string;
}

/**
 * RFC 5545 §3.1: "Lines of text SHOULD NOT be longer than 75 octets ... a long line can be split between
 * any two characters by inserting a CRLF immediately followed by a single linear white-space character
 * (i.e., SPACE or HTAB)." Unfolding removes that CRLF and the one white-space character. Bare LF line
 * ends are accepted as well, as many exporters write them.
 */
function unfold(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const physical = text.split(/\r\n|\n|\r/);
  physical.forEach((raw, i) => {
    const last = out[out.length - 1];
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && last) last.text += raw.slice(1);
    else out.push({ line: i + 1, text: raw });
  });
  return out.filter((l) => l.text.trim() !== '');
}

/**
 * RFC 5545 §3.1: contentline = name *(";" param ) ":" value; param = param-name "=" param-value
 * *("," param-value); param-value = paramtext / quoted-string (a quoted value may hold ";", ":" and ",").
 */
function parseContentLine(line: number, text: string): ContentLine | string {
  const nameMatch = /^[A-Za-z0-9-]+/.exec(text);
  if (!nameMatch) return 'not a content line (expected NAME:value)';
  const params = new Map<string, string[]>();
  let i = nameMatch[0].length;
  while (text[i] === ';') {
    const pm = /^([A-Za-z0-9-]+)=/.exec(text.slice(i + 1));
    if (!pm) return 'malformed parameter';
    i += 1 + pm[0].length;
    const values: string[] = [];
    for (;;) {
      if (text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return 'unterminated quoted parameter value';
        values.push(text.slice(i + 1, close));
        i = close + 1;
      } else {
        const vm = /^[^";:,]*/.exec(text.slice(i))!;
        values.push(vm[0]);
        i += vm[0].length;
      }
      if (text[i] !== ',') break;
      i++;
    }
    params.set(pm[1]!.toUpperCase(), values);
  }
  if (text[i] !== ':') return 'not a content line (expected NAME:value)';
  return { line, name: nameMatch[0].toUpperCase(), params, value: text.slice(i + 1) };
}

/** RFC 5545 §3.3.11: in TEXT values "\\" is a backslash, "\;" ";", "\," "," and "\n" or "\N" a line break. */
export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

// ---------------------------------------------------------------------------------------------------
// Values

type When =
  | { kind: 'date'; date: string } // 'YYYY-MM-DD'
  | { kind: 'date-time'; at: DateTime }; // in the zone its wall time belongs to

/**
 * RFC 5545 §3.3.4 DATE (YYYYMMDD) and §3.3.5 DATE-TIME: "FORM #1: DATE WITH LOCAL TIME" (floating: read in
 * the calendar's zone), "FORM #2: DATE WITH UTC TIME" (trailing Z: shown in the calendar's zone) and
 * "FORM #3: DATE WITH LOCAL TIME AND TIME ZONE REFERENCE" (TZID parameter).
 */
function parseWhen(prop: ContentLine, timeZone: string): When | string {
  const valueType = prop.params.get('VALUE')?.[0]?.toUpperCase();
  const v = prop.value.trim();
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (date && valueType !== 'DATE-TIME') {
    const iso = `${date[1]}-${date[2]}-${date[3]}`;
    return DateTime.fromISO(iso, { zone: 'utc' }).isValid ? { kind: 'date', date: iso } : `invalid date ${v}`;
  }
  if (valueType === 'DATE') return `${prop.name} has VALUE=DATE but "${v}" is not a date YYYYMMDD`;
  const dt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i.exec(v);
  if (!dt) return `${prop.name} "${v}" is not a DATE or DATE-TIME`;
  const fields = {
    year: Number(dt[1]),
    month: Number(dt[2]),
    day: Number(dt[3]),
    hour: Number(dt[4]),
    minute: Number(dt[5]),
    second: Number(dt[6]),
  };
  let at: DateTime;
  if (dt[7]) {
    // §3.3.5: "The "TZID" property parameter MUST NOT be applied to DATE-TIME properties whose time values
    // are specified in UTC."
    at = DateTime.fromObject(fields, { zone: 'utc' }).setZone(timeZone);
  } else {
    const tzid = prop.params.get('TZID')?.[0];
    const zone = tzid === undefined ? timeZone : resolveTzid(tzid);
    if (zone === null)
      return `unknown TZID "${tzid}": only IANA zone names (e.g. Europe/Moscow) are understood`;
    at = DateTime.fromObject(fields, { zone });
  }
  return at.isValid ? { kind: 'date-time', at } : `invalid date-time ${v}`;
}

/**
 * A TZID names a VTIMEZONE in the file; we read the IANA name instead of the VTIMEZONE rules. Exporters
 * often prefix it ('/mozilla.org/20050126_1/Europe/Moscow', '/citadel.org/.../Europe/Berlin'), so the
 * longest valid IANA suffix is taken.
 */
function resolveTzid(tzid: string): string | null {
  const parts = tzid.split('/').filter((p) => p !== '');
  for (let i = 0; i < parts.length; i++) {
    const candidate = parts.slice(i).join('/');
    if (IANAZone.isValidZone(candidate)) return candidate;
  }
  return null;
}

/**
 * RFC 5545 §3.3.6: dur-value = (["+"] / "-") "P" (dur-date / dur-time / dur-week). Negative durations make
 * no sense for an event's length and are refused.
 */
function parseDuration(value: string): Duration | string {
  const v = value.trim();
  if (!/^\+?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$/i.test(v) || /^\+?PT?$/i.test(v) || /T$/i.test(v)) {
    return `DURATION "${v}" is not a positive duration such as P1D or PT8H`;
  }
  const d = Duration.fromISO(v.replace(/^\+/, '').toUpperCase());
  return d.isValid ? d : `DURATION "${v}" is not a duration`;
}

// ---------------------------------------------------------------------------------------------------
// Dates

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function daysBetween(fromIso: string, toIso: string): number {
  return Math.round((Date.parse(`${toIso}T00:00:00Z`) - Date.parse(`${fromIso}T00:00:00Z`)) / 86_400_000);
}

function isMidnight(at: DateTime): boolean {
  return at.hour === 0 && at.minute === 0 && at.second === 0 && at.millisecond === 0;
}

// ---------------------------------------------------------------------------------------------------
// Events

interface EventDraft {
  line: number;
  props: Map<string, ContentLine>;
  /** Set when a property appeared twice where RFC 5545 allows it once. */
  problems: IcsError[];
}

/** Properties RFC 5545 §3.6.1 allows at most once per VEVENT, that we read. */
const SINGLE = new Set(['DTSTART', 'DTEND', 'DURATION', 'SUMMARY', 'RRULE', 'STATUS']);

/** The event's days: first date and count. */
type Days = { start: string; count: number };

function eventDays(ev: EventDraft, timeZone: string): Days | IcsError {
  const dtstart = ev.props.get('DTSTART');
  if (!dtstart) return { line: ev.line, message: 'VEVENT has no DTSTART' };
  const start = parseWhen(dtstart, timeZone);
  if (typeof start === 'string') return { line: dtstart.line, message: start };

  const dtend = ev.props.get('DTEND');
  const durationProp = ev.props.get('DURATION');
  // §3.6.1: ""dtend" or "duration" MAY appear in a "eventprop", but "dtend" and "duration" MUST NOT occur
  // in the same "eventprop"."
  if (dtend && durationProp)
    return { line: durationProp.line, message: 'VEVENT has both DTEND and DURATION' };
  const duration = durationProp ? parseDuration(durationProp.value) : undefined;
  if (typeof duration === 'string') return { line: durationProp!.line, message: duration };

  if (start.kind === 'date') {
    if (dtend) {
      const end = parseWhen(dtend, timeZone);
      if (typeof end === 'string') return { line: dtend.line, message: end };
      // §3.8.2.2: DTEND "MUST be specified with the same value type as DTSTART".
      if (end.kind !== 'date')
        return { line: dtend.line, message: 'DTEND is a DATE-TIME but DTSTART is a DATE' };
      // §3.6.1: DTEND is "the non-inclusive end of the event": DTEND 20260109 ends with Jan 8.
      const count = daysBetween(start.date, end.date);
      if (count < 1) return { line: dtend.line, message: 'DTEND must be after DTSTART' };
      return { start: start.date, count };
    }
    if (duration) {
      // §3.8.2.5: for a DATE start "the duration ... MUST be specified as a "dur-day" or "dur-week"".
      const { weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0 } = duration.toObject();
      if (hours || minutes || seconds) {
        return {
          line: durationProp!.line,
          message: 'DURATION of an all-day event must be whole days or weeks',
        };
      }
      const count = weeks * 7 + days;
      if (count < 1)
        return { line: durationProp!.line, message: 'DURATION of an all-day event must be at least P1D' };
      return { start: start.date, count };
    }
    // §3.6.1: "a "DTSTART" property with a DATE value type but no "DTEND" nor "DURATION" property, the
    // event's duration is taken to be one day."
    return { start: start.date, count: 1 };
  }

  let end: DateTime;
  if (dtend) {
    const e = parseWhen(dtend, timeZone);
    if (typeof e === 'string') return { line: dtend.line, message: e };
    if (e.kind !== 'date-time')
      return { line: dtend.line, message: 'DTEND is a DATE but DTSTART is a DATE-TIME' };
    end = e.at.setZone(start.at.zone);
  } else if (duration) {
    // §3.3.6: days and weeks are nominal (a DST day stays a day), hours and smaller are exact: luxon's plus.
    end = start.at.plus(duration);
  } else {
    // §3.6.1: with a DATE-TIME start and no end "the event ends on the same calendar date and time of day".
    end = start.at;
  }
  // Whole days in the zone of its wall time (TZID, or the calendar's for floating and UTC times).
  if (isMidnight(start.at) && isMidnight(end) && end > start.at) {
    const first = start.at.toISODate()!;
    return { start: first, count: daysBetween(first, end.toISODate()!) };
  }
  return {
    line: dtstart.line,
    message: `only all-day events are imported as holidays (this one runs ${start.at.toFormat('yyyy-MM-dd HH:mm')}–${end.toFormat('HH:mm')})`,
  };
}

/** RFC 5545 §3.3.10: recur = recur-rule-part *( ";" recur-rule-part ), each "NAME=value". */
function parseRrule(value: string): Map<string, string> | string {
  const parts = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `malformed RRULE part "${part}"`;
    parts.set(part.slice(0, eq).toUpperCase(), part.slice(eq + 1).toUpperCase());
  }
  return parts;
}

function expandYearly(rrule: ContentLine, days: Days, name: string, timeZone: string): Holiday[] | IcsError {
  const fail = (message: string): IcsError => ({ line: rrule.line, message });
  const parts = parseRrule(rrule.value);
  if (typeof parts === 'string') return fail(parts);
  const freq = parts.get('FREQ');
  if (freq !== 'YEARLY')
    return fail(`only FREQ=YEARLY recurrences are imported (this one is FREQ=${freq ?? '?'})`);
  const month = days.start.slice(5, 7);
  const dayOfMonth = days.start.slice(8, 10);
  for (const [key, v] of parts) {
    if (['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'WKST'].includes(key)) continue;
    // BYMONTH / BYMONTHDAY that repeat DTSTART's own month and day change nothing; anything else would
    // pick other days (e.g. BYDAY=4TH for Thanksgiving), which a fixed-date holiday cannot express.
    if (key === 'BYMONTH' && Number(v) === Number(month)) continue;
    if (key === 'BYMONTHDAY' && Number(v) === Number(dayOfMonth)) continue;
    return fail(
      `RRULE ${key}=${v} is not supported: only a yearly repeat on the event's own date is imported`,
    );
  }
  const interval = parts.has('INTERVAL') ? Number(parts.get('INTERVAL')) : 1;
  if (!Number.isInteger(interval) || interval < 1) return fail('RRULE INTERVAL must be a positive integer');
  const count = parts.has('COUNT') ? Number(parts.get('COUNT')) : undefined;
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    return fail('RRULE COUNT must be a positive integer');
  }
  // §3.3.10: "The UNTIL or COUNT rule parts are OPTIONAL, but they MUST NOT occur in the same 'recur'."
  if (count !== undefined && parts.has('UNTIL')) return fail('RRULE has both COUNT and UNTIL');
  let until: string | undefined;
  if (parts.has('UNTIL')) {
    const u = parseWhen({ ...rrule, name: 'UNTIL', params: new Map(), value: parts.get('UNTIL')! }, timeZone);
    if (typeof u === 'string') return fail(u);
    until = u.kind === 'date' ? u.date : u.at.toISODate()!;
  }

  const spanDays = Array.from({ length: days.count }, (_, i) => addDays(days.start, i));
  if (count === undefined && until === undefined) {
    if (interval !== 1) return fail('an endless RRULE with INTERVAL other than 1 cannot be a yearly holiday');
    if (days.count > 366) return fail('a yearly event longer than a year is not a holiday');
    // One yearly holiday per day of the event, so a multi-day event (and one across New Year) repeats whole.
    return spanDays.map((d) => ({ name, yearly: d.slice(5) }));
  }

  // Bounded: expand to dated holidays. §3.3.10: "Recurrence rules may generate recurrence instances with an
  // invalid date (e.g., February 30) ... Such recurrence instances MUST be ignored and MUST NOT be counted
  // as part of the recurrence set." (Feb 29 in a common year.)
  const out: Holiday[] = [];
  const startYear = Number(days.start.slice(0, 4));
  let found = 0;
  for (let year = startYear; year <= 9999; year += interval) {
    const first = `${String(year).padStart(4, '0')}${days.start.slice(4)}`;
    if (!DateTime.fromISO(first, { zone: 'utc' }).isValid) continue;
    if (until !== undefined && first > until) break;
    if (count !== undefined && found >= count) break;
    found++;
    if (found > MAX_OCCURRENCES) return fail(`RRULE expands to more than ${MAX_OCCURRENCES} occurrences`);
    const last = addDays(first, days.count - 1);
    out.push(days.count === 1 ? { name, date: first } : { name, from: first, to: last });
  }
  return out;
}

function eventHolidays(ev: EventDraft, timeZone: string): Holiday[] | IcsError {
  // §3.8.1.11: a CANCELLED event does not take place, so it closes nothing.
  if (ev.props.get('STATUS')?.value.trim().toUpperCase() === 'CANCELLED') return [];
  for (const name of ['RDATE', 'EXDATE', 'RECURRENCE-ID']) {
    const p = ev.props.get(name);
    if (p) return { line: p.line, message: `${name} is not supported: import the event without it` };
  }
  const rrule = ev.props.get('RRULE');
  // The kind of recurrence is the more telling problem (a weekly meeting is timed, too): check it first.
  const freq = rrule ? /(?:^|;)FREQ=([^;]*)/i.exec(rrule.value)?.[1]?.toUpperCase() : undefined;
  if (rrule && freq !== 'YEARLY') {
    return {
      line: rrule.line,
      message: `only FREQ=YEARLY recurrences are imported (this one is FREQ=${freq ?? '?'})`,
    };
  }
  const days = eventDays(ev, timeZone);
  if ('message' in days) return days;
  const summary = ev.props.get('SUMMARY');
  const name = summary
    ? unescapeText(summary.value).replace(/\s+/g, ' ').trim() || '(no title)'
    : '(no title)';
  if (rrule) return expandYearly(rrule, days, name, timeZone);
  if (days.count === 1) return [{ name, date: days.start }];
  return [{ name, from: days.start, to: addDays(days.start, days.count - 1) }];
}

// ---------------------------------------------------------------------------------------------------
// The file

/**
 * Read holidays from an iCalendar text. `timeZone` (IANA) is the calendar's zone: floating and UTC times
 * are read in it. Never throws: problems come back in `errors`, each with its line.
 */
export function importIcs(text: string, timeZone: string): IcsImport {
  const holidays: Holiday[] = [];
  const errors: IcsError[] = [];
  const report = (e: IcsError) => {
    if (errors.length < MAX_ERRORS) errors.push(e);
    else if (errors.length === MAX_ERRORS) errors.push({ line: e.line, message: 'further errors not shown' });
  };

  if (typeof text !== 'string' || Buffer.byteLength(text, 'utf8') > ICS_MAX_BYTES) {
    return {
      holidays,
      errors: [{ line: 0, message: `the file is larger than ${ICS_MAX_BYTES} bytes (1 MiB)` }],
    };
  }
  if (!IANAZone.isValidZone(timeZone)) {
    return { holidays, errors: [{ line: 0, message: `unknown time zone "${timeZone}"` }] };
  }

  const lines = unfold(text.replace(/^\uFEFF/, ''));
  const firstLine = lines[0];
  if (!firstLine || !/^BEGIN:VCALENDAR$/i.test(firstLine.text.trim())) {
    return {
      holidays,
      errors: [
        { line: firstLine?.line ?? 1, message: 'not an iCalendar file (it must start with BEGIN:VCALENDAR)' },
      ],
    };
  }

  // RFC 5545 §3.4/§3.6: components nest as BEGIN:x … END:x. Only VEVENT directly inside VCALENDAR is read;
  // VTIMEZONE (with its STANDARD/DAYLIGHT), VALARM inside an event, VTODO and the rest are skipped whole.
  const stack: { name: string; line: number }[] = [];
  let event: EventDraft | null = null;
  let events = 0;

  for (const { line, text: raw } of lines) {
    const prop = parseContentLine(line, raw);
    if (typeof prop === 'string') {
      report({ line, message: prop });
      continue;
    }
    if (prop.name === 'BEGIN') {
      const component = prop.value.trim().toUpperCase();
      const parent = stack[stack.length - 1]?.name;
      stack.push({ name: component, line });
      if (component === 'VEVENT' && parent === 'VCALENDAR') {
        events++;
        if (events === ICS_MAX_EVENTS + 1) {
          report({ line, message: `more than ${ICS_MAX_EVENTS} events: the rest were not imported` });
        }
        event = events <= ICS_MAX_EVENTS ? { line, props: new Map(), problems: [] } : null;
      }
      continue;
    }
    if (prop.name === 'END') {
      const component = prop.value.trim().toUpperCase();
      const at = stack.map((c) => c.name).lastIndexOf(component);
      if (at < 0) {
        report({ line, message: `END:${component} without BEGIN:${component}` });
        continue;
      }
      for (const unclosed of stack.slice(at + 1)) {
        report({ line: unclosed.line, message: `BEGIN:${unclosed.name} is not closed before line ${line}` });
      }
      stack.splice(at);
      if (component === 'VEVENT' && event) {
        if (event.problems.length > 0) event.problems.forEach(report);
        else {
          const result = eventHolidays(event, timeZone);
          if (Array.isArray(result)) holidays.push(...result);
          else report(result);
        }
      }
      if (component === 'VEVENT' || stack.every((c) => c.name !== 'VEVENT')) event = null;
      continue;
    }
    // A property: only the open event's own ones count (not its VALARM's, nor the calendar's).
    if (event && stack[stack.length - 1]?.name === 'VEVENT') {
      if (SINGLE.has(prop.name) && event.props.has(prop.name)) {
        event.problems.push({ line, message: `${prop.name} appears twice in one VEVENT` });
      } else if (!event.props.has(prop.name)) {
        event.props.set(prop.name, prop);
      }
    }
  }
  for (const unclosed of stack) {
    report({ line: unclosed.line, message: `BEGIN:${unclosed.name} is never closed` });
  }
  return { holidays, errors };
}
