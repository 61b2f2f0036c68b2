/**
 * The audit log: who did what to which object, newest first; a row opens the
 * change as a field-by-field before/after table (web/src/audit-diff.ts). Tenant
 * admins read their tenant's log, operators the platform's.
 */
import { Badge, Button, Code, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me, ResponseOf } from '../api/types';
import { diffRecords, showValue } from '../audit-diff';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { ProblemAlert } from '../components/Problem';

type Entry = ResponseOf<'/api/v1/tenants/{tenantId}/audit-log', 'get'>['items'][number];
const PAGE = 50;

function Changes({ entry }: { entry: Entry }) {
  const { t } = useTranslation();
  const changes = diffRecords(entry.before, entry.after);
  if (changes.length === 0) return <Text c="dimmed">{t('audit.noChanges')}</Text>;
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('audit.field')}</Table.Th>
            <Table.Th>{t('audit.before')}</Table.Th>
            <Table.Th>{t('audit.after')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {changes.map((c) => (
            <Table.Tr key={c.path}>
              <Table.Td>
                <Code>{c.path}</Code>
              </Table.Td>
              <Table.Td bg={c.kind === 'added' ? undefined : 'var(--mantine-color-red-light)'}>
                {showValue(c.before)}
              </Table.Td>
              <Table.Td bg={c.kind === 'removed' ? undefined : 'var(--mantine-color-green-light)'}>
                {showValue(c.after)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export default function Audit({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const [open, setOpen] = useState<Entry | null>(null);
  const query = { ...paging.query };
  const list = useQuery({
    queryKey: ['audit', me.tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: async (): Promise<{ items: Entry[]; total: number }> =>
      me.tenantId
        ? unwrap(
            api.GET('/api/v1/tenants/{tenantId}/audit-log', {
              params: { path: { tenantId: me.tenantId }, query },
            }),
          )
        : unwrap(api.GET('/api/v1/audit-log', { params: { query } })),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  return (
    <Stack>
      <Title order={2}>{t('audit.title')}</Title>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data?.items.length === 0 ? <Text c="dimmed">{t('audit.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('audit.at')}</Table.Th>
                <Table.Th>{t('audit.actor')}</Table.Th>
                <Table.Th>{t('audit.action')}</Table.Th>
                <Table.Th>{t('audit.resource')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{when.format(new Date(e.at))}</Table.Td>
                  <Table.Td>
                    {e.actor.label}
                    {e.ip ? (
                      <Text span size="xs" c="dimmed">
                        {' '}
                        {e.ip}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light">{e.action}</Badge>
                  </Table.Td>
                  <Table.Td>{e.resourceType}</Table.Td>
                  <Table.Td>
                    {e.before || e.after ? (
                      <Button size="xs" variant="subtle" onClick={() => setOpen(e)}>
                        {t('audit.details')}
                      </Button>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog
        opened={open !== null}
        onClose={() => setOpen(null)}
        size="lg"
        title={open ? `${open.action} · ${open.resourceType}` : ''}
      >
        {open ? <Changes entry={open} /> : null}
      </Dialog>
    </Stack>
  );
}
