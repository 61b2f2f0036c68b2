/**
 * The tenant's dashboard: calls in progress and registered phones now, today's
 * numbers, and today's calls by hour as a chart. Starts from the REST snapshot
 * and refetches when the events socket says something changed.
 */
import { Badge, Card, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../api/client';
import type { Me } from '../api/types';
import { ProblemAlert } from '../components/Problem';
import { useLiveEvents } from '../live';

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

/** Re-renders every second while `on` (running call durations). */
function useTick(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

function Stat({ label, value, color }: { label: string; value: string | number; color?: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} c={color}>
        {value}
      </Text>
    </Paper>
  );
}

export default function Dashboard({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const live = useQuery({
    queryKey: ['live', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}/live', { params: { path: { tenantId } } })),
  });
  const today = useQuery({
    queryKey: ['today', tenantId],
    refetchInterval: 60_000,
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/stats/today', { params: { path: { tenantId } } })),
  });
  // Events arrive in bursts (start, answer, end within a second): refetch once per burst.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const connected = useLiveEvents(null, (e) => {
    if (e.type === 'hello') return;
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      void client.invalidateQueries({ queryKey: ['live', tenantId] });
      if (e.type === 'call.ended') void client.invalidateQueries({ queryKey: ['today', tenantId] });
    }, 300);
  });
  useEffect(() => () => void (pending.current && clearTimeout(pending.current)), []);
  const calls = live.data?.calls ?? [];
  const now = useTick(calls.length > 0);
  const regs = live.data?.registrations ?? [];
  const devices = regs.flatMap((r) => r.devices.map((d) => ({ ...d, extension: r.extension })));
  const day = today.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('dashboard.title')}</Title>
        <Badge color={connected ? 'green' : 'gray'} variant="dot" role="status">
          {connected ? t('dashboard.live') : t('dashboard.offline')}
        </Badge>
      </Group>
      <ProblemAlert error={live.error ?? today.error} />
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
        <Stat label={t('dashboard.inProgress')} value={calls.length} />
        <Stat label={t('dashboard.registered')} value={regs.length} />
        <Stat label={t('dashboard.today')} value={day?.total ?? '—'} />
        <Stat label={t('dashboard.answered')} value={day?.answered ?? '—'} color="green" />
        <Stat label={t('dashboard.missed')} value={day?.missed ?? '—'} color="red" />
        <Stat label={t('dashboard.avgTalk')} value={day ? clock(day.averageTalkSeconds) : '—'} />
      </SimpleGrid>
      <Card withBorder radius="md">
        <Text fw={600} mb="sm" id="by-hour">
          {t('dashboard.byHour')}
        </Text>
        <div role="img" aria-labelledby="by-hour" aria-describedby="by-hour-desc" style={{ height: 240 }}>
          <span id="by-hour-desc" hidden>
            {t('dashboard.chartLabel')}
          </span>
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={day?.hours ?? []} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="hour" tickFormatter={(h: number) => String(h).padStart(2, '0')} />
              <YAxis allowDecimals={false} />
              <Tooltip labelFormatter={(h) => `${t('dashboard.hour')} ${String(h).padStart(2, '0')}:00`} />
              <Legend />
              <Bar dataKey="answered" name={t('dashboard.answered')} stackId="c" fill="#37b24d" />
              <Bar dataKey="missed" name={t('dashboard.missed')} stackId="c" fill="#f03e3e" />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder radius="md">
          <Text fw={600} mb="sm">
            {t('dashboard.inProgress')}
          </Text>
          {calls.length === 0 ? (
            <Text c="dimmed" size="sm">
              {t('dashboard.noCalls')}
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={320}>
              <Table>
                <Table.Tbody>
                  {calls.map((c) => (
                    <Table.Tr key={c.id}>
                      <Table.Td>
                        {c.caller} → {c.callee}
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={c.state === 'answered' ? 'green' : 'blue'}>
                          {c.state === 'answered' ? t('dashboard.talking') : t('dashboard.ringing')}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">
                        {clock((now - Date.parse(c.answeredAt ?? c.startedAt)) / 1000)}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
        <Card withBorder radius="md">
          <Text fw={600} mb="sm">
            {t('dashboard.registered')}
          </Text>
          {devices.length === 0 ? (
            <Text c="dimmed" size="sm">
              {t('dashboard.noDevices')}
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={360}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('dashboard.extension')}</Table.Th>
                    <Table.Th>{t('dashboard.device')}</Table.Th>
                    <Table.Th>{t('dashboard.address')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {devices.map((d) => (
                    <Table.Tr key={`${d.extension}/${d.contact}`}>
                      <Table.Td fw={600}>{d.extension}</Table.Td>
                      <Table.Td>{d.userAgent ?? '—'}</Table.Td>
                      <Table.Td>
                        {d.transport} {d.address}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
