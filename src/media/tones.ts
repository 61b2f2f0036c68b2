/**
 * Call-progress tones: the plans of three regions and a generator of 20 ms frames
 * of 16-bit linear audio at 8 kHz.
 *
 * Figures (frequency, on/off seconds, level):
 * - ru: the Russian rules for switching equipment (Минкомсвязи / ГОСТ table of
 *   "информационные акустические сигналы"): 425 Hz at -15..-5 dBm0 (we use -10);
 *   ответ станции continuous; КПВ (ringback) 1.0 on / 4.0 off; занято 0.3-0.4 on /
 *   0.3-0.4 off (0.4/0.4); занято при перегрузке 0.15-0.2 / 0.15-0.2 (0.2/0.2).
 *   The same rules list call waiting ("сигнал уведомления") without a cadence we
 *   could confirm; 425 Hz 0.2 s every 5 s is what Russian PBXs commonly play.
 * - eu: the CEPT/ETSI harmonised tones (ETSI ETR 187): 425 Hz, dial continuous,
 *   ringing 1/4, busy 0.5/0.5, congestion 0.25/0.25. Call waiting differs by
 *   country; we use the common 0.2 on 0.2 off 0.2 on, then 5 s off.
 * - us: ANSI T1.401 / Bellcore LSSGR precise tones: dial 350+440 continuous
 *   (-13 dBm0 each), audible ringing 440+480 2/4 (-19), busy 480+620 0.5/0.5 (-24),
 *   reorder 480+620 0.25/0.25 (-24), call waiting 440 Hz 0.3 s (repeated after 10 s).
 * - beep (voicemail "record after the tone"): no standard exists; 1 kHz for 0.4 s
 *   everywhere, plainly audible and clear of the 425 Hz progress tones.
 *
 * Oscillators run on the absolute sample index, so the phase is continuous across
 * frames and through the cadence (a tone coming back resumes where a free-running
 * oscillator would be). Each burst starts and ends with a 2 ms raised-cosine ramp:
 * hard gating at an arbitrary phase clicks and splatters energy across the band.
 */
import { saturate16 } from './audio/pcm.js';

export type ToneRegion = 'ru' | 'eu' | 'us';
export type ToneName = 'dial' | 'ringback' | 'busy' | 'congestion' | 'callWaiting' | 'beep';

export interface ToneSegment {
  /** Frequencies summed in this segment; empty for silence. */
  readonly hz: readonly number[];
  readonly ms: number;
}

export interface TonePlan {
  readonly segments: readonly ToneSegment[];
  /** Cycle through the segments for ever; otherwise the tone ends after the last. */
  readonly repeat: boolean;
  /** Level of each frequency component. */
  readonly levelDbm0: number;
}

/**
 * Peak of a 0 dBm0 sine on the 16-bit scale: G.711 µ-law overloads at +3.17 dBm0,
 * which is a peak of 8159 in its 14-bit range, 32636 here.
 */
export const DBM0_PEAK = 32636 / 10 ** (3.17 / 20);

const on = (hz: readonly number[], ms: number): ToneSegment => ({ hz, ms });
const off = (ms: number): ToneSegment => ({ hz: [], ms });
const cadence = (levelDbm0: number, ...segments: ToneSegment[]): TonePlan => ({
  segments,
  repeat: true,
  levelDbm0,
});
const continuous = (hz: readonly number[], levelDbm0: number): TonePlan => cadence(levelDbm0, on(hz, 1000));

const BEEP: TonePlan = { segments: [on([1000], 400)], repeat: false, levelDbm0: -10 };

export const TONE_PLANS: Readonly<Record<ToneRegion, Readonly<Record<ToneName, TonePlan>>>> = {
  ru: {
    dial: continuous([425], -10),
    ringback: cadence(-10, on([425], 1000), off(4000)),
    busy: cadence(-10, on([425], 400), off(400)),
    congestion: cadence(-10, on([425], 200), off(200)),
    callWaiting: cadence(-10, on([425], 200), off(5000)),
    beep: BEEP,
  },
  eu: {
    dial: continuous([425], -10),
    ringback: cadence(-10, on([425], 1000), off(4000)),
    busy: cadence(-10, on([425], 500), off(500)),
    congestion: cadence(-10, on([425], 250), off(250)),
    callWaiting: cadence(-10, on([425], 200), off(200), on([425], 200), off(5000)),
    beep: BEEP,
  },
  us: {
    dial: continuous([350, 440], -13),
    ringback: cadence(-19, on([440, 480], 2000), off(4000)),
    busy: cadence(-24, on([480, 620], 500), off(500)),
    congestion: cadence(-24, on([480, 620], 250), off(250)),
    callWaiting: cadence(-13, on([440], 300), off(9700)),
    beep: BEEP,
  },
};

export function tonePlan(region: ToneRegion, name: ToneName): TonePlan {
  return TONE_PLANS[region][name];
}

export interface ToneGeneratorOptions {
  sampleRate?: number;
  frameMs?: number;
  /** Length of the fade at each end of a burst. */
  rampMs?: number;
}

interface Span {
  readonly start: number; // sample offset in the cycle
  readonly length: number;
  readonly hz: readonly number[];
  readonly rampIn: boolean;
  readonly rampOut: boolean;
}

const sameTone = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((f, i) => f === b[i]);

/**
 * Frames of a tone plan. `next()` returns the following frame, or null once a
 * non-repeating plan has played out (its last frame padded with silence).
 */
export class ToneGenerator {
  readonly sampleRate: number;
  readonly frameSamples: number;
  private readonly spans: Span[];
  private readonly cycle: number;
  private readonly amplitude: number;
  private readonly ramp: Float64Array;
  private n = 0; // absolute index of the next sample

  constructor(
    readonly plan: TonePlan,
    options: ToneGeneratorOptions = {},
  ) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.frameSamples = Math.round((this.sampleRate * (options.frameMs ?? 20)) / 1000);
    this.amplitude = DBM0_PEAK * 10 ** (plan.levelDbm0 / 20);
    const rampLen = Math.round((this.sampleRate * (options.rampMs ?? 2)) / 1000);
    // Raised cosine from ~0 to ~1 over rampLen samples.
    this.ramp = Float64Array.from(
      { length: rampLen },
      (_, i) => 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / rampLen),
    );
    const segs = plan.segments;
    if (segs.length === 0) throw new RangeError('a tone plan needs at least one segment');
    this.spans = [];
    let start = 0;
    segs.forEach((s, i) => {
      const length = Math.round((s.ms * this.sampleRate) / 1000);
      const prev = i > 0 ? segs[i - 1] : plan.repeat ? segs[segs.length - 1] : undefined;
      const next = i < segs.length - 1 ? segs[i + 1] : plan.repeat ? segs[0] : undefined;
      // A segment running on into the same tone (a repeating continuous tone) has no edge to soften.
      this.spans.push({
        start,
        length,
        hz: s.hz,
        rampIn: !prev || !sameTone(prev.hz, s.hz),
        rampOut: !next || !sameTone(next.hz, s.hz),
      });
      start += length;
    });
    this.cycle = start;
    if (this.cycle === 0) throw new RangeError('a tone plan must last longer than zero');
  }

  /** Time played so far. */
  get elapsedMs(): number {
    return (this.n * 1000) / this.sampleRate;
  }

  get done(): boolean {
    return !this.plan.repeat && this.n >= this.cycle;
  }

  /** Back to the start of the plan (and of the oscillators' phase). */
  reset(): void {
    this.n = 0;
  }

  next(): Int16Array | null {
    if (this.done) return null;
    const out = new Int16Array(this.frameSamples);
    const acc = new Float64Array(this.frameSamples);
    let i = 0;
    while (i < out.length) {
      const abs = this.n + i;
      if (!this.plan.repeat && abs >= this.cycle) break; // rest of the last frame stays silent
      const pos = abs % this.cycle;
      const span = this.findSpan(pos);
      const into = pos - span.start;
      const run = Math.min(out.length - i, span.length - into);
      if (span.hz.length > 0) this.render(acc, i, run, abs, span, into);
      i += run;
    }
    for (let j = 0; j < out.length; j++) out[j] = saturate16(acc[j]!);
    this.n += out.length;
    return out;
  }

  private findSpan(pos: number): Span {
    // Plans have a handful of segments: a scan is the fastest search there is.
    for (const s of this.spans) if (pos < s.start + s.length) return s;
    return this.spans[this.spans.length - 1]!;
  }

  /** Adds `run` samples of the span's frequencies into acc[at..], starting at absolute sample abs. */
  private render(acc: Float64Array, at: number, run: number, abs: number, span: Span, into: number): void {
    const a = this.amplitude;
    for (const f of span.hz) {
      // Exact phase from the absolute index, then a rotation per sample: no drift
      // builds up because the rotation restarts from the exact phase every run.
      const cycles = (f * abs) / this.sampleRate;
      const theta = 2 * Math.PI * (cycles - Math.floor(cycles));
      const w = (2 * Math.PI * f) / this.sampleRate;
      const cw = Math.cos(w);
      const sw = Math.sin(w);
      let c = Math.cos(theta);
      let s = Math.sin(theta);
      for (let k = 0; k < run; k++) {
        acc[at + k]! += a * s;
        const c2 = c * cw - s * sw;
        s = s * cw + c * sw;
        c = c2;
      }
    }
    const ramp = this.ramp;
    const r = ramp.length;
    if (r === 0) return;
    for (let k = 0; k < run; k++) {
      const p = into + k;
      const fromEnd = span.length - 1 - p;
      let g = 1;
      if (span.rampIn && p < r) g = ramp[p]!;
      if (span.rampOut && fromEnd < r) g = Math.min(g, ramp[fromEnd]!);
      if (g !== 1) acc[at + k]! *= g;
    }
  }
}
