/**
 * Dual-tone generator: in-band DTMF to send when the far end takes neither
 * RFC 4733 nor INFO, and test signals for the detector.
 *
 * Each tone has its own phase accumulator that runs on across calls, so a tone
 * cut into 20 ms frames is one continuous sine, with no click at frame edges.
 * Levels are per tone in dBm0 (G.711's scale), so twist is just two levels.
 */
import { type DtmfDigit, dbm0ToPeak, dtmfFrequencies, isDtmfDigit } from './digits.js';

export interface ToneLevels {
  /** Level of each tone in dBm0, unless set per tone. */
  levelDbm0?: number;
  /** Low-group (row) tone level, dBm0. */
  lowDbm0?: number;
  /** High-group (column) tone level, dBm0. */
  highDbm0?: number;
}

/**
 * Sending levels: ITU-T Q.23 leaves them to administrations; -8 dBm0 low and
 * -6 dBm0 high (the high group 2 dB up, as telephones send it to offset line loss)
 * sit inside every receiver's window.
 */
export const DEFAULT_LOW_DBM0 = -8;
export const DEFAULT_HIGH_DBM0 = -6;

interface Tone {
  lowHz: number;
  highHz: number;
  lowPeak: number;
  highPeak: number;
}

export class DualToneGenerator {
  private tone: Tone | null = null;
  /** Phases in cycles, 0 <= phase < 1. */
  private lowPhase = 0;
  private highPhase = 0;

  constructor(private readonly sampleRate = 8000) {}

  /** Plays two arbitrary tones (call progress tones too) from the next sample on. */
  setTones(lowHz: number, highHz: number, levels: ToneLevels = {}): void {
    this.tone = {
      lowHz,
      highHz,
      lowPeak: dbm0ToPeak(levels.lowDbm0 ?? levels.levelDbm0 ?? DEFAULT_LOW_DBM0),
      highPeak: dbm0ToPeak(levels.highDbm0 ?? levels.levelDbm0 ?? DEFAULT_HIGH_DBM0),
    };
  }

  /** Plays a digit from the next sample on; null for silence. */
  setDigit(digit: DtmfDigit | null, levels: ToneLevels = {}): void {
    if (digit === null) {
      this.tone = null;
      return;
    }
    const f = dtmfFrequencies(digit);
    this.setTones(f.lowHz, f.highHz, levels);
  }

  /** The next `count` samples (or fills `out`). Phases keep running through silence. */
  next(count: number, out: Int16Array = new Int16Array(count)): Int16Array {
    const t = this.tone;
    if (t === null) {
      out.fill(0, 0, count);
      return out;
    }
    const dLow = t.lowHz / this.sampleRate;
    const dHigh = t.highHz / this.sampleRate;
    let pl = this.lowPhase;
    let ph = this.highPhase;
    for (let i = 0; i < count; i++) {
      const v = t.lowPeak * Math.sin(2 * Math.PI * pl) + t.highPeak * Math.sin(2 * Math.PI * ph);
      out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
      pl += dLow;
      ph += dHigh;
      // Kept below 1 so precision does not drain away over a long tone.
      if (pl >= 1) pl -= 1;
      if (ph >= 1) ph -= 1;
    }
    this.lowPhase = pl;
    this.highPhase = ph;
    return out;
  }
}

/** One digit as a buffer of samples. */
export function dtmfTone(
  digit: DtmfDigit,
  durationMs: number,
  levels: ToneLevels = {},
  sampleRate = 8000,
): Int16Array {
  const g = new DualToneGenerator(sampleRate);
  g.setDigit(digit, levels);
  return g.next(Math.round((durationMs * sampleRate) / 1000));
}

export interface DtmfSequenceOptions extends ToneLevels {
  onMs?: number;
  offMs?: number;
  /** Silence before the first digit. */
  leadMs?: number;
  sampleRate?: number;
}

/** A digit string, `onMs` of tone and `offMs` of silence each (defaults 100 / 100 ms). */
export function dtmfSequence(
  digits: readonly DtmfDigit[] | string,
  options: DtmfSequenceOptions = {},
): Int16Array {
  const rate = options.sampleRate ?? 8000;
  const on = Math.round(((options.onMs ?? 100) * rate) / 1000);
  const off = Math.round(((options.offMs ?? 100) * rate) / 1000);
  const lead = Math.round(((options.leadMs ?? 0) * rate) / 1000);
  const list = [...digits];
  const out = new Int16Array(lead + list.length * (on + off));
  const g = new DualToneGenerator(rate);
  let at = lead;
  for (const d of list) {
    if (!isDtmfDigit(d)) throw new RangeError(`not a DTMF digit: ${d}`);
    g.setDigit(d, options);
    g.next(on, out.subarray(at, at + on));
    at += on + off;
  }
  return out;
}
