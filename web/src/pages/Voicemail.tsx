/**
 * Voicemail: the messages of a mailbox — the signed-in user's own (their
 * extension's, and group mailboxes they are members of; admins pick any mailbox
 * of the tenant) — in the inbox and saved folders, each with its caller, time in
 * the tenant's zone, length and new/heard state, played inline with a waveform
 * drawn from the WAV itself (components/AudioPlayer: click or arrow keys to seek;
 * the audio element streams the message with HTTP Range), marked heard on play, moved, downloaded
 * and deleted. Then the mailbox's greetings (upload a WAV/MP3/Ogg file — the
 * server's reason shows beside the control when it refuses one — or record one
 * with the microphone, encoded to WAV by components/useWavRecorder), its
 * settings (PIN, write-only; email; limits; which greeting callers hear) and, for
 * admins, group mailboxes.
 *
 * The API has no route to fetch a stored greeting's audio, so "listen" plays the
 * file or recording saved from this page only.
 */
import {
  Badge,
  Button,
  FileButton,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  PasswordInput,
  Radio,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Tabs,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ApiProblem, api, type ProblemBody, unwrap } from '../api/client';
import type { BodyOf, Me, ResponseOf } from '../api/types';
import { AudioPlayer } from '../components/AudioPlayer';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { Pager } from '../components/ListPage';
import { fieldError, fieldErrorWithin, ProblemAlert } from '../components/Problem';
import { RecordingStatus } from '../components/RecordingStatus';
import { clock, useWavRecorder } from '../components/useWavRecorder';

type Box = ResponseOf<'/api/v1/tenants/{tenantId}/voicemail/boxes/{id}', 'get'>;
type Message = ResponseOf<'/api/v1/tenants/{tenantId}/voicemail/messages/{id}', 'get'>;
type BoxPatch = BodyOf<'/api/v1/tenants/{tenantId}/voicemail/boxes/{id}', 'patch'>;
type GroupBody = BodyOf<'/api/v1/tenants/{tenantId}/voicemail/boxes', 'post'>;
type Folder = 'inbox' | 'saved';

const KINDS = ['unavailable', 'busy', 'temporary', 'name'] as const;
type GreetingKind = (typeof KINDS)[number];
const TABS = ['messages', 'greetings', 'settings', 'groups'] as const;
type Tab = (typeof TABS)[number];

const PAGE = 20;
const PIN = /^[0-9]{4,10}$/;
/** Content types the greeting upload takes as they are; anything else goes as octet-stream (the server sniffs it). */
const AUDIO_TYPES = [
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/vnd.wave',
  'audio/mpeg',
  'audio/mp3',
  'audio/ogg',
];

const vmKey = (tenantId: string) => ['voicemail', tenantId] as const;
const base = (tenantId: string) => `/api/v1/tenants/${tenantId}/voicemail`;
const audioUrl = (tenantId: string, id: string) => `${base(tenantId)}/messages/${id}/audio`;
const greetingUrl = (tenantId: string, boxId: string, kind: string, version: number) =>
  `${base(tenantId)}/boxes/${boxId}/greetings/${kind}?v=${version}`;

// --- API calls the typed client cannot make -----------------------------------------------

async function problemOf(res: Response): Promise<ApiProblem> {
  const body = (await res.json().catch(() => null)) as Partial<ProblemBody> | null;
  if (body && typeof body.code === 'string' && typeof body.title === 'string')
    return new ApiProblem(body as ProblemBody);
  return new ApiProblem({
    title: res.statusText || 'Request failed',
    status: res.status,
    code: 'HTTP_ERROR',
  });
}

/** A greeting goes up as the request body itself, with its content type (the route has no JSON body). */
async function putGreeting(tenantId: string, boxId: string, kind: GreetingKind, audio: Blob): Promise<Box> {
  const type = AUDIO_TYPES.includes(audio.type) ? audio.type : 'application/octet-stream';
  let res: Response;
  try {
    res = await fetch(`${base(tenantId)}/boxes/${boxId}/greetings/${kind}`, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': type },
      body: audio,
    });
  } catch {
    throw new ApiProblem({ title: 'Network error', status: 0, code: 'NETWORK_ERROR' });
  }
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as Box;
}

// --- the page -----------------------------------------------------------------------------

export default function Voicemail({ me }: { me: Me }) {
  const { t } = useTranslation();
  const tenantId = me.tenantId!;
  const isAdmin = me.role === 'tenant_admin' || me.role === 'operator';
  const [params, setParams] = useSearchParams();
  const boxes = useQuery({
    queryKey: [...vmKey(tenantId), 'boxes'],
    refetchInterval: 30_000,
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}/voicemail/boxes', { params: { path: { tenantId } } })),
  });
  // An admin sees every mailbox; their own extension's comes first.
  const mine = useQuery({
    queryKey: ['extensions', tenantId, 'mine', me.user?.id],
    enabled: isAdmin && !!me.user,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId }, query: { userId: me.user!.id, limit: 200, sort: 'number' } },
        }),
      ),
  });
  const tenant = useQuery({
    queryKey: ['tenant', tenantId],
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}', { params: { path: { tenantId } } })),
  });
  const extensions = useQuery({
    queryKey: ['extensions', tenantId, 'all'],
    enabled: isAdmin,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/extensions', {
          params: { path: { tenantId }, query: { limit: 200, sort: 'number' } },
        }),
      ),
  });

  const list = boxes.data?.items ?? [];
  const own = new Set((mine.data?.items ?? []).map((e) => e.id));
  const fallback =
    list.find((b) => own.has(b.id)) ?? list.find((b) => b.kind === 'extension' && !isAdmin) ?? list[0];
  const box = list.find((b) => b.id === params.get('box')) ?? fallback;
  const tabParam = params.get('tab') as Tab | null;
  const tab: Tab =
    tabParam && TABS.includes(tabParam) && (tabParam !== 'groups' || isAdmin) ? tabParam : 'messages';
  const go = (change: { box?: string; tab?: Tab }) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (change.box) next.set('box', change.box);
        if (change.tab) next.set('tab', change.tab);
        return next;
      },
      { replace: true },
    );

  const boxLabel = (b: Box) =>
    `${t('voicemail.mailboxOption', { number: b.number, name: b.name })}${b.kind === 'group' ? ` ${t('voicemail.groupMark')}` : ''}${
      b.newMessages ? ` · ${t('voicemail.newCount', { count: b.newMessages })}` : ''
    }`;
  const numbers = (extensions.data?.items ?? []).map((e) => ({
    value: e.number,
    label: `${e.number} ${e.displayName}`.trim(),
  }));

  return (
    <Stack>
      <Title order={2}>{t('voicemail.title')}</Title>
      <ProblemAlert error={boxes.error} />
      {boxes.data && list.length === 0 && !isAdmin ? (
        <Text c="dimmed">{t('voicemail.noMailbox')}</Text>
      ) : null}
      {list.length > 1 ? (
        <Select
          label={t('voicemail.mailbox')}
          data={list.map((b) => ({ value: b.id, label: boxLabel(b) }))}
          value={box?.id ?? null}
          allowDeselect={false}
          searchable={list.length > 8}
          onChange={(id) => id && go({ box: id })}
          maw={{ base: '100%', xs: 420 }}
        />
      ) : null}
      {box || isAdmin ? (
        <Tabs value={tab} onChange={(v) => v && go({ tab: v as Tab })} keepMounted={false}>
          <Tabs.List>
            {box ? <Tabs.Tab value="messages">{t('voicemail.tabs.messages')}</Tabs.Tab> : null}
            {box ? <Tabs.Tab value="greetings">{t('voicemail.tabs.greetings')}</Tabs.Tab> : null}
            {box ? <Tabs.Tab value="settings">{t('voicemail.tabs.settings')}</Tabs.Tab> : null}
            {isAdmin ? <Tabs.Tab value="groups">{t('voicemail.tabs.groups')}</Tabs.Tab> : null}
          </Tabs.List>
          {box ? (
            <>
              <Tabs.Panel value="messages" pt="md">
                <Messages key={box.id} tenantId={tenantId} box={box} timeZone={tenant.data?.timeZone} />
              </Tabs.Panel>
              <Tabs.Panel value="greetings" pt="md">
                <Greetings key={box.id} tenantId={tenantId} box={box} />
              </Tabs.Panel>
              <Tabs.Panel value="settings" pt="md">
                <Settings key={box.id} tenantId={tenantId} box={box} isAdmin={isAdmin} numbers={numbers} />
              </Tabs.Panel>
            </>
          ) : null}
          {isAdmin ? (
            <Tabs.Panel value="groups" pt="md">
              <Groups
                tenantId={tenantId}
                boxes={list}
                numbers={numbers}
                onOpen={(id) => go({ box: id, tab: 'messages' })}
              />
            </Tabs.Panel>
          ) : null}
        </Tabs>
      ) : null}
    </Stack>
  );
}

// --- messages -----------------------------------------------------------------------------

function Messages({ tenantId, box, timeZone }: { tenantId: string; box: Box; timeZone: string | undefined }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [folder, setFolder] = useState<Folder>('inbox');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const messages = useQuery({
    queryKey: [...vmKey(tenantId), 'messages', box.id, folder, page],
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/tenants/{tenantId}/voicemail/messages', {
          params: {
            path: { tenantId },
            query: { boxId: box.id, folder, limit: PAGE, offset: (page - 1) * PAGE },
          },
        }),
      ),
  });
  const refresh = () => client.invalidateQueries({ queryKey: vmKey(tenantId) });
  const update = useMutation({
    mutationFn: ({ id, ...body }: { id: string; heard?: boolean; folder?: Folder }) =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/voicemail/messages/{id}', {
          params: { path: { tenantId, id } },
          body,
        }),
      ),
    onSuccess: (m, asked) => {
      if (asked.folder && asked.folder !== folder && open === m.id) setOpen(null);
      void refresh();
    },
  });
  /** Heard once playing starts (one request per message, however often it is played). */
  const heardAsked = useRef(new Set<string>());
  const played = (m: Message) => {
    if (m.heard || heardAsked.current.has(m.id)) return;
    heardAsked.current.add(m.id);
    update.mutate({ id: m.id, heard: true });
  };
  const when = useMemo(() => {
    const opts: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };
    try {
      return new Intl.DateTimeFormat(i18n.language, { ...opts, timeZone });
    } catch {
      return new Intl.DateTimeFormat(i18n.language, opts);
    }
  }, [i18n.language, timeZone]);
  const callerOf = (m: Message) =>
    m.callerName && m.caller
      ? `${m.callerName} (${m.caller})`
      : m.callerName || m.caller || t('voicemail.unknownCaller');
  const items = messages.data?.items ?? [];

  return (
    <Stack gap="sm">
      <SegmentedControl
        aria-label={t('voicemail.folder')}
        value={folder}
        onChange={(v) => {
          setFolder(v as Folder);
          setPage(1);
          setOpen(null);
        }}
        data={[
          {
            value: 'inbox',
            label: box.newMessages
              ? `${t('voicemail.folders.inbox')} (${box.newMessages})`
              : t('voicemail.folders.inbox'),
          },
          { value: 'saved', label: t('voicemail.folders.saved') },
        ]}
        style={{ alignSelf: 'flex-start' }}
      />
      <ProblemAlert error={messages.error ?? update.error} />
      {messages.data && items.length === 0 ? <Text c="dimmed">{t(`voicemail.empty.${folder}`)}</Text> : null}
      {items.map((m) => {
        const caller = callerOf(m);
        const src = audioUrl(tenantId, m.id);
        return (
          <Paper
            key={m.id}
            withBorder
            p={{ base: 'xs', sm: 'sm' }}
            component="article"
            aria-label={t('voicemail.messageFrom', { caller })}
          >
            <Stack gap="xs">
              <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
                <div style={{ minWidth: 0 }}>
                  <Text fw={m.heard ? 500 : 700} style={{ overflowWrap: 'anywhere' }}>
                    {m.callerName || m.caller || t('voicemail.unknownCaller')}
                  </Text>
                  {m.callerName && m.caller ? (
                    <Text size="sm" c="dimmed">
                      {m.caller}
                    </Text>
                  ) : null}
                </div>
                <Badge
                  variant={m.heard ? 'default' : 'filled'}
                  color={m.heard ? 'gray' : 'blue'}
                  style={{ flexShrink: 0 }}
                  data-state={m.heard ? 'heard' : 'new'}
                >
                  {m.heard ? t('voicemail.heard') : t('voicemail.fresh')}
                </Badge>
              </Group>
              <Text size="sm" c="dimmed">
                <time dateTime={m.receivedAt}>{when.format(new Date(m.receivedAt))}</time>
                {' · '}
                <span title={t('voicemail.duration')}>{clock(m.durationMs / 1000)}</span>
              </Text>
              {m.transcript ? (
                <Text size="sm" fs="italic" style={{ overflowWrap: 'anywhere' }}>
                  <VisuallyHidden>{t('voicemail.transcript')}: </VisuallyHidden>“{m.transcript}”
                </Text>
              ) : m.transcriptStatus === 'pending' ? (
                <Text size="xs" c="dimmed">
                  {t('voicemail.transcribing')}
                </Text>
              ) : null}
              {open === m.id ? (
                <AudioPlayer
                  src={src}
                  durationMs={m.durationMs}
                  seekLabel={t('voicemail.waveform')}
                  failedText={t('voicemail.waveformFailed')}
                  autoPlay
                  onPlay={() => played(m)}
                />
              ) : null}
              <Group gap="xs" wrap="wrap">
                <Button
                  size="xs"
                  variant={open === m.id ? 'default' : 'filled'}
                  aria-label={open === m.id ? t('voicemail.hidePlayer') : t('voicemail.listenTo', { caller })}
                  onClick={() => setOpen(open === m.id ? null : m.id)}
                >
                  {open === m.id ? t('voicemail.hidePlayer') : `▶ ${t('voicemail.listen')}`}
                </Button>
                {m.folder === 'inbox' ? (
                  <Button
                    size="xs"
                    variant="light"
                    loading={update.isPending && update.variables?.id === m.id && !!update.variables.folder}
                    onClick={() => update.mutate({ id: m.id, folder: 'saved' })}
                  >
                    {t('voicemail.toSaved')}
                  </Button>
                ) : (
                  <Button
                    size="xs"
                    variant="light"
                    onClick={() => update.mutate({ id: m.id, folder: 'inbox' })}
                  >
                    {t('voicemail.toInbox')}
                  </Button>
                )}
                {m.heard && m.folder === 'inbox' ? (
                  <Button
                    size="xs"
                    variant="subtle"
                    onClick={() => {
                      heardAsked.current.delete(m.id);
                      update.mutate({ id: m.id, heard: false });
                    }}
                  >
                    {t('voicemail.markNew')}
                  </Button>
                ) : null}
                <Button size="xs" variant="subtle" component="a" href={`${src}?download=true`} download>
                  {t('voicemail.download')}
                </Button>
                <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(m)}>
                  {t('voicemail.delete')}
                </Button>
              </Group>
            </Stack>
          </Paper>
        );
      })}
      <Pager total={messages.data?.total ?? 0} pageSize={PAGE} page={page} onChange={setPage} />
      <Confirm
        opened={deleting !== null}
        title={deleting ? t('voicemail.deleteTitle', { caller: callerOf(deleting) }) : ''}
        text={t('voicemail.deleteConfirm')}
        onConfirm={async () => {
          if (!deleting) return;
          await unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/voicemail/messages/{id}', {
              params: { path: { tenantId, id: deleting.id } },
            }),
          );
          if (open === deleting.id) setOpen(null);
          await refresh();
        }}
        onClose={() => setDeleting(null)}
      />
    </Stack>
  );
}

/** "Delete this?" as ConfirmDelete asks it, with the page's own words (no routing refers to a message). */
function Confirm({
  opened,
  title,
  text,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  text: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const run = useMutation({ mutationFn: onConfirm, onSuccess: () => close() });
  const close = () => {
    run.reset();
    onClose();
  };
  return (
    <Dialog opened={opened} onClose={close} title={title}>
      <Stack>
        <Text size="sm">{text}</Text>
        <ProblemAlert error={run.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} data-autofocus>
            {t('common.cancel')}
          </Button>
          <Button color="red" loading={run.isPending} onClick={() => run.mutate()}>
            {t('common.delete')}
          </Button>
        </Group>
      </Stack>
    </Dialog>
  );
}

// --- greetings ----------------------------------------------------------------------------

function Greetings({ tenantId, box }: { tenantId: string; box: Box }) {
  const { t } = useTranslation();
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {t('voicemail.greetings.intro')}
      </Text>
      {KINDS.map((kind) => (
        <GreetingCard key={kind} tenantId={tenantId} box={box} kind={kind} />
      ))}
    </Stack>
  );
}

function GreetingCard({ tenantId, box, kind }: { tenantId: string; box: Box; kind: GreetingKind }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const id = useId();
  const resetFile = useRef<() => void>(null);
  const recorder = useWavRecorder();
  const [local, setLocal] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  useEffect(() => () => void (local && URL.revokeObjectURL(local)), [local]);
  const name = t(`voicemail.greetings.kinds.${kind}`);
  const present = box.greetings[kind];
  const changed = (after: Box) => {
    client.setQueryData<{ items: Box[] }>([...vmKey(tenantId), 'boxes'], (old) =>
      old ? { items: old.items.map((b) => (b.id === after.id ? after : b)) } : old,
    );
    void client.invalidateQueries({ queryKey: vmKey(tenantId) });
  };
  const upload = useMutation({
    mutationFn: (audio: Blob) => putGreeting(tenantId, box.id, kind, audio),
    onSuccess: (after, audio) => {
      setLocal(URL.createObjectURL(audio));
      recorder.discard();
      changed(after);
    },
    onSettled: () => resetFile.current?.(),
  });
  const problem = upload.error
    ? upload.error instanceof ApiProblem
      ? {
          title: t(`problem.${upload.error.code}` as 'problem.INTERNAL', {
            defaultValue: upload.error.problem.title,
          }),
          // The server's own words, when they say more than the title.
          detail: [upload.error.problem.title, ''].includes(upload.error.message)
            ? null
            : upload.error.message,
        }
      : { title: t('common.error'), detail: null }
    : null;
  const micError =
    recorder.error === 'unsupported'
      ? t('voicemail.greetings.noMic')
      : recorder.error
        ? t('voicemail.greetings.micError', { error: recorder.error })
        : null;

  return (
    <Paper withBorder p={{ base: 'xs', sm: 'sm' }} component="section" aria-labelledby={`${id}-title`}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" gap="xs" wrap="nowrap">
          <div style={{ minWidth: 0 }}>
            <Title order={3} size="h5" id={`${id}-title`}>
              {name}
            </Title>
            <Text size="xs" c="dimmed">
              {t(`voicemail.greetings.hints.${kind}`)}
            </Text>
          </div>
          <Badge
            variant="light"
            color={present ? 'teal' : 'gray'}
            style={{ flexShrink: 0 }}
            data-present={present}
          >
            {present ? t('voicemail.greetings.present') : t('voicemail.greetings.absent')}
          </Badge>
        </Group>
        <Group gap="xs" wrap="wrap">
          <FileButton
            resetRef={resetFile}
            accept="audio/wav,audio/x-wav,audio/wave,audio/mpeg,audio/ogg,.wav,.mp3,.ogg"
            onChange={(file) => file && upload.mutate(file)}
            inputProps={{ 'aria-label': t('voicemail.greetings.uploadOf', { kind: name }) }}
          >
            {(props) => (
              <Button
                {...props}
                size="xs"
                variant="light"
                loading={upload.isPending}
                aria-label={t('voicemail.greetings.uploadOf', { kind: name })}
                aria-describedby={problem ? `${id}-error` : `${id}-formats`}
                aria-invalid={problem ? true : undefined}
              >
                {t('voicemail.greetings.upload')}
              </Button>
            )}
          </FileButton>
          {recorder.state === 'recording' ? (
            <Button size="xs" color="red" onClick={recorder.stop}>
              ■ {t('voicemail.greetings.stop')}
            </Button>
          ) : (
            <Button
              size="xs"
              variant="light"
              aria-label={t('voicemail.greetings.recordOf', { kind: name })}
              disabled={upload.isPending}
              onClick={() => {
                recorder.discard();
                void recorder.start();
              }}
            >
              ● {t('voicemail.greetings.record')}
            </Button>
          )}
          {present ? (
            <Button
              size="xs"
              variant="subtle"
              color="red"
              aria-label={t('voicemail.greetings.deleteOf', { kind: name })}
              onClick={() => setDeleting(true)}
            >
              {t('voicemail.greetings.delete')}
            </Button>
          ) : null}
        </Group>
        {problem ? (
          <div id={`${id}-error`} data-field-error>
            <Text size="sm" c="red" fw={500}>
              {problem.title}
            </Text>
            {problem.detail && problem.detail !== problem.title ? (
              <Text size="xs" c="red">
                {problem.detail}
              </Text>
            ) : null}
          </div>
        ) : (
          <Text size="xs" c="dimmed" id={`${id}-formats`}>
            {t('voicemail.greetings.formats')}
          </Text>
        )}
        <RecordingStatus
          recorder={recorder}
          micError={micError}
          recording={(time) => t('voicemail.greetings.recording', { time })}
          recorded={(time) => t('voicemail.greetings.recorded', { time })}
        >
          <Group gap="xs">
            <Button
              size="xs"
              loading={upload.isPending}
              onClick={() => recorder.result && upload.mutate(recorder.result.blob)}
            >
              {t('voicemail.greetings.saveRecording')}
            </Button>
            <Button size="xs" variant="default" onClick={recorder.discard}>
              {t('voicemail.greetings.discard')}
            </Button>
          </Group>
        </RecordingStatus>
        {upload.isSuccess ? (
          <Text size="sm" c="teal" role="status">
            {t('voicemail.greetings.saved')}
          </Text>
        ) : null}
        {present ? (
          <Group gap="xs" align="center" wrap="wrap">
            <Text size="xs" c="dimmed">
              {t('voicemail.greetings.listenNote')}
            </Text>
            {/* biome-ignore lint/a11y/useMediaCaption: a greeting the user recorded or uploaded */}
            <audio
              controls
              preload="none"
              src={local ?? greetingUrl(tenantId, box.id, kind, upload.submittedAt)}
              aria-label={t('voicemail.greetings.player', { kind: name })}
              style={{ maxWidth: '100%', height: 32 }}
            />
          </Group>
        ) : null}
      </Stack>
      <Confirm
        opened={deleting}
        title={t('voicemail.greetings.deleteTitle', { kind: name })}
        text={t('voicemail.greetings.deleteConfirm')}
        onConfirm={async () => {
          changed(
            await unwrap(
              api.DELETE('/api/v1/tenants/{tenantId}/voicemail/boxes/{id}/greetings/{kind}', {
                params: { path: { tenantId, id: box.id, kind } },
              }),
            ),
          );
          upload.reset();
          setLocal(null);
        }}
        onClose={() => setDeleting(false)}
      />
    </Paper>
  );
}

// --- settings -----------------------------------------------------------------------------

type Num = number | string;

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <Paper withBorder p={{ base: 'sm', sm: 'md' }} component="section" aria-labelledby={id}>
      <Stack gap="sm">
        <Title order={3} size="h5" id={id}>
          {title}
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}

function Settings({
  tenantId,
  box,
  isAdmin,
  numbers,
}: {
  tenantId: string;
  box: Box;
  isAdmin: boolean;
  numbers: { value: string; label: string }[];
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const group = box.kind === 'group';
  const [pin, setPin] = useState('');
  const [pinInvalid, setPinInvalid] = useState(false);
  const [email, setEmail] = useState(box.email ?? '');
  const [attachAudio, setAttachAudio] = useState(box.attachAudio);
  const [attachFormat, setAttachFormat] = useState<'wav' | 'mp3'>(box.attachFormat);
  const [deleteAfterEmail, setDeleteAfterEmail] = useState(box.deleteAfterEmail);
  const [maxMessageSec, setMaxMessageSec] = useState<Num>(box.maxMessageSec);
  const [quota, setQuota] = useState<Num>(box.quota);
  const [greeting, setGreeting] = useState(box.greeting === 'generated' ? 'generated' : 'recorded');
  const [name, setName] = useState(box.name);
  const [number, setNumber] = useState(box.number);
  const [members, setMembers] = useState<string[]>(box.members);
  const save = useMutation({
    mutationFn: (body: BoxPatch) =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/voicemail/boxes/{id}', {
          params: { path: { tenantId, id: box.id } },
          body,
        }),
      ),
    onSuccess: (after) => {
      setPin('');
      client.setQueryData<{ items: Box[] }>([...vmKey(tenantId), 'boxes'], (old) =>
        old ? { items: old.items.map((b) => (b.id === after.id ? after : b)) } : old,
      );
      void client.invalidateQueries({ queryKey: vmKey(tenantId) });
    },
  });
  const error = save.error;
  const edited = () => {
    if (save.isSuccess || save.isError) save.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (pin !== '' && !PIN.test(pin)) {
      setPinInvalid(true);
      return;
    }
    const body: BoxPatch = {
      email: email.trim() === '' ? null : email.trim(),
      attachAudio,
      attachFormat,
      deleteAfterEmail,
      greeting: greeting === 'generated' ? 'generated' : 'recorded',
      ...(typeof maxMessageSec === 'number' ? { maxMessageSec } : {}),
      ...(typeof quota === 'number' ? { quota } : {}),
      ...(pin ? { pin } : {}),
    };
    if (isAdmin && group) Object.assign(body, { name, number, members });
    else if (isAdmin && name !== box.name) body.name = name;
    save.mutate(body);
  };
  const fields = [
    'pin',
    'email',
    'attachAudio',
    'attachFormat',
    'deleteAfterEmail',
    'maxMessageSec',
    'quota',
    'greeting',
    'name',
    'number',
    'members.*',
  ];

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ProblemAlert error={error} fields={fields} />
        {isAdmin && group ? (
          <Section title={t('voicemail.settings.sections.group')}>
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
              <TextInput
                label={t('voicemail.settings.number')}
                inputMode="numeric"
                maxLength={8}
                value={number}
                onChange={(e) => {
                  setNumber(e.currentTarget.value.replace(/\D/g, ''));
                  edited();
                }}
                error={fieldError(error, 'number')}
              />
              <TextInput
                label={t('voicemail.settings.name')}
                maxLength={100}
                value={name}
                onChange={(e) => {
                  setName(e.currentTarget.value);
                  edited();
                }}
                error={fieldError(error, 'name')}
              />
            </SimpleGrid>
            <MultiSelect
              label={t('voicemail.settings.members')}
              description={t('voicemail.settings.membersHint')}
              data={[
                ...numbers,
                ...members
                  .filter((n) => !numbers.some((x) => x.value === n))
                  .map((n) => ({ value: n, label: n })),
              ]}
              value={members}
              onChange={(v) => {
                setMembers(v);
                edited();
              }}
              searchable
              maxValues={100}
              error={fieldErrorWithin(error, 'members')}
            />
          </Section>
        ) : null}
        <Section title={t('voicemail.settings.sections.phone')}>
          <Text size="sm" c={box.hasPin ? undefined : 'dimmed'} data-has-pin={box.hasPin}>
            {box.hasPin ? t('voicemail.settings.pinSet') : t('voicemail.settings.pinNone')}
          </Text>
          <Group align="flex-end" gap="sm" wrap="wrap">
            <PasswordInput
              label={t('voicemail.settings.pin')}
              description={t('voicemail.settings.pinHint')}
              placeholder={t('voicemail.settings.pinPlaceholder')}
              inputMode="numeric"
              autoComplete="new-password"
              maxLength={10}
              value={pin}
              onChange={(e) => {
                setPin(e.currentTarget.value.replace(/\D/g, ''));
                setPinInvalid(false);
                edited();
              }}
              error={pinInvalid ? t('voicemail.settings.pinDigits') : fieldError(error, 'pin')}
              w={{ base: '100%', xs: 260 }}
            />
            {box.hasPin ? (
              <Button
                variant="subtle"
                color="red"
                loading={save.isPending && save.variables?.pin === null}
                onClick={() => save.mutate({ pin: null })}
              >
                {t('voicemail.settings.removePin')}
              </Button>
            ) : null}
          </Group>
        </Section>
        <Section title={t('voicemail.settings.sections.email')}>
          <TextInput
            label={t('voicemail.settings.email')}
            description={t('voicemail.settings.emailHint')}
            type="email"
            autoComplete="email"
            maxLength={254}
            value={email}
            onChange={(e) => {
              setEmail(e.currentTarget.value);
              edited();
            }}
            error={fieldError(error, 'email')}
            maw={{ base: '100%', xs: 420 }}
          />
          <Switch
            label={t('voicemail.settings.attachAudio')}
            checked={attachAudio}
            disabled={email.trim() === ''}
            onChange={(e) => {
              setAttachAudio(e.currentTarget.checked);
              edited();
            }}
          />
          <SegmentedControl
            aria-label={t('voicemail.settings.attachFormat')}
            disabled={email.trim() === '' || !attachAudio}
            value={attachFormat}
            onChange={(v) => {
              setAttachFormat(v === 'mp3' ? 'mp3' : 'wav');
              edited();
            }}
            data={[
              { value: 'wav', label: t('voicemail.settings.formatWav') },
              { value: 'mp3', label: t('voicemail.settings.formatMp3') },
            ]}
            w="fit-content"
          />
          <Switch
            label={t('voicemail.settings.deleteAfterEmail')}
            checked={deleteAfterEmail}
            disabled={email.trim() === ''}
            onChange={(e) => {
              setDeleteAfterEmail(e.currentTarget.checked);
              edited();
            }}
          />
        </Section>
        <Section title={t('voicemail.settings.sections.messages')}>
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <NumberInput
              label={t('voicemail.settings.maxMessageSec')}
              description={t('voicemail.settings.maxMessageHint')}
              min={10}
              max={3600}
              allowDecimal={false}
              allowNegative={false}
              value={maxMessageSec}
              onChange={(v) => {
                setMaxMessageSec(v);
                edited();
              }}
              error={fieldError(error, 'maxMessageSec')}
            />
            <NumberInput
              label={t('voicemail.settings.quota')}
              description={t('voicemail.settings.quotaHint')}
              min={1}
              max={10000}
              allowDecimal={false}
              allowNegative={false}
              value={quota}
              onChange={(v) => {
                setQuota(v);
                edited();
              }}
              error={fieldError(error, 'quota')}
            />
          </SimpleGrid>
          <Radio.Group
            label={t('voicemail.settings.greeting')}
            value={greeting}
            onChange={(v) => {
              setGreeting(v === 'generated' ? 'generated' : 'recorded');
              edited();
            }}
            error={fieldError(error, 'greeting')}
          >
            <Stack gap={6} mt={6}>
              <Radio value="recorded" label={t('voicemail.settings.greetingRecorded')} />
              <Radio value="generated" label={t('voicemail.settings.greetingGenerated')} />
            </Stack>
          </Radio.Group>
        </Section>
        <Group>
          <Button type="submit" loading={save.isPending && save.variables?.pin !== null}>
            {t('common.save')}
          </Button>
          {save.isSuccess ? (
            <Text size="sm" c="teal" role="status">
              {t('voicemail.settings.saved')}
            </Text>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}

// --- group mailboxes (admins) -------------------------------------------------------------

function Groups({
  tenantId,
  boxes,
  numbers,
  onOpen,
}: {
  tenantId: string;
  boxes: Box[];
  numbers: { value: string; label: string }[];
  onOpen: (id: string) => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const groups = boxes.filter((b) => b.kind === 'group');
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {t('voicemail.groups.intro')}
      </Text>
      <Group>
        <Button onClick={() => setCreating(true)}>{t('voicemail.groups.add')}</Button>
        {created ? (
          <Text size="sm" c="teal" role="status">
            {t('voicemail.groups.created', { number: created })}
          </Text>
        ) : null}
      </Group>
      {groups.length === 0 ? <Text c="dimmed">{t('voicemail.groups.empty')}</Text> : null}
      {groups.map((g) => {
        const label = `${g.number} ${g.name}`.trim();
        return (
          <Paper key={g.id} withBorder p={{ base: 'xs', sm: 'sm' }} component="article" aria-label={label}>
            <Group justify="space-between" gap="xs" wrap="wrap">
              <div style={{ minWidth: 0 }}>
                <Text fw={600}>{label}</Text>
                <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                  {g.members.length
                    ? g.members.map((n) => numbers.find((x) => x.value === n)?.label ?? n).join(', ')
                    : t('voicemail.groups.nobody')}
                  {g.newMessages ? ` · ${t('voicemail.newCount', { count: g.newMessages })}` : ''}
                </Text>
              </div>
              <Group gap="xs">
                <Button
                  size="xs"
                  variant="light"
                  aria-label={t('voicemail.groups.openOf', { name: label })}
                  onClick={() => onOpen(g.id)}
                >
                  {t('voicemail.groups.open')}
                </Button>
                <Button
                  size="xs"
                  variant="subtle"
                  color="red"
                  aria-label={t('voicemail.groups.deleteOf', { name: label })}
                  onClick={() => setDeleting({ id: g.id, name: label })}
                >
                  {t('common.delete')}
                </Button>
              </Group>
            </Group>
          </Paper>
        );
      })}
      <Dialog opened={creating} onClose={() => setCreating(false)} title={t('voicemail.groups.add')}>
        <NewGroup
          tenantId={tenantId}
          numbers={numbers}
          onCreated={(box) => {
            setCreating(false);
            setCreated(box.number);
            void client.invalidateQueries({ queryKey: vmKey(tenantId) });
          }}
          onCancel={() => setCreating(false)}
        />
      </Dialog>
      <ConfirmDelete
        target={deleting}
        onDelete={(id) =>
          unwrap(
            api.DELETE('/api/v1/tenants/{tenantId}/voicemail/boxes/{id}', {
              params: { path: { tenantId, id } },
            }),
          )
        }
        onDeleted={() => {
          setDeleting(null);
          setCreated(null);
          void client.invalidateQueries({ queryKey: vmKey(tenantId) });
        }}
        onClose={() => setDeleting(null)}
      />
    </Stack>
  );
}

function NewGroup({
  tenantId,
  numbers,
  onCreated,
  onCancel,
}: {
  tenantId: string;
  numbers: { value: string; label: string }[];
  onCreated: (box: Box) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [pin, setPin] = useState('');
  const [pinInvalid, setPinInvalid] = useState(false);
  const create = useMutation({
    mutationFn: (body: GroupBody) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/voicemail/boxes', { params: { path: { tenantId } }, body }),
      ),
    onSuccess: onCreated,
  });
  const error = create.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (pin !== '' && !PIN.test(pin)) {
      setPinInvalid(true);
      return;
    }
    create.mutate({ number, name, members, ...(pin ? { pin } : {}) });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <ProblemAlert error={error} fields={['number', 'name', 'members.*', 'pin']} />
        <TextInput
          label={t('voicemail.groups.number')}
          description={t('voicemail.groups.numberHint')}
          required
          inputMode="numeric"
          autoComplete="off"
          maxLength={8}
          value={number}
          onChange={(e) => setNumber(e.currentTarget.value.replace(/\D/g, ''))}
          error={fieldError(error, 'number')}
          data-autofocus
        />
        <TextInput
          label={t('voicemail.groups.name')}
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(error, 'name')}
        />
        <MultiSelect
          label={t('voicemail.groups.members')}
          description={t('voicemail.groups.membersHint')}
          data={numbers}
          value={members}
          onChange={setMembers}
          searchable
          maxValues={100}
          error={fieldErrorWithin(error, 'members')}
          comboboxProps={{ withinPortal: true }}
        />
        <PasswordInput
          label={t('voicemail.groups.pin')}
          inputMode="numeric"
          autoComplete="new-password"
          maxLength={10}
          value={pin}
          onChange={(e) => {
            setPin(e.currentTarget.value.replace(/\D/g, ''));
            setPinInvalid(false);
          }}
          error={pinInvalid ? t('voicemail.settings.pinDigits') : fieldError(error, 'pin')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t('voicemail.groups.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
