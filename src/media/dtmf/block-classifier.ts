/**
 * One block of audio: is it a DTMF digit? The per-block half of the in-band
 * detector (goertzel.ts holds the timing half). Stateless between blocks.
 *
 * Goertzel filters on the eight row and column frequencies; the block passes as a
 * digit only if all of these hold:
 * - level: the strongest row and column tones are each above minLevelDbm0;
 * - peaks: each is relativePeakDb above every other tone of its group;
 * - twist: the column tone is at most reverseTwistDb above the row tone and the row
 *   tone at most normalTwistDb above the column tone (by default the common
 *   +4 / -8 dB window, high group relative to low);
 * - purity: the two tones carry minToneEnergyRatio of the block's energy, so speech,
 *   music and noise, whose energy is spread, fail;
 * - second harmonics: neither tone has a second harmonic within secondHarmonicDb of
 *   it, as voiced speech and instruments do and a generated tone does not.
 */
import { DBM0_PEAK, DTMF_COLUMN_HZ, DTMF_KEYPAD, DTMF_ROW_HZ, type DtmfDigit } from './digits.js';

export interface BlockClassifierOptions {
  sampleRate?: number;
  /** Samples per analysis block. */
  blockSize?: number;
  /** Weakest tone accepted, dBm0 (each of the pair). */
  minLevelDbm0?: number;
  /** How far the row (low) tone may be above the column tone, dB. */
  normalTwistDb?: number;
  /** How far the column (high) tone may be above the row tone, dB. */
  reverseTwistDb?: number;
  /** How far each tone must be above the others of its group, dB. */
  relativePeakDb?: number;
  /** Share of the block's energy the two tones must carry, 0-1. */
  minToneEnergyRatio?: number;
  /** How far below its tone a second harmonic must stay, dB. */
  secondHarmonicDb?: number;
}

export type BlockRejection = 'level' | 'peak' | 'twist' | 'energy' | 'harmonic';
export type BlockVerdict = { digit: DtmfDigit } | { digit: null; reason: BlockRejection };

/**
 * Purity: a clean tone pair measures 0.92-1.08 of the block's energy (a 102-sample
 * block holds no whole number of cycles, so neither the filters nor the energy are
 * exact); in 15 dB of noise it seldom falls below 0.85. Voice that happens to put
 * two harmonics on a row and a column frequency spreads more of itself elsewhere.
 */
export const DEFAULT_TONE_ENERGY_RATIO = 0.85;

/**
 * The twist limits are what must be accepted. In a 12.75 ms block the other tone's
 * leakage and noise at 15 dB SNR move a measured level by up to ~1.5 dB, so the
 * test allows that much on top.
 */
const TWIST_MARGIN_DB = 1.5;
/**
 * ITU-T Q.24 has receivers accept tones up to 1.5 % off frequency. In a 102-sample
 * block such a tone loses up to 1.5 dB in a filter at its nominal frequency (1633 Hz
 * +1.5 % is 24 Hz off, a third of the way to the first null); the best of three
 * filters, at the nominal frequency and 1.5 % either side, loses a few tenths.
 */
const PROBE_OFFSET = 0.015;
/** Deviation allowed for when bounding how much of a tone leaks into a harmonic filter. */
const FREQUENCY_TOLERANCE = 0.02;

/** Goertzel: power of `x[0..n)` at the frequency whose coefficient is 2cos(2πf/fs). */
function goertzel(x: Float64Array, n: number, coeff: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = x[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** Hann window: sidelobes 31 dB down and falling fast, for the harmonic filters. */
function hann(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n));
}

/** |W(f)| / W(0) of window `w`: how much of a tone `offsetHz` away a windowed filter sees. */
function windowResponse(w: Float64Array, offsetHz: number, rate: number): number {
  let re = 0;
  let im = 0;
  let sum = 0;
  const step = (2 * Math.PI * offsetHz) / rate;
  for (let i = 0; i < w.length; i++) {
    re += w[i]! * Math.cos(step * i);
    im += w[i]! * Math.sin(step * i);
    sum += w[i]!;
  }
  return Math.hypot(re, im) / sum;
}

/**
 * Worst case, over the accepted deviation, of the amplitude a windowed filter at
 * `binHz` sees of a unit tone nominally at `toneHz` (its negative-frequency image
 * included).
 */
function leakage(w: Float64Array, toneHz: number, binHz: number, rate: number): number {
  let worst = 0;
  for (let i = -10; i <= 10; i++) {
    const f = toneHz * (1 + (FREQUENCY_TOLERANCE * i) / 10);
    worst = Math.max(worst, windowResponse(w, binHz - f, rate) + windowResponse(w, binHz + f, rate));
  }
  return worst;
}

interface Tables {
  window: Float64Array;
  windowSum: number;
  /** [row][column]: leakage of the row tone and of the column tone into 2 x row. */
  rowHarmonicLeak: { self: number; cross: number }[][];
  /** [column][row]: leakage of the column tone and of the row tone into 2 x column. */
  colHarmonicLeak: { self: number; cross: number }[][];
}

/** The window and leakage bounds depend only on block size and rate: built once for each. */
const tableCache = new Map<string, Tables>();

function tables(n: number, rate: number): Tables {
  const key = `${n}/${rate}`;
  let t = tableCache.get(key);
  if (!t) {
    const w = hann(n);
    t = {
      window: w,
      windowSum: w.reduce((a, b) => a + b, 0),
      rowHarmonicLeak: DTMF_ROW_HZ.map((r) =>
        DTMF_COLUMN_HZ.map((c) => ({ self: leakage(w, r, 2 * r, rate), cross: leakage(w, c, 2 * r, rate) })),
      ),
      colHarmonicLeak: DTMF_COLUMN_HZ.map((c) =>
        DTMF_ROW_HZ.map((r) => ({ self: leakage(w, c, 2 * c, rate), cross: leakage(w, r, 2 * c, rate) })),
      ),
    };
    tableCache.set(key, t);
  }
  return t;
}

const fromDb = (x: number): number => 10 ** (x / 10);

function argmax(v: number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export class DtmfBlockClassifier {
  readonly blockSize: number;
  private readonly rowCoeff: number[];
  private readonly colCoeff: number[];
  /** Filters PROBE_OFFSET either side of each nominal frequency. */
  private readonly rowProbeCoeff: number[][];
  private readonly colProbeCoeff: number[][];
  private readonly rowHarmonicCoeff: number[];
  private readonly colHarmonicCoeff: number[];
  private readonly tables: Tables;
  private readonly windowed: Float64Array;
  private readonly minPower: number;
  private readonly normalTwist: number;
  private readonly reverseTwist: number;
  private readonly relativePeak: number;
  private readonly minEnergyRatio: number;
  private readonly harmonicRatio: number;

  constructor(options: BlockClassifierOptions = {}) {
    const rate = options.sampleRate ?? 8000;
    const n = options.blockSize ?? 102;
    if (!Number.isInteger(n) || n < 32) throw new RangeError('blockSize must be an integer >= 32');
    this.blockSize = n;
    const coeff = (f: number): number => 2 * Math.cos((2 * Math.PI * f) / rate);
    const probes = (f: number): number[] => [coeff(f * (1 - PROBE_OFFSET)), coeff(f * (1 + PROBE_OFFSET))];
    this.rowCoeff = DTMF_ROW_HZ.map(coeff);
    this.colCoeff = DTMF_COLUMN_HZ.map(coeff);
    this.rowProbeCoeff = DTMF_ROW_HZ.map(probes);
    this.colProbeCoeff = DTMF_COLUMN_HZ.map(probes);
    this.rowHarmonicCoeff = DTMF_ROW_HZ.map((f) => coeff(2 * f));
    this.colHarmonicCoeff = DTMF_COLUMN_HZ.map((f) => coeff(2 * f));
    this.tables = tables(n, rate);
    this.windowed = new Float64Array(n);
    // A sine of peak A gives a Goertzel power of (A n / 2)^2.
    this.minPower = ((DBM0_PEAK * 10 ** ((options.minLevelDbm0 ?? -30) / 20) * n) / 2) ** 2;
    this.normalTwist = fromDb((options.normalTwistDb ?? 8) + TWIST_MARGIN_DB);
    this.reverseTwist = fromDb((options.reverseTwistDb ?? 4) + TWIST_MARGIN_DB);
    this.relativePeak = fromDb(options.relativePeakDb ?? 8);
    this.minEnergyRatio = options.minToneEnergyRatio ?? DEFAULT_TONE_ENERGY_RATIO;
    this.harmonicRatio = 10 ** (-(options.secondHarmonicDb ?? 15) / 20);
  }

  /** Classifies the first blockSize samples of `x`. */
  classify(x: Float64Array): BlockVerdict {
    const n = this.blockSize;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += x[i]! * x[i]!;
    // Two tones at the weakest accepted level carry 4 minPower / n of energy (a tone's
    // power times 2/n is its energy); a block with under half that cannot hold them.
    // Most audio on a call is quieter than a key, so this is where most blocks stop,
    // before eight filters run (a relay listens on every leg without telephone-event).
    if (energy < (2 * this.minPower) / n) return { digit: null, reason: 'level' };
    const rows = this.rowCoeff.map((k) => goertzel(x, n, k));
    const cols = this.colCoeff.map((k) => goertzel(x, n, k));
    const r = argmax(rows);
    const c = argmax(cols);
    if (rows[r]! < this.minPower || cols[c]! < this.minPower) return { digit: null, reason: 'level' };
    for (let i = 0; i < 4; i++) {
      if (i !== r && rows[i]! * this.relativePeak > rows[r]!) return { digit: null, reason: 'peak' };
      if (i !== c && cols[i]! * this.relativePeak > cols[c]!) return { digit: null, reason: 'peak' };
    }
    const pr = Math.max(rows[r]!, ...this.rowProbeCoeff[r]!.map((k) => goertzel(x, n, k)));
    const pc = Math.max(cols[c]!, ...this.colProbeCoeff[c]!.map((k) => goertzel(x, n, k)));
    if (pr > pc * this.normalTwist || pc > pr * this.reverseTwist) return { digit: null, reason: 'twist' };
    // A tone's Goertzel power times 2/n is its energy in the block.
    if (((pr + pc) * 2) / n < this.minEnergyRatio * energy) return { digit: null, reason: 'energy' };
    if (!this.harmonicsClean(x, r, c, pr, pc)) return { digit: null, reason: 'harmonic' };
    return { digit: DTMF_KEYPAD[r]![c]! };
  }

  /**
   * Second harmonics, measured through a Hann window so that the other tone of the
   * pair, a few hundred Hz away, does not leak in through rectangular sidelobes. A
   * harmonic may exceed harmonicRatio of its tone by what the window still lets
   * through of the two tones. Where a column tone sits within ~100 Hz of twice the
   * row (2 x 697 = 1394 against 1336 Hz) that is most of it: the check of that row's
   * harmonic is in effect off, and the purity test does the work alone.
   */
  private harmonicsClean(x: Float64Array, r: number, c: number, pr: number, pc: number): boolean {
    const n = this.blockSize;
    const { window, windowSum } = this.tables;
    for (let i = 0; i < n; i++) this.windowed[i] = x[i]! * window[i]!;
    // Amplitudes: 2|X|/n for the rectangular filters, 2|X|/sum(w) for the windowed ones.
    const ar = (2 * Math.sqrt(pr)) / n;
    const ac = (2 * Math.sqrt(pc)) / n;
    const hr = (2 * Math.sqrt(goertzel(this.windowed, n, this.rowHarmonicCoeff[r]!))) / windowSum;
    const rowLeak = this.tables.rowHarmonicLeak[r]![c]!;
    if (hr > (this.harmonicRatio + rowLeak.self) * ar + rowLeak.cross * ac) return false;
    const hc = (2 * Math.sqrt(goertzel(this.windowed, n, this.colHarmonicCoeff[c]!))) / windowSum;
    const colLeak = this.tables.colHarmonicLeak[c]![r]!;
    return hc <= (this.harmonicRatio + colLeak.self) * ac + colLeak.cross * ar;
  }
}
