/**
 * Fraud alerts for administrators while the portal is open: when the fraud rule
 * stops an extension's external calls (a `fraud.blocked` event on the events
 * WebSocket), a red notification in the corner names the extension and why, with
 * a link to the blocked extensions (where it is unblocked). The tenant's extension
 * lists are read again, so they show the block at once.
 */
import { Anchor, Notification, Portal, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useLiveEvents } from '../live';

interface FraudAlert {
  key: number;
  extension: string;
  reason: string;
}

let nextKey = 1;

export function FraudAlerts({ tenantId }: { tenantId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [alerts, setAlerts] = useState<FraudAlert[]>([]);
  useLiveEvents(null, (e) => {
    if (e.type !== 'fraud.blocked') return;
    setAlerts((old) => [...old.slice(-4), { key: nextKey++, extension: e.extension, reason: e.reason }]);
    void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
  });
  const dismiss = (key: number) => setAlerts((old) => old.filter((a) => a.key !== key));
  if (alerts.length === 0) return null;
  return (
    <Portal>
      <Stack
        gap="xs"
        aria-label={t('fraud.region')}
        role="region"
        style={{
          position: 'fixed',
          top: 68,
          right: 16,
          zIndex: 400,
          width: 'min(380px, calc(100vw - 32px))',
        }}
      >
        {alerts.map((a) => (
          <Notification
            key={a.key}
            color="red"
            role="alert"
            title={t('fraud.title', { extension: a.extension })}
            withBorder
            onClose={() => dismiss(a.key)}
            closeButtonProps={{ 'aria-label': t('common.close') }}
          >
            <Text size="sm">{a.reason}</Text>
            <Anchor component={Link} to="/outbound-routes#blocked" size="sm" onClick={() => dismiss(a.key)}>
              {t('fraud.open')}
            </Anchor>
          </Notification>
        ))}
      </Stack>
    </Portal>
  );
}
