/**
 * What a browser recording is doing, under its Record button: why the
 * microphone failed, the time while recording, and once done the take to listen
 * to with the page's own actions (save, discard) below it.
 */
import { Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { clock, type useWavRecorder } from './useWavRecorder';

export function RecordingStatus({
  recorder,
  micError,
  recording,
  recorded,
  playerLabel,
  children,
}: {
  recorder: ReturnType<typeof useWavRecorder>;
  micError: string | null;
  /** "Recording… 0:05" for the time so far. */
  recording: (time: string) => string;
  /** "Recorded 0:12" for the take's length. */
  recorded: (time: string) => string;
  playerLabel?: string;
  /** The actions on a finished take. */
  children: ReactNode;
}) {
  return (
    <>
      {micError ? (
        <Text size="sm" c="red" data-field-error>
          {micError}
        </Text>
      ) : null}
      {recorder.state === 'recording' ? (
        <Text size="sm" c="red" role="status">
          {recording(clock(recorder.elapsed))}
        </Text>
      ) : null}
      {recorder.state === 'done' && recorder.result ? (
        <Stack gap={6}>
          <Text size="sm">{recorded(clock(recorder.result.sec))}</Text>
          {/* biome-ignore lint/a11y/useMediaCaption: the user's own recording, just made */}
          <audio
            controls
            src={recorder.result.url}
            aria-label={playerLabel}
            style={{ maxWidth: '100%', height: 32 }}
          />
          {children}
        </Stack>
      ) : null}
    </>
  );
}
