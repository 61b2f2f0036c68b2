/**
 * Resampling measured as a telephone engineer would: a 1 kHz tone keeps its
 * frequency and level through every rate pair, tones above the 4 kHz Nyquist of
 * 8 kHz are stopped instead of folding back into the band, and a stream fed in
 * chunks gives exactly the samples of one call (no seams at chunk boundaries).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downmixStereo, resample, StreamResampler } from '../../src/media/audio/resample.js';

function sine(hz: number, rate: number, seconds: number, amplitude = 10_000, phase = 0): Float32Array {
  const n = Math.round(rate * seconds);
  return Float32Array.from(
    { length: n },
    (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate + phase),
  );
}

/** Least-squares fit of a sine at `hz`: amplitude, and the RMS of what is left over. */
function sineFit(x: ArrayLike<number>, hz: number, rate: number, from: number, to: number) {
  let ss = 0;
  let sc = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * hz * i) / rate;
    ss += x[i]! * Math.sin(w);
    sc += x[i]! * Math.cos(w);
  }
  const n = to - from;
  const a = (2 * ss) / n;
  const b = (2 * sc) / n;
  let res = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * hz * i) / rate;
    const e = x[i]! - a * Math.sin(w) - b * Math.cos(w);
    res += e * e;
  }
  return { amplitude: Math.hypot(a, b), residualRms: Math.sqrt(res / n) };
}

/** Frequency from interpolated upward zero crossings. */
function frequency(x: ArrayLike<number>, rate: number, from: number, to: number): number {
  const crossings: number[] = [];
  for (let i = from + 1; i < to; i++)
    if (x[i - 1]! < 0 && x[i]! >= 0) crossings.push(i - 1 + x[i - 1]! / (x[i - 1]! - x[i]!));
  const periods = crossings.length - 1;
  return (periods * rate) / (crossings[crossings.length - 1]! - crossings[0]!);
}

function rms(x: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

// Steady state: leave out the filter's start-up and run-out at either end.
const middle = (length: number): [number, number] => [Math.floor(length * 0.1), Math.floor(length * 0.9)];

describe('resample to 8 kHz', () => {
  for (const from of [48_000, 44_100]) {
    it(`keeps a 1 kHz tone from ${from} Hz: frequency and level`, () => {
      const y = resample(sine(1000, from, 1), from, 8000);
      expect(y.length).toBe(8000);
      const [a, b] = middle(y.length);
      expect(frequency(y, 8000, a, b)).toBeCloseTo(1000, 1);
      expect(Math.abs(db(sineFit(y, 1000, 8000, a, b).amplitude / 10_000))).toBeLessThan(0.5);
    });

    it(`stops a 5 kHz tone from ${from} Hz (it would alias to 3 kHz) by more than 40 dB`, () => {
      const y = resample(sine(5000, from, 1), from, 8000);
      const [a, b] = middle(y.length);
      expect(db(rms(y, a, b) / (10_000 / Math.SQRT2))).toBeLessThan(-40);
    });

    it(`passes the telephone band and stops just above Nyquist from ${from} Hz`, () => {
      const level = (hz: number): number => {
        const y = resample(sine(hz, from, 0.5), from, 8000);
        const [a, b] = middle(y.length);
        return db(rms(y, a, b) / (10_000 / Math.SQRT2));
      };
      for (const hz of [300, 2000, 3000, 3400]) expect(Math.abs(level(hz))).toBeLessThan(0.5);
      for (const hz of [4300, 6000, 11_000]) expect(level(hz)).toBeLessThan(-60);
    });
  }
});

describe('resample between the usual rates', () => {
  const rates = [8000, 16_000, 22_050, 44_100, 48_000];
  for (const from of rates)
    for (const to of rates) {
      if (from === to) continue;
      it(`${from} -> ${to}: a 1 kHz tone stays clean`, () => {
        const y = resample(sine(1000, from, 0.3), from, to);
        expect(y.length).toBe(Math.ceil((0.3 * from * to) / from));
        const [a, b] = middle(y.length);
        const f = sineFit(y, 1000, to, a, b);
        expect(Math.abs(db(f.amplitude / 10_000))).toBeLessThan(0.1);
        // Images, aliases and rounding together stay 60 dB under the tone.
        expect(db(f.residualRms / (10_000 / Math.SQRT2))).toBeLessThan(-60);
      });
    }

  it('keeps a constant constant (unity gain at DC for every phase)', () => {
    for (const [from, to] of [
      [44_100, 8000],
      [8000, 44_100],
      [11_025, 8000],
      [48_000, 8000],
    ] as const) {
      const y = resample(new Float32Array(from).fill(1000), from, to);
      const [a, b] = middle(y.length);
      const worst = Math.max(...y.subarray(a, b).map((v) => Math.abs(v - 1000)));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('handles a ratio with more phases than the table holds (interpolated rows)', () => {
    const y = resample(sine(1000, 8001, 0.5), 8001, 8000); // L/M = 8000/8001
    const [a, b] = middle(y.length);
    const f = sineFit(y, 1000, 8000, a, b);
    expect(Math.abs(db(f.amplitude / 10_000))).toBeLessThan(0.1);
    expect(db(f.residualRms / (10_000 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('returns a copy when the rates are equal, and nothing for nothing', () => {
    const x = Int16Array.from([1, -2, 3]);
    const y = resample(x, 8000, 8000);
    expect([...y]).toEqual([1, -2, 3]);
    expect(y).not.toBe(x);
    expect(resample(new Int16Array(0), 48_000, 8000).length).toBe(0);
  });

  it('saturates instead of wrapping around', () => {
    const y = resample(new Float32Array(4800).fill(40_000), 48_000, 8000);
    expect(Math.min(...y.subarray(100, 700))).toBe(32767);
  });

  it('refuses rates that are not positive integers', () => {
    expect(() => resample(new Int16Array(1), 0, 8000)).toThrow(RangeError);
    expect(() => resample(new Int16Array(1), 44_100.5, 8000)).toThrow(RangeError);
    expect(() => new StreamResampler(8000, -1)).toThrow(RangeError);
    expect(() => resample(new Int16Array(1), 8000, 16_000, { rolloff: 1.5 })).toThrow(RangeError);
  });
});

describe('stereo', () => {
  it('averages the channels', () => {
    expect([...downmixStereo(Int16Array.from([100, 300, -5, 5]))]).toEqual([200, 0]);
    expect(() => downmixStereo(Int16Array.from([1, 2, 3]))).toThrow(RangeError);
  });

  it('downmixes before converting: equal channels give the mono result, opposite ones silence', () => {
    const mono = sine(1000, 48_000, 0.2);
    const same = new Float32Array(mono.length * 2);
    const opposite = new Float32Array(mono.length * 2);
    mono.forEach((v, i) => {
      same[2 * i] = v;
      same[2 * i + 1] = v;
      opposite[2 * i] = v;
      opposite[2 * i + 1] = -v;
    });
    expect(resample(same, 48_000, 8000, { channels: 2 })).toEqual(resample(mono, 48_000, 8000));
    expect(resample(opposite, 48_000, 8000, { channels: 2 }).every((v) => v === 0)).toBe(true);
  });

  it('streams stereo frames', () => {
    const s = new StreamResampler(16_000, 8000, { channels: 2 });
    expect(s.process(new Int16Array(640)).length).toBe(160);
    expect(() => s.process(new Int16Array(3))).toThrow(RangeError);
  });
});

describe('StreamResampler', () => {
  it('gives every chunk its exact share: 960 samples at 48 kHz are 160 at 8 kHz, each time', () => {
    const s = new StreamResampler(48_000, 8000);
    const x = sine(1000, 48_000, 1);
    for (let i = 0; i < x.length; i += 960) expect(s.process(x.subarray(i, i + 960)).length).toBe(160);
    expect(s.latencyMs).toBe(3);
    expect(s.flush().length).toBe(24); // the 3 ms still inside the filter
  });

  it('gives the same 160-per-20 ms cadence from 44.1 kHz (882-sample chunks)', () => {
    const s = new StreamResampler(44_100, 8000);
    const x = sine(1000, 44_100, 0.5);
    for (let i = 0; i + 882 <= x.length; i += 882) expect(s.process(x.subarray(i, i + 882)).length).toBe(160);
  });

  it('is the whole-buffer conversion delayed by its latency', () => {
    const x = sine(700, 48_000, 0.5);
    const whole = resample(x, 48_000, 8000);
    const s = new StreamResampler(48_000, 8000);
    const parts: Int16Array[] = [];
    for (let i = 0; i < x.length; i += 960) parts.push(s.process(x.subarray(i, i + 960)));
    parts.push(s.flush());
    const streamed = Int16Array.from(parts.flatMap((p) => [...p]));
    const lag = (s.latencyMs * 8000) / 1000;
    expect(streamed.length).toBe(whole.length + lag);
    expect(streamed.subarray(lag)).toEqual(whole);
  });

  it('does not depend on how the input is cut (no seams at chunk boundaries)', () => {
    const cases = [
      [48_000, 8000],
      [44_100, 8000],
      [8000, 44_100],
      [22_050, 16_000],
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 12 }),
        ([from, to], cuts) => {
          const x = sine(1234, from, 0.25, 12_000, 0.3);
          const once = new StreamResampler(from, to);
          const ref = [...once.process(x), ...once.flush()];
          const s = new StreamResampler(from, to);
          const got: number[] = [];
          let at = 0;
          for (let i = 0; at < x.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...s.process(x.subarray(at, at + n)));
            at += n;
          }
          got.push(...s.flush());
          expect(got).toEqual(ref);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('streams a tone in 20 ms frames as cleanly as a whole buffer', () => {
    const s = new StreamResampler(44_100, 8000);
    const x = sine(1000, 44_100, 1);
    const out: number[] = [];
    for (let i = 0; i < x.length; i += 882) out.push(...s.process(x.subarray(i, i + 882)));
    // The stream lags by latencyMs; fit against a free phase, so only the steady part matters.
    const f = sineFit(out, 1000, 8000, 800, 7200);
    expect(Math.abs(db(f.amplitude / 10_000))).toBeLessThan(0.1);
    expect(db(f.residualRms / (10_000 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('passes audio straight through at equal rates, and refuses use after flush', () => {
    const s = new StreamResampler(8000, 8000);
    expect([...s.process(Int16Array.from([5, 6]))]).toEqual([5, 6]);
    expect(s.latencyMs).toBe(0);
    expect(s.flush().length).toBe(0);
    expect(() => s.process(new Int16Array(1))).toThrow(/after flush/);
  });
});
