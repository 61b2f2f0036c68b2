/**
 * Inbound routes of the tenant: where a call to one of its outside numbers (DIDs)
 * goes. Caller rules come first, in order — anonymous callers, or callers from a
 * list of numbers (a trailing * matches a prefix) — each with its own destination;
 * the route's destination takes every other call; and whether calls that came this
 * way are recorded. Supervisors see them read-only.
 * Opened as /inbound-routes?number=+7…, the page starts a new route for that number
 * (the tenant's numbers page links here for a number not routed yet).
 */
import {
  Badge,
  Button,
  Group,
  NumberInput,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import type { CallerRule, Destination, InboundRoute, InboundRouteBody, Me } from '../api/types';
import {
  DestinationPicker,
  type RoutingOptions,
  useDescribeDestination,
  useRoutingOptions,
} from '../components/DestinationPicker';
import { FieldErrorText, fieldError, fieldErrorWithin } from '../components/Problem';
import { type RoutingRecording, RoutingRecordingSelect } from '../components/RecordingPolicy';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';
import { moved, OrderButtons } from '../components/RowActions';

/** A caller rule as the form holds it: the numbers as typed, one per line. */
interface RuleDraft {
  /** For React only: rules move. */
  key: number;
  name: string;
  anonymous: boolean;
  numbers: string;
  destination: Destination | null;
}

let nextKey = 1;

function draftOf(rule: CallerRule): RuleDraft {
  const match = rule.match as { anonymous?: true; numbers?: string[] };
  return {
    key: nextKey++,
    name: rule.name,
    anonymous: match.anonymous === true,
    numbers: (match.numbers ?? []).join('\n'),
    destination: rule.destination,
  };
}

/** "+7 495 123-45-67, 8800*" → ["+74951234567", "8800*"]: numbers split on new lines, commas and semicolons. */
export function parseNumbers(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((n) => n.replace(/[\s()-]/g, ''))
    .filter((n) => n !== '');
}

function RuleEditor({
  rule,
  index,
  count,
  options,
  error,
  canWrite,
  onChange,
  onMove,
  onRemove,
}: {
  rule: RuleDraft;
  index: number;
  count: number;
  options: RoutingOptions;
  error: unknown;
  canWrite: boolean;
  onChange: (change: Partial<RuleDraft>) => void;
  onMove: (from: number, to: number) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const field = `callerRules.${index}`;
  const label = t('inboundRoutes.rule', { n: index + 1 });
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
            disabled={!canWrite}
            onMove={onMove}
            onRemove={onRemove}
          />
        </Group>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs">
          <TextInput
            label={t('inboundRoutes.ruleName')}
            maxLength={100}
            value={rule.name}
            onChange={(e) => onChange({ name: e.currentTarget.value })}
            error={fieldError(error, `${field}.name`)}
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id={`${titleId}-match`}>
              {t('inboundRoutes.match')}
            </Text>
            <SegmentedControl
              aria-labelledby={`${titleId}-match`}
              value={rule.anonymous ? 'anonymous' : 'numbers'}
              onChange={(v) => onChange({ anonymous: v === 'anonymous' })}
              disabled={!canWrite}
              data={[
                { value: 'numbers', label: t('inboundRoutes.matchNumbers') },
                { value: 'anonymous', label: t('inboundRoutes.matchAnonymous') },
              ]}
            />
          </Stack>
        </SimpleGrid>
        {rule.anonymous ? (
          <FieldErrorText>{fieldErrorWithin(error, `${field}.match`)}</FieldErrorText>
        ) : (
          <Textarea
            label={t('inboundRoutes.numbers')}
            description={t('inboundRoutes.numbersHint')}
            autosize
            minRows={2}
            maxRows={8}
            value={rule.numbers}
            onChange={(e) => onChange({ numbers: e.currentTarget.value })}
            error={fieldErrorWithin(error, `${field}.match`)}
          />
        )}
        <DestinationPicker
          label={t('inboundRoutes.ruleDestination')}
          value={rule.destination}
          onChange={(destination) => onChange({ destination })}
          options={options}
          error={error}
          field={`${field}.destination`}
        />
      </Stack>
    </Paper>
  );
}

function InboundRouteForm({
  options,
  newNumber,
  ...editor
}: RoutingEditorProps<InboundRoute> & { options: RoutingOptions; newNumber: string }) {
  const { t } = useTranslation();
  const { item: route, canWrite } = editor;
  const [name, setName] = useState(route?.name ?? '');
  const [number, setNumber] = useState(route?.number ?? newNumber);
  const [destination, setDestination] = useState<Destination | null>(route?.destination ?? null);
  const [ownerFirstSec, setOwnerFirstSec] = useState<number>(route?.ownerFirstSec ?? 0);
  const [recording, setRecording] = useState<RoutingRecording>(route?.recording);
  const [rules, setRules] = useState<RuleDraft[]>(() => (route?.callerRules ?? []).map(draftOf));
  const save = useSaveRouting('inboundRoutes', editor);
  const body = (): InboundRouteBody => ({
    name,
    number: number.replace(/[\s()-]/g, ''),
    ...(ownerFirstSec > 0 ? { ownerFirstSec } : {}),
    ...(recording ? { recording } : {}),
    destination: destination ?? { kind: 'extension' },
    callerRules: rules.map((r) => ({
      name: r.name,
      match: r.anonymous ? { anonymous: true } : { numbers: parseNumbers(r.numbers) },
      destination: r.destination ?? { kind: 'extension' },
    })),
  });
  const setRule = (i: number, change: Partial<RuleDraft>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const rulesError = fieldError(save.error, 'callerRules');
  return (
    <RoutingForm
      editor={editor}
      save={save}
      body={body}
      fields={[
        'name',
        'number',
        'recording',
        'destination.*',
        'ownerFirstSec',
        'callerRules',
        ...rules.map((_, i) => `callerRules.${i}.*`),
      ]}
    >
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <TextInput
          label={t('inboundRoutes.number')}
          description={t('inboundRoutes.numberHint')}
          required
          inputMode="tel"
          autoComplete="off"
          value={number}
          onChange={(e) => setNumber(e.currentTarget.value)}
          error={fieldError(save.error, 'number')}
          data-autofocus
        />
        <TextInput
          label={t('inboundRoutes.name')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(save.error, 'name')}
        />
      </SimpleGrid>
      <Stack gap="xs">
        <Title order={3} size="h5">
          {t('inboundRoutes.callerRules')}
        </Title>
        <Text size="xs" c="dimmed">
          {t('inboundRoutes.callerRulesHint')}
        </Text>
        {rules.map((r, i) => (
          <RuleEditor
            key={r.key}
            rule={r}
            index={i}
            count={rules.length}
            options={options}
            error={save.error}
            canWrite={canWrite}
            onChange={(change) => setRule(i, change)}
            onMove={(from, to) => setRules((rs) => moved(rs, from, to))}
            onRemove={() => setRules((rs) => rs.filter((_, j) => j !== i))}
          />
        ))}
        <FieldErrorText>{rulesError}</FieldErrorText>
        {canWrite ? (
          <Group>
            <Button
              variant="light"
              size="xs"
              onClick={() =>
                setRules((rs) => [
                  ...rs,
                  { key: nextKey++, name: '', anonymous: true, numbers: '', destination: null },
                ])
              }
            >
              {t('inboundRoutes.addRule')}
            </Button>
          </Group>
        ) : null}
      </Stack>
      <DestinationPicker
        label={t('inboundRoutes.destination')}
        description={t('inboundRoutes.destinationHint')}
        value={destination}
        onChange={setDestination}
        options={options}
        error={save.error}
        field="destination"
      />
      <NumberInput
        label={t('integrations.ownerFirstRoute')}
        description={t('integrations.ownerFirstRouteHint')}
        min={0}
        max={120}
        allowDecimal={false}
        value={ownerFirstSec}
        onChange={(v) => setOwnerFirstSec(typeof v === 'number' ? v : 0)}
        error={fieldError(save.error, 'ownerFirstSec')}
        maw={320}
      />
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <RoutingRecordingSelect value={recording} onChange={setRecording} error={save.error} />
      </SimpleGrid>
    </RoutingForm>
  );
}

export default function InboundRoutes({ me }: { me: Me }) {
  const { t } = useTranslation();
  const options = useRoutingOptions(me.tenantId!);
  const describe = useDescribeDestination(options);
  // A number to route, from the tenant's numbers page: the editor opens for it, once.
  const [params, setParams] = useSearchParams();
  const [newNumber] = useState(() => params.get('number') ?? '');
  useEffect(() => {
    if (params.has('number')) setParams({}, { replace: true });
  }, [params, setParams]);
  return (
    <RoutingListPage
      me={me}
      kind="inboundRoutes"
      sort="number"
      minWidth={600}
      startNew={newNumber !== ''}
      alsoStale={['tenantNumbers']}
      columns={[
        {
          title: t('inboundRoutes.number'),
          cell: (r) => r.number,
          td: { fw: 600, style: { whiteSpace: 'nowrap' } },
        },
        { title: t('inboundRoutes.name'), cell: (r) => r.name },
        { title: t('inboundRoutes.destination'), cell: (r) => describe(r.destination) },
        {
          title: t('inboundRoutes.callerRules'),
          cell: (r) =>
            r.callerRules.length > 0 ? (
              <Badge variant="light">{r.callerRules.length}</Badge>
            ) : (
              t('common.none')
            ),
        },
      ]}
      nameOf={(r) => r.number ?? r.name}
      editor={(props) => <InboundRouteForm {...props} options={options} newNumber={newNumber} />}
    />
  );
}
