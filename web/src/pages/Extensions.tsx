/**
 * Extensions of the signed-in admin's or supervisor's tenant: search, list, a new
 * one (its SIP password is shown once, with the provisioning card), the
 * provisioning card of any existing one with a way to issue a new password, and a
 * link to each one's call handling (status, follow-me, secretary; read-only for a
 * supervisor).
 */
import { Alert, Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { Extension, Me } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { fieldError, ProblemAlert } from '../components/Problem';
import { ProvisioningCard } from '../components/ProvisioningCard';

const PAGE = 25;

function useUsers(tenantId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['users', tenantId, 'all'],
    enabled,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/users', {
          params: { path: { tenantId }, query: { limit: 200, sort: 'displayName' } },
        }),
      ),
  });
}

function NewExtension({
  tenantId,
  users,
  onCreated,
  onClose,
}: {
  tenantId: string;
  users: { value: string; label: string }[];
  onCreated: (e: Extension & { sipSecret: string }) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [number, setNumber] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [userId, setUserId] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId } },
          body: { number, displayName, userId },
        }),
      ),
    onSuccess: onCreated,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={create.error} fields={['number', 'displayName', 'userId']} />
        <TextInput
          label={t('extensions.number')}
          required
          inputMode="numeric"
          value={number}
          onChange={(e) => setNumber(e.currentTarget.value)}
          error={fieldError(create.error, 'number')}
          data-autofocus
        />
        <TextInput
          label={t('extensions.name')}
          value={displayName}
          onChange={(e) => setDisplayName(e.currentTarget.value)}
          error={fieldError(create.error, 'displayName')}
        />
        <Select
          label={t('extensions.owner')}
          placeholder={t('extensions.noOwner')}
          data={users}
          value={userId}
          onChange={setUserId}
          clearable
          searchable
          error={fieldError(create.error, 'userId')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Provisioning({ tenantId, ext, secret }: { tenantId: string; ext: Extension; secret?: string }) {
  const { t } = useTranslation();
  const [fresh, setFresh] = useState(secret);
  const reset = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/extensions/{id}/reset-secret', {
          params: { path: { tenantId, id: ext.id } },
          body: {},
        }),
      ),
    onSuccess: (r) => setFresh(r.sipSecret),
  });
  return (
    <Stack>
      {fresh ? (
        <Alert color="yellow" role="status">
          {t('extensions.secretOnce')}
        </Alert>
      ) : null}
      <ProvisioningCard tenantId={tenantId} number={ext.number} secret={fresh} />
      <ProblemAlert error={reset.error} />
      {fresh ? null : (
        <Group justify="space-between">
          <Text size="xs" c="dimmed" maw={300}>
            {t('extensions.resetConfirm')}
          </Text>
          <Button variant="light" color="orange" loading={reset.isPending} onClick={() => reset.mutate()}>
            {t('extensions.resetSecret')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}

export default function Extensions({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const isAdmin = me.role === 'tenant_admin';
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ ext: Extension; secret?: string } | null>(null);
  const list = useQuery({
    queryKey: ['extensions', tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: {
            path: { tenantId },
            query: {
              ...paging.query,
              sort: 'number',
            },
          },
        }),
      ),
  });
  const users = useUsers(tenantId, true);
  const userOptions = (users.data?.items ?? []).map((u) => ({
    value: u.id,
    label: u.displayName ? `${u.displayName} (${u.email})` : u.email,
  }));
  const userName = (id: string | null) =>
    id ? (userOptions.find((u) => u.value === id)?.label ?? id) : t('extensions.noOwner');

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('extensions.title')}</Title>
        {isAdmin ? <Button onClick={() => setCreating(true)}>{t('extensions.add')}</Button> : null}
      </Group>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('extensions.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={620}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('extensions.number')}</Table.Th>
                <Table.Th>{t('extensions.name')}</Table.Th>
                <Table.Th>{t('extensions.owner')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((ext) => (
                <Table.Tr key={ext.id}>
                  <Table.Td fw={600}>{ext.number}</Table.Td>
                  <Table.Td>
                    {ext.displayName}{' '}
                    {ext.dnd ? (
                      <Badge size="xs" color="orange">
                        {t('extensions.dnd')}
                      </Badge>
                    ) : ext.status !== 'available' ? (
                      <Badge size="xs" color="gray">
                        {t(`callHandling.statuses.${ext.status}`)}
                      </Badge>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{userName(ext.userId)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap" justify="flex-end">
                      <Button
                        size="xs"
                        variant="subtle"
                        component={Link}
                        to={`/extensions/${ext.id}/call-handling`}
                        aria-label={t('callHandling.openFor', { number: ext.number })}
                      >
                        {t('callHandling.open')}
                      </Button>
                      {isAdmin ? (
                        <Button
                          size="xs"
                          variant="subtle"
                          onClick={() => setShown({ ext })}
                          aria-label={`${t('extensions.provisioning')} ${ext.number}`}
                        >
                          {t('extensions.provisioning')}
                        </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog opened={creating} onClose={() => setCreating(false)} title={t('extensions.add')}>
        <NewExtension
          tenantId={tenantId}
          users={userOptions}
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setShown({ ext: created, secret: created.sipSecret });
            void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
          }}
        />
      </Dialog>
      <Dialog
        opened={shown !== null}
        onClose={() => setShown(null)}
        size="lg"
        title={shown ? t('extensions.provisioningFor', { number: shown.ext.number }) : ''}
      >
        {shown ? <Provisioning tenantId={tenantId} ext={shown.ext} secret={shown.secret} /> : null}
      </Dialog>
    </Stack>
  );
}
