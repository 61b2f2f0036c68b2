/**
 * IVR menus (auto attendants) of the tenant: list, each row's menu tree on demand,
 * and a dialog to create or change a menu — the tree of the menu as edited on top,
 * then its greeting (an audio file of the tenant's library — chosen, uploaded or
 * recorded in the browser —, system prompts, or text the PBX speaks in a language), the keys
 * and where each leads (another menu makes a sub-menu) with an optional tag, direct
 * dial of extensions with an allow-list, how long to wait for keys, what is said
 * after a wrong key or none, how often the menu replays before the fallback, the
 * calendar that sends calls elsewhere while closed, and the menu's own tag. A
 * sub-menu in the tree opens that menu's editor. A problem the server names a field
 * for shows at that field. What is said after a wrong key or none may be an audio
 * file too.
 */
import {
  ActionIcon,
  Alert,
  Button,
  Fieldset,
  Group,
  MultiSelect,
  NumberInput,
  type NumberInputProps,
  Paper,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Destination, Me } from '../api/types';
import { AudioFilePicker, useAudioFiles } from '../components/AudioLibrary';
import { DestinationPicker, type RoutingOptions, useRoutingOptions } from '../components/DestinationPicker';
import {
  IVR_PROMPTS,
  type IvrAudio,
  type IvrMenu,
  type IvrMenuBody,
  IvrTree,
  type IvrTreeMenu,
  useAudioSummary,
  usePromptLabel,
} from '../components/IvrTree';
import { FieldErrorText, fieldError, fieldErrorWithin, ProblemAlert } from '../components/Problem';
import {
  type RoutingEditorProps,
  RoutingForm,
  RoutingListPage,
  useSaveRouting,
} from '../components/RoutingListPage';
import { RoutingNameFields } from '../components/RoutingNameFields';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];

type Num = number | string;
const whole = (v: Num, fallback: number) => (typeof v === 'number' ? v : fallback);

/** Where the caller's audio comes from; 'standard' (the built-in prompt) only where the API takes null. */
type AudioMode = 'standard' | 'prompts' | 'tts';

interface AudioDraft {
  /** What plays without a file (and once the file is cleared). */
  mode: AudioMode;
  prompts: string[];
  text: string;
  lang: IvrAudio['lang'];
  /** An audio file of the library plays (it wins over text and prompts). */
  file: boolean;
  fileId: string | null;
}

function audioDraft(a: IvrAudio | null, empty: AudioMode): AudioDraft {
  if (!a) return { mode: empty, prompts: [], text: '', lang: null, file: false, fileId: null };
  return {
    // Under a file there may be nothing else: clearing the file then returns to what a new menu has.
    mode: a.text !== null ? 'tts' : a.fileId && a.prompts.length === 0 ? empty : 'prompts',
    prompts: [...a.prompts],
    text: a.text ?? '',
    lang: a.lang,
    file: !!a.fileId,
    fileId: a.fileId ?? null,
  };
}

/**
 * The audio as the API takes it: an audio file, text (the TTS speaks it) or
 * prompts, or null for the standard prompt. Under a file go the text or prompts
 * chosen before it (when there are some), so clearing the file returns to them.
 */
function audioBody(a: AudioDraft): IvrAudio | null {
  if (a.file) {
    const text = a.mode === 'tts' && a.text.trim() !== '' ? a.text : null;
    return {
      fileId: a.fileId,
      prompts: a.mode === 'prompts' ? a.prompts : [],
      text,
      lang: text === null ? null : a.lang,
    };
  }
  if (a.mode === 'standard') return null;
  if (a.mode === 'tts') return { prompts: [], text: a.text, lang: a.lang };
  return { prompts: a.prompts, text: null, lang: null };
}

interface OptionDraft {
  /** For React only: a row's identity while its key changes. */
  row: number;
  key: string;
  destination: Destination | null;
  tag: string;
}

let nextRow = 1;

/** A number or prefix that direct dial may reach: "101", "1*". */
const ALLOW = /^[0-9]{1,8}\*?$/;

/** The settings of a new menu. */
const DEFAULTS = { interDigitMs: 2000, timeoutSec: 5, retries: 2 } as const;

/** A NumberInput of whole numbers in a range. */
function WholeInput(props: NumberInputProps & { min: number; max: number }) {
  return <NumberInput allowDecimal={false} allowNegative={false} {...props} />;
}

/** The text spoken by the PBX's own voice (the speech-preview route), as a WAV the page can play. */
function useSpeechPreview(tenantId: string) {
  const [url, setUrl] = useState<string | null>(null);
  // The last recording is let go when a new one comes, and when the editor closes.
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const speak = useMutation({
    mutationFn: (body: { text: string; lang: 'en' | 'ru' }) =>
      unwrap(
        api.POST('/api/v1/tenants/{tenantId}/speech-preview', {
          params: { path: { tenantId } },
          body,
          parseAs: 'blob',
        }),
      ),
    onSuccess: (wav) => setUrl(URL.createObjectURL(wav as unknown as Blob)),
    onMutate: () => setUrl(null),
  });
  return { url, speak };
}

/** What the caller hears at one point of the menu: an audio file, system prompts, or text spoken in a language. */
function AudioEditor({
  legend,
  value,
  onChange,
  error,
  field,
  standard,
  tenantId,
  tenantLang,
}: {
  legend: string;
  value: AudioDraft;
  onChange: (a: AudioDraft) => void;
  error: unknown;
  /** Where this audio is in the body ("greeting", "invalidAudio"). */
  field: string;
  /** Offers the built-in prompt (null), named so. */
  standard?: string;
  tenantId: string;
  /** The language text is spoken in when it names none (until the tenant is loaded: none). */
  tenantLang: 'en' | 'ru' | undefined;
}) {
  const { t } = useTranslation();
  const promptLabel = usePromptLabel();
  const preview = useSpeechPreview(tenantId);
  const set = (change: Partial<AudioDraft>) => onChange({ ...value, ...change });
  const previewLang = value.lang ?? tenantLang;
  // The preview's problem (text it cannot speak) shows at the text, as the save's does.
  const textError = fieldError(error, `${field}.text`) ?? fieldErrorWithin(preview.speak.error, 'text');
  const langError = fieldError(error, `${field}.lang`);
  const promptsError = fieldErrorWithin(error, `${field}.prompts`);
  const fileError = fieldError(error, `${field}.fileId`);
  // With a file the text and prompts are not shown: their problems show under it all.
  const shown = value.file ? fileError : textError || langError || promptsError;
  const other = shown ? undefined : fieldErrorWithin(error, field);
  const radio = value.file ? 'file' : value.mode;
  const promptData = [
    ...IVR_PROMPTS.map((p) => ({ value: p, label: promptLabel(p) })),
    // A prompt set through the API that this list does not name still shows.
    ...value.prompts
      .filter((p) => !(IVR_PROMPTS as readonly string[]).includes(p))
      .map((p) => ({ value: p, label: p })),
  ];
  return (
    <Fieldset legend={legend} p={{ base: 'xs', sm: 'sm' }}>
      <Stack gap="sm">
        <Radio.Group
          label={t('ivrMenus.audio.source')}
          value={radio}
          onChange={(mode) =>
            mode === 'file'
              ? set({ file: true })
              : set({ mode: mode as AudioMode, file: false, fileId: null })
          }
        >
          <Group gap="md" mt={6} wrap="wrap">
            {standard ? <Radio value="standard" label={t('ivrMenus.audio.standard')} /> : null}
            <Radio value="prompts" label={t('ivrMenus.audio.prompts')} />
            <Radio value="tts" label={t('ivrMenus.audio.tts')} />
            <Radio value="file" label={t('ivrMenus.audio.upload')} />
          </Group>
        </Radio.Group>
        {value.file ? (
          <AudioFilePicker
            tenantId={tenantId}
            value={value.fileId}
            onChange={(fileId) => set({ fileId })}
            subject={legend}
            error={fileError}
          />
        ) : null}
        {radio === 'standard' && standard ? (
          <Text size="sm" c="dimmed">
            {standard}
          </Text>
        ) : null}
        {radio === 'prompts' ? (
          <MultiSelect
            label={t('ivrMenus.audio.promptList')}
            placeholder={value.prompts.length === 0 ? t('ivrMenus.audio.promptsPlaceholder') : undefined}
            data={promptData}
            value={value.prompts}
            onChange={(prompts) => set({ prompts })}
            maxValues={10}
            searchable
            hidePickedOptions
            nothingFoundMessage={t('destination.nothingFound')}
            error={promptsError}
          />
        ) : null}
        {radio === 'tts' ? (
          <Group align="flex-start" gap="sm" wrap="wrap">
            <Textarea
              label={t('ivrMenus.audio.text')}
              description={t('ivrMenus.audio.textHint')}
              autosize
              minRows={2}
              maxRows={8}
              maxLength={2000}
              value={value.text}
              onChange={(e) => set({ text: e.currentTarget.value })}
              error={textError}
              style={{ flex: '2 1 260px', minWidth: 0 }}
            />
            <Select
              label={t('ivrMenus.audio.lang')}
              data={[
                { value: 'tenant', label: t('ivrMenus.audio.langTenant') },
                { value: 'en', label: t('ivrMenus.audio.en') },
                { value: 'ru', label: t('ivrMenus.audio.ru') },
              ]}
              value={value.lang ?? 'tenant'}
              allowDeselect={false}
              onChange={(v) => set({ lang: v === 'en' || v === 'ru' ? v : null })}
              error={langError}
              style={{ flex: '1 1 180px', minWidth: 0 }}
            />
          </Group>
        ) : null}
        {radio === 'tts' ? (
          <Group gap="sm" wrap="wrap">
            <Button
              size="xs"
              variant="light"
              aria-label={t('ivrMenus.audio.previewOf', { legend })}
              loading={preview.speak.isPending}
              disabled={value.text.trim() === '' || !previewLang}
              onClick={() => previewLang && preview.speak.mutate({ text: value.text, lang: previewLang })}
            >
              ▶ {t('ivrMenus.audio.preview')}
            </Button>
            {preview.url ? (
              // biome-ignore lint/a11y/useMediaCaption: synthesized speech of the text shown right above it
              <audio
                controls
                autoPlay
                src={preview.url}
                aria-label={t('ivrMenus.audio.player')}
                style={{ maxWidth: '100%', height: 32 }}
              />
            ) : null}
          </Group>
        ) : null}
        {preview.speak.error && !fieldErrorWithin(preview.speak.error, 'text') ? (
          <ProblemAlert error={preview.speak.error} />
        ) : null}
        <FieldErrorText>{other}</FieldErrorText>
      </Stack>
    </Fieldset>
  );
}

function IvrMenuForm({ options, ...editor }: RoutingEditorProps<IvrMenu> & { options: RoutingOptions }) {
  const { t } = useTranslation();
  const { item: menu, canWrite } = editor;
  const [name, setName] = useState(menu?.name ?? '');
  const [number, setNumber] = useState(menu?.number ?? '');
  const [tag, setTag] = useState(menu?.tag ?? '');
  const [greeting, setGreeting] = useState(() => audioDraft(menu?.greeting ?? null, 'tts'));
  const [keys, setKeys] = useState<OptionDraft[]>(() =>
    (menu?.options ?? []).map((o) => ({
      row: nextRow++,
      key: o.key,
      destination: o.destination,
      tag: o.tag ?? '',
    })),
  );
  const [directDial, setDirectDial] = useState(menu?.directDial.enabled ?? false);
  const [allow, setAllow] = useState<string[]>(menu?.directDial.allow ?? []);
  const [badAllow, setBadAllow] = useState(false);
  const [interDigitMs, setInterDigitMs] = useState<Num>(menu?.interDigitMs ?? DEFAULTS.interDigitMs);
  const [timeoutSec, setTimeoutSec] = useState<Num>(menu?.timeoutSec ?? DEFAULTS.timeoutSec);
  const [retries, setRetries] = useState<Num>(menu?.retries ?? DEFAULTS.retries);
  const [invalidAudio, setInvalidAudio] = useState(() => audioDraft(menu?.invalidAudio ?? null, 'standard'));
  const [timeoutAudio, setTimeoutAudio] = useState(() => audioDraft(menu?.timeoutAudio ?? null, 'standard'));
  const [fallback, setFallback] = useState<Destination | null>(menu?.fallback ?? null);
  const [calendarId, setCalendarId] = useState<string | null>(menu?.calendar?.calendarId ?? null);
  const [whenClosed, setWhenClosed] = useState<Destination | null>(menu?.calendar?.whenClosed ?? null);
  /** A sub-menu asked for while this one has unsaved changes. */
  const [leaving, setLeaving] = useState<IvrMenu | null>(null);
  const save = useSaveRouting('ivrMenus', editor);
  const error = save.error;
  const tenant = useQuery({
    queryKey: ['tenant', editor.tenantId],
    queryFn: () =>
      unwrap(api.GET('/api/v1/tenants/{tenantId}', { params: { path: { tenantId: editor.tenantId } } })),
  });
  const voice = { tenantId: editor.tenantId, tenantLang: tenant.data?.language };
  const audioFiles = useAudioFiles(editor.tenantId);

  // A destination not chosen yet goes as an empty object: the server names its field.
  const unset = {} as Destination;
  const body = (): IvrMenuBody => ({
    name,
    number: number.trim() === '' ? null : number.trim(),
    greeting: audioBody(greeting) ?? { prompts: [], text: null, lang: null },
    options: keys.map((k) => ({
      key: k.key,
      destination: k.destination ?? unset,
      tag: k.tag.trim() || null,
    })),
    directDial: { enabled: directDial, allow },
    interDigitMs: whole(interDigitMs, DEFAULTS.interDigitMs),
    timeoutSec: whole(timeoutSec, DEFAULTS.timeoutSec),
    retries: whole(retries, DEFAULTS.retries),
    invalidAudio: audioBody(invalidAudio),
    timeoutAudio: audioBody(timeoutAudio),
    fallback,
    calendar: calendarId ? { calendarId, whenClosed: whenClosed ?? unset } : null,
    tag: tag.trim() === '' ? null : tag.trim(),
  });
  const initial = useRef<string | null>(null);
  initial.current ??= JSON.stringify(body());
  const open = (sub: IvrMenu) => {
    if (canWrite && JSON.stringify(body()) !== initial.current) setLeaving(sub);
    else editor.onOpen(sub);
  };

  // The tree of the menu as it stands in the form.
  const draft = body();
  const tree: IvrTreeMenu = {
    ...draft,
    id: menu?.id ?? null,
    options: keys.map((k) => ({ key: k.key, destination: k.destination, tag: k.tag.trim() || null })),
    calendar: calendarId ? { calendarId, whenClosed } : null,
  };
  const setKey = (i: number, change: Partial<OptionDraft>) =>
    setKeys((ks) => ks.map((k, j) => (j === i ? { ...k, ...change } : k)));
  const calendarData = [
    { value: '', label: t('ivrMenus.calendarNone') },
    ...options.calendars.map((c) => ({ value: c.id, label: c.name })),
  ];
  if (calendarId && !options.calendars.some((c) => c.id === calendarId))
    calendarData.push({ value: calendarId, label: options.loading ? '…' : t('destination.missing') });
  const fields = [
    'name',
    'number',
    'tag',
    'greeting',
    'greeting.*',
    'options',
    'options.*',
    'directDial.*',
    'interDigitMs',
    'timeoutSec',
    'retries',
    'invalidAudio.*',
    'timeoutAudio.*',
    'fallback.*',
    'calendar.*',
  ];

  const before = (
    <Stack gap="xs">
      {leaving ? (
        <Alert color="yellow" title={t('ivrMenus.unsaved')}>
          <Group gap="xs" mt={4}>
            <Button size="xs" color="yellow" onClick={() => editor.onOpen(leaving)}>
              {t('ivrMenus.openUnsaved', { name: leaving.name })}
            </Button>
            <Button size="xs" variant="default" onClick={() => setLeaving(null)}>
              {t('ivrMenus.stay')}
            </Button>
          </Group>
        </Alert>
      ) : null}
      <Paper withBorder p={{ base: 'xs', sm: 'sm' }} radius="md">
        <Title order={3} size="h5" mb="xs">
          {t('ivrMenus.tree.title')}
        </Title>
        <IvrTree
          menu={tree}
          menus={options.ivrMenus}
          options={options}
          audioFiles={audioFiles.data}
          onOpen={open}
        />
      </Paper>
    </Stack>
  );

  return (
    <RoutingForm editor={editor} save={save} body={body} fields={fields} before={before}>
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
        <RoutingNameFields
          labels={{
            name: t('ivrMenus.name'),
            number: t('ivrMenus.number'),
            numberHint: t('ivrMenus.numberHint'),
          }}
          name={name}
          number={number}
          onName={setName}
          onNumber={setNumber}
          error={error}
        />
        <TextInput
          label={t('ivrMenus.tag')}
          description={t('ivrMenus.tagHint')}
          autoComplete="off"
          value={tag}
          maxLength={40}
          onChange={(e) => setTag(e.currentTarget.value)}
          error={fieldError(error, 'tag')}
        />
      </SimpleGrid>

      <AudioEditor
        legend={t('ivrMenus.greeting')}
        value={greeting}
        onChange={setGreeting}
        error={error}
        field="greeting"
        {...voice}
      />

      <Fieldset legend={t('ivrMenus.options')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            {t('ivrMenus.optionsHint')}
          </Text>
          {keys.length === 0 ? (
            <Text size="sm" c="dimmed">
              {t('ivrMenus.noOptions')}
            </Text>
          ) : null}
          {keys.map((k, i) => {
            const used = new Set(keys.filter((_, j) => j !== i).map((x) => x.key));
            const f = `options.${i}`;
            return (
              <Paper
                key={k.row}
                withBorder
                p="xs"
                role="group"
                aria-label={t('ivrMenus.optionRow', { n: i + 1 })}
              >
                <Group align="flex-start" wrap="nowrap" gap="sm">
                  <Stack gap="xs" style={{ flex: 1, minWidth: 0 }}>
                    <Group align="flex-start" gap="sm" wrap="nowrap">
                      <Select
                        label={t('ivrMenus.key')}
                        data={KEYS.filter((x) => !used.has(x) || x === k.key)}
                        value={k.key}
                        allowDeselect={false}
                        onChange={(v) => v && setKey(i, { key: v })}
                        w={80}
                        error={fieldError(error, `${f}.key`)}
                      />
                      <TextInput
                        label={t('ivrMenus.optionTag')}
                        aria-label={t('ivrMenus.optionTagOf', { key: k.key })}
                        autoComplete="off"
                        maxLength={40}
                        value={k.tag}
                        onChange={(e) => setKey(i, { tag: e.currentTarget.value })}
                        error={fieldError(error, `${f}.tag`)}
                        style={{ flex: 1, minWidth: 0 }}
                      />
                    </Group>
                    <DestinationPicker
                      label={t('ivrMenus.optionDestination', { key: k.key })}
                      value={k.destination}
                      onChange={(d) => setKey(i, { destination: d })}
                      options={options}
                      error={error}
                      field={`${f}.destination`}
                    />
                    <FieldErrorText>{fieldError(error, f)}</FieldErrorText>
                  </Stack>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    mt={26}
                    aria-label={t('ivrMenus.removeOption', { key: k.key })}
                    onClick={() => setKeys((ks) => ks.filter((_, j) => j !== i))}
                  >
                    ✕
                  </ActionIcon>
                </Group>
              </Paper>
            );
          })}
          <FieldErrorText>{fieldError(error, 'options')}</FieldErrorText>
          {canWrite && keys.length < KEYS.length ? (
            <Button
              variant="light"
              size="xs"
              style={{ alignSelf: 'flex-start' }}
              onClick={() =>
                setKeys((ks) => [
                  ...ks,
                  {
                    row: nextRow++,
                    key: KEYS.find((x) => !ks.some((k) => k.key === x)) ?? '0',
                    destination: null,
                    tag: '',
                  },
                ])
              }
            >
              {t('ivrMenus.addOption')}
            </Button>
          ) : null}
        </Stack>
      </Fieldset>

      <Fieldset legend={t('ivrMenus.directDial')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="sm">
          <Switch
            label={t('ivrMenus.directDialOn')}
            checked={directDial}
            onChange={(e) => setDirectDial(e.currentTarget.checked)}
            error={fieldError(error, 'directDial.enabled')}
          />
          <TagsInput
            label={t('ivrMenus.allow')}
            description={t('ivrMenus.allowHint')}
            value={allow}
            splitChars={[',', ' ', ';']}
            maxTags={100}
            disabled={!directDial}
            onChange={(next) => {
              const ok = next.map((v) => v.trim()).filter((v) => ALLOW.test(v));
              setBadAllow(ok.length !== next.length);
              setAllow(ok);
            }}
            error={badAllow ? t('ivrMenus.allowFormat') : fieldErrorWithin(error, 'directDial.allow')}
          />
        </Stack>
      </Fieldset>

      <Fieldset legend={t('ivrMenus.waiting')} p={{ base: 'xs', sm: 'sm' }}>
        <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
          <WholeInput
            label={t('ivrMenus.interDigit')}
            description={t('ivrMenus.interDigitHint')}
            min={500}
            max={10_000}
            step={100}
            value={interDigitMs}
            onChange={setInterDigitMs}
            error={fieldError(error, 'interDigitMs')}
          />
          <WholeInput
            label={t('ivrMenus.timeout')}
            description={t('ivrMenus.timeoutHint')}
            min={1}
            max={60}
            value={timeoutSec}
            onChange={setTimeoutSec}
            error={fieldError(error, 'timeoutSec')}
          />
          <WholeInput
            label={t('ivrMenus.retries')}
            description={t('ivrMenus.retriesHint')}
            min={0}
            max={10}
            value={retries}
            onChange={setRetries}
            error={fieldError(error, 'retries')}
          />
        </SimpleGrid>
      </Fieldset>

      <AudioEditor
        legend={t('ivrMenus.timeoutAudio')}
        value={timeoutAudio}
        onChange={setTimeoutAudio}
        error={error}
        field="timeoutAudio"
        {...voice}
        standard={t('ivrMenus.timeoutStandard')}
      />
      <AudioEditor
        legend={t('ivrMenus.invalidAudio')}
        value={invalidAudio}
        onChange={setInvalidAudio}
        error={error}
        field="invalidAudio"
        {...voice}
        standard={t('ivrMenus.invalidStandard')}
      />

      <DestinationPicker
        label={t('ivrMenus.fallback')}
        description={t('ivrMenus.fallbackHint')}
        value={fallback}
        onChange={setFallback}
        options={options}
        error={error}
        field="fallback"
        optional
        noneLabel={t('ivrMenus.fallbackNone')}
      />

      <Fieldset legend={t('ivrMenus.calendar')} p={{ base: 'xs', sm: 'sm' }}>
        <Stack gap="sm">
          <Text size="xs" c="dimmed">
            {t('ivrMenus.calendarHint')}
          </Text>
          <Select
            label={t('ivrMenus.calendarField')}
            data={calendarData}
            value={calendarId ?? ''}
            allowDeselect={false}
            onChange={(v) => setCalendarId(v ? v : null)}
            maw={{ base: '100%', xs: 360 }}
            error={fieldError(error, 'calendar.calendarId') ?? fieldError(error, 'calendar')}
          />
          {calendarId ? (
            <DestinationPicker
              label={t('ivrMenus.whenClosed')}
              value={whenClosed}
              onChange={setWhenClosed}
              options={options}
              error={error}
              field="calendar.whenClosed"
            />
          ) : null}
        </Stack>
      </Fieldset>
    </RoutingForm>
  );
}

export default function IvrMenus({ me }: { me: Me }) {
  const { t } = useTranslation();
  const options = useRoutingOptions(me.tenantId!, { calendars: true });
  const audioFiles = useAudioFiles(me.tenantId!).data;
  const audio = useAudioSummary(audioFiles);
  return (
    <RoutingListPage
      me={me}
      kind="ivrMenus"
      minWidth={640}
      intro={t('ivrMenus.intro')}
      columns={[
        { title: t('ivrMenus.name'), cell: (m) => m.name, td: { fw: 600 } },
        { title: t('ivrMenus.number'), cell: (m) => m.number ?? t('common.none') },
        {
          title: t('ivrMenus.greeting'),
          cell: (m) => audio(m.greeting, undefined, 60),
          td: { maw: 320, style: { overflowWrap: 'anywhere' } },
        },
        {
          title: t('ivrMenus.keysColumn'),
          cell: (m) => (m.options.length ? m.options.map((o) => o.key).join(' ') : t('common.none')),
        },
      ]}
      expansion={{
        toggle: t('ivrMenus.showTree'),
        label: (m) => t('ivrMenus.showTreeOf', { name: m.name }),
        render: (m, open) => (
          <IvrTree
            menu={m}
            menus={options.ivrMenus}
            options={options}
            audioFiles={audioFiles}
            onOpen={open}
          />
        ),
      }}
      editor={(props) => <IvrMenuForm key={props.item?.id ?? 'new'} {...props} options={options} />}
    />
  );
}
