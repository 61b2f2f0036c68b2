import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ruDay, ruYears } from '../../src/pbx/calendar/ru-production.js';

/** ISO weekday of a date, from luxon (independent of the module's own arithmetic). */
const weekday = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).weekday;

function datesOf(year: number): string[] {
  const out: string[] = [];
  for (let d = DateTime.utc(year, 1, 1); d.year === year; d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  return out;
}

/** A working day for the five-day week: not a holiday, and a weekday or a weekend made working. */
function isWorking(iso: string): boolean {
  const day = ruDay(iso);
  if (day?.kind === 'holiday') return false;
  if (day) return true; // 'workday' or 'short'
  return weekday(iso) <= 5;
}

const STATUTORY = ['01-01', '01-02', '01-03', '01-04', '01-05', '01-06', '01-07', '01-08'].concat([
  '02-23',
  '03-08',
  '05-01',
  '05-09',
  '06-12',
  '11-04',
]);

describe('RU production calendar: years with a decree', () => {
  it('lists 2025 and 2026 as exact', () => {
    expect(ruYears()).toEqual([2025, 2026]);
  });

  it('has 247 working days in 2025 and in 2026 (as the decrees state)', () => {
    expect(datesOf(2025).filter(isWorking)).toHaveLength(247);
    expect(datesOf(2026).filter(isWorking)).toHaveLength(247);
  });

  it('keeps every statutory holiday of art. 112, whatever its weekday', () => {
    for (const year of [2025, 2026]) {
      for (const md of STATUTORY) {
        const day = ruDay(`${year}-${md}`);
        expect(day?.kind, `${year}-${md}`).toBe('holiday');
        expect(day?.estimated).toBe(false);
      }
    }
    expect(ruDay('2026-01-07')).toMatchObject({ name: 'Рождество Христово', nameEn: 'Orthodox Christmas' });
  });

  it('2025 (decree № 1335): days off moved to the weekdays the decree names', () => {
    // The decree's own words: Sat Jan 4 → Fri May 2, Sun Jan 5 → Wed Dec 31, Sun Feb 23 → Thu May 8,
    // Sat Mar 8 → Fri Jun 13, Sat Nov 1 → Mon Nov 3.
    const moves: [string, number, string, number][] = [
      ['2025-01-04', 6, '2025-05-02', 5],
      ['2025-01-05', 7, '2025-12-31', 3],
      ['2025-02-23', 7, '2025-05-08', 4],
      ['2025-03-08', 6, '2025-06-13', 5],
      ['2025-11-01', 6, '2025-11-03', 1],
    ];
    for (const [from, fromWeekday, to, toWeekday] of moves) {
      expect(weekday(from)).toBe(fromWeekday);
      expect(weekday(to)).toBe(toWeekday);
      expect(ruDay(to)?.kind).toBe('holiday');
    }
    expect(ruDay('2025-05-02')?.nameEn).toBe('Day off moved from 4 January');
    expect(ruDay('2025-12-31')?.name).toBe('Перенесённый выходной (с 5 января)');
  });

  it('2025: Saturday Nov 1 is a working, shortened day with Monday hours', () => {
    const day = ruDay('2025-11-01');
    expect(day).toMatchObject({ kind: 'short', asWeekday: 1, estimated: false });
    expect(day?.nameEn).toContain('Working day');
    expect(weekday('2025-11-03')).toBe(day?.asWeekday);
  });

  it('2025: the rest periods the decree lists, bounded by working days', () => {
    const periods: [string, string][] = [
      ['2025-01-01', '2025-01-08'],
      ['2025-02-22', '2025-02-23'],
      ['2025-03-08', '2025-03-09'],
      ['2025-05-01', '2025-05-04'],
      ['2025-05-08', '2025-05-11'],
      ['2025-06-12', '2025-06-15'],
      ['2025-11-02', '2025-11-04'],
    ];
    for (const [from, to] of periods) {
      const first = DateTime.fromISO(from, { zone: 'utc' });
      const last = DateTime.fromISO(to, { zone: 'utc' });
      for (let d = first; d <= last; d = d.plus({ days: 1 }))
        expect(isWorking(d.toISODate()!), d.toISODate()!).toBe(false);
      // (Dec 31, 2024 belongs to an estimated year: not checked.)
      if (from !== '2025-01-01')
        expect(isWorking(first.minus({ days: 1 }).toISODate()!), `before ${from}`).toBe(true);
      expect(isWorking(last.plus({ days: 1 }).toISODate()!), `after ${to}`).toBe(true);
    }
    expect(isWorking('2025-12-31')).toBe(false);
    expect(isWorking('2025-12-30')).toBe(true);
  });

  it('2025: shortened days are Mar 7, Apr 30, Jun 11, Nov 1', () => {
    const short = datesOf(2025).filter((d) => ruDay(d)?.kind === 'short');
    expect(short).toEqual(['2025-03-07', '2025-04-30', '2025-06-11', '2025-11-01']);
  });

  it('2026 (decree № 1466): Jan 9 is a day off (moved from Sat Jan 3), Dec 31 too (from Sun Jan 4)', () => {
    expect(weekday('2026-01-03')).toBe(6);
    expect(weekday('2026-01-04')).toBe(7);
    expect(weekday('2026-01-09')).toBe(5);
    expect(weekday('2026-12-31')).toBe(4);
    expect(ruDay('2026-01-09')).toMatchObject({
      kind: 'holiday',
      name: 'Перенесённый выходной (с 3 января)',
    });
    expect(ruDay('2026-12-31')).toMatchObject({ kind: 'holiday', nameEn: 'Day off moved from 4 January' });
  });

  it('2026: art. 112 moves Sun Mar 8 → Mon Mar 9 and Sat May 9 → Mon May 11', () => {
    expect(weekday('2026-03-08')).toBe(7);
    expect(weekday('2026-05-09')).toBe(6);
    expect(ruDay('2026-03-09')?.kind).toBe('holiday');
    expect(ruDay('2026-05-11')?.kind).toBe('holiday');
    expect(ruDay('2026-05-10')).toBeNull(); // an ordinary Sunday
  });

  it('2026: the rest periods the decree lists, and no working weekend', () => {
    const periods: [string, string][] = [
      ['2026-01-01', '2026-01-11'],
      ['2026-02-21', '2026-02-23'],
      ['2026-03-07', '2026-03-09'],
      ['2026-05-01', '2026-05-03'],
      ['2026-05-09', '2026-05-11'],
      ['2026-06-12', '2026-06-14'],
      ['2026-11-04', '2026-11-04'],
      ['2026-12-31', '2026-12-31'],
    ];
    for (const [from, to] of periods) {
      const first = DateTime.fromISO(from, { zone: 'utc' });
      const last = DateTime.fromISO(to, { zone: 'utc' });
      for (let d = first; d <= last; d = d.plus({ days: 1 }))
        expect(isWorking(d.toISODate()!), d.toISODate()!).toBe(false);
      if (from !== '2026-01-01')
        expect(isWorking(first.minus({ days: 1 }).toISODate()!), `before ${from}`).toBe(true);
      if (to !== '2026-12-31')
        expect(isWorking(last.plus({ days: 1 }).toISODate()!), `after ${to}`).toBe(true);
    }
    expect(datesOf(2026).filter((d) => ruDay(d)?.kind === 'workday' || ruDay(d)?.asWeekday)).toEqual([]);
  });

  it('2026: shortened days are Apr 30, May 8, Jun 11, Nov 3 (not Fri Mar 6: Mar 8 is a Sunday)', () => {
    const short = datesOf(2026).filter((d) => ruDay(d)?.kind === 'short');
    expect(short).toEqual(['2026-04-30', '2026-05-08', '2026-06-11', '2026-11-03']);
    expect(ruDay('2026-03-06')).toBeNull();
  });

  it('every exact date is the weekday its kind implies', () => {
    for (const year of ruYears()) {
      for (const iso of datesOf(year)) {
        const day = ruDay(iso);
        if (!day) continue;
        const statutory = STATUTORY.includes(iso.slice(5));
        // A moved day off is a weekday (a weekend day off needs no move); statutory ones fall anywhere.
        if (day.kind === 'holiday' && !statutory) expect(weekday(iso), iso).toBeLessThanOrEqual(5);
        // A working day made of a weekend is a Saturday or Sunday, and works a weekday's hours.
        if (day.asWeekday !== undefined) {
          expect(weekday(iso), iso).toBeGreaterThanOrEqual(6);
          expect(day.asWeekday).toBeLessThanOrEqual(5);
        }
        if (day.kind === 'workday') expect(day.asWeekday, iso).toBeDefined();
        // A shortened day is a working day and the day after it is not.
        if (day.kind === 'short') {
          expect(isWorking(iso), iso).toBe(true);
          const next = DateTime.fromISO(iso, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;
          expect(isWorking(next), `${iso} → ${next}`).toBe(false);
        }
      }
    }
  });
});

describe('RU production calendar: estimated years', () => {
  it('2027 (no decree yet): statutory holidays, marked estimated, January weekends not moved', () => {
    expect(ruDay('2027-01-01')).toMatchObject({
      kind: 'holiday',
      estimated: true,
      nameEn: 'New Year holidays',
    });
    expect(weekday('2027-01-02')).toBe(6);
    expect(weekday('2027-01-03')).toBe(7);
    expect(ruDay('2027-01-11')).toBeNull(); // the decree would decide where Jan 2–3 go
    expect(ruDay('2027-01-09')).toBeNull(); // a plain Saturday
  });

  it('2027: a holiday on a weekend moves to the next working day (art. 112 part 2)', () => {
    expect(weekday('2027-05-01')).toBe(6);
    expect(ruDay('2027-05-03')).toMatchObject({
      kind: 'holiday',
      estimated: true,
      nameEn: 'Day off moved from 1 May',
    });
    expect(weekday('2027-05-09')).toBe(7);
    // May 10 is the next working day after May 9 (May 3 is taken already, but that is a week earlier).
    expect(ruDay('2027-05-10')).toMatchObject({ kind: 'holiday', nameEn: 'Day off moved from 9 May' });
    expect(weekday('2027-06-12')).toBe(6);
    expect(ruDay('2027-06-14')?.kind).toBe('holiday');
  });

  it('2027: the working day before a holiday is short (art. 95), a weekend before one is not', () => {
    expect(ruDay('2027-02-22')).toMatchObject({ kind: 'short', estimated: true }); // Mon before Tue Feb 23
    expect(ruDay('2027-04-30')).toMatchObject({ kind: 'short' }); // Fri before Sat May 1
    expect(ruDay('2027-11-03')).toMatchObject({ kind: 'short' }); // Wed before Thu Nov 4
    expect(ruDay('2027-12-31')).toMatchObject({ kind: 'short' }); // Fri before Jan 1
    expect(weekday('2027-03-08')).toBe(1);
    expect(ruDay('2027-03-05')).toBeNull(); // Mar 7 (Sunday) precedes Mar 8
  });

  it('estimates any other year too, e.g. 2030 and 2024', () => {
    expect(ruDay('2030-06-12')).toMatchObject({ kind: 'holiday', estimated: true });
    expect(ruDay('2024-11-04')?.estimated).toBe(true);
  });

  it('refuses what is not a calendar date', () => {
    expect(() => ruDay('2026-02-30')).toThrow(RangeError);
    expect(() => ruDay('2026-1-1')).toThrow(RangeError);
  });

  it('returns a copy: callers cannot change the table', () => {
    const day = ruDay('2026-01-09')!;
    day.kind = 'workday';
    expect(ruDay('2026-01-09')?.kind).toBe('holiday');
  });
});
