/**
 * Ring groups of the tenant: list, and a dialog to create or change one — how
 * members are rung, the members in order (extensions of the tenant, each with a
 * delay and a ring time), how long the whole group rings, whether busy members are
 * skipped, a caller-ID prefix and where an unanswered call goes. Supervisors see
 * the same, read-only. Deleting a group something still routes to shows the
 * server's answer naming what.
 */
import {
  Button,
  Fieldset,
  Group,
  NumberInput,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Destination, Me, RingGroup, RingGroupBody, RingStrategy } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { DestinationPicker, type RoutingOptions, useRoutingOptions } from '../components/DestinationPicker';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { FieldErrorText, fieldError, ProblemAlert, useRevealError } from '../components/Problem';
import { moved, OrderButtons, RowActions } from '../components/RowActions';

const PAGE = 25;
export const STRATEGIES = [
  'simultaneous',
  'sequential',
  'memoryHunt',
  'random',
  'firstAvailable',
] as const satisfies readonly RingStrategy[];

/** A member as the form holds it: the number inputs may be empty while typed. */
interface MemberDraft {
  number: string;
  delaySec: number | string;
  timeoutSec: number | string;
}

const whole = (v: number | string, fallback: number) => (typeof v === 'number' ? v : fallback);

function RingGroupForm({
  tenantId,
  group,
  canWrite,
  options,
  onDone,
  onClose,
}: {
  tenantId: string;
  group: RingGroup | null;
  canWrite: boolean;
  options: RoutingOptions;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(group?.name ?? '');
  const [number, setNumber] = useState(group?.number ?? '');
  const [strategy, setStrategy] = useState<RingStrategy>(group?.strategy ?? 'simultaneous');
  const [members, setMembers] = useState<MemberDraft[]>(group?.members ?? []);
  const [ringTimeout, setRingTimeout] = useState<number | string>(group?.ringTimeoutSec ?? 60);
  const [skipBusy, setSkipBusy] = useState(group?.skipBusy ?? true);
  const [prefix, setPrefix] = useState(group?.callerIdPrefix ?? '');
  const [timeoutDestination, setTimeoutDestination] = useState<Destination | null>(
    group?.timeoutDestination ?? null,
  );
  const save = useMutation({
    mutationFn: async () => {
      const body: RingGroupBody = {
        name,
        number: number.trim() === '' ? null : number.trim(),
        strategy,
        members: members.map((m) => ({
          number: m.number,
          delaySec: whole(m.delaySec, 0),
          timeoutSec: whole(m.timeoutSec, 20),
        })),
        ringTimeoutSec: whole(ringTimeout, 60),
        skipBusy,
        callerIdPrefix: prefix,
        timeoutDestination,
      };
      if (group)
        return unwrap(
          api.PUT('/api/v1/tenants/{tenantId}/ring-groups/{id}', {
            params: { path: { tenantId, id: group.id } },
            body,
          }),
        );
      return unwrap(
        api.POST('/api/v1/tenants/{tenantId}/ring-groups', { params: { path: { tenantId } }, body }),
      );
    },
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const setMember = (i: number, change: Partial<MemberDraft>) =>
    setMembers((ms) => ms.map((m, j) => (j === i ? { ...m, ...change } : m)));
  const extensionName = (n: string) => options.extensions.find((e) => e.number === n)?.displayName ?? '';
  const candidates = options.extensions
    .filter((e) => !members.some((m) => m.number === e.number))
    .map((e) => ({ value: e.number, label: `${e.number} ${e.displayName}`.trim() }));
  const fields = [
    'name',
    'number',
    'strategy',
    'members',
    'members.*',
    'ringTimeoutSec',
    'skipBusy',
    'callerIdPrefix',
    'timeoutDestination.*',
  ];
  const membersError = fieldError(save.error, 'members');
  const form = useRef<HTMLFormElement>(null);
  useRevealError(save.error, form);
  return (
    <form onSubmit={submit} noValidate ref={form}>
      <Stack>
        <ProblemAlert error={save.error} fields={fields} />
        <Fieldset variant="unstyled" disabled={!canWrite} p={0}>
          <Stack>
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <TextInput
                label={t('ringGroups.name')}
                required
                value={name}
                maxLength={100}
                onChange={(e) => setName(e.currentTarget.value)}
                error={fieldError(save.error, 'name')}
                data-autofocus
              />
              <TextInput
                label={t('ringGroups.number')}
                description={t('ringGroups.numberHint')}
                inputMode="numeric"
                autoComplete="off"
                value={number}
                maxLength={8}
                onChange={(e) => setNumber(e.currentTarget.value.replace(/\D/g, ''))}
                error={fieldError(save.error, 'number')}
              />
            </SimpleGrid>
            <Radio.Group
              label={t('ringGroups.strategy')}
              value={strategy}
              onChange={(v) => setStrategy(v as RingStrategy)}
              error={fieldError(save.error, 'strategy')}
            >
              <Stack gap={8} mt={6}>
                {STRATEGIES.map((s) => (
                  <Radio
                    key={s}
                    value={s}
                    label={t(`ringGroups.strategies.${s}`)}
                    description={t(`ringGroups.strategyHints.${s}`)}
                  />
                ))}
              </Stack>
            </Radio.Group>

            <Stack gap="xs">
              <Title order={3} size="h5">
                {t('ringGroups.members')}
              </Title>
              {members.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {t('ringGroups.noMembers')}
                </Text>
              ) : (
                <Table.ScrollContainer minWidth={460}>
                  <Table verticalSpacing={4} aria-label={t('ringGroups.members')}>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>#</Table.Th>
                        <Table.Th>{t('ringGroups.member')}</Table.Th>
                        <Table.Th>{t('ringGroups.delay')}</Table.Th>
                        <Table.Th>{t('ringGroups.timeout')}</Table.Th>
                        <Table.Th>
                          <VisuallyHidden>{t('routing.order')}</VisuallyHidden>
                        </Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {members.map((m, i) => {
                        const who = `${m.number} ${extensionName(m.number)}`.trim();
                        const numberError = fieldError(save.error, `members.${i}.number`);
                        return (
                          <Table.Tr key={m.number} aria-label={t('ringGroups.memberRow', { n: i + 1, who })}>
                            <Table.Td>{i + 1}</Table.Td>
                            <Table.Td>
                              <Text size="sm" fw={600}>
                                {m.number}
                              </Text>
                              <Text size="xs" c="dimmed">
                                {extensionName(m.number)}
                              </Text>
                              <FieldErrorText>{numberError}</FieldErrorText>
                            </Table.Td>
                            <Table.Td>
                              <NumberInput
                                aria-label={t('ringGroups.delayOf', { who })}
                                size="xs"
                                w={90}
                                min={0}
                                max={120}
                                allowDecimal={false}
                                allowNegative={false}
                                value={m.delaySec}
                                onChange={(v) => setMember(i, { delaySec: v })}
                                error={fieldError(save.error, `members.${i}.delaySec`)}
                              />
                            </Table.Td>
                            <Table.Td>
                              <NumberInput
                                aria-label={t('ringGroups.timeoutOf', { who })}
                                size="xs"
                                w={90}
                                min={5}
                                max={300}
                                allowDecimal={false}
                                allowNegative={false}
                                value={m.timeoutSec}
                                onChange={(v) => setMember(i, { timeoutSec: v })}
                                error={fieldError(save.error, `members.${i}.timeoutSec`)}
                              />
                            </Table.Td>
                            <Table.Td>
                              <OrderButtons
                                index={i}
                                count={members.length}
                                label={who}
                                disabled={!canWrite}
                                onMove={(from, to) => setMembers((ms) => moved(ms, from, to))}
                                onRemove={() => setMembers((ms) => ms.filter((_, j) => j !== i))}
                              />
                            </Table.Td>
                          </Table.Tr>
                        );
                      })}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
              <FieldErrorText>{membersError}</FieldErrorText>
              {canWrite ? (
                <Select
                  label={t('ringGroups.addMember')}
                  placeholder={t('ringGroups.addMemberPlaceholder')}
                  data={candidates}
                  value={null}
                  onChange={(n) => {
                    if (n) setMembers((ms) => [...ms, { number: n, delaySec: 0, timeoutSec: 20 }]);
                  }}
                  searchable
                  nothingFoundMessage={t('destination.nothingFound')}
                  maw={{ base: '100%', xs: 320 }}
                />
              ) : null}
            </Stack>

            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <NumberInput
                label={t('ringGroups.ringTimeout')}
                description={t('ringGroups.ringTimeoutHint')}
                min={5}
                max={900}
                allowDecimal={false}
                allowNegative={false}
                value={ringTimeout}
                onChange={setRingTimeout}
                error={fieldError(save.error, 'ringTimeoutSec')}
              />
              <TextInput
                label={t('ringGroups.callerIdPrefix')}
                description={t('ringGroups.callerIdPrefixHint')}
                value={prefix}
                maxLength={30}
                onChange={(e) => setPrefix(e.currentTarget.value)}
                error={fieldError(save.error, 'callerIdPrefix')}
              />
            </SimpleGrid>
            <Switch
              label={t('ringGroups.skipBusy')}
              description={t('ringGroups.skipBusyHint')}
              checked={skipBusy}
              onChange={(e) => setSkipBusy(e.currentTarget.checked)}
            />
            <DestinationPicker
              label={t('ringGroups.timeoutDestination')}
              value={timeoutDestination}
              onChange={setTimeoutDestination}
              options={options}
              error={save.error}
              field="timeoutDestination"
              optional
              noneLabel={t('ringGroups.timeoutNone')}
              exclude={group?.id}
            />
          </Stack>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {canWrite ? t('common.cancel') : t('common.close')}
          </Button>
          {canWrite ? (
            <Button type="submit" loading={save.isPending}>
              {group ? t('common.save') : t('common.create')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}

export default function RingGroups({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const paging = useListPage(PAGE);
  // On a phone the editor takes the whole screen.
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const { search, page } = paging;
  const [editing, setEditing] = useState<RingGroup | 'new' | null>(null);
  const [deleting, setDeleting] = useState<RingGroup | null>(null);
  const options = useRoutingOptions(tenantId);
  const list = useQuery({
    queryKey: ['ringGroups', tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/ring-groups', {
          params: { path: { tenantId }, query: { ...paging.query, sort: 'name' } },
        }),
      ),
  });
  const changed = () => void client.invalidateQueries({ queryKey: ['ringGroups', tenantId] });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('ringGroups.title')}</Title>
        {canWrite ? <Button onClick={() => setEditing('new')}>{t('ringGroups.add')}</Button> : null}
      </Group>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('ringGroups.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={560}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('ringGroups.name')}</Table.Th>
                <Table.Th>{t('ringGroups.number')}</Table.Th>
                <Table.Th>{t('ringGroups.strategy')}</Table.Th>
                <Table.Th>{t('ringGroups.memberCount')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((g) => (
                <Table.Tr key={g.id}>
                  <Table.Td fw={600}>{g.name}</Table.Td>
                  <Table.Td>{g.number ?? t('common.none')}</Table.Td>
                  <Table.Td>{t(`ringGroups.strategies.${g.strategy}`)}</Table.Td>
                  <Table.Td>{g.members.length}</Table.Td>
                  <Table.Td>
                    <RowActions
                      name={g.name}
                      canWrite={canWrite}
                      onEdit={() => setEditing(g)}
                      onDelete={() => setDeleting(g)}
                    />
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
        fullScreen={phone}
        size="xl"
        title={
          editing === 'new'
            ? t('ringGroups.add')
            : editing
              ? t('ringGroups.editTitle', { name: editing.name })
              : ''
        }
      >
        {editing ? (
          <RingGroupForm
            tenantId={tenantId}
            group={editing === 'new' ? null : editing}
            canWrite={canWrite}
            options={options}
            onClose={() => setEditing(null)}
            onDone={() => {
              setEditing(null);
              changed();
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDelete
        target={deleting}
        onClose={() => setDeleting(null)}
        onDelete={(id) =>
          unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/ring-groups/{id}', { params: { path: { tenantId, id } } }),
          )
        }
        onDeleted={() => {
          setDeleting(null);
          changed();
        }}
      />
    </Stack>
  );
}
