/**
 * Outbound routes of the tenant: which of the operator's trunks a call to an
 * outside number takes. The list is in the order the PBX looks at the routes
 * (priority, lowest first); a route has dial patterns (Asterisk style, a literal
 * number or a /regular expression/, each with digits to strip and to prepend),
 * trunks tried in order, and the caller ID its calls show.
 *
 * Below the list: the pattern tester — a number (and who dials it) in, and the
 * picture of what happens out: route → trunk → trunk, the number each trunk is
 * sent, the call's class against the class allowed, or why it is refused — and
 * the extensions whose external calls are blocked, with Unblock. Above the tester,
 * the tenant's external calls today (minutes, spend and calls at once against
 * the caps). Supervisors see all of it, read-only.
 */
import {
  Badge,
  Box,
  Button,
  Code,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, Fragment, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type {
  CallClass,
  Me,
  OutboundPlan,
  OutboundRoute,
  OutboundRouteBody,
  TenantTrunk,
} from '../api/types';
import { lesserClass } from '../call-classes';
import { ExternalUsageCard } from '../components/ExternalUsage';
import {
  callerIdOf,
  callerIdOptions,
  callerIdValue,
  useAllExtensions,
  useBlockedExtensions,
  useSetBlocked,
  useTenant,
  useTenantNumbers,
  useTenantTrunks,
} from '../components/OutboundCalling';
import { FieldErrorText, fieldError, ProblemAlert } from '../components/Problem';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';
import { moved, OrderButtons } from '../components/RowActions';
import { TrunkStateBadge } from '../components/TrunkState';
import { trunksEn } from '../i18n/trunks';

/** A pattern as the form holds it: strip may be empty while typed. */
interface PatternDraft {
  /** For React only: patterns move. */
  key: number;
  match: string;
  strip: number | string;
  prepend: string;
}

let nextKey = 1;

const byPriority = (routes: OutboundRoute[]) =>
  [...routes].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));

function PatternRow({
  pattern,
  index,
  count,
  error,
  canWrite,
  onChange,
  onMove,
  onRemove,
}: {
  pattern: PatternDraft;
  index: number;
  count: number;
  error: unknown;
  canWrite: boolean;
  onChange: (change: Partial<PatternDraft>) => void;
  onMove: (from: number, to: number) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const label = t('outboundRoutes.pattern', { n: index + 1 });
  const field = `patterns.${index}`;
  return (
    <Paper withBorder p="xs" role="group" aria-label={label}>
      <Group align="flex-start" gap="xs" wrap="nowrap">
        <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="xs" style={{ flex: 1 }}>
          <TextInput
            label={t('outboundRoutes.match')}
            description={t('outboundRoutes.matchHint')}
            required
            autoComplete="off"
            spellCheck={false}
            maxLength={200}
            value={pattern.match}
            onChange={(e) => onChange({ match: e.currentTarget.value })}
            error={fieldError(error, `${field}.match`)}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <NumberInput
            label={t('outboundRoutes.strip')}
            description={t('outboundRoutes.stripHint')}
            min={0}
            max={20}
            allowDecimal={false}
            allowNegative={false}
            value={pattern.strip}
            onChange={(strip) => onChange({ strip })}
            error={fieldError(error, `${field}.strip`)}
          />
          <TextInput
            label={t('outboundRoutes.prepend')}
            description={t('outboundRoutes.prependHint')}
            autoComplete="off"
            maxLength={20}
            value={pattern.prepend}
            onChange={(e) => onChange({ prepend: e.currentTarget.value })}
            error={fieldError(error, `${field}.prepend`)}
          />
        </SimpleGrid>
        <Box pt={44}>
          <OrderButtons
            index={index}
            count={count}
            label={label}
            disabled={!canWrite}
            onMove={onMove}
            onRemove={onRemove}
          />
        </Box>
      </Group>
    </Paper>
  );
}

function OutboundRouteForm({
  trunks,
  ...editor
}: RoutingEditorProps<OutboundRoute> & { trunks: readonly TenantTrunk[] }) {
  const { t } = useTranslation();
  const { item: route, canWrite } = editor;
  const numbers = useTenantNumbers(editor.tenantId);
  const [name, setName] = useState(route?.name ?? '');
  const [priority, setPriority] = useState<number | string>(route?.priority ?? 100);
  const [patterns, setPatterns] = useState<PatternDraft[]>(() =>
    (route?.patterns ?? [{ match: '', strip: 0, prepend: '' }]).map((p) => ({ ...p, key: nextKey++ })),
  );
  const [trunkIds, setTrunkIds] = useState<string[]>(route?.trunkIds ?? []);
  const [callerId, setCallerId] = useState<string | null>(route?.callerId ?? null);
  const save = useSaveRouting('outboundRoutes', editor);
  const body = (): OutboundRouteBody => ({
    name,
    priority: typeof priority === 'number' ? priority : 100,
    patterns: patterns.map((p) => ({
      match: p.match.trim(),
      strip: typeof p.strip === 'number' ? p.strip : 0,
      prepend: p.prepend.trim(),
    })),
    trunkIds,
    callerId,
  });
  const setPattern = (i: number, change: Partial<PatternDraft>) =>
    setPatterns((ps) => ps.map((p, j) => (j === i ? { ...p, ...change } : p)));
  const trunkOf = (id: string) => trunks.find((x) => x.id === id);
  const candidates = trunks
    .filter((x) => !trunkIds.includes(x.id))
    .map((x) => ({ value: x.id, label: x.name }));
  return (
    <RoutingForm
      editor={editor}
      save={save}
      body={body}
      fields={['name', 'priority', 'patterns.*', 'trunkIds.*', 'callerId']}
    >
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <TextInput
          label={t('outboundRoutes.name')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(save.error, 'name')}
          data-autofocus
        />
        <NumberInput
          label={t('outboundRoutes.priority')}
          description={t('outboundRoutes.priorityHint')}
          min={0}
          max={10_000}
          allowDecimal={false}
          allowNegative={false}
          value={priority}
          onChange={setPriority}
          error={fieldError(save.error, 'priority')}
        />
      </SimpleGrid>

      <Stack gap="xs">
        <Title order={3} size="h5">
          {t('outboundRoutes.patterns')}
        </Title>
        <Text size="xs" c="dimmed">
          {t('outboundRoutes.patternsHelp')}
        </Text>
        {patterns.map((p, i) => (
          <PatternRow
            key={p.key}
            pattern={p}
            index={i}
            count={patterns.length}
            error={save.error}
            canWrite={canWrite}
            onChange={(change) => setPattern(i, change)}
            onMove={(from, to) => setPatterns((ps) => moved(ps, from, to))}
            onRemove={() => setPatterns((ps) => ps.filter((_, j) => j !== i))}
          />
        ))}
        <FieldErrorText>{fieldError(save.error, 'patterns')}</FieldErrorText>
        {canWrite ? (
          <Group>
            <Button
              variant="light"
              size="xs"
              onClick={() =>
                setPatterns((ps) => [...ps, { key: nextKey++, match: '', strip: 0, prepend: '' }])
              }
            >
              {t('outboundRoutes.addPattern')}
            </Button>
          </Group>
        ) : null}
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h5">
          {t('outboundRoutes.trunks')}
        </Title>
        <Text size="xs" c="dimmed">
          {t('outboundRoutes.trunksHint')}
        </Text>
        {trunkIds.length === 0 ? (
          <Text size="sm" c="dimmed">
            {trunks.length === 0 ? t('outboundRoutes.noTrunksAvailable') : t('outboundRoutes.noTrunks')}
          </Text>
        ) : (
          <Table verticalSpacing={4} aria-label={t('outboundRoutes.trunks')}>
            <Table.Tbody>
              {trunkIds.map((id, i) => {
                const trunk = trunkOf(id);
                const trunkName = trunk?.name ?? t('outboundRoutes.unknownTrunk');
                return (
                  <Table.Tr key={id} aria-label={t('outboundRoutes.trunkRow', { n: i + 1, name: trunkName })}>
                    <Table.Td w={30}>{i + 1}</Table.Td>
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {trunkName}
                      </Text>
                      <FieldErrorText>{fieldError(save.error, `trunkIds.${i}`)}</FieldErrorText>
                    </Table.Td>
                    <Table.Td>{trunk ? <TrunkStateBadge state={trunk.state} /> : null}</Table.Td>
                    <Table.Td>
                      <Group justify="flex-end">
                        <OrderButtons
                          index={i}
                          count={trunkIds.length}
                          label={trunkName}
                          disabled={!canWrite}
                          onMove={(from, to) => setTrunkIds((ids) => moved(ids, from, to))}
                          onRemove={() => setTrunkIds((ids) => ids.filter((_, j) => j !== i))}
                        />
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        )}
        <FieldErrorText>{fieldError(save.error, 'trunkIds')}</FieldErrorText>
        {canWrite && candidates.length > 0 ? (
          <Select
            label={t('outboundRoutes.addTrunk')}
            placeholder={t('outboundRoutes.addTrunkPlaceholder')}
            data={candidates}
            value={null}
            onChange={(id) => {
              if (id) setTrunkIds((ids) => [...ids, id]);
            }}
            maw={{ base: '100%', xs: 320 }}
          />
        ) : null}
      </Stack>

      <Select
        label={t('outboundRoutes.callerId')}
        description={t('outboundRoutes.callerIdHint')}
        data={callerIdOptions(numbers.data ?? [], callerId, {
          none: t('outboundRoutes.callerIdOwn'),
          anonymous: t('outboundRoutes.callerIdAnonymous'),
        })}
        value={callerIdValue(callerId)}
        onChange={(v) => setCallerId(callerIdOf(v))}
        allowDeselect={false}
        maw={{ base: '100%', xs: 420 }}
        error={fieldError(save.error, 'callerId')}
      />
    </RoutingForm>
  );
}

type KnownClass = keyof typeof trunksEn.callClass;
const isClass = (c: string): c is KnownClass => Object.hasOwn(trunksEn.callClass, c);

/** A refusal's reason in the user's language (the API sends its SIP reason phrase). */
function useReason() {
  const { t } = useTranslation();
  const className = (c: string) => (isClass(c) ? t(`callClass.${c}`) : c);
  return {
    className,
    /** The text, and the class of the number when the call class was what refused it. */
    of: (reason: string | null): { text: string; numberClass: string | null } => {
      if (reason === 'No Route') return { text: t('tester.reasons.noRoute'), numberClass: null };
      if (reason === 'External Calls Blocked')
        return { text: t('tester.reasons.blocked'), numberClass: null };
      if (reason === 'Address Incomplete') return { text: t('tester.reasons.incomplete'), numberClass: null };
      const byClass = /^(\w+) calls not allowed$/.exec(reason ?? '');
      if (byClass?.[1])
        return {
          text: t('tester.reasons.callClass', { class: className(byClass[1]) }),
          numberClass: byClass[1],
        };
      return { text: reason ?? t('tester.refused'), numberClass: null };
    },
  };
}

/** The number's class against what the caller may call. */
function ClassLine({ numberClass, allowed }: { numberClass: string; allowed: CallClass | null }) {
  const { t } = useTranslation();
  const { className } = useReason();
  return (
    <Group gap="xs" data-testid="plan-class">
      <Text size="sm">{t('tester.classIs', { class: className(numberClass) })}</Text>
      {allowed ? (
        <Text size="sm" c="dimmed">
          ({t('tester.allowedIs', { class: className(allowed) })})
        </Text>
      ) : null}
    </Group>
  );
}

function Arrow() {
  return (
    <Text c="dimmed" fz="xl" aria-hidden>
      →
    </Text>
  );
}

/** What the tester found: route → trunks (greyed when not usable), or the refusal. */
function PlanPicture({ plan, allowed }: { plan: OutboundPlan; allowed: CallClass | null }) {
  const { t } = useTranslation();
  const reason = useReason();
  if (!plan.allowed) {
    const why = reason.of(plan.reason);
    return (
      <Paper
        withBorder
        p="sm"
        style={{ borderColor: 'var(--mantine-color-red-5)' }}
        data-testid="plan-refused"
      >
        <Stack gap={6}>
          <Group gap="xs">
            <Badge color="red">{t('tester.refused')}</Badge>
            <Text size="sm" fw={600}>
              {why.text}
            </Text>
            {plan.status ? (
              <Text size="xs" c="dimmed">
                {t('tester.sipStatus', { status: plan.status })}
              </Text>
            ) : null}
          </Group>
          {why.numberClass ? <ClassLine numberClass={why.numberClass} allowed={allowed} /> : null}
        </Stack>
      </Paper>
    );
  }
  return (
    <Stack gap="xs">
      <Group gap="xs" align="center" wrap="wrap">
        <Paper withBorder p="xs" data-testid="plan-route" bg="var(--mantine-color-blue-light)">
          <Text size="xs" c="dimmed">
            {t('tester.route')}
          </Text>
          <Text fw={600} size="sm">
            {plan.route?.name}
          </Text>
        </Paper>
        {plan.trunks.map((trunk, i) => (
          <Fragment key={trunk.id}>
            <Arrow />
            <Paper
              withBorder
              p="xs"
              data-testid="plan-trunk"
              data-usable={trunk.usable}
              aria-label={`${i + 1}. ${trunk.name}`}
              style={trunk.usable ? undefined : { opacity: 0.45, filter: 'grayscale(1)' }}
            >
              <Group gap={6}>
                <Text fw={600} size="sm">
                  {trunk.name}
                </Text>
                <TrunkStateBadge state={trunk.state} />
              </Group>
              <Text size="sm" data-testid="plan-sends">
                {t('tester.sends', { number: trunk.sends })}
              </Text>
              {trunk.usable ? null : (
                <Text size="xs" c="dimmed">
                  {t('tester.notUsable')}
                </Text>
              )}
            </Paper>
          </Fragment>
        ))}
      </Group>
      {plan.trunks.every((x) => !x.usable) ? (
        <Text size="sm" c="red">
          {t('tester.noTrunk')}
        </Text>
      ) : null}
      <Text size="sm">{t('tester.numberIs', { number: plan.number ?? '' })}</Text>
      {plan.numberClass ? <ClassLine numberClass={plan.numberClass} allowed={plan.allowedClass} /> : null}
      <Text size="sm">{t('tester.callerIdIs', { callerId: plan.callerId ?? t('tester.callerIdNone') })}</Text>
    </Stack>
  );
}

const NONE = 'tenant';

function PatternTester({ tenantId }: { tenantId: string }) {
  const { t } = useTranslation();
  const headingId = useId();
  const [number, setNumber] = useState('');
  const [extension, setExtension] = useState(NONE);
  const [invalid, setInvalid] = useState(false);
  const extensions = useAllExtensions(tenantId);
  const tenant = useTenant(tenantId);
  const plan = useMutation({
    mutationFn: (q: { number: string; extension: string | null }) =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/outbound-plan', {
          params: {
            path: { tenantId },
            query: { number: q.number, ...(q.extension ? { extension: q.extension } : {}) },
          },
        }),
      ),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Dialled as people write numbers: spaces, dashes and brackets go.
    const dialled = number.replace(/[\s()-]/g, '');
    const ok = /^\+?[0-9*#]{1,32}$/.test(dialled);
    setInvalid(!ok);
    if (ok) plan.mutate({ number: dialled, extension: extension === NONE ? null : extension });
  };
  // What the caller may call: the extension's class, never more than the tenant's.
  const asked = plan.variables?.extension ?? null;
  const ext = asked ? extensions.data?.items.find((x) => x.number === asked) : undefined;
  const tenantClass = tenant.data?.limits.maxCallClass ?? null;
  const allowed = tenantClass ? (ext ? lesserClass(ext.callClass, tenantClass) : tenantClass) : null;
  return (
    <Stack component="section" aria-labelledby={headingId} gap="sm">
      <Title order={3} id={headingId}>
        {t('tester.title')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('tester.intro')}
      </Text>
      <form onSubmit={submit} noValidate>
        <Group align="flex-start" gap="sm">
          <TextInput
            label={t('tester.number')}
            inputMode="tel"
            autoComplete="off"
            value={number}
            onChange={(e) => setNumber(e.currentTarget.value)}
            error={invalid ? t('tester.invalid') : fieldError(plan.error, 'number')}
            w={{ base: '100%', xs: 220 }}
          />
          <Select
            label={t('tester.extension')}
            data={[
              { value: NONE, label: t('tester.extensionNone') },
              ...(extensions.data?.items ?? []).map((x) => ({
                value: x.number,
                label: `${x.number} ${x.displayName}`.trim(),
              })),
            ]}
            value={extension}
            onChange={(v) => setExtension(v ?? NONE)}
            allowDeselect={false}
            searchable
            w={{ base: '100%', xs: 340 }}
            error={fieldError(plan.error, 'extension')}
          />
          <Button type="submit" mt={{ base: 0, xs: 25 }} loading={plan.isPending}>
            {t('tester.run')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={plan.error} fields={['number', 'extension']} />
      {plan.data ? (
        <Box
          component="figure"
          m={0}
          aria-label={t('tester.result')}
          data-number={plan.variables?.number}
          data-extension={plan.variables?.extension ?? ''}
        >
          <PlanPicture plan={plan.data} allowed={plan.data.allowedClass ?? allowed} />
        </Box>
      ) : null}
    </Stack>
  );
}

/** Extensions the fraud rule (or an administrator) stopped, each with Unblock. */
function BlockedExtensions({ tenantId, canWrite }: { tenantId: string; canWrite: boolean }) {
  const { t } = useTranslation();
  const headingId = useId();
  const blocked = useBlockedExtensions(tenantId);
  const unblock = useSetBlocked(tenantId);
  const items = blocked.data ?? [];
  return (
    <Stack component="section" aria-labelledby={headingId} gap="sm" id="blocked">
      <Title order={3} id={headingId}>
        {t('blocked.title')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('blocked.intro')}
      </Text>
      <ProblemAlert error={blocked.error ?? unblock.error} />
      {blocked.data && items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('blocked.none')}
        </Text>
      ) : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={520}>
          <Table aria-label={t('blocked.title')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('blocked.extension')}</Table.Th>
                <Table.Th>{t('blocked.reason')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((x) => (
                <Table.Tr key={x.id} data-extension={x.number}>
                  <Table.Td>
                    <Text fw={600} size="sm" c="red">
                      {x.number}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {x.displayName}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{x.externalBlocked}</Text>
                  </Table.Td>
                  <Table.Td>
                    {canWrite ? (
                      <Group justify="flex-end">
                        <Button
                          size="xs"
                          color="red"
                          variant="light"
                          loading={unblock.isPending && unblock.variables?.id === x.id}
                          onClick={() => unblock.mutate({ id: x.id, number: x.number, reason: null })}
                          aria-label={t('blocked.unblockNamed', { number: x.number })}
                        >
                          {t('blocked.unblock')}
                        </Button>
                      </Group>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}

export default function OutboundRoutes({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const trunks = useTenantTrunks(tenantId);
  const list = trunks.data ?? [];
  const trunkName = (id: string) => list.find((x) => x.id === id)?.name ?? t('outboundRoutes.unknownTrunk');
  return (
    <Stack gap="xl">
      <RoutingListPage
        me={me}
        kind="outboundRoutes"
        intro={t('outboundRoutes.intro')}
        minWidth={720}
        arrange={byPriority}
        columns={[
          { title: t('outboundRoutes.priority'), cell: (r) => r.priority, td: { w: 80 } },
          { title: t('outboundRoutes.name'), cell: (r) => r.name, td: { fw: 600 } },
          {
            title: t('outboundRoutes.patterns'),
            cell: (r) => (
              <Group gap={4}>
                {r.patterns.map((p) => (
                  <Code key={p.match}>{p.match}</Code>
                ))}
              </Group>
            ),
          },
          { title: t('outboundRoutes.trunks'), cell: (r) => r.trunkIds.map(trunkName).join(' → ') },
          {
            title: t('outboundRoutes.callerId'),
            cell: (r) =>
              r.callerId === 'anonymous'
                ? t('outboundRoutes.callerIdAnonymous')
                : (r.callerId ?? t('common.none')),
          },
        ]}
        editor={(props) => <OutboundRouteForm {...props} trunks={list} />}
      />
      <ExternalUsageCard tenantId={tenantId} />
      <PatternTester tenantId={tenantId} />
      <BlockedExtensions tenantId={tenantId} canWrite={canWrite} />
    </Stack>
  );
}
