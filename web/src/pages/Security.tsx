/**
 * SIP security events: failed sign-ins, bans, scanners, floods, connections and
 * work refused, newest first, refreshed every 10 s. Operators see every event of
 * this node and every ban in force; tenant admins the events that named their SIP
 * domain and the bans of their own users. Either may lift a ban it sees early (the
 * API audits it; in a cluster it is lifted on every node). User names and agents
 * came from the network: React escapes them, and they are shown as text only.
 */
import { Badge, Button, Group, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me, ResponseOf } from '../api/types';
import { fieldError, ProblemAlert } from '../components/Problem';

type Platform = ResponseOf<'/api/v1/platform/security-events', 'get'>;
type Event = Platform['items'][number];
type Kind = Event['kind'];
type Ban = Platform['bans'][number];
const KINDS: readonly Kind[] = [
  'auth-failure',
  'ban',
  'unban',
  'scanner',
  'flood',
  'tenant-flood',
  'connection-limit',
  'overload',
];
const COLOURS: Record<Kind, string> = {
  'auth-failure': 'orange',
  ban: 'red',
  unban: 'green',
  scanner: 'grape',
  flood: 'pink',
  'tenant-flood': 'pink',
  'connection-limit': 'violet',
  overload: 'yellow',
};

export default function Security({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [kind, setKind] = useState<Kind | 'all'>('all');
  const query = { limit: 500, ...(kind === 'all' ? {} : { kind }) };
  const list = useQuery({
    queryKey: ['security-events', me.tenantId, kind],
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
    queryFn: async (): Promise<{ items: Event[]; bans: Ban[] }> =>
      me.tenantId
        ? unwrap(
            api.GET('/api/v1/tenants/{tenantId}/security-events', {
              params: { path: { tenantId: me.tenantId }, query },
            }),
          )
        : unwrap(api.GET('/api/v1/platform/security-events', { params: { query } })),
  });
  const lift = useMutation({
    mutationFn: (b: Ban) =>
      me.tenantId
        ? unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/security/bans/{ip}', {
              params: { path: { tenantId: me.tenantId, ip: b.ip }, query: { user: b.user ?? '' } },
            }),
          )
        : unwrap(
            api.DELETE('/api/v1/platform/security/bans/{ip}', {
              params: { path: { ip: b.ip }, query: b.user === null ? {} : { user: b.user } },
            }),
          ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['security-events', me.tenantId] }),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const detail = (e: Event): string => {
    if (e.kind === 'ban')
      return [
        e.user ?? t('security.wholeAddress'),
        e.until ? t('security.until', { time: when.format(new Date(e.until)) }) : '',
      ]
        .filter(Boolean)
        .join(', ');
    if (e.kind === 'flood' && e.until) return t('security.until', { time: when.format(new Date(e.until)) });
    if (e.kind === 'unban') return t('security.liftedBy', { who: e.reason ?? '' });
    if (e.kind === 'auth-failure' && e.reason && e.reason in REASON_KEYS) return t(REASON_KEYS[e.reason]!);
    return e.reason ?? '';
  };
  const bans = list.data?.bans;
  return (
    <Stack>
      <Title order={2}>{t('security.title')}</Title>
      <Text c="dimmed">{me.tenantId ? t('security.tenantIntro') : t('security.intro')}</Text>
      <ProblemAlert error={list.error ?? lift.error} />
      {bans ? (
        <Stack gap="xs">
          <Title order={4}>{me.tenantId ? t('security.tenantBans') : t('security.bans')}</Title>
          {bans.length === 0 ? <Text c="dimmed">{t('security.noBans')}</Text> : null}
          {bans.length > 0 ? (
            <Stack gap={4}>
              {bans.map((b) => (
                <Group key={`${b.ip} ${b.user ?? ''}`} gap="xs">
                  <Badge color="red" variant="light" tt="none">
                    {b.ip} · {b.user ?? t('security.wholeAddress')} ·{' '}
                    {t('security.until', { time: when.format(new Date(b.until)) })}
                  </Badge>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    loading={lift.isPending && lift.variables === b}
                    aria-label={t('security.liftLabel', {
                      ip: b.ip,
                      user: b.user ?? t('security.wholeAddress'),
                    })}
                    onClick={() => lift.mutate(b)}
                  >
                    {t('security.lift')}
                  </Button>
                </Group>
              ))}
            </Stack>
          ) : null}
        </Stack>
      ) : null}
      {me.tenantId ? null : <AllowList />}
      <SegmentedControl
        w="fit-content"
        value={kind}
        onChange={(v) => setKind(v as Kind | 'all')}
        data={[
          { value: 'all', label: t('security.all') },
          ...KINDS.map((k) => ({ value: k, label: t(`security.kinds.${k}`) })),
        ]}
      />
      {list.data?.items.length === 0 ? <Text c="dimmed">{t('security.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={760}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('security.at')}</Table.Th>
                <Table.Th>{t('security.kind')}</Table.Th>
                <Table.Th>{t('security.address')}</Table.Th>
                <Table.Th>{t('security.user')}</Table.Th>
                <Table.Th>{t('security.domain')}</Table.Th>
                <Table.Th>{t('security.request')}</Table.Th>
                <Table.Th>{t('security.detail')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{when.format(new Date(e.at))}</Table.Td>
                  <Table.Td>
                    <Badge color={COLOURS[e.kind]} variant="light">
                      {t(`security.kinds.${e.kind}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {e.ip}
                    </Text>
                  </Table.Td>
                  <Table.Td>{e.kind === 'ban' ? '' : (e.user ?? '')}</Table.Td>
                  <Table.Td>{e.realm ?? ''}</Table.Td>
                  <Table.Td>{[e.method, e.transport].filter(Boolean).join(' / ')}</Table.Td>
                  <Table.Td>{detail(e)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}

/**
 * The operator's SIP allow-list: addresses and ranges never banned, rate-limited or
 * capped (the office, monitoring). Entries from the node's NIMBUS_SIP_ALLOW are shown
 * but edited only in the node's settings.
 */
function AllowList() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [cidr, setCidr] = useState('');
  const [note, setNote] = useState('');
  const list = useQuery({
    queryKey: ['sip-allow'],
    queryFn: () => unwrap(api.GET('/api/v1/platform/security/allow')),
  });
  const done = () => void client.invalidateQueries({ queryKey: ['sip-allow'] });
  const add = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/platform/security/allow', { body: { cidr: cidr.trim(), note } })),
    onSuccess: () => {
      setCidr('');
      setNote('');
      done();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE('/api/v1/platform/security/allow/{id}', { params: { path: { id } } })),
    onSuccess: done,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <Stack gap="xs">
      <Title order={4}>{t('security.allow.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('security.allow.intro')}
      </Text>
      <ProblemAlert error={list.error ?? remove.error} />
      {list.data && list.data.items.length === 0 && list.data.fromSettings.length === 0 ? (
        <Text c="dimmed">{t('security.allow.empty')}</Text>
      ) : null}
      <Stack gap={4}>
        {list.data?.fromSettings.map((c) => (
          <Group key={`setting ${c}`} gap="xs">
            <Badge color="gray" variant="light" tt="none">
              {c}
            </Badge>
            <Text size="xs" c="dimmed">
              {t('security.allow.fromSettings')}
            </Text>
          </Group>
        ))}
        {list.data?.items.map((e) => (
          <Group key={e.id} gap="xs">
            <Badge color="teal" variant="light" tt="none">
              {e.cidr}
            </Badge>
            {e.note ? <Text size="sm">{e.note}</Text> : null}
            <Button
              size="compact-xs"
              variant="subtle"
              color="red"
              loading={remove.isPending && remove.variables === e.id}
              aria-label={t('security.allow.removeLabel', { cidr: e.cidr })}
              onClick={() => remove.mutate(e.id)}
            >
              {t('security.allow.remove')}
            </Button>
          </Group>
        ))}
      </Stack>
      <form onSubmit={submit} noValidate>
        <Group align="flex-end" gap="xs">
          <TextInput
            label={t('security.allow.cidr')}
            placeholder="192.0.2.0/24"
            value={cidr}
            onChange={(e) => setCidr(e.currentTarget.value)}
            error={fieldError(add.error, 'cidr')}
            required
          />
          <TextInput
            label={t('security.allow.note')}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            maxLength={200}
          />
          <Button type="submit" loading={add.isPending} disabled={!cidr.trim()}>
            {t('security.allow.add')}
          </Button>
        </Group>
      </form>
    </Stack>
  );
}

const REASON_KEYS: Record<
  string,
  `security.reasons.${'unknown-domain' | 'unknown-user' | 'wrong-password' | 'banned'}`
> = {
  'unknown-domain': 'security.reasons.unknown-domain',
  'unknown-user': 'security.reasons.unknown-user',
  'wrong-password': 'security.reasons.wrong-password',
  banned: 'security.reasons.banned',
};
