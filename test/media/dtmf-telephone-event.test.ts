/**
 * RFC 4733 telephone-events, sending side: the payload's bits on the wire, round
 * trips, and the sender's schedule (marker, updates on one timestamp, the E-bit
 * triplet, the minimum length, segments past 0xFFFF).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTMF_DIGITS, eventCodeOf, signalOfEventCode } from '../../src/media/dtmf/digits.js';
import {
  decodeTelephoneEvent,
  encodeTelephoneEvent,
  MAX_EVENT_DURATION,
  type TelephoneEvent,
  TelephoneEventSender,
  type TimedTelephoneEventPacket,
  telephoneEventPackets,
} from '../../src/media/dtmf/telephone-event.js';

const summary = (ps: TimedTelephoneEventPacket[]) =>
  ps.map((p) => ({ at: p.sendAt, m: p.marker, ts: p.timestamp, e: p.event.end, d: p.event.duration }));

describe('event codes (RFC 4733 §3.2)', () => {
  it('numbers the digits 0-9, * 10, # 11, A-D 12-15 and flash 16', () => {
    expect(DTMF_DIGITS.map(eventCodeOf)).toEqual([...Array(16).keys()]);
    expect(eventCodeOf('*')).toBe(10);
    expect(eventCodeOf('#')).toBe(11);
    expect(eventCodeOf('D')).toBe(15);
    expect(eventCodeOf('flash')).toBe(16);
    expect(signalOfEventCode(11)).toBe('#');
    expect(signalOfEventCode(16)).toBe('flash');
    expect(signalOfEventCode(17)).toBeNull();
    expect(signalOfEventCode(32)).toBeNull();
  });
});

describe('telephone-event payload (RFC 4733 §2.3)', () => {
  it('lays out event, E, R, volume and duration as on the wire', () => {
    const wire = encodeTelephoneEvent({ event: 5, end: true, volume: 10, duration: 800 });
    expect(wire.toString('hex')).toBe('058a0320');
    expect(decodeTelephoneEvent(wire)).toEqual({
      ok: true,
      event: { event: 5, end: true, volume: 10, duration: 800 },
    });
  });

  it('ignores the R bit and octets past the first block', () => {
    const r = decodeTelephoneEvent(Buffer.from('0b4affff00000000', 'hex'));
    expect(r).toEqual({ ok: true, event: { event: 11, end: false, volume: 10, duration: 0xffff } });
  });

  it('round-trips every field', () => {
    const event = fc.record({
      event: fc.integer({ min: 0, max: 255 }),
      end: fc.boolean(),
      volume: fc.integer({ min: 0, max: 63 }),
      duration: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(event, (e: TelephoneEvent) => {
        expect(decodeTelephoneEvent(encodeTelephoneEvent(e))).toEqual({ ok: true, event: e });
      }),
      { seed: 4733 },
    );
  });

  it('refuses a payload shorter than one block, and out-of-range fields on encode', () => {
    expect(decodeTelephoneEvent(Buffer.from('0580', 'hex')).ok).toBe(false);
    expect(decodeTelephoneEvent(new Uint8Array(0)).ok).toBe(false);
    expect(() => encodeTelephoneEvent({ event: 256, end: false, volume: 0, duration: 0 })).toThrow(
      RangeError,
    );
    expect(() => encodeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).toThrow(RangeError);
    expect(() => encodeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 0x10000 })).toThrow(
      RangeError,
    );
  });
});

describe('sending an event (RFC 4733 §2.5.1)', () => {
  it('sends a marked first packet, updates on one timestamp, then the end three times', () => {
    const ps = telephoneEventPackets('5', { timestamp: 1000, durationMs: 100 });
    expect(summary(ps)).toEqual([
      { at: 160, m: true, ts: 1000, e: false, d: 160 },
      { at: 320, m: false, ts: 1000, e: false, d: 320 },
      { at: 480, m: false, ts: 1000, e: false, d: 480 },
      { at: 640, m: false, ts: 1000, e: false, d: 640 },
      { at: 800, m: false, ts: 1000, e: true, d: 800 },
      { at: 960, m: false, ts: 1000, e: true, d: 800 },
      { at: 1120, m: false, ts: 1000, e: true, d: 800 },
    ]);
    for (const p of ps) {
      expect(p.event.event).toBe(5);
      expect(p.event.volume).toBe(10);
      expect(decodeTelephoneEvent(p.payload)).toEqual({ ok: true, event: p.event });
    }
  });

  it('holds a short press for the minimum length, and rounds up to whole packets', () => {
    const short = telephoneEventPackets('1', { timestamp: 0, durationMs: 30 });
    expect(short.filter((p) => p.event.end).map((p) => p.event.duration)).toEqual([800, 800, 800]);
    const odd = telephoneEventPackets('1', { timestamp: 0, durationMs: 110 });
    expect(odd.at(-1)?.event.duration).toBe(960);
    const custom = telephoneEventPackets('1', { timestamp: 0, durationMs: 10, minDurationMs: 40 });
    expect(custom.at(-1)?.event.duration).toBe(320);
  });

  it('follows the packetization and volume it is given; flash is sent with volume 0', () => {
    const ps = telephoneEventPackets('#', { timestamp: 7, durationMs: 200, packetTicks: 400, volume: 6 });
    expect(summary(ps).map((p) => p.d)).toEqual([400, 800, 1200, 1600, 1600, 1600]);
    expect(ps.every((p) => p.event.volume === 6 && p.event.event === 11)).toBe(true);
    const flash = telephoneEventPackets('flash', { timestamp: 0, durationMs: 100 });
    expect(flash.every((p) => p.event.volume === 0 && p.event.event === 16)).toBe(true);
  });

  it('marks the one packet of an event that fits in a single interval, and only its first copy', () => {
    const ps = telephoneEventPackets('9', { timestamp: 0, durationMs: 20, minDurationMs: 0 });
    expect(summary(ps)).toEqual([
      { at: 160, m: true, ts: 0, e: true, d: 160 },
      { at: 320, m: false, ts: 0, e: true, d: 160 },
      { at: 480, m: false, ts: 0, e: true, d: 160 },
    ]);
  });

  it('splits an event past 0xFFFF units into segments (§2.5.1.3)', () => {
    const t0 = 0xffff8000; // the second segment's timestamp wraps past 2^32
    const ps = telephoneEventPackets('0', { timestamp: t0, durationMs: 10_000 });
    const t1 = (t0 + MAX_EVENT_DURATION) >>> 0;
    expect(t1).toBe(0x7fff);
    expect(ps.filter((p) => p.marker)).toHaveLength(1);
    expect(ps[0]?.marker).toBe(true);
    // The first segment ends at 0xFFFF without E, sent three times.
    const seg0Final = ps.filter((p) => p.timestamp === t0 && p.event.duration === MAX_EVENT_DURATION);
    expect(seg0Final).toHaveLength(3);
    expect(seg0Final.every((p) => !p.event.end)).toBe(true);
    // The event's end is the second segment's, with the rest of the 80000 units.
    const ends = ps.filter((p) => p.event.end);
    expect(ends).toHaveLength(3);
    expect(ends.every((p) => p.timestamp === t1 && p.event.duration === 80_000 - MAX_EVENT_DURATION)).toBe(
      true,
    );
    // Within each segment durations only grow, and packets go out in time order.
    for (const ts of [t0, t1]) {
      const ds = ps.filter((p) => p.timestamp === ts).map((p) => p.event.duration);
      expect(ds).toEqual([...ds].sort((a, b) => a - b));
    }
    const at = ps.map((p) => p.sendAt);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(ps.at(-1)?.sendAt).toBe(80_000 + 2 * 160);
  });

  it('drives a held key live: start, ticks, stop, and a next key while the end repeats go out', () => {
    const s = new TelephoneEventSender();
    expect(s.busy).toBe(false);
    expect(s.tick()).toEqual([]);
    s.start('7', 5000);
    const first = s.tick();
    expect(first.map((p) => [p.marker, p.event.duration])).toEqual([[true, 160]]);
    for (let i = 0; i < 10; i++) s.tick();
    s.stop();
    const end = s.tick();
    expect(end.map((p) => [p.event.end, p.event.duration])).toEqual([[true, 1920]]);
    expect(s.busy).toBe(true);
    s.start('8', 7000);
    const mixed = s.tick();
    // The old event's end copy first, then the new event's marked first packet.
    expect(mixed.map((p) => [p.timestamp, p.marker, p.event.event, p.event.end])).toEqual([
      [5000, false, 7, true],
      [7000, true, 8, false],
    ]);
    expect(s.tick().map((p) => p.timestamp)).toEqual([5000, 7000]);
    expect(s.tick().map((p) => p.timestamp)).toEqual([7000]);
    expect(() => s.start('9', 9000)).toThrow();
  });

  it('keeps sending a stopped key until it reaches the minimum length', () => {
    const s = new TelephoneEventSender({ minDurationMs: 100 });
    s.start('3', 0);
    s.stop();
    const ds: [boolean, number][] = [];
    while (s.busy) for (const p of s.tick()) ds.push([p.event.end, p.event.duration]);
    expect(ds).toEqual([
      [false, 160],
      [false, 320],
      [false, 480],
      [false, 640],
      [true, 800],
      [true, 800],
      [true, 800],
    ]);
  });
});
