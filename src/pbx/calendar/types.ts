/**
 * The data model of a tenant's business-hours calendar, used by time-based routing.
 * It is plain JSON so that it can be stored as one document and sent to the portal as is;
 * `validateCalendar` (engine.ts) is the gate every stored calendar passes.
 */

/** 'HH:MM' 24-hour local time; '24:00' allowed only as an end. */
export type LocalTime = string;

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Open hours on the given weekdays. from < to: an overnight shift is two ranges (…–24:00 and 00:00–…). */
export interface WeeklyRange {
  days: Weekday[];
  from: LocalTime;
  to: LocalTime;
}

export interface Holiday {
  name: string;
  /** Exactly one of: a single date, a date range (inclusive), a yearly recurring month-day. */
  date?: string; // 'YYYY-MM-DD'
  from?: string; // 'YYYY-MM-DD', with `to`: an inclusive range
  to?: string;
  /** 'MM-DD'. '02-29' is allowed and applies in leap years only. */
  yearly?: string;
  /** Open hours on that day instead of closed all day (e.g. a short day). Absent: closed all day. */
  hours?: { from: LocalTime; to: LocalTime }[];
}

export interface CalendarOverride {
  state: 'open' | 'closed';
  /** ISO instant (with 'Z' or an offset) when it lapses; null: until cleared. */
  until: string | null;
}

export interface CalendarSpec {
  /** IANA zone, e.g. 'Europe/Moscow', 'Europe/Berlin'. */
  timeZone: string;
  weekly: WeeklyRange[];
  holidays: Holiday[];
  /** Apply a national production calendar: its non-working days close, its moved working days open, its shortened days end one hour early. */
  productionCalendar: 'ru' | null;
  override: CalendarOverride | null;
}

export interface CalendarState {
  open: boolean;
  /** Why: which rule decided. */
  reason:
    | 'override'
    | 'holiday'
    | 'production-holiday'
    | 'production-workday'
    | 'production-short'
    | 'weekly'
    | 'outside-hours';
  /** The holiday's name when a holiday or production rule decided (for the production calendar: in Russian). */
  label?: string;
  /** The English name when a production-calendar rule decided. */
  labelEn?: string;
  /** True when a production-calendar rule decided from estimated data (a year without a published decree). */
  estimated?: boolean;
}
