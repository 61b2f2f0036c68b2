/**
 * The tenant's audio files (admins): the recordings IVR menus play as greetings and
 * prompts. Each is listened to (streamed, so it seeks), renamed or deleted — a file
 * a menu plays is not deleted, and the server's answer naming the menus shows in
 * the dialog. New files are uploaded (WAV, MP3, Ogg; the server's reason for
 * refusing one shows beside the button) or recorded with the microphone and saved
 * under a name.
 */
import { Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import type { Me } from '../api/types';
import {
  AddAudio,
  type AudioFile,
  audioFilesKey,
  useAudioFiles,
  usePlayer,
} from '../components/AudioLibrary';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { Dialog } from '../components/Dialog';
import { fieldError, ProblemAlert } from '../components/Problem';
import { clock } from '../components/useWavRecorder';

function Rename({
  tenantId,
  file,
  onDone,
  onCancel,
}: {
  tenantId: string;
  file: AudioFile;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(file.name);
  const rename = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/tenants/{tenantId}/audio/{id}', {
          params: { path: { tenantId, id: file.id } },
          body: { name: name.trim() },
        }),
      ),
    onSuccess: onDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    rename.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <ProblemAlert error={rename.error} fields={['name']} />
        <TextInput
          label={t('audioFiles.name')}
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(rename.error, 'name')}
          data-autofocus
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={rename.isPending} disabled={name.trim() === ''}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function AudioFiles({ me }: { me: Me }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const tenantId = me.tenantId!;
  const files = useAudioFiles(tenantId);
  const { playing, toggle, player } = usePlayer(tenantId);
  const [renaming, setRenaming] = useState<AudioFile | null>(null);
  const [deleting, setDeleting] = useState<AudioFile | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: audioFilesKey(tenantId) });
  const list = files.data ?? [];
  const date = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  const kb = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 0 });

  return (
    <Stack>
      <Title order={2}>{t('audioFiles.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('audioFiles.intro')}
      </Text>
      <Paper withBorder p={{ base: 'xs', sm: 'sm' }}>
        <AddAudio tenantId={tenantId} />
      </Paper>
      <ProblemAlert error={files.error} />
      {files.data && list.length === 0 ? <Text c="dimmed">{t('audioFiles.empty')}</Text> : null}
      {list.map((f) => (
        <Paper
          key={f.id}
          withBorder
          p={{ base: 'xs', sm: 'sm' }}
          component="article"
          aria-label={t('audioFiles.fileOf', { name: f.name })}
        >
          <Stack gap={6}>
            <Group justify="space-between" gap="xs" wrap="wrap">
              <div style={{ minWidth: 0 }}>
                <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
                  {f.name}
                </Text>
                <Text size="xs" c="dimmed">
                  <span title={t('audioFiles.duration')}>{clock(f.durationMs / 1000)}</span>
                  {' · '}
                  <span title={t('audioFiles.size')}>
                    {t('audioFiles.kb', { size: kb.format(f.sizeBytes / 1024) })}
                  </span>
                  {' · '}
                  <span title={t('audioFiles.addedAt')}>{date.format(new Date(f.createdAt))}</span>
                </Text>
              </div>
              <Group gap="xs" wrap="wrap">
                <Button
                  size="xs"
                  variant={playing === f.id ? 'filled' : 'light'}
                  aria-label={t('audioFiles.playOf', { name: f.name })}
                  aria-pressed={playing === f.id}
                  onClick={() => toggle(f.id)}
                >
                  {playing === f.id ? '■' : '▶'} {t('audioFiles.play')}
                </Button>
                <Button
                  size="xs"
                  variant="subtle"
                  aria-label={t('audioFiles.renameOf', { name: f.name })}
                  onClick={() => setRenaming(f)}
                >
                  {t('audioFiles.rename')}
                </Button>
                <Button
                  size="xs"
                  variant="subtle"
                  color="red"
                  aria-label={t('audioFiles.deleteOf', { name: f.name })}
                  onClick={() => setDeleting(f)}
                >
                  {t('common.delete')}
                </Button>
              </Group>
            </Group>
            {player(f.id, t('audioFiles.playerOf', { name: f.name }))}
          </Stack>
        </Paper>
      ))}
      <Dialog
        opened={renaming !== null}
        onClose={() => setRenaming(null)}
        title={renaming ? t('audioFiles.renameTitle', { name: renaming.name }) : ''}
      >
        {renaming ? (
          <Rename
            key={renaming.id}
            tenantId={tenantId}
            file={renaming}
            onDone={() => {
              setRenaming(null);
              void refresh();
            }}
            onCancel={() => setRenaming(null)}
          />
        ) : null}
      </Dialog>
      <ConfirmDelete
        target={deleting}
        text={t('audioFiles.deleteConfirm')}
        onDelete={(id) =>
          unwrap(api.DELETE('/api/v1/tenants/{tenantId}/audio/{id}', { params: { path: { tenantId, id } } }))
        }
        onDeleted={() => {
          setDeleting(null);
          void refresh();
        }}
        onClose={() => setDeleting(null)}
      />
    </Stack>
  );
}
