/**
 * Inbound routes of the tenant: where a call to one of its outside numbers (DIDs)
 * goes. Caller rules come first, in order — anonymous callers, or callers from a
 * list of numbers (a trailing * matches a prefix) — each with its own destination;
 * the route's destination takes every other call. Supervisors see them read-only.
 */
import {
  Badge,
  Button,
  Fieldset,
  Group,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { CallerRule, Destination, InboundRoute, InboundRouteBody, Me } from '../api/types';
import { ConfirmDelete } from '../components/ConfirmDelete';
import {
  DestinationPicker,
  type RoutingOptions,
  useDescribeDestination,
  useRoutingOptions,
} from '../components/DestinationPicker';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import {
  FieldErrorText,
  fieldError,
  fieldErrorWithin,
  ProblemAlert,
  useRevealError,
} from '../components/Problem';
import { moved, OrderButtons, RowActions } from '../components/RowActions';

const PAGE = 25;

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
  tenantId,
  route,
  canWrite,
  options,
  onDone,
  onClose,
}: {
  tenantId: string;
  route: InboundRoute | null;
  canWrite: boolean;
  options: RoutingOptions;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(route?.name ?? '');
  const [number, setNumber] = useState(route?.number ?? '');
  const [destination, setDestination] = useState<Destination | null>(route?.destination ?? null);
  const [rules, setRules] = useState<RuleDraft[]>(() => (route?.callerRules ?? []).map(draftOf));
  const save = useMutation({
    mutationFn: async () => {
      const body: InboundRouteBody = {
        name,
        number: number.replace(/[\s()-]/g, ''),
        destination: destination ?? { kind: 'extension' },
        callerRules: rules.map((r) => ({
          name: r.name,
          match: r.anonymous ? { anonymous: true } : { numbers: parseNumbers(r.numbers) },
          destination: r.destination ?? { kind: 'extension' },
        })),
      };
      if (route)
        return unwrap(
          api.PUT('/api/v1/tenants/{tenantId}/inbound-routes/{id}', {
            params: { path: { tenantId, id: route.id } },
            body,
          }),
        );
      return unwrap(
        api.POST('/api/v1/tenants/{tenantId}/inbound-routes', { params: { path: { tenantId } }, body }),
      );
    },
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const setRule = (i: number, change: Partial<RuleDraft>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const rulesError = fieldError(save.error, 'callerRules');
  const form = useRef<HTMLFormElement>(null);
  useRevealError(save.error, form);
  return (
    <form onSubmit={submit} noValidate ref={form}>
      <Stack>
        <ProblemAlert
          error={save.error}
          fields={[
            'name',
            'number',
            'destination.*',
            'callerRules',
            ...rules.map((_, i) => `callerRules.${i}.*`),
          ]}
        />
        <Fieldset variant="unstyled" disabled={!canWrite} p={0}>
          <Stack>
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
          </Stack>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {canWrite ? t('common.cancel') : t('common.close')}
          </Button>
          {canWrite ? (
            <Button type="submit" loading={save.isPending}>
              {route ? t('common.save') : t('common.create')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}

export default function InboundRoutes({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const paging = useListPage(PAGE);
  // On a phone the editor takes the whole screen.
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const { search, page } = paging;
  const [editing, setEditing] = useState<InboundRoute | 'new' | null>(null);
  const [deleting, setDeleting] = useState<InboundRoute | null>(null);
  const options = useRoutingOptions(tenantId);
  const describe = useDescribeDestination(options);
  const list = useQuery({
    queryKey: ['inboundRoutes', tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/inbound-routes', {
          params: { path: { tenantId }, query: { ...paging.query, sort: 'number' } },
        }),
      ),
  });
  const changed = () => void client.invalidateQueries({ queryKey: ['inboundRoutes', tenantId] });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('inboundRoutes.title')}</Title>
        {canWrite ? <Button onClick={() => setEditing('new')}>{t('inboundRoutes.add')}</Button> : null}
      </Group>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('inboundRoutes.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={600}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('inboundRoutes.number')}</Table.Th>
                <Table.Th>{t('inboundRoutes.name')}</Table.Th>
                <Table.Th>{t('inboundRoutes.destination')}</Table.Th>
                <Table.Th>{t('inboundRoutes.callerRules')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td fw={600} style={{ whiteSpace: 'nowrap' }}>
                    {r.number}
                  </Table.Td>
                  <Table.Td>{r.name}</Table.Td>
                  <Table.Td>{describe(r.destination)}</Table.Td>
                  <Table.Td>
                    {r.callerRules.length > 0 ? (
                      <Badge variant="light">{r.callerRules.length}</Badge>
                    ) : (
                      t('common.none')
                    )}
                  </Table.Td>
                  <Table.Td>
                    <RowActions
                      name={r.number ?? r.name}
                      canWrite={canWrite}
                      onEdit={() => setEditing(r)}
                      onDelete={() => setDeleting(r)}
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
            ? t('inboundRoutes.add')
            : editing
              ? t('inboundRoutes.editTitle', { name: editing.number ?? editing.name })
              : ''
        }
      >
        {editing ? (
          <InboundRouteForm
            tenantId={tenantId}
            route={editing === 'new' ? null : editing}
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
        target={deleting ? { id: deleting.id, name: deleting.number ?? deleting.name } : null}
        onClose={() => setDeleting(null)}
        onDelete={(id) =>
          unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/inbound-routes/{id}', {
              params: { path: { tenantId, id } },
            }),
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
