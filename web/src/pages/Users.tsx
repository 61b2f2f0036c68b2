/**
 * The tenant's users: list, a new user (password given or generated, shown
 * once), and per user role, name, enable/disable and a 2FA reset for a lost phone.
 */
import {
  Alert,
  Badge,
  Button,
  Group,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me, ResponseOf } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { fieldError, ProblemAlert } from '../components/Problem';

type User = ResponseOf<'/api/v1/tenants/{tenantId}/users', 'get'>['items'][number];
type TenantRole = 'tenant_admin' | 'supervisor' | 'user';
const ROLES: TenantRole[] = ['tenant_admin', 'supervisor', 'user'];
const PAGE = 25;

function UserForm({
  tenantId,
  user,
  onDone,
  onClose,
}: {
  tenantId: string;
  user: User | null;
  onDone: (generatedPassword?: string) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(user?.email ?? '');
  const [displayName, setDisplayName] = useState(user?.displayName ?? '');
  const [role, setRole] = useState<TenantRole>((user?.role as TenantRole | undefined) ?? 'user');
  const [password, setPassword] = useState('');
  const [disabled, setDisabled] = useState(user?.disabled ?? false);
  const save = useMutation({
    mutationFn: async (extra: { resetTotp?: boolean } = {}) => {
      const body = { email, displayName, role, disabled, ...(password ? { password } : {}) };
      if (user) {
        await unwrap(
          api.PATCH('/api/v1/tenants/{tenantId}/users/{id}', {
            params: { path: { tenantId, id: user.id } },
            body: { ...body, ...extra },
          }),
        );
        return undefined;
      }
      const created = await unwrap(
        api.POST('/api/v1/tenants/{tenantId}/users', { params: { path: { tenantId } }, body }),
      );
      return created.generatedPassword;
    },
    onSuccess: onDone,
  });
  const fields = ['email', 'displayName', 'role', 'password', 'disabled'];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({});
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={save.error} fields={fields} />
        <TextInput
          label={t('users.email')}
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={fieldError(save.error, 'email')}
          data-autofocus
        />
        <TextInput
          label={t('users.name')}
          value={displayName}
          onChange={(e) => setDisplayName(e.currentTarget.value)}
          error={fieldError(save.error, 'displayName')}
        />
        <Select
          label={t('users.role')}
          data={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
          value={role}
          onChange={(v) => v && setRole(v as TenantRole)}
          allowDeselect={false}
          error={fieldError(save.error, 'role')}
        />
        <PasswordInput
          label={t('users.password')}
          description={t('users.passwordHint')}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={fieldError(save.error, 'password')}
        />
        {user ? (
          <Switch
            label={t('users.disabled')}
            checked={disabled}
            onChange={(e) => setDisabled(e.currentTarget.checked)}
          />
        ) : null}
        <Group justify="space-between">
          {user?.totpEnabled ? (
            <Button variant="light" color="orange" onClick={() => save.mutate({ resetTotp: true })}>
              {t('users.twoFactor')} ✕
            </Button>
          ) : (
            <span />
          )}
          <Group>
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {user ? t('common.save') : t('common.create')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}

export default function Users({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const paging = useListPage(PAGE);
  const { search, page } = paging;
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [generated, setGenerated] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['users', tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/users', {
          params: {
            path: { tenantId },
            query: {
              ...paging.query,
              sort: 'email',
            },
          },
        }),
      ),
  });
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'short' });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('users.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('users.add')}</Button>
      </Group>
      {generated ? (
        <Alert color="yellow" withCloseButton onClose={() => setGenerated(null)} role="status">
          {t('users.generated', { password: generated })}
        </Alert>
      ) : null}
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data?.items.length === 0 ? <Text c="dimmed">{t('users.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={600}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('users.email')}</Table.Th>
                <Table.Th>{t('users.name')}</Table.Th>
                <Table.Th>{t('users.role')}</Table.Th>
                <Table.Th>{t('users.status')}</Table.Th>
                <Table.Th>{t('users.lastLogin')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>{u.email}</Table.Td>
                  <Table.Td>{u.displayName}</Table.Td>
                  <Table.Td>{t(`role.${u.role}`)}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      <Badge variant="light" color={u.disabled ? 'gray' : 'green'}>
                        {u.disabled ? t('users.disabled') : t('users.active')}
                      </Badge>
                      {u.totpEnabled ? <Badge variant="outline">{t('users.twoFactor')}</Badge> : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    {u.lastLoginAt ? when.format(new Date(u.lastLoginAt)) : t('users.never')}
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="subtle"
                      onClick={() => setEditing(u)}
                      aria-label={t('users.edit', { email: u.email })}
                    >
                      ✎
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('users.add') : editing ? t('users.edit', { email: editing.email }) : ''}
      >
        {editing ? (
          <UserForm
            tenantId={tenantId}
            user={editing === 'new' ? null : editing}
            onClose={() => setEditing(null)}
            onDone={(password) => {
              setEditing(null);
              if (password) setGenerated(password);
              void client.invalidateQueries({ queryKey: ['users', tenantId] });
            }}
          />
        ) : null}
      </Dialog>
    </Stack>
  );
}
