/**
 * Call queues of the tenant: list, and a dialog to create or change one — who gets
 * the next call (strategy), the agents (extensions; static or dynamic, penalty
 * tier, weight, skills, calls at once), the skills a call needs as it waits, how
 * agents are rung (ring time, retry, wrap-up, auto-pause), limits and what an
 * empty queue means, announcements, keys a waiting caller may press, VIP callers,
 * the queue's weight, its service-level thresholds, where calls overflow to and
 * predictive diversion. A problem the server names a field for shows at that field.
 */
import {
  ActionIcon,
  Button,
  Fieldset,
  Group,
  MultiSelect,
  NumberInput,
  type NumberInputProps,
  Paper,
  Radio,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Textarea,
  VisuallyHidden,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentState, Destination, Me, Queue, QueueBody, QueueStrategy } from '../api/types';
import { DestinationPicker, type RoutingOptions, useRoutingOptions } from '../components/DestinationPicker';
import { FieldErrorText, fieldError, fieldErrorWithin } from '../components/Problem';
import { type RoutingRecording, RoutingRecordingSelect } from '../components/RecordingPolicy';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';
import { RoutingNameFields } from '../components/RoutingNameFields';
import { moved, OrderButtons } from '../components/RowActions';
import { parseNumbers } from './InboundRoutes';

export const QUEUE_STRATEGIES = [
  'ringAll',
  'leastRecent',
  'fewestCalls',
  'leastTalkTime',
  'roundRobin',
  'linear',
  'random',
  'weightedRandom',
  'skillsBased',
] as const satisfies readonly QueueStrategy[];

export const AGENT_STATES = [
  'available',
  'ringing',
  'busy',
  'wrapUp',
  'paused',
  'loggedOut',
  'unregistered',
] as const satisfies readonly AgentState[];

/** System prompts a queue may play (src/media/prompts.ts has them in both languages). */
export const QUEUE_PROMPTS = [
  'your-call-is-important',
  'all-operators-busy',
  'please-hold',
  'thank-you',
  'call-recorded',
] as const;

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];

type Num = number | string;
const whole = (v: Num, fallback: number) => (typeof v === 'number' ? v : fallback);

/** A member as the form holds it: the number inputs may be empty while typed. */
interface MemberDraft {
  number: string;
  static: boolean;
  penalty: Num;
  weight: Num;
  skills: Record<string, number>;
  maxCalls: Num;
}

interface StageDraft {
  key: number;
  afterSec: Num;
  require: Record<string, number>;
}

interface KeyDraft {
  key: string;
  action: KeyAction;
  destination: Destination | null;
}

type KeyAction = QueueBody['keys'][number]['action'];
const KEY_ACTIONS = ['leave', 'callback'] as const satisfies readonly KeyAction[];

let nextKey = 1;

/** The settings of a new queue. */
const DEFAULTS = {
  strategy: 'leastRecent',
  agentRingSec: 15,
  retrySec: 5,
  wrapUpSec: 10,
  autoPauseAfter: 3,
  maxWaitSec: 0,
  maxCallers: 0,
  joinEmpty: ['loggedOut', 'unregistered'],
  leaveWhenEmpty: [],
  entryPrompts: [],
  announcePosition: true,
  announceWait: false,
  announceEverySec: 60,
  periodicPrompts: [],
  periodicEverySec: 0,
  callback: { maxPerAgent: 0, attempts: 2, retryDelaySec: 60, ringSec: 30 },
  weight: 0,
  serviceLevelSec: [20, 60],
} as const satisfies Partial<QueueBody>;

/** "en=7" ↔ { en: 7 }: a skill and its level as one chip. */
const SKILL = /^([a-z0-9_-]{1,30})\s*[=:]\s*(10|[1-9])$/;

function SkillsInput({
  label,
  hideLabel = false,
  value,
  onChange,
  error,
  w,
}: {
  label: string;
  hideLabel?: boolean;
  value: Record<string, number>;
  onChange: (v: Record<string, number>) => void;
  error?: string;
  w?: number;
}) {
  const { t } = useTranslation();
  const [bad, setBad] = useState<string | null>(null);
  const tags = Object.entries(value).map(([k, v]) => `${k}=${v}`);
  return (
    <TagsInput
      label={hideLabel ? undefined : label}
      aria-label={hideLabel ? label : undefined}
      placeholder={tags.length === 0 ? t('queues.skillsPlaceholder') : undefined}
      value={tags}
      splitChars={[',', ' ', ';']}
      w={w}
      size={hideLabel ? 'xs' : 'sm'}
      onChange={(next) => {
        const skills: Record<string, number> = {};
        let rejected: string | null = null;
        for (const tag of next) {
          const m = SKILL.exec(tag.trim().toLowerCase());
          if (m) skills[m[1]!] = Number(m[2]);
          else rejected = tag;
        }
        setBad(rejected);
        onChange(skills);
      }}
      error={bad ? t('queues.skillFormat') : error}
    />
  );
}

/** A NumberInput of whole seconds (or counts) in a range. */
function WholeInput(props: NumberInputProps & { min: number; max: number }) {
  return <NumberInput allowDecimal={false} allowNegative={false} {...props} />;
}

function MembersTable({
  members,
  setMembers,
  options,
  error,
  canWrite,
}: {
  members: MemberDraft[];
  setMembers: (f: (ms: MemberDraft[]) => MemberDraft[]) => void;
  options: RoutingOptions;
  error: unknown;
  canWrite: boolean;
}) {
  const { t } = useTranslation();
  const setMember = (i: number, change: Partial<MemberDraft>) =>
    setMembers((ms) => ms.map((m, j) => (j === i ? { ...m, ...change } : m)));
  const extensionName = (n: string) => options.extensions.find((e) => e.number === n)?.displayName ?? '';
  const candidates = options.extensions
    .filter((e) => !members.some((m) => m.number === e.number))
    .map((e) => ({ value: e.number, label: `${e.number} ${e.displayName}`.trim() }));
  return (
    <Fieldset legend={t('queues.members')} p={{ base: 'xs', sm: 'sm' }}>
      <Stack gap="xs">
        <Text size="xs" c="dimmed">
          {t('queues.membersHint')}
        </Text>
        {members.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('queues.noMembers')}
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table verticalSpacing={4} aria-label={t('queues.members')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>{t('queues.member')}</Table.Th>
                  <Table.Th>{t('queues.kind')}</Table.Th>
                  <Table.Th>{t('queues.penalty')}</Table.Th>
                  <Table.Th>{t('queues.weight')}</Table.Th>
                  <Table.Th>{t('queues.skills')}</Table.Th>
                  <Table.Th>{t('queues.maxCalls')}</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>{t('routing.order')}</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {members.map((m, i) => {
                  const who = `${m.number} ${extensionName(m.number)}`.trim();
                  const f = `members.${i}`;
                  return (
                    <Table.Tr key={m.number} aria-label={t('queues.memberRow', { n: i + 1, who })}>
                      <Table.Td>{i + 1}</Table.Td>
                      <Table.Td>
                        <Text size="sm" fw={600}>
                          {m.number}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {extensionName(m.number)}
                        </Text>
                        <FieldErrorText>
                          {fieldError(error, `${f}.number`) ?? fieldError(error, f)}
                        </FieldErrorText>
                      </Table.Td>
                      <Table.Td>
                        <SegmentedControl
                          size="xs"
                          aria-label={t('queues.kindOf', { who })}
                          value={m.static ? 'static' : 'dynamic'}
                          onChange={(v) => setMember(i, { static: v === 'static' })}
                          data={[
                            { value: 'static', label: t('queues.static') },
                            { value: 'dynamic', label: t('queues.dynamic') },
                          ]}
                        />
                      </Table.Td>
                      <Table.Td>
                        <WholeInput
                          aria-label={t('queues.penaltyOf', { who })}
                          size="xs"
                          w={56}
                          hideControls
                          min={0}
                          max={9}
                          value={m.penalty}
                          onChange={(v) => setMember(i, { penalty: v })}
                          error={fieldError(error, `${f}.penalty`)}
                        />
                      </Table.Td>
                      <Table.Td>
                        <WholeInput
                          aria-label={t('queues.weightOf', { who })}
                          size="xs"
                          w={64}
                          hideControls
                          min={1}
                          max={100}
                          value={m.weight}
                          onChange={(v) => setMember(i, { weight: v })}
                          error={fieldError(error, `${f}.weight`)}
                        />
                      </Table.Td>
                      <Table.Td>
                        <SkillsInput
                          label={t('queues.skillsOf', { who })}
                          hideLabel
                          w={170}
                          value={m.skills}
                          onChange={(skills) => setMember(i, { skills })}
                          error={fieldErrorWithin(error, `${f}.skills`)}
                        />
                      </Table.Td>
                      <Table.Td>
                        <WholeInput
                          aria-label={t('queues.maxCallsOf', { who })}
                          size="xs"
                          w={56}
                          hideControls
                          min={1}
                          max={10}
                          value={m.maxCalls}
                          onChange={(v) => setMember(i, { maxCalls: v })}
                          error={fieldError(error, `${f}.maxCalls`)}
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
        <FieldErrorText>{fieldError(error, 'members')}</FieldErrorText>
        {canWrite ? (
          <Select
            label={t('queues.addMember')}
            placeholder={t('queues.addMemberPlaceholder')}
            data={candidates}
            value={null}
            onChange={(n) => {
              if (n)
                setMembers((ms) => [
                  ...ms,
                  { number: n, static: true, penalty: 0, weight: 1, skills: {}, maxCalls: 1 },
                ]);
            }}
            searchable
            nothingFoundMessage={t('destination.nothingFound')}
            maw={{ base: '100%', xs: 320 }}
          />
        ) : null}
      </Stack>
    </Fieldset>
  );
}

function QueueForm({ options, ...editor }: RoutingEditorProps<Queue> & { options: RoutingOptions }) {
  const { t } = useTranslation();
  const { item: queue, canWrite } = editor;
  const q = queue ?? DEFAULTS;
  const [name, setName] = useState(queue?.name ?? '');
  const [number, setNumber] = useState(queue?.number ?? '');
  const [strategy, setStrategy] = useState<QueueStrategy>(q.strategy);
  const [recording, setRecording] = useState<RoutingRecording>(queue?.recording);
  const [members, setMembers] = useState<MemberDraft[]>(queue?.members ?? []);
  const [stages, setStages] = useState<StageDraft[]>(
    (queue?.skills ?? []).map((s) => ({ key: nextKey++, ...s })),
  );
  const [agentRingSec, setAgentRingSec] = useState<Num>(q.agentRingSec);
  const [retrySec, setRetrySec] = useState<Num>(q.retrySec);
  const [ownerFirstSec, setOwnerFirstSec] = useState<Num>(queue?.ownerFirstSec ?? 0);
  const [wrapUpSec, setWrapUpSec] = useState<Num>(q.wrapUpSec);
  const [autoPauseAfter, setAutoPauseAfter] = useState<Num>(q.autoPauseAfter);
  const [maxWaitSec, setMaxWaitSec] = useState<Num>(q.maxWaitSec);
  const [maxCallers, setMaxCallers] = useState<Num>(q.maxCallers);
  const [joinEmpty, setJoinEmpty] = useState<string[]>([...q.joinEmpty]);
  const [leaveWhenEmpty, setLeaveWhenEmpty] = useState<string[]>([...q.leaveWhenEmpty]);
  const [entryPrompts, setEntryPrompts] = useState<string[]>([...q.entryPrompts]);
  const [announcePosition, setAnnouncePosition] = useState<boolean>(q.announcePosition);
  const [announceWait, setAnnounceWait] = useState<boolean>(q.announceWait);
  const [announceEverySec, setAnnounceEverySec] = useState<Num>(q.announceEverySec);
  const [periodicPrompts, setPeriodicPrompts] = useState<string[]>([...q.periodicPrompts]);
  const [periodicEverySec, setPeriodicEverySec] = useState<Num>(q.periodicEverySec);
  const [keys, setKeys] = useState<KeyDraft[]>(queue?.keys ?? []);
  const [vip, setVip] = useState((queue?.vipNumbers ?? []).join('\n'));
  const [callbackMax, setCallbackMax] = useState<Num>(q.callback.maxPerAgent);
  const [callbackAttempts, setCallbackAttempts] = useState<Num>(q.callback.attempts);
  const [callbackRetry, setCallbackRetry] = useState<Num>(q.callback.retryDelaySec);
  const [callbackRing, setCallbackRing] = useState<Num>(q.callback.ringSec);
  const [weight, setWeight] = useState<Num>(q.weight);
  const [serviceLevels, setServiceLevels] = useState<string[]>(q.serviceLevelSec.map(String));
  const [badLevel, setBadLevel] = useState(false);
  const [timeoutDestination, setTimeoutDestination] = useState<Destination | null>(
    queue?.timeoutDestination ?? null,
  );
  const [fullDestination, setFullDestination] = useState<Destination | null>(queue?.fullDestination ?? null);
  const [noAgentsDestination, setNoAgentsDestination] = useState<Destination | null>(
    queue?.noAgentsDestination ?? null,
  );
  const [maxExpectedWaitSec, setMaxExpectedWaitSec] = useState<Num>(
    queue?.predictive.maxExpectedWaitSec ?? 0,
  );
  const [maxCallersPerAgent, setMaxCallersPerAgent] = useState<Num>(
    queue?.predictive.maxCallersPerAgent ?? 0,
  );
  const [predictiveDestination, setPredictiveDestination] = useState<Destination | null>(
    queue?.predictive.destination ?? null,
  );
  const save = useSaveRouting('queues', editor);
  const error = save.error;
  const body = (): QueueBody => ({
    name,
    number: number.trim() === '' ? null : number.trim(),
    ...(recording ? { recording } : {}),
    strategy,
    members: members.map((m) => ({
      number: m.number,
      static: m.static,
      penalty: whole(m.penalty, 0),
      weight: whole(m.weight, 1),
      skills: m.skills,
      maxCalls: whole(m.maxCalls, 1),
    })),
    skills: stages.map((s) => ({ afterSec: whole(s.afterSec, 0), require: s.require })),
    agentRingSec: whole(agentRingSec, DEFAULTS.agentRingSec),
    retrySec: whole(retrySec, DEFAULTS.retrySec),
    // Sent only when on (PUT replaces the settings: 0 leaves it out, which is off).
    ...(whole(ownerFirstSec, 0) > 0 ? { ownerFirstSec: whole(ownerFirstSec, 0) } : {}),
    wrapUpSec: whole(wrapUpSec, 0),
    autoPauseAfter: whole(autoPauseAfter, 0),
    maxWaitSec: whole(maxWaitSec, 0),
    maxCallers: whole(maxCallers, 0),
    joinEmpty: joinEmpty as AgentState[],
    leaveWhenEmpty: leaveWhenEmpty as AgentState[],
    entryPrompts,
    announcePosition,
    announceWait,
    announceEverySec: whole(announceEverySec, 0),
    periodicPrompts,
    periodicEverySec: whole(periodicEverySec, 0),
    // A key to leave without a destination yet goes as it is: the server names the field.
    keys: keys.map((k) => ({
      key: k.key,
      action: k.action,
      destination: k.action === 'leave' ? k.destination : null,
    })),
    vipNumbers: parseNumbers(vip),
    callback: {
      maxPerAgent: whole(callbackMax, 0),
      attempts: whole(callbackAttempts, DEFAULTS.callback.attempts),
      retryDelaySec: whole(callbackRetry, DEFAULTS.callback.retryDelaySec),
      ringSec: whole(callbackRing, DEFAULTS.callback.ringSec),
    },
    weight: whole(weight, 0),
    serviceLevelSec: serviceLevels.map(Number),
    timeoutDestination,
    fullDestination,
    noAgentsDestination,
    predictive: {
      maxExpectedWaitSec: whole(maxExpectedWaitSec, 0),
      maxCallersPerAgent: whole(maxCallersPerAgent, 0),
      destination: predictiveDestination,
    },
  });
  const fields = [
    'name',
    'number',
    'recording',
    'strategy',
    'members',
    'members.*',
    'skills',
    'skills.*',
    'agentRingSec',
    'retrySec',
    'ownerFirstSec',
    'wrapUpSec',
    'autoPauseAfter',
    'maxWaitSec',
    'maxCallers',
    'joinEmpty',
    'joinEmpty.*',
    'leaveWhenEmpty',
    'leaveWhenEmpty.*',
    'entryPrompts',
    'entryPrompts.*',
    'announceEverySec',
    'periodicPrompts',
    'periodicPrompts.*',
    'periodicEverySec',
    'keys',
    'keys.*',
    'vipNumbers',
    'vipNumbers.*',
    'callback',
    'callback.*',
    'weight',
    'serviceLevelSec',
    'serviceLevelSec.*',
    'timeoutDestination.*',
    'fullDestination.*',
    'noAgentsDestination.*',
    'predictive.*',
  ];
  const stateData = AGENT_STATES.map((s) => ({ value: s, label: t(`agentStates.${s}`) }));
  const promptData = (chosen: string[]) => [
    ...QUEUE_PROMPTS.map((p) => ({ value: p, label: t(`queues.prompts.${p}`) })),
    // A prompt set through the API that this list does not name still shows.
    ...chosen
      .filter((p) => !(QUEUE_PROMPTS as readonly string[]).includes(p))
      .map((p) => ({ value: p, label: p })),
  ];
  const destination = (
    label: string,
    value: Destination | null,
    onChange: (d: Destination | null) => void,
    field: string,
  ) => (
    <DestinationPicker
      label={label}
      value={value}
      onChange={onChange}
      options={options}
      error={error}
      field={field}
      optional
      noneLabel={t('queues.overflowNone')}
      exclude={queue?.id}
    />
  );
  return (
    <RoutingForm editor={editor} save={save} body={body} fields={fields}>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <RoutingNameFields
          labels={{
            name: t('queues.name'),
            number: t('queues.number'),
            numberHint: t('queues.numberHint'),
          }}
          name={name}
          number={number}
          onName={setName}
          onNumber={setNumber}
          error={error}
        />
        <RoutingRecordingSelect value={recording} onChange={setRecording} error={error} />
      </SimpleGrid>

      <Radio.Group
        label={t('queues.strategy')}
        value={strategy}
        onChange={(v) => setStrategy(v as QueueStrategy)}
        error={fieldError(error, 'strategy')}
      >
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing={8} mt={6}>
          {QUEUE_STRATEGIES.map((s) => (
            <Radio
              key={s}
              value={s}
              label={t(`queues.strategies.${s}`)}
              description={t(`queues.strategyHints.${s}`)}
            />
          ))}
        </SimpleGrid>
      </Radio.Group>

      <MembersTable
        members={members}
        setMembers={setMembers}
        options={options}
        error={error}
        canWrite={canWrite}
      />

      <Fieldset legend={t('queues.stages')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            {t('queues.stagesHint')}
          </Text>
          {stages.map((s, i) => {
            const label = t('queues.stage', { n: i + 1 });
            return (
              <Paper key={s.key} withBorder p="xs" role="group" aria-label={label}>
                <Group align="flex-start" wrap="wrap" gap="sm">
                  <WholeInput
                    label={t('queues.stageAfter')}
                    w={190}
                    min={0}
                    max={3600}
                    value={s.afterSec}
                    onChange={(v) =>
                      setStages((ss) => ss.map((x, j) => (j === i ? { ...x, afterSec: v } : x)))
                    }
                    error={fieldError(error, `skills.${i}.afterSec`)}
                  />
                  <div style={{ flex: 1, minWidth: 200 }}>
                    <SkillsInput
                      label={t('queues.stageRequire')}
                      value={s.require}
                      onChange={(require) =>
                        setStages((ss) => ss.map((x, j) => (j === i ? { ...x, require } : x)))
                      }
                      error={
                        fieldErrorWithin(error, `skills.${i}.require`) ?? fieldError(error, `skills.${i}`)
                      }
                    />
                  </div>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    mt={26}
                    aria-label={t('queues.removeStage', { n: i + 1 })}
                    onClick={() => setStages((ss) => ss.filter((_, j) => j !== i))}
                  >
                    ✕
                  </ActionIcon>
                </Group>
              </Paper>
            );
          })}
          <FieldErrorText>{fieldError(error, 'skills')}</FieldErrorText>
          {canWrite && stages.length < 10 ? (
            <Button
              variant="light"
              size="xs"
              style={{ alignSelf: 'flex-start' }}
              onClick={() =>
                setStages((ss) => [
                  ...ss,
                  {
                    key: nextKey++,
                    afterSec: ss.length === 0 ? 0 : whole(ss[ss.length - 1]!.afterSec, 0) + 60,
                    require: {},
                  },
                ])
              }
            >
              {t('queues.addStage')}
            </Button>
          ) : null}
        </Stack>
      </Fieldset>

      <Fieldset legend={t('queues.ringing')} p={{ base: 'xs', sm: 'sm' }}>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <WholeInput
            label={t('queues.agentRing')}
            min={5}
            max={300}
            value={agentRingSec}
            onChange={setAgentRingSec}
            error={fieldError(error, 'agentRingSec')}
          />
          <WholeInput
            label={t('queues.retry')}
            description={t('queues.retryHint')}
            min={1}
            max={300}
            value={retrySec}
            onChange={setRetrySec}
            error={fieldError(error, 'retrySec')}
          />
          <WholeInput
            label={t('integrations.ownerFirstQueue')}
            description={t('integrations.ownerFirstQueueHint')}
            min={0}
            max={120}
            value={ownerFirstSec}
            onChange={setOwnerFirstSec}
            error={fieldError(error, 'ownerFirstSec')}
          />
          <WholeInput
            label={t('queues.wrapUp')}
            description={t('queues.wrapUpHint')}
            min={0}
            max={3600}
            value={wrapUpSec}
            onChange={setWrapUpSec}
            error={fieldError(error, 'wrapUpSec')}
          />
          <WholeInput
            label={t('queues.autoPause')}
            description={t('queues.autoPauseHint')}
            min={0}
            max={100}
            value={autoPauseAfter}
            onChange={setAutoPauseAfter}
            error={fieldError(error, 'autoPauseAfter')}
          />
          <WholeInput
            label={t('queues.weightQueue')}
            description={t('queues.weightQueueHint')}
            min={0}
            max={100}
            value={weight}
            onChange={setWeight}
            error={fieldError(error, 'weight')}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('queues.limits')} p={{ base: 'xs', sm: 'sm' }}>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <WholeInput
            label={t('queues.maxWait')}
            description={t('queues.maxWaitHint')}
            min={0}
            max={86_400}
            value={maxWaitSec}
            onChange={setMaxWaitSec}
            error={fieldError(error, 'maxWaitSec')}
          />
          <WholeInput
            label={t('queues.maxCallers')}
            description={t('queues.maxCallersHint')}
            min={0}
            max={10_000}
            value={maxCallers}
            onChange={setMaxCallers}
            error={fieldError(error, 'maxCallers')}
          />
          <MultiSelect
            label={t('queues.joinEmpty')}
            description={t('queues.joinEmptyHint')}
            placeholder={joinEmpty.length === 0 ? t('queues.statesPlaceholder') : undefined}
            data={stateData}
            value={joinEmpty}
            onChange={setJoinEmpty}
            hidePickedOptions
            error={fieldErrorWithin(error, 'joinEmpty')}
          />
          <MultiSelect
            label={t('queues.leaveWhenEmpty')}
            description={t('queues.leaveWhenEmptyHint')}
            placeholder={leaveWhenEmpty.length === 0 ? t('queues.statesPlaceholder') : undefined}
            data={stateData}
            value={leaveWhenEmpty}
            onChange={setLeaveWhenEmpty}
            hidePickedOptions
            error={fieldErrorWithin(error, 'leaveWhenEmpty')}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('queues.announcements')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="sm">
          <MultiSelect
            label={t('queues.entryPrompts')}
            placeholder={entryPrompts.length === 0 ? t('queues.promptsPlaceholder') : undefined}
            data={promptData(entryPrompts)}
            value={entryPrompts}
            onChange={setEntryPrompts}
            maxValues={10}
            hidePickedOptions
            error={fieldErrorWithin(error, 'entryPrompts')}
          />
          <Switch
            label={t('queues.announcePosition')}
            checked={announcePosition}
            onChange={(e) => setAnnouncePosition(e.currentTarget.checked)}
          />
          <Switch
            label={t('queues.announceWait')}
            checked={announceWait}
            onChange={(e) => setAnnounceWait(e.currentTarget.checked)}
          />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <WholeInput
              label={t('queues.announceEvery')}
              description={t('queues.announceEveryHint')}
              min={0}
              max={3600}
              value={announceEverySec}
              onChange={setAnnounceEverySec}
              disabled={!announcePosition && !announceWait}
              error={fieldError(error, 'announceEverySec')}
            />
          </SimpleGrid>
          <MultiSelect
            label={t('queues.periodicPrompts')}
            placeholder={periodicPrompts.length === 0 ? t('queues.promptsPlaceholder') : undefined}
            data={promptData(periodicPrompts)}
            value={periodicPrompts}
            onChange={setPeriodicPrompts}
            maxValues={10}
            hidePickedOptions
            error={fieldErrorWithin(error, 'periodicPrompts')}
          />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <WholeInput
              label={t('queues.periodicEvery')}
              description={t('queues.periodicEveryHint')}
              min={0}
              max={3600}
              value={periodicEverySec}
              onChange={setPeriodicEverySec}
              error={fieldError(error, 'periodicEverySec')}
            />
          </SimpleGrid>
        </Stack>
      </Fieldset>

      <Fieldset legend={t('queues.keys')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            {t('queues.keysHint')}
          </Text>
          {keys.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('queues.noKeys')}
            </Text>
          ) : null}
          {keys.map((k, i) => {
            const used = new Set(keys.filter((_, j) => j !== i).map((x) => x.key));
            return (
              <Paper
                // biome-ignore lint/suspicious/noArrayIndexKey: a key row is its position; keys change as typed
                key={i}
                withBorder
                p="xs"
                role="group"
                aria-label={t('queues.keyRow', { n: i + 1 })}
              >
                <Group align="flex-start" wrap="nowrap" gap="sm">
                  <Select
                    label={t('queues.key')}
                    aria-label={t('queues.keyOf', { n: i + 1 })}
                    data={KEYS.filter((x) => !used.has(x))}
                    value={k.key}
                    allowDeselect={false}
                    onChange={(v) => v && setKeys((ks) => ks.map((x, j) => (j === i ? { ...x, key: v } : x)))}
                    w={90}
                    error={fieldError(error, `keys.${i}.key`)}
                  />
                  <Stack gap="xs" style={{ flex: 1, minWidth: 0 }}>
                    <Select
                      label={t('queues.keyAction')}
                      aria-label={t('queues.keyActionOf', { n: i + 1 })}
                      data={KEY_ACTIONS.map((a) => ({ value: a, label: t(`queues.keyActions.${a}`) }))}
                      value={k.action}
                      allowDeselect={false}
                      onChange={(v) =>
                        v &&
                        setKeys((ks) => ks.map((x, j) => (j === i ? { ...x, action: v as KeyAction } : x)))
                      }
                      error={fieldError(error, `keys.${i}.action`)}
                    />
                    {k.action === 'leave' ? (
                      <DestinationPicker
                        label={t('queues.keyDestination')}
                        value={k.destination}
                        onChange={(d) =>
                          setKeys((ks) => ks.map((x, j) => (j === i ? { ...x, destination: d } : x)))
                        }
                        options={options}
                        error={error}
                        field={`keys.${i}.destination`}
                        exclude={queue?.id}
                      />
                    ) : (
                      <FieldErrorText>{fieldErrorWithin(error, `keys.${i}.destination`)}</FieldErrorText>
                    )}
                  </Stack>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    mt={26}
                    aria-label={t('queues.removeKey', { n: i + 1 })}
                    onClick={() => setKeys((ks) => ks.filter((_, j) => j !== i))}
                  >
                    ✕
                  </ActionIcon>
                </Group>
              </Paper>
            );
          })}
          <FieldErrorText>{fieldError(error, 'keys')}</FieldErrorText>
          {canWrite && keys.length < KEYS.length ? (
            <Button
              variant="light"
              size="xs"
              style={{ alignSelf: 'flex-start' }}
              onClick={() =>
                setKeys((ks) => [
                  ...ks,
                  {
                    key: KEYS.find((x) => !ks.some((k) => k.key === x)) ?? '0',
                    action: 'leave',
                    destination: null,
                  },
                ])
              }
            >
              {t('queues.addKey')}
            </Button>
          ) : null}
        </Stack>
      </Fieldset>

      <Fieldset legend={t('queues.callback')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            {t('queues.callbackHint')}
          </Text>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <WholeInput
              label={t('queues.callbackMax')}
              description={t('queues.callbackMaxHint')}
              min={0}
              max={100}
              value={callbackMax}
              onChange={setCallbackMax}
              error={fieldError(error, 'callback.maxPerAgent')}
            />
            <WholeInput
              label={t('queues.callbackAttempts')}
              min={1}
              max={10}
              value={callbackAttempts}
              onChange={setCallbackAttempts}
              error={fieldError(error, 'callback.attempts')}
            />
            <WholeInput
              label={t('queues.callbackRetry')}
              min={0}
              max={3600}
              value={callbackRetry}
              onChange={setCallbackRetry}
              error={fieldError(error, 'callback.retryDelaySec')}
            />
            <WholeInput
              label={t('queues.callbackRing')}
              min={5}
              max={120}
              value={callbackRing}
              onChange={setCallbackRing}
              error={fieldError(error, 'callback.ringSec')}
            />
          </SimpleGrid>
        </Stack>
      </Fieldset>

      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <Textarea
          label={t('queues.vip')}
          description={t('queues.vipHint')}
          autosize
          minRows={2}
          maxRows={8}
          value={vip}
          onChange={(e) => setVip(e.currentTarget.value)}
          error={fieldErrorWithin(error, 'vipNumbers')}
        />
        <TagsInput
          label={t('queues.serviceLevel')}
          description={t('queues.serviceLevelHint')}
          value={serviceLevels}
          splitChars={[',', ' ', ';']}
          maxTags={5}
          onChange={(next) => {
            const ok = next.filter((v) => /^\d{1,4}$/.test(v.trim()) && +v >= 1 && +v <= 3600);
            setBadLevel(ok.length !== next.length);
            setServiceLevels(ok.map((v) => String(Number(v))));
          }}
          error={badLevel ? t('queues.serviceLevelFormat') : fieldErrorWithin(error, 'serviceLevelSec')}
        />
      </SimpleGrid>

      <Fieldset legend={t('queues.overflow')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="sm">
          {destination(
            t('queues.timeoutDestination'),
            timeoutDestination,
            setTimeoutDestination,
            'timeoutDestination',
          )}
          {destination(t('queues.fullDestination'), fullDestination, setFullDestination, 'fullDestination')}
          {destination(
            t('queues.noAgentsDestination'),
            noAgentsDestination,
            setNoAgentsDestination,
            'noAgentsDestination',
          )}
        </Stack>
      </Fieldset>

      <Fieldset legend={t('queues.predictive')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="sm">
          <Text size="xs" c="dimmed">
            {t('queues.predictiveHint')}
          </Text>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <WholeInput
              label={t('queues.maxExpectedWait')}
              description={t('queues.predictiveOff')}
              min={0}
              max={86_400}
              value={maxExpectedWaitSec}
              onChange={setMaxExpectedWaitSec}
              error={fieldError(error, 'predictive.maxExpectedWaitSec')}
            />
            <NumberInput
              label={t('queues.maxCallersPerAgent')}
              description={t('queues.predictiveOff')}
              min={0}
              max={1000}
              decimalScale={2}
              allowNegative={false}
              value={maxCallersPerAgent}
              onChange={setMaxCallersPerAgent}
              error={fieldError(error, 'predictive.maxCallersPerAgent')}
            />
          </SimpleGrid>
          {destination(
            t('queues.predictiveDestination'),
            predictiveDestination,
            setPredictiveDestination,
            'predictive.destination',
          )}
        </Stack>
      </Fieldset>
    </RoutingForm>
  );
}

export default function Queues({ me }: { me: Me }) {
  const { t } = useTranslation();
  const options = useRoutingOptions(me.tenantId!);
  return (
    <RoutingListPage
      me={me}
      kind="queues"
      minWidth={560}
      intro={t('queues.intro')}
      columns={[
        { title: t('queues.name'), cell: (q) => q.name, td: { fw: 600 } },
        { title: t('queues.number'), cell: (q) => q.number ?? t('common.none') },
        { title: t('queues.strategy'), cell: (q) => t(`queues.strategies.${q.strategy}`) },
        { title: t('queues.memberCount'), cell: (q) => q.members.length },
      ]}
      editor={(props) => <QueueForm {...props} options={options} />}
    />
  );
}
