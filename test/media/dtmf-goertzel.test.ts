/**
 * The in-band DTMF detector against generated signals: all sixteen digits in white
 * noise and with twist, through G.711 and back, short tones and short gaps, held
 * keys, and signals that must never make a digit (noise, a 1 kHz tone, speech-like
 * and music-like sound, harmonic-rich tone pairs). Noise comes from a seeded PRNG,
 * so every run sees the same samples.
 */
import { describe, expect, it } from 'vitest';
import { decodeG711, encodeG711 } from '../../src/media/codecs/g711.js';
import { DtmfBlockClassifier } from '../../src/media/dtmf/block-classifier.js';
import { DTMF_DIGITS, dbm0ToPeak, dtmfFrequencies } from '../../src/media/dtmf/digits.js';
import { DualToneGenerator, dtmfSequence, dtmfTone } from '../../src/media/dtmf/generate.js';
import { DtmfDetector, type DtmfDetectorOptions, type DtmfToneEvent } from '../../src/media/dtmf/goertzel.js';

const ALL = DTMF_DIGITS.join('');

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const clamp = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v)));

/** Power of a tone pair at these levels (mean square, 16-bit linear). */
const pairPower = (lowDbm0: number, highDbm0: number) =>
  (dbm0ToPeak(lowDbm0) ** 2 + dbm0ToPeak(highDbm0) ** 2) / 2;

/** Adds white noise `snrDb` below `signalPower`. */
function withNoise(x: Int16Array, signalPower: number, snrDb: number, seed: number): Int16Array {
  const g = gaussian(prng(seed));
  const sigma = Math.sqrt(signalPower / 10 ** (snrDb / 10));
  return Int16Array.from(x, (v) => clamp(v + sigma * g()));
}

function whiteNoise(seconds: number, dbm0: number, seed: number): Int16Array {
  const g = gaussian(prng(seed));
  const rms = dbm0ToPeak(dbm0) / Math.SQRT2;
  return Int16Array.from({ length: seconds * 8000 }, () => clamp(rms * g()));
}

/**
 * Voice-like sound: the harmonics of a fundamental gliding between 80 and 300 Hz,
 * shaped by two formants that wander over 300-1000 and 900-2600 Hz (and a third
 * near 2.8 kHz), with a syllable-rate envelope. Harmonics regularly pass through
 * the DTMF frequencies, two at a time.
 */
function speechLike(seconds: number, seed: number, dbm0 = -15): Int16Array {
  const random = prng(seed);
  const peak = dbm0ToPeak(dbm0);
  const phase = new Float64Array(48);
  const out = new Int16Array(seconds * 8000);
  let f0 = 90 + 150 * random();
  let f1 = 500;
  let f2 = 1500;
  let targets = [f0, f1, f2];
  for (let i = 0; i < out.length; i++) {
    if (i % 800 === 0) targets = [80 + 220 * random(), 300 + 700 * random(), 900 + 1700 * random()];
    f0 += (targets[0]! - f0) * 0.0008;
    f1 += (targets[1]! - f1) * 0.0008;
    f2 += (targets[2]! - f2) * 0.0008;
    let v = 0;
    for (let k = 1; k < phase.length && k * f0 < 3600; k++) {
      const f = k * f0;
      const a =
        1 / (1 + ((f - f1) / 80) ** 2) +
        0.7 / (1 + ((f - f2) / 100) ** 2) +
        0.3 / (1 + ((f - 2800) / 150) ** 2);
      phase[k] = (phase[k]! + f / 8000) % 1;
      v += (a + 0.02) * Math.sin(2 * Math.PI * phase[k]!);
    }
    const envelope = 0.5 - 0.5 * Math.cos((2 * Math.PI * 4 * i) / 8000);
    out[i] = clamp(0.5 * peak * envelope * v);
  }
  return out;
}

/** Two-note chords of instrument-like tones (six harmonics, 1/k), a new chord every 200 ms. */
function musicLike(seconds: number, seed: number): Int16Array {
  const random = prng(seed);
  const peak = dbm0ToPeak(-12);
  const phase = [new Float64Array(7), new Float64Array(7)];
  const out = new Int16Array(seconds * 8000);
  let notes = [0, 0];
  for (let i = 0; i < out.length; i++) {
    if (i % 1600 === 0)
      notes = [
        440 * 2 ** (Math.floor(random() * 24 - 12) / 12 + 0.5),
        440 * 2 ** (Math.floor(random() * 24) / 12 + 1),
      ];
    let v = 0;
    notes.forEach((note, n) => {
      for (let k = 1; k <= 6 && k * note < 3800; k++) {
        phase[n]![k] = (phase[n]![k]! + (k * note) / 8000) % 1;
        v += Math.sin(2 * Math.PI * phase[n]![k]!) / k;
      }
    });
    out[i] = clamp(0.5 * peak * v);
  }
  return out;
}

function detect(x: Int16Array, options: DtmfDetectorOptions = {}, frame = 160): DtmfToneEvent[] {
  const d = new DtmfDetector(options);
  const out: DtmfToneEvent[] = [];
  for (let i = 0; i < x.length; i += frame) out.push(...d.process(x.subarray(i, i + frame)));
  out.push(...d.flush());
  return out;
}

const digits = (events: DtmfToneEvent[]) =>
  events
    .filter((e) => e.type === 'start')
    .map((e) => e.digit)
    .join('');

const g711 = (x: Int16Array, law: 'ulaw' | 'alaw') => decodeG711(encodeG711(x, law), law);

describe('in-band DTMF detection', () => {
  it('finds every digit once, with where it starts and how long it lasts', () => {
    const x = dtmfSequence(ALL, { onMs: 100, offMs: 100, leadMs: 50 });
    const events = detect(x);
    expect(digits(events)).toBe(ALL);
    expect(events.map((e) => e.type)).toEqual([...ALL].flatMap(() => ['start', 'end']));
    DTMF_DIGITS.forEach((d, i) => {
      const start = events[2 * i]!;
      const end = events[2 * i + 1]!;
      const toneStart = 400 + i * 1600;
      expect(start).toMatchObject({ type: 'start', digit: d });
      // Within a block of the truth on either side.
      expect(Math.abs(start.atSample - toneStart)).toBeLessThanOrEqual(102);
      expect(end.type === 'end' && end.durationMs).toBeGreaterThan(80);
      expect(end.type === 'end' && end.durationMs).toBeLessThanOrEqual(100 + 13);
    });
  });

  it.each([1, 2, 3])('finds all sixteen digits in white noise 15 dB down (seed %i)', (seed) => {
    const x = dtmfSequence(ALL, { onMs: 70, offMs: 70, leadMs: 30, lowDbm0: -10, highDbm0: -10 });
    expect(digits(detect(withNoise(x, pairPower(-10, -10), 15, seed)))).toBe(ALL);
  });

  it.each([
    ['high group 4 dB up (reverse twist)', -12, -8],
    ['low group 4 dB up (normal twist)', -8, -12],
  ])('finds all sixteen digits with %s, in 15 dB noise', (_what, low, high) => {
    for (const seed of [11, 12]) {
      const x = dtmfSequence(ALL, { onMs: 70, offMs: 70, leadMs: 30, lowDbm0: low, highDbm0: high });
      expect(digits(detect(withNoise(x, pairPower(low, high), 15, seed)))).toBe(ALL);
    }
  });

  it('refuses twist past the limits, which are configurable', () => {
    const reverse8 = dtmfSequence('159D', { lowDbm0: -16, highDbm0: -8 });
    const normal12 = dtmfSequence('159D', { lowDbm0: -6, highDbm0: -18 });
    expect(digits(detect(reverse8))).toBe('');
    expect(digits(detect(normal12))).toBe('');
    expect(digits(detect(reverse8, { reverseTwistDb: 8 }))).toBe('159D');
    expect(digits(detect(normal12, { normalTwistDb: 12 }))).toBe('159D');
  });

  it('accepts tones 1.5 % off frequency (ITU-T Q.24)', () => {
    for (const dev of [-0.015, 0.015]) {
      const g = new DualToneGenerator();
      const parts: Int16Array[] = [];
      for (const d of DTMF_DIGITS) {
        const f = dtmfFrequencies(d);
        g.setTones(f.lowHz * (1 + dev), f.highHz * (1 - dev));
        parts.push(g.next(640));
        g.setDigit(null);
        parts.push(g.next(640));
      }
      const x = Int16Array.from(parts.flatMap((p) => [...p]));
      expect(digits(detect(withNoise(x, pairPower(-8, -6), 20, 5)))).toBe(ALL);
    }
  });

  it('still finds every digit after G.711 µ-law and A-law', () => {
    const x = withNoise(dtmfSequence(ALL, { onMs: 60, offMs: 60, leadMs: 20 }), pairPower(-8, -6), 20, 9);
    expect(digits(detect(g711(x, 'ulaw')))).toBe(ALL);
    expect(digits(detect(g711(x, 'alaw')))).toBe(ALL);
    const quiet = dtmfSequence(ALL, { onMs: 60, offMs: 60, levelDbm0: -25 });
    expect(digits(detect(g711(quiet, 'ulaw')))).toBe(ALL);
  });

  it('separates digits 50 ms on / 50 ms off, repeated digits included', () => {
    const strings = [ALL, '5555', '1212#', '00000*'];
    strings.forEach((s, i) => {
      const x = dtmfSequence(s, { onMs: 50, offMs: 50, leadMs: 7 * i });
      expect(digits(detect(g711(withNoise(x, pairPower(-8, -6), 15, 20 + i), 'ulaw')))).toBe(s);
    });
  });

  it('reports a held key once, through a 10 ms dropout, with its whole length', () => {
    const x = dtmfTone('8', 2000);
    x.fill(0, 7000, 7080); // a lost 10 ms
    const events = detect(withNoise(x, pairPower(-8, -6), 20, 3));
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'end', digit: '8' });
    const end = events[1]!;
    expect(end.type === 'end' && end.durationMs).toBeGreaterThan(1970);
  });

  it('ignores tones shorter than the minimum, and gaps shorter than the minimum pause', () => {
    for (let lead = 0; lead < 102; lead += 17) {
      const short = dtmfSequence('3', { onMs: 20, offMs: 100, leadMs: lead / 8 });
      expect(digits(detect(short))).toBe('');
    }
    const g = new DualToneGenerator();
    g.setDigit('6');
    const a = g.next(800);
    g.setDigit(null);
    const gap = g.next(80); // 10 ms
    g.setDigit('6');
    const b = g.next(800);
    expect(digits(detect(Int16Array.from([...a, ...gap, ...b])))).toBe('6');
  });

  it('ends one digit and starts the next when the keys change without a pause', () => {
    const g = new DualToneGenerator();
    const parts: number[] = [];
    for (const d of ['1', '5', '9', '#'] as const) {
      g.setDigit(d);
      parts.push(...g.next(640));
    }
    const events = detect(Int16Array.from(parts));
    expect(events.map((e) => `${e.type}:${e.digit}`)).toEqual([
      'start:1',
      'end:1',
      'start:5',
      'end:5',
      'start:9',
      'end:9',
      'start:#',
      'end:#',
    ]);
  });

  it('gives the same events whatever the frame size', () => {
    const x = withNoise(dtmfSequence('147*', { onMs: 80, offMs: 60, leadMs: 13 }), pairPower(-8, -6), 20, 4);
    const reference = detect(x, {}, 160);
    expect(digits(reference)).toBe('147*');
    for (const frame of [1, 7, 80, 102, 240, 4096]) expect(detect(x, {}, frame)).toEqual(reference);
  });

  it('finds a digit at -25 dBm0 and nothing below the level floor', () => {
    expect(digits(detect(dtmfSequence('9', { levelDbm0: -25 })))).toBe('9');
    expect(digits(detect(dtmfSequence('9', { levelDbm0: -40 })))).toBe('');
    expect(digits(detect(dtmfSequence('9', { levelDbm0: -40 }), { minLevelDbm0: -45 }))).toBe('9');
  });

  it('ends a key still held when the stream ends (flush), and starts afresh after reset', () => {
    const d = new DtmfDetector();
    const start = d.process(dtmfTone('A', 500));
    expect(start).toEqual([{ type: 'start', digit: 'A', atSample: 0 }]);
    expect(d.flush()).toMatchObject([{ type: 'end', digit: 'A' }]);
    expect(d.flush()).toEqual([]);
    d.process(dtmfTone('B', 100));
    d.reset();
    expect(d.process(new Int16Array(20 * 102))).toEqual([]);
    expect(d.process(dtmfTone('C', 100))).toMatchObject([{ type: 'start', digit: 'C', atSample: 2040 }]);
  });
});

describe('no false digits', () => {
  it('in silence and in white noise at any level', () => {
    expect(detect(new Int16Array(8000))).toEqual([]);
    [-10, -20, -30, -40].forEach((level, i) => {
      expect(detect(whiteNoise(5, level, 100 + i))).toEqual([]);
    });
  });

  it('on a 1 kHz tone, alone or over noise', () => {
    const g = new DualToneGenerator();
    g.setTones(1000, 1000, { levelDbm0: -10 });
    const tone = g.next(5 * 8000);
    expect(detect(tone)).toEqual([]);
    expect(detect(withNoise(tone, pairPower(-10, -10), 15, 8))).toEqual([]);
  });

  it.each([1, 2, 3, 4])('on speech-like sound, through µ-law (seed %i)', (seed) => {
    const x = speechLike(8, seed);
    expect(detect(x)).toEqual([]);
    expect(detect(g711(x, 'ulaw'))).toEqual([]);
  });

  it('on music-like sound', () => {
    expect(detect(musicLike(20, 5))).toEqual([]);
  });

  it('on tone pairs at the DTMF frequencies with as much energy elsewhere (a third tone)', () => {
    const a = dbm0ToPeak(-10);
    const withThird = (digit: (typeof DTMF_DIGITS)[number], thirdDb: number) => {
      const { lowHz, highHz } = dtmfFrequencies(digit);
      const b = a * 10 ** (thirdDb / 20);
      return Int16Array.from({ length: 4000 }, (_, i) => {
        const t = (2 * Math.PI * i) / 8000;
        return clamp(a * (Math.sin(lowHz * t) + Math.sin(highHz * t)) + b * Math.sin(450 * t));
      });
    };
    for (const d of DTMF_DIGITS) {
      expect(detect(withThird(d, 0))).toEqual([]);
      expect(digits(detect(withThird(d, -20)))).toBe(d);
    }
  });

  it('on tone pairs at the DTMF frequencies carrying second harmonics 10 dB down', () => {
    for (const d of DTMF_DIGITS) {
      const { lowHz, highHz } = dtmfFrequencies(d);
      const a = dbm0ToPeak(-10);
      const x = Int16Array.from({ length: 4000 }, (_, i) => {
        const t = (2 * Math.PI * i) / 8000;
        const fundamentals = Math.sin(lowHz * t) + Math.sin(highHz * t);
        return clamp(a * (fundamentals + 0.316 * (Math.sin(2 * lowHz * t) + Math.sin(2 * highHz * t))));
      });
      expect(detect(x)).toEqual([]);
      // The same pair without harmonics is a digit.
      expect(digits(detect(dtmfTone(d, 500, { levelDbm0: -10 })))).toBe(d);
    }
  });
});

describe('block classifier', () => {
  it('names the test a block failed', () => {
    const c = new DtmfBlockClassifier();
    const block = (x: Int16Array) => c.classify(Float64Array.from(x.subarray(0, 102)));
    expect(block(new Int16Array(102))).toEqual({ digit: null, reason: 'level' });
    expect(block(dtmfTone('5', 20))).toEqual({ digit: '5' });
    const g = new DualToneGenerator();
    g.setTones(697, 770, { levelDbm0: -10 }); // two rows at once
    expect(block(g.next(102))).toEqual({ digit: null, reason: 'peak' });
    g.setTones(697, 697, { levelDbm0: -26 }); // a row alone, -20 dBm0
    expect(block(g.next(102))).toEqual({ digit: null, reason: 'level' });
    g.setTones(697, 1209, { lowDbm0: -14, highDbm0: -5 }); // high group 9 dB up
    expect(block(g.next(102))).toEqual({ digit: null, reason: 'twist' });
    expect(block(whiteNoise(1, -10, 1))).toMatchObject({ digit: null });
    expect(() => new DtmfBlockClassifier({ blockSize: 10 })).toThrow(RangeError);
  });
});
