/**
 * Time conditions of the tenant: a calendar decides whether calls go to the
 * "open" or the "closed" destination. List (with the calendar's state now) and a
 * dialog to create or change one; supervisors see them read-only.
 */
import {
  Badge,
  Button,
  Fieldset,
  Group,
  Select,
  Stack,
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
import type { Destination, Me, TimeCondition, TimeConditionBody } from '../api/types';
import { useCalendarState } from '../components/CalendarState';
import { ConfirmDelete } from '../components/ConfirmDelete';
import {
  DestinationPicker,
  type RoutingOptions,
  useDescribeDestination,
  useRoutingOptions,
} from '../components/DestinationPicker';
import { Dialog } from '../components/Dialog';
import { Pager, SearchField, useListPage } from '../components/ListPage';
import { fieldError, ProblemAlert, useRevealError } from '../components/Problem';
import { RowActions } from '../components/RowActions';

const PAGE = 25;

function TimeConditionForm({
  tenantId,
  condition,
  canWrite,
  options,
  onDone,
  onClose,
}: {
  tenantId: string;
  condition: TimeCondition | null;
  canWrite: boolean;
  options: RoutingOptions;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(condition?.name ?? '');
  const [calendarId, setCalendarId] = useState<string | null>(condition?.calendarId ?? null);
  const [whenOpen, setWhenOpen] = useState<Destination | null>(condition?.whenOpen ?? null);
  const [whenClosed, setWhenClosed] = useState<Destination | null>(
    condition?.whenClosed ?? { kind: 'hangup', cause: 'unavailable' },
  );
  const save = useMutation({
    mutationFn: async () => {
      // An unchosen destination goes as a kind without its id: the server names the field.
      const body = {
        name,
        calendarId: calendarId ?? '',
        whenOpen: whenOpen ?? { kind: 'extension' },
        whenClosed: whenClosed ?? { kind: 'extension' },
      } satisfies TimeConditionBody;
      if (condition)
        return unwrap(
          api.PUT('/api/v1/tenants/{tenantId}/time-conditions/{id}', {
            params: { path: { tenantId, id: condition.id } },
            body,
          }),
        );
      return unwrap(
        api.POST('/api/v1/tenants/{tenantId}/time-conditions', { params: { path: { tenantId } }, body }),
      );
    },
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const calendars = options.calendars.map((c) => ({ value: c.id, label: c.name }));
  if (calendarId && !calendars.some((c) => c.value === calendarId))
    calendars.push({ value: calendarId, label: options.loading ? '…' : t('destination.missing') });
  const form = useRef<HTMLFormElement>(null);
  useRevealError(save.error, form);
  return (
    <form onSubmit={submit} noValidate ref={form}>
      <Stack>
        <ProblemAlert error={save.error} fields={['name', 'calendarId', 'whenOpen.*', 'whenClosed.*']} />
        <Fieldset variant="unstyled" disabled={!canWrite} p={0}>
          <Stack>
            <TextInput
              label={t('timeConditions.name')}
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={fieldError(save.error, 'name')}
              data-autofocus
            />
            <Select
              label={t('timeConditions.calendar')}
              description={options.calendars.length === 0 ? t('timeConditions.noCalendars') : undefined}
              placeholder={t('destination.choose')}
              data={calendars}
              value={calendarId}
              onChange={setCalendarId}
              searchable
              allowDeselect={false}
              nothingFoundMessage={t('destination.nothingFound')}
              error={fieldError(save.error, 'calendarId')}
            />
            <DestinationPicker
              label={t('timeConditions.whenOpen')}
              value={whenOpen}
              onChange={setWhenOpen}
              options={options}
              error={save.error}
              field="whenOpen"
              exclude={condition?.id}
            />
            <DestinationPicker
              label={t('timeConditions.whenClosed')}
              value={whenClosed}
              onChange={setWhenClosed}
              options={options}
              error={save.error}
              field="whenClosed"
              exclude={condition?.id}
            />
          </Stack>
        </Fieldset>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {canWrite ? t('common.cancel') : t('common.close')}
          </Button>
          {canWrite ? (
            <Button type="submit" loading={save.isPending}>
              {condition ? t('common.save') : t('common.create')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}

/** "Open now" / "Closed now" of a time condition's calendar, and so which way calls go now. */
function NowBadge({ tenantId, calendarId }: { tenantId: string; calendarId: string }) {
  const { t } = useTranslation();
  const state = useCalendarState(tenantId, calendarId);
  if (!state.data) return null;
  return (
    <Badge variant="light" color={state.data.open ? 'green' : 'gray'}>
      {state.data.open ? t('calendars.openNow') : t('calendars.closedNow')}
    </Badge>
  );
}

export default function TimeConditions({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const canWrite = me.role === 'tenant_admin' || me.role === 'operator';
  const paging = useListPage(PAGE);
  // On a phone the editor takes the whole screen.
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const { search, page } = paging;
  const [editing, setEditing] = useState<TimeCondition | 'new' | null>(null);
  const [deleting, setDeleting] = useState<TimeCondition | null>(null);
  const options = useRoutingOptions(tenantId, { calendars: true });
  const describe = useDescribeDestination(options);
  const list = useQuery({
    queryKey: ['timeConditions', tenantId, search, page],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/time-conditions', {
          params: { path: { tenantId }, query: { ...paging.query, sort: 'name' } },
        }),
      ),
  });
  const calendarName = (id: string) =>
    options.calendars.find((c) => c.id === id)?.name ?? (options.loading ? '…' : t('destination.missing'));
  const changed = () => void client.invalidateQueries({ queryKey: ['timeConditions', tenantId] });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('timeConditions.title')}</Title>
        {canWrite ? <Button onClick={() => setEditing('new')}>{t('timeConditions.add')}</Button> : null}
      </Group>
      <Text size="sm" c="dimmed">
        {t('timeConditions.intro')}
      </Text>
      <SearchField {...paging.searchField} />
      <ProblemAlert error={list.error} />
      {list.data && list.data.items.length === 0 ? <Text c="dimmed">{t('timeConditions.empty')}</Text> : null}
      {list.data && list.data.items.length > 0 ? (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('timeConditions.name')}</Table.Th>
                <Table.Th>{t('timeConditions.calendar')}</Table.Th>
                <Table.Th>{t('timeConditions.whenOpen')}</Table.Th>
                <Table.Th>{t('timeConditions.whenClosed')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('routing.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td fw={600}>{c.name}</Table.Td>
                  <Table.Td>
                    <Group gap={6}>
                      {calendarName(c.calendarId)}
                      <NowBadge tenantId={tenantId} calendarId={c.calendarId} />
                    </Group>
                  </Table.Td>
                  <Table.Td>{describe(c.whenOpen)}</Table.Td>
                  <Table.Td>{describe(c.whenClosed)}</Table.Td>
                  <Table.Td>
                    <RowActions
                      name={c.name}
                      canWrite={canWrite}
                      onEdit={() => setEditing(c)}
                      onDelete={() => setDeleting(c)}
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
        size="lg"
        title={
          editing === 'new'
            ? t('timeConditions.add')
            : editing
              ? t('timeConditions.editTitle', { name: editing.name })
              : ''
        }
      >
        {editing ? (
          <TimeConditionForm
            tenantId={tenantId}
            condition={editing === 'new' ? null : editing}
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
            api.DELETE('/api/v1/tenants/{tenantId}/time-conditions/{id}', {
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
