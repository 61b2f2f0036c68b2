/**
 * WAV writing: 16-bit PCM or G.711 (µ-law, A-law), mono or stereo.
 *
 * Headers written (little-endian):
 *   PCM   (44 bytes)  RIFF size WAVE | "fmt " 16 tag=1 ch rate byteRate align bits=16 | "data" size
 *   G.711 (58 bytes)  RIFF size WAVE | "fmt " 18 tag=7|6 ch rate byteRate align bits=8 cbSize=0
 *                     | "fact" 4 frames | "data" size
 * Non-PCM formats carry a fact chunk (the frame count) as the RIFF/WAVE spec asks.
 *
 * `WavFileWriter` streams to disk: the header goes first with placeholder sizes of
 * 0xFFFFFFFF (which readers, ours included, take as "to the end of the file", so a
 * file left by a crash can still be recovered), frames are appended in batches,
 * and `finish()` adds the pad byte an odd data size needs, patches the sizes and
 * fsyncs. Pure helpers (`wavHeader`, `encodeFrames`, `encodeWav`) build the same
 * bytes in memory.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { encodeG711 } from '../codecs/g711.js';
import { WavError } from './wav-error.js';

export type WavWriteEncoding = 'pcm16' | 'ulaw' | 'alaw';

export interface WavWriteFormat {
  readonly encoding: WavWriteEncoding;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
}

export interface WavFileSummary {
  readonly path: string;
  readonly frames: number;
  readonly dataBytes: number;
  readonly durationMs: number;
}

export interface WavFileWriterOptions {
  /** Buffered bytes that trigger a write (default 16 KiB: about 1 s of 8 kHz PCM). */
  flushBytes?: number;
  /** Replace an existing file; by default creation fails if the path exists. */
  overwrite?: boolean;
}

const PLACEHOLDER = 0xffffffff;
const MAX_RIFF = 0xffffffff;

function bytesPerSample(f: WavWriteFormat): number {
  return f.encoding === 'pcm16' ? 2 : 1;
}

export function wavHeaderSize(f: WavWriteFormat): number {
  return f.encoding === 'pcm16' ? 44 : 58;
}

function checkFormat(f: WavWriteFormat): void {
  if (!Number.isInteger(f.sampleRate) || f.sampleRate <= 0 || f.sampleRate > 768_000)
    throw new RangeError(`WAV sample rate must be a positive integer, got ${f.sampleRate}`);
  if (f.channels !== 1 && f.channels !== 2) throw new RangeError('WAV channels must be 1 or 2');
}

/**
 * The header for `dataBytes` of audio (`null`: unknown yet, placeholders). The RIFF
 * size counts the pad byte an odd data size is followed by.
 */
export function wavHeader(f: WavWriteFormat, dataBytes: number | null): Buffer {
  checkFormat(f);
  const size = wavHeaderSize(f);
  const h = Buffer.alloc(size);
  const width = bytesPerSample(f);
  const pcm = f.encoding === 'pcm16';
  const riffSize = dataBytes === null ? PLACEHOLDER : size - 8 + dataBytes + (dataBytes % 2);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(riffSize, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(pcm ? 16 : 18, 16);
  h.writeUInt16LE(pcm ? 1 : f.encoding === 'ulaw' ? 7 : 6, 20);
  h.writeUInt16LE(f.channels, 22);
  h.writeUInt32LE(f.sampleRate, 24);
  h.writeUInt32LE(f.sampleRate * f.channels * width, 28);
  h.writeUInt16LE(f.channels * width, 32);
  h.writeUInt16LE(8 * width, 34);
  if (!pcm) {
    h.writeUInt16LE(0, 36); // cbSize: no extra format bytes
    h.write('fact', 38, 'latin1');
    h.writeUInt32LE(4, 42);
    h.writeUInt32LE(dataBytes === null ? 0 : Math.floor(dataBytes / f.channels), 46);
  }
  h.write('data', size - 8, 'latin1');
  h.writeUInt32LE(dataBytes === null ? PLACEHOLDER : dataBytes, size - 4);
  return h;
}

/** Interleaved 16-bit samples to the bytes of the data chunk. */
export function encodeFrames(f: WavWriteFormat, samples: Int16Array): Buffer {
  if (samples.length % f.channels !== 0)
    throw new RangeError(
      `sample count ${samples.length} is not a whole number of ${f.channels}-channel frames`,
    );
  if (f.encoding !== 'pcm16') return encodeG711(samples, f.encoding);
  const out = Buffer.allocUnsafe(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 2 * i);
  return out;
}

/** A complete WAV file in memory (prompts, tests). */
export function encodeWav(f: WavWriteFormat, samples: Int16Array): Buffer {
  const data = encodeFrames(f, samples);
  const pad = data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([wavHeader(f, data.length), data, pad]);
}

const noop = (): void => {};

/** Marks a promise as handled (no unhandledRejection if the caller drops it); it still rejects. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(noop);
  return p;
}

/**
 * Appends frames to a WAV file on disk. Operations run in call order on one
 * queue; the first I/O failure is kept and fails every later call, `finish()`
 * included, so a caller awaiting only `finish()` still learns of it.
 */
export class WavFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0; // data bytes on disk
  private queued = 0; // data bytes accepted (written + pending)
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private finishing: Promise<WavFileSummary> | null = null;
  private closing: Promise<void> | null = null;
  private readonly headerSize: number;
  private readonly flushBytes: number;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly format: WavWriteFormat,
    options: WavFileWriterOptions,
  ) {
    this.headerSize = wavHeaderSize(format);
    this.flushBytes = options.flushBytes ?? 16 * 1024;
  }

  /** Creates the file and writes the header with placeholder sizes. */
  static async create(
    path: string,
    format: WavWriteFormat,
    options: WavFileWriterOptions = {},
  ): Promise<WavFileWriter> {
    const header = wavHeader(format, null);
    const fh = await open(path, options.overwrite ? 'w' : 'wx');
    try {
      await fh.write(header, 0, header.length, 0);
    } catch (err) {
      await fh.close().catch(noop);
      throw err;
    }
    return new WavFileWriter(fh, path, format, options);
  }

  /** Frames accepted so far (written or buffered). */
  get frames(): number {
    return this.queued / (bytesPerSample(this.format) * this.format.channels);
  }

  get durationMs(): number {
    return (this.frames * 1000) / this.format.sampleRate;
  }

  /**
   * Queues interleaved samples; the promise settles once they have been handed to
   * the disk (or at once when they only went to the buffer). Writing after
   * finish()/close() or past 4 GiB throws: both are the caller's mistake.
   */
  write(samples: Int16Array): Promise<void> {
    if (this.finishing || this.closing) throw new Error(`WavFileWriter: ${this.path} is closed`);
    const bytes = encodeFrames(this.format, samples);
    if (this.headerSize + this.queued + bytes.length + 1 > MAX_RIFF + 8)
      throw new WavError('too-large', 'WAV file would exceed 4 GiB');
    if (this.failure) return handled(Promise.reject(this.failure));
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.queued += bytes.length;
    return this.pendingBytes >= this.flushBytes ? this.flush() : Promise.resolve();
  }

  /** Writes what is buffered. */
  flush(): Promise<void> {
    if (this.pendingBytes === 0) return this.queue;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return this.enqueue(async () => {
      await this.writeFully(chunk, this.headerSize + this.written);
      this.written += chunk.length;
    });
  }

  /** Flushes, pads, patches the sizes, fsyncs and closes. Once; later calls share the result. */
  finish(): Promise<WavFileSummary> {
    if (this.closing && !this.finishing)
      return Promise.reject(new Error(`WavFileWriter: ${this.path} is closed`));
    this.finishing ??= this.doFinish();
    return this.finishing;
  }

  private async doFinish(): Promise<WavFileSummary> {
    this.flush().catch(noop);
    try {
      await this.enqueue(async () => {
        if (this.written % 2 === 1) await this.writeFully(Buffer.alloc(1), this.headerSize + this.written);
        await this.writeFully(wavHeader(this.format, this.written), 0);
        await this.fh.sync();
      });
    } finally {
      this.closing = this.fh.close().catch(noop);
      await this.closing;
    }
    return { path: this.path, frames: this.frames, dataBytes: this.written, durationMs: this.durationMs };
  }

  /** Closes without finishing (the header keeps its placeholders). Idempotent. */
  close(): Promise<void> {
    if (this.finishing) return this.finishing.then(noop, noop);
    this.closing ??= this.queue.then(
      () => this.fh.close(),
      () => this.fh.close(),
    );
    return this.closing.catch(noop);
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.failure) throw this.failure;
      return op();
    });
    this.queue = run.catch((err: unknown) => {
      this.failure ??= err;
    });
    // A caller that drops this promise is told again by finish().
    return handled(run);
  }

  private async writeFully(buf: Buffer, position: number): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, position + off);
      off += bytesWritten;
    }
  }
}
