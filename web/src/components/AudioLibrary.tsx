/**
 * The tenant's audio library (/api/v1/tenants/{tenantId}/audio): the files IVR
 * menus play as greetings and prompts. Here: the list as a query, the upload (the
 * file itself as the request body, as the route takes it), a control that adds a
 * file — uploaded, or recorded with the microphone and saved under a name — with
 * the server's reason beside it when it refuses one, and a picker of a file with
 * a play button (for the IVR editor).
 */
import { ActionIcon, Button, FileButton, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, type ProblemBody, unwrap } from '../api/client';
import type { ResponseOf } from '../api/types';
import { fieldError } from './Problem';
import { RecordingStatus } from './RecordingStatus';
import { clock, encodeWav, useWavRecorder } from './useWavRecorder';

export type AudioFile = ResponseOf<'/api/v1/tenants/{tenantId}/audio', 'get'>[number];

/** Content types the upload takes as they are; anything else goes as octet-stream (the server sniffs it). */
const AUDIO_TYPES = [
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/vnd.wave',
  'audio/mpeg',
  'audio/mp3',
  'audio/ogg',
];
const ACCEPT = 'audio/wav,audio/x-wav,audio/wave,audio/mpeg,audio/ogg,.wav,.mp3,.ogg';
/** The longest name the server takes. */
const MAX_NAME = 100;

export const audioFilesKey = (tenantId: string) => ['audioFiles', tenantId] as const;
/** Where a file is listened to (audio/wav, Range): an audio element's src. */
export const audioFileUrl = (tenantId: string, id: string) => `/api/v1/tenants/${tenantId}/audio/${id}`;

/** The tenant's audio files, in the server's order. */
export function useAudioFiles(tenantId: string) {
  return useQuery({
    queryKey: audioFilesKey(tenantId),
    queryFn: () => unwrap(api.GET('/api/v1/tenants/{tenantId}/audio', { params: { path: { tenantId } } })),
  });
}

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

/** Uploads `audio` as a new file named `name`: the body is the file itself (the typed client sends JSON only). */
export async function uploadAudio(tenantId: string, name: string, audio: Blob): Promise<AudioFile> {
  const type = AUDIO_TYPES.includes(audio.type) ? audio.type : 'application/octet-stream';
  let res: Response;
  try {
    res = await fetch(`/api/v1/tenants/${tenantId}/audio?${new URLSearchParams({ name })}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': type },
      body: audio,
    });
  } catch {
    throw new ApiProblem({ title: 'Network error', status: 0, code: 'NETWORK_ERROR' });
  }
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as AudioFile;
}

/** The rate calls play audio at, which the server converts every upload to. */
const TELEPHONY_RATE = 8000;

/**
 * A recording as 8 kHz mono WAV lasting whole milliseconds (a multiple of 8
 * samples). The server keeps a file's length as whole milliseconds and fails (500)
 * on one that is not, which a 44.1 kHz recording converted there often is; at
 * 8 kHz the server keeps the samples as they are. Left as it was when the browser
 * cannot decode it.
 */
async function telephonyWav(recording: Blob): Promise<Blob> {
  try {
    // decodeAudioData resamples to the context's rate.
    const ctx = new OfflineAudioContext(1, 1, TELEPHONY_RATE);
    const audio = await ctx.decodeAudioData(await recording.arrayBuffer());
    const samples = audio.getChannelData(0);
    const whole = samples.length - (samples.length % (TELEPHONY_RATE / 1000));
    return whole > 0 ? encodeWav([samples.subarray(0, whole)], TELEPHONY_RATE) : recording;
  } catch {
    return recording;
  }
}

/** A file's name without its extension, as a library name ("Main greeting.wav" → "Main greeting"). */
export function nameFromFile(fileName: string): string {
  const name = fileName.replace(/\.[^.]{1,5}$/, '').trim();
  return (name || fileName.trim() || 'audio').slice(0, MAX_NAME);
}

/** A problem in the user's language: the title by its code, and the server's own words when they say more. */
export function useProblemText(): (error: unknown) => { title: string; detail: string | null } | null {
  const { t } = useTranslation();
  return (error) => {
    if (!error) return null;
    if (!(error instanceof ApiProblem)) return { title: t('common.error'), detail: null };
    const title = t(`problem.${error.code}` as 'problem.INTERNAL', { defaultValue: error.problem.title });
    const detail = [error.problem.title, title, ''].includes(error.message) ? null : error.message;
    return { title, detail };
  };
}

/**
 * Adds a file to the library: "Upload" (a WAV, MP3 or Ogg file, named after the
 * file) or "Record" (the microphone; then a name and "Save to the library"). The
 * server's reason for refusing shows beside the buttons, which point at it.
 */
export function AddAudio({
  tenantId,
  onAdded,
  subject,
}: {
  tenantId: string;
  onAdded?: (file: AudioFile) => void;
  /** What the file is for ("Greeting"): names the buttons for screen readers when a page has several. */
  subject?: string;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const id = useId();
  const resetFile = useRef<() => void>(null);
  const recorder = useWavRecorder();
  const [name, setName] = useState('');
  const problemText = useProblemText();
  const upload = useMutation({
    mutationFn: async (v: { name: string; audio: Blob; recorded?: boolean }) =>
      uploadAudio(tenantId, v.name, v.recorded ? await telephonyWav(v.audio) : v.audio),
    onSuccess: (file) => {
      client.setQueryData<AudioFile[]>(audioFilesKey(tenantId), (old) =>
        old ? [...old.filter((f) => f.id !== file.id), file] : [file],
      );
      void client.invalidateQueries({ queryKey: audioFilesKey(tenantId) });
      recorder.discard();
      onAdded?.(file);
    },
    onSettled: () => resetFile.current?.(),
  });
  // A name the server refuses shows at the name; any other problem beside the buttons.
  const nameError = fieldError(upload.error, 'name') ?? fieldError(upload.error, 'querystring.name');
  const problem = nameError ? null : problemText(upload.error);
  const micError =
    recorder.error === 'unsupported'
      ? t('audioFiles.noMic')
      : recorder.error
        ? t('audioFiles.micError', { error: recorder.error })
        : null;
  const uploadLabel = subject ? t('audioFiles.uploadFor', { subject }) : undefined;
  const recordLabel = subject ? t('audioFiles.recordFor', { subject }) : t('audioFiles.recordHint');
  const startRecording = () => {
    upload.reset();
    recorder.discard();
    setName(t('audioFiles.recordingName', { time: new Date().toLocaleString() }).slice(0, MAX_NAME));
    void recorder.start();
  };

  return (
    <Stack gap={6}>
      <Group gap="xs" wrap="wrap">
        <FileButton
          resetRef={resetFile}
          accept={ACCEPT}
          onChange={(file) => {
            if (!file) return;
            recorder.discard();
            upload.mutate({ name: nameFromFile(file.name), audio: file });
          }}
          inputProps={{ 'aria-label': uploadLabel ?? t('audioFiles.upload') }}
        >
          {(props) => (
            <Button
              {...props}
              size="xs"
              variant="light"
              loading={upload.isPending && recorder.state !== 'done'}
              disabled={recorder.state === 'recording'}
              aria-label={uploadLabel}
              aria-describedby={problem ? `${id}-error` : `${id}-formats`}
              aria-invalid={problem ? true : undefined}
            >
              ⇪ {t('audioFiles.upload')}
            </Button>
          )}
        </FileButton>
        {recorder.state === 'recording' ? (
          <Button size="xs" color="red" onClick={recorder.stop}>
            ■ {t('audioFiles.stop')}
          </Button>
        ) : (
          <Button
            size="xs"
            variant="light"
            aria-label={recordLabel}
            disabled={upload.isPending}
            onClick={startRecording}
          >
            ● {t('audioFiles.record')}
          </Button>
        )}
      </Group>
      {problem ? (
        <div id={`${id}-error`} data-field-error>
          <Text size="sm" c="red" fw={500}>
            {problem.title}
          </Text>
          {problem.detail ? (
            <Text size="xs" c="red" style={{ overflowWrap: 'anywhere' }}>
              {problem.detail}
            </Text>
          ) : null}
        </div>
      ) : (
        <Text size="xs" c="dimmed" id={`${id}-formats`}>
          {t('audioFiles.formats')}
        </Text>
      )}
      <RecordingStatus
        recorder={recorder}
        micError={micError}
        recording={(time) => t('audioFiles.recording', { time })}
        recorded={(time) => t('audioFiles.recorded', { time })}
        playerLabel={t('audioFiles.newRecording')}
      >
        <TextInput
          label={t('audioFiles.nameOfRecording')}
          value={name}
          maxLength={MAX_NAME}
          onChange={(e) => setName(e.currentTarget.value)}
          error={nameError}
          maw={{ base: '100%', xs: 360 }}
        />
        <Group gap="xs">
          <Button
            size="xs"
            loading={upload.isPending}
            disabled={name.trim() === ''}
            onClick={() =>
              recorder.result &&
              upload.mutate({ name: name.trim(), audio: recorder.result.blob, recorded: true })
            }
          >
            {t('audioFiles.saveRecording')}
          </Button>
          <Button size="xs" variant="default" onClick={recorder.discard}>
            {t('audioFiles.discard')}
          </Button>
        </Group>
      </RecordingStatus>
      {upload.isSuccess ? (
        <Text size="sm" c="teal" role="status">
          {t('audioFiles.added', { name: upload.data.name })}
        </Text>
      ) : null}
    </Stack>
  );
}

/** Plays a file of the library: a button that shows a player under it (streamed, so it seeks). */
export function usePlayer(tenantId: string) {
  const [playing, setPlaying] = useState<string | null>(null);
  const toggle = (id: string) => setPlaying((p) => (p === id ? null : id));
  const player = (id: string, label: string) =>
    playing === id ? (
      // biome-ignore lint/a11y/useMediaCaption: a recording the tenant uploaded or recorded
      <audio
        key={id}
        controls
        autoPlay
        src={audioFileUrl(tenantId, id)}
        aria-label={label}
        style={{ maxWidth: '100%', height: 32 }}
      />
    ) : null;
  return { playing, toggle, player };
}

/**
 * Chooses a file of the library (a select, with a play button), or adds one —
 * uploaded or recorded — which is then chosen.
 */
export function AudioFilePicker({
  tenantId,
  value,
  onChange,
  subject,
  error,
}: {
  tenantId: string;
  value: string | null;
  onChange: (fileId: string | null) => void;
  /** What the file is for ("Greeting"), in the controls' names. */
  subject: string;
  error?: string;
}) {
  const { t } = useTranslation();
  const files = useAudioFiles(tenantId);
  const { playing, toggle, player } = usePlayer(tenantId);
  const list = files.data ?? [];
  const chosen = list.find((f) => f.id === value);
  const data = list.map((f) => ({ value: f.id, label: `${f.name} (${clock(f.durationMs / 1000)})` }));
  if (value && !chosen) data.push({ value, label: files.isPending ? '…' : t('audioFiles.missing') });
  return (
    <Stack gap="xs">
      <Group gap="xs" align="flex-start" wrap="nowrap">
        <Select
          label={t('audioFiles.choose')}
          aria-label={t('audioFiles.chooseFor', { subject })}
          placeholder={list.length ? t('audioFiles.choosePlaceholder') : t('audioFiles.noneYet')}
          data={data}
          value={value}
          onChange={(v) => onChange(v)}
          searchable={list.length > 8}
          nothingFoundMessage={t('destination.nothingFound')}
          error={error ?? (files.error ? t('common.error') : undefined)}
          style={{ flex: 1, minWidth: 0 }}
          maw={420}
        />
        <ActionIcon
          size={36}
          variant={playing === value ? 'filled' : 'light'}
          disabled={!chosen}
          aria-label={chosen ? t('audioFiles.playOf', { name: chosen.name }) : t('audioFiles.play')}
          aria-pressed={!!chosen && playing === chosen.id}
          onClick={() => chosen && toggle(chosen.id)}
          mt={25}
        >
          {playing === value && chosen ? '■' : '▶'}
        </ActionIcon>
      </Group>
      {chosen ? player(chosen.id, t('audioFiles.playerOf', { name: chosen.name })) : null}
      <AddAudio tenantId={tenantId} subject={subject} onAdded={(f) => onChange(f.id)} />
    </Stack>
  );
}
