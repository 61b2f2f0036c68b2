/**
 * A participant's input FIFO in front of the conference mixer: RTP arrives
 * whenever the network delivers it, the mixer takes one frame per 20 ms tick.
 * Two packets landing in one tick interval (jitter, a burst after a delay) are
 * played over two ticks instead of one being lost; the queue is bounded so a
 * sender whose clock runs fast, or a burst after a long stall, costs at most
 * `maxFrames` frames of latency: the oldest samples are dropped on overflow.
 *
 * It counts samples, not packets, so a phone sending 10 or 30 ms packets still
 * feeds whole 20 ms frames; a frame is taken only once all of it is there, so a
 * short queue plays silence for that tick rather than a frame with a hole in it.
 */

export class InputQueue {
  private readonly ring: Int16Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly frameSamples: number,
    readonly maxFrames: number,
  ) {
    if (!Number.isInteger(frameSamples) || frameSamples < 1)
      throw new RangeError('frameSamples must be an integer >= 1');
    if (!Number.isInteger(maxFrames) || maxFrames < 1)
      throw new RangeError('maxFrames must be an integer >= 1');
    this.ring = new Int16Array(frameSamples * maxFrames);
  }

  /** Samples waiting. */
  get length(): number {
    return this.count;
  }

  /** Copies the samples in (the caller may reuse its buffer); returns how many old samples were dropped. */
  push(samples: Int16Array): number {
    const cap = this.ring.length;
    let src = samples;
    let dropped = 0;
    if (src.length > cap) {
      // Only the newest `cap` samples could survive anyway.
      dropped = src.length - cap;
      src = src.subarray(dropped);
    }
    const overflow = this.count + src.length - cap;
    if (overflow > 0) {
      this.head = (this.head + overflow) % cap;
      this.count -= overflow;
      dropped += overflow;
    }
    const tail = (this.head + this.count) % cap;
    const first = Math.min(src.length, cap - tail);
    this.ring.set(src.subarray(0, first), tail);
    if (first < src.length) this.ring.set(src.subarray(first), 0);
    this.count += src.length;
    return dropped;
  }

  /** Moves one whole frame into `out` (frameSamples long); false, and `out` untouched, when short. */
  take(out: Int16Array): boolean {
    const n = this.frameSamples;
    if (this.count < n) return false;
    const cap = this.ring.length;
    const first = Math.min(n, cap - this.head);
    out.set(this.ring.subarray(this.head, this.head + first));
    if (first < n) out.set(this.ring.subarray(0, n - first), first);
    this.head = (this.head + n) % cap;
    this.count -= n;
    return true;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
