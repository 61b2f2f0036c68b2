/**
 * A calendar's weekly open hours as the week grid needs them: per weekday, the
 * open minutes as sorted, merged intervals; how much of each hour is open; and
 * back to the API's ranges after an hour was painted open or closed, with days of
 * identical hours grouped into one range ("Mon–Fri 09:00–18:00").
 */

export interface Range {
  /** 1 = Monday … 7 = Sunday. */
  days: number[];
  /** 'HH:MM'; `to` may be '24:00'. */
  from: string;
  to: string;
}

/** [from, to) in minutes since midnight. */
export type Interval = readonly [number, number];

const DAY = 24 * 60;

/** Minutes since midnight of 'HH:MM' (up to '24:00'), or null for anything else. */
export function minutesOf(hhmm: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

export function hhmm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** What a person typed, as HH:MM when it reads as a time ("9" → "09:00", "930" → "09:30", "9.30" → "09:30"). */
export function normaliseTime(typed: string): string {
  const s = typed.trim();
  const m = /^(\d{1,2})(?:[:.\s]?(\d{2}))?$/.exec(s);
  if (!m) return s;
  return `${m[1]!.padStart(2, '0')}:${m[2] ?? '00'}`;
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].filter(([a, b]) => a < b).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Open intervals of each weekday, index 0 = Monday. Ranges that do not parse are left out. */
export function openIntervals(weekly: readonly Range[]): Interval[][] {
  const days: Interval[][] = Array.from({ length: 7 }, () => []);
  for (const r of weekly) {
    const from = minutesOf(r.from);
    const to = minutesOf(r.to);
    if (from === null || to === null || from >= to) continue;
    for (const d of new Set(r.days)) if (d >= 1 && d <= 7) days[d - 1]!.push([from, to]);
  }
  return days.map(merge);
}

/** The API's ranges for per-day intervals: each distinct interval once, with the days that have it. */
export function rangesOf(days: readonly Interval[][]): Range[] {
  const byInterval = new Map<string, Range>();
  days.forEach((intervals, i) => {
    for (const [a, b] of intervals) {
      const key = `${a}-${b}`;
      const range = byInterval.get(key);
      if (range) range.days.push(i + 1);
      else byInterval.set(key, { days: [i + 1], from: hhmm(a), to: hhmm(b) });
    }
  });
  return [...byInterval.values()].sort(
    (x, y) => x.days[0]! - y.days[0]! || minutesOf(x.from)! - minutesOf(y.from)!,
  );
}

/** The parts of hour `hour` (0–23) of a day that are open, as fractions [start, end) of the hour. */
export function hourCoverage(intervals: readonly Interval[], hour: number): [number, number][] {
  const start = hour * 60;
  const end = start + 60;
  const out: [number, number][] = [];
  for (const [a, b] of intervals) {
    const from = Math.max(a, start);
    const to = Math.min(b, end);
    if (from < to) out.push([(from - start) / 60, (to - start) / 60]);
  }
  return out;
}

/** Whether the whole hour is open. */
export function hourOpen(intervals: readonly Interval[], hour: number): boolean {
  return hourCoverage(intervals, hour).reduce((sum, [a, b]) => sum + (b - a), 0) >= 1;
}

/** `weekly` with hour `hour` of weekday `day` (1–7) made open or closed. */
export function paintHour(weekly: readonly Range[], day: number, hour: number, open: boolean): Range[] {
  const days = openIntervals(weekly).map((d) => [...d]);
  const start = hour * 60;
  const end = Math.min(DAY, start + 60);
  const i = day - 1;
  if (open) days[i] = merge([...days[i]!, [start, end]]);
  else
    days[i] = days[i]!.flatMap(([a, b]): Interval[] =>
      b <= start || a >= end
        ? [[a, b]]
        : [...(a < start ? [[a, start] as const] : []), ...(b > end ? [[end, b] as const] : [])],
    );
  return rangesOf(days);
}

/** Weekdays as runs of consecutive days: [1,2,3,5] → [[1,3],[5,5]]. */
export function dayRuns(days: readonly number[]): [number, number][] {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const d of sorted) {
    const last = runs[runs.length - 1];
    if (last && d === last[1] + 1) last[1] = d;
    else runs.push([d, d]);
  }
  return runs;
}
