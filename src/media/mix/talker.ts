/**
 * Talker detection for one conference participant: who is speaking, for the UI
 * (a lit-up tile) and the CDR (talk time), not for choosing what is mixed.
 *
 * The level is the energy of each frame (20 ms: the short window), in dBFS with
 * 0 dB the RMS of a full-scale square wave, as in audio/silence.ts. Hysteresis
 * both ways keeps the state from flickering:
 * - in time: talking starts after `startMs` of consecutive frames above
 *   `startDbfs` (a cough, a click or a door is shorter), and stops only after
 *   `stopMs` of consecutive frames below `stopDbfs` (the pauses between words and
 *   sentences are shorter);
 * - in level: `stopDbfs` sits under `startDbfs`, so a speaker trailing off
 *   between the two keeps talking but a murmur at that level does not start.
 * Counting whole frames, a sound shorter than startMs - frameMs (40 ms by
 * default) never starts talking, whatever its alignment with the frames.
 */

export interface TalkerDetectorOptions {
  /** Level a frame must exceed to count towards a start (-40: quiet speech is -30..-35, line noise -60). */
  startDbfs?: number;
  /** Level under which a frame counts towards a stop. */
  stopDbfs?: number;
  /** Sound needed before talking starts. */
  startMs?: number;
  /** Quiet needed before talking stops. */
  stopMs?: number;
  frameMs?: number;
}

export type TalkerTransition = 'talking-start' | 'talking-stop';

const FULL_SCALE_SQUARED = 32768 * 32768;

/** The mean square of samples at a level in dBFS. */
export function meanSquareOfDbfs(db: number): number {
  return FULL_SCALE_SQUARED * 10 ** (db / 10);
}

export class TalkerDetector {
  private readonly startLevel: number;
  private readonly stopLevel: number;
  private readonly startFrames: number;
  private readonly stopFrames: number;
  private isTalking = false;
  /** Consecutive frames pointing at the other state. */
  private run = 0;

  constructor(options: TalkerDetectorOptions = {}) {
    const startDb = options.startDbfs ?? -40;
    const stopDb = options.stopDbfs ?? startDb - 5;
    if (stopDb > startDb) throw new RangeError('stopDbfs must not be above startDbfs');
    this.startLevel = meanSquareOfDbfs(startDb);
    this.stopLevel = meanSquareOfDbfs(stopDb);
    const frameMs = options.frameMs ?? 20;
    this.startFrames = Math.max(1, Math.round((options.startMs ?? 60) / frameMs));
    this.stopFrames = Math.max(1, Math.round((options.stopMs ?? 600) / frameMs));
  }

  get talking(): boolean {
    return this.isTalking;
  }

  /** Takes the mean square of one frame (0 for a missing one); returns the state change, if any. */
  process(meanSq: number): TalkerTransition | null {
    if (!this.isTalking) {
      this.run = meanSq > this.startLevel ? this.run + 1 : 0;
      if (this.run < this.startFrames) return null;
      this.isTalking = true;
      this.run = 0;
      return 'talking-start';
    }
    this.run = meanSq < this.stopLevel ? this.run + 1 : 0;
    if (this.run < this.stopFrames) return null;
    this.isTalking = false;
    this.run = 0;
    return 'talking-stop';
  }

  /** Back to not talking; true when it was talking (the caller owes a talking-stop). */
  reset(): boolean {
    const was = this.isTalking;
    this.isTalking = false;
    this.run = 0;
    return was;
  }
}
