/**
 * Call reports for managers over a period picked from presets (computed in the
 * browser's day): totals, calls by day as a stacked chart (a day's bar offers
 * that day's calls as CSV), a weekday × hour heatmap as a table, each
 * extension's load, and outside callers whose missed calls nobody returned.
 * The server counts days and hours in the tenant's time zone.
 * Every figure links to the call history filtered to the calls behind it (a day,
 * a weekday × hour cell across the period, an extension, a missed caller); the
 * Queues, Trunks and Scheduled emails tabs are in ./reports/.
 */
import {
  Anchor,
  Button,
  Card,
  Center,
  Group,
  Loader,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../api/client';
import type { Me } from '../api/types';
import { callsLink } from '../components/CallFilters';
import { ProblemAlert } from '../components/Problem';
import { QueueReport } from './reports/QueueReport';
import { ReportSchedules } from './reports/ReportSchedules';
import { TrunkReport } from './reports/TrunkReport';
import { zonedDayStart } from './reports/zone';

export type Preset = 'today' | 'week' | 'month30' | 'thisMonth';
const PRESETS: readonly Preset[] = ['today', 'week', 'month30', 'thisMonth'];

/** The period of a preset in the browser's day: from a midnight to the coming midnight (exclusive). */
export function periodOf(preset: Preset, now = new Date()): { from: Date; to: Date } {
  const y = now.getFullYear();
  const m = now.getMonth();
  const d = now.getDate();
  const to = new Date(y, m, d + 1);
  const from =
    preset === 'today'
      ? new Date(y, m, d)
      : preset === 'week'
        ? new Date(y, m, d - 6)
        : preset === 'month30'
          ? new Date(y, m, d - 29)
          : new Date(y, m, 1);
  return { from, to };
}

/** YYYY-MM-DD of a date in the browser's day. */
function ymd(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** Seconds as h:mm. */
export function hmm(seconds: number): string {
  const minutes = Math.round(Math.max(0, seconds) / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}

function Stat({
  label,
  value,
  note,
  color,
  link,
}: {
  label: string;
  value: string;
  note?: string;
  color?: string;
  /** The call history filtered to the calls this figure counts. */
  link?: string;
}) {
  return (
    <Paper withBorder p="md" radius="md" role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Group gap="xs" align="baseline">
        {link ? (
          <Anchor component={Link} to={link} size="xl" fw={700} c={color} data-testid="stat-value">
            {value}
          </Anchor>
        ) : (
          <Text size="xl" fw={700} c={color} data-testid="stat-value">
            {value}
          </Text>
        )}
        {note ? (
          <Text size="sm" c="dimmed" data-testid="stat-note">
            {note}
          </Text>
        ) : null}
      </Group>
    </Paper>
  );
}

const TABS = ['calls', 'queues', 'trunks', 'schedules'] as const;
type Tab = (typeof TABS)[number];

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

export default function Reports({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const tenantId = me.tenantId!;
  const [preset, setPreset] = useState<Preset>('week');
  const [day, setDay] = useState<string | null>(null);
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '')
    ? (params.get('tab') as Tab)
    : 'calls';
  const { from, to } = periodOf(preset);
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  const report = useQuery({
    enabled: tab === 'calls',
    queryKey: ['reports', tenantId, fromIso, toIso],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/reports/calls', {
          params: { path: { tenantId }, query: { from: fromIso, to: toIso } },
        }),
      ),
  });
  const lang = i18n.language;
  const dateFmt = new Intl.DateTimeFormat(lang, { dateStyle: 'medium' });
  const when = new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'short' });
  // 1 January 2024 was a Monday.
  const weekdayName = (wd: number) =>
    new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2024, 0, wd)),
    );
  const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
  const exportUrl = (format: 'csv' | 'xlsx', a: Date, b: Date) =>
    `/api/v1/tenants/${tenantId}/calls/export.${format}?from=${encodeURIComponent(a.toISOString())}&to=${encodeURIComponent(b.toISOString())}`;
  // A day of the report is the tenant's day (the server counted in its zone); before the
  // report has loaded, the browser's.
  const dayPeriod = (date: string) => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const zone = report.data?.timeZone;
    if (zone) return { a: zonedDayStart(y, m, d, zone), b: zonedDayStart(y, m, d + 1, zone) };
    return { a: new Date(y, m - 1, d), b: new Date(y, m - 1, d + 1) };
  };
  const dayLink = (date: string) => {
    const { a, b } = dayPeriod(date);
    return callsLink({ from: a.toISOString(), to: b.toISOString() });
  };
  const period = { from: fromIso, to: toIso };

  const data = report.data;
  const totals = data?.totals;
  // Every day of the period, with the server's days (in the tenant's zone) merged in.
  const days = new Map<string, { date: string; answered: number; missed: number; other: number }>();
  for (let at = new Date(from); at < to; at = new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1))
    days.set(ymd(at), { date: ymd(at), answered: 0, missed: 0, other: 0 });
  for (const row of data?.byDay ?? [])
    days.set(row.date, {
      date: row.date,
      answered: row.answered,
      missed: row.missed,
      other: Math.max(0, row.calls - row.answered - row.missed),
    });
  const byDay = [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
  const dayLabel = (date: string) => {
    const { a } = dayPeriod(date);
    return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' }).format(a);
  };
  const cells = new Map((data?.heatmap ?? []).map((c) => [`${c.weekday}/${c.hour}`, c]));
  const busiest = Math.max(1, ...(data?.heatmap ?? []).map((c) => c.calls));
  const extensions = [...(data?.byExtension ?? [])].sort(
    (a, b) => b.calls - a.calls || a.number.localeCompare(b.number),
  );

  return (
    <Stack>
      <Title order={2}>{t('reports.title')}</Title>
      <SegmentedControl
        value={tab}
        onChange={(v) =>
          setParams(
            (old) => {
              const next = new URLSearchParams(old);
              if (v === 'calls') next.delete('tab');
              else next.set('tab', v);
              return next;
            },
            { replace: true },
          )
        }
        data={TABS.map((v) => ({ value: v, label: t(`reports.tabs.${v}`) }))}
        w="fit-content"
      />
      {tab === 'schedules' ? <ReportSchedules tenantId={tenantId} /> : null}
      {tab === 'schedules' ? null : (
        <Group justify="space-between" align="flex-end">
          <Stack gap={4}>
            <fieldset aria-label={t('reports.period')} style={{ border: 0, padding: 0, margin: 0 }}>
              <Button.Group>
                {PRESETS.map((p) => (
                  <Button
                    key={p}
                    variant={p === preset ? 'filled' : 'default'}
                    aria-pressed={p === preset}
                    onClick={() => {
                      setPreset(p);
                      setDay(null);
                    }}
                  >
                    {t(`reports.presets.${p}`)}
                  </Button>
                ))}
              </Button.Group>
            </fieldset>
            <Text size="sm" c="dimmed" data-testid="report-range">
              {t('reports.range', {
                from: dateFmt.format(from),
                to: dateFmt.format(new Date(to.getFullYear(), to.getMonth(), to.getDate() - 1)),
              })}
            </Text>
          </Stack>
          {tab === 'calls' ? (
            <Group gap="xs">
              {(['csv', 'xlsx'] as const).map((format) => (
                <Button
                  key={format}
                  component="a"
                  variant="default"
                  href={exportUrl(format, from, to)}
                  download
                >
                  {t(format === 'csv' ? 'reports.exportCsv' : 'reports.exportXlsx')}
                </Button>
              ))}
            </Group>
          ) : null}
        </Group>
      )}
      {tab === 'queues' ? <QueueReport tenantId={tenantId} from={fromIso} to={toIso} /> : null}
      {tab === 'trunks' ? <TrunkReport tenantId={tenantId} from={fromIso} to={toIso} /> : null}
      {tab === 'calls' ? (
        <>
          <ProblemAlert error={report.error} />
          {report.isPending ? (
            <Center p="xl" aria-live="polite">
              <Loader aria-label={t('common.loading')} />
            </Center>
          ) : null}
          {data && totals ? (
            <>
              <Text size="sm" c="dimmed">
                {t('reports.timeZone', { zone: data.timeZone })}
              </Text>
              <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }}>
                <Stat label={t('reports.calls')} value={String(totals.calls)} link={callsLink(period)} />
                <Stat
                  label={t('reports.answered')}
                  value={String(totals.answered)}
                  link={callsLink({ ...period, disposition: 'answered' })}
                  note={t('reports.percent', { percent: percent(totals.answered, totals.calls) })}
                  color="green"
                />
                <Stat
                  label={t('reports.missed')}
                  value={String(totals.missed)}
                  link={callsLink({ ...period, direction: 'inbound,internal', disposition: 'unanswered' })}
                  note={t('reports.percent', { percent: percent(totals.missed, totals.calls) })}
                  color="red"
                />
                <Stat label={t('reports.talkTime')} value={hmm(totals.talkSec)} />
                <Stat
                  label={t('reports.avgAnswer')}
                  value={
                    totals.avgAnswerSec === null
                      ? '—'
                      : t('reports.seconds', {
                          sec: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(
                            totals.avgAnswerSec,
                          ),
                        })
                  }
                />
              </SimpleGrid>
              {totals.calls === 0 ? (
                <Text c="dimmed">{t('reports.empty')}</Text>
              ) : (
                <>
                  <Card withBorder radius="md">
                    <Text fw={600} mb="sm" id="report-by-day">
                      {t('reports.byDay')}
                    </Text>
                    <div
                      role="img"
                      aria-labelledby="report-by-day"
                      aria-describedby="report-by-day-desc"
                      style={{ height: 260 }}
                    >
                      <span id="report-by-day-desc" hidden>
                        {t('reports.byDayChart')}
                      </span>
                      <ResponsiveContainer width="100%" height="100%">
                        <BarChart data={byDay} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                          <CartesianGrid strokeDasharray="3 3" vertical={false} />
                          <XAxis dataKey="date" tickFormatter={dayLabel} />
                          <YAxis allowDecimals={false} />
                          <Tooltip labelFormatter={(d) => dateFmt.format(dayPeriod(String(d)).a)} />
                          <Legend />
                          {(
                            [
                              ['answered', '#37b24d'],
                              ['missed', '#f03e3e'],
                            ] as const
                          ).map(([key, fill]) => (
                            <Bar
                              key={key}
                              dataKey={key}
                              name={t(`reports.${key}`)}
                              stackId="c"
                              fill={fill}
                              cursor="pointer"
                              onClick={(entry) => {
                                const date = (entry as { payload?: { date?: string } }).payload?.date;
                                if (date) setDay(date);
                              }}
                            />
                          ))}
                        </BarChart>
                      </ResponsiveContainer>
                    </div>
                    <Text size="xs" c="dimmed" mt="xs">
                      {t('reports.byDayHint')} {t('reports.drillHint')}{' '}
                      {day ? (
                        <>
                          <Anchor component={Link} to={dayLink(day)} data-testid="day-calls">
                            {t('reports.openCalls')}
                          </Anchor>{' '}
                          <Anchor
                            href={exportUrl('csv', dayPeriod(day).a, dayPeriod(day).b)}
                            download
                            data-testid="day-csv"
                          >
                            {t('reports.dayCsv', { date: dateFmt.format(dayPeriod(day).a) })}
                          </Anchor>
                        </>
                      ) : null}
                    </Text>
                  </Card>
                  <Card withBorder radius="md">
                    <Table.ScrollContainer minWidth={900}>
                      <Table
                        withColumnBorders
                        style={{ tableLayout: 'fixed', fontSize: 'var(--mantine-font-size-xs)' }}
                        aria-label={t('reports.heatmap')}
                      >
                        <Table.Caption style={{ captionSide: 'top', textAlign: 'left' }}>
                          <Text fw={600} c="var(--mantine-color-text)">
                            {t('reports.heatmap')}
                          </Text>
                        </Table.Caption>
                        <Table.Thead>
                          <Table.Tr>
                            <Table.Th style={{ width: 120 }}>{t('reports.weekday')}</Table.Th>
                            {HOURS.map((h) => (
                              <Table.Th key={h} ta="center" px={0} aria-label={`${hh(h)}–${hh(h + 1)}`}>
                                {String(h).padStart(2, '0')}
                              </Table.Th>
                            ))}
                          </Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {WEEKDAYS.map((wd) => (
                            <Table.Tr key={wd}>
                              <Table.Th scope="row">{weekdayName(wd)}</Table.Th>
                              {HOURS.map((h) => {
                                const cell = cells.get(`${wd}/${h}`);
                                const count = cell?.calls ?? 0;
                                const label = t('reports.cell', {
                                  day: weekdayName(wd),
                                  from: hh(h),
                                  to: hh(h + 1),
                                  count,
                                  missed: cell?.missed ?? 0,
                                });
                                const share = count / busiest;
                                return (
                                  <Table.Td
                                    key={h}
                                    ta="center"
                                    px={0}
                                    title={label}
                                    aria-label={label}
                                    style={{
                                      background:
                                        count > 0
                                          ? `rgba(34, 139, 230, ${(0.15 + 0.85 * share).toFixed(2)})`
                                          : undefined,
                                      color: share > 0.55 ? 'white' : undefined,
                                    }}
                                  >
                                    {count > 0 ? (
                                      <Anchor
                                        component={Link}
                                        to={callsLink({ ...period, weekday: wd, hour: h })}
                                        c="inherit"
                                        size="xs"
                                        aria-label={label}
                                      >
                                        {count}
                                      </Anchor>
                                    ) : (
                                      ''
                                    )}
                                  </Table.Td>
                                );
                              })}
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    </Table.ScrollContainer>
                  </Card>
                  <SimpleGrid cols={{ base: 1, md: 2 }}>
                    <Card withBorder radius="md">
                      <Table.ScrollContainer minWidth={420}>
                        <Table striped aria-label={t('reports.byExtension')}>
                          <Table.Caption style={{ captionSide: 'top', textAlign: 'left' }}>
                            <Text fw={600} c="var(--mantine-color-text)">
                              {t('reports.byExtension')}
                            </Text>
                          </Table.Caption>
                          <Table.Thead>
                            <Table.Tr>
                              <Table.Th>{t('reports.extension')}</Table.Th>
                              <Table.Th ta="right">{t('reports.calls')}</Table.Th>
                              <Table.Th ta="right">{t('reports.answered')}</Table.Th>
                              <Table.Th ta="right">{t('reports.missed')}</Table.Th>
                              <Table.Th ta="right">{t('reports.talkTime')}</Table.Th>
                            </Table.Tr>
                          </Table.Thead>
                          <Table.Tbody>
                            {extensions.map((e) => (
                              <Table.Tr key={e.number} data-extension={e.number}>
                                <Table.Th scope="row">{e.number}</Table.Th>
                                <Table.Td ta="right">
                                  <Anchor component={Link} to={callsLink({ ...period, extension: e.number })}>
                                    {e.calls}
                                  </Anchor>
                                </Table.Td>
                                <Table.Td ta="right">{e.answered}</Table.Td>
                                <Table.Td ta="right">{e.missed}</Table.Td>
                                <Table.Td ta="right">{hmm(e.talkSec)}</Table.Td>
                              </Table.Tr>
                            ))}
                          </Table.Tbody>
                        </Table>
                      </Table.ScrollContainer>
                    </Card>
                    <Card withBorder radius="md">
                      {data.missedNotReturned.length === 0 ? (
                        <>
                          <Text fw={600}>{t('reports.missedNotReturned')}</Text>
                          <Text c="dimmed" size="sm">
                            {t('reports.noMissed')}
                          </Text>
                        </>
                      ) : (
                        <Table.ScrollContainer minWidth={360}>
                          <Table striped aria-label={t('reports.missedNotReturned')}>
                            <Table.Caption style={{ captionSide: 'top', textAlign: 'left' }}>
                              <Text fw={600} c="var(--mantine-color-text)">
                                {t('reports.missedNotReturned')}
                              </Text>
                              <Text size="xs" c="dimmed">
                                {t('reports.missedNotReturnedHint')}
                              </Text>
                            </Table.Caption>
                            <Table.Thead>
                              <Table.Tr>
                                <Table.Th>{t('reports.number')}</Table.Th>
                                <Table.Th ta="right">{t('reports.missedCalls')}</Table.Th>
                                <Table.Th>{t('reports.lastMissedAt')}</Table.Th>
                              </Table.Tr>
                            </Table.Thead>
                            <Table.Tbody>
                              {data.missedNotReturned.map((m) => (
                                <Table.Tr key={m.number}>
                                  <Table.Th scope="row">
                                    <Anchor
                                      component={Link}
                                      to={callsLink({
                                        ...period,
                                        number: m.number,
                                        numberSide: 'caller',
                                        numberMatch: 'exact',
                                        direction: 'inbound',
                                        disposition: 'unanswered',
                                      })}
                                    >
                                      {m.number}
                                    </Anchor>
                                  </Table.Th>
                                  <Table.Td ta="right">{m.missedCalls}</Table.Td>
                                  <Table.Td>{when.format(new Date(m.lastMissedAt))}</Table.Td>
                                </Table.Tr>
                              ))}
                            </Table.Tbody>
                          </Table>
                        </Table.ScrollContainer>
                      )}
                    </Card>
                  </SimpleGrid>
                </>
              )}
            </>
          ) : null}
        </>
      ) : null}
    </Stack>
  );
}
