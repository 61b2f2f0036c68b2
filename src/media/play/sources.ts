/**
 * Where played audio comes from: 20 ms frames of 8 kHz 16-bit linear PCM, one
 * `next()` per frame, null when the source is finished. Files are decoded once
 * per worker and kept (prompts repeat across calls); tones are generated.
 */
import { readFileSync } from 'node:fs';
import { decodeWav } from '../audio/wav.js';
import type { DtmfDigit } from '../dtmf/digits.js';
import { DualToneGenerator } from '../dtmf/generate.js';
import { ToneGenerator, type ToneName, type ToneRegion, tonePlan } from '../tones.js';

export const FRAME_SAMPLES = 160;

export interface PlayPosition {
  index: number;
  offset: number;
}

export interface FrameSource {
  next(): Int16Array | null;
}

/** Decoded prompts by path. Bounded: an LRU of whole files (a 10 s prompt is 160 KB). */
class PromptCache {
  private readonly entries = new Map<string, Int16Array>();
  private bytes = 0;
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(path: string): Int16Array {
    const hit = this.entries.get(path);
    if (hit) {
      this.entries.delete(path);
      this.entries.set(path, hit);
      return hit;
    }
    const samples = decodeWav(readFileSync(path), { sampleRate: 8000 }).samples;
    this.entries.set(path, samples);
    this.bytes += samples.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes || k === path) break;
      this.entries.delete(k);
      this.bytes -= v.byteLength;
    }
    return samples;
  }
}

export const prompts = new PromptCache();

/**
 * A playlist of WAV files, played back to back. A file that cannot be read or
 * decoded is skipped and reported through `onError` (the rest still plays).
 */
export class FileSource implements FrameSource {
  private index = 0;
  private offset = 0;
  private current: Int16Array | null = null;
  /** Where to resume inside the first file played (music on hold picks up where it stopped). */
  private resumeAt = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly onError: (file: string, err: Error) => void,
    start: PlayPosition = { index: 0, offset: 0 },
  ) {
    if (start.index > 0 && start.index < files.length) this.index = start.index;
    this.resumeAt = Math.max(0, start.offset);
  }

  /** The next sample to play: file index and sample offset. */
  position(): PlayPosition {
    if (this.current && this.offset < this.current.length)
      return { index: this.index - 1, offset: this.offset };
    return { index: this.index, offset: 0 };
  }

  next(): Int16Array | null {
    const frame = new Int16Array(FRAME_SAMPLES);
    let filled = 0;
    while (filled < FRAME_SAMPLES) {
      if (!this.current || this.offset >= this.current.length) {
        if (this.index >= this.files.length) break;
        const file = this.files[this.index++]!;
        this.offset = 0;
        try {
          this.current = prompts.get(file);
          if (this.resumeAt > 0) {
            this.offset = this.resumeAt < this.current.length ? this.resumeAt : 0;
            this.resumeAt = 0;
          }
        } catch (e) {
          this.current = null;
          this.onError(file, e as Error);
          continue;
        }
      }
      const take = Math.min(FRAME_SAMPLES - filled, this.current.length - this.offset);
      frame.set(this.current.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.offset += take;
    }
    // The last frame is padded with silence; nothing at all means the list is done.
    return filled === 0 ? null : frame;
  }
}

/** A call-progress tone (ringback, busy...) in a national plan; cadenced tones repeat until stopped. */
export class ToneSource implements FrameSource {
  private readonly generator: ToneGenerator;
  constructor(region: ToneRegion, name: ToneName) {
    this.generator = new ToneGenerator(tonePlan(region, name));
  }
  next(): Int16Array | null {
    return this.generator.next();
  }
}

/**
 * A key as in-band tones, for a leg that negotiated no telephone-event: sounds
 * while the key is held on the other leg (`release()` at its end), at least
 * `minMs`, then 60 ms of silence so two equal keys stay apart (ITU-T Q.24 pauses).
 */
export class DtmfToneSource implements FrameSource {
  private readonly generator = new DualToneGenerator();
  private frames = 0;
  private released = false;
  private gap = 3;

  constructor(
    digit: DtmfDigit,
    private readonly minMs = 100,
  ) {
    this.generator.setDigit(digit);
  }

  release(): void {
    this.released = true;
  }

  next(): Int16Array | null {
    if (!this.released || this.frames * 20 < this.minMs) {
      this.frames++;
      return this.generator.next(FRAME_SAMPLES);
    }
    if (this.gap-- > 0) return new Int16Array(FRAME_SAMPLES);
    return null;
  }
}
