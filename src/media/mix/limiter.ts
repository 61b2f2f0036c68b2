/**
 * Turns a conference mix, summed in 32 bits, into 16-bit samples without ever
 * wrapping around (Int16Array stores 40000 as -25536: a loud sum would become a
 * crack of the opposite sign) and without the harsh square-topped clipping of a
 * plain clamp when several loud speakers add up.
 *
 * Two stages:
 * - a gain limiter per output stream: when a frame's peak would pass the knee,
 *   the gain falls to bring it under, reaching the new gain within `ATTACK_MS`
 *   and climbing back to 1 with a `RELEASE_MS` time constant. The gain is ramped
 *   sample by sample, never stepped, so it adds no click at frame edges;
 * - a soft clipper for what the ramp lets through in the attack: linear up to
 *   the knee, then bending smoothly (tanh, slope 1 at the knee) towards full
 *   scale, which it never reaches.
 * Signals that stay under the knee (-2.5 dBFS peak) pass bit-exact at gain 1,
 * which is every conference but a shouting match. The gain is always positive
 * and both stages are odd and monotonic, so the output keeps the sign of the
 * sum at every sample and is never louder than it.
 */

/** Where limiting starts: 3/4 of full scale. */
export const KNEE = 24576;
const HEADROOM = 32767 - KNEE;
export const ATTACK_MS = 5;
export const RELEASE_MS = 150;
/** Close enough to unity (-0.004 dB) to go back to the bit-exact path. */
const UNITY_SNAP = 5e-4;

/** Linear up to the knee, then a tanh curve towards (never onto) full scale. */
export function softClip(x: number): number {
  if (x > KNEE) return KNEE + HEADROOM * Math.tanh((x - KNEE) / HEADROOM);
  if (x < -KNEE) return -KNEE - HEADROOM * Math.tanh((-x - KNEE) / HEADROOM);
  return x;
}

export class Limiter {
  /** Gain at the end of the last frame; the next frame's ramp starts here. */
  gain = 1;
  private readonly attackSamples: number;
  private readonly release: number;

  constructor(frameSamples: number, sampleRate = 8000) {
    this.attackSamples = Math.max(1, Math.min(frameSamples, Math.round((ATTACK_MS * sampleRate) / 1000)));
    this.release = Math.exp(-frameSamples / ((RELEASE_MS * sampleRate) / 1000));
  }

  /**
   * out[i] = limited(sum[i] - minus[i]): the mix minus one participant's own
   * voice (N-1 mixing) when `minus` is given. All three have the same length.
   */
  process(sum: Int32Array, minus: Int16Array | null, out: Int16Array): void {
    const n = out.length;
    let peak = 0;
    if (minus) {
      for (let i = 0; i < n; i++) {
        const v = Math.abs(sum[i]! - minus[i]!);
        if (v > peak) peak = v;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = Math.abs(sum[i]!);
        if (v > peak) peak = v;
      }
    }
    const from = this.gain;
    if (from === 1 && peak <= KNEE) {
      // The common case: integers under the knee, copied as they are.
      if (minus) for (let i = 0; i < n; i++) out[i] = sum[i]! - minus[i]!;
      else for (let i = 0; i < n; i++) out[i] = sum[i]!;
      return;
    }
    const target = peak > KNEE ? KNEE / peak : 1;
    let to: number;
    let rampLength: number;
    if (target < from) {
      to = target;
      rampLength = this.attackSamples;
    } else {
      // Release: approach 1 exponentially, but never above what this frame allows.
      to = Math.min(target, 1 - (1 - from) * this.release);
      if (1 - to < UNITY_SNAP) to = 1;
      rampLength = n;
    }
    const step = (to - from) / rampLength;
    for (let i = 0; i < n; i++) {
      const g = i < rampLength ? from + step * (i + 1) : to;
      const x = minus ? sum[i]! - minus[i]! : sum[i]!;
      out[i] = Math.round(softClip(x * g));
    }
    this.gain = to;
  }
}
