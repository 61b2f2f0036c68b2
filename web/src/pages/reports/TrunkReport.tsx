/**
 * The Trunks tab of the Reports page: each trunk's calls, minutes and peak of
 * concurrent channels in the period, a chart of the daily peaks (hourly for a
 * short period), and a link from each trunk to its calls.
 */
import { Anchor, Card, Center, Loader, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../../api/client';
import { callsLink } from '../../components/CallFilters';
import { ProblemAlert } from '../../components/Problem';

const COLORS = ['#228be6', '#f76707', '#37b24d', '#ae3ec9', '#f03e3e', '#1098ad'];

export function TrunkReport({ tenantId, from, to }: { tenantId: string; from: string; to: string }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ['reports', 'trunks', tenantId, from, to],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/reports/trunks', {
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
  const trunks = report.data?.trunks ?? [];
  // Hours when the server gave them (a short period), else days; one line per trunk.
  const hourly = trunks.some((x) => x.byHour.length > 0);
  const points = new Map<string, Record<string, number | string>>();
  for (const x of trunks)
    for (const p of hourly
      ? x.byHour.map((h) => ({ at: h.hour, peak: h.peak }))
      : x.byDay.map((d) => ({ at: d.date, peak: d.peak }))) {
      const row = points.get(p.at) ?? { at: p.at };
      row[x.trunk] = p.peak;
      points.set(p.at, row);
    }
  const data = [...points.values()].sort((a, b) => String(a.at).localeCompare(String(b.at)));
  return (
    <Stack>
      <ProblemAlert error={report.error} />
      {report.data && trunks.length === 0 ? <Text c="dimmed">{t('reports.trunks.empty')}</Text> : null}
      {trunks.length > 0 ? (
        <>
          <Card withBorder radius="md">
            <Table striped aria-label={t('reports.tabs.trunks')} data-testid="trunk-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('reports.trunks.trunk')}</Table.Th>
                  <Table.Th ta="right">{t('reports.trunks.calls')}</Table.Th>
                  <Table.Th ta="right">{t('reports.trunks.answered')}</Table.Th>
                  <Table.Th ta="right">{t('reports.trunks.minutes')}</Table.Th>
                  <Table.Th ta="right">{t('reports.trunks.peak')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {trunks.map((x) => (
                  <Table.Tr key={x.trunk} data-trunk={x.trunk}>
                    <Table.Th scope="row">{x.trunk}</Table.Th>
                    <Table.Td ta="right">
                      <Anchor component={Link} to={callsLink({ from, to, trunk: x.trunk })}>
                        {x.calls}
                      </Anchor>
                    </Table.Td>
                    <Table.Td ta="right">{x.answered}</Table.Td>
                    <Table.Td ta="right">{x.minutes}</Table.Td>
                    <Table.Td ta="right">{x.peak}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
          <Card withBorder radius="md">
            <Text fw={600} mb="sm" id="trunk-peaks">
              {t(hourly ? 'reports.trunks.byHour' : 'reports.trunks.byDay')}
            </Text>
            <div
              role="img"
              aria-labelledby="trunk-peaks"
              aria-describedby="trunk-peaks-desc"
              style={{ height: 260 }}
            >
              <span id="trunk-peaks-desc" hidden>
                {t('reports.trunks.chart')}
              </span>
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="at" />
                  <YAxis allowDecimals={false} />
                  <Tooltip />
                  <Legend />
                  {trunks.map((x, i) => (
                    <Line
                      key={x.trunk}
                      type="stepAfter"
                      dataKey={x.trunk}
                      stroke={COLORS[i % COLORS.length]}
                      dot={false}
                      isAnimationActive={false}
                    />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          </Card>
        </>
      ) : null}
    </Stack>
  );
}
