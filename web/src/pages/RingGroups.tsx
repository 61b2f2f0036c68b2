/**
 * Ring groups of the tenant: list, and a dialog to create or change one — how
 * members are rung, the members in order (extensions of the tenant, each with a
 * delay and a ring time), how long the whole group rings, whether busy members are
 * skipped, a caller-ID prefix and where an unanswered call goes. Supervisors see
 * the same, read-only. Deleting a group something still routes to shows the
 * server's answer naming what.
 */
import {
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
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Destination, Me, RingGroup, RingGroupBody, RingStrategy } from '../api/types';
import { DestinationPicker, type RoutingOptions, useRoutingOptions } from '../components/DestinationPicker';
import { FieldErrorText, fieldError } from '../components/Problem';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';
import { RoutingNameFields } from '../components/RoutingNameFields';
import { moved, OrderButtons } from '../components/RowActions';

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

function RingGroupForm({ options, ...editor }: RoutingEditorProps<RingGroup> & { options: RoutingOptions }) {
  const { t } = useTranslation();
  const { item: group, canWrite } = editor;
  const [name, setName] = useState(group?.name ?? '');
  const [number, setNumber] = useState(group?.number ?? '');
  const [strategy, setStrategy] = useState<RingStrategy>(group?.strategy ?? 'simultaneous');
  const [members, setMembers] = useState<MemberDraft[]>(group?.members ?? []);
  const [ringTimeout, setRingTimeout] = useState<number | string>(group?.ringTimeoutSec ?? 60);
  const [skipBusy, setSkipBusy] = useState(group?.skipBusy ?? true);
  const [confirmExternal, setConfirmExternal] = useState(group?.confirmExternal ?? true);
  const [prefix, setPrefix] = useState(group?.callerIdPrefix ?? '');
  const [timeoutDestination, setTimeoutDestination] = useState<Destination | null>(
    group?.timeoutDestination ?? null,
  );
  const save = useSaveRouting('ringGroups', editor);
  const body = (): RingGroupBody => ({
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
    confirmExternal,
    callerIdPrefix: prefix,
    timeoutDestination,
  });
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
    'confirmExternal',
    'callerIdPrefix',
    'timeoutDestination.*',
  ];
  const membersError = fieldError(save.error, 'members');
  return (
    <RoutingForm editor={editor} save={save} body={body} fields={fields}>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <RoutingNameFields
          labels={{
            name: t('ringGroups.name'),
            number: t('ringGroups.number'),
            numberHint: t('ringGroups.numberHint'),
          }}
          name={name}
          number={number}
          onName={setName}
          onNumber={setNumber}
          error={save.error}
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
      <Switch
        label={t('ringGroups.confirmExternal')}
        description={t('ringGroups.confirmExternalHint')}
        checked={confirmExternal}
        onChange={(e) => setConfirmExternal(e.currentTarget.checked)}
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
    </RoutingForm>
  );
}

export default function RingGroups({ me }: { me: Me }) {
  const { t } = useTranslation();
  const options = useRoutingOptions(me.tenantId!);
  return (
    <RoutingListPage
      me={me}
      kind="ringGroups"
      minWidth={560}
      columns={[
        { title: t('ringGroups.name'), cell: (g) => g.name, td: { fw: 600 } },
        { title: t('ringGroups.number'), cell: (g) => g.number ?? t('common.none') },
        { title: t('ringGroups.strategy'), cell: (g) => t(`ringGroups.strategies.${g.strategy}`) },
        { title: t('ringGroups.memberCount'), cell: (g) => g.members.length },
      ]}
      editor={(props) => <RingGroupForm {...props} options={options} />}
    />
  );
}
