/**
 * The Queues tab of the Reports page: each queue's service level per threshold,
 * ASA, AHT and abandonment over the period, its calls by day (chart), and its
 * agents' figures — from the stored 15-minute queue statistics.
 */
import { Card, Center, Loader, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../../api/client';
import { ProblemAlert } from '../../components/Problem';

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 1000) / 10}%`);
const sec = (v: number | null) => (v === null ? '—' : `${Math.round(v)} s`);
const hm = (s: number) => `${Math.floor(s / 3600)}:${String(Math.round((s % 3600) / 60)).padStart(2, '0')}`;

export function QueueReport({ tenantId, from, to }: { tenantId: string; from: string; to: string }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ['reports', 'queues', tenantId, from, to],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/reports/queues', {
          params: { path: { tenantId }, query: { from, to } },
        }),
      ),
  });
  if (report.isPending)
    return (
      <Center p="xl">
        <Loader aria-label={t('common.loading')} />
      </Center>
    );
  const queues = report.data?.queues ?? [];
  const thresholds = [...new Set(queues.flatMap((q) => Object.keys(q.serviceLevel)))].sort(
    (a, b) => Number(a) - Number(b),
  );
  // Only a cluster loses callers to a node's death: the column shows when the period had some.
  const nodeFailures = queues.some((q) => q.lostToNodeFailure > 0);
  return (
    <Stack>
      <ProblemAlert error={report.error} />
      {report.data && queues.length === 0 ? <Text c="dimmed">{t('reports.queues.empty')}</Text> : null}
      {queues.length > 0 ? (
        <Card withBorder radius="md">
          <Table.ScrollContainer minWidth={800}>
            <Table striped aria-label={t('reports.tabs.queues')} data-testid="queue-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('reports.queues.queue')}</Table.Th>
                  <Table.Th ta="right">{t('reports.queues.offered')}</Table.Th>
                  <Table.Th ta="right">{t('reports.queues.answered')}</Table.Th>
                  <Table.Th ta="right">{t('reports.queues.abandoned')}</Table.Th>
                  <Table.Th ta="right">{t('reports.queues.abandonRate')}</Table.Th>
                  {nodeFailures ? (
                    <Table.Th ta="right" title={t('reports.queues.lostToNodeFailureHint')}>
                      {t('reports.queues.lostToNodeFailure')}
                    </Table.Th>
                  ) : null}
                  {thresholds.map((s) => (
                    <Table.Th key={s} ta="right">
                      {t('reports.queues.serviceLevel', { sec: s })}
                    </Table.Th>
                  ))}
                  <Table.Th ta="right">{t('reports.queues.asa')}</Table.Th>
                  <Table.Th ta="right">{t('reports.queues.aht')}</Table.Th>
                  <Table.Th ta="right">{t('reports.queues.longestWait')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {queues.map((q) => (
                  <Table.Tr key={q.queueId} data-queue={q.name}>
                    <Table.Th scope="row">{q.name || q.queueId.slice(0, 8)}</Table.Th>
                    <Table.Td ta="right">{q.offered}</Table.Td>
                    <Table.Td ta="right">{q.answered}</Table.Td>
                    <Table.Td ta="right">{q.abandoned}</Table.Td>
                    <Table.Td ta="right">{pct(q.abandonRate)}</Table.Td>
                    {nodeFailures ? <Table.Td ta="right">{q.lostToNodeFailure}</Table.Td> : null}
                    {thresholds.map((s) => (
                      <Table.Td key={s} ta="right">
                        {pct(q.serviceLevel[s] ?? null)}
                      </Table.Td>
                    ))}
                    <Table.Td ta="right">{sec(q.asaSec)}</Table.Td>
                    <Table.Td ta="right">{sec(q.ahtSec)}</Table.Td>
                    <Table.Td ta="right">{sec(q.longestWaitSec)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Text size="xs" c="dimmed" mt="xs">
            {t('reports.queues.definitions')}
          </Text>
        </Card>
      ) : null}
      {queues.map((q) => (
        <Card key={q.queueId} withBorder radius="md">
          <Text fw={600} mb="sm">
            {t('reports.queues.byDay', { queue: q.name })}
          </Text>
          <div style={{ height: 220 }} role="img" aria-label={t('reports.queues.byDay', { queue: q.name })}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={q.byDay} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="date" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="answered" name={t('reports.queues.answered')} stackId="q" fill="#37b24d" />
                <Bar dataKey="abandoned" name={t('reports.queues.abandoned')} stackId="q" fill="#f03e3e" />
              </BarChart>
            </ResponsiveContainer>
          </div>
          {q.agents.length > 0 ? (
            <Table.ScrollContainer minWidth={600}>
              <Table striped mt="sm" aria-label={t('reports.queues.agents', { queue: q.name })}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('reports.queues.agent')}</Table.Th>
                    <Table.Th ta="right">{t('reports.queues.offered')}</Table.Th>
                    <Table.Th ta="right">{t('reports.queues.answered')}</Table.Th>
                    <Table.Th ta="right">{t('reports.queues.missed')}</Table.Th>
                    <Table.Th ta="right">{t('reports.queues.talk')}</Table.Th>
                    <Table.Th ta="right">{t('reports.queues.wrapUp')}</Table.Th>
                    <Table.Th ta="right">{t('reports.queues.pause')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {q.agents.map((a) => (
                    <Table.Tr key={a.agent}>
                      <Table.Th scope="row">{a.agent}</Table.Th>
                      <Table.Td ta="right">{a.offered}</Table.Td>
                      <Table.Td ta="right">{a.answered}</Table.Td>
                      <Table.Td ta="right">{a.missed}</Table.Td>
                      <Table.Td ta="right">{hm(a.talkSec)}</Table.Td>
                      <Table.Td ta="right">{hm(a.wrapUpSec)}</Table.Td>
                      <Table.Td ta="right">{hm(a.pauseSec)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          ) : null}
        </Card>
      ))}
    </Stack>
  );
}
