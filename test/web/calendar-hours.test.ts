/** The week grid's arithmetic (web/src/calendar-hours.ts): hours shaded, hours painted, ranges regrouped. */
import { describe, expect, it } from 'vitest';
import {
  dayRuns,
  hourCoverage,
  hourOpen,
  normaliseTime,
  openIntervals,
  paintHour,
  rangesOf,
} from '../../web/src/calendar-hours.js';

const WEEKDAYS = [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }];

describe('calendar hours for the week grid', () => {
  it('merges overlapping ranges per day and skips ones that do not parse', () => {
    const days = openIntervals([
      { days: [1], from: '09:00', to: '12:00' },
      { days: [1], from: '11:00', to: '13:30' },
      { days: [2], from: '18:00', to: '09:00' },
      { days: [3], from: '9', to: '10:00' },
      { days: [7], from: '22:00', to: '24:00' },
    ]);
    expect(days[0]).toEqual([[540, 810]]);
    expect(days[1]).toEqual([]);
    expect(days[2]).toEqual([]);
    expect(days[6]).toEqual([[1320, 1440]]);
  });

  it('shades whole and partial hours', () => {
    const [monday] = openIntervals([{ days: [1], from: '09:30', to: '11:00' }]);
    expect(hourCoverage(monday!, 9)).toEqual([[0.5, 1]]);
    expect(hourOpen(monday!, 9)).toBe(false);
    expect(hourOpen(monday!, 10)).toBe(true);
    expect(hourCoverage(monday!, 11)).toEqual([]);
  });

  it('paints an hour open or closed and groups days with the same hours again', () => {
    const saturday = paintHour(WEEKDAYS, 6, 10, true);
    expect(saturday).toEqual([
      { days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' },
      { days: [6], from: '10:00', to: '11:00' },
    ]);
    expect(paintHour(saturday, 6, 10, false)).toEqual(WEEKDAYS);
    // Closing lunch on Wednesday splits its day from the others.
    expect(paintHour(WEEKDAYS, 3, 13, false)).toEqual([
      { days: [1, 2, 4, 5], from: '09:00', to: '18:00' },
      { days: [3], from: '09:00', to: '13:00' },
      { days: [3], from: '14:00', to: '18:00' },
    ]);
    // Opening the hour before joins it to the range; the last hour ends at 24:00.
    expect(paintHour(WEEKDAYS, 1, 8, true)[0]).toEqual({ days: [1], from: '08:00', to: '18:00' });
    expect(paintHour([], 7, 23, true)).toEqual([{ days: [7], from: '23:00', to: '24:00' }]);
  });

  it('regroups per-day intervals into ranges ordered by day and time', () => {
    expect(rangesOf([[[540, 1080]], [[540, 1080]], [], [], [], [[600, 840]], []])).toEqual([
      { days: [1, 2], from: '09:00', to: '18:00' },
      { days: [6], from: '10:00', to: '14:00' },
    ]);
  });

  it('reads times as people type them', () => {
    expect(normaliseTime('9')).toBe('09:00');
    expect(normaliseTime('930')).toBe('09:30');
    expect(normaliseTime('9.30')).toBe('09:30');
    expect(normaliseTime('18:00')).toBe('18:00');
    expect(normaliseTime('late')).toBe('late');
  });

  it('names runs of days', () => {
    expect(dayRuns([5, 1, 2, 3, 7])).toEqual([
      [1, 3],
      [5, 5],
      [7, 7],
    ]);
  });
});
