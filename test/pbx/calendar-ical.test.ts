import { describe, expect, it } from 'vitest';
import { validateCalendar } from '../../src/pbx/calendar/engine.js';
import { ICS_MAX_EVENTS, importIcs, unescapeText } from '../../src/pbx/calendar/ical.js';
import type { CalendarSpec } from '../../src/pbx/calendar/types.js';

/** A realistic export: CRLF line ends, folded lines, escapes, a VTIMEZONE block, alarms, a bad event. */
const LINES = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Example Corp//Office Calendar 1.0//EN',
  'X-WR-CALNAME:Office closures',
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Moscow',
  'BEGIN:STANDARD',
  'DTSTART:19700101T000000', // inside VTIMEZONE: must not be read as an event
  'TZOFFSETFROM:+0300',
  'TZOFFSETTO:+0300',
  'TZNAME:MSK',
  'END:STANDARD',
  'END:VTIMEZONE',
  'BEGIN:VEVENT',
  'UID:a1@example.com',
  'DTSTAMP:20250901T120000Z',
  'SUMMARY:Defender of the Fatherland Day\\, a public holiday in Russia \\; office cl',
  ' osed',
  'DTSTART;VALUE=DATE:20260223',
  'DTEND;VALUE=DATE:20260224',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:a2@example.com',
  'SUMMARY:New Year break',
  'DTSTART;VALUE=DATE:20260101',
  'DTEND;VALUE=DATE:20260112', // exclusive: the last day off is Jan 11
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'DESCRIPTION:Reminder',
  'TRIGGER:-P1D',
  'END:VALARM',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:a3@example.com',
  'SUMMARY:Women\u2019s Day',
  'DTSTART;VALUE=DATE:20200308',
  'RRULE:FREQ=YEARLY',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:a4@example.com',
  'SUMMARY:Weekly standup',
  'DTSTART;TZID=Europe/Moscow:20260105T100000',
  'DURATION:PT1H',
  'RRULE:FREQ=WEEKLY;BYDAY=MO',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:a5@example.com',
  'SUMMARY:Stocktaking',
  'DTSTART;VALUE=DATE:20260518',
  'DURATION:P3D',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:a6@example.com',
  'SUMMARY:Corporate party',
  'DTSTART;TZID="/mozilla.org/20050126_1/Europe/Moscow":20261230T000000',
  'DTEND;TZID="/mozilla.org/20050126_1/Europe/Moscow":20261231T000000',
  'END:VEVENT',
  'END:VCALENDAR',
];
const ICS = `${LINES.join('\r\n')}\r\n`;
const lineOf = (lines: string[], text: string) => lines.indexOf(text) + 1;

function wrap(...eventLines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', ...eventLines, 'END:VCALENDAR'].join('\n');
}
function event(...props: string[]): string[] {
  return ['BEGIN:VEVENT', ...props, 'END:VEVENT'];
}

describe('importIcs: a realistic file', () => {
  const result = importIcs(ICS, 'Europe/Moscow');

  it('imports every good event as a holiday', () => {
    expect(result.holidays).toEqual([
      {
        name: 'Defender of the Fatherland Day, a public holiday in Russia ; office closed',
        date: '2026-02-23',
      },
      { name: 'New Year break', from: '2026-01-01', to: '2026-01-11' },
      { name: 'Women\u2019s Day', yearly: '03-08' },
      { name: 'Stocktaking', from: '2026-05-18', to: '2026-05-20' },
      { name: 'Corporate party', date: '2026-12-30' },
    ]);
  });

  it('reports the weekly event at its RRULE line, and nothing else', () => {
    expect(result.errors).toEqual([
      { line: lineOf(LINES, 'RRULE:FREQ=WEEKLY;BYDAY=MO'), message: expect.stringContaining('FREQ=YEARLY') },
    ]);
  });

  it('gives holidays that pass validateCalendar', () => {
    const spec: CalendarSpec = {
      timeZone: 'Europe/Moscow',
      weekly: [],
      holidays: result.holidays,
      productionCalendar: null,
      override: null,
    };
    expect(validateCalendar(spec)).toEqual([]);
  });

  it('reads the same file with bare LF line ends', () => {
    expect(importIcs(ICS.replaceAll('\r\n', '\n'), 'Europe/Moscow')).toEqual(result);
  });
});

describe('importIcs: content lines (RFC 5545 §3.1, §3.3.11)', () => {
  it('unfolds lines continued with a space or a tab', () => {
    const text = wrap(...event('SUMMARY:Lo', ' ng', '\tname', 'DTSTART;VALUE=DATE:20260301'));
    expect(importIcs(text, 'UTC').holidays).toEqual([{ name: 'Longname', date: '2026-03-01' }]);
  });

  it('unescapes text', () => {
    expect(unescapeText('a\\,b\\;c\\\\d\\ne\\Nf')).toBe('a,b;c\\d\ne\nf');
    const text = wrap(...event('SUMMARY:Line one\\nline two\\, done', 'DTSTART;VALUE=DATE:20260301'));
    expect(importIcs(text, 'UTC').holidays[0]?.name).toBe('Line one line two, done');
  });

  it('reads quoted parameter values holding ":" and ";"', () => {
    const text = wrap(...event('SUMMARY;ALTREP="cid:x;y":Quoted', 'DTSTART;VALUE=DATE:20260301'));
    expect(importIcs(text, 'UTC')).toEqual({
      holidays: [{ name: 'Quoted', date: '2026-03-01' }],
      errors: [],
    });
  });

  it('gives an event without SUMMARY a placeholder name', () => {
    expect(importIcs(wrap(...event('DTSTART;VALUE=DATE:20260301')), 'UTC').holidays).toEqual([
      { name: '(no title)', date: '2026-03-01' },
    ]);
  });
});

describe('importIcs: dates and times', () => {
  it('takes an all-day event without DTEND as one day (§3.6.1)', () => {
    expect(importIcs(wrap(...event('SUMMARY:X', 'DTSTART;VALUE=DATE:20260612')), 'UTC').holidays).toEqual([
      { name: 'X', date: '2026-06-12' },
    ]);
  });

  it('accepts a timed event covering whole days in UTC, read in the calendar zone', () => {
    // 21:00Z is midnight in Moscow: Jan 2 00:00 to Jan 3 00:00 there.
    const text = wrap(...event('SUMMARY:X', 'DTSTART:20260101T210000Z', 'DTEND:20260102T210000Z'));
    expect(importIcs(text, 'Europe/Moscow').holidays).toEqual([{ name: 'X', date: '2026-01-02' }]);
    // The same instants are not whole days in Berlin.
    expect(importIcs(text, 'Europe/Berlin').errors[0]?.message).toContain('only all-day events');
  });

  it('accepts floating whole days and a nominal P2D duration', () => {
    const text = wrap(...event('SUMMARY:X', 'DTSTART:20260320T000000', 'DURATION:P2D'));
    expect(importIcs(text, 'Europe/Berlin').holidays).toEqual([
      { name: 'X', from: '2026-03-20', to: '2026-03-21' },
    ]);
  });

  it('accepts whole days across a DST change (P1D is a calendar day, not 24 hours)', () => {
    const text = wrap(...event('SUMMARY:X', 'DTSTART;TZID=Europe/Berlin:20260329T000000', 'DURATION:P1D'));
    expect(importIcs(text, 'Europe/Berlin').holidays).toEqual([{ name: 'X', date: '2026-03-29' }]);
  });

  it('rejects a timed event within a day, with its DTSTART line', () => {
    const text = wrap(
      ...event(
        'SUMMARY:Meeting',
        'DTSTART;TZID=Europe/Moscow:20260315T100000',
        'DTEND;TZID=Europe/Moscow:20260315T120000',
      ),
    );
    expect(importIcs(text, 'Europe/Moscow')).toEqual({
      holidays: [],
      errors: [{ line: 5, message: expect.stringContaining('only all-day events are imported as holidays') }],
    });
  });

  it('rejects a timed event without an end (zero length)', () => {
    expect(importIcs(wrap(...event('DTSTART:20260315T000000')), 'UTC').errors).toHaveLength(1);
  });

  it('reports bad dates, mismatched types and bad durations at their lines', () => {
    const text = wrap(
      ...event('DTSTART;VALUE=DATE:20260230'), // line 4
      ...event('DTSTART;VALUE=DATE:20260301', 'DTEND:20260302T000000'), // DTEND line 8
      ...event('DTSTART;VALUE=DATE:20260301', 'DTEND;VALUE=DATE:20260301'), // line 12
      ...event('DTSTART;VALUE=DATE:20260301', 'DURATION:PT8H'), // line 16
      ...event('DTSTART;VALUE=DATE:20260301', 'DURATION:-P1D'), // line 20
      ...event('DTSTART;VALUE=DATE:20260301', 'DTEND;VALUE=DATE:20260302', 'DURATION:P1D'), // line 25
      ...event('DTSTART;TZID=Mars/Base:20260301T000000', 'DURATION:P1D'), // line 28
      ...event('DTSTART:garbage'), // line 32
    );
    expect(importIcs(text, 'UTC')).toEqual({
      holidays: [],
      errors: [
        { line: 4, message: 'invalid date 20260230' },
        { line: 8, message: 'DTEND is a DATE-TIME but DTSTART is a DATE' },
        { line: 12, message: 'DTEND must be after DTSTART' },
        { line: 16, message: 'DURATION of an all-day event must be whole days or weeks' },
        { line: 20, message: expect.stringContaining('not a positive duration') },
        { line: 25, message: 'VEVENT has both DTEND and DURATION' },
        { line: 28, message: expect.stringContaining('unknown TZID "Mars/Base"') },
        { line: 32, message: expect.stringContaining('not a DATE or DATE-TIME') },
      ],
    });
  });

  it('reports an event without DTSTART at its BEGIN line, and imports the rest', () => {
    const text = wrap(...event('SUMMARY:No start'), ...event('SUMMARY:Ok', 'DTSTART;VALUE=DATE:20260301'));
    expect(importIcs(text, 'UTC')).toEqual({
      holidays: [{ name: 'Ok', date: '2026-03-01' }],
      errors: [{ line: 3, message: 'VEVENT has no DTSTART' }],
    });
  });

  it('skips cancelled events', () => {
    const text = wrap(...event('SUMMARY:Off', 'STATUS:CANCELLED', 'DTSTART;VALUE=DATE:20260301'));
    expect(importIcs(text, 'UTC')).toEqual({ holidays: [], errors: [] });
  });
});

describe('importIcs: recurrence (RFC 5545 §3.3.10)', () => {
  it('turns a yearly multi-day event into one yearly holiday per day', () => {
    const text = wrap(
      ...event('SUMMARY:NY', 'DTSTART;VALUE=DATE:20251231', 'DTEND;VALUE=DATE:20260102', 'RRULE:FREQ=YEARLY'),
    );
    expect(importIcs(text, 'UTC').holidays).toEqual([
      { name: 'NY', yearly: '12-31' },
      { name: 'NY', yearly: '01-01' },
    ]);
  });

  it('accepts BYMONTH/BYMONTHDAY that repeat DTSTART', () => {
    const text = wrap(
      ...event('SUMMARY:X', 'DTSTART;VALUE=DATE:20200612', 'RRULE:FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=12'),
    );
    expect(importIcs(text, 'UTC').holidays).toEqual([{ name: 'X', yearly: '06-12' }]);
  });

  it('expands a bounded recurrence into dates, skipping Feb 29 in common years', () => {
    const count = wrap(...event('SUMMARY:X', 'DTSTART;VALUE=DATE:20260704', 'RRULE:FREQ=YEARLY;COUNT=3'));
    expect(importIcs(count, 'UTC').holidays.map((h) => h.date)).toEqual([
      '2026-07-04',
      '2027-07-04',
      '2028-07-04',
    ]);
    const until = wrap(
      ...event('SUMMARY:X', 'DTSTART;VALUE=DATE:20260704', 'RRULE:FREQ=YEARLY;INTERVAL=2;UNTIL=20300704'),
    );
    expect(importIcs(until, 'UTC').holidays.map((h) => h.date)).toEqual([
      '2026-07-04',
      '2028-07-04',
      '2030-07-04',
    ]);
    const leap = wrap(...event('SUMMARY:X', 'DTSTART;VALUE=DATE:20240229', 'RRULE:FREQ=YEARLY;COUNT=2'));
    expect(importIcs(leap, 'UTC').holidays.map((h) => h.date)).toEqual(['2024-02-29', '2028-02-29']);
  });

  it('rejects rules a fixed date cannot express, at the RRULE line', () => {
    const text = wrap(
      ...event(
        'SUMMARY:Thanksgiving',
        'DTSTART;VALUE=DATE:20261126',
        'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH',
      ),
      ...event('SUMMARY:Monthly', 'DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=MONTHLY'),
      ...event('SUMMARY:Odd', 'DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=YEARLY;INTERVAL=2'),
      ...event('SUMMARY:Both', 'DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=YEARLY;COUNT=2;UNTIL=20300101'),
    );
    const { holidays, errors } = importIcs(text, 'UTC');
    expect(holidays).toEqual([]);
    expect(errors.map((e) => e.line)).toEqual([6, 11, 16, 21]);
    expect(errors[0]?.message).toContain('BYDAY');
    expect(errors[1]?.message).toContain('FREQ=MONTHLY');
  });

  it('refuses RDATE and EXDATE rather than half-applying them', () => {
    const text = wrap(
      ...event('SUMMARY:X', 'DTSTART;VALUE=DATE:20260101', 'RRULE:FREQ=YEARLY', 'EXDATE;VALUE=DATE:20270101'),
    );
    expect(importIcs(text, 'UTC').errors).toEqual([{ line: 7, message: expect.stringContaining('EXDATE') }]);
  });
});

describe('importIcs: bad input never throws', () => {
  it('rejects what is not a VCALENDAR', () => {
    expect(importIcs('hello world', 'UTC')).toEqual({
      holidays: [],
      errors: [{ line: 1, message: expect.stringContaining('not an iCalendar file') }],
    });
    expect(importIcs('', 'UTC').errors).toHaveLength(1);
    expect(importIcs('\n\n  \n', 'UTC').errors).toHaveLength(1);
    expect(importIcs('BEGIN:VCARD\nEND:VCARD', 'UTC').errors[0]?.line).toBe(1);
  });

  it('reports garbage lines and imports around them', () => {
    const text = wrap(
      '\u0000\u0001 binary',
      ...event('SUMMARY:Ok', 'DTSTART;VALUE=DATE:20260301'),
      'X-BAD;=:',
    );
    const { holidays, errors } = importIcs(text, 'UTC');
    expect(holidays).toEqual([{ name: 'Ok', date: '2026-03-01' }]);
    expect(errors.map((e) => e.line)).toEqual([3, 8]);
  });

  it('reports unclosed components and does not import an unfinished event', () => {
    const text = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260301'].join('\n');
    expect(importIcs(text, 'UTC')).toEqual({
      holidays: [],
      errors: [
        { line: 1, message: 'BEGIN:VCALENDAR is never closed' },
        { line: 2, message: 'BEGIN:VEVENT is never closed' },
      ],
    });
    expect(importIcs(wrap('END:VEVENT'), 'UTC').errors).toEqual([
      { line: 3, message: 'END:VEVENT without BEGIN:VEVENT' },
    ]);
  });

  it('reports a property given twice', () => {
    const text = wrap(...event('DTSTART;VALUE=DATE:20260301', 'DTSTART;VALUE=DATE:20260302'));
    expect(importIcs(text, 'UTC').errors).toEqual([
      { line: 5, message: 'DTSTART appears twice in one VEVENT' },
    ]);
  });

  it('refuses an unknown time zone and an input over 1 MiB', () => {
    expect(importIcs(ICS, 'Nowhere/Land').errors).toEqual([
      { line: 0, message: expect.stringContaining('Nowhere') },
    ]);
    const big = `BEGIN:VCALENDAR\n${'X-PAD:'.padEnd(1024 * 1024, 'x')}\nEND:VCALENDAR`;
    expect(importIcs(big, 'UTC')).toEqual({
      holidays: [],
      errors: [{ line: 0, message: expect.stringContaining('larger') }],
    });
  });

  it(`imports at most ${ICS_MAX_EVENTS} events and reports the rest`, () => {
    const events: string[] = [];
    for (let i = 0; i < ICS_MAX_EVENTS + 3; i++)
      events.push(...event('SUMMARY:E', 'DTSTART;VALUE=DATE:20260301'));
    const { holidays, errors } = importIcs(wrap(...events), 'UTC');
    expect(holidays).toHaveLength(ICS_MAX_EVENTS);
    // The first event starts on line 3; each takes 4 lines.
    expect(errors).toEqual([
      { line: 3 + ICS_MAX_EVENTS * 4, message: expect.stringContaining('more than 5000') },
    ]);
  });

  it('caps the error list on a file full of garbage', () => {
    const text = wrap(...Array.from({ length: 500 }, () => '!!!'));
    const { errors } = importIcs(text, 'UTC');
    expect(errors).toHaveLength(101);
    expect(errors[100]?.message).toBe('further errors not shown');
  });
});
