/**
 * The portal's player for a stored sound (a voicemail message, a call
 * recording): play/pause and a waveform drawn from the WAV itself, the part
 * played in colour; a click (or the arrow keys, Home, End) seeks. The audio
 * element streams the same URL, seeking by HTTP Range. For a long file the
 * waveform is not fetched (it would download the whole file first): a plain
 * track is drawn instead, and seeking works the same.
 */
import { Button, Group, Stack, Text, useMantineTheme } from '@mantine/core';
import { type KeyboardEvent, type MouseEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { wavPeaks } from '../wav-peaks';
import { clock } from './useWavRecorder';

// --- the player ---------------------------------------------------------------------------

const WAVE_HEIGHT = 64;

export function AudioPlayer({
  src,
  durationMs,
  seekLabel,
  failedText,
  waveform = true,
  autoPlay,
  onPlay,
}: {
  src: string;
  durationMs: number;
  /** The name of the waveform slider ("Position in the message"). */
  seekLabel: string;
  /** Said when the waveform cannot be drawn (the sound still plays). */
  failedText?: string;
  /** Fetch the whole file to draw its waveform (false: a plain track, for long files). */
  waveform?: boolean;
  autoPlay?: boolean;
  onPlay?: () => void;
}) {
  const { t } = useTranslation();
  const theme = useMantineTheme();
  const audio = useRef<HTMLAudioElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const frame = useRef<HTMLDivElement>(null);
  const [peaks, setPeaks] = useState<Float32Array | null>(null);
  const [failed, setFailed] = useState(false);
  const [width, setWidth] = useState(0);
  const [paused, setPaused] = useState(true);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(durationMs / 1000);

  // The whole file, once, for the peaks.
  useEffect(() => {
    setPeaks(null);
    setFailed(false);
    if (!waveform) return;
    const abort = new AbortController();
    fetch(src, { credentials: 'same-origin', signal: abort.signal })
      .then(async (res) => {
        if (!res.ok) throw new Error(String(res.status));
        setPeaks(wavPeaks(await res.arrayBuffer()));
      })
      .catch(() => {
        if (!abort.signal.aborted) setFailed(true);
      });
    return () => abort.abort();
  }, [src, waveform]);

  // The canvas is as wide as its frame.
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const watch = new ResizeObserver(() => setWidth(el.clientWidth));
    watch.observe(el);
    return () => watch.disconnect();
  }, []);

  // Smooth progress while playing (timeupdate comes only a few times a second).
  useEffect(() => {
    if (paused) return;
    let id = 0;
    const tick = () => {
      if (audio.current) setTime(audio.current.currentTime);
      id = requestAnimationFrame(tick);
    };
    id = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(id);
  }, [paused]);

  useEffect(() => {
    if (autoPlay) audio.current?.play().catch(() => undefined);
  }, [autoPlay]);

  const played = theme.colors.blue[6];
  const rest = theme.colors.gray[4];
  const progress = duration > 0 ? Math.min(1, time / duration) : 0;
  useEffect(() => {
    const c = canvas.current;
    if (!c || width <= 0 || (waveform && !peaks)) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(WAVE_HEIGHT * dpr);
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, WAVE_HEIGHT);
    if (peaks) {
      const bar = 2;
      const step = 3;
      const columns = Math.max(1, Math.floor(width / step));
      // Quiet sounds are scaled up to fill the height, loud ones are not clipped.
      let loudest = 0;
      for (const p of peaks) loudest = Math.max(loudest, p);
      const scale = loudest > 0 ? 1 / loudest : 0;
      for (let i = 0; i < columns; i++) {
        const from = Math.floor((i * peaks.length) / columns);
        const to = Math.max(from + 1, Math.floor(((i + 1) * peaks.length) / columns));
        let p = 0;
        for (let j = from; j < to; j++) p = Math.max(p, peaks[j]!);
        const h = Math.max(2, p * scale * (WAVE_HEIGHT - 4));
        g.fillStyle = (i + 0.5) / columns <= progress ? played : rest;
        g.fillRect(i * step, (WAVE_HEIGHT - h) / 2, bar, h);
      }
    } else {
      // No waveform: a track, the part played in colour.
      const y = WAVE_HEIGHT / 2 - 3;
      g.fillStyle = rest;
      g.fillRect(0, y, width, 6);
      g.fillStyle = played;
      g.fillRect(0, y, progress * width, 6);
    }
    // The play head.
    g.fillStyle = played;
    g.fillRect(Math.min(width - 1, progress * width), 0, 1, WAVE_HEIGHT);
    c.dataset.drawn = 'true';
  }, [peaks, waveform, width, progress, played, rest]);

  const seek = (sec: number) => {
    const a = audio.current;
    const to = Math.max(0, Math.min(duration || 0, sec));
    if (a) a.currentTime = to;
    setTime(to);
  };
  const toggle = () => {
    const a = audio.current;
    if (!a) return;
    if (a.paused) a.play().catch(() => undefined);
    else a.pause();
  };
  const click = (e: MouseEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    if (r.width > 0) seek(((e.clientX - r.left) / r.width) * duration);
  };
  const keys = (e: KeyboardEvent<HTMLDivElement>) => {
    const to =
      e.key === 'ArrowLeft' || e.key === 'ArrowDown'
        ? time - 5
        : e.key === 'ArrowRight' || e.key === 'ArrowUp'
          ? time + 5
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? duration
              : null;
    if (to !== null) {
      e.preventDefault();
      seek(to);
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      toggle();
    }
  };
  const position = t('player.position', { at: clock(time), total: clock(duration) });

  return (
    <Stack gap={6}>
      {/* biome-ignore lint/a11y/useMediaCaption: a phone call or a caller's message; a voicemail's transcript, when made, is shown with it */}
      <audio
        ref={audio}
        src={src}
        preload="metadata"
        onPlay={() => {
          setPaused(false);
          onPlay?.();
        }}
        onPause={() => setPaused(true)}
        onEnded={() => {
          setPaused(true);
          if (audio.current) setTime(audio.current.duration || duration);
        }}
        onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
        onLoadedMetadata={(e) => {
          if (Number.isFinite(e.currentTarget.duration) && e.currentTarget.duration > 0)
            setDuration(e.currentTarget.duration);
        }}
      />
      <Group gap="sm" wrap="nowrap" align="center">
        <Button
          size="xs"
          onClick={toggle}
          aria-label={paused ? t('player.play') : t('player.pause')}
          w={44}
          px={0}
          style={{ flexShrink: 0 }}
        >
          {paused ? '▶' : '❚❚'}
        </Button>
        <div
          ref={frame}
          role="slider"
          tabIndex={0}
          aria-label={seekLabel}
          aria-valuemin={0}
          aria-valuemax={Math.round(duration)}
          aria-valuenow={Math.round(time)}
          aria-valuetext={position}
          onClick={click}
          onKeyDown={keys}
          style={{ flex: 1, minWidth: 0, height: WAVE_HEIGHT, cursor: 'pointer', position: 'relative' }}
        >
          <canvas
            ref={canvas}
            data-waveform={waveform ? '' : undefined}
            style={{ width: '100%', height: WAVE_HEIGHT, display: 'block' }}
          />
          {waveform && !peaks && !failed ? (
            <Text size="xs" c="dimmed" style={{ position: 'absolute', top: WAVE_HEIGHT / 2 - 9 }}>
              {t('player.waveformLoading')}
            </Text>
          ) : null}
        </div>
      </Group>
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed" aria-live="off">
          {position}
        </Text>
        {failed ? (
          <Text size="xs" c="dimmed">
            {failedText ?? t('player.waveformFailed')}
          </Text>
        ) : null}
      </Group>
    </Stack>
  );
}
