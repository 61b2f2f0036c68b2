/**
 * In-band DTMF detector, for calls whose phone sends neither RFC 4733 nor INFO.
 *
 * A pure core: 16-bit linear PCM in, in frames of any length, digit start and end
 * reports out, positions counted in samples from the first one fed. The signal is
 * cut into blocks (102 samples, 12.75 ms, by default: short enough that a 40 ms tone
 * holds two whole blocks, long enough that a Goertzel filter's first null, 8000/102
 * = 78 Hz off, falls near the next row frequency, 73-89 Hz away), and each block is
 * judged by block-classifier.ts.
 *
 * Timing, as ITU-T Q.24 asks of a receiver: a digit starts after enough consecutive
 * digit blocks to fill minOnMs, ends after enough other blocks to fill minOffMs, and
 * is reported once however long it is held. A break of up to 10 ms inside a digit
 * (a noise burst, a click, a glitch) does not split it in two.
 */
import {
  type BlockClassifierOptions,
  DEFAULT_TONE_ENERGY_RATIO,
  DtmfBlockClassifier,
} from './block-classifier.js';
import type { DtmfDigit } from './digits.js';

export interface DtmfDetectorOptions extends BlockClassifierOptions {
  /** Shortest tone reported. */
  minOnMs?: number;
  /** Shortest pause that separates two digits. */
  minOffMs?: number;
}

export type DtmfToneEvent =
  /** atSample: where the tone was first heard (the start of its first whole block). */
  | { type: 'start'; digit: DtmfDigit; atSample: number }
  /** atSample: where the tone was last heard (the end of its last whole block). */
  | { type: 'end'; digit: DtmfDigit; atSample: number; durationMs: number };

/**
 * Blocks certain to lie wholly inside any tone of `samples` samples, whatever the
 * alignment: requiring that many consecutive digit blocks lets every tone of minOnMs
 * count (and tones down to that many blocks, 25.5 ms by default, may count too).
 */
function blocksInside(samples: number, n: number): number {
  return Math.max(1, Math.floor((samples - (n - 1)) / n));
}

/**
 * Blocks certain to be spoiled by any pause of `samples` samples. A block with more
 * than `spoil` samples of silence fails the purity test, so a pause spoils the blocks
 * it covers partly too; requiring that many consecutive misses ends a digit on every
 * pause of minOffMs (3 blocks for 40 ms), while a break of 10 ms, which spoils at most
 * two blocks, leaves it whole.
 */
function blocksSpoiled(samples: number, n: number, spoil: number): number {
  return Math.max(1, Math.floor((samples + n - 2 * spoil) / n));
}

export class DtmfDetector {
  private readonly classifier: DtmfBlockClassifier;
  private readonly rate: number;
  private readonly onBlocks: number;
  private readonly offBlocks: number;
  private readonly block: Float64Array;
  private fill = 0;
  /** Samples consumed before the block being filled. */
  private position = 0;
  /** The latest run of identical verdicts: its digit (or null), length in blocks and first sample. */
  private runDigit: DtmfDigit | null = null;
  private runLength = 0;
  private runStart = 0;
  private current: DtmfDigit | null = null;
  private currentStart = 0;
  private lastHitEnd = 0;
  private misses = 0;

  constructor(options: DtmfDetectorOptions = {}) {
    this.classifier = new DtmfBlockClassifier(options);
    this.rate = options.sampleRate ?? 8000;
    const n = this.classifier.blockSize;
    this.block = new Float64Array(n);
    this.onBlocks = blocksInside(((options.minOnMs ?? 40) * this.rate) / 1000, n);
    // A block fails purity once silence takes more than (1 - ratio) of it.
    const spoil = Math.ceil((1 - (options.minToneEnergyRatio ?? DEFAULT_TONE_ENERGY_RATIO)) * n);
    this.offBlocks = blocksSpoiled(((options.minOffMs ?? 40) * this.rate) / 1000, n, spoil);
  }

  /** Feeds samples; returns the starts and ends decided by the blocks they complete. */
  process(samples: Int16Array): DtmfToneEvent[] {
    const out: DtmfToneEvent[] = [];
    const n = this.block.length;
    for (let i = 0; i < samples.length; ) {
      const take = Math.min(n - this.fill, samples.length - i);
      for (let k = 0; k < take; k++) this.block[this.fill + k] = samples[i + k]!;
      this.fill += take;
      i += take;
      if (this.fill === n) {
        this.onBlock(this.classifier.classify(this.block).digit, out);
        this.position += n;
        this.fill = 0;
      }
    }
    return out;
  }

  /**
   * End of the stream: a digit still held ends where its tone was last heard. A
   * partly filled block stays, to be completed if more samples come.
   */
  flush(): DtmfToneEvent[] {
    const out: DtmfToneEvent[] = [];
    if (this.current !== null) this.end(out);
    this.runDigit = null;
    this.runLength = 0;
    return out;
  }

  /** Back to the state of a new detector, positions counting from 0 again. */
  reset(): void {
    this.fill = 0;
    this.position = 0;
    this.runDigit = null;
    this.runLength = 0;
    this.current = null;
    this.misses = 0;
  }

  private onBlock(hit: DtmfDigit | null, out: DtmfToneEvent[]): void {
    const start = this.position;
    const end = start + this.block.length;
    if (hit === this.runDigit) this.runLength++;
    else {
      this.runDigit = hit;
      this.runLength = 1;
      this.runStart = start;
    }
    if (this.current !== null) {
      if (hit === this.current) {
        this.misses = 0;
        this.lastHitEnd = end;
        return;
      }
      this.misses++;
      const otherDigitHeld = hit !== null && this.runLength >= this.onBlocks;
      if (this.misses < this.offBlocks && !otherDigitHeld) return;
      this.end(out);
    }
    if (this.runDigit !== null && this.runLength >= this.onBlocks) {
      this.current = this.runDigit;
      this.currentStart = this.runStart;
      this.lastHitEnd = end;
      this.misses = 0;
      out.push({ type: 'start', digit: this.current, atSample: this.currentStart });
    }
  }

  private end(out: DtmfToneEvent[]): void {
    const digit = this.current!;
    this.current = null;
    out.push({
      type: 'end',
      digit,
      atSample: this.lastHitEnd,
      durationMs: ((this.lastHitEnd - this.currentStart) * 1000) / this.rate,
    });
  }
}
