/**
 * Alerts for administrators while the portal is open, in the corner of any page:
 *
 * - Fraud: when the fraud rule stops an extension's external calls (a
 *   `fraud.blocked` event on the events WebSocket), a red notification names the
 *   extension and why, with a link to the blocked extensions (where it is
 *   unblocked). The tenant's extension lists are read again, so they show the
 *   block at once.
 * - Limits: when today's spend passes the warning share of the daily spend cap
 *   (`limit.warning`, orange) or a daily cap — spend or external minutes — is
 *   reached and refuses external calls until midnight (`limit.reached`, red), a
 *   notification says so in money (minor units / 100) or minutes, with a link to
 *   the usage card ("External calls today"), which is read again at once.
 */
import { Anchor, Notification, Portal, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type LiveEvent, useLiveEvents } from '../live';
import { formatMoney } from '../money';
import { usageKey } from './ExternalUsage';

interface FraudAlert {
  key: number;
  extension: string;
  reason: string;
}

type LimitEvent = Extract<LiveEvent, { type: 'limit.reached' | 'limit.warning' }>;

interface LimitAlert {
  key: number;
  event: LimitEvent;
}

let nextKey = 1;
/** The most alerts of a kind on screen: a newer one pushes the oldest out. */
const KEEP = 5;

function LimitText({ event }: { event: LimitEvent }) {
  const { t, i18n } = useTranslation();
  const money = (minor: number) => formatMoney(minor, i18n.language);
  if (event.type === 'limit.warning')
    return (
      <Text size="sm">
        {t('limitAlerts.warning', {
          // Floored: never "100 %" while under the cap.
          percent: event.value > 0 ? Math.floor((event.used * 100) / event.value) : 100,
          used: money(event.used),
          cap: money(event.value),
        })}
      </Text>
    );
  return (
    <Text size="sm">
      {event.limit === 'dailySpendCap'
        ? t('limitAlerts.spendReached', { cap: money(event.value) })
        : t('limitAlerts.minutesReached', { minutes: event.value })}
    </Text>
  );
}

function limitTitle(event: LimitEvent): 'warningTitle' | 'spendTitle' | 'minutesTitle' {
  if (event.type === 'limit.warning') return 'warningTitle';
  return event.limit === 'dailySpendCap' ? 'spendTitle' : 'minutesTitle';
}

export function AdminAlerts({ tenantId }: { tenantId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [fraud, setFraud] = useState<FraudAlert[]>([]);
  const [limits, setLimits] = useState<LimitAlert[]>([]);
  useLiveEvents(null, (e) => {
    if (e.type === 'fraud.blocked') {
      setFraud((old) => [
        ...old.slice(1 - KEEP),
        { key: nextKey++, extension: e.extension, reason: e.reason },
      ]);
      void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
    } else if (e.type === 'limit.warning' || e.type === 'limit.reached') {
      setLimits((old) => [...old.slice(1 - KEEP), { key: nextKey++, event: e }]);
      void client.invalidateQueries({ queryKey: usageKey(tenantId) });
    }
  });
  const dismissFraud = (key: number) => setFraud((old) => old.filter((a) => a.key !== key));
  const dismissLimit = (key: number) => setLimits((old) => old.filter((a) => a.key !== key));
  if (fraud.length === 0 && limits.length === 0) return null;
  return (
    <Portal>
      <Stack
        gap="xs"
        style={{
          position: 'fixed',
          top: 68,
          right: 16,
          zIndex: 400,
          width: 'min(380px, calc(100vw - 32px))',
          maxHeight: 'calc(100vh - 84px)',
          overflowY: 'auto',
        }}
      >
        {fraud.length > 0 ? (
          <Stack gap="xs" aria-label={t('fraud.region')} role="region">
            {fraud.map((a) => (
              <Notification
                key={a.key}
                color="red"
                role="alert"
                title={t('fraud.title', { extension: a.extension })}
                withBorder
                onClose={() => dismissFraud(a.key)}
                closeButtonProps={{ 'aria-label': t('common.close') }}
              >
                <Text size="sm">{a.reason}</Text>
                <Anchor
                  component={Link}
                  to="/outbound-routes#blocked"
                  size="sm"
                  onClick={() => dismissFraud(a.key)}
                >
                  {t('fraud.open')}
                </Anchor>
              </Notification>
            ))}
          </Stack>
        ) : null}
        {limits.length > 0 ? (
          <Stack gap="xs" aria-label={t('limitAlerts.region')} role="region">
            {limits.map((a) => (
              <Notification
                key={a.key}
                color={a.event.type === 'limit.warning' ? 'orange' : 'red'}
                role="alert"
                data-limit={a.event.limit}
                data-kind={a.event.type}
                title={t(`limitAlerts.${limitTitle(a.event)}`)}
                withBorder
                onClose={() => dismissLimit(a.key)}
                closeButtonProps={{ 'aria-label': t('common.close') }}
              >
                <LimitText event={a.event} />
                <Anchor
                  component={Link}
                  to="/outbound-routes#usage"
                  size="sm"
                  onClick={() => dismissLimit(a.key)}
                >
                  {t('limitAlerts.open')}
                </Anchor>
              </Notification>
            ))}
          </Stack>
        ) : null}
      </Stack>
    </Portal>
  );
}
