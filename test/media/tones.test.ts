/**
 * Call-progress tones measured, not trusted: each burst is fitted for exactly the
 * frequencies and level of its plan (and nothing else), the on/off edges fall on
 * the cadence within a couple of milliseconds, the oscillators run on without a
 * phase jump across 20 ms frames and across the cadence, and no edge clicks.
 */
import { describe, expect, it } from 'vitest';
import {
  DBM0_PEAK,
  TONE_PLANS,
  ToneGenerator,
  type ToneName,
  type TonePlan,
  type ToneRegion,
  tonePlan,
} from '../../src/media/tones.js';

const RATE = 8000;
const regions: ToneRegion[] = ['ru', 'eu', 'us'];
const names: ToneName[] = ['dial', 'ringback', 'busy', 'congestion', 'callWaiting', 'beep'];

/** `ms` of the plan; after a tone that ends, silence (as a player would send). */
function render(plan: TonePlan, ms: number): Int16Array {
  const g = new ToneGenerator(plan);
  const frames: Int16Array[] = [];
  for (let t = 0; t < ms; t += 20) frames.push(g.next() ?? new Int16Array(160));
  const out = new Int16Array(frames.length * 160);
  frames.forEach((f, i) => {
    out.set(f, i * 160);
  });
  return out;
}

/** Least-squares amplitudes of the given frequencies (a Goertzel-like correlation) and the rest. */
function analyse(x: Int16Array, from: number, to: number, freqs: readonly number[]) {
  const n = to - from;
  const fits = freqs.map((f) => {
    let s = 0;
    let c = 0;
    for (let i = from; i < to; i++) {
      const w = (2 * Math.PI * f * i) / RATE;
      s += x[i]! * Math.sin(w);
      c += x[i]! * Math.cos(w);
    }
    return { f, a: (2 * s) / n, b: (2 * c) / n };
  });
  let residual = 0;
  let total = 0;
  for (let i = from; i < to; i++) {
    let model = 0;
    for (const { f, a, b } of fits) {
      const w = (2 * Math.PI * f * i) / RATE;
      model += a * Math.sin(w) + b * Math.cos(w);
    }
    residual += (x[i]! - model) ** 2;
    total += x[i]! ** 2;
  }
  return {
    amplitudes: fits.map(({ a, b }) => Math.hypot(a, b)),
    residualDb: 10 * Math.log10(residual / total),
  };
}

/**
 * Times (ms) where the tone switches on or off: a 1 ms block is "on" when any sample
 * is not zero. (Pauses are digital silence; a level threshold would trip on the
 * beats of a dual tone, whose envelope dips to zero 40 times a second for 440+480.)
 */
function edges(x: Int16Array): { at: number; on: boolean }[] {
  const out: { at: number; on: boolean }[] = [];
  let state = false;
  for (let b = 0; b * 8 < x.length; b++) {
    let peak = 0;
    for (let i = b * 8; i < Math.min(x.length, b * 8 + 8); i++) peak = Math.max(peak, Math.abs(x[i]!));
    const on = peak > 0;
    if (on !== state) out.push({ at: b, on });
    state = on;
  }
  return out;
}

/** The switching times a plan prescribes over `ms` (a segment change between two tones is not a switch). */
function expectedEdges(plan: TonePlan, ms: number): { at: number; on: boolean }[] {
  const out: { at: number; on: boolean }[] = [];
  let t = 0;
  let state = false;
  while (t < ms) {
    for (const s of plan.segments) {
      const on = s.hz.length > 0;
      if (on !== state && t < ms) out.push({ at: t, on });
      state = on;
      t += s.ms;
    }
    if (!plan.repeat) {
      if (state && t <= ms) out.push({ at: t, on: false });
      break;
    }
  }
  return out;
}

const amplitudeOf = (plan: TonePlan): number => DBM0_PEAK * 10 ** (plan.levelDbm0 / 20);

describe('tone plans', () => {
  it('has every tone for every region', () => {
    for (const r of regions) for (const n of names) expect(tonePlan(r, n)).toBe(TONE_PLANS[r][n]);
  });

  it('uses the public figures', () => {
    const cadenceOf = (p: TonePlan) => p.segments.map((s) => [s.hz, s.ms]);
    expect(cadenceOf(TONE_PLANS.ru.ringback)).toEqual([
      [[425], 1000],
      [[], 4000],
    ]);
    expect(cadenceOf(TONE_PLANS.ru.busy)).toEqual([
      [[425], 400],
      [[], 400],
    ]);
    expect(cadenceOf(TONE_PLANS.ru.congestion)).toEqual([
      [[425], 200],
      [[], 200],
    ]);
    expect(cadenceOf(TONE_PLANS.eu.busy)).toEqual([
      [[425], 500],
      [[], 500],
    ]);
    expect(cadenceOf(TONE_PLANS.eu.congestion)).toEqual([
      [[425], 250],
      [[], 250],
    ]);
    expect(cadenceOf(TONE_PLANS.us.dial)).toEqual([[[350, 440], 1000]]);
    expect(cadenceOf(TONE_PLANS.us.ringback)).toEqual([
      [[440, 480], 2000],
      [[], 4000],
    ]);
    expect(cadenceOf(TONE_PLANS.us.busy)).toEqual([
      [[480, 620], 500],
      [[], 500],
    ]);
    expect(cadenceOf(TONE_PLANS.us.congestion)).toEqual([
      [[480, 620], 250],
      [[], 250],
    ]);
    expect(TONE_PLANS.us.dial.levelDbm0).toBe(-13);
    expect(TONE_PLANS.us.busy.levelDbm0).toBe(-24);
    for (const r of regions) expect(TONE_PLANS[r].dial.repeat).toBe(true);
  });

  it('puts 0 dBm0 where G.711 puts it (3.17 dB under µ-law full scale)', () => {
    expect(Math.abs(DBM0_PEAK - 22_657)).toBeLessThan(1);
  });
});

describe('ToneGenerator', () => {
  for (const region of regions)
    for (const name of names) {
      const plan = TONE_PLANS[region][name];
      it(`${region} ${name}: frequencies, level and cadence`, () => {
        const cycle = plan.segments.reduce((t, s) => t + s.ms, 0);
        const ms = plan.repeat ? Math.min(2 * cycle + 700, 21_000) : cycle + 200;
        const x = render(plan, ms);
        const a = amplitudeOf(plan);
        let t = 0;
        for (let rep = 0; rep < 2; rep++) {
          for (const s of plan.segments) {
            // Steady part of the segment, clear of the 2 ms ramps, a whole number of 100 ms:
            // every plan frequency is a multiple of 10 Hz, so the components are orthogonal there.
            const from = Math.round(((t + 5) * RATE) / 1000);
            const len = Math.floor((s.ms - 10) / 100) * 100;
            const to = Math.min(x.length, from + (len * RATE) / 1000);
            if (to > from) {
              if (s.hz.length === 0) expect(x.subarray(from, to).every((v) => v === 0)).toBe(true);
              else {
                const { amplitudes, residualDb } = analyse(x, from, to, s.hz);
                for (const amp of amplitudes) expect(Math.abs(20 * Math.log10(amp / a))).toBeLessThan(0.05);
                expect(residualDb).toBeLessThan(-40); // nothing but the listed frequencies
              }
            }
            t += s.ms;
          }
          if (!plan.repeat) break;
        }
        const got = edges(x);
        const want = expectedEdges(plan, x.length / 8);
        expect(got.map((e) => e.on)).toEqual(want.map((e) => e.on));
        const drift = got.map((e, i) => Math.abs(e.at - want[i]!.at));
        expect(Math.max(0, ...drift)).toBeLessThanOrEqual(2);
      });
    }

  it('yields 20 ms frames of 160 samples', () => {
    const g = new ToneGenerator(TONE_PLANS.eu.ringback);
    for (let i = 0; i < 300; i++) expect(g.next()!.length).toBe(160);
    expect(g.elapsedMs).toBe(6000);
    expect(new ToneGenerator(TONE_PLANS.eu.dial, { sampleRate: 16_000 }).next()!.length).toBe(320);
  });

  it('keeps the phase continuous across frames: 30 s of dial tone is one unbroken sine', () => {
    for (const region of regions) {
      const plan = TONE_PLANS[region].dial;
      const x = render(plan, 30_000);
      const a = amplitudeOf(plan);
      let worst = 0;
      for (let n = 0; n < x.length; n++) {
        let ideal = 0;
        for (const f of plan.segments[0]!.hz) ideal += a * Math.sin((2 * Math.PI * f * n) / RATE);
        worst = Math.max(worst, Math.abs(x[n]! - ideal));
      }
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-6); // rounding only
    }
  });

  it('resumes each burst where a free-running oscillator would be (phase continuous across cadence)', () => {
    const plan = TONE_PLANS.ru.ringback;
    const x = render(plan, 11_000);
    const a = amplitudeOf(plan);
    let worst = 0;
    for (const burst of [0, 5000, 10_000])
      for (let n = ((burst + 3) * RATE) / 1000; n < ((burst + 997) * RATE) / 1000; n++)
        worst = Math.max(worst, Math.abs(x[n]! - a * Math.sin((2 * Math.PI * 425 * n) / RATE)));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-6);
  });

  it('does not click: no sample step larger than the tone itself makes, ramps included', () => {
    for (const region of regions)
      for (const name of names) {
        const plan = TONE_PLANS[region][name];
        const x = render(plan, 12_000);
        const a = amplitudeOf(plan);
        const hz = plan.segments.flatMap((s) => s.hz);
        // Slope of the summed sines, plus the 2 ms raised-cosine envelope's own slope.
        const bound = a * hz.reduce((sum, f) => sum + (2 * Math.PI * f) / RATE + Math.PI / 16, 0) + 1;
        let worst = 0;
        for (let i = 1; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - x[i - 1]!));
        expect(worst, `${region} ${name}`).toBeLessThanOrEqual(bound);
      }
  });

  it('plays a beep once: 400 ms, then null', () => {
    const g = new ToneGenerator(TONE_PLANS.ru.beep);
    let frames = 0;
    while (g.next()) frames++;
    expect(frames).toBe(20);
    expect(g.done).toBe(true);
    expect(g.next()).toBeNull();
    g.reset();
    expect(g.done).toBe(false);
    expect(g.next()).not.toBeNull();
  });

  it('pads the last frame of a tone that ends inside it', () => {
    const g = new ToneGenerator({ segments: [{ hz: [1000], ms: 30 }], repeat: false, levelDbm0: -10 });
    g.next();
    const last = g.next()!;
    expect(last.subarray(80).every((v) => v === 0)).toBe(true);
    expect(last.subarray(0, 70).some((v) => v !== 0)).toBe(true);
    expect(g.next()).toBeNull();
  });

  it('repeats the US call-waiting burst every 10 s', () => {
    const x = render(TONE_PLANS.us.callWaiting, 20_500);
    const got = edges(x).map((e) => [e.at, e.on]);
    expect(got.length).toBe(6);
    expect(got.map(([, on]) => on)).toEqual([true, false, true, false, true, false]);
    expect(got.map(([at]) => Math.round((at as number) / 100))).toEqual([0, 3, 100, 103, 200, 203]);
  });

  it('refuses an empty plan', () => {
    expect(() => new ToneGenerator({ segments: [], repeat: true, levelDbm0: -10 })).toThrow(RangeError);
    expect(() => new ToneGenerator({ segments: [{ hz: [], ms: 0 }], repeat: true, levelDbm0: -10 })).toThrow(
      RangeError,
    );
  });
});
