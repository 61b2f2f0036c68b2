/**
 * Whether a calendar is open now: a badge ("Open now" / "Closed"), why, and when
 * that changes next, read from GET …/calendars/{id}/state and refreshed every
 * minute and when the next change is due.
 */
import { Badge, Group, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { CalendarState } from '../api/types';

export function useCalendarState(tenantId: string, id: string) {
  return useQuery({
    queryKey: ['calendarState', tenantId, id],
    refetchInterval: (q) => {
      const next = q.state.data?.nextChange;
      const due = next ? new Date(next).getTime() - Date.now() + 1000 : Number.POSITIVE_INFINITY;
      return Math.max(5_000, Math.min(60_000, due));
    },
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/calendars/{id}/state', { params: { path: { tenantId, id } } }),
      ),
  });
}

const REASONS = [
  'override',
  'holiday',
  'production-holiday',
  'production-workday',
  'production-short',
  'weekly',
  'outside-hours',
] as const;
type Reason = (typeof REASONS)[number];

/** Why the calendar is in its state, in the user's language. */
export function useReasonText() {
  const { t, i18n } = useTranslation();
  return (s: CalendarState): string => {
    const reason = (REASONS as readonly string[]).includes(s.reason) ? (s.reason as Reason) : null;
    const label = (i18n.language === 'ru' ? s.label : (s.labelEn ?? s.label)) ?? '';
    const text = reason ? t(`calendars.reasons.${reason}`, { label }) : s.reason;
    return s.estimated ? `${text} ${t('calendars.estimated')}` : text;
  };
}

/** A date and time in the calendar's own zone, with the zone's short name. */
export function useWhen(timeZone: string | undefined) {
  const { i18n } = useTranslation();
  return (iso: string): string => {
    try {
      return new Intl.DateTimeFormat(i18n.language, {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        hour: '2-digit',
        minute: '2-digit',
        timeZone,
        timeZoneName: 'short',
      }).format(new Date(iso));
    } catch {
      // An unknown zone: the browser's.
      return new Date(iso).toLocaleString(i18n.language);
    }
  };
}

export function CalendarStateBadge({
  tenantId,
  id,
  timeZone,
  withDetail = false,
}: {
  tenantId: string;
  id: string;
  timeZone?: string;
  /** Also the reason and the next change, in words. */
  withDetail?: boolean;
}) {
  const { t } = useTranslation();
  const state = useCalendarState(tenantId, id);
  const reasonText = useReasonText();
  const when = useWhen(timeZone);
  if (!state.data)
    return state.isError ? (
      <Text size="xs" c="red">
        {t('common.error')}
      </Text>
    ) : null;
  const s = state.data;
  const next = s.nextChange
    ? s.open
      ? t('calendars.closesAt', { time: when(s.nextChange) })
      : t('calendars.opensAt', { time: when(s.nextChange) })
    : t('calendars.noChange');
  return (
    <Group gap={6} wrap="wrap" data-testid="calendar-state">
      <Badge variant="light" color={s.open ? 'green' : 'gray'}>
        {s.open ? t('calendars.openNow') : t('calendars.closedNow')}
      </Badge>
      {withDetail ? (
        <Text size="xs" c="dimmed">
          {reasonText(s)} · {next}
        </Text>
      ) : (
        <Text size="xs" c="dimmed">
          {next}
        </Text>
      )}
    </Group>
  );
}
