/**
 * Call and voicemail recording.
 *
 * `RecorderCore` is the pure part: fed one 20 ms slot at a time (a frame of 16-bit
 * mono per leg, either may be missing and then counts as silence so the legs stay
 * aligned), it returns the audio to write and, once, why and when it stopped:
 * - mode 'single' records leg a; 'mixed' sums a and b (saturating) into mono;
 *   'stereo' puts a on the left channel and b on the right;
 * - `maxDurationMs` ends it after that much time (slots, not only written audio);
 * - `silence` ends it after `afterMs` of quiet (a voicemail caller who has finished
 *   but not hung up) and trims the trailing quiet: quiet frames are held back and
 *   written only if sound follows, so nothing has to be cut out of the file later.
 *
 * `FileRecorder` writes that to a WAV file safely: into a hidden temporary file
 * next to the target; on the end the header is patched, the file fsynced and then
 * renamed over the final name (and the directory fsynced), so the final name only
 * ever holds a complete recording. A crash leaves just the temporary `.part` file,
 * whose placeholder header still reads as "audio to the end of the file" for
 * recovery; abort() deletes it.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { saturate16 } from './audio/pcm.js';
import { SilenceDetector } from './audio/silence.js';
import { WavFileWriter, type WavWriteEncoding, wavHeaderSize } from './audio/wav-writer.js';

export type RecordingMode = 'single' | 'mixed' | 'stereo';
export type StopReason = 'hangup' | 'max-duration' | 'silence' | 'dtmf' | 'explicit';
/** Reasons a caller gives; the other two the recorder finds itself. */
export type ExternalStopReason = Exclude<StopReason, 'max-duration' | 'silence'>;

export interface RecorderSilenceOptions {
  /** Quiet this long ends the recording. */
  afterMs: number;
  thresholdDbfs?: number;
  /** Energy is averaged over this window before comparing (default 100 ms). */
  windowMs?: number;
  /** Quiet kept after the last sound so the end is not clipped (default 100 ms). */
  keepMs?: number;
}

export interface RecorderOptions {
  mode: RecordingMode;
  maxDurationMs?: number;
  silence?: RecorderSilenceOptions;
  sampleRate?: number;
  frameMs?: number;
}

/** One slot's audio per leg; absent or null: nothing arrived (silence is recorded). */
export interface LegFrames {
  readonly a?: Int16Array | null;
  readonly b?: Int16Array | null;
}

export interface RecordingStop {
  readonly reason: StopReason;
  /** Audio in the recording, after trimming. */
  readonly durationMs: number;
  /** Time the recorder ran (slots fed). */
  readonly elapsedMs: number;
  /** Time with sound above the silence threshold: 0 means nobody said anything. */
  readonly voicedMs: number;
}

export type RecorderOutput =
  | { readonly kind: 'audio'; readonly samples: Int16Array }
  | { readonly kind: 'stopped'; readonly stop: RecordingStop };

export class RecorderCore {
  readonly channels: 1 | 2;
  readonly sampleRate: number;
  readonly frameMs: number;
  readonly frameSamples: number;
  private readonly detector: SilenceDetector;
  private readonly afterFrames: number | null;
  private readonly keepFrames: number;
  private readonly maxFrames: number | null;
  private held: Int16Array[] = [];
  private quietRun = 0;
  private slots = 0;
  private written = 0;
  private voiced = 0;
  private result: RecordingStop | null = null;

  constructor(readonly options: RecorderOptions) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.frameMs = options.frameMs ?? 20;
    this.frameSamples = Math.round((this.sampleRate * this.frameMs) / 1000);
    this.channels = options.mode === 'stereo' ? 2 : 1;
    const s = options.silence;
    this.detector = new SilenceDetector({
      thresholdDbfs: s?.thresholdDbfs,
      windowMs: s?.windowMs,
      frameMs: this.frameMs,
    });
    this.afterFrames = s ? Math.max(1, Math.ceil(s.afterMs / this.frameMs)) : null;
    this.keepFrames = s ? Math.round((s.keepMs ?? 100) / this.frameMs) : 0;
    this.maxFrames =
      options.maxDurationMs === undefined ? null : Math.ceil(options.maxDurationMs / this.frameMs);
  }

  get stopped(): RecordingStop | null {
    return this.result;
  }

  /** One slot. */
  process(legs: LegFrames): RecorderOutput[] {
    if (this.result) return [];
    const frame = this.compose(legs);
    this.slots++;
    const out: RecorderOutput[] = [];
    const quiet = this.detector.push(frame);
    if (!quiet) this.voiced++;
    if (this.afterFrames === null) this.emit(out, frame);
    else if (quiet) {
      this.held.push(frame);
      this.quietRun++;
      if (this.quietRun >= this.afterFrames) return this.end(out, 'silence');
    } else {
      for (const f of this.held) this.emit(out, f);
      this.held = [];
      this.quietRun = 0;
      this.emit(out, frame);
    }
    if (this.maxFrames !== null && this.slots >= this.maxFrames) return this.end(out, 'max-duration');
    return out;
  }

  /** Ends the recording for a reason found outside (hangup, a DTMF key, an API call). */
  stop(reason: ExternalStopReason): RecorderOutput[] {
    return this.result ? [] : this.end([], reason);
  }

  private end(out: RecorderOutput[], reason: StopReason): RecorderOutput[] {
    // Whatever quiet is still held back is the trailing silence: keep only its head.
    for (const f of this.held.slice(0, this.keepFrames)) this.emit(out, f);
    this.held = [];
    const ms = (frames: number): number => frames * this.frameMs;
    this.result = {
      reason,
      durationMs: ms(this.written),
      elapsedMs: ms(this.slots),
      voicedMs: ms(this.voiced),
    };
    out.push({ kind: 'stopped', stop: this.result });
    return out;
  }

  private emit(out: RecorderOutput[], samples: Int16Array): void {
    out.push({ kind: 'audio', samples });
    this.written++;
  }

  /** The slot as written: mono or interleaved stereo, always a fresh array (callers reuse theirs). */
  private compose(legs: LegFrames): Int16Array {
    const n = this.frameSamples;
    const a = this.leg(legs.a, 'a');
    const b = this.options.mode === 'single' ? null : this.leg(legs.b, 'b');
    switch (this.options.mode) {
      case 'single':
        return a ? a.slice() : new Int16Array(n);
      case 'mixed': {
        const out = new Int16Array(n);
        for (let i = 0; i < n; i++) {
          out[i] = saturate16((a ? a[i]! : 0) + (b ? b[i]! : 0));
        }
        return out;
      }
      case 'stereo': {
        const out = new Int16Array(2 * n);
        for (let i = 0; i < n; i++) {
          out[2 * i] = a ? a[i]! : 0;
          out[2 * i + 1] = b ? b[i]! : 0;
        }
        return out;
      }
    }
  }

  private leg(frame: Int16Array | null | undefined, name: string): Int16Array | null {
    if (!frame) return null;
    if (frame.length !== this.frameSamples)
      throw new RangeError(`leg ${name} frame has ${frame.length} samples, ${this.frameSamples} expected`);
    return frame;
  }
}

export type RecorderErrorCode = 'aborted' | 'io';

export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  constructor(
    readonly code: RecorderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FileRecorderOptions extends RecorderOptions {
  /** Sample format of the file (default 16-bit PCM). */
  encoding?: WavWriteEncoding;
  /** Bytes buffered between disk writes. */
  flushBytes?: number;
}

export interface RecordingResult extends RecordingStop {
  readonly path: string;
  readonly bytes: number;
}

/** Temporary files end so; anything left with it after a crash is an unfinished recording. */
export const PARTIAL_SUFFIX = '.part';

const noop = (): void => {};

/** Makes a rename durable: the directory entry itself is on disk once this returns. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some platforms and file systems cannot fsync a directory; the rename is still atomic.
  }
}

type State = 'recording' | 'finishing' | 'finished' | 'aborted' | 'failed';

export class FileRecorder {
  /** Settles once: the finished file is in place, or the recording was aborted or failed. */
  readonly done: Promise<RecordingResult>;
  private resolveDone!: (r: RecordingResult) => void;
  private rejectDone!: (err: RecorderError) => void;
  private state: State = 'recording';

  private constructor(
    private readonly core: RecorderCore,
    private readonly writer: WavFileWriter,
    readonly path: string,
    readonly tempPath: string,
  ) {
    this.done = new Promise<RecordingResult>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody has to listen: an abort must not become an unhandled rejection.
    this.done.catch(noop);
  }

  /** Opens the temporary file next to `path` and starts recording. */
  static async start(path: string, options: FileRecorderOptions): Promise<FileRecorder> {
    const core = new RecorderCore(options);
    const tempPath = join(
      dirname(path),
      `.${basename(path)}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`,
    );
    const writer = await WavFileWriter.create(
      tempPath,
      { encoding: options.encoding ?? 'pcm16', sampleRate: core.sampleRate, channels: core.channels },
      { flushBytes: options.flushBytes },
    );
    return new FileRecorder(core, writer, path, tempPath);
  }

  /** Still taking audio. */
  get recording(): boolean {
    return this.state === 'recording';
  }

  /** One 20 ms slot. Ignored once stopped (frames still arrive while a call is torn down). */
  push(legs: LegFrames): void {
    if (this.state === 'recording') this.handle(this.core.process(legs));
  }

  /** Ends the recording and resolves when the file is in place. Later calls return the same. */
  stop(reason: ExternalStopReason = 'explicit'): Promise<RecordingResult> {
    if (this.state === 'recording') this.handle(this.core.stop(reason));
    return this.done;
  }

  /**
   * Discards a recording in progress: the temporary file is deleted and `done`
   * rejects with code 'aborted'. A recording already stopping is left to finish.
   */
  async abort(): Promise<void> {
    if (this.state !== 'recording') {
      await this.done.then(noop, noop);
      return;
    }
    this.state = 'aborted';
    await this.writer.close();
    await unlink(this.tempPath).catch(noop);
    this.rejectDone(new RecorderError('aborted', `recording ${this.path} was aborted`));
  }

  /** Idempotent; a recording not yet stopped is aborted. */
  close(): void {
    if (this.state === 'recording') this.abort().catch(noop);
  }

  private handle(outputs: RecorderOutput[]): void {
    for (const o of outputs) {
      if (o.kind === 'audio') {
        try {
          // Failures are sticky in the writer and reported by finish(); no need to watch each write.
          this.writer.write(o.samples).catch(noop);
        } catch (err) {
          this.fail(err);
          return;
        }
      } else this.finish(o.stop);
    }
  }

  private finish(stop: RecordingStop): void {
    this.state = 'finishing';
    this.writer
      .finish()
      .then(async (summary) => {
        await rename(this.tempPath, this.path);
        await syncDirectory(dirname(this.path));
        this.state = 'finished';
        this.resolveDone({
          ...stop,
          path: this.path,
          bytes: wavHeaderSize(this.writer.format) + summary.dataBytes + (summary.dataBytes % 2),
        });
      })
      .catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.state === 'failed' || this.state === 'finished') return;
    this.state = 'failed';
    this.writer
      .close()
      .then(() => unlink(this.tempPath))
      .catch(noop)
      .finally(() =>
        this.rejectDone(new RecorderError('io', `recording ${this.path} failed`, { cause: err })),
      );
  }
}
