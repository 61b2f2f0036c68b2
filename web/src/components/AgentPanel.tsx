/**
 * A queue agent's own panel in the softphone: the queues their extension answers,
 * its state in each, logging in and out of the dynamic ones, and pausing with a
 * reason (one pause covers every queue) and back. Shown only to an extension that
 * is a member of some queue. Kept live by the events socket (queue.updated), with
 * a slow poll as a fallback. Also the agent-state badge and the pause reasons the
 * wallboard shares.
 */
import { Badge, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { AgentState, BodyOf, QueueAgent, QueueLive } from '../api/types';
import { type LiveEvent, useLiveEvents } from '../live';
import { FieldErrorText, fieldError, ProblemAlert } from './Problem';

export const AGENT_STATE_COLORS: Record<AgentState, string> = {
  available: 'green',
  ringing: 'blue',
  busy: 'red',
  wrapUp: 'orange',
  paused: 'yellow',
  loggedOut: 'gray',
  unregistered: 'dark',
};

/** Pause reasons offered; stored as these codes and shown translated (anything else: as typed). */
export const PAUSE_REASONS = ['break', 'lunch', 'training'] as const;

/** The events socket's message about a queue: the same shape as one queues-live item. */
export interface QueueUpdated {
  type: 'queue.updated';
  tenantId: string;
  queue: QueueLive;
}

/** The event as a queue update, or null. */
export function queueUpdate(e: LiveEvent): QueueUpdated | null {
  const event = e as LiveEvent | QueueUpdated;
  return event.type === 'queue.updated' ? event : null;
}

export function AgentStateBadge({ state, size = 'md' }: { state: AgentState; size?: 'md' | 'lg' | 'xl' }) {
  const { t } = useTranslation();
  return (
    <Badge color={AGENT_STATE_COLORS[state]} size={size} variant="filled" data-state={state}>
      {t(`agentStates.${state}`)}
    </Badge>
  );
}

/** A stored pause reason in the reader's language. */
export function usePauseReasonText(): (reason: string | null | undefined) => string {
  const { t } = useTranslation();
  return (reason) =>
    !reason
      ? ''
      : (PAUSE_REASONS as readonly string[]).includes(reason)
        ? t(`pauseReasons.${reason as (typeof PAUSE_REASONS)[number]}`)
        : reason;
}

export type AgentChange = BodyOf<'/api/v1/tenants/{tenantId}/queue-agents/{number}', 'patch'>;

/** PATCH queue-agents/{number}: log in or out, pause or unpause. */
export function changeAgent(tenantId: string, number: string, body: AgentChange): Promise<QueueAgent> {
  return unwrap(
    api.PATCH('/api/v1/tenants/{tenantId}/queue-agents/{number}', {
      params: { path: { tenantId, number } },
      body,
    }),
  );
}

/** Calls `onChange` (once per burst) when a queue `number` answers changes: the socket opens only for an agent. */
function FollowQueues({ number, onChange }: { number: string; onChange: () => void }) {
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLiveEvents(null, (e) => {
    const update = queueUpdate(e);
    if (!update?.queue.agents.some((a) => a.number === number) || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      onChange();
    }, 200);
  });
  useEffect(() => () => void (pending.current && clearTimeout(pending.current)), []);
  return null;
}

export function AgentPanel({ tenantId, number }: { tenantId: string; number: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const key = ['queueAgent', tenantId, number];
  const agent = useQuery({
    queryKey: key,
    // The socket keeps it fresh; the poll covers a socket that is down.
    refetchInterval: 30_000,
    retry: false,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/queue-agents/{number}', {
          params: { path: { tenantId, number } },
        }),
      ),
  });
  const change = useMutation({
    mutationFn: (body: AgentChange) => changeAgent(tenantId, number, body),
    onSuccess: (data) => client.setQueryData(key, data),
  });
  const [reason, setReason] = useState<string>('break');
  const [other, setOther] = useState('');
  const reasonText = usePauseReasonText();
  const data = agent.data;
  // Not an agent (no queue has this extension), or the queues are not running: nothing to show.
  if (!data || data.queues.length === 0) return null;
  const pause = (e: FormEvent) => {
    e.preventDefault();
    const text = reason === 'other' ? other.trim() : reason;
    change.mutate({ paused: true, ...(text ? { pauseReason: text } : {}) });
  };
  return (
    <Card
      withBorder
      radius="md"
      component="section"
      aria-labelledby="agent-panel-title"
      data-testid="agent-panel"
    >
      <FollowQueues number={number} onChange={() => void client.invalidateQueries({ queryKey: key })} />
      <Stack>
        <Group justify="space-between" wrap="wrap">
          <Title order={3} size="h4" id="agent-panel-title">
            {t('agentPanel.title')}
          </Title>
          <Badge
            color={data.paused ? 'yellow' : 'green'}
            variant="light"
            size="lg"
            role="status"
            data-testid="agent-pause"
          >
            {data.paused
              ? data.pauseReason
                ? t('agentPanel.paused', { reason: reasonText(data.pauseReason) })
                : t('agentPanel.pausedNoReason')
              : t('agentPanel.working')}
          </Badge>
        </Group>
        <ProblemAlert error={change.error} fields={['pauseReason']} />
        {data.paused ? (
          <Button
            color="green"
            onClick={() => change.mutate({ paused: false })}
            loading={change.isPending}
            style={{ alignSelf: 'flex-start' }}
          >
            {t('agentPanel.unpause')}
          </Button>
        ) : (
          <form onSubmit={pause}>
            <Group align="flex-end" wrap="wrap" gap="sm">
              <Select
                label={t('agentPanel.reason')}
                data={[...PAUSE_REASONS, 'other'].map((r) => ({
                  value: r,
                  label: t(`pauseReasons.${r as (typeof PAUSE_REASONS)[number] | 'other'}`),
                }))}
                value={reason}
                onChange={(r) => r && setReason(r)}
                allowDeselect={false}
                w={180}
              />
              {reason === 'other' ? (
                <TextInput
                  label={t('agentPanel.otherReason')}
                  value={other}
                  maxLength={60}
                  onChange={(e) => setOther(e.currentTarget.value)}
                  error={fieldError(change.error, 'pauseReason')}
                  w={200}
                />
              ) : null}
              <Button type="submit" color="yellow" loading={change.isPending}>
                {t('agentPanel.pause')}
              </Button>
            </Group>
          </form>
        )}
        <Table.ScrollContainer minWidth={300}>
          <Table verticalSpacing="xs" aria-labelledby="agent-panel-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('agentPanel.queue')}</Table.Th>
                <Table.Th>{t('agentPanel.state')}</Table.Th>
                <Table.Th>{t('agentPanel.login')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.queues.map((q) => {
                const name = q.number ? `${q.number} ${q.name}` : q.name;
                return (
                  <Table.Tr key={q.id} aria-label={t('agentPanel.queueRow', { name })}>
                    <Table.Td fw={600}>{name}</Table.Td>
                    <Table.Td>
                      <AgentStateBadge state={q.state} />
                    </Table.Td>
                    <Table.Td>
                      {q.static ? (
                        <Text size="sm" c="dimmed">
                          {t('agentPanel.always')}
                        </Text>
                      ) : (
                        <Button
                          size="xs"
                          variant={q.loggedIn ? 'default' : 'filled'}
                          aria-label={
                            q.loggedIn
                              ? t('agentPanel.logOutOf', { queue: name })
                              : t('agentPanel.logInTo', { queue: name })
                          }
                          disabled={change.isPending}
                          onClick={() => change.mutate({ loggedIn: !q.loggedIn, queues: [q.id] })}
                        >
                          {q.loggedIn ? t('agentPanel.logOut') : t('agentPanel.logIn')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <FieldErrorText>{fieldError(change.error, 'queues.0')}</FieldErrorText>
      </Stack>
    </Card>
  );
}
