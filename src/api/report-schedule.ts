/**
 * When a scheduled report goes out and which period it covers, in the tenant's
 * time zone (luxon, so a daylight-saving change moves neither). A run due at D
 * covers whole local days before D's day: daily the day before, weekly the seven
 * days before, monthly the month before.
 */
import { DateTime } from 'luxon';
import type { ReportFrequency } from '../store/report-tables.js';

export interface ScheduleTiming {
  frequency: ReportFrequency;
  /** 'HH:MM' local. */
  timeOfDay: string;
  weekday: number | null;
  dayOfMonth: number | null;
}

/** The first moment after `after` the schedule is due. */
export function nextRunAt(s: ScheduleTiming, timeZone: string, after: Date): Date {
  const [hour, minute] = s.timeOfDay.split(':').map(Number) as [number, number];
  const now = DateTime.fromJSDate(after, { zone: timeZone });
  let at = now.set({ hour, minute, second: 0, millisecond: 0 });
  if (s.frequency === 'weekly') {
    const weekday = s.weekday ?? 1;
    at = at.plus({ days: (weekday - at.weekday + 7) % 7 });
    if (at <= now) at = at.plus({ weeks: 1 });
  } else if (s.frequency === 'monthly') {
    at = at.set({ day: s.dayOfMonth ?? 1 });
    if (at <= now) at = at.plus({ months: 1 }).set({ day: s.dayOfMonth ?? 1 });
  } else if (at <= now) at = at.plus({ days: 1 });
  return at.toJSDate();
}

/** The period a run due at `dueAt` reports on. */
export function reportPeriod(
  frequency: ReportFrequency,
  timeZone: string,
  dueAt: Date,
): { from: Date; to: Date } {
  const day = DateTime.fromJSDate(dueAt, { zone: timeZone }).startOf('day');
  if (frequency === 'monthly') {
    const to = day.startOf('month');
    return { from: to.minus({ months: 1 }).toJSDate(), to: to.toJSDate() };
  }
  return { from: day.minus({ days: frequency === 'weekly' ? 7 : 1 }).toJSDate(), to: day.toJSDate() };
}
