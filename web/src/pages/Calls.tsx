/**
 * Call history: the tenant's calls for admins and supervisors, a user's own
 * extensions' calls for a user (the server filters), newest first, searchable;
 * an external call priced by the operator's rate deck shows what it cost.
 */
import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { CallRecord, Me } from '../api/types';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { ProblemAlert } from '../components/Problem';
import { formatMoney } from '../money';

const PAGE = 25;

function duration(c: CallRecord): string {
  if (!c.answeredAt || !c.endedAt) return '—';
  const s = Math.max(0, Math.round((Date.parse(c.endedAt) - Date.parse(c.answeredAt)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const RESULT_COLOR: Record<string, string> = { answered: 'green', ringing: 'blue', interrupted: 'red' };

export default function Calls({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const tenantId = me.tenantId!;
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const list = useQuery({
    queryKey: ['calls', tenantId, search, page],
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/calls', {
          params: {
            path: { tenantId },
            query: { ...paging.query },
          },
        }),
      ),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  // Answered calls say so; others say why they ended (a cause unknown to the portal shows as sent).
  const resultOf = (c: CallRecord): string => {
    const key = c.answeredAt
      ? 'answered'
      : c.status === 'ringing' || c.status === 'interrupted'
        ? c.status
        : c.cause;
    return key ? t(`callResult.${key}` as 'callResult.answered', { defaultValue: key }) : c.status;
  };
  return (
    <Stack>
      <Title order={2}>{t('calls.title')}</Title>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('calls.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={720}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('calls.started')}</Table.Th>
                <Table.Th>{t('calls.from')}</Table.Th>
                <Table.Th>{t('calls.to')}</Table.Th>
                <Table.Th>{t('calls.duration')}</Table.Th>
                <Table.Th>{t('calls.result')}</Table.Th>
                <Table.Th>{t('calls.quality')}</Table.Th>
                <Table.Th ta="right">{t('calls.cost')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((c) => (
                <Table.Tr key={c.id} data-callee={c.callee}>
                  <Table.Td>{when.format(new Date(c.startedAt))}</Table.Td>
                  <Table.Td>
                    {c.caller}
                    {c.callerName ? (
                      <Text span c="dimmed" size="sm">
                        {' '}
                        {c.callerName}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{c.callee}</Table.Td>
                  <Table.Td>{duration(c)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={RESULT_COLOR[c.status] ?? 'gray'}>
                      {resultOf(c)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{c.mos !== null ? c.mos.toFixed(1) : '—'}</Table.Td>
                  <Table.Td ta="right" data-testid="call-cost" style={{ fontVariantNumeric: 'tabular-nums' }}>
                    {c.cost !== null ? formatMoney(c.cost, i18n.language) : '—'}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
    </Stack>
  );
}
