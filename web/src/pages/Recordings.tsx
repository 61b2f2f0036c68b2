/**
 * Call recordings: the tenant's for admins and supervisors, the calls of a user's
 * own extensions for a user (the server filters), newest first, searched by
 * number and narrowed to days (the browser's). Each plays inline in the shared
 * waveform player (components/AudioPlayer: the audio element streams it with
 * HTTP Range, so seeking works at once; a long one gets a plain track instead of
 * a waveform, which would need the whole file first), downloads as a WAV file,
 * and — for admins — is deleted after asking. Admins also erase every recording
 * of one outside number (an erasure request under 152-FZ / GDPR: the dialog says
 * how many went) and set the tenant's recording settings (announcement, mono or
 * stereo, retention). Opened as /recordings?callId=…, from the call history, the
 * page shows the recordings of that call, the first one's player open.
 */
import {
  Alert,
  Badge,
  Button,
  Group,
  NumberInput,
  Paper,
  Radio,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, Fragment, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { BodyOf, Me, ResponseOf } from '../api/types';
import { AudioPlayer } from '../components/AudioPlayer';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager } from '../components/ListPage';
import { fieldError, ProblemAlert } from '../components/Problem';
import { RecordingLink } from '../components/RecordingLink';
import { clock } from '../components/useWavRecorder';

type Recording = ResponseOf<'/api/v1/tenants/{tenantId}/recordings/{id}', 'get'>;
type Settings = BodyOf<'/api/v1/tenants/{tenantId}/recording-settings', 'put'>;

const PAGE = 25;
/** Past this size the waveform is not drawn: it would fetch the whole file before anything shows. */
const WAVEFORM_MAX_BYTES = 8 * 1024 * 1024;
const ERASE_NUMBER = /^\+?[0-9*#]{2,40}$/;

const recordingsKey = (tenantId: string) => ['recordings', tenantId] as const;
export const recordingAudioUrl = (tenantId: string, id: string) =>
  `/api/v1/tenants/${tenantId}/recordings/${id}/audio`;

/** A YYYY-MM-DD of a date input as the start of that day in the browser's zone, ISO; `next`: the day after. */
export function dayStart(ymd: string, next = false): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (next ? 1 : 0)).toISOString();
}

export default function Recordings({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const isAdmin = me.role === 'tenant_admin' || me.role === 'operator';
  const [params, setParams] = useSearchParams();
  const callId = params.get('callId');
  const [q, setQ] = useState('');
  const [search] = useDebouncedValue(q.trim(), 250);
  const [page, setPage] = useState(1);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Recording | null>(null);
  const [erasing, setErasing] = useState(false);
  const fromIso = dayStart(from);
  const toIso = dayStart(to, true);
  const list = useQuery({
    queryKey: [...recordingsKey(tenantId), callId, search, fromIso, toIso, page],
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/recordings', {
          params: {
            path: { tenantId },
            query: {
              limit: PAGE,
              offset: (page - 1) * PAGE,
              ...(search ? { q: search } : {}),
              ...(callId ? { callId } : {}),
              ...(fromIso ? { from: fromIso } : {}),
              ...(toIso ? { to: toIso } : {}),
            },
          },
        }),
      ),
  });
  const items = list.data?.items ?? [];
  // From the call history: the call's (first) recording is ready to play.
  const firstOfCall = callId
    ? items.find((r) => r.callId === callId && r.status === 'stored')?.id
    : undefined;
  useEffect(() => {
    if (firstOfCall) setOpen(firstOfCall);
  }, [firstOfCall]);
  const refresh = () => client.invalidateQueries({ queryKey: recordingsKey(tenantId) });
  // A phone gets cards (the player as wide as the screen), a wider screen a table.
  const phone = useMediaQuery('(max-width: 36em)') ?? false;
  const actions = {
    tenantId,
    open,
    canDelete: isAdmin,
    onToggle: (id: string) => setOpen(open === id ? null : id),
    onDelete: setDeleting,
  };
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const filtered = search !== '' || from !== '' || to !== '' || callId !== null;
  const clear = () => {
    setQ('');
    setFrom('');
    setTo('');
    setPage(1);
    if (callId) setParams({}, { replace: true });
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('recordings.title')}</Title>
        {isAdmin ? (
          <Button variant="light" color="red" onClick={() => setErasing(true)}>
            {t('recordings.erase')}
          </Button>
        ) : null}
      </Group>
      {me.role === 'user' ? (
        <Text size="sm" c="dimmed">
          {t('recordings.introOwn')}
        </Text>
      ) : null}
      {callId ? (
        <Alert color="blue" role="status">
          <Group justify="space-between" gap="xs">
            <Text size="sm">{t('recordings.oneCall')}</Text>
            <Button size="xs" variant="light" onClick={() => setParams({}, { replace: true })}>
              {t('recordings.showAll')}
            </Button>
          </Group>
        </Alert>
      ) : (
        <Group align="flex-end" gap="sm">
          <TextInput
            label={t('recordings.search')}
            description={t('recordings.searchHint')}
            type="search"
            inputMode="tel"
            w={{ base: '100%', xs: 240 }}
            value={q}
            onChange={(e) => {
              setQ(e.currentTarget.value);
              setPage(1);
            }}
          />
          <TextInput
            label={t('recordings.from')}
            type="date"
            value={from}
            max={to || undefined}
            onChange={(e) => {
              setFrom(e.currentTarget.value);
              setPage(1);
            }}
          />
          <TextInput
            label={t('recordings.to')}
            type="date"
            value={to}
            min={from || undefined}
            onChange={(e) => {
              setTo(e.currentTarget.value);
              setPage(1);
            }}
          />
          {filtered ? (
            <Button variant="subtle" onClick={clear}>
              {t('recordings.clear')}
            </Button>
          ) : null}
        </Group>
      )}
      <ProblemAlert error={list.error} />
      {list.data && items.length === 0 ? (
        <Text c="dimmed">{filtered ? t('recordings.emptyFiltered') : t('recordings.empty')}</Text>
      ) : null}
      {items.length > 0 && phone ? (
        <Stack gap="xs">
          {items.map((r) => (
            <Paper
              key={r.id}
              withBorder
              p="xs"
              component="article"
              aria-label={t('recordings.callOf', { caller: r.caller, callee: r.callee })}
              data-recording={r.id}
              data-call={r.callId}
            >
              <Stack gap={6}>
                <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
                  {t('recordings.callOf', { caller: r.caller, callee: r.callee })}
                </Text>
                <Text size="sm" c="dimmed">
                  <time dateTime={r.startedAt}>{when.format(new Date(r.startedAt))}</time>
                </Text>
                <Group gap="xs">
                  <Length r={r} />
                  <Kind r={r} />
                </Group>
                {open === r.id && r.status === 'stored' ? <Player tenantId={tenantId} r={r} /> : null}
                <Actions {...actions} r={r} />
              </Stack>
            </Paper>
          ))}
        </Stack>
      ) : null}
      {items.length > 0 && !phone ? (
        <Table.ScrollContainer minWidth={720}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('recordings.started')}</Table.Th>
                <Table.Th>{t('recordings.caller')}</Table.Th>
                <Table.Th>{t('recordings.callee')}</Table.Th>
                <Table.Th>{t('recordings.duration')}</Table.Th>
                <Table.Th>{t('recordings.trigger')}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t('recordings.listen')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Fragment key={r.id}>
                  <Table.Tr data-recording={r.id} data-call={r.callId}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>
                      <time dateTime={r.startedAt}>{when.format(new Date(r.startedAt))}</time>
                    </Table.Td>
                    <Table.Td>{r.caller}</Table.Td>
                    <Table.Td>{r.callee}</Table.Td>
                    <Table.Td>
                      <Length r={r} />
                    </Table.Td>
                    <Table.Td>
                      <Kind r={r} />
                    </Table.Td>
                    <Table.Td>
                      <Actions {...actions} r={r} />
                    </Table.Td>
                  </Table.Tr>
                  {open === r.id && r.status === 'stored' ? (
                    <Table.Tr>
                      <Table.Td colSpan={6}>
                        <Player tenantId={tenantId} r={r} />
                      </Table.Td>
                    </Table.Tr>
                  ) : null}
                </Fragment>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Pager total={list.data?.total ?? 0} pageSize={PAGE} page={page} onChange={setPage} />
      {isAdmin ? <RecordingSettings tenantId={tenantId} /> : null}
      <ConfirmDelete
        target={
          deleting
            ? {
                id: deleting.id,
                name: t('recordings.deleteName', {
                  caller: deleting.caller,
                  callee: deleting.callee,
                  when: when.format(new Date(deleting.startedAt)),
                }),
              }
            : null
        }
        text={t('recordings.deleteConfirm')}
        onDelete={(id) =>
          unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/recordings/{id}', { params: { path: { tenantId, id } } }),
          )
        }
        onDeleted={() => {
          if (open === deleting?.id) setOpen(null);
          setDeleting(null);
          void refresh();
        }}
        onClose={() => setDeleting(null)}
      />
      <Dialog opened={erasing} onClose={() => setErasing(false)} title={t('recordings.eraseTitle')}>
        <EraseCustomer tenantId={tenantId} onErased={refresh} onClose={() => setErasing(false)} />
      </Dialog>
    </Stack>
  );
}

/** How long a recording is (and how long it was paused), or that it is still being made. */
function Length({ r }: { r: Recording }) {
  const { t } = useTranslation();
  return (
    <div style={{ fontVariantNumeric: 'tabular-nums' }}>
      {r.status === 'stored' && r.durationMs !== null ? (
        clock(r.durationMs / 1000)
      ) : (
        <Badge color="red" variant="light">
          {t('recordings.inProgress')}
        </Badge>
      )}
      {r.pausedMs > 0 ? (
        <Text size="xs" c="dimmed">
          {t('recordings.pausedFor', { time: clock(r.pausedMs / 1000) })}
        </Text>
      ) : null}
    </div>
  );
}

/** What started it (policy or *1) and its layout. */
function Kind({ r }: { r: Recording }) {
  const { t } = useTranslation();
  return (
    <Group gap={4}>
      <Badge variant="light" color={r.trigger === 'policy' ? 'blue' : 'grape'}>
        {r.trigger === 'onDemand' ? t('recordings.triggers.onDemand') : t('recordings.triggers.policy')}
      </Badge>
      <Badge variant="outline" color="gray">
        {r.mode === 'stereo' ? t('recordings.modes.stereo') : t('recordings.modes.mixed')}
      </Badge>
    </Group>
  );
}

function Player({ tenantId, r }: { tenantId: string; r: Recording }) {
  const { t } = useTranslation();
  return (
    <AudioPlayer
      src={recordingAudioUrl(tenantId, r.id)}
      durationMs={r.durationMs ?? 0}
      seekLabel={t('recordings.seek')}
      waveform={r.bytes !== null && r.bytes <= WAVEFORM_MAX_BYTES}
    />
  );
}

/** Listen (opens the player), Download and, for admins, Delete; nothing while it is still recorded. */
function Actions({
  tenantId,
  r,
  open,
  canDelete,
  onToggle,
  onDelete,
}: {
  tenantId: string;
  r: Recording;
  open: string | null;
  canDelete: boolean;
  onToggle: (id: string) => void;
  onDelete: (r: Recording) => void;
}) {
  const { t } = useTranslation();
  if (r.status !== 'stored') return null;
  const names = { caller: r.caller, callee: r.callee };
  const playing = open === r.id;
  return (
    <Group gap={4} wrap="nowrap" justify="flex-end">
      <Button
        size="xs"
        variant={playing ? 'default' : 'filled'}
        aria-label={playing ? t('recordings.hidePlayer') : t('recordings.listenTo', names)}
        aria-expanded={playing}
        onClick={() => onToggle(r.id)}
      >
        {playing ? t('recordings.hidePlayer') : `▶ ${t('recordings.listen')}`}
      </Button>
      <Button
        size="xs"
        variant="subtle"
        component="a"
        href={`${recordingAudioUrl(tenantId, r.id)}?download=true`}
        download
        aria-label={t('recordings.downloadOf', names)}
      >
        {t('recordings.download')}
      </Button>
      <RecordingLink tenantId={tenantId} id={r.id} label={t('recordings.shareOf', names)} />
      {canDelete ? (
        <Button
          size="xs"
          variant="subtle"
          color="red"
          aria-label={t('recordings.deleteOf', names)}
          onClick={() => onDelete(r)}
        >
          {t('recordings.delete')}
        </Button>
      ) : null}
    </Group>
  );
}

/** "Erase a customer's recordings": the number, then how many recordings went. */
function EraseCustomer({
  tenantId,
  onErased,
  onClose,
}: {
  tenantId: string;
  onErased: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [number, setNumber] = useState('');
  const [invalid, setInvalid] = useState(false);
  const erase = useMutation({
    mutationFn: (n: string) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/recordings/erase', {
          params: { path: { tenantId } },
          body: { number: n },
        }),
      ),
    onSuccess: onErased,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = number.replace(/[\s()-]/g, '');
    if (!ERASE_NUMBER.test(n)) {
      setInvalid(true);
      return;
    }
    erase.mutate(n);
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Text size="sm">{t('recordings.eraseIntro')}</Text>
        <ProblemAlert error={erase.error} fields={['number']} />
        <TextInput
          label={t('recordings.eraseNumber')}
          description={t('recordings.eraseNumberHint')}
          required
          inputMode="tel"
          autoComplete="off"
          maxLength={48}
          value={number}
          onChange={(e) => {
            setNumber(e.currentTarget.value);
            setInvalid(false);
            erase.reset();
          }}
          error={invalid ? t('recordings.eraseNumberInvalid') : fieldError(erase.error, 'number')}
          data-autofocus
        />
        {erase.data ? (
          <Alert color={erase.data.deleted > 0 ? 'green' : 'gray'} role="status">
            {t('recordings.erased', { count: erase.data.deleted })}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {erase.data ? t('common.close') : t('common.cancel')}
          </Button>
          <Button type="submit" color="red" loading={erase.isPending}>
            {t('recordings.eraseRun')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The tenant's recording settings: announcement, mono or stereo, how long recordings are kept. */
function RecordingSettings({ tenantId }: { tenantId: string }) {
  const { t } = useTranslation();
  const settings = useQuery({
    queryKey: ['recording-settings', tenantId],
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/recording-settings', { params: { path: { tenantId } } })),
  });
  const headingId = useId();
  return (
    <Paper withBorder p={{ base: 'sm', sm: 'md' }} component="section" aria-labelledby={headingId}>
      <Stack gap="sm">
        <Title order={3} id={headingId}>
          {t('recordingSettings.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('recordingSettings.intro')}
        </Text>
        <ProblemAlert error={settings.error} />
        {settings.data ? <SettingsForm tenantId={tenantId} initial={settings.data} /> : null}
      </Stack>
    </Paper>
  );
}

function SettingsForm({ tenantId, initial }: { tenantId: string; initial: Settings }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [announce, setAnnounce] = useState(initial.announce);
  const [mode, setMode] = useState<Settings['mode']>(initial.mode);
  const [forever, setForever] = useState(initial.retentionDays === null);
  const [days, setDays] = useState<number | string>(initial.retentionDays ?? 90);
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: (body: Settings) =>
      unwrap(
        api.PUT('/api/v1/tenants/{tenantId}/recording-settings', { params: { path: { tenantId } }, body }),
      ),
    onSuccess: (after) => {
      client.setQueryData(['recording-settings', tenantId], after);
      setSaved(true);
    },
  });
  const changed = () => setSaved(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    save.mutate({
      announce,
      mode,
      // A number out of range goes as typed: the server names the field.
      retentionDays: forever ? null : typeof days === 'number' ? days : 0,
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md" maw={560}>
        <ProblemAlert error={save.error} fields={['announce', 'mode', 'retentionDays']} />
        <Switch
          label={t('recordingSettings.announce')}
          description={t('recordingSettings.announceHint')}
          checked={announce}
          onChange={(e) => {
            setAnnounce(e.currentTarget.checked);
            changed();
          }}
        />
        <Radio.Group
          label={t('recordingSettings.mode')}
          value={mode}
          onChange={(v) => {
            setMode(v === 'mixed' ? 'mixed' : 'stereo');
            changed();
          }}
          error={fieldError(save.error, 'mode')}
        >
          <Stack gap={6} mt={6}>
            <Radio value="stereo" label={t('recordingSettings.stereo')} />
            <Radio value="mixed" label={t('recordingSettings.mixed')} />
          </Stack>
        </Radio.Group>
        <Radio.Group
          label={t('recordingSettings.retention')}
          value={forever ? 'forever' : 'days'}
          onChange={(v) => {
            setForever(v === 'forever');
            changed();
          }}
        >
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs" mt={6}>
            <Radio value="days" label={t('recordingSettings.forDays')} />
            <Radio value="forever" label={t('recordingSettings.forever')} />
          </SimpleGrid>
        </Radio.Group>
        {forever ? null : (
          <NumberInput
            label={t('recordingSettings.days')}
            description={t('recordingSettings.daysHint')}
            min={1}
            max={3650}
            allowDecimal={false}
            allowNegative={false}
            value={days}
            onChange={(v) => {
              setDays(v);
              changed();
            }}
            error={fieldError(save.error, 'retentionDays')}
            maw={220}
          />
        )}
        <Group gap="sm">
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
          {saved ? (
            <Text size="sm" c="teal" role="status">
              {t('common.saved')}
            </Text>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}
