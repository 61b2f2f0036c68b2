/**
 * A calendar's week at a glance: seven day columns by 24 hours, open time shaded
 * (part of an hour shaded in part). With `onPaint`, pressing on an hour and
 * dragging paints hours open or closed (the first hour decides which) — a mouse
 * and touch shortcut; the range rows under the grid do the same from the keyboard.
 * For screen readers the grid is summed up in words ("Mon–Fri 09:00–18:00").
 */
import { Box, Text } from '@mantine/core';
import { type PointerEvent, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { dayRuns, hourCoverage, hourOpen, openIntervals, type Range, rangesOf } from '../calendar-hours';

const DAYS = [1, 2, 3, 4, 5, 6, 7] as const;
const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** Short weekday names in the user's language, Monday first. */
export function useWeekdayNames(style: 'short' | 'long' = 'short'): string[] {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(i18n.language, { weekday: style, timeZone: 'UTC' });
  // 2024-01-01 was a Monday.
  return DAYS.map((d) => format.format(new Date(Date.UTC(2024, 0, d))));
}

/** The week in words: "Mon–Fri 09:00–18:00; Sat 10:00–14:00". */
export function useWeekSummary() {
  const { t } = useTranslation();
  const names = useWeekdayNames();
  return (weekly: readonly Range[]): string => {
    const ranges = rangesOf(openIntervals(weekly));
    if (ranges.length === 0) return t('calendars.neverOpen');
    return ranges
      .map((r) => {
        const days = dayRuns(r.days)
          .map(([a, b]) => (a === b ? names[a - 1] : `${names[a - 1]}–${names[b - 1]}`))
          .join(', ');
        return `${days} ${r.from}–${r.to}`;
      })
      .join('; ');
  };
}

export function WeekGrid({
  weekly,
  onPaint,
}: {
  weekly: readonly Range[];
  /** Makes hour `hour` of weekday `day` (1–7) open or closed; absent: the grid only shows. */
  onPaint?: (day: number, hour: number, open: boolean) => void;
}) {
  const { t } = useTranslation();
  const captionId = useId();
  const names = useWeekdayNames();
  const summary = useWeekSummary();
  const days = openIntervals(weekly);
  const painting = useRef<{ open: boolean; last: string } | null>(null);

  const cellAt = (x: number, y: number): { day: number; hour: number } | null => {
    const el = document.elementFromPoint(x, y)?.closest<HTMLElement>('[data-hour]');
    if (!el) return null;
    return { day: Number(el.dataset.day), hour: Number(el.dataset.hour) };
  };
  const down = (e: PointerEvent<HTMLTableElement>) => {
    if (!onPaint || e.button !== 0) return;
    const cell = cellAt(e.clientX, e.clientY);
    if (!cell) return;
    const open = !hourOpen(days[cell.day - 1]!, cell.hour);
    painting.current = { open, last: `${cell.day}:${cell.hour}` };
    onPaint(cell.day, cell.hour, open);
    if (e.pointerType === 'mouse') {
      e.currentTarget.setPointerCapture(e.pointerId);
      e.preventDefault();
    }
  };
  const move = (e: PointerEvent<HTMLTableElement>) => {
    const p = painting.current;
    if (!p || !onPaint) return;
    const cell = cellAt(e.clientX, e.clientY);
    if (!cell || `${cell.day}:${cell.hour}` === p.last) return;
    p.last = `${cell.day}:${cell.hour}`;
    onPaint(cell.day, cell.hour, p.open);
  };
  const up = () => {
    painting.current = null;
  };

  return (
    <Box component="figure" m={0} aria-labelledby={captionId}>
      <Text component="figcaption" size="sm" fw={500} id={captionId}>
        {t('calendars.weekGrid')}
      </Text>
      <Text size="xs" c="dimmed" mb={6} data-testid="week-summary">
        {summary(weekly)}
      </Text>
      {/* Shown in words above; the cells themselves say nothing a screen reader could use. */}
      <table
        aria-hidden="true"
        className="week-grid"
        data-paintable={onPaint ? 'true' : undefined}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
        onLostPointerCapture={up}
      >
        <thead>
          <tr>
            <th />
            {DAYS.map((d) => (
              <th key={d}>{names[d - 1]}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {HOURS.map((h) => (
            <tr key={h}>
              <th>{h % 3 === 0 ? String(h).padStart(2, '0') : ''}</th>
              {DAYS.map((d) => {
                const parts = hourCoverage(days[d - 1]!, h);
                const full = hourOpen(days[d - 1]!, h);
                return (
                  <td
                    key={d}
                    data-day={d}
                    data-hour={h}
                    data-open={full ? 'full' : parts.length ? 'part' : undefined}
                    title={`${names[d - 1]} ${String(h).padStart(2, '0')}:00`}
                  >
                    {!full
                      ? parts.map(([a, b]) => (
                          <span key={a} style={{ top: `${a * 100}%`, height: `${(b - a) * 100}%` }} />
                        ))
                      : null}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </Box>
  );
}
