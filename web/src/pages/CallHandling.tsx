/**
 * Call handling of an extension: the status (Available, Away, Lunch, Business
 * trip, or Do not disturb over them), call waiting, what each status does with
 * internal and external callers, the classic forwarding rules (always, busy, no
 * answer, offline), the follow-me steps with a timeline of who rings when, the
 * callers who always ring, the status a calendar sets (staff only) and
 * the secretary filter with its own timeline. One form, one PATCH: the server
 * replaces callRules as a whole and says which field it refuses.
 *
 * /call-handling is the signed-in user's own extensions; /extensions/:id/call-handling
 * any extension, opened by an admin (or, read-only, a supervisor) from Extensions.
 */
import {
  Alert,
  Anchor,
  Button,
  Fieldset,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiProblem, api, unwrap } from '../api/client';
import type { Extension, ExtensionPatch, Me, ResponseOf } from '../api/types';
import {
  ACTIONS,
  type ActionDraft,
  bodyOf,
  CALLER_KINDS,
  type CallerKind,
  type CallHandlingDraft,
  choiceOf,
  cleanNumber,
  draftOf,
  followMeTimeline,
  MAX_STEP_NUMBERS,
  MAX_STEPS,
  newStep,
  type PresenceStatus,
  parseNumbers,
  RING_SEC,
  SECRETARY_MODES,
  type SecretaryMode,
  STATUS_CHOICES,
  STATUSES,
  type StatusChoice,
  type StepDraft,
  secretaryTimeline,
  usesFollowMe,
  withChoice,
} from '../call-rules';
import { CalendarStateBadge } from '../components/CalendarState';
import { ForwardingEditor, type ForwardingRule } from '../components/ForwardingEditor';
import {
  FieldErrorText,
  fieldError,
  fieldErrorWithin,
  ProblemAlert,
  useRevealError,
} from '../components/Problem';
import { RingTimeline, type TimelineBar } from '../components/RingTimeline';
import { moved, OrderButtons } from '../components/RowActions';

type ExtensionPage = ResponseOf<'/api/v1/tenants/{tenantId}/extensions', 'get'>;

/** The most a list route gives at once; a tenant's extensions and calendars fit in it. */
const ALL = 200;

/** Errors the form shows next to its fields; any other comes as an alert. */
const FIELDS = [
  'status',
  'dnd',
  'callWaiting',
  'callRules.followMe.*',
  'callRules.profiles.*',
  'callRules.exceptions.*',
  'callRules.statusByCalendar.*',
  'callRules.secretary.*',
  'forwarding.*',
];

/** The problem's message when it is about `within` but not about any of `handled` (or under them). */
function leftover(error: unknown, within: string, handled: readonly string[]): string | undefined {
  const message = fieldErrorWithin(error, within);
  if (!message || !(error instanceof ApiProblem)) return undefined;
  const f = error.field ?? '';
  return handled.some((h) => f === h || f.startsWith(`${h}.`)) ? undefined : message;
}

/**
 * A problem about a list of numbers typed one a line: a bad entry (`field.3`) is
 * named in the user's language, anything else as the server says it.
 */
function numbersError(error: unknown, field: string, typed: string, badNumber: (n: string) => string) {
  const message = fieldErrorWithin(error, field);
  if (!message || !(error instanceof ApiProblem)) return undefined;
  const m = new RegExp(`^${field.replaceAll('.', '\\.')}\\.(\\d+)$`).exec(error.field ?? '');
  const bad = m ? parseNumbers(typed)[Number(m[1])] : undefined;
  return bad !== undefined ? badNumber(bad) : message;
}

/** Out of sight, still read by screen readers. */
const HIDDEN = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
} as const;

/** A titled block of the page. */
function Section({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
  const id = useId();
  return (
    <Paper withBorder p={{ base: 'sm', sm: 'md' }} component="section" aria-labelledby={id}>
      <Stack gap="sm">
        <div>
          <Title order={3} size="h4" id={id}>
            {title}
          </Title>
          {hint ? (
            <Text size="sm" c="dimmed" mt={4}>
              {hint}
            </Text>
          ) : null}
        </div>
        {children}
      </Stack>
    </Paper>
  );
}

/** Every extension of the tenant: the company directory the pickers choose from. */
function useDirectory(tenantId: string) {
  return useQuery({
    queryKey: ['extensions', tenantId, 'all'],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId }, query: { limit: ALL, sort: 'number' } },
        }),
      ),
  });
}

/** The tenant's calendars (every role may read them; older servers answered users 403). */
function useCalendars(tenantId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['calendars', tenantId, 'all'],
    enabled,
    retry: (n, e) => !(e instanceof ApiProblem && e.status === 403) && n < 2,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/calendars', {
          params: { path: { tenantId }, query: { limit: ALL, sort: 'name' } },
        }),
      ),
  });
}

function useTenant(tenantId: string) {
  return useQuery({
    queryKey: ['tenant', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}', { params: { path: { tenantId } } })),
    staleTime: 300_000,
  });
}

/** Puts a changed extension into every cached list and read of it, then re-reads them. */
function useExtensionChanged(tenantId: string) {
  const client = useQueryClient();
  return (ext: Extension) => {
    client.setQueriesData<ExtensionPage>({ queryKey: ['extensions', tenantId, 'mine'] }, (old) =>
      old ? { ...old, items: old.items.map((x) => (x.id === ext.id ? ext : x)) } : old,
    );
    client.setQueryData(['extensions', tenantId, 'one', ext.id], ext);
    void client.invalidateQueries({ queryKey: ['extensions', tenantId] });
  };
}

/**
 * Saves the form over the version it was loaded from: a change made meanwhile
 * (DND dialled on the phone, another admin) is refused with 412, not overwritten.
 */
function patchExtension(tenantId: string, id: string, body: ExtensionPatch, loadedAt: string) {
  return unwrap(
    api.PATCH('/api/v1/tenants/{tenantId}/extensions/{id}', {
      params: { path: { tenantId, id } },
      body,
      headers: { 'If-Match': `"${Date.parse(loadedAt)}"` },
    }),
  );
}

// --- the status ------------------------------------------------------------------------------

function StatusPart({
  draft,
  set,
  error,
  tenantId,
  calendarName,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
  tenantId: string;
  calendarName: string | null;
}) {
  const { t } = useTranslation();
  const tenant = useTenant(tenantId);
  const codes = tenant.data?.featureCodes;
  const does = (a: ActionDraft) =>
    t(`callHandling.does.${a.action}`, { target: cleanNumber(a.target) || '…' });
  const hint = (c: StatusChoice) =>
    c === 'dnd'
      ? t('callHandling.dndDoes')
      : t('callHandling.statusDoes', {
          internal: does(draft.profiles[c].internal),
          external: does(draft.profiles[c].external),
        });
  const closedStatus = t(`callHandling.statuses.${draft.whenClosed}`);
  return (
    <Section title={t('callHandling.status')} hint={t('callHandling.statusHint')}>
      <Radio.Group
        label={t('callHandling.status')}
        // Named for screen readers; the section's heading says it to the eye.
        styles={{ label: HIDDEN }}
        value={choiceOf(draft)}
        onChange={(v) => set(withChoice(draft, v as StatusChoice))}
        error={fieldError(error, 'status') ?? fieldError(error, 'dnd')}
      >
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" verticalSpacing="sm">
          {STATUS_CHOICES.map((c) => (
            <Radio.Card key={c} value={c} p="sm" radius="md" aria-label={t(`callHandling.statuses.${c}`)}>
              <Group wrap="nowrap" align="flex-start" gap="sm">
                <Radio.Indicator color={c === 'dnd' ? 'orange' : undefined} />
                <div>
                  <Text fw={600} size="sm">
                    {t(`callHandling.statuses.${c}`)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {hint(c)}
                  </Text>
                </div>
              </Group>
            </Radio.Card>
          ))}
        </SimpleGrid>
      </Radio.Group>
      {draft.calendarOn && draft.status === 'available' && !draft.dnd ? (
        <Text size="sm" c="blue">
          {calendarName
            ? t('callHandling.byCalendarNow', { calendar: calendarName, status: closedStatus })
            : t('callHandling.byCalendarNowUnnamed', { status: closedStatus })}
        </Text>
      ) : null}
      {codes ? (
        <Text size="xs" c="dimmed">
          {t('callHandling.fromPhone', { status: codes.status, dndOn: codes.dndOn, dndOff: codes.dndOff })}
        </Text>
      ) : null}
      <Switch
        label={t('callHandling.callWaiting')}
        description={t('callHandling.callWaitingHint')}
        checked={draft.callWaiting}
        onChange={(e) => set({ callWaiting: e.currentTarget.checked })}
        error={fieldError(error, 'callWaiting')}
      />
    </Section>
  );
}

// --- what each status does -------------------------------------------------------------------

function ActionCell({
  status,
  kind,
  value,
  onChange,
  error,
  needsSteps,
  withLabel = false,
}: {
  status: PresenceStatus;
  kind: CallerKind;
  value: ActionDraft;
  onChange: (a: ActionDraft) => void;
  error: unknown;
  needsSteps: boolean;
  /** Shows who the callers are above the select (on a phone, where there is no table header). */
  withLabel?: boolean;
}) {
  const { t } = useTranslation();
  const field = `callRules.profiles.${status}.${kind}`;
  const names = { status: t(`callHandling.statuses.${status}`), callers: t(`callHandling.callers.${kind}`) };
  const targetError = fieldError(error, `${field}.target`);
  const actionError = leftover(error, field, value.action === 'forward' ? [`${field}.target`] : []);
  return (
    <Stack gap={4}>
      <Select
        aria-label={t('callHandling.actionOf', names)}
        label={withLabel ? names.callers : undefined}
        size="xs"
        data={ACTIONS.map((a) => ({ value: a, label: t(`callHandling.actions.${a}`) }))}
        value={value.action}
        allowDeselect={false}
        onChange={(a) => a && onChange({ ...value, action: a as ActionDraft['action'] })}
        error={actionError}
        description={
          needsSteps && value.action === 'followMe' && !actionError ? t('callHandling.needsSteps') : undefined
        }
        inputWrapperOrder={['label', 'input', 'description', 'error']}
      />
      {value.action === 'forward' ? (
        <TextInput
          aria-label={t('callHandling.targetOf', names)}
          placeholder={t('callHandling.targetPlaceholder')}
          size="xs"
          inputMode="tel"
          autoComplete="off"
          value={value.target}
          onChange={(e) => onChange({ ...value, target: e.currentTarget.value })}
          error={targetError}
        />
      ) : null}
    </Stack>
  );
}

function ProfilesPart({
  draft,
  set,
  error,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
}) {
  const { t } = useTranslation();
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const setAction = (status: PresenceStatus, kind: CallerKind, a: ActionDraft) =>
    set({ profiles: { ...draft.profiles, [status]: { ...draft.profiles[status], [kind]: a } } });
  const other = leftover(
    error,
    'callRules.profiles',
    STATUSES.flatMap((s) => CALLER_KINDS.map((k) => `callRules.profiles.${s}.${k}`)),
  );
  const cell = (s: PresenceStatus, k: CallerKind, withLabel = false) => (
    <ActionCell
      status={s}
      kind={k}
      value={draft.profiles[s][k]}
      onChange={(a) => setAction(s, k, a)}
      error={error}
      needsSteps={draft.steps.length === 0}
      withLabel={withLabel}
    />
  );
  // On a phone a block per status, each with both kinds of caller: a table would scroll sideways.
  if (phone)
    return (
      <Section title={t('callHandling.profiles')} hint={t('callHandling.profilesHint')}>
        {STATUSES.map((s) => (
          <Fieldset key={s} legend={t(`callHandling.statuses.${s}`)} p="xs" data-status={s}>
            <Stack gap="xs">{CALLER_KINDS.map((k) => cell(s, k, true))}</Stack>
          </Fieldset>
        ))}
        <Text size="sm" c="dimmed">
          {t('callHandling.statuses.dnd')}: {t('callHandling.dndRow')}
        </Text>
        <FieldErrorText>{other}</FieldErrorText>
      </Section>
    );
  return (
    <Section title={t('callHandling.profiles')} hint={t('callHandling.profilesHint')}>
      <Table.ScrollContainer minWidth={520}>
        <Table verticalSpacing={6} aria-label={t('callHandling.profiles')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('callHandling.statusColumn')}</Table.Th>
              {CALLER_KINDS.map((k) => (
                <Table.Th key={k}>{t(`callHandling.callers.${k}`)}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {STATUSES.map((s) => (
              <Table.Tr key={s} data-status={s}>
                <Table.Th scope="row" fw={600}>
                  {t(`callHandling.statuses.${s}`)}
                </Table.Th>
                {CALLER_KINDS.map((k) => (
                  <Table.Td key={k}>{cell(s, k)}</Table.Td>
                ))}
              </Table.Tr>
            ))}
            <Table.Tr>
              <Table.Th scope="row" fw={600}>
                {t('callHandling.statuses.dnd')}
              </Table.Th>
              <Table.Td colSpan={2}>
                <Text size="sm" c="dimmed">
                  {t('callHandling.dndRow')}
                </Text>
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <FieldErrorText>{other}</FieldErrorText>
    </Section>
  );
}

// --- classic forwarding ----------------------------------------------------------------------

function ForwardingPart({
  draft,
  set,
  error,
  canEdit,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const forwarding = draft.forwarding;
  if (!forwarding) return null;
  const setRule = (rule: ForwardingRule, change: Partial<(typeof forwarding)[ForwardingRule]>) =>
    set({ forwarding: { ...forwarding, [rule]: { ...forwarding[rule], ...change } } });
  return (
    <Section title={t('callHandling.forwarding')} hint={t('callHandling.forwardingHint')}>
      <ForwardingEditor value={forwarding} onChange={setRule} error={error} canEdit={canEdit} />
    </Section>
  );
}

// --- follow-me -------------------------------------------------------------------------------

/** The extensions a picker offers: the directory without `self`, plus any chosen one no longer in it. */
function pickerData(directory: readonly Extension[], self: string, chosen: readonly string[]) {
  const data = directory
    .filter((e) => e.number !== self)
    .map((e) => ({ value: e.number, label: `${e.number} ${e.displayName}`.trim() }));
  for (const n of chosen) if (!data.some((d) => d.value === n)) data.push({ value: n, label: n });
  return data;
}

function StepEditor({
  step,
  index,
  count,
  ext,
  directory,
  error,
  disabled,
  onChange,
  onMove,
  onRemove,
}: {
  step: StepDraft;
  index: number;
  count: number;
  ext: Extension;
  directory: readonly Extension[];
  error: unknown;
  disabled: boolean;
  onChange: (change: Partial<StepDraft>) => void;
  onMove: (from: number, to: number) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const field = `callRules.followMe.steps.${index}`;
  const label = t('callHandling.step', { n: index + 1 });
  return (
    <Paper withBorder p={{ base: 'xs', sm: 'sm' }} role="group" aria-labelledby={titleId}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Text fw={600} id={titleId}>
            {label}
          </Text>
          <OrderButtons
            index={index}
            count={count}
            label={label}
            disabled={disabled}
            onMove={onMove}
            onRemove={onRemove}
          />
        </Group>
        <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="xs">
          <MultiSelect
            label={t('callHandling.stepNumbers')}
            placeholder={step.numbers.length === 0 ? t('callHandling.stepNumbersPlaceholder') : undefined}
            data={pickerData(directory, ext.number, step.numbers)}
            value={step.numbers}
            onChange={(numbers) => onChange({ numbers })}
            maxValues={MAX_STEP_NUMBERS}
            searchable
            hidePickedOptions
            nothingFoundMessage={t('destination.nothingFound')}
            error={fieldErrorWithin(error, `${field}.numbers`)}
            style={{ gridColumn: 'span 2' }}
          />
          <NumberInput
            label={t('callHandling.ringSec')}
            min={RING_SEC.min}
            max={RING_SEC.max}
            allowDecimal={false}
            allowNegative={false}
            value={step.ringSec}
            onChange={(ringSec) => onChange({ ringSec })}
            error={fieldError(error, `${field}.ringSec`)}
          />
        </SimpleGrid>
        <FieldErrorText>{leftover(error, field, [`${field}.numbers`, `${field}.ringSec`])}</FieldErrorText>
      </Stack>
    </Paper>
  );
}

/** After the last ring: the no-answer forwarding of the extension, or "not available". */
function useAfterRing(ext: Extension) {
  const { t } = useTranslation();
  const fwd = ext.forwarding.noAnswer;
  return (total: number) =>
    t('callHandling.afterTimeline', {
      total,
      next:
        fwd.enabled && fwd.target
          ? t('callHandling.nextForward', { target: fwd.target })
          : t('callHandling.nextNone'),
    });
}

function FollowMePart({
  draft,
  set,
  error,
  ext,
  directory,
  canEdit,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
  ext: Extension;
  directory: readonly Extension[];
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const after = useAfterRing(ext);
  const steps = draft.steps;
  const setSteps = (next: StepDraft[]) => set({ steps: next });
  const nameOf = (n: string) => {
    const e = directory.find((x) => x.number === n);
    return e?.displayName ? `${n} ${e.displayName}` : n;
  };
  const line = followMeTimeline(steps, draft.ringDesk);
  const bars: TimelineBar[] = [
    ...(line.desk
      ? [
          {
            key: 'desk',
            label: t('callHandling.timelineDesk', { number: ext.number }),
            span: line.desk,
            color: 'blue.5',
          },
        ]
      : []),
    ...line.steps.map((s, i) => ({
      key: String(steps[i]?.key ?? i),
      label: t('callHandling.timelineStep', {
        n: i + 1,
        numbers: s.numbers.length ? s.numbers.map(nameOf).join(', ') : t('callHandling.timelineNobody'),
      }),
      span: s,
      color: i % 2 === 0 ? 'teal.6' : 'teal.4',
    })),
  ];
  const handled = steps.map((_, i) => `callRules.followMe.steps.${i}`);
  return (
    <Section title={t('callHandling.followMe')} hint={t('callHandling.followMeHint')}>
      {!usesFollowMe(draft.profiles) ? (
        <Text size="sm" c="dimmed">
          {t('callHandling.followMeUnused')}
        </Text>
      ) : null}
      <Switch
        label={t('callHandling.ringDesk')}
        description={t('callHandling.ringDeskHint')}
        checked={draft.ringDesk}
        onChange={(e) => set({ ringDesk: e.currentTarget.checked })}
        error={fieldError(error, 'callRules.followMe.ringDesk')}
      />
      <Switch
        label={t('callHandling.confirmExternal')}
        description={t('callHandling.confirmExternalHint')}
        checked={draft.confirmExternal}
        onChange={(e) => set({ confirmExternal: e.currentTarget.checked })}
        error={fieldError(error, 'callRules.followMe.confirmExternal')}
      />
      {steps.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('callHandling.noSteps')}
        </Text>
      ) : null}
      {steps.map((s, i) => (
        <StepEditor
          key={s.key}
          step={s}
          index={i}
          count={steps.length}
          ext={ext}
          directory={directory}
          error={error}
          disabled={!canEdit}
          onChange={(change) => setSteps(steps.map((x, j) => (j === i ? { ...x, ...change } : x)))}
          onMove={(from, to) => setSteps(moved(steps, from, to))}
          onRemove={() => setSteps(steps.filter((_, j) => j !== i))}
        />
      ))}
      <FieldErrorText>
        {leftover(error, 'callRules.followMe', [
          ...handled,
          'callRules.followMe.ringDesk',
          'callRules.followMe.confirmExternal',
        ])}
      </FieldErrorText>
      {canEdit ? (
        <Group>
          <Button
            variant="light"
            size="xs"
            disabled={steps.length >= MAX_STEPS}
            onClick={() => setSteps([...steps, newStep()])}
          >
            {t('callHandling.addStep')}
          </Button>
        </Group>
      ) : null}
      {steps.length > 0 ? (
        <RingTimeline
          title={t('callHandling.timeline')}
          bars={bars}
          total={line.total}
          footer={after(line.total)}
        />
      ) : null}
    </Section>
  );
}

// --- callers who always ring -----------------------------------------------------------------

function ExceptionsPart({
  draft,
  set,
  error,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
}) {
  const { t } = useTranslation();
  return (
    <Section title={t('callHandling.exceptions')}>
      <Textarea
        label={t('callHandling.exceptionsLabel')}
        description={t('callHandling.exceptionsHint')}
        autosize
        minRows={2}
        maxRows={8}
        value={draft.exceptions}
        onChange={(e) => set({ exceptions: e.currentTarget.value })}
        error={numbersError(error, 'callRules.exceptions', draft.exceptions, (number) =>
          t('callHandling.badNumber', { number }),
        )}
      />
    </Section>
  );
}

// --- status by calendar ----------------------------------------------------------------------

function CalendarPart({
  draft,
  set,
  error,
  tenantId,
  calendars,
  staff,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
  tenantId: string;
  calendars: ReturnType<typeof useCalendars>;
  /** May read calendars (and so choose one). */
  staff: boolean;
}) {
  const { t } = useTranslation();
  const field = 'callRules.statusByCalendar';
  const statusData = STATUSES.map((s) => ({ value: s, label: t(`callHandling.statuses.${s}`) }));
  const forbidden = calendars.error instanceof ApiProblem && calendars.error.status === 403;
  // A user may not read calendars: what an administrator set shows in words; nothing when unset.
  if (!staff || forbidden) {
    if (!draft.calendarOn) return null;
    return (
      <Section title={t('callHandling.byCalendar')} hint={t('callHandling.byCalendarHint')}>
        <Text size="sm">
          {t('callHandling.byCalendarNowUnnamed', { status: t(`callHandling.statuses.${draft.whenClosed}`) })}{' '}
          {t('callHandling.byCalendarSetBy')}
        </Text>
        <FieldErrorText>{fieldErrorWithin(error, field)}</FieldErrorText>
      </Section>
    );
  }
  const list = calendars.data?.items ?? [];
  const data = list.map((c) => ({ value: c.id, label: c.name }));
  if (draft.calendarId && !data.some((c) => c.value === draft.calendarId))
    data.push({ value: draft.calendarId, label: calendars.isPending ? '…' : t('destination.missing') });
  const zone = list.find((c) => c.id === draft.calendarId)?.timeZone ?? undefined;
  return (
    <Section title={t('callHandling.byCalendar')} hint={t('callHandling.byCalendarHint')}>
      <ProblemAlert error={forbidden ? null : calendars.error} />
      <Switch
        label={t('callHandling.byCalendarOn')}
        checked={draft.calendarOn}
        onChange={(e) => set({ calendarOn: e.currentTarget.checked })}
      />
      {draft.calendarOn ? (
        <>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <Select
              label={t('callHandling.calendar')}
              description={calendars.data && list.length === 0 ? t('callHandling.noCalendars') : undefined}
              placeholder={t('destination.choose')}
              data={data}
              value={draft.calendarId}
              onChange={(calendarId) => set({ calendarId })}
              allowDeselect={false}
              searchable
              nothingFoundMessage={t('destination.nothingFound')}
              error={fieldError(error, `${field}.calendarId`)}
            />
            <Select
              label={t('callHandling.whenClosed')}
              data={statusData}
              value={draft.whenClosed}
              onChange={(v) => v && set({ whenClosed: v as PresenceStatus })}
              allowDeselect={false}
              error={fieldError(error, `${field}.whenClosed`)}
            />
          </SimpleGrid>
          {draft.calendarId && list.some((c) => c.id === draft.calendarId) ? (
            <CalendarStateBadge tenantId={tenantId} id={draft.calendarId} timeZone={zone} withDetail />
          ) : null}
        </>
      ) : null}
      <FieldErrorText>
        {leftover(error, field, [`${field}.calendarId`, `${field}.whenClosed`])}
      </FieldErrorText>
    </Section>
  );
}

// --- secretary -------------------------------------------------------------------------------

function SecretaryPart({
  draft,
  set,
  error,
  ext,
  directory,
}: {
  draft: CallHandlingDraft;
  set: (change: Partial<CallHandlingDraft>) => void;
  error: unknown;
  ext: Extension;
  directory: readonly Extension[];
}) {
  const { t } = useTranslation();
  const after = useAfterRing(ext);
  const field = 'callRules.secretary';
  const chosen = draft.secretaryNumber ? [draft.secretaryNumber] : [];
  const line = secretaryTimeline(draft.secretaryMode, draft.firstSec, ext.ringTimeoutSec);
  const secretary = draft.secretaryNumber ?? '…';
  const bars: TimelineBar[] = [
    {
      key: 'secretary',
      label: t('callHandling.timelineSecretary', { number: secretary }),
      span: line.secretary,
      color: 'grape.5',
    },
    ...(line.boss
      ? [
          {
            key: 'boss',
            label: t('callHandling.timelineBoss', { number: ext.number }),
            span: line.boss,
            color: 'blue.5',
          },
        ]
      : []),
  ];
  return (
    <Section title={t('callHandling.secretary')} hint={t('callHandling.secretaryHint')}>
      <Switch
        label={t('callHandling.secretaryOn')}
        checked={draft.secretaryOn}
        onChange={(e) => set({ secretaryOn: e.currentTarget.checked })}
      />
      {draft.secretaryOn ? (
        <>
          <Select
            label={t('callHandling.secretaryNumber')}
            placeholder={t('destination.choose')}
            data={pickerData(directory, ext.number, chosen)}
            value={draft.secretaryNumber}
            onChange={(secretaryNumber) => set({ secretaryNumber })}
            allowDeselect={false}
            searchable
            nothingFoundMessage={t('destination.nothingFound')}
            error={fieldError(error, `${field}.number`)}
            maw={{ base: '100%', xs: 320 }}
          />
          <Radio.Group
            label={t('callHandling.mode')}
            value={draft.secretaryMode}
            onChange={(v) => set({ secretaryMode: v as SecretaryMode })}
            error={fieldError(error, `${field}.mode`)}
          >
            <Stack gap={8} mt={6}>
              {SECRETARY_MODES.map((m) => (
                <Radio
                  key={m}
                  value={m}
                  label={t(`callHandling.modes.${m}`)}
                  description={t(`callHandling.modeHints.${m}`)}
                />
              ))}
            </Stack>
          </Radio.Group>
          {draft.secretaryMode === 'secretaryFirst' ? (
            <NumberInput
              label={t('callHandling.firstSec')}
              min={0}
              max={120}
              allowDecimal={false}
              allowNegative={false}
              value={draft.firstSec}
              onChange={(firstSec) => set({ firstSec })}
              error={fieldError(error, `${field}.firstSec`)}
              maw={{ base: '100%', xs: 320 }}
            />
          ) : null}
          <Textarea
            label={t('callHandling.direct')}
            description={t('callHandling.directHint')}
            autosize
            minRows={2}
            maxRows={8}
            value={draft.direct}
            onChange={(e) => set({ direct: e.currentTarget.value })}
            error={numbersError(error, `${field}.direct`, draft.direct, (number) =>
              t('callHandling.badNumber', { number }),
            )}
          />
          <RingTimeline
            title={t('callHandling.timeline')}
            bars={bars}
            total={line.total}
            footer={after(line.total)}
          />
        </>
      ) : null}
      <FieldErrorText>
        {leftover(error, field, [`${field}.number`, `${field}.mode`, `${field}.firstSec`, `${field}.direct`])}
      </FieldErrorText>
    </Section>
  );
}

// --- the editor ------------------------------------------------------------------------------

function CallHandlingEditor({
  tenantId,
  ext,
  canEdit,
  staff,
}: {
  tenantId: string;
  ext: Extension;
  canEdit: boolean;
  /** Reads calendars: status by calendar is theirs to set. */
  staff: boolean;
}) {
  const { t } = useTranslation();
  const changed = useExtensionChanged(tenantId);
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<CallHandlingDraft>(() => draftOf(ext));
  const directory = useDirectory(tenantId);
  const calendars = useCalendars(tenantId, staff);
  const save = useMutation({
    mutationFn: () => patchExtension(tenantId, ext.id, bodyOf(draft), ext.updatedAt),
    onSuccess: (after) => {
      setDraft(draftOf(after));
      changed(after);
    },
    // Changed elsewhere meanwhile: the newer version is loaded (the draft stays for the user to redo).
    onError: (e) => {
      if (e instanceof ApiProblem && e.status === 412)
        void queryClient.invalidateQueries({ queryKey: ['extensions', tenantId] });
    },
  });
  const set = (change: Partial<CallHandlingDraft>) => {
    setDraft((d) => ({ ...d, ...change }));
    if (save.isSuccess || save.isError) save.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const form = useRef<HTMLFormElement>(null);
  useRevealError(save.error, form);
  const dirty = JSON.stringify(bodyOf(draft)) !== JSON.stringify(bodyOf(draftOf(ext)));
  const people = directory.data?.items ?? [];
  const calendarName = draft.calendarId
    ? (calendars.data?.items.find((c) => c.id === draft.calendarId)?.name ?? null)
    : null;
  const parts = { draft, set, error: save.error };
  return (
    <form onSubmit={submit} noValidate ref={form}>
      <Stack>
        <ProblemAlert error={directory.error} />
        <ProblemAlert error={save.error} fields={FIELDS} />
        <Fieldset variant="unstyled" disabled={!canEdit} p={0}>
          <Stack>
            <StatusPart {...parts} tenantId={tenantId} calendarName={calendarName} />
            <ProfilesPart {...parts} />
            <ForwardingPart {...parts} canEdit={canEdit} />
            <FollowMePart {...parts} ext={ext} directory={people} canEdit={canEdit} />
            <ExceptionsPart {...parts} />
            <CalendarPart {...parts} tenantId={tenantId} calendars={calendars} staff={staff} />
            <SecretaryPart {...parts} ext={ext} directory={people} />
          </Stack>
        </Fieldset>
        {canEdit ? (
          <Paper
            withBorder
            p="sm"
            pos="sticky"
            bottom={0}
            style={{ zIndex: 3 }}
            shadow={dirty ? 'md' : undefined}
          >
            <Group>
              <Button type="submit" loading={save.isPending}>
                {t('common.save')}
              </Button>
              {save.isSuccess && !dirty ? (
                <Text size="sm" c="teal" role="status">
                  {t('common.saved')}
                </Text>
              ) : null}
              {dirty ? (
                <Text size="sm" c="dimmed">
                  {t('callHandling.unsaved')}
                </Text>
              ) : null}
            </Group>
          </Paper>
        ) : null}
      </Stack>
    </form>
  );
}

// --- the pages -------------------------------------------------------------------------------

const isStaff = (me: Me) => me.role === 'tenant_admin' || me.role === 'supervisor' || me.role === 'operator';

/** The signed-in user's own extensions, one at a time. */
function MyCallHandling({ me, tenantId }: { me: Me; tenantId: string }) {
  const { t } = useTranslation();
  const user = me.user;
  const [chosen, setChosen] = useState<string | null>(null);
  const mine = useQuery({
    queryKey: ['extensions', tenantId, 'mine', user?.id ?? ''],
    enabled: !!user,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId }, query: { userId: user!.id, limit: ALL, sort: 'number' } },
        }),
      ),
  });
  const staffHint =
    me.role === 'tenant_admin' || me.role === 'supervisor' ? (
      <Text size="sm" c="dimmed">
        {t('callHandling.staffHint')}{' '}
        <Anchor component={Link} to="/extensions" size="sm">
          {t('nav.extensions')}
        </Anchor>
      </Text>
    ) : null;
  if (me.kind === 'apiKey' || !user)
    return (
      <Alert color="blue" role="status">
        {t('callHandling.apiKeyNote')}
      </Alert>
    );
  const items = mine.data?.items ?? [];
  const ext = items.find((e) => e.id === chosen) ?? items[0];
  // Supervisors may read extensions but not change them (src/api/permissions.ts).
  const canEdit = me.role !== 'supervisor';
  return (
    <Stack>
      <Text c="dimmed">{t('callHandling.intro')}</Text>
      <ProblemAlert error={mine.error} />
      {mine.isPending ? <Text c="dimmed">{t('common.loading')}</Text> : null}
      {mine.data && items.length === 0 ? (
        <>
          <Text>{t('callHandling.noExtensions')}</Text>
          {staffHint}
        </>
      ) : null}
      {items.length > 1 ? (
        <Select
          label={t('callHandling.extension')}
          data={items.map((e) => ({ value: e.id, label: `${e.number} ${e.displayName}`.trim() }))}
          value={ext?.id ?? null}
          onChange={setChosen}
          allowDeselect={false}
          maw={{ base: '100%', xs: 320 }}
        />
      ) : null}
      {ext ? (
        <>
          {items.length === 1 ? (
            <Text fw={700} size="lg">
              {ext.number}
              {ext.displayName ? (
                <Text span c="dimmed" fw={400} size="md">
                  {' '}
                  {ext.displayName}
                </Text>
              ) : null}
            </Text>
          ) : null}
          {canEdit ? null : (
            <Alert color="gray" role="status">
              {t('callHandling.readOnly')}
            </Alert>
          )}
          <CallHandlingEditor
            key={ext.id}
            tenantId={tenantId}
            ext={ext}
            canEdit={canEdit}
            staff={isStaff(me)}
          />
          {staffHint}
        </>
      ) : null}
    </Stack>
  );
}

/** Any extension of the tenant, by id: an admin changes it, a supervisor reads it, its owner changes it. */
function OneCallHandling({ me, tenantId, id }: { me: Me; tenantId: string; id: string }) {
  const { t } = useTranslation();
  const one = useQuery({
    queryKey: ['extensions', tenantId, 'one', id],
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/extensions/{id}', { params: { path: { tenantId, id } } })),
  });
  const ext = one.data;
  const canEdit =
    me.role === 'tenant_admin' ||
    me.role === 'operator' ||
    (me.role === 'user' && !!ext && ext.userId !== null && ext.userId === me.user?.id);
  return (
    <Stack>
      {isStaff(me) ? (
        <Anchor component={Link} to="/extensions" size="sm">
          ← {t('callHandling.back')}
        </Anchor>
      ) : null}
      <ProblemAlert error={one.error} />
      {one.isPending ? <Text c="dimmed">{t('common.loading')}</Text> : null}
      {ext ? (
        <>
          <Text c="dimmed">{t('callHandling.introFor', { number: ext.number, name: ext.displayName })}</Text>
          {canEdit ? null : (
            <Alert color="gray" role="status">
              {t('callHandling.readOnly')}
            </Alert>
          )}
          <CallHandlingEditor
            key={ext.id}
            tenantId={tenantId}
            ext={ext}
            canEdit={canEdit}
            staff={isStaff(me)}
          />
        </>
      ) : null}
    </Stack>
  );
}

export default function CallHandling({ me }: { me: Me }) {
  const { t } = useTranslation();
  const { extensionId } = useParams();
  const tenantId = me.tenantId;
  return (
    <Stack maw={960}>
      <Title order={2}>{t('callHandling.title')}</Title>
      {!tenantId ? (
        <Alert color="blue" role="status">
          {t('callHandling.noTenant')}
        </Alert>
      ) : extensionId ? (
        <OneCallHandling me={me} tenantId={tenantId} id={extensionId} />
      ) : (
        <MyCallHandling me={me} tenantId={tenantId} />
      )}
    </Stack>
  );
}
