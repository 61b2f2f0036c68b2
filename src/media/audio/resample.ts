/**
 * Sample-rate conversion by a Kaiser-windowed sinc, polyphase: the rate ratio is
 * reduced to L/M (48 kHz -> 8 kHz is 1/6, 44.1 kHz -> 8 kHz is 80/441) and output
 * sample n sits at input position n*M/L, kept as an exact integer plus a phase
 * 0..L-1 so nothing drifts however long the stream. Each phase has its own row of
 * taps; when L is large (odd rates) the rows are a fixed grid and neighbouring rows
 * are interpolated.
 *
 * The low-pass cuts at `rolloff` of the lower rate's Nyquist (3.64 kHz for 8 kHz),
 * so that what would alias into the telephone band is stopped: with the default 24
 * zero crossings a side and Kaiser beta 8, the stop band is about -80 dB and the
 * transition about 0.8 kHz wide, centred on the cut-off.
 *
 * `StreamResampler` keeps its history across chunks: any split of the input gives
 * the same output samples as one call, so chunk boundaries cannot click.
 * `resample()` converts a whole buffer with the output aligned to the input.
 */
import { toInt16 } from './pcm.js';

/** Rate of the telephone network (G.711) and of everything the media engine mixes. */
export const TELEPHONY_RATE = 8000;

export interface ResampleOptions {
  /** Zero crossings of the sinc kept on each side, at the lower of the two rates. */
  zeroCrossings?: number;
  /** Cut-off as a fraction of the lower rate's Nyquist frequency. */
  rolloff?: number;
  /** Interleaved channels of the input; stereo is averaged to mono first. */
  channels?: 1 | 2;
}

const DEFAULT_ZERO_CROSSINGS = 24;
const DEFAULT_ROLLOFF = 0.91;
const KAISER_BETA = 8;
/** Above this many phases the rows form a grid and are interpolated. */
const MAX_PHASES = 512;
/** Coefficients in one table (2 MiB of doubles): odd, high rates get fewer, interpolated rows. */
const MAX_COEFFICIENTS = 256 * 1024;
/** Tables kept for reuse; rates come from uploaded files, so the cache must not grow without bound. */
const CACHE_SIZE = 16;
const MAX_RATE = 768_000;

interface Kernel {
  /** Ratio L/M in lowest terms: L outputs for every M inputs. */
  readonly up: number;
  readonly down: number;
  /** Rows of the table; `phases + 1` rows are stored so interpolation can read row p + 1. */
  readonly phases: number;
  readonly taps: number;
  /** Taps before the centre: output at base index s reads inputs s - half + 1 .. s + half. */
  readonly half: number;
  readonly table: Float64Array;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (series; converges fast for beta <= 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function checkRate(rate: number, what: string): void {
  if (!Number.isInteger(rate) || rate <= 0 || rate > MAX_RATE)
    throw new RangeError(`${what} rate must be an integer 1..${MAX_RATE} Hz, got ${rate}`);
}

const kernels = new Map<string, Kernel>();

/** Tables depend only on the rates and options, so every stream of the same kind shares one. */
function kernelFor(from: number, to: number, zeroCrossings: number, rolloff: number): Kernel {
  const key = `${from}/${to}/${zeroCrossings}/${rolloff}`;
  let k = kernels.get(key);
  if (k) {
    kernels.delete(key); // re-inserted below: Map order is least recently used first
  } else {
    k = designKernel(from, to, zeroCrossings, rolloff);
    if (kernels.size >= CACHE_SIZE) kernels.delete(kernels.keys().next().value!);
  }
  kernels.set(key, k);
  return k;
}

function designKernel(from: number, to: number, zeroCrossings: number, rolloff: number): Kernel {
  const g = gcd(from, to);
  const up = to / g;
  const down = from / g;
  // Cut-off in cycles per input sample; the filter runs on the input's time axis.
  const fc = (rolloff * Math.min(from, to)) / 2 / from;
  const width = zeroCrossings * Math.max(1, from / to); // half-width in input samples
  const half = Math.ceil(width);
  const taps = 2 * half;
  const phases = Math.min(up, Math.max(16, Math.min(MAX_PHASES, Math.floor(MAX_COEFFICIENTS / taps) - 1)));
  const table = new Float64Array((phases + 1) * taps);
  const i0beta = besselI0(KAISER_BETA);
  for (let p = 0; p <= phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      // Distance from the output instant to input (s - half + 1 + j), in input samples.
      const tau = frac + half - 1 - j;
      const r = tau / width;
      let h = 0;
      if (Math.abs(r) < 1) {
        const x = 2 * fc * tau;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        h = 2 * fc * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0beta);
      }
      table[p * taps + j] = h;
      sum += h;
    }
    // Unity gain at DC for every phase, so a constant stays constant (no phase ripple).
    for (let j = 0; j < taps; j++) table[p * taps + j]! /= sum;
  }
  return { up, down, phases, taps, half, table };
}

/** Averages interleaved stereo to mono (halving rather than summing: it cannot clip). */
export function downmixStereo(interleaved: ArrayLike<number>): Float32Array {
  if (interleaved.length % 2 !== 0) throw new RangeError('stereo input must hold whole frames (even length)');
  const out = new Float32Array(interleaved.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (interleaved[2 * i]! + interleaved[2 * i + 1]!) / 2;
  return out;
}

/**
 * The converter proper, shared by the streaming and whole-buffer forms. Output n is
 *   y[n] = sum_k x[k] h(n*M/L - delay - k)
 * with x = 0 before the first input; `delay` (input samples) is 0 for the aligned
 * whole-buffer form and `half` for the stream, which then never waits for look-ahead:
 * each input sample lets out exactly its share L/M of output.
 */
class Converter {
  private readonly k: Kernel;
  private buf: Float64Array;
  /** Absolute input index of buf[0] (negative at first: the zeros before the signal). */
  private bufStart: number;
  private bufLen: number;
  private received = 0;
  /** Next output: its base input index (integer part of n*M/L - delay) and phase 0..L-1. */
  private base: number;
  private phase = 0;
  private produced = 0;

  constructor(
    kernel: Kernel,
    private readonly delay: number,
  ) {
    this.k = kernel;
    const lead = kernel.half + delay;
    this.buf = new Float64Array(Math.max(1024, 4 * kernel.taps)); // > lead + one filter length
    this.bufStart = -lead;
    this.bufLen = lead; // zeros
    this.base = -delay;
  }

  push(input: ArrayLike<number>): void {
    this.ensure(input.length);
    const at = this.bufLen;
    for (let i = 0; i < input.length; i++) this.buf[at + i] = input[i]!;
    this.bufLen += input.length;
    this.received += input.length;
  }

  /** Outputs computable now; at the end (`final`) the missing inputs are zeros. */
  drain(final: boolean): Float32Array {
    const { up, down, half } = this.k;
    // Total outputs the whole stream will have once ended; nothing is produced past it.
    const total = Math.ceil(((this.received + this.delay) * up) / down);
    const out = new Float32Array(Math.max(0, total - this.produced));
    const end = this.bufStart + this.bufLen; // first input index not yet received
    let count = 0;
    while (this.produced < total) {
      if (!final && this.base + half >= end) break;
      out[count++] = this.dot();
      this.produced++;
      this.phase += down;
      if (this.phase >= up) {
        this.base += Math.floor(this.phase / up);
        this.phase %= up;
      }
    }
    this.compact();
    return out.subarray(0, count);
  }

  /**
   * One output: the row of taps for the current phase against the inputs around `base`.
   * Reading past the received input happens only when flushing and finds zeros, because
   * the buffer is always zero beyond `bufLen` for at least one filter length.
   */
  private dot(): number {
    const { taps, half, phases, up, table } = this.k;
    const first = this.base - half + 1 - this.bufStart;
    const buf = this.buf;
    const rowPos = (this.phase * phases) / up;
    const row = Math.floor(rowPos);
    const a = rowPos - row;
    const o0 = row * taps;
    let acc0 = 0;
    if (a === 0) {
      for (let j = 0; j < taps; j++) acc0 += buf[first + j]! * table[o0 + j]!;
      return acc0;
    }
    const o1 = o0 + taps;
    let acc1 = 0;
    for (let j = 0; j < taps; j++) {
      const x = buf[first + j]!;
      acc0 += x * table[o0 + j]!;
      acc1 += x * table[o1 + j]!;
    }
    return acc0 + a * (acc1 - acc0);
  }

  /** Room for `extra` more samples plus a zeroed look-ahead of one filter length. */
  private ensure(extra: number): void {
    const need = this.bufLen + extra + this.k.taps;
    if (need <= this.buf.length) return;
    const next = new Float64Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.bufLen));
    this.buf = next;
  }

  /** Drops inputs no future output reads; keeps the tail zeroed for the flush read-ahead. */
  private compact(): void {
    const keepFrom = this.base - this.k.half + 1 - this.bufStart;
    if (keepFrom < this.buf.length / 2 || keepFrom <= 0) return;
    this.buf.copyWithin(0, keepFrom, this.bufLen);
    this.buf.fill(0, this.bufLen - keepFrom, this.bufLen);
    this.bufLen -= keepFrom;
    this.bufStart += keepFrom;
  }
}

function options(opts: ResampleOptions): { z: number; rolloff: number; channels: 1 | 2 } {
  const z = opts.zeroCrossings ?? DEFAULT_ZERO_CROSSINGS;
  const rolloff = opts.rolloff ?? DEFAULT_ROLLOFF;
  if (!Number.isInteger(z) || z < 2 || z > 256)
    throw new RangeError('zeroCrossings must be an integer 2..256');
  if (!(rolloff > 0 && rolloff <= 1)) throw new RangeError('rolloff must be in (0, 1]');
  return { z, rolloff, channels: opts.channels ?? 1 };
}

/**
 * Converts a whole buffer from one rate to another (mono out, ceil(n * to / from)
 * samples), output sample 0 at input instant 0.
 */
export function resample(
  input: Int16Array | Float32Array,
  from: number,
  to: number,
  opts: ResampleOptions = {},
): Int16Array {
  checkRate(from, 'input');
  checkRate(to, 'output');
  const o = options(opts);
  const mono = o.channels === 2 ? downmixStereo(input) : input;
  if (from === to) return toInt16(mono);
  const c = new Converter(kernelFor(from, to, o.z, o.rolloff), 0);
  c.push(mono);
  return toInt16(c.drain(true));
}

/**
 * Streaming conversion for audio that arrives in chunks (RTP frames, a file read
 * piecewise). The output lags the input by `latencyMs` (the filter's half-length)
 * and in exchange every chunk yields exactly its share of output: 960 samples at
 * 48 kHz give 160 at 8 kHz, every time. `flush()` releases the tail at the end.
 */
export class StreamResampler {
  private readonly conv: Converter | null;
  private readonly channels: 1 | 2;
  private flushed = false;
  /** How far the output trails the input. */
  readonly latencyMs: number;

  constructor(
    readonly from: number,
    readonly to: number,
    opts: ResampleOptions = {},
  ) {
    checkRate(from, 'input');
    checkRate(to, 'output');
    const o = options(opts);
    this.channels = o.channels;
    if (from === to) {
      this.conv = null;
      this.latencyMs = 0;
    } else {
      const kernel = kernelFor(from, to, o.z, o.rolloff);
      this.conv = new Converter(kernel, kernel.half);
      this.latencyMs = (kernel.half * 1000) / from;
    }
  }

  /** Feeds a chunk (interleaved when stereo) and returns the output it completes. */
  process(chunk: Int16Array | Float32Array): Int16Array {
    if (this.flushed) throw new Error('StreamResampler: process() after flush()');
    const mono = this.channels === 2 ? downmixStereo(chunk) : chunk;
    if (!this.conv) return toInt16(mono);
    this.conv.push(mono);
    return toInt16(this.conv.drain(false));
  }

  /** Ends the stream: the last `latencyMs` of output, with silence after the input. */
  flush(): Int16Array {
    if (this.flushed || !this.conv) {
      this.flushed = true;
      return new Int16Array(0);
    }
    this.flushed = true;
    return toInt16(this.conv.drain(true));
  }
}
