/**
 * Recording in the browser as a WAV file: the microphone through Web Audio into
 * PCM chunks, encoded here as mono 16-bit PCM at the context's rate (the server
 * converts it to 8 kHz). Used for voicemail greetings and the tenant's audio files.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

/** The server's limit for an upload (180 s); a recording stops there by default. */
export const MAX_RECORDING_SEC = 180;

/** m:ss (h:mm:ss past an hour). */
export function clock(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Mono float samples as a 16-bit PCM WAV file. */
export function encodeWav(chunks: readonly Float32Array[], rate: number): Blob {
  const n = chunks.reduce((sum, c) => sum + c.length, 0);
  const buf = new ArrayBuffer(44 + n * 2);
  const v = new DataView(buf);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  text(0, 'RIFF');
  v.setUint32(4, 36 + n * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, n * 2, true);
  let at = 44;
  for (const c of chunks)
    for (const x of c) {
      const s = Math.max(-1, Math.min(1, x));
      v.setInt16(at, s < 0 ? s * 0x8000 : s * 0x7fff, true);
      at += 2;
    }
  return new Blob([buf], { type: 'audio/wav' });
}

export interface WavRecording {
  blob: Blob;
  /** An object URL of the blob, for an audio element; revoked by `discard`. */
  url: string;
  sec: number;
}

/**
 * Microphone → Web Audio → PCM chunks → a WAV file; stops by itself after `maxSec`.
 * `error` is 'unsupported' when the browser cannot record, else the browser's reason.
 */
export function useWavRecorder(maxSec = MAX_RECORDING_SEC) {
  const [state, setState] = useState<'idle' | 'recording' | 'done'>('idle');
  const [elapsed, setElapsed] = useState(0);
  const [result, setResult] = useState<WavRecording | null>(null);
  const [error, setError] = useState<string | null>(null);
  const parts = useRef<{
    stream: MediaStream;
    ctx: AudioContext;
    node: ScriptProcessorNode;
    chunks: Float32Array[];
    timer: number;
    started: number;
  } | null>(null);

  const finish = useCallback((keep: boolean) => {
    const p = parts.current;
    if (!p) return;
    parts.current = null;
    window.clearInterval(p.timer);
    p.node.onaudioprocess = null;
    p.node.disconnect();
    for (const track of p.stream.getTracks()) track.stop();
    const rate = p.ctx.sampleRate;
    void p.ctx.close();
    if (!keep) return;
    const n = p.chunks.reduce((s, c) => s + c.length, 0);
    const blob = encodeWav(p.chunks, rate);
    setResult({ blob, url: URL.createObjectURL(blob), sec: n / rate });
    setState('done');
  }, []);

  const start = async () => {
    setError(null);
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioContext === 'undefined') {
      setError('unsupported');
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
      });
      const ctx = new AudioContext();
      await ctx.resume();
      const source = ctx.createMediaStreamSource(stream);
      const node = ctx.createScriptProcessor(4096, 1, 1);
      const chunks: Float32Array[] = [];
      node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
      // The processor runs only when connected onwards: through silence, so nothing echoes.
      const mute = ctx.createGain();
      mute.gain.value = 0;
      source.connect(node);
      node.connect(mute);
      mute.connect(ctx.destination);
      const started = Date.now();
      const timer = window.setInterval(() => {
        const sec = (Date.now() - started) / 1000;
        setElapsed(sec);
        if (sec >= maxSec) finish(true);
      }, 250);
      parts.current = { stream, ctx, node, chunks, timer, started };
      setElapsed(0);
      setState('recording');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const discard = useCallback(() => {
    setResult((r) => {
      if (r) URL.revokeObjectURL(r.url);
      return null;
    });
    setState('idle');
  }, []);

  // Leaving the page stops the microphone.
  useEffect(() => () => finish(false), [finish]);

  return { state, elapsed, result, error, start, stop: () => finish(true), discard };
}
