/**
 * Text to speech with eSpeak NG (the `espeak-ng` npm package: the eSpeak NG
 * command line program compiled to WebAssembly with its voice data embedded).
 *
 * How the package is driven: its default export is an Emscripten MODULARIZE
 * factory. Each call builds a fresh instance and runs the program's `main()`
 * once with `arguments`; the instance exposes its in-memory file system as
 * `FS`. We write the text to `/in.txt` before `main()` runs (`preRun`), ask for
 * `-w /out.wav`, and read the WAV (22,050 Hz mono PCM16) back. `callMain` is not
 * exported, so an instance cannot be reused; the compiled `WebAssembly.Module`
 * is (`instantiateWasm`), which saves compiling 18 MB of WASM per call.
 *
 * Why a worker thread: one synthesis takes 150-250 ms of instantiation plus
 * the synthesis itself, all synchronous (measured on the 2-core development
 * box: a short sentence 0.2-0.4 s, 2,000 characters 0.8-1.2 s), and the
 * Emscripten runtime writes `process.exitCode` when `main()` ends. Both belong off the PBX's event loop, so a small pool of
 * workers (one by default) does the work: each runs one job at a time, jobs
 * wait in a FIFO queue, a job that overruns its time limit gets its worker
 * terminated (and replaced on demand), and idle workers are stopped after a
 * while to give their memory back. The worker also resamples to 8 kHz with a
 * windowed-sinc low-pass, so the main thread only receives the final samples.
 *
 * The worker is this same module, started with a marker in `workerData`.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import { startWorker } from '../util/worker-thread.js';

export type TtsLang = 'en' | 'ru';

/** Sample rate of everything `synthesize` returns: narrowband telephony. */
export const TTS_SAMPLE_RATE = 8000;
/** Longest text accepted, in Unicode code points (a couple of minutes of speech). */
export const TTS_MAX_CHARS = 2000;

/** eSpeak NG voice used for each language. */
export const TTS_VOICES: Readonly<Record<TtsLang, string>> = { en: 'en-us', ru: 'ru' };

export type TtsErrorCode =
  | 'TTS_EMPTY_TEXT'
  | 'TTS_TEXT_TOO_LONG'
  | 'TTS_BAD_OPTION'
  | 'TTS_ENGINE_FAILED'
  | 'TTS_TIMEOUT'
  | 'TTS_ABORTED'
  | 'TTS_CLOSED';

export class TtsError extends Error {
  constructor(
    readonly code: TtsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TtsError';
  }
}

export interface SynthesizeOptions {
  /** Speaking rate in words per minute, 80..450 (eSpeak's own default is 175). Default 160. */
  speed?: number;
  /** Base pitch, 0..99. Default 50. */
  pitch?: number;
  /** Amplitude, 0..200. Default 85: at eSpeak's own 100 some Russian phrases peak at full scale. */
  amplitude?: number;
  /** eSpeak voice variant such as `f3` or `m2` (appended to the voice as `+variant`). */
  variant?: string;
  /** Leave out the pause eSpeak adds after the last sentence (`-z`); useful for prompts that are joined. */
  noFinalPause?: boolean;
  /** Gives up waiting (the job is dropped if it has not started yet). */
  signal?: AbortSignal;
  /** Time limit once the job runs (overrides the engine's `timeoutMs`). */
  timeoutMs?: number;
}

export interface TtsEngineOptions {
  /** Worker threads in the pool. Default 1. */
  workers?: number;
  /** Time limit of one job once it runs, in ms; the worker is terminated when it is exceeded. Default 30,000. */
  timeoutMs?: number;
  /** Idle workers are terminated after this many ms. Default 30,000. */
  idleMs?: number;
}

// --- pure helpers (used by both threads) ------------------------------------------------------

/** Strips control characters and checks the length. Returns the text to speak. */
export function validateText(text: string): string {
  if (typeof text !== 'string') throw new TtsError('TTS_EMPTY_TEXT', 'text must be a string');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  if (clean.length === 0) throw new TtsError('TTS_EMPTY_TEXT', 'text to speak is empty');
  let codePoints = 0;
  for (const _ of clean) codePoints++;
  if (codePoints > TTS_MAX_CHARS)
    throw new TtsError(
      'TTS_TEXT_TOO_LONG',
      `text to speak has ${codePoints} characters; at most ${TTS_MAX_CHARS}`,
    );
  return clean;
}

function intOption(name: string, v: number | undefined, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new TtsError('TTS_BAD_OPTION', `${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

/** The eSpeak NG command line for a job (text goes in through `/in.txt`, speech out through `/out.wav`). */
export function espeakArguments(lang: TtsLang, opts: SynthesizeOptions = {}): string[] {
  if (!Object.hasOwn(TTS_VOICES, lang))
    throw new TtsError('TTS_BAD_OPTION', `no voice for language ${String(lang)}`);
  const base = TTS_VOICES[lang];
  if (opts.variant !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(opts.variant))
    throw new TtsError('TTS_BAD_OPTION', `bad voice variant ${JSON.stringify(opts.variant)}`);
  const args = [
    '-D', // deterministic: the same text gives the same samples (committed prompts stay stable)
    '-b',
    '1', // UTF-8 input
    '-v',
    opts.variant === undefined ? base : `${base}+${opts.variant}`,
    '-s',
    String(intOption('speed', opts.speed, 80, 450, 160)),
    '-p',
    String(intOption('pitch', opts.pitch, 0, 99, 50)),
    '-a',
    String(intOption('amplitude', opts.amplitude, 0, 200, 85)),
  ];
  if (opts.noFinalPause) args.push('-z');
  args.push('-w', '/out.wav', '-f', '/in.txt');
  return args;
}

export interface Pcm16Wav {
  sampleRate: number;
  channels: number;
  /** Interleaved samples. */
  samples: Int16Array;
}

/** Reads a plain PCM 16-bit WAV (what eSpeak writes). Throws on anything else. */
export function parsePcm16Wav(bytes: Uint8Array): Pcm16Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let at = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= bytes.length) {
      fmt = {
        format: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before fmt chunk');
      if (fmt.format !== 1 || fmt.bits !== 16 || fmt.channels < 1) throw new Error('WAV is not 16-bit PCM');
      // A streamed WAV may carry a placeholder size; take what is there.
      const end = Math.min(bytes.length, body + size);
      const n = Math.floor((end - body) / 2);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = view.getInt16(body + 2 * i, true);
      return { sampleRate: fmt.rate, channels: fmt.channels, samples };
    }
    at = body + size + (size & 1);
  }
  throw new Error('WAV has no data chunk');
}

/** A mono PCM16 WAV file (44-byte canonical header) holding `samples`. */
export function encodeWav(samples: Int16Array, sampleRate: number = TTS_SAMPLE_RATE): Buffer {
  const out = Buffer.alloc(44 + samples.length * 2);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + samples.length * 2, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 44 + 2 * i);
  return out;
}

/** Writes `samples` as a mono PCM16 WAV file. */
export async function writeWav(
  path: string,
  samples: Int16Array,
  sampleRate: number = TTS_SAMPLE_RATE,
): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRate));
}

/**
 * Cuts leading and trailing silence: everything before the first and after the
 * last sample whose magnitude reaches `threshold`, keeping `padMs` either side.
 */
export function trimSilence(
  samples: Int16Array,
  opts: { threshold?: number; padMs?: number; sampleRate?: number } = {},
): Int16Array {
  const threshold = opts.threshold ?? 200;
  const pad = Math.round(((opts.padMs ?? 30) * (opts.sampleRate ?? TTS_SAMPLE_RATE)) / 1000);
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]!) < threshold) first++;
  if (first === samples.length) return samples.subarray(0, 0);
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) < threshold) last--;
  return samples.slice(Math.max(0, first - pad), Math.min(samples.length, last + 1 + pad));
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (for the Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

interface ResampleFilter {
  up: number;
  down: number;
  taps: number;
  /** `up` phases of `taps` coefficients each. */
  coeffs: Float32Array;
}

const filters = new Map<string, ResampleFilter>();

/**
 * Polyphase windowed-sinc filter for inRate -> outRate. The ratio is reduced to
 * up/down; phase p holds the filter taps for an output sample that falls p/up of
 * the way between two input samples. Kaiser window (beta 8, about 80 dB stopband),
 * 128 taps at the input rate when downsampling from 22.05 kHz: the passband is
 * flat to about 3.2 kHz and 4 kHz and above are attenuated (no aliasing into the
 * telephone band).
 */
function resampleFilter(inRate: number, outRate: number): ResampleFilter {
  const key = `${inRate}/${outRate}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  // Cut-off relative to the input rate: just below the lower Nyquist frequency.
  const cutoff = (0.445 * Math.min(inRate, outRate)) / inRate; // cycles per input sample
  const scale = Math.max(1, inRate / outRate);
  const taps = 2 * Math.ceil(24 * scale);
  const half = taps / 2;
  const beta = 8;
  const i0beta = besselI0(beta);
  const coeffs = new Float32Array(up * taps);
  for (let p = 0; p < up; p++) {
    const frac = p / up;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const t = frac + half - 1 - j; // distance (input samples) from the output instant to tap j
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / half;
      const w = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
      const c = 2 * cutoff * sinc * w;
      coeffs[p * taps + j] = c;
      sum += c;
    }
    for (let j = 0; j < taps; j++) coeffs[p * taps + j] = coeffs[p * taps + j]! / sum; // unity gain at DC
  }
  const f = { up, down, taps, coeffs };
  filters.set(key, f);
  return f;
}

/** Resamples mono PCM16 from inRate to outRate (band-limited; samples beyond the ends count as zero). */
export function resamplePcm16(input: Int16Array, inRate: number, outRate: number): Int16Array {
  if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0)
    throw new RangeError(`bad sample rates ${inRate} -> ${outRate}`);
  if (inRate === outRate) return input.slice();
  const { up, down, taps, coeffs } = resampleFilter(inRate, outRate);
  const half = taps / 2;
  const n = Math.floor((input.length * up) / down);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const num = i * down;
    const base = Math.floor(num / up);
    const phase = num - base * up;
    const first = base - half + 1;
    const row = phase * taps;
    let acc = 0;
    const jFrom = Math.max(0, -first);
    const jTo = Math.min(taps, input.length - first);
    for (let j = jFrom; j < jTo; j++) acc += coeffs[row + j]! * input[first + j]!;
    out[i] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}

// --- the worker ---------------------------------------------------------------------------------

const WORKER_MARK = 'nimbus-tts-worker';

interface Job {
  id: number;
  args: string[];
  text: string;
}

type WorkerReply = { id: number; ok: true; samples: Int16Array } | { id: number; ok: false; message: string };

/** The slice of the Emscripten module we use. */
interface EspeakModule {
  FS: { readFile(path: string): Uint8Array; writeFile(path: string, data: string): void };
}
interface EspeakModuleArgs {
  arguments: string[];
  thisProgram: string;
  preRun: Array<(m: EspeakModule) => void>;
  print(s: string): void;
  printErr(s: string): void;
  instantiateWasm(imports: unknown, receive: (instance: unknown, module: unknown) => void): object;
}
type EspeakFactory = (args: EspeakModuleArgs) => Promise<EspeakModule>;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<unknown>;
  instantiate(module: unknown, imports: unknown): Promise<unknown>;
}

async function runWorker(): Promise<void> {
  const port = parentPort!;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const entry = createRequire(import.meta.url).resolve('espeak-ng');
  const loaded = (await import(pathToFileURL(entry).href)) as { default: EspeakFactory };
  const factory = loaded.default;
  const compiled = await wasm.compile(readFileSync(join(dirname(entry), 'espeak-ng.wasm')));

  const run = async (job: Job): Promise<Int16Array> => {
    const errors: string[] = [];
    const m = await factory({
      arguments: job.args,
      thisProgram: 'espeak-ng',
      preRun: [(mod) => mod.FS.writeFile('/in.txt', job.text)],
      print: () => {},
      printErr: (s) => errors.push(s),
      instantiateWasm(imports, receive) {
        void wasm.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
        return {};
      },
    });
    let bytes: Uint8Array;
    try {
      bytes = m.FS.readFile('/out.wav');
    } catch {
      throw new Error(`eSpeak NG wrote no audio${errors.length ? `: ${errors.join('; ')}` : ''}`);
    }
    const wav = parsePcm16Wav(bytes);
    if (wav.channels !== 1) throw new Error(`eSpeak NG wrote ${wav.channels} channels`);
    return resamplePcm16(wav.samples, wav.sampleRate, TTS_SAMPLE_RATE);
  };

  port.on('message', (job: Job) => {
    run(job).then(
      (samples) =>
        port.postMessage({ id: job.id, ok: true, samples } satisfies WorkerReply, [
          samples.buffer as ArrayBuffer,
        ]),
      (e: unknown) =>
        port.postMessage({
          id: job.id,
          ok: false,
          message: e instanceof Error ? e.message : String(e),
        } satisfies WorkerReply),
    );
  });
  port.postMessage('ready');
}

if (!isMainThread && (workerData as { mark?: unknown } | null)?.mark === WORKER_MARK) void runWorker();

// --- the pool (main thread) -----------------------------------------------------------------------

interface Pending {
  job: Job;
  resolve(samples: Int16Array): void;
  reject(e: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timeoutMs: number;
}

class TtsWorker {
  readonly worker: Worker;
  current: Pending | undefined;
  timer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  dead = false;

  constructor(
    onMessage: (w: TtsWorker, m: WorkerReply | 'ready') => void,
    onDied: (w: TtsWorker, e: Error) => void,
  ) {
    const options = {
      workerData: { mark: WORKER_MARK },
      stdout: true, // the Emscripten runtime may print; keep it out of ours
      stderr: true,
    };
    this.worker = startWorker(new URL(import.meta.url), options);
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (m: WorkerReply | 'ready') => onMessage(this, m));
    this.worker.on('error', (e) => onDied(this, e));
    this.worker.on('exit', (code) => onDied(this, new Error(`TTS worker exited with code ${code}`)));
  }
}

/** A pool of eSpeak NG worker threads. Most code uses the shared one through `synthesize()`. */
export class TtsEngine {
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly idleMs: number;
  private readonly workers: TtsWorker[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: TtsEngineOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.workers ?? 1));
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.idleMs = opts.idleMs ?? 30_000;
  }

  /** Speaks `text` in `lang`; resolves to 8 kHz mono PCM16 samples. */
  synthesize(text: string, lang: TtsLang, opts: SynthesizeOptions = {}): Promise<Int16Array> {
    return new Promise<Int16Array>((resolve, reject) => {
      if (this.closed) throw new TtsError('TTS_CLOSED', 'TTS engine is closed');
      const clean = validateText(text);
      const args = espeakArguments(lang, opts);
      const signal = opts.signal;
      if (signal?.aborted) throw new TtsError('TTS_ABORTED', 'speech synthesis aborted');
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      if (!(timeoutMs > 0))
        throw new TtsError('TTS_BAD_OPTION', `timeoutMs must be positive, got ${timeoutMs}`);
      const p: Pending = {
        job: { id: this.nextId++, args, text: clean },
        resolve,
        reject,
        signal,
        onAbort: undefined,
        timeoutMs,
      };
      if (signal) {
        p.onAbort = () => {
          const at = this.queue.indexOf(p);
          if (at >= 0) this.queue.splice(at, 1);
          this.settle(p, new TtsError('TTS_ABORTED', 'speech synthesis aborted'));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.pump();
    });
  }

  /** Terminates the workers; queued and running jobs fail with TTS_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new TtsError('TTS_CLOSED', 'TTS engine is closed');
    for (const p of this.queue.splice(0)) this.settle(p, err);
    await Promise.all(this.workers.splice(0).map((w) => this.stop(w, err)));
  }

  private settle(p: Pending, result: Int16Array | Error): void {
    if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let w = this.workers.find((x) => !x.current && !x.dead);
      if (!w && this.workers.length < this.size) {
        w = new TtsWorker(
          (wk, m) => this.onMessage(wk, m),
          (wk, e) => this.onDied(wk, e),
        );
        this.workers.push(w);
      }
      if (!w) return;
      const p = this.queue.shift()!;
      this.start(w, p);
    }
  }

  private start(w: TtsWorker, p: Pending): void {
    if (w.idleTimer) clearTimeout(w.idleTimer);
    w.idleTimer = undefined;
    w.current = p;
    w.worker.ref();
    w.timer = setTimeout(() => {
      void this.stop(w, new TtsError('TTS_TIMEOUT', `speech synthesis took longer than ${p.timeoutMs} ms`));
    }, p.timeoutMs);
    w.worker.postMessage(p.job);
  }

  private onMessage(w: TtsWorker, m: WorkerReply | 'ready'): void {
    if (m === 'ready') return;
    const p = w.current;
    if (!p || p.job.id !== m.id) return;
    clearTimeout(w.timer);
    w.current = undefined;
    if (m.ok) this.settle(p, m.samples);
    else this.settle(p, new TtsError('TTS_ENGINE_FAILED', m.message));
    this.idle(w);
    this.pump();
  }

  private idle(w: TtsWorker): void {
    if (w.current || w.dead) return;
    w.worker.unref();
    w.idleTimer = setTimeout(() => {
      const at = this.workers.indexOf(w);
      if (at >= 0 && !w.current) {
        this.workers.splice(at, 1);
        void this.stop(w, new TtsError('TTS_CLOSED', 'idle'));
      }
    }, this.idleMs);
    w.idleTimer.unref();
  }

  /** Ends a worker, failing its job with `err`. */
  private async stop(w: TtsWorker, err: Error): Promise<void> {
    this.fail(w, err);
    const at = this.workers.indexOf(w);
    if (at >= 0) this.workers.splice(at, 1);
    await w.worker.terminate();
    if (!this.closed) this.pump();
  }

  private onDied(w: TtsWorker, e: Error): void {
    if (w.dead) return;
    this.fail(w, new TtsError('TTS_ENGINE_FAILED', `TTS worker failed: ${e.message}`));
    const at = this.workers.indexOf(w);
    if (at >= 0) this.workers.splice(at, 1);
    if (!this.closed) this.pump();
  }

  private fail(w: TtsWorker, err: Error): void {
    w.dead = true;
    clearTimeout(w.timer);
    clearTimeout(w.idleTimer);
    const p = w.current;
    w.current = undefined;
    if (p) this.settle(p, err);
  }
}

let shared: TtsEngine | undefined;

/**
 * Speaks `text` (1..2,000 characters) in `lang` and resolves to 8 kHz mono
 * 16-bit samples. Runs on a shared worker thread; concurrent calls queue.
 * Fails with a `TtsError` (`TTS_EMPTY_TEXT`, `TTS_TEXT_TOO_LONG`, `TTS_BAD_OPTION`,
 * `TTS_ENGINE_FAILED`, `TTS_TIMEOUT`, `TTS_ABORTED`).
 */
export function synthesize(text: string, lang: TtsLang, opts: SynthesizeOptions = {}): Promise<Int16Array> {
  shared ??= new TtsEngine();
  return shared.synthesize(text, lang, opts);
}

/** Stops the shared engine's workers (a later `synthesize` starts a new engine). */
export async function closeTts(): Promise<void> {
  const e = shared;
  shared = undefined;
  await e?.close();
}
