/**
 * The 20 ms media clock: a minute of jittery wake-ups yields exactly 3000 frames,
 * each sent within one timer jitter of its slot (no drift); a stall catches up a
 * bounded burst and skips the rest; the timer adapter runs on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { Pacer, type PacerClock, type PacerTick, PacerTimer } from '../../src/media/audio/pacer.js';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Pacer', () => {
  it('produces exactly 3000 frames in 60 s of timers waking 0-8 ms late, none lagging more than the jitter', () => {
    for (const seed of [1, 2, 3]) {
      const rnd = random(seed);
      const start = 1_000_000.25; // an arbitrary monotonic origin, not a multiple of 20
      const pacer = new Pacer({ startMs: start });
      const sentAt: number[] = [];
      let now = start;
      while (now < start + 60_000) {
        const tick = pacer.process(now);
        expect(tick.skipped).toBe(0);
        for (let i = 0; i < tick.frames; i++) sentAt[tick.firstFrame + i] = now;
        now = tick.nextWakeMs + rnd() * 8; // the timer fires late by 0..8 ms
      }
      expect(sentAt.length).toBe(3000);
      const lags = sentAt.map((t, n) => t - (start + n * 20));
      expect(Math.min(...lags)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...lags)).toBeLessThanOrEqual(8);
    }
  });

  it('does not drift even when every wake-up is late (the delays are not added up)', () => {
    const pacer = new Pacer({ startMs: 0 });
    let now = 0;
    let frames = 0;
    for (let i = 0; i < 3000; i++) {
      frames += pacer.process(now).frames;
      now = pacer.process(now).nextWakeMs + 7; // always 7 ms late
    }
    // A timer re-armed "20 ms from now" would have reached only 3000 * 20 / 27 frames by now.
    expect(frames).toBe(Math.floor(now / 20)); // the slot at `now` is still to come
    expect(pacer.nextFrame).toBe(frames);
  });

  it('catches up a short stall in one burst', () => {
    const pacer = new Pacer({ startMs: 0 });
    expect(pacer.process(0)).toEqual({ frames: 1, firstFrame: 0, skipped: 0, nextWakeMs: 20 });
    // 70 ms late: slots 1 (20 ms), 2, 3, 4 (80 ms) are due.
    expect(pacer.process(90)).toEqual({ frames: 4, firstFrame: 1, skipped: 0, nextWakeMs: 100 });
    expect(pacer.process(100)).toEqual({ frames: 1, firstFrame: 5, skipped: 0, nextWakeMs: 120 });
  });

  it('after a 500 ms stall sends at most maxBurst frames and skips the older slots', () => {
    const pacer = new Pacer({ startMs: 0, maxBurst: 5 });
    for (let t = 0; t <= 1000; t += 20) pacer.process(t); // frames 0..50 on time
    expect(pacer.nextFrame).toBe(51);
    const tick = pacer.process(1520); // woke 500 ms late: slots 51..76 are due (26)
    expect(tick).toEqual({ frames: 5, firstFrame: 72, skipped: 21, nextWakeMs: 1540 });
    expect(pacer.skipped).toBe(21);
    // Back on schedule at once: no further burst.
    expect(pacer.process(1540)).toEqual({ frames: 1, firstFrame: 77, skipped: 0, nextWakeMs: 1560 });
  });

  it('produces nothing before the start or when woken early', () => {
    const pacer = new Pacer({ startMs: 100 });
    expect(pacer.process(50)).toEqual({ frames: 0, firstFrame: 0, skipped: 0, nextWakeMs: 100 });
    expect(pacer.process(100).frames).toBe(1);
    expect(pacer.process(119.9)).toEqual({ frames: 0, firstFrame: 1, skipped: 0, nextWakeMs: 120 });
  });

  it('takes other frame lengths and checks its options', () => {
    const pacer = new Pacer({ startMs: 0, frameMs: 30 });
    pacer.process(0);
    expect(pacer.process(61)).toMatchObject({ frames: 2, nextWakeMs: 90 });
    expect(() => new Pacer({ startMs: 0, frameMs: 0 })).toThrow(RangeError);
    expect(() => new Pacer({ startMs: 0, maxBurst: 0 })).toThrow(RangeError);
  });
});

/** A clock that moves only when told; timers fire in time order, late by a chosen jitter. */
class FakeClock implements PacerClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  constructor(private readonly jitter: () => number = () => 0) {}
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): { cancel(): void } {
    const id = this.seq++;
    this.timers.push({ at: this.t + ms + this.jitter(), fn, id });
    return { cancel: () => (this.timers = this.timers.filter((x) => x.id !== id)) };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.length;
  }
}

describe('PacerTimer', () => {
  it('drives the pacer from timers: the first frame on the next turn, then one per 20 ms', () => {
    const rnd = random(7);
    const clock = new FakeClock(() => rnd() * 8);
    const ticks: PacerTick[] = [];
    const timer = new PacerTimer((t) => ticks.push(t), { clock });
    expect(ticks.length).toBe(0); // never called from inside the constructor
    clock.advance(8); // the zero-delay timer, late by its jitter
    expect(ticks).toEqual([{ frames: 1, firstFrame: 0, skipped: 0, nextWakeMs: 20 }]);
    clock.advance(60_000 - 8 - 1);
    const frames = ticks.reduce((n, t) => n + t.frames, 0);
    expect(frames).toBe(3000);
    timer.close();
    timer.close(); // idempotent
    expect(timer.closed).toBe(true);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(ticks.reduce((n, t) => n + t.frames, 0)).toBe(3000);
  });

  it('can be closed from inside its own tick', () => {
    const clock = new FakeClock();
    let count = 0;
    const timer: PacerTimer = new PacerTimer(
      () => {
        if (++count === 3) timer.close();
      },
      { clock },
    );
    clock.advance(1000);
    expect(count).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('stops and reports when the tick throws', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const timer = new PacerTimer(
      () => {
        throw new Error('boom');
      },
      { clock, onError: (e) => errors.push(e) },
    );
    clock.advance(100);
    expect(errors).toHaveLength(1);
    expect(timer.closed).toBe(true);
  });

  it('runs on the real clock', async () => {
    let frames = 0;
    let skipped = 0;
    const timer = new PacerTimer((t) => {
      frames += t.frames;
      skipped += t.skipped;
    });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 210));
    // The sleep may last longer on a loaded machine: count against the time that really passed.
    const slots = Math.floor((performance.now() - t0) / 20) + 1;
    timer.close();
    // One slot per 20 ms since the start; a tick behind, or one more if the close raced a tick.
    expect(frames + skipped).toBeGreaterThanOrEqual(slots - 2);
    expect(frames + skipped).toBeLessThanOrEqual(slots + 1);
  });
});
