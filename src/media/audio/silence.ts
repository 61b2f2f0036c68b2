/**
 * Energy-based silence detection over a sliding window of frames: a frame is
 * "quiet" when the mean energy of the window ending with it is below a threshold.
 * The window keeps short gaps inside speech (stops, breaths) from counting as
 * silence; the threshold is in dBFS, 0 being the RMS of a full-scale square wave.
 */

export interface SilenceDetectorOptions {
  /** Below this the window is quiet: -45 dBFS is under speech (-15..-30) and over line noise (-60..-70). */
  thresholdDbfs?: number;
  windowMs?: number;
  frameMs?: number;
}

const FULL_SCALE_SQUARED = 32768 * 32768;

/** Mean square of the samples (0 for an empty frame). */
export function meanSquare(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i]! * samples[i]!;
  return s / samples.length;
}

/** Level of a mean square in dBFS (-Infinity for digital silence). */
export function dbfs(meanSq: number): number {
  return 10 * Math.log10(meanSq / FULL_SCALE_SQUARED);
}

export class SilenceDetector {
  private readonly threshold: number; // as a mean square
  private readonly energies: Float64Array;
  private filled = 0;
  private next = 0;
  private sum = 0;

  constructor(options: SilenceDetectorOptions = {}) {
    const db = options.thresholdDbfs ?? -45;
    this.threshold = FULL_SCALE_SQUARED * 10 ** (db / 10);
    const frames = Math.max(1, Math.round((options.windowMs ?? 100) / (options.frameMs ?? 20)));
    this.energies = new Float64Array(frames);
  }

  /** Takes one frame; true when the window ending with it is quiet. */
  push(frame: Int16Array): boolean {
    const e = meanSquare(frame);
    this.sum += e - this.energies[this.next]!;
    this.energies[this.next] = e;
    this.next = (this.next + 1) % this.energies.length;
    if (this.filled < this.energies.length) this.filled++;
    // The running sum is recomputed now and then so float error cannot build up over hours.
    if (this.next === 0) this.sum = this.energies.reduce((a, b) => a + b, 0);
    return this.sum / this.filled < this.threshold;
  }

  reset(): void {
    this.energies.fill(0);
    this.filled = 0;
    this.next = 0;
    this.sum = 0;
  }
}
