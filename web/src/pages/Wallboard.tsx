/**
 * The supervisors' wallboard: one card per queue with its waiting callers (how
 * many, the longest wait ticking every second, each caller with their wait, VIPs
 * marked), today's offered / answered / abandoned, the service level of the
 * queue's target threshold as a big figure and a chart of every threshold, ASA
 * and AHT, and its agents with their state, pause reason and calls today — with
 * pause / unpause and log-out (dynamic members) buttons. Starts from GET
 * queues-live and follows the events socket's queue.updated (each carries a whole
 * queue); while the socket is down it polls. Big type: it hangs on a wall, and it
 * works on a phone too.
 */
import {
  Badge,
  Button,
  Card,
  Group,
  Menu,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  LabelList,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { api, unwrap } from '../api/client';
import type { Me, QueueLive } from '../api/types';
import {
  type AgentChange,
  AgentStateBadge,
  changeAgent,
  PAUSE_REASONS,
  queueUpdate,
  usePauseReasonText,
} from '../components/AgentPanel';
import { ProblemAlert } from '../components/Problem';
import { useLiveEvents } from '../live';

/** A queue as last heard of, and when (this browser's clock): waits tick on from there. */
type Board = QueueLive & { receivedAt: number };

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

/** Re-renders every second while `on` (waiting times). */
function useTick(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

/** Colour of a service level against the usual 80 % target. */
function slColor(percent: number | null): string {
  if (percent === null) return 'dimmed';
  return percent >= 80 ? 'green' : percent >= 60 ? 'yellow.7' : 'red';
}

const SL_FILL = { green: '#37b24d', 'yellow.7': '#f59f00', red: '#f03e3e', dimmed: '#adb5bd' } as const;

function Figure({
  label,
  value,
  color,
  big = false,
  note,
}: {
  label: string;
  value: string | number;
  color?: string;
  big?: boolean;
  /** A line under the figure. */
  note?: string;
}) {
  return (
    <Paper withBorder p="sm" radius="md">
      <Text size="sm" c="dimmed" tt="uppercase" fw={700} lh={1.2}>
        {label}
      </Text>
      <Text
        fz={big ? 'clamp(2.5rem, 6vw, 4rem)' : 'clamp(1.6rem, 3.5vw, 2.4rem)'}
        fw={800}
        lh={1.1}
        c={color}
      >
        {value}
      </Text>
      {note ? (
        <Text size="sm" c="dimmed">
          {note}
        </Text>
      ) : null}
    </Paper>
  );
}

function ServiceLevelChart({ queue }: { queue: QueueLive }) {
  const { t } = useTranslation();
  const data = queue.today.serviceLevel.map((s) => ({
    label: t('wallboard.threshold', { sec: s.thresholdSec }),
    // The bar needs a number (no calls yet: none); its label says what is known.
    percent: s.percent === null ? 0 : Math.round(s.percent),
    shown: s.percent === null ? '—' : `${Math.round(s.percent)}%`,
    color: SL_FILL[slColor(s.percent) as keyof typeof SL_FILL],
  }));
  const id = `sl-${queue.id}`;
  return (
    <div>
      <Text size="sm" fw={600} id={id}>
        {t('wallboard.slChart')}
      </Text>
      <div role="img" aria-labelledby={id} aria-describedby={`${id}-desc`} style={{ height: 150 }}>
        <span id={`${id}-desc`} hidden>
          {t('wallboard.slChartLabel')}
          {data.map((d) => ` ${d.label}: ${d.shown}`).join(';')}
        </span>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -20 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 14 }} />
            <YAxis domain={[0, 100]} ticks={[0, 50, 80, 100]} unit="%" tick={{ fontSize: 12 }} />
            <Tooltip formatter={(v) => [`${v}%`, t('wallboard.serviceLevel')]} />
            <Bar dataKey="percent" isAnimationActive={false}>
              <LabelList dataKey="shown" position="top" />
              {data.map((d) => (
                <Cell key={d.label} fill={d.color} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}

function QueueCard({
  queue,
  now,
  onChange,
  busy,
}: {
  queue: Board;
  now: number;
  onChange: (number: string, body: AgentChange) => void;
  busy: boolean;
}) {
  const { t } = useTranslation();
  const reasonText = usePauseReasonText();
  const name = queue.number ? `${queue.number} ${queue.name}` : queue.name;
  const since = Math.max(0, (now - queue.receivedAt) / 1000);
  const waited = (sec: number) => clock(sec + since);
  const target = queue.today.serviceLevel[0] ?? null;
  const titleId = `queue-${queue.id}`;
  return (
    <Card withBorder radius="md" padding="md" component="article" aria-labelledby={titleId}>
      <Stack gap="md">
        <Group justify="space-between" wrap="nowrap">
          <Title order={3} id={titleId} fz="clamp(1.4rem, 3vw, 2rem)">
            {name}
          </Title>
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm">
          <Figure
            label={t('wallboard.waiting')}
            value={queue.waiting.length}
            color={queue.waiting.length > 0 ? 'orange' : undefined}
            big
          />
          <Figure
            label={t('wallboard.longestWait')}
            value={queue.waiting.length > 0 ? waited(queue.longestWaitSec) : '0:00'}
            big
          />
          <Figure
            label={t('wallboard.serviceLevel')}
            note={target ? t('wallboard.serviceLevelWithin', { sec: target.thresholdSec }) : undefined}
            value={target?.percent != null ? `${Math.round(target.percent)}%` : '—'}
            color={slColor(target?.percent ?? null)}
            big
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 3, sm: 5 }} spacing="sm" aria-label={t('wallboard.today')}>
          <Figure label={t('wallboard.offered')} value={queue.today.offered} />
          <Figure label={t('wallboard.answered')} value={queue.today.answered} color="green" />
          <Figure label={t('wallboard.abandoned')} value={queue.today.abandoned} color="red" />
          <Figure
            label={t('wallboard.asa')}
            note={t('wallboard.asaLong')}
            value={queue.today.asaSec === null ? '—' : clock(queue.today.asaSec)}
          />
          <Figure
            label={t('wallboard.aht')}
            note={t('wallboard.ahtLong')}
            value={queue.today.ahtSec === null ? '—' : clock(queue.today.ahtSec)}
          />
        </SimpleGrid>
        <ServiceLevelChart queue={queue} />

        <div>
          <Text fw={700} size="lg" mb={4}>
            {t('wallboard.callers')}
          </Text>
          {queue.waiting.length === 0 ? (
            <Text c="dimmed">{t('wallboard.noCallers')}</Text>
          ) : (
            <Table.ScrollContainer minWidth={300}>
              <Table fz="lg" aria-label={t('wallboard.callersOf', { name })}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('wallboard.position')}</Table.Th>
                    <Table.Th>{t('wallboard.caller')}</Table.Th>
                    <Table.Th ta="right">{t('wallboard.wait')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {queue.waiting.map((w, i) => (
                    <Table.Tr key={w.id}>
                      <Table.Td>{i + 1}</Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="wrap">
                          <Text fw={600} fz="inherit">
                            {w.callerName ? `${w.callerName} (${w.caller})` : w.caller}
                          </Text>
                          {w.priority > 0 ? (
                            <Badge color="grape" variant="filled">
                              {t('wallboard.vip')}
                            </Badge>
                          ) : null}
                          {w.callback ? (
                            <Badge color="cyan" variant="light">
                              {t('wallboard.callbackRequested')}
                            </Badge>
                          ) : null}
                          {w.ringing ? (
                            <Badge color="blue" variant="light">
                              {t('wallboard.beingOffered')}
                            </Badge>
                          ) : null}
                        </Group>
                      </Table.Td>
                      <Table.Td ta="right" ff="monospace">
                        {waited(w.waitSec)}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </div>

        <div>
          <Text fw={700} size="lg" mb={4}>
            {t('wallboard.agents')}
          </Text>
          {queue.agents.length === 0 ? (
            <Text c="dimmed">{t('wallboard.noAgents')}</Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table fz="md" verticalSpacing="xs" aria-label={t('wallboard.agentsOf', { name })}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('wallboard.agent')}</Table.Th>
                    <Table.Th>{t('wallboard.state')}</Table.Th>
                    <Table.Th>{t('wallboard.reason')}</Table.Th>
                    <Table.Th ta="right">{t('wallboard.callsToday')}</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>{t('wallboard.actions')}</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {queue.agents.map((a) => {
                    const who = a.name ? `${a.number} ${a.name}` : a.number;
                    const paused = a.state === 'paused';
                    return (
                      <Table.Tr key={a.number} aria-label={who}>
                        <Table.Td>
                          <Text fw={600} fz="inherit">
                            {who}
                          </Text>
                          {a.static ? (
                            <Text size="xs" c="dimmed">
                              {t('wallboard.static')}
                            </Text>
                          ) : null}
                        </Table.Td>
                        <Table.Td>
                          <AgentStateBadge state={a.state} size="lg" />
                        </Table.Td>
                        <Table.Td>{paused ? reasonText(a.pauseReason) : ''}</Table.Td>
                        <Table.Td ta="right">{a.callsToday}</Table.Td>
                        <Table.Td>
                          <Group gap={4} justify="flex-end" wrap="nowrap">
                            {a.state === 'loggedOut' ? null : paused ? (
                              <Button
                                size="xs"
                                variant="light"
                                color="green"
                                disabled={busy}
                                aria-label={t('wallboard.unpauseAgent', { who })}
                                onClick={() => onChange(a.number, { paused: false })}
                              >
                                {t('wallboard.unpause')}
                              </Button>
                            ) : (
                              <Menu position="bottom-end" withinPortal>
                                <Menu.Target>
                                  <Button
                                    size="xs"
                                    variant="light"
                                    color="yellow"
                                    disabled={busy}
                                    aria-label={t('wallboard.pauseAgent', { who })}
                                  >
                                    {t('wallboard.pause')}
                                  </Button>
                                </Menu.Target>
                                <Menu.Dropdown>
                                  {PAUSE_REASONS.map((r) => (
                                    <Menu.Item
                                      key={r}
                                      onClick={() => onChange(a.number, { paused: true, pauseReason: r })}
                                    >
                                      {t(`pauseReasons.${r}`)}
                                    </Menu.Item>
                                  ))}
                                  <Menu.Item onClick={() => onChange(a.number, { paused: true })}>
                                    {t('pauseReasons.none')}
                                  </Menu.Item>
                                </Menu.Dropdown>
                              </Menu>
                            )}
                            {!a.static && a.state !== 'loggedOut' ? (
                              <Button
                                size="xs"
                                variant="subtle"
                                color="red"
                                disabled={busy}
                                aria-label={t('wallboard.logOutAgent', { who, queue: name })}
                                onClick={() => onChange(a.number, { loggedIn: false, queues: [queue.id] })}
                              >
                                {t('wallboard.logOut')}
                              </Button>
                            ) : null}
                          </Group>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </div>
      </Stack>
    </Card>
  );
}

export default function Wallboard({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const key = ['queuesLive', tenantId];
  const live = useLiveEvents(null, (e) => {
    // (Re)connected: what happened meanwhile is not replayed, so fetch the whole picture.
    if (e.type === 'hello') {
      void client.invalidateQueries({ queryKey: key });
      return;
    }
    const update = queueUpdate(e);
    if (!update) return;
    const board: Board = { ...update.queue, receivedAt: Date.now() };
    client.setQueryData<Board[]>(key, (old) => {
      if (!old) return old;
      const known = old.some((q) => q.id === board.id);
      const next = known ? old.map((q) => (q.id === board.id ? board : q)) : [...old, board];
      return next.sort((a, b) => a.name.localeCompare(b.name));
    });
  });
  const boards = useQuery({
    queryKey: key,
    // Every change comes over the socket; without it, poll.
    refetchInterval: live ? 60_000 : 5_000,
    queryFn: async (): Promise<Board[]> => {
      const list = await unwrap(
        api.GET('/api/v1/tenants/{tenantId}/queues-live', { params: { path: { tenantId } } }),
      );
      const at = Date.now();
      return list.map((q) => ({ ...q, receivedAt: at }));
    },
  });
  const change = useMutation({
    mutationFn: ({ number, body }: { number: string; body: AgentChange }) =>
      changeAgent(tenantId, number, body),
    // The socket brings the new state; fetch anyway in case it is down.
    onSuccess: () => void client.invalidateQueries({ queryKey: key }),
  });
  const list = boards.data ?? [];
  const now = useTick(list.some((q) => q.waiting.length > 0));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('wallboard.title')}</Title>
        <Group gap="sm">
          <Badge color={live ? 'green' : 'gray'} variant="dot" size="lg" role="status">
            {live ? t('wallboard.live') : t('wallboard.offline')}
          </Badge>
          {typeof document !== 'undefined' && document.fullscreenEnabled ? (
            <Button
              variant="default"
              size="xs"
              onClick={() =>
                document.fullscreenElement
                  ? void document.exitFullscreen()
                  : void document.documentElement.requestFullscreen()
              }
            >
              {t('wallboard.fullScreen')}
            </Button>
          ) : null}
        </Group>
      </Group>
      <ProblemAlert error={boards.error ?? change.error} />
      {boards.data && list.length === 0 ? <Text c="dimmed">{t('wallboard.empty')}</Text> : null}
      <SimpleGrid cols={{ base: 1, xl: list.length > 1 ? 2 : 1 }} spacing="md">
        {list.map((q) => (
          <QueueCard
            key={q.id}
            queue={q}
            now={now}
            busy={change.isPending}
            onChange={(number, body) => change.mutate({ number, body })}
          />
        ))}
      </SimpleGrid>
    </Stack>
  );
}
