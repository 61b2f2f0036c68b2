/** The operator's view of this node: database, Redis, process, SIP, media workers, tenants; refreshed every 5 s. */
import { Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { ProblemAlert } from '../components/Problem';

function duration(sec: number, lang: string): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const unit = (n: number, u: 'day' | 'hour' | 'minute') =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'short' }).format(n);
  return [d ? unit(d, 'day') : '', h ? unit(h, 'hour') : '', unit(m, 'minute')].filter(Boolean).join(' ');
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="lg">
        {value}
      </Text>
    </div>
  );
}

export default function Health() {
  const { t, i18n } = useTranslation();
  const health = useQuery({
    queryKey: ['platform-health'],
    refetchInterval: 5000,
    queryFn: () => unwrap(api.GET('/api/v1/platform/health')),
  });
  const h = health.data;
  const check = (name: string) => h?.checks.find((c) => c.name === name);
  const state = (name: string) => {
    const c = check(name);
    if (!c) return <Badge color="gray">{t('health.notUsed')}</Badge>;
    return (
      <Badge color={c.ok ? 'green' : 'red'} variant="light">
        {c.ok ? t('health.ok', { ms: c.ms }) : t('health.failing')}
      </Badge>
    );
  };
  return (
    <Stack>
      <Title order={2}>{t('health.title')}</Title>
      <ProblemAlert error={health.error} />
      {h ? (
        <>
          <Text c="dimmed">
            {t('health.version', { version: h.node.version })} ·{' '}
            {t('health.uptime', { time: duration(h.node.uptimeSec, i18n.language) })}
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            <Card withBorder radius="md">
              <Stack gap="xs">
                <Group justify="space-between">
                  <Text fw={600}>{t('health.database')}</Text>
                  {state('database')}
                </Group>
                <Text size="sm">{t(`health.${h.node.database}`)}</Text>
                <Group justify="space-between">
                  <Text fw={600}>{t('health.redis')}</Text>
                  {state('redis')}
                </Group>
              </Stack>
            </Card>
            <Card withBorder radius="md">
              <Stack gap={4}>
                <Text fw={600}>{t('health.process')}</Text>
                <Text size="sm">
                  {t('health.memory', { rss: h.process.rssMB, heap: h.process.heapUsedMB })}
                </Text>
                <Text size="sm">{t('health.cpu', { cpu: h.process.cpuPercent })}</Text>
                <Text size="sm">{t('health.loop', { ms: h.process.eventLoopDelayP99Ms })}</Text>
              </Stack>
            </Card>
            <Card withBorder radius="md">
              <Text fw={600} mb="xs">
                {t('health.sip')}
              </Text>
              <SimpleGrid cols={3}>
                <Figure label={t('health.registrations')} value={h.sip.registrations} />
                <Figure label={t('health.calls')} value={h.sip.activeCalls} />
                <Figure label={t('health.connections')} value={h.sip.connections} />
              </SimpleGrid>
            </Card>
            <Card withBorder radius="md">
              <Stack gap={4}>
                <Text fw={600}>{t('health.media')}</Text>
                {h.media ? (
                  <>
                    <Text size="sm">
                      {t('health.workers', {
                        count: h.media.workers,
                        min: h.media.portMin,
                        max: h.media.portMax,
                      })}
                    </Text>
                    <Text size="sm">
                      {t('health.endpoints', { list: h.media.endpointsPerWorker.join(' / ') })}
                    </Text>
                  </>
                ) : (
                  <Text size="sm">{t('health.noMedia')}</Text>
                )}
              </Stack>
            </Card>
            <Card withBorder radius="md">
              <Figure label={t('health.tenants')} value={h.tenants.total} />
            </Card>
          </SimpleGrid>
        </>
      ) : null}
    </Stack>
  );
}
