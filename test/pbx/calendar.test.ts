import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { calendarState, nextChange, validateCalendar } from '../../src/pbx/calendar/engine.js';
import type { CalendarSpec, WeeklyRange } from '../../src/pbx/calendar/types.js';

const WEEKDAYS: WeeklyRange = { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' };

function spec(over: Partial<CalendarSpec> = {}): CalendarSpec {
  return {
    timeZone: 'Europe/Moscow',
    weekly: [WEEKDAYS],
    holidays: [],
    productionCalendar: null,
    override: null,
    ...over,
  };
}

/** An instant given as local wall time in a zone (fails loudly on a time that does not exist). */
function local(iso: string, zone = 'Europe/Moscow'): Date {
  const dt = DateTime.fromISO(iso, { zone });
  expect(dt.toFormat("yyyy-MM-dd'T'HH:mm")).toBe(iso.slice(0, 16));
  return dt.toJSDate();
}

const utc = (iso: string) => new Date(`${iso}Z`);
const weekday = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).weekday;

describe('weekly ranges', () => {
  it('opens at 09:00 and closes at 18:00 (half-open range)', () => {
    expect(weekday('2026-04-06')).toBe(1);
    const s = spec();
    expect(calendarState(s, local('2026-04-06T08:59:59'))).toEqual({ open: false, reason: 'outside-hours' });
    expect(calendarState(s, local('2026-04-06T09:00'))).toEqual({ open: true, reason: 'weekly' });
    expect(calendarState(s, local('2026-04-06T17:59:59.999'))).toEqual({ open: true, reason: 'weekly' });
    expect(calendarState(s, local('2026-04-06T18:00'))).toEqual({ open: false, reason: 'outside-hours' });
  });

  it('counts Sunday as 7 and Saturday as 6', () => {
    const s = spec({ weekly: [{ days: [7], from: '10:00', to: '14:00' }] });
    expect(weekday('2026-04-05')).toBe(7);
    expect(calendarState(s, local('2026-04-05T11:00')).open).toBe(true);
    expect(calendarState(s, local('2026-04-04T11:00')).open).toBe(false);
    expect(calendarState(s, local('2026-04-06T11:00')).open).toBe(false);
  });

  it('reads the instant in the calendar zone: Moscow vs UTC', () => {
    const instant = utc('2026-04-06T07:00'); // 10:00 in Moscow
    expect(calendarState(spec(), instant).open).toBe(true);
    expect(calendarState(spec({ timeZone: 'UTC' }), instant).open).toBe(false);
    // Sunday 22:30 UTC is already Monday 01:30 in Moscow.
    const night = spec({ weekly: [{ days: [1], from: '00:00', to: '02:00' }] });
    expect(calendarState(night, utc('2026-04-05T22:30')).open).toBe(true);
    expect(calendarState({ ...night, timeZone: 'UTC' }, utc('2026-04-05T22:30')).open).toBe(false);
  });

  it('joins an overnight shift given as two ranges, and merges overlaps and duplicate days', () => {
    const s = spec({
      weekly: [
        { days: [5], from: '20:00', to: '24:00' },
        { days: [6, 6], from: '00:00', to: '04:00' },
        { days: [1], from: '09:00', to: '12:00' },
        { days: [1], from: '11:00', to: '13:00' },
      ],
    });
    expect(calendarState(s, local('2026-04-10T23:59')).open).toBe(true);
    expect(calendarState(s, local('2026-04-11T00:00')).open).toBe(true);
    expect(calendarState(s, local('2026-04-11T04:00')).open).toBe(false);
    expect(calendarState(s, local('2026-04-13T12:30')).open).toBe(true);
    expect(nextChange(s, local('2026-04-10T21:00'))).toEqual(local('2026-04-11T04:00'));
    expect(nextChange(s, local('2026-04-13T10:00'))).toEqual(local('2026-04-13T13:00'));
  });
});

describe('daylight saving time: decided by local wall-clock time', () => {
  const BERLIN = 'Europe/Berlin';
  const NEW_YORK = 'America/New_York';

  it('Europe/Berlin 2026-03-29 (02:00 → 03:00): a range starting in the gap opens at 03:00', () => {
    expect(weekday('2026-03-29')).toBe(7);
    const s = spec({ timeZone: BERLIN, weekly: [{ days: [7], from: '02:30', to: '04:00' }] });
    expect(calendarState(s, utc('2026-03-29T00:59:59')).open).toBe(false); // 01:59:59 CET
    expect(calendarState(s, utc('2026-03-29T01:00')).open).toBe(true); // 03:00 CEST
    expect(calendarState(s, utc('2026-03-29T02:00')).open).toBe(false); // 04:00 CEST
    expect(nextChange(s, utc('2026-03-29T00:30'))).toEqual(utc('2026-03-29T01:00'));
    expect(nextChange(s, utc('2026-03-29T01:00'))).toEqual(utc('2026-03-29T02:00'));
  });

  it('Europe/Berlin 2026-03-29: a range ending in the gap closes at the jump; one inside it never opens', () => {
    const ending = spec({ timeZone: BERLIN, weekly: [{ days: [7], from: '00:00', to: '02:30' }] });
    expect(calendarState(ending, utc('2026-03-29T00:59')).open).toBe(true);
    expect(calendarState(ending, utc('2026-03-29T01:00')).open).toBe(false);
    expect(nextChange(ending, utc('2026-03-28T23:30'))).toEqual(utc('2026-03-29T01:00'));

    const inside = spec({ timeZone: BERLIN, weekly: [{ days: [7], from: '02:00', to: '02:30' }] });
    for (let m = 0; m < 180; m++) {
      expect(calendarState(inside, new Date(Date.UTC(2026, 2, 29, 0, m))).open).toBe(false);
    }
    expect(nextChange(inside, utc('2026-03-28T23:00'), 1)).toBeNull();
    // It does open the next Sunday, when 02:00 exists again.
    expect(nextChange(inside, utc('2026-03-28T23:00'))).toEqual(local('2026-04-05T02:00', BERLIN));
  });

  it('Europe/Berlin 2026-10-25 (03:00 → 02:00): a range over the repeated hour is open in both passes', () => {
    expect(weekday('2026-10-25')).toBe(7);
    const s = spec({ timeZone: BERLIN, weekly: [{ days: [7], from: '00:00', to: '02:30' }] });
    expect(calendarState(s, utc('2026-10-25T00:15')).open).toBe(true); // 02:15 CEST
    expect(calendarState(s, utc('2026-10-25T00:45')).open).toBe(false); // 02:45 CEST
    expect(calendarState(s, utc('2026-10-25T01:15')).open).toBe(true); // 02:15 CET
    expect(calendarState(s, utc('2026-10-25T01:45')).open).toBe(false); // 02:45 CET
    expect(nextChange(s, utc('2026-10-24T23:00'))).toEqual(utc('2026-10-25T00:30'));
    expect(nextChange(s, utc('2026-10-25T00:30'))).toEqual(utc('2026-10-25T01:00'));
    expect(nextChange(s, utc('2026-10-25T01:00'))).toEqual(utc('2026-10-25T01:30'));
    expect(nextChange(s, utc('2026-10-25T01:30'))).toEqual(local('2026-11-01T00:00', BERLIN));
  });

  it('America/New_York 2026-03-08 (02:00 → 03:00): a range across the gap stays open through it', () => {
    expect(weekday('2026-03-08')).toBe(7);
    const s = spec({ timeZone: NEW_YORK, weekly: [{ days: [7], from: '01:00', to: '03:30' }] });
    expect(calendarState(s, utc('2026-03-08T06:30')).open).toBe(true); // 01:30 EST
    expect(calendarState(s, utc('2026-03-08T07:00')).open).toBe(true); // 03:00 EDT
    expect(calendarState(s, utc('2026-03-08T07:30')).open).toBe(false); // 03:30 EDT
    expect(nextChange(s, utc('2026-03-08T06:30'))).toEqual(utc('2026-03-08T07:30'));
  });

  it('America/New_York 2026-11-01 (02:00 → 01:00): 01:00–01:30 is open twice; a long range just lasts longer', () => {
    expect(weekday('2026-11-01')).toBe(7);
    const s = spec({ timeZone: NEW_YORK, weekly: [{ days: [7], from: '01:00', to: '01:30' }] });
    expect(calendarState(s, utc('2026-11-01T05:10')).open).toBe(true); // 01:10 EDT
    expect(calendarState(s, utc('2026-11-01T05:40')).open).toBe(false); // 01:40 EDT
    expect(calendarState(s, utc('2026-11-01T06:10')).open).toBe(true); // 01:10 EST
    expect(calendarState(s, utc('2026-11-01T06:40')).open).toBe(false); // 01:40 EST
    expect(nextChange(s, utc('2026-11-01T05:10'))).toEqual(utc('2026-11-01T05:30'));
    expect(nextChange(s, utc('2026-11-01T05:30'))).toEqual(utc('2026-11-01T06:00'));

    const long = spec({ timeZone: NEW_YORK, weekly: [{ days: [7], from: '00:00', to: '09:00' }] });
    const opened = utc('2026-11-01T04:00'); // 00:00 EDT
    const closes = nextChange(long, opened);
    expect(closes).toEqual(utc('2026-11-01T14:00')); // 09:00 EST
    expect((closes!.getTime() - opened.getTime()) / 3_600_000).toBe(10);
  });
});

describe('holidays', () => {
  const allDay = spec({ weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }] });

  it('a yearly holiday closes that day in every year', () => {
    const s = { ...allDay, holidays: [{ name: 'New Year', yearly: '01-01' }] };
    for (const year of [2026, 2027, 2031]) {
      expect(calendarState(s, local(`${year}-01-01T12:00`))).toEqual({
        open: false,
        reason: 'holiday',
        label: 'New Year',
      });
      expect(calendarState(s, local(`${year}-01-02T12:00`)).open).toBe(true);
    }
    expect(calendarState(s, local('2026-12-31T23:59')).open).toBe(true);
  });

  it('a yearly Feb 29 applies in leap years only', () => {
    const s = { ...allDay, holidays: [{ name: 'Leap day', yearly: '02-29' }] };
    expect(calendarState(s, local('2028-02-29T12:00')).open).toBe(false);
    expect(calendarState(s, local('2027-02-28T12:00')).open).toBe(true);
    expect(calendarState(s, local('2027-03-01T12:00')).open).toBe(true);
  });

  it('a date range closes every day from first to last inclusive', () => {
    const s = { ...allDay, holidays: [{ name: 'Inventory', from: '2026-05-04', to: '2026-05-06' }] };
    expect(calendarState(s, local('2026-05-03T23:59')).open).toBe(true);
    for (const d of ['2026-05-04', '2026-05-05', '2026-05-06']) {
      expect(calendarState(s, local(`${d}T00:00`))).toMatchObject({ open: false, label: 'Inventory' });
      expect(calendarState(s, local(`${d}T23:59`)).open).toBe(false);
    }
    expect(calendarState(s, local('2026-05-07T00:00')).open).toBe(true);
  });

  it('a single date closes that date only', () => {
    const s = { ...allDay, holidays: [{ name: 'Party', date: '2026-06-19' }] };
    expect(calendarState(s, local('2026-06-19T10:00')).open).toBe(false);
    expect(calendarState(s, local('2026-06-20T10:00')).open).toBe(true);
  });

  it('holiday hours replace the weekly hours that day, even on a weekend', () => {
    const s = spec({
      holidays: [{ name: 'Short day', date: '2026-12-30', hours: [{ from: '10:00', to: '14:00' }] }],
    });
    expect(calendarState(s, local('2026-12-30T09:30'))).toEqual({
      open: false,
      reason: 'holiday',
      label: 'Short day',
    });
    expect(calendarState(s, local('2026-12-30T10:00'))).toEqual({
      open: true,
      reason: 'holiday',
      label: 'Short day',
    });
    expect(calendarState(s, local('2026-12-30T14:00')).open).toBe(false);
    const saturday = spec({
      holidays: [{ name: 'Open day', date: '2026-04-11', hours: [{ from: '10:00', to: '12:00' }] }],
    });
    expect(calendarState(saturday, local('2026-04-11T11:00'))).toMatchObject({
      open: true,
      reason: 'holiday',
    });
  });

  it('the first matching holiday wins', () => {
    const s = spec({
      holidays: [
        { name: 'Open anyway', date: '2026-04-07', hours: [{ from: '09:00', to: '12:00' }] },
        { name: 'Closed week', from: '2026-04-06', to: '2026-04-10' },
      ],
    });
    expect(calendarState(s, local('2026-04-07T10:00'))).toMatchObject({ open: true, label: 'Open anyway' });
    expect(calendarState(s, local('2026-04-08T10:00'))).toMatchObject({ open: false, label: 'Closed week' });
  });
});

describe('override', () => {
  const noon = local('2026-04-06T12:00'); // Monday, within hours

  it('without until it holds until cleared', () => {
    const s = spec({ override: { state: 'closed', until: null } });
    expect(calendarState(s, noon)).toEqual({ open: false, reason: 'override' });
    expect(nextChange(s, noon)).toBeNull();
  });

  it('with until in the future it holds until then, then the rules apply again', () => {
    const s = spec({ override: { state: 'open', until: '2026-04-07T06:00:00+03:00' } });
    const night = local('2026-04-06T23:00');
    expect(calendarState(s, night)).toEqual({ open: true, reason: 'override' });
    // At 06:00 the override lapses and the day is outside hours.
    expect(nextChange(s, night)).toEqual(local('2026-04-07T06:00'));
    expect(calendarState(s, local('2026-04-07T06:00'))).toEqual({ open: false, reason: 'outside-hours' });
  });

  it('a lapsed override is ignored', () => {
    const s = spec({ override: { state: 'closed', until: '2026-04-06T08:00:00Z' } });
    expect(calendarState(s, noon)).toEqual({ open: true, reason: 'weekly' });
    expect(calendarState(s, new Date('2026-04-06T08:00:00Z')).reason).toBe('weekly'); // lapses at until
  });

  it('beats holidays and the production calendar', () => {
    const s = spec({
      productionCalendar: 'ru',
      holidays: [{ name: 'Closed', date: '2026-01-12' }],
      override: { state: 'open', until: null },
    });
    expect(calendarState(s, local('2026-01-12T12:00')).reason).toBe('override');
    expect(calendarState(s, local('2026-01-09T12:00')).reason).toBe('override');
  });

  it('closed until a time within hours: the next change is the reopening', () => {
    const s = spec({ override: { state: 'closed', until: '2026-04-06T12:30:00+03:00' } });
    expect(nextChange(s, local('2026-04-06T10:00'))).toEqual(local('2026-04-06T12:30'));
  });
});

describe('RU production calendar', () => {
  const ru = spec({ productionCalendar: 'ru' });

  it('Jan 9, 2026 (a Friday) is a day off moved from Jan 3', () => {
    expect(calendarState(ru, local('2026-01-09T12:00'))).toEqual({
      open: false,
      reason: 'production-holiday',
      label: 'Перенесённый выходной (с 3 января)',
      labelEn: 'Day off moved from 3 January',
    });
    expect(calendarState(spec(), local('2026-01-09T12:00')).open).toBe(true); // without the production calendar
    expect(calendarState(ru, local('2026-01-12T12:00'))).toEqual({ open: true, reason: 'weekly' });
  });

  it('statutory holidays close even where the tenant works weekends', () => {
    const everyDay = spec({
      productionCalendar: 'ru',
      weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '09:00', to: '18:00' }],
    });
    expect(calendarState(everyDay, local('2026-03-08T12:00'))).toMatchObject({
      open: false,
      reason: 'production-holiday',
    });
    expect(calendarState(everyDay, local('2026-03-07T12:00'))).toEqual({ open: true, reason: 'weekly' });
  });

  it('a shortened day ends one hour early', () => {
    const thursday = local('2026-04-30T16:59');
    expect(calendarState(ru, thursday)).toMatchObject({ open: true, reason: 'production-short' });
    expect(calendarState(ru, local('2026-04-30T17:00'))).toMatchObject({
      open: false,
      reason: 'production-short',
      labelEn: 'Pre-holiday day, one hour shorter',
    });
    expect(calendarState(ru, local('2026-04-30T18:30'))).toEqual({ open: false, reason: 'outside-hours' });
    expect(calendarState(ru, local('2026-04-30T08:00'))).toEqual({ open: false, reason: 'outside-hours' });
    expect(nextChange(ru, local('2026-04-30T12:00'))).toEqual(local('2026-04-30T17:00'));
  });

  it('a shortened day cuts only the last range, or a full hour across short ranges', () => {
    const lunch = spec({
      productionCalendar: 'ru',
      weekly: [
        { days: [1, 2, 3, 4, 5], from: '09:00', to: '13:00' },
        { days: [1, 2, 3, 4, 5], from: '14:00', to: '18:00' },
      ],
    });
    expect(calendarState(lunch, local('2026-04-30T12:59')).open).toBe(true);
    expect(calendarState(lunch, local('2026-04-30T16:59')).open).toBe(true);
    expect(calendarState(lunch, local('2026-04-30T17:00')).open).toBe(false);

    const tail = spec({
      productionCalendar: 'ru',
      weekly: [
        { days: [1, 2, 3, 4, 5], from: '09:00', to: '17:00' },
        { days: [1, 2, 3, 4, 5], from: '17:30', to: '18:00' },
      ],
    });
    expect(calendarState(tail, local('2026-04-30T16:29')).open).toBe(true);
    expect(calendarState(tail, local('2026-04-30T16:30')).open).toBe(false);
    expect(calendarState(tail, local('2026-04-30T17:45')).open).toBe(false);
  });

  it('Saturday Nov 1, 2025 works Monday hours, one hour shorter', () => {
    expect(weekday('2025-11-01')).toBe(6);
    const s = spec({
      productionCalendar: 'ru',
      weekly: [
        { days: [1], from: '08:00', to: '20:00' },
        { days: [2, 3, 4, 5], from: '09:00', to: '18:00' },
      ],
    });
    expect(calendarState(s, local('2025-11-01T08:30'))).toMatchObject({
      open: true,
      reason: 'production-short',
    });
    expect(calendarState(s, local('2025-11-01T18:59')).open).toBe(true);
    expect(calendarState(s, local('2025-11-01T19:00'))).toMatchObject({
      open: false,
      reason: 'production-short',
    });
    expect(calendarState(s, local('2025-11-01T21:00'))).toEqual({ open: false, reason: 'outside-hours' });
    expect(calendarState(s, local('2025-11-03T12:00'))).toMatchObject({
      open: false,
      reason: 'production-holiday',
    });
  });

  it('an estimated year says so', () => {
    expect(calendarState(ru, local('2027-02-23T12:00'))).toMatchObject({
      open: false,
      reason: 'production-holiday',
      estimated: true,
    });
    expect(calendarState(ru, local('2027-05-03T12:00'))).toMatchObject({
      open: false,
      labelEn: 'Day off moved from 1 May',
      estimated: true,
    });
  });

  it('a tenant holiday beats the production calendar', () => {
    const s = spec({
      productionCalendar: 'ru',
      holidays: [{ name: 'Duty day', date: '2026-01-09', hours: [{ from: '10:00', to: '15:00' }] }],
    });
    expect(calendarState(s, local('2026-01-09T12:00'))).toEqual({
      open: true,
      reason: 'holiday',
      label: 'Duty day',
    });
  });

  it('the New Year break: closed from Dec 31, 2025 to Jan 11, 2026, opening Monday Jan 12 at 09:00', () => {
    expect(calendarState(ru, local('2025-12-31T12:00')).reason).toBe('production-holiday');
    expect(nextChange(ru, local('2025-12-30T18:30'))).toEqual(local('2026-01-12T09:00'));
  });
});

describe('moved working days (production-workday)', () => {
  afterEach(() => {
    vi.doUnmock('../../src/pbx/calendar/ru-production.js');
    vi.resetModules();
  });

  it('a working Saturday opens with the hours of the weekday it stands in for', async () => {
    // 2025 and 2026 have no working weekend that is not also shortened, so stand one in.
    vi.resetModules();
    vi.doMock('../../src/pbx/calendar/ru-production.js', () => ({
      ruDay: (date: string) =>
        date === '2026-04-11'
          ? { kind: 'workday', name: 'Рабочий день', nameEn: 'Working day', asWeekday: 3, estimated: false }
          : null,
    }));
    const engine = await import('../../src/pbx/calendar/engine.js');
    const s = spec({
      productionCalendar: 'ru',
      weekly: [
        { days: [3], from: '10:00', to: '16:00' },
        { days: [1, 2, 4, 5], from: '09:00', to: '18:00' },
      ],
    });
    expect(engine.calendarState(s, local('2026-04-11T09:30'))).toEqual({
      open: false,
      reason: 'outside-hours',
    });
    expect(engine.calendarState(s, local('2026-04-11T10:00'))).toEqual({
      open: true,
      reason: 'production-workday',
      label: 'Рабочий день',
      labelEn: 'Working day',
    });
    expect(engine.calendarState(s, local('2026-04-11T16:00')).open).toBe(false);
    expect(engine.nextChange(s, local('2026-04-10T18:30'))).toEqual(local('2026-04-11T10:00'));
  });
});

describe('nextChange', () => {
  it('across a weekend: from Friday evening to Monday 09:00', () => {
    expect(weekday('2026-04-10')).toBe(5);
    expect(nextChange(spec(), local('2026-04-10T18:30'))).toEqual(local('2026-04-13T09:00'));
    expect(nextChange(spec(), local('2026-04-10T17:00'))).toEqual(local('2026-04-10T18:00'));
  });

  it('across a DST weekend: Berlin Friday 19:00 CET to Monday 09:00 CEST', () => {
    const s = spec({ timeZone: 'Europe/Berlin' });
    const opens = nextChange(s, local('2026-03-27T19:00', 'Europe/Berlin'));
    expect(opens).toEqual(utc('2026-03-30T07:00'));
  });

  it('is strictly after `at`: at the opening instant it returns the closing', () => {
    expect(nextChange(spec(), local('2026-04-06T09:00'))).toEqual(local('2026-04-06T18:00'));
  });

  it('returns null when nothing changes within the horizon', () => {
    expect(nextChange(spec({ weekly: [] }), local('2026-04-06T12:00'))).toBeNull();
    expect(nextChange(spec(), local('2026-04-10T18:30'), 2)).toBeNull();
    expect(nextChange(spec(), local('2026-04-10T18:30'), 3)).toEqual(local('2026-04-13T09:00'));
  });

  it('agrees with a minute-by-minute search through a week with DST, holidays and short days', () => {
    const cases: [CalendarSpec, string][] = [
      [
        spec({
          timeZone: 'Europe/Berlin',
          weekly: [
            { days: [1, 2, 3, 4, 5], from: '08:00', to: '12:00' },
            { days: [1, 2, 3, 4, 5], from: '13:00', to: '17:30' },
            { days: [6, 7], from: '00:00', to: '02:30' },
            { days: [7], from: '02:45', to: '03:15' },
          ],
          holidays: [{ name: 'Half day', date: '2026-10-27', hours: [{ from: '10:00', to: '11:00' }] }],
        }),
        '2026-10-23T00:00',
      ],
      [
        spec({
          timeZone: 'America/New_York',
          weekly: [
            { days: [7], from: '01:15', to: '02:30' },
            { days: [1, 3, 5], from: '00:00', to: '24:00' },
          ],
        }),
        '2026-03-06T00:00',
      ],
      [spec({ productionCalendar: 'ru' }), '2026-04-27T00:00'],
    ];
    for (const [s, startIso] of cases) {
      let t = utc(startIso).getTime();
      const end = t + 9 * 86_400_000;
      let changes = 0;
      while (t < end) {
        const expected = bruteNext(s, t, end);
        if (expected === null) break;
        expect(nextChange(s, new Date(t), 10)?.getTime(), new Date(t).toISOString()).toBe(expected);
        t = expected;
        changes++;
      }
      expect(changes).toBeGreaterThanOrEqual(8);
    }
  });
});

/** The first whole minute after t (up to end) where openness differs from t's: the slow, obvious way. */
function bruteNext(s: CalendarSpec, t: number, end: number): number | null {
  const open = calendarState(s, new Date(t)).open;
  for (let m = t + 60_000; m <= end; m += 60_000) {
    if (calendarState(s, new Date(m)).open !== open) return m;
  }
  return null;
}

describe('validateCalendar', () => {
  const fields = (s: unknown) => validateCalendar(s as CalendarSpec).map((p) => p.field);

  it('accepts a good spec, with duplicate weekdays and 24:00 ends', () => {
    expect(
      validateCalendar(
        spec({
          weekly: [{ days: [1, 1, 7], from: '00:00', to: '24:00' }],
          holidays: [
            { name: 'A', date: '2026-01-01' },
            { name: 'B', from: '2026-05-01', to: '2026-05-01', hours: [{ from: '10:00', to: '12:00' }] },
            { name: 'C', yearly: '02-29' },
          ],
          productionCalendar: 'ru',
          override: { state: 'open', until: '2026-01-09T09:00:00+03:00' },
        }),
      ),
    ).toEqual([]);
  });

  it('rejects an unknown time zone', () => {
    expect(validateCalendar(spec({ timeZone: 'Mars/Olympus' }))).toEqual([
      { field: 'timeZone', message: expect.stringContaining('IANA') },
    ]);
  });

  it('rejects impossible weekly ranges with their paths', () => {
    expect(
      fields(
        spec({
          weekly: [
            WEEKDAYS,
            { days: [1], from: '18:00', to: '09:00' }, // overnight: must be two ranges
            { days: [1], from: '9:00', to: '25:00' },
            { days: [], from: '09:00', to: '10:00' },
            { days: [0 as 1, 8 as 1], from: '24:00', to: '24:00' },
            { days: [2], from: '10:00', to: '10:00' },
          ],
        }),
      ),
    ).toEqual([
      'weekly.1.to',
      'weekly.2.from',
      'weekly.2.to',
      'weekly.3.days',
      'weekly.4.days.0',
      'weekly.4.days.1',
      'weekly.4.from',
      'weekly.5.to',
    ]);
  });

  it('rejects bad holidays with their paths', () => {
    expect(
      fields(
        spec({
          holidays: [
            { name: 'ok', date: '2026-01-01' },
            { name: 'no date' },
            { name: 'bad date', date: '2026-02-30' },
            { name: 'backwards', from: '2026-05-05', to: '2026-05-01' },
            { name: 'two forms', date: '2026-01-01', yearly: '01-01' },
            { name: 'bad yearly', yearly: '02-30' },
            { name: '', date: '2026-01-01' },
            { name: 'half range', from: '2026-05-01' },
            { name: 'bad hours', date: '2026-01-02', hours: [{ from: '14:00', to: '10:00' }] },
          ],
        }),
      ),
    ).toEqual([
      'holidays.1',
      'holidays.2.date',
      'holidays.3.to',
      'holidays.4',
      'holidays.5.yearly',
      'holidays.6.name',
      'holidays.7.to',
      'holidays.8.hours.0.to',
    ]);
  });

  it('rejects a bad override and production calendar', () => {
    expect(fields(spec({ override: { state: 'open', until: 'tomorrow' } }))).toEqual(['override.until']);
    expect(fields(spec({ override: { state: 'open', until: '2026-01-09T09:00:00' } }))).toEqual([
      'override.until',
    ]);
    expect(fields(spec({ override: { state: 'maybe' as 'open', until: null } }))).toEqual(['override.state']);
    expect(fields(spec({ productionCalendar: 'de' as 'ru' }))).toEqual(['productionCalendar']);
  });

  it('survives shapes that are not a spec at all (JSON from outside)', () => {
    expect(fields(null)).toEqual(['']);
    expect(
      fields({ timeZone: 3, weekly: {}, holidays: 'x', productionCalendar: undefined, override: 5 }),
    ).toEqual(['timeZone', 'weekly', 'holidays', 'productionCalendar', 'override']);
    expect(fields(spec({ weekly: [null as unknown as WeeklyRange] }))).toEqual(['weekly.0']);
  });
});
