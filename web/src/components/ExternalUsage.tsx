/**
 * "External calls today" for a tenant's administrators and supervisors: the
 * answered minutes and the spend (by the operator's rate deck) since the
 * tenant's midnight against the caps the operator set, each with a bar that
 * turns orange near the cap and red at it, and the external calls now against
 * the limit. Fetched again every 30 seconds, and at once when a limit alert
 * arrives (AdminAlerts, in FraudAlerts.tsx, reads the events).
 */
import { Alert, Group, Paper, Progress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { ExternalUsage } from '../api/types';
import { formatMoney } from '../money';
import { ProblemAlert } from './Problem';

/** Minutes have no warning share of their own: their bar turns orange at this per cent. */
const MINUTES_WARN = 80;

export const usageKey = (tenantId: string) => ['externalUsage', tenantId] as const;

export function useExternalUsage(tenantId: string) {
  return useQuery({
    queryKey: usageKey(tenantId),
    refetchInterval: 30_000,
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/external-usage', { params: { path: { tenantId } } })),
  });
}

/** A share in per cent (0–100 for the bar) and its colour: orange from `warnAt`, red at the cap. */
function share(used: number, cap: number, warnAt: number): { value: number; color: string } {
  const percent = cap > 0 ? (used * 100) / cap : used > 0 ? 100 : 0;
  return {
    // To a tenth: the bar's aria-valuenow is read out.
    value: Math.min(100, Math.round(percent * 10) / 10),
    color: percent >= 100 ? 'red' : percent >= warnAt ? 'orange' : 'teal',
  };
}

function Meter({
  title,
  text,
  label,
  used,
  cap,
  warnAt,
  note,
  testId,
}: {
  title: string;
  text: string;
  /** The bar's accessible name. */
  label: string;
  used: number;
  /** null: no cap, no bar. */
  cap: number | null;
  warnAt: number;
  note?: string;
  testId: string;
}) {
  const bar = cap === null ? null : share(used, cap, warnAt);
  return (
    <Stack gap={6} data-testid={testId} data-level={bar?.color ?? 'none'}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="sm" fw={500}>
          {title}
        </Text>
        <Text
          size="sm"
          fw={600}
          data-testid={`${testId}-value`}
          style={{ fontVariantNumeric: 'tabular-nums' }}
        >
          {text}
        </Text>
      </Group>
      {bar ? <Progress value={bar.value} color={bar.color} aria-label={label} size="lg" /> : null}
      {note ? (
        <Text size="xs" c="dimmed">
          {note}
        </Text>
      ) : null}
    </Stack>
  );
}

function UsageFigures({ usage }: { usage: ExternalUsage }) {
  const { t, i18n } = useTranslation();
  const money = (minor: number) => formatMoney(minor, i18n.language);
  const minutes = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1, useGrouping: false });
  const minutesUsed = minutes.format(usage.answeredMinutes);
  const minutesCap = usage.dailyExternalMinutes;
  const spendCap = usage.dailySpendCap;
  const minutesOut = minutesCap !== null && usage.answeredMinutes >= minutesCap;
  const spendOut = spendCap !== null && usage.spent >= spendCap;
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="lg">
        <Meter
          testId="usage-minutes"
          title={t('usage.minutes')}
          label={t('usage.minutesLabel')}
          text={
            minutesCap === null
              ? t('usage.noCap', { used: minutesUsed })
              : t('usage.of', { used: minutesUsed, cap: minutes.format(minutesCap) })
          }
          used={usage.answeredMinutes}
          cap={minutesCap}
          warnAt={MINUTES_WARN}
        />
        <Meter
          testId="usage-spend"
          title={t('usage.spend')}
          label={t('usage.spendLabel')}
          text={
            spendCap === null
              ? t('usage.noCap', { used: money(usage.spent) })
              : t('usage.of', { used: money(usage.spent), cap: money(spendCap) })
          }
          used={usage.spent}
          cap={spendCap}
          warnAt={usage.spendAlertPercent}
          {...(spendCap !== null ? { note: t('usage.alertAt', { percent: usage.spendAlertPercent }) } : {})}
        />
        <Meter
          testId="usage-calls"
          title={t('usage.calls')}
          label={t('usage.callsLabel')}
          text={
            usage.maxExternalCalls === 0
              ? t('usage.callsOff')
              : t('usage.of', { used: usage.activeCalls, cap: usage.maxExternalCalls })
          }
          used={usage.activeCalls}
          cap={usage.maxExternalCalls === 0 ? null : usage.maxExternalCalls}
          warnAt={100}
        />
      </SimpleGrid>
      {minutesOut || spendOut ? (
        <Alert color="red" variant="light" role="status" data-testid="usage-refused">
          {spendOut ? t('usage.spendReached') : t('usage.minutesReached')}
        </Alert>
      ) : null}
    </Stack>
  );
}

export function ExternalUsageCard({ tenantId }: { tenantId: string }) {
  const { t } = useTranslation();
  const headingId = useId();
  const usage = useExternalUsage(tenantId);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby={headingId} id="usage">
      <Stack gap="sm">
        <Title order={3} id={headingId}>
          {t('usage.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('usage.intro')}
        </Text>
        <ProblemAlert error={usage.error} />
        {usage.data ? <UsageFigures usage={usage.data} /> : null}
      </Stack>
    </Paper>
  );
}
