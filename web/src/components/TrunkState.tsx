/**
 * How a trunk is doing, as coloured badges: its registration (registered,
 * registering, failed with the carrier's last error, not registering), its OPTIONS
 * health (up with the round trip, down, not checked), or disabled. The operator's
 * list shows the whole status; the tenant's pages show the one word the API gives
 * them (`state`).
 */
import { Badge, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Trunk } from '../api/types';
import { trunksEn } from '../i18n/trunks';

type KnownState = keyof typeof trunksEn.trunks.states;
const isKnown = (s: string): s is KnownState => Object.hasOwn(trunksEn.trunks.states, s);

const COLORS: Record<KnownState, string> = {
  registered: 'teal',
  up: 'teal',
  registering: 'yellow',
  failed: 'red',
  down: 'red',
  stopped: 'gray',
  disabled: 'gray',
  unknown: 'gray',
  none: 'gray',
};

/** One state word of the API (registered, failed, up, down, disabled…) as a badge. */
export function TrunkStateBadge({ state, label }: { state: string; label?: string }) {
  const { t } = useTranslation();
  const known = isKnown(state);
  return (
    <Badge
      color={known ? COLORS[state] : 'gray'}
      variant={state === 'disabled' || state === 'none' ? 'outline' : 'light'}
      data-state={state}
      style={{ textTransform: 'none' }}
    >
      {label ?? (known ? t(`trunks.states.${state}`) : state)}
    </Badge>
  );
}

function time(iso: string | null, lang: string): string {
  return iso ? new Date(iso).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }) : '';
}

/** The operator's view of a trunk's live status: registration and health badges, and why it failed. */
export function TrunkLiveState({ trunk }: { trunk: Pick<Trunk, 'enabled' | 'status'> }) {
  const { t, i18n } = useTranslation();
  if (!trunk.enabled)
    return (
      <Group gap={4} data-testid="trunk-state">
        <TrunkStateBadge state="disabled" />
      </Group>
    );
  const status = trunk.status;
  if (!status)
    return (
      <Group gap={4} data-testid="trunk-state">
        <TrunkStateBadge state="none" />
      </Group>
    );
  const reg = status.registration;
  const health = status.health;
  return (
    <Stack gap={2} data-testid="trunk-state">
      <Group gap={4}>
        {reg ? <TrunkStateBadge state={reg.state} /> : null}
        <TrunkStateBadge
          state={health.state}
          label={
            health.state === 'up' && health.rttMs !== null
              ? t('trunks.upIn', { ms: Math.round(health.rttMs) })
              : undefined
          }
        />
      </Group>
      {status.registeredBy ? (
        // In a cluster one node registers the trunk; the others show which one (their own registration is none).
        <Text size="xs" c="dimmed" data-testid="trunk-registered-by">
          {t('trunks.registeredBy', { node: status.registeredBy })}
        </Text>
      ) : null}
      {reg?.state === 'registered' && reg.expiresAt ? (
        <Text size="xs" c="dimmed">
          {t('trunks.registeredUntil', { time: time(reg.expiresAt, i18n.language) })}
        </Text>
      ) : null}
      {reg?.state === 'failed' || (reg?.state === 'registering' && reg.lastError) ? (
        <Text size="xs" c="red" data-testid="trunk-error">
          {t('trunks.lastError', {
            error: [reg.lastStatus, reg.lastError].filter((x) => x !== null && x !== '').join(' '),
          })}
          {reg.nextAttemptAt
            ? ` · ${t('trunks.nextAttempt', { time: time(reg.nextAttemptAt, i18n.language) })}`
            : ''}
        </Text>
      ) : null}
    </Stack>
  );
}
