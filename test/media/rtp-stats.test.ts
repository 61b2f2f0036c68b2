/** RFC 3550 Appendix A statistics and the E-model MOS on streams with known damage. */
import { describe, expect, it } from 'vitest';
import { estimateMos, ReceiveStats } from '../../src/media/rtp/stats.js';

/** A 20 ms G.711 stream: packet n has seq start+n, timestamp 160n, sent at 20n ms. */
function feed(stats: ReceiveStats, ns: number[], start = 0, arrival = (n: number) => 20 * n): void {
  for (const n of ns) stats.onPacket((start + n) & 0xffff, (160 * n) >>> 0, arrival(n));
}

describe('receive statistics', () => {
  it('counts nothing lost and no jitter on a perfect stream', () => {
    const s = new ReceiveStats();
    feed(
      s,
      Array.from({ length: 500 }, (_, i) => i),
    );
    expect(s.report()).toMatchObject({ received: 500, expected: 500, lost: 0, fractionLost: 0, jitter: 0 });
  });

  it('counts losses across the 16-bit wrap, and the fraction per report interval', () => {
    const s = new ReceiveStats();
    const ns = Array.from({ length: 200 }, (_, i) => i).filter((n) => n % 10 !== 5); // 10 % lost
    feed(s, ns.slice(0, 90), 65_500);
    const first = s.report();
    expect(first.expected).toBe(ns[89]! + 1);
    expect(first.lost).toBe(10);
    expect(first.fractionLost).toBeCloseTo(10 / 100, 5);
    feed(s, ns.slice(90), 65_500);
    const second = s.report();
    expect(second.extendedHighestSeq).toBe(65_500 + 199); // past 65535: one cycle counted
    expect(second.lost).toBe(20);
    expect(second.fractionLost).toBeCloseTo(10 / 100, 5);
  });

  it('measures jitter from arrival spread (A.8) in timestamp units and ms', () => {
    const s = new ReceiveStats();
    // Arrivals alternate 5 ms early and late: |D| = 10 ms = 80 units each time.
    feed(
      s,
      Array.from({ length: 400 }, (_, i) => i),
      0,
      (n) => 20 * n + (n % 2 ? 5 : -5),
    );
    const r = s.report();
    expect(r.jitter).toBeCloseTo(80, 0);
    expect(r.jitterMs).toBeCloseTo(10, 0);
  });

  it('ignores one stray far-off packet, and follows a stream that really restarted', () => {
    const s = new ReceiveStats();
    feed(s, [0, 1, 2, 3]);
    s.onPacket(40_000, 0, 100); // stray
    feed(s, [4, 5]);
    expect(s.report()).toMatchObject({ received: 6, lost: 0 });
    s.onPacket(30_000, 0, 200);
    s.onPacket(30_001, 160, 220); // confirmed: the sender restarted
    s.onPacket(30_002, 320, 240);
    expect(s.report()).toMatchObject({ received: 2, expected: 2, lost: 0 });
  });
});

describe('MOS estimate (E-model)', () => {
  it('gives toll quality to a clean call and falls with loss and jitter', () => {
    const clean = estimateMos({ lossRatio: 0, jitterMs: 0 });
    expect(clean).toBeGreaterThan(4.3);
    expect(clean).toBeLessThanOrEqual(4.5);
    const lossy = estimateMos({ lossRatio: 0.05, jitterMs: 0 });
    const jittery = estimateMos({ lossRatio: 0, jitterMs: 120 });
    expect(lossy).toBeLessThan(clean);
    expect(lossy).toBeGreaterThan(3);
    expect(jittery).toBeLessThan(clean);
    expect(estimateMos({ lossRatio: 0.5, jitterMs: 200 })).toBeLessThan(2);
  });
});
