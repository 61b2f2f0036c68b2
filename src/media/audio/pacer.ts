/**
 * The 20 ms clock that sends media. Frame n belongs to the instant start + n*frameMs,
 * computed from n every time, never by adding up the delays of earlier wake-ups:
 * timers fire late by a few ms, and accumulating that lateness would make a
 * 50 packets/s stream drift into 49.
 *
 * `Pacer` is the pure core: given the time, it says how many frames are due and
 * when to wake next. After a stall (GC pause, blocked event loop) it catches up at
 * most `maxBurst` frames and gives up the older slots instead of sending seconds
 * of audio at once, which the far end's jitter buffer would drop anyway while the
 * call's latency grew for good. `PacerTimer` drives it with setTimeout.
 */

export interface PacerOptions {
  /** Time of frame 0, on the same clock as the `now` passed to process(). */
  startMs: number;
  frameMs?: number;
  /** Most frames produced in one tick when behind; older due frames are skipped. */
  maxBurst?: number;
}

export interface PacerTick {
  /** Frames to produce now, in order. */
  readonly frames: number;
  /** Index (from 0) of the first of them. */
  readonly firstFrame: number;
  /** Slots given up before them because the process was stalled. */
  readonly skipped: number;
  /** When the next frame is due: wake then. */
  readonly nextWakeMs: number;
}

export const DEFAULT_FRAME_MS = 20;
/** 100 ms: about what a receiver's jitter buffer absorbs in one burst. */
export const DEFAULT_MAX_BURST = 5;

export class Pacer {
  readonly startMs: number;
  readonly frameMs: number;
  readonly maxBurst: number;
  private next = 0;
  private skippedTotal = 0;

  constructor(options: PacerOptions) {
    this.startMs = options.startMs;
    this.frameMs = options.frameMs ?? DEFAULT_FRAME_MS;
    this.maxBurst = options.maxBurst ?? DEFAULT_MAX_BURST;
    if (!(this.frameMs > 0)) throw new RangeError('frameMs must be positive');
    if (!Number.isInteger(this.maxBurst) || this.maxBurst < 1)
      throw new RangeError('maxBurst must be an integer >= 1');
  }

  /** Index of the next frame to produce. */
  get nextFrame(): number {
    return this.next;
  }

  /** Slots skipped over the pacer's life. */
  get skipped(): number {
    return this.skippedTotal;
  }

  /** Time at which frame n is due. */
  dueAt(n: number): number {
    return this.startMs + n * this.frameMs;
  }

  process(nowMs: number): PacerTick {
    // Frames whose instant has come: every n with start + n*frame <= now.
    const due = nowMs < this.startMs ? 0 : Math.floor((nowMs - this.startMs) / this.frameMs) + 1;
    let behind = due - this.next;
    let skipped = 0;
    if (behind > this.maxBurst) {
      // Keep the newest slots, so the stream is back on schedule after this tick.
      skipped = behind - this.maxBurst;
      this.next += skipped;
      this.skippedTotal += skipped;
      behind = this.maxBurst;
    }
    const frames = Math.max(0, behind);
    const firstFrame = this.next;
    this.next += frames;
    return { frames, firstFrame, skipped, nextWakeMs: this.dueAt(this.next) };
  }
}

/** Time and timers, injectable so the adapter itself can be tested without waiting. */
export interface PacerClock {
  now(): number;
  after(ms: number, fn: () => void): { cancel(): void };
}

/** Monotonic time (performance.now, unaffected by wall-clock steps) and unref'd timeouts. */
export const systemPacerClock: PacerClock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface PacerTimerOptions extends Omit<PacerOptions, 'startMs'> {
  clock?: PacerClock;
  /** A throw from onTick stops the timer and lands here (default: rethrown). */
  onError?: (err: unknown) => void;
}

/**
 * Runs a Pacer on real timers: calls `onTick` whenever frames are due (the first
 * on the next turn of the event loop), until close().
 */
export class PacerTimer {
  private readonly pacer: Pacer;
  private readonly clock: PacerClock;
  private timer: { cancel(): void } | null = null;
  private isClosed = false;

  constructor(
    private readonly onTick: (tick: PacerTick) => void,
    private readonly options: PacerTimerOptions = {},
  ) {
    this.clock = options.clock ?? systemPacerClock;
    this.pacer = new Pacer({ ...options, startMs: this.clock.now() });
    // Frame 0 is due now, but onTick is never called from inside the constructor.
    this.timer = this.clock.after(0, this.wake);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get nextFrame(): number {
    return this.pacer.nextFrame;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private wake = (): void => {
    this.timer = null;
    if (this.isClosed) return;
    const tick = this.pacer.process(this.clock.now());
    if (tick.frames > 0) {
      try {
        this.onTick(tick);
      } catch (err) {
        this.close();
        if (this.options.onError) this.options.onError(err);
        else throw err;
        return;
      }
      if (this.isClosed) return; // closed from inside onTick
    }
    // Whole milliseconds, rounded up: waking a fraction early would only cost an empty pass.
    const delay = Math.max(0, Math.ceil(tick.nextWakeMs - this.clock.now()));
    this.timer = this.clock.after(delay, this.wake);
  };
}
