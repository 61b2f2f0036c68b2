/**
 * Business-hours calendars of the tenant. The list shows whether each is open
 * now and when that changes. The editor has the week as a grid (hours can be
 * painted open or closed) and as rows of ranges, the holidays (one day, several
 * days or every year, closed all day or with short hours), the Russian production
 * calendar, the time zone and an iCal import; above it, buttons that force the
 * calendar open or closed by hand — which supervisors may use too, while the rest
 * is read-only for them.
 */
import {
  ActionIcon,
  Alert,
  Button,
  Checkbox,
  Chip,
  Divider,
  FileInput,
  Group,
  List,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Calendar, CalendarBody, Holiday, Me, WeeklyRange } from '../api/types';
import { normaliseTime, paintHour } from '../calendar-hours';
import { CalendarStateBadge, useWhen } from '../components/CalendarState';
import { FieldErrorText, fieldError, fieldErrorWithin, ProblemAlert } from '../components/Problem';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';
import { useWeekdayNames, useWeekSummary, WeekGrid } from '../components/WeekGrid';

/** Holidays shown before "show all" (an imported file may bring hundreds). */
const HOLIDAYS_SHOWN = 20;
type Override = Calendar['override'];
type HoursRange = NonNullable<Holiday['hours']>[number];

function timeZones(): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/** A titled part of the editor. */
function Part({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <Stack gap="xs" component="section" aria-labelledby={id}>
      <Title order={3} size="h5" id={id}>
        {title}
      </Title>
      {children}
    </Stack>
  );
}

/** An 'HH:MM' field: takes "9", "930" or "9.30" and shows it as 09:00 / 09:30 when left. */
function TimeField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
}) {
  return (
    <TextInput
      aria-label={label}
      placeholder="09:00"
      inputMode="numeric"
      autoComplete="off"
      maxLength={5}
      w={84}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      onBlur={(e) => onChange(normaliseTime(e.currentTarget.value))}
      error={error}
    />
  );
}

// --- weekly ranges -------------------------------------------------------------------------------

function RangeRow({
  range,
  index,
  error,
  onChange,
  onRemove,
}: {
  range: WeeklyRange;
  index: number;
  error: unknown;
  onChange: (r: WeeklyRange) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const names = useWeekdayNames();
  const field = `weekly.${index}`;
  const label = t('calendars.range', { n: index + 1 });
  const daysError = fieldErrorWithin(error, `${field}.days`) ?? fieldError(error, field);
  return (
    <Paper withBorder p="xs" role="group" aria-label={label}>
      <Group gap="xs" align="flex-start" justify="space-between">
        <Stack gap={4}>
          <Chip.Group
            multiple
            value={range.days.map(String)}
            onChange={(v) => onChange({ ...range, days: v.map(Number).sort((a, b) => a - b) })}
          >
            <Group gap={4}>
              {names.map((n, i) => (
                <Chip key={n} value={String(i + 1)} size="xs">
                  {n}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          <FieldErrorText>{daysError}</FieldErrorText>
        </Stack>
        <Group gap={6} align="flex-start" wrap="nowrap">
          <TimeField
            label={t('calendars.opensOf', { range: label })}
            value={range.from}
            onChange={(from) => onChange({ ...range, from })}
            error={fieldError(error, `${field}.from`)}
          />
          <Text pt={6} aria-hidden>
            –
          </Text>
          <TimeField
            label={t('calendars.closesOf', { range: label })}
            value={range.to}
            onChange={(to) => onChange({ ...range, to })}
            error={fieldError(error, `${field}.to`)}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            mt={4}
            onClick={onRemove}
            aria-label={t('routing.remove', { name: label })}
          >
            ✕
          </ActionIcon>
        </Group>
      </Group>
    </Paper>
  );
}

// --- holidays ------------------------------------------------------------------------------------

type HolidayKind = 'date' | 'range' | 'yearly';

interface HolidayDraft {
  key: number;
  name: string;
  kind: HolidayKind;
  date: string;
  from: string;
  to: string;
  /** '01'…'12' */
  month: string | null;
  day: number | string;
  /** Open hours that day; null: closed all day. */
  hours: HoursRange[] | null;
}

let nextKey = 1;

function holidayDraft(h: Holiday): HolidayDraft {
  const [month, day] = (h.yearly ?? '').split('-');
  return {
    key: nextKey++,
    name: h.name,
    kind: h.yearly !== undefined ? 'yearly' : h.date !== undefined ? 'date' : 'range',
    date: h.date ?? '',
    from: h.from ?? '',
    to: h.to ?? '',
    month: month || null,
    day: day ? Number(day) : '',
    hours: h.hours?.length ? h.hours : null,
  };
}

function holidayOf(d: HolidayDraft): Holiday {
  const when =
    d.kind === 'date'
      ? { date: d.date }
      : d.kind === 'range'
        ? { from: d.from, to: d.to }
        : { yearly: `${d.month ?? ''}-${String(d.day).padStart(2, '0')}` };
  return { name: d.name, ...when, ...(d.hours?.length ? { hours: d.hours } : {}) };
}

function HolidayRow({
  holiday,
  index,
  error,
  onChange,
  onRemove,
}: {
  holiday: HolidayDraft;
  index: number;
  error: unknown;
  onChange: (change: Partial<HolidayDraft>) => void;
  onRemove: () => void;
}) {
  const { t, i18n } = useTranslation();
  const field = `holidays.${index}`;
  const label = t('calendars.holiday', { n: index + 1 });
  const months = Array.from({ length: 12 }, (_, m) => ({
    value: String(m + 1).padStart(2, '0'),
    label: new Intl.DateTimeFormat(i18n.language, { month: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2024, m, 1)),
    ),
  }));
  const err = (f: string) => fieldError(error, `${field}.${f}`);
  const wholeError = fieldError(error, field);
  return (
    <Paper withBorder p="xs" role="group" aria-label={label}>
      <Stack gap="xs">
        <Group gap="xs" align="flex-end" wrap="wrap">
          <TextInput
            label={t('calendars.holidayName')}
            value={holiday.name}
            maxLength={100}
            onChange={(e) => onChange({ name: e.currentTarget.value })}
            error={err('name')}
            style={{ flex: '1 1 180px' }}
          />
          <SegmentedControl
            aria-label={t('calendars.holidayKind')}
            size="xs"
            value={holiday.kind}
            onChange={(v) => onChange({ kind: v as HolidayKind })}
            data={(['date', 'range', 'yearly'] as const).map((k) => ({
              value: k,
              label: t(`calendars.holidayKinds.${k}`),
            }))}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            mb={4}
            onClick={onRemove}
            aria-label={t('routing.remove', { name: holiday.name || label })}
          >
            ✕
          </ActionIcon>
        </Group>
        <Group gap="md" align="flex-start" wrap="wrap">
          {holiday.kind === 'date' ? (
            <TextInput
              type="date"
              label={t('calendars.date')}
              value={holiday.date}
              onChange={(e) => onChange({ date: e.currentTarget.value })}
              error={err('date')}
            />
          ) : null}
          {holiday.kind === 'range' ? (
            <>
              <TextInput
                type="date"
                label={t('calendars.firstDay')}
                value={holiday.from}
                onChange={(e) => onChange({ from: e.currentTarget.value })}
                error={err('from')}
              />
              <TextInput
                type="date"
                label={t('calendars.lastDay')}
                value={holiday.to}
                onChange={(e) => onChange({ to: e.currentTarget.value })}
                error={err('to')}
              />
            </>
          ) : null}
          {holiday.kind === 'yearly' ? (
            <>
              <Select
                label={t('calendars.month')}
                data={months}
                value={holiday.month}
                onChange={(month) => onChange({ month })}
                allowDeselect={false}
                w={160}
                error={err('yearly')}
              />
              <NumberInput
                label={t('calendars.day')}
                min={1}
                max={31}
                allowDecimal={false}
                allowNegative={false}
                value={holiday.day}
                onChange={(day) => onChange({ day })}
                w={90}
              />
            </>
          ) : null}
          <Switch
            label={t('calendars.partDay')}
            description={t('calendars.partDayHint')}
            checked={holiday.hours !== null}
            onChange={(e) =>
              onChange({ hours: e.currentTarget.checked ? [{ from: '10:00', to: '15:00' }] : null })
            }
            mt={{ base: 0, xs: 28 }}
          />
        </Group>
        {holiday.hours?.map((h, j) => {
          const hoursLabel = t('calendars.holidayHours', { holiday: holiday.name || label, n: j + 1 });
          const setHours = (change: Partial<HoursRange>) =>
            onChange({ hours: holiday.hours!.map((x, k) => (k === j ? { ...x, ...change } : x)) });
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: the ranges have nothing else to tell them apart
            <Group key={j} gap={6} align="flex-start" role="group" aria-label={hoursLabel}>
              <TimeField
                label={t('calendars.opensOf', { range: hoursLabel })}
                value={h.from}
                onChange={(from) => setHours({ from })}
                error={err(`hours.${j}.from`)}
              />
              <Text pt={6} aria-hidden>
                –
              </Text>
              <TimeField
                label={t('calendars.closesOf', { range: hoursLabel })}
                value={h.to}
                onChange={(to) => setHours({ to })}
                error={err(`hours.${j}.to`)}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mt={4}
                onClick={() => {
                  const rest = holiday.hours!.filter((_, k) => k !== j);
                  onChange({ hours: rest.length ? rest : null });
                }}
                aria-label={t('routing.remove', { name: hoursLabel })}
              >
                ✕
              </ActionIcon>
            </Group>
          );
        })}
        {holiday.hours ? (
          <Group>
            <Button
              variant="subtle"
              size="compact-xs"
              onClick={() => onChange({ hours: [...holiday.hours!, { from: '', to: '' }] })}
            >
              {t('calendars.addHours')}
            </Button>
          </Group>
        ) : null}
        <FieldErrorText>{wholeError}</FieldErrorText>
      </Stack>
    </Paper>
  );
}

/** An .ics file read in the browser and sent to the import route; the holidays it added, and the lines it could not read. */
function IcsImport({
  tenantId,
  calendarId,
  onImported,
}: {
  tenantId: string;
  calendarId: string;
  onImported: (holidays: Holiday[]) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [replace, setReplace] = useState(false);
  const run = useMutation({
    mutationFn: async () => {
      const ics = file ? await file.text() : '';
      return unwrap(
        api.POST('/api/v1/tenants/{tenantId}/calendars/{id}/holidays/import', {
          params: { path: { tenantId, id: calendarId } },
          body: { ics, replace },
        }),
      );
    },
    onSuccess: (r) => {
      onImported(r.calendar.holidays);
      void client.invalidateQueries({ queryKey: ['calendars', tenantId] });
      void client.invalidateQueries({ queryKey: ['calendarState', tenantId, calendarId] });
    },
  });
  return (
    <Paper withBorder p="xs" component="section" aria-label={t('calendars.import')}>
      <Stack gap="xs">
        <Text size="sm" fw={500}>
          {t('calendars.import')}
        </Text>
        <Text size="xs" c="dimmed">
          {t('calendars.importHint')}
        </Text>
        <ProblemAlert error={run.error} fields={['ics']} />
        <Group gap="xs" align="flex-end" wrap="wrap">
          <FileInput
            label={t('calendars.importFile')}
            placeholder={t('calendars.importChoose')}
            accept=".ics,text/calendar"
            value={file}
            onChange={(f) => {
              setFile(f);
              run.reset();
            }}
            clearable
            error={fieldError(run.error, 'ics')}
            style={{ flex: '1 1 220px' }}
          />
          <Button variant="light" disabled={!file} loading={run.isPending} onClick={() => run.mutate()}>
            {t('calendars.importButton')}
          </Button>
        </Group>
        <Checkbox
          label={t('calendars.importReplace')}
          checked={replace}
          onChange={(e) => setReplace(e.currentTarget.checked)}
        />
        {run.data ? (
          <Alert color={run.data.errors.length ? 'yellow' : 'teal'} role="status" p="xs">
            <Text size="sm">{t('calendars.imported', { count: run.data.imported })}</Text>
            {run.data.errors.length ? (
              <>
                <Text size="sm" mt={4}>
                  {t('calendars.importErrors')}
                </Text>
                <List size="xs">
                  {run.data.errors.map((e) => (
                    <List.Item key={`${e.line}:${e.message}`}>
                      {t('calendars.importLine', { line: e.line, message: e.message })}
                    </List.Item>
                  ))}
                </List>
              </>
            ) : null}
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}

// --- override ------------------------------------------------------------------------------------

/** A datetime-local value (the browser's time) as an ISO instant, or null when empty. */
function instantOf(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/** Force open, force closed, or follow the schedule again; optionally until a time. */
function OverridePanel({
  tenantId,
  calendar,
  override,
  onChanged,
}: {
  tenantId: string;
  calendar: Calendar;
  override: Override;
  onChanged: (o: Override) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const when = useWhen(calendar.timeZone);
  const [until, setUntil] = useState('');
  const set = useMutation({
    mutationFn: (state: 'open' | 'closed' | null) =>
      unwrap(
        api.PUT('/api/v1/tenants/{tenantId}/calendars/{id}/override', {
          params: { path: { tenantId, id: calendar.id } },
          body: state ? { state, until: instantOf(until) } : { state: null },
        }),
      ),
    onSuccess: (s, state) => {
      client.setQueryData(['calendarState', tenantId, calendar.id], s);
      void client.invalidateQueries({ queryKey: ['calendars', tenantId] });
      onChanged(state ? { state, until: instantOf(until) } : null);
      setUntil('');
    },
  });
  const current = override
    ? override.until
      ? t(override.state === 'open' ? 'calendars.forcedOpenUntil' : 'calendars.forcedClosedUntil', {
          time: when(override.until),
        })
      : t(override.state === 'open' ? 'calendars.forcedOpen' : 'calendars.forcedClosed')
    : t('calendars.following');
  const mode = override?.state ?? 'schedule';
  return (
    <Paper withBorder p="sm" component="section" aria-label={t('calendars.override')}>
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Text fw={600}>{t('calendars.override')}</Text>
          <CalendarStateBadge tenantId={tenantId} id={calendar.id} timeZone={calendar.timeZone} withDetail />
        </Group>
        <Text size="sm" data-testid="override-now">
          {current}
        </Text>
        <ProblemAlert error={set.error} fields={['until']} />
        <Group gap="xs" align="flex-end" wrap="wrap">
          <Button
            size="xs"
            color="green"
            variant={mode === 'open' ? 'filled' : 'light'}
            aria-pressed={mode === 'open'}
            loading={set.isPending && set.variables === 'open'}
            onClick={() => set.mutate('open')}
          >
            {t('calendars.forceOpen')}
          </Button>
          <Button
            size="xs"
            color="red"
            variant={mode === 'closed' ? 'filled' : 'light'}
            aria-pressed={mode === 'closed'}
            loading={set.isPending && set.variables === 'closed'}
            onClick={() => set.mutate('closed')}
          >
            {t('calendars.forceClosed')}
          </Button>
          <Button
            size="xs"
            variant={mode === 'schedule' ? 'filled' : 'light'}
            aria-pressed={mode === 'schedule'}
            loading={set.isPending && set.variables === null}
            onClick={() => set.mutate(null)}
          >
            {t('calendars.followSchedule')}
          </Button>
        </Group>
        <TextInput
          type="datetime-local"
          label={t('calendars.until')}
          description={t('calendars.untilHint')}
          value={until}
          onChange={(e) => setUntil(e.currentTarget.value)}
          error={fieldError(set.error, 'until')}
          maw={{ base: '100%', xs: 280 }}
        />
      </Stack>
    </Paper>
  );
}

// --- the editor ----------------------------------------------------------------------------------

function CalendarForm(editor: RoutingEditorProps<Calendar>) {
  const { t } = useTranslation();
  const { tenantId, item: calendar, canWrite } = editor;
  const [zones] = useState(timeZones);
  // A calendar without a zone of its own takes the tenant's: say which it is.
  const tenant = useQuery({
    queryKey: ['tenant', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}', { params: { path: { tenantId } } })),
    staleTime: 300_000,
  });
  const [name, setName] = useState(calendar?.name ?? '');
  const [timeZone, setTimeZone] = useState<string | null>(calendar?.timeZone ?? null);
  const [weekly, setWeekly] = useState<WeeklyRange[]>(
    calendar?.weekly ?? [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }],
  );
  const [holidays, setHolidays] = useState<HolidayDraft[]>(() =>
    (calendar?.holidays ?? []).map(holidayDraft),
  );
  const [allHolidays, setAllHolidays] = useState(false);
  const [production, setProduction] = useState(calendar?.productionCalendar === 'ru');
  const [override, setOverride] = useState<Override>(calendar?.override ?? null);
  const save = useSaveRouting('calendars', editor);
  const body = (): CalendarBody => ({
    name,
    ...(timeZone ? { timeZone } : {}),
    weekly,
    holidays: holidays.map(holidayOf),
    productionCalendar: production ? 'ru' : null,
    override,
  });
  const setHoliday = (i: number, change: Partial<HolidayDraft>) =>
    setHolidays((hs) => hs.map((h, j) => (j === i ? { ...h, ...change } : h)));
  // A problem in a holiday past the ones shown would go unseen: show them all.
  const hiddenError = holidays.some(
    (_, i) => i >= HOLIDAYS_SHOWN && fieldErrorWithin(save.error, `holidays.${i}`),
  );
  const shown = allHolidays || hiddenError ? holidays : holidays.slice(0, HOLIDAYS_SHOWN);
  const fields = ['name', 'timeZone', 'weekly', 'weekly.*', 'holidays', 'holidays.*', 'productionCalendar'];
  return (
    <RoutingForm
      editor={editor}
      save={save}
      body={body}
      fields={fields}
      before={
        calendar ? (
          <OverridePanel
            tenantId={tenantId}
            calendar={calendar}
            override={override}
            onChanged={setOverride}
          />
        ) : null
      }
    >
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
        <TextInput
          label={t('calendars.name')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(save.error, 'name')}
          data-autofocus
        />
        <Select
          label={t('calendars.timeZone')}
          placeholder={
            tenant.data
              ? t('calendars.timeZoneDefaultIs', { zone: tenant.data.timeZone })
              : t('calendars.timeZoneDefault')
          }
          data={zones}
          value={timeZone}
          onChange={setTimeZone}
          searchable
          clearable
          limit={50}
          nothingFoundMessage={t('destination.nothingFound')}
          error={fieldError(save.error, 'timeZone')}
        />
      </SimpleGrid>
      <Switch
        label={t('calendars.production')}
        description={t('calendars.productionHint')}
        checked={production}
        onChange={(e) => setProduction(e.currentTarget.checked)}
      />
      <Divider />
      <Part title={t('calendars.weekly')}>
        <WeekGrid
          weekly={weekly}
          onPaint={
            canWrite ? (day, hour, open) => setWeekly((w) => paintHour(w, day, hour, open)) : undefined
          }
        />
        {canWrite ? (
          <Text size="xs" c="dimmed">
            {t('calendars.paintHint')}
          </Text>
        ) : null}
        <FieldErrorText>{fieldError(save.error, 'weekly')}</FieldErrorText>
        {weekly.map((r, i) => (
          <RangeRow
            // biome-ignore lint/suspicious/noArrayIndexKey: ranges are edited in place and never reordered
            key={i}
            range={r}
            index={i}
            error={save.error}
            onChange={(next) => setWeekly((w) => w.map((x, j) => (j === i ? next : x)))}
            onRemove={() => setWeekly((w) => w.filter((_, j) => j !== i))}
          />
        ))}
        {canWrite ? (
          <Group>
            <Button
              variant="light"
              size="xs"
              onClick={() => setWeekly((w) => [...w, { days: [], from: '09:00', to: '18:00' }])}
            >
              {t('calendars.addRange')}
            </Button>
          </Group>
        ) : null}
      </Part>
      <Divider />
      <Part title={t('calendars.holidays')}>
        {holidays.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('calendars.noHolidays')}
          </Text>
        ) : null}
        {shown.map((h, i) => (
          <HolidayRow
            key={h.key}
            holiday={h}
            index={i}
            error={save.error}
            onChange={(change) => setHoliday(i, change)}
            onRemove={() => setHolidays((hs) => hs.filter((_, j) => j !== i))}
          />
        ))}
        <Group>
          {shown.length < holidays.length ? (
            <Button variant="subtle" size="xs" onClick={() => setAllHolidays(true)}>
              {t('calendars.showAll', { count: holidays.length })}
            </Button>
          ) : null}
          {canWrite ? (
            <Button
              variant="light"
              size="xs"
              onClick={() => {
                setAllHolidays(true);
                setHolidays((hs) => [
                  ...hs,
                  {
                    key: nextKey++,
                    name: '',
                    kind: 'date',
                    date: '',
                    from: '',
                    to: '',
                    month: null,
                    day: '',
                    hours: null,
                  },
                ]);
              }}
            >
              {t('calendars.addHoliday')}
            </Button>
          ) : null}
        </Group>
        {canWrite && calendar ? (
          <IcsImport
            tenantId={tenantId}
            calendarId={calendar.id}
            onImported={(hs) => setHolidays(hs.map(holidayDraft))}
          />
        ) : null}
        {canWrite && !calendar ? (
          <Text size="xs" c="dimmed">
            {t('calendars.importSaveFirst')}
          </Text>
        ) : null}
      </Part>
    </RoutingForm>
  );
}

export default function Calendars({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tenantId = me.tenantId!;
  const summary = useWeekSummary();
  return (
    <RoutingListPage
      me={me}
      kind="calendars"
      minWidth={640}
      alsoStale={['calendarState']}
      columns={[
        {
          title: t('calendars.name'),
          td: { fw: 600 },
          cell: (c) => (
            <>
              {c.name}
              {c.timeZone ? (
                <Text size="xs" c="dimmed" fw={400}>
                  {c.timeZone}
                </Text>
              ) : null}
            </>
          ),
        },
        {
          title: t('calendars.now'),
          cell: (c) => <CalendarStateBadge tenantId={tenantId} id={c.id} timeZone={c.timeZone} />,
        },
        { title: t('calendars.weekly'), cell: (c) => <Text size="sm">{summary(c.weekly)}</Text> },
        {
          title: t('calendars.holidays'),
          cell: (c) => (
            <>
              {c.holidays.length}
              {c.productionCalendar === 'ru' ? (
                <Text size="xs" c="dimmed">
                  {t('calendars.productionShort')}
                </Text>
              ) : null}
            </>
          ),
        },
      ]}
      editor={(props) => <CalendarForm {...props} />}
    />
  );
}
