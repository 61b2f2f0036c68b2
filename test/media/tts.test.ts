import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import {
  closeTts,
  encodeWav,
  espeakArguments,
  parsePcm16Wav,
  resamplePcm16,
  synthesize,
  TTS_MAX_CHARS,
  TtsEngine,
  TtsError,
  trimSilence,
  validateText,
} from '../../src/media/tts.js';

function level(samples: Int16Array): { peak: number; rms: number } {
  let peak = 0;
  let energy = 0;
  for (const s of samples) {
    peak = Math.max(peak, Math.abs(s));
    energy += s * s;
  }
  return { peak, rms: Math.sqrt(energy / Math.max(1, samples.length)) };
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof TtsError ? e.code : `not a TtsError: ${String(e)}`;
  }
  return 'resolved';
}

function sine(freq: number, rate: number, seconds: number, amplitude = 10_000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

describe('synthesize', () => {
  afterAll(() => closeTts());

  it('speaks Russian and English as 8 kHz audio of a plausible length', async () => {
    const [ru, en] = await Promise.all([
      synthesize('Пожалуйста, оставьте сообщение после сигнала.', 'ru'),
      synthesize('Please leave a message after the tone.', 'en'),
    ]);
    for (const samples of [ru, en]) {
      expect(samples).toBeInstanceOf(Int16Array);
      const seconds = samples.length / 8000;
      expect(seconds).toBeGreaterThan(1.2);
      expect(seconds).toBeLessThan(6);
      const { peak, rms } = level(samples);
      expect(peak).toBeGreaterThan(8000);
      expect(peak).toBeLessThan(32767);
      expect(rms).toBeGreaterThan(800);
    }
  });

  it('is deterministic and safe to call concurrently', async () => {
    const texts: Array<[string, 'en' | 'ru']> = [
      ['один два три', 'ru'],
      ['one two three', 'en'],
      ['один два три', 'ru'],
      ['четыре', 'ru'],
    ];
    const out = await Promise.all(texts.map(([t, l]) => synthesize(t, l)));
    expect(out[0]).toEqual(out[2]);
    expect(out[0]).not.toEqual(out[1]);
    expect(out[3]!.length).toBeLessThan(out[0]!.length);
    for (const s of out) expect(level(s).rms).toBeGreaterThan(500);
  });

  it('speaks more slowly when asked', async () => {
    const [slow, fast] = await Promise.all([
      synthesize('Your call is important to us.', 'en', { speed: 100 }),
      synthesize('Your call is important to us.', 'en', { speed: 250 }),
    ]);
    expect(slow.length).toBeGreaterThan(fast.length * 1.5);
  });

  it('keeps the event loop free while it works', async () => {
    const text = 'Ваш звонок очень важен для нас. Пожалуйста, оставайтесь на линии. '.repeat(15);
    await synthesize('разминка', 'ru'); // the worker is up
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const t0 = performance.now();
    const samples = await synthesize(text, 'ru');
    const took = performance.now() - t0;
    h.disable();
    expect(samples.length / 8000).toBeGreaterThan(40);
    // The synthesis itself runs for hundreds of ms; on the main thread it would show up whole.
    expect(h.max / 1e6).toBeLessThan(Math.max(150, took / 2));
  });

  it('refuses empty and oversized text with a typed error', async () => {
    expect(await failure(synthesize('', 'en'))).toBe('TTS_EMPTY_TEXT');
    expect(await failure(synthesize('  \n\t ', 'ru'))).toBe('TTS_EMPTY_TEXT');
    expect(await failure(synthesize('\u0000\u0007', 'ru'))).toBe('TTS_EMPTY_TEXT');
    expect(await failure(synthesize('a'.repeat(TTS_MAX_CHARS + 1), 'en'))).toBe('TTS_TEXT_TOO_LONG');
    expect(validateText('я'.repeat(TTS_MAX_CHARS))).toHaveLength(TTS_MAX_CHARS);
    expect(validateText(' 😀'.repeat(TTS_MAX_CHARS / 2).trim())).toBeTruthy(); // code points, not UTF-16 units
    expect(() => validateText('😀'.repeat(TTS_MAX_CHARS + 1))).toThrow(TtsError);
  });

  it('refuses bad options', async () => {
    expect(await failure(synthesize('hello', 'en', { speed: 1000 }))).toBe('TTS_BAD_OPTION');
    expect(await failure(synthesize('hello', 'en', { pitch: 1.5 }))).toBe('TTS_BAD_OPTION');
    expect(await failure(synthesize('hello', 'en', { variant: 'f3 -w /etc/x' }))).toBe('TTS_BAD_OPTION');
    expect(await failure(synthesize('hello', 'de' as 'en'))).toBe('TTS_BAD_OPTION');
    expect(await failure(synthesize('hello', 'toString' as 'en'))).toBe('TTS_BAD_OPTION');
  });

  it('passes text as a file, never as arguments', () => {
    const args = espeakArguments('ru', { variant: 'f3', noFinalPause: true });
    expect(args).toEqual(expect.arrayContaining(['-v', 'ru+f3', '-z', '-f', '/in.txt', '-w', '/out.wav']));
  });

  it('reads text that looks like options as text', async () => {
    const s = await synthesize('-v xx --help', 'en');
    expect(level(s).rms).toBeGreaterThan(500);
  });
});

describe('TtsEngine', () => {
  it('times out a job, replaces the worker and goes on', async () => {
    const engine = new TtsEngine();
    try {
      expect(await failure(engine.synthesize('This takes a while to say.', 'en', { timeoutMs: 1 }))).toBe(
        'TTS_TIMEOUT',
      );
      const s = await engine.synthesize('Still working.', 'en');
      expect(level(s).rms).toBeGreaterThan(500);
    } finally {
      await engine.close();
    }
  });

  it('aborts a queued job', async () => {
    const engine = new TtsEngine();
    try {
      const first = engine.synthesize('First in line.', 'en');
      const ac = new AbortController();
      const second = engine.synthesize('Second in line.', 'en', { signal: ac.signal });
      ac.abort();
      expect(await failure(second)).toBe('TTS_ABORTED');
      expect((await first).length).toBeGreaterThan(0);
      expect(await failure(engine.synthesize('x', 'en', { signal: AbortSignal.abort() }))).toBe(
        'TTS_ABORTED',
      );
    } finally {
      await engine.close();
    }
  });

  it('fails pending work when closed, and refuses new work', async () => {
    const engine = new TtsEngine();
    const running = failure(engine.synthesize('One.', 'en'));
    const queued = failure(engine.synthesize('Two.', 'en'));
    await engine.close();
    await engine.close(); // idempotent
    expect(await running).toBe('TTS_CLOSED');
    expect(await queued).toBe('TTS_CLOSED');
    expect(await failure(engine.synthesize('Three.', 'en'))).toBe('TTS_CLOSED');
  });

  it('spreads jobs over a pool', async () => {
    const engine = new TtsEngine({ workers: 2 });
    try {
      const out = await Promise.all(['один', 'два', 'три', 'четыре'].map((t) => engine.synthesize(t, 'ru')));
      for (const s of out) expect(level(s).rms).toBeGreaterThan(500);
    } finally {
      await engine.close();
    }
  });
});

describe('resamplePcm16', () => {
  /** RMS of the middle half (away from the filter's start-up at the ends). */
  const middleRms = (s: Int16Array) => level(s.subarray(s.length / 4, (3 * s.length) / 4)).rms;

  it('keeps the telephone band', () => {
    for (const f of [300, 1000, 3000]) {
      const input = sine(f, 22_050, 0.5);
      const out = resamplePcm16(input, 22_050, 8000);
      expect(out.length).toBe(4000);
      const gainDb = 20 * Math.log10(middleRms(out) / middleRms(input));
      expect(Math.abs(gainDb), `${f} Hz`).toBeLessThan(0.5);
    }
  });

  it('removes what would alias', () => {
    for (const f of [4200, 5000, 6000, 9000]) {
      const input = sine(f, 22_050, 0.5);
      const out = resamplePcm16(input, 22_050, 8000);
      const gainDb = 20 * Math.log10(Math.max(1, middleRms(out)) / middleRms(input));
      expect(gainDb, `${f} Hz`).toBeLessThan(-60);
    }
  });

  it('keeps a tone at its frequency', () => {
    const out = resamplePcm16(sine(1000, 22_050, 0.5), 22_050, 8000);
    let crossings = 0;
    for (let i = 1; i < out.length; i++) if (out[i - 1]! < 0 && out[i]! >= 0) crossings++;
    expect(crossings).toBeGreaterThanOrEqual(499);
    expect(crossings).toBeLessThanOrEqual(501);
  });

  it('upsamples too', () => {
    const input = sine(1000, 8000, 0.5);
    const out = resamplePcm16(input, 8000, 16_000);
    expect(out.length).toBe(8000);
    expect(Math.abs(20 * Math.log10(middleRms(out) / middleRms(input)))).toBeLessThan(0.5);
  });
});

describe('WAV helpers', () => {
  it('writes a WAV that another reader accepts, and reads it back', () => {
    const samples = sine(440, 8000, 0.1);
    const bytes = encodeWav(samples);
    expect(bytes.length).toBe(44 + samples.length * 2);
    const wav = new WaveFile(bytes);
    const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
    expect([fmt.sampleRate, fmt.numChannels, fmt.bitsPerSample]).toEqual([8000, 1, 16]);
    expect(Array.from(wav.getSamples(false, Int16Array) as unknown as Int16Array)).toEqual(
      Array.from(samples),
    );
    const back = parsePcm16Wav(bytes);
    expect(back.sampleRate).toBe(8000);
    expect(back.channels).toBe(1);
    expect(back.samples).toEqual(samples);
  });

  it('rejects what is not a PCM16 WAV', () => {
    expect(() => parsePcm16Wav(new Uint8Array(10))).toThrow();
    const w = new WaveFile();
    w.fromScratch(1, 8000, '8', [1, 2, 3]);
    expect(() => parsePcm16Wav(w.toBuffer())).toThrow(/16-bit/);
  });

  it('trims silence, keeping a margin', () => {
    const s = new Int16Array(8000);
    s.fill(5000, 4000, 4800);
    const t = trimSilence(s, { padMs: 10 });
    expect(t.length).toBe(800 + 2 * 80);
    expect(trimSilence(new Int16Array(100))).toHaveLength(0);
  });
});
