/**
 * The tenant's API keys: list (prefix, role, last use, expiry), a new key whose
 * token is shown once, and revoking one after a confirmation.
 */
import { Alert, Button, Code, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me, ResponseOf } from '../api/types';
import { Dialog } from '../components/Dialog';
import { fieldError, ProblemAlert } from '../components/Problem';

type ApiKey = ResponseOf<'/api/v1/tenants/{tenantId}/api-keys', 'get'>['items'][number];
type KeyRole = 'tenant_admin' | 'supervisor';

function NewKey({ tenantId, onCreated }: { tenantId: string; onCreated: (token: string) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [role, setRole] = useState<KeyRole>('supervisor');
  const [expiresAt, setExpiresAt] = useState('');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/api-keys', {
          params: { path: { tenantId } },
          body: { name, role, expiresAt: expiresAt ? new Date(`${expiresAt}T23:59:59`).toISOString() : null },
        }),
      ),
    onSuccess: (k) => onCreated(k.token),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={create.error} fields={['name', 'role', 'expiresAt']} />
        <TextInput
          label={t('apiKeys.name')}
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(create.error, 'name')}
          data-autofocus
        />
        <Select
          label={t('apiKeys.role')}
          data={(['tenant_admin', 'supervisor'] as const).map((r) => ({ value: r, label: t(`role.${r}`) }))}
          value={role}
          onChange={(v) => v && setRole(v as KeyRole)}
          allowDeselect={false}
          error={fieldError(create.error, 'role')}
        />
        <TextInput
          label={t('apiKeys.expires')}
          type="date"
          value={expiresAt}
          onChange={(e) => setExpiresAt(e.currentTarget.value)}
          error={fieldError(create.error, 'expiresAt')}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>
            {t('common.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function ApiKeys({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const [creating, setCreating] = useState(false);
  const [token, setToken] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const list = useQuery({
    queryKey: ['api-keys', tenantId],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/api-keys', {
          params: { path: { tenantId }, query: { limit: 200, sort: 'name' } },
        }),
      ),
  });
  const revoke = useMutation({
    mutationFn: (k: ApiKey) =>
      unwrap(
        api.DELETE('/api/v1/tenants/{tenantId}/api-keys/{id}', { params: { path: { tenantId, id: k.id } } }),
      ),
    onSuccess: () => {
      setRevoking(null);
      void client.invalidateQueries({ queryKey: ['api-keys', tenantId] });
    },
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'short' });
  const date = (s: string | null, none: string) => (s ? when.format(new Date(s)) : none);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('apiKeys.title')}</Title>
        <Button onClick={() => setCreating(true)}>{t('apiKeys.add')}</Button>
      </Group>
      {token ? (
        <Alert color="yellow" withCloseButton onClose={() => setToken(null)} role="status">
          <Stack gap="xs">
            <Text size="sm">{t('apiKeys.token')}</Text>
            <Code block data-testid="api-key-token">
              {token}
            </Code>
          </Stack>
        </Alert>
      ) : null}
      <ProblemAlert error={list.error ?? revoke.error} />
      {list.data?.items.length === 0 ? <Text c="dimmed">{t('apiKeys.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={600}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('apiKeys.name')}</Table.Th>
                <Table.Th>{t('apiKeys.prefix')}</Table.Th>
                <Table.Th>{t('apiKeys.role')}</Table.Th>
                <Table.Th>{t('apiKeys.lastUsed')}</Table.Th>
                <Table.Th>{t('apiKeys.expires')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((k) => (
                <Table.Tr key={k.id}>
                  <Table.Td>{k.name}</Table.Td>
                  <Table.Td>
                    <Code>{k.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>{t(`role.${k.role}`)}</Table.Td>
                  <Table.Td>{date(k.lastUsedAt, t('users.never'))}</Table.Td>
                  <Table.Td>{date(k.expiresAt, t('apiKeys.noExpiry'))}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" color="red" onClick={() => setRevoking(k)}>
                      {t('apiKeys.revoke')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Dialog opened={creating} onClose={() => setCreating(false)} title={t('apiKeys.add')}>
        <NewKey
          tenantId={tenantId}
          onCreated={(tok) => {
            setCreating(false);
            setToken(tok);
            void client.invalidateQueries({ queryKey: ['api-keys', tenantId] });
          }}
        />
      </Dialog>
      <Dialog opened={revoking !== null} onClose={() => setRevoking(null)} title={t('apiKeys.revoke')}>
        <Stack>
          <Text>{t('apiKeys.revokeConfirm', { name: revoking?.name ?? '' })}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              {t('common.cancel')}
            </Button>
            <Button
              color="red"
              loading={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking)}
            >
              {t('apiKeys.revoke')}
            </Button>
          </Group>
        </Stack>
      </Dialog>
    </Stack>
  );
}
