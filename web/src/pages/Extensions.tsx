/**
 * Extensions of the signed-in admin's or supervisor's tenant: search, list, a new
 * one (its SIP password is shown once, with the provisioning card), the
 * provisioning card of any existing one with a way to issue a new password, and a
 * link to each one's call handling (status, follow-me, secretary; read-only for a
 * supervisor). An admin edits an extension's name, owner and external calls (the
 * call class, the caller ID they show, how many at once); an extension whose
 * external calls are blocked (by the fraud rule or by hand) shows it in red, in
 * the list and the editor, with Unblock — and an admin may block one by hand.
 * The editor also sets whether its calls are recorded (always, on demand, never;
 * for calls in and out, internal and external).
 */
import {
  Alert,
  Badge,
  Button,
  Fieldset,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { CallClass, Extension, ExtensionPatch, Me } from '../api/types';
import { CALL_CLASSES } from '../call-classes';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import {
  callerIdOf,
  callerIdOptions,
  callerIdValue,
  useSetBlocked,
  useTenantNumbers,
} from '../components/OutboundCalling';
import { fieldError, ProblemAlert } from '../components/Problem';
import { ProvisioningCard } from '../components/ProvisioningCard';
import { type ExtensionRecording, ExtensionRecordingFields } from '../components/RecordingPolicy';

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

/** The red alert of an extension whose external calls are blocked: why, and Unblock. */
function BlockedAlert({
  number,
  reason,
  pending,
  onUnblock,
}: {
  number: string;
  reason: string;
  pending: boolean;
  onUnblock: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Alert color="red" title={t('extensionEditor.blockedTitle')} role="alert" data-testid="external-blocked">
      <Stack gap="xs">
        <Text size="sm">{reason}</Text>
        <Group>
          <Button
            size="xs"
            color="red"
            loading={pending}
            onClick={onUnblock}
            aria-label={t('blocked.unblockNamed', { number })}
          >
            {t('extensionEditor.unblock')}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/** Blocking an extension's external calls by hand, saying why. */
function BlockByHand({
  pending,
  error,
  onBlock,
}: {
  pending: boolean;
  error: unknown;
  onBlock: (reason: string) => void;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  return (
    <Stack gap={4}>
      <Text size="sm" c="dimmed">
        {t('extensionEditor.notBlocked')}
      </Text>
      <Group align="flex-end" gap="xs">
        <TextInput
          label={t('extensionEditor.blockReason')}
          placeholder={t('extensionEditor.blockReasonDefault')}
          maxLength={200}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={fieldError(error, 'externalBlocked')}
          style={{ flex: 1 }}
        />
        <Button
          variant="light"
          color="red"
          loading={pending}
          onClick={() => onBlock(reason.trim() || t('extensionEditor.blockReasonDefault'))}
        >
          {t('extensionEditor.block')}
        </Button>
      </Group>
    </Stack>
  );
}

function EditExtension({
  tenantId,
  ext,
  users,
  onSaved,
  onClose,
}: {
  tenantId: string;
  ext: Extension;
  users: { value: string; label: string }[];
  onSaved: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const numbers = useTenantNumbers(tenantId);
  const [displayName, setDisplayName] = useState(ext.displayName);
  const [userId, setUserId] = useState<string | null>(ext.userId);
  const [callClass, setCallClass] = useState<CallClass>(ext.callClass);
  const [callerId, setCallerId] = useState<string | null>(ext.outboundCallerId);
  const [maxExternal, setMaxExternal] = useState<number | string>(ext.maxExternalCalls ?? '');
  const [recording, setRecording] = useState<ExtensionRecording>(ext.recording);
  // Blocking and unblocking are saved at once, apart from the form.
  const [blocked, setBlocked] = useState(ext.externalBlocked);
  const block = useSetBlocked(tenantId);
  const setBlock = (reason: string | null) =>
    block.mutate(
      { id: ext.id, number: ext.number, reason },
      { onSuccess: (after) => setBlocked(after.externalBlocked) },
    );
  const save = useMutation({
    mutationFn: () => {
      const body: ExtensionPatch = {
        displayName,
        userId,
        callClass,
        outboundCallerId: callerId,
        // Empty: no limit of its own (the tenant's still applies).
        maxExternalCalls: typeof maxExternal === 'number' ? maxExternal : null,
        recording,
      };
      return unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/extensions/{id}', {
          params: { path: { tenantId, id: ext.id } },
          body,
        }),
      );
    },
    onSuccess: onSaved,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const err = (field: string) => fieldError(save.error, field);
  return (
    <Stack>
      {blocked ? (
        <BlockedAlert
          number={ext.number}
          reason={blocked}
          pending={block.isPending}
          onUnblock={() => setBlock(null)}
        />
      ) : null}
      <ProblemAlert error={block.error} fields={['externalBlocked']} />
      <form onSubmit={submit} noValidate>
        <Stack>
          <ProblemAlert
            error={save.error}
            fields={[
              'displayName',
              'userId',
              'callClass',
              'outboundCallerId',
              'maxExternalCalls',
              'recording.*',
            ]}
          />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <TextInput
              label={t('extensions.name')}
              maxLength={100}
              value={displayName}
              onChange={(e) => setDisplayName(e.currentTarget.value)}
              error={err('displayName')}
              data-autofocus
            />
            <Select
              label={t('extensions.owner')}
              placeholder={t('extensions.noOwner')}
              data={users}
              value={userId}
              onChange={setUserId}
              clearable
              searchable
              error={err('userId')}
            />
          </SimpleGrid>
          <Fieldset legend={t('extensionEditor.externalCalls')}>
            <Stack gap="lg">
              <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
                <Select
                  label={t('extensionEditor.callClass')}
                  description={t('extensionEditor.callClassHint')}
                  data={CALL_CLASSES.map((c) => ({ value: c, label: t(`callClass.${c}`) }))}
                  value={callClass}
                  onChange={(v) => v && setCallClass(v as CallClass)}
                  allowDeselect={false}
                  error={err('callClass')}
                />
                <NumberInput
                  label={t('extensionEditor.maxExternalCalls')}
                  description={t('extensionEditor.maxExternalCallsHint')}
                  min={0}
                  max={1000}
                  allowDecimal={false}
                  allowNegative={false}
                  value={maxExternal}
                  onChange={setMaxExternal}
                  error={err('maxExternalCalls')}
                />
                <Select
                  label={t('extensionEditor.outboundCallerId')}
                  data={callerIdOptions(numbers.data ?? [], callerId, {
                    none: t('extensionEditor.outboundDefault'),
                    anonymous: t('extensionEditor.outboundAnonymous'),
                  })}
                  value={callerIdValue(callerId)}
                  onChange={(v) => setCallerId(callerIdOf(v))}
                  allowDeselect={false}
                  error={err('outboundCallerId')}
                />
              </SimpleGrid>
              {blocked ? null : (
                <BlockByHand
                  pending={block.isPending}
                  error={block.error}
                  onBlock={(reason) => setBlock(reason)}
                />
              )}
            </Stack>
          </Fieldset>
          <ExtensionRecordingFields value={recording} onChange={setRecording} error={save.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
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
  const [editing, setEditing] = useState<Extension | null>(null);
  const unblock = useSetBlocked(tenantId);
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
                <Table.Tr
                  key={ext.id}
                  bg={ext.externalBlocked ? 'var(--mantine-color-red-light)' : undefined}
                >
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
                    {ext.externalBlocked ? (
                      <Text
                        size="xs"
                        c="red"
                        fw={600}
                        data-testid="external-blocked"
                        title={ext.externalBlocked}
                      >
                        {t('blocked.badge')}: {ext.externalBlocked}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{userName(ext.userId)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap" justify="flex-end">
                      {isAdmin && ext.externalBlocked ? (
                        <Button
                          size="xs"
                          color="red"
                          variant="light"
                          loading={unblock.isPending && unblock.variables?.id === ext.id}
                          onClick={() => unblock.mutate({ id: ext.id, number: ext.number, reason: null })}
                          aria-label={t('blocked.unblockNamed', { number: ext.number })}
                        >
                          {t('blocked.unblock')}
                        </Button>
                      ) : null}
                      {isAdmin ? (
                        <Button
                          size="xs"
                          variant="subtle"
                          onClick={() => setEditing(ext)}
                          aria-label={t('extensionEditor.editNamed', { number: ext.number })}
                        >
                          {t('extensionEditor.edit')}
                        </Button>
                      ) : null}
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
      <ProblemAlert error={unblock.error} />
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={paging.setPage} />
      <Dialog
        opened={editing !== null}
        onClose={() => setEditing(null)}
        size="lg"
        title={editing ? t('extensionEditor.title', { number: editing.number }) : ''}
      >
        {editing ? (
          <EditExtension
            tenantId={tenantId}
            ext={editing}
            users={userOptions}
            onClose={() => {
              setEditing(null);
              void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
            }}
            onSaved={() => {
              setEditing(null);
              void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
            }}
          />
        ) : null}
      </Dialog>
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
