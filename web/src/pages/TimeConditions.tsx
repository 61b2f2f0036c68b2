/**
 * Time conditions of the tenant: a calendar decides whether calls go to the
 * "open" or the "closed" destination. List (with the calendar's state now) and a
 * dialog to create or change one; supervisors see them read-only.
 */
import { Badge, Group, Select, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Destination, Me, TimeCondition, TimeConditionBody } from '../api/types';
import { useCalendarState } from '../components/CalendarState';
import {
  DestinationPicker,
  type RoutingOptions,
  useDescribeDestination,
  useRoutingOptions,
} from '../components/DestinationPicker';
import { fieldError } from '../components/Problem';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';

function TimeConditionForm({
  options,
  ...editor
}: RoutingEditorProps<TimeCondition> & { options: RoutingOptions }) {
  const { t } = useTranslation();
  const { item: condition } = editor;
  const [name, setName] = useState(condition?.name ?? '');
  const [calendarId, setCalendarId] = useState<string | null>(condition?.calendarId ?? null);
  const [whenOpen, setWhenOpen] = useState<Destination | null>(condition?.whenOpen ?? null);
  const [whenClosed, setWhenClosed] = useState<Destination | null>(
    condition?.whenClosed ?? { kind: 'hangup', cause: 'unavailable' },
  );
  const save = useSaveRouting('timeConditions', editor);
  // An unchosen destination goes as a kind without its id: the server names the field.
  const body = (): TimeConditionBody => ({
    name,
    calendarId: calendarId ?? '',
    whenOpen: whenOpen ?? { kind: 'extension' },
    whenClosed: whenClosed ?? { kind: 'extension' },
  });
  const calendars = options.calendars.map((c) => ({ value: c.id, label: c.name }));
  if (calendarId && !calendars.some((c) => c.value === calendarId))
    calendars.push({ value: calendarId, label: options.loading ? '…' : t('destination.missing') });
  return (
    <RoutingForm
      editor={editor}
      save={save}
      body={body}
      fields={['name', 'calendarId', 'whenOpen.*', 'whenClosed.*']}
    >
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
    </RoutingForm>
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
  const tenantId = me.tenantId!;
  const options = useRoutingOptions(tenantId, { calendars: true });
  const describe = useDescribeDestination(options);
  const calendarName = (id: string) =>
    options.calendars.find((c) => c.id === id)?.name ?? (options.loading ? '…' : t('destination.missing'));
  return (
    <RoutingListPage
      me={me}
      kind="timeConditions"
      intro={t('timeConditions.intro')}
      minWidth={640}
      dialogSize="lg"
      columns={[
        { title: t('timeConditions.name'), cell: (c) => c.name, td: { fw: 600 } },
        {
          title: t('timeConditions.calendar'),
          cell: (c) => (
            <Group gap={6}>
              {calendarName(c.calendarId)}
              <NowBadge tenantId={tenantId} calendarId={c.calendarId} />
            </Group>
          ),
        },
        { title: t('timeConditions.whenOpen'), cell: (c) => describe(c.whenOpen) },
        { title: t('timeConditions.whenClosed'), cell: (c) => describe(c.whenClosed) },
      ]}
      editor={(props) => <TimeConditionForm {...props} options={options} />}
    />
  );
}
