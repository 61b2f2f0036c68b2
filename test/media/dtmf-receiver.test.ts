/**
 * RFC 4733 telephone-events, receiving side: what the sender sends comes out as one
 * digit per event, reported on start and on end, whatever loss, duplication and
 * reordering do to the packets in between.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTMF_DIGITS, type DtmfSignal } from '../../src/media/dtmf/digits.js';
import { encodeTelephoneEvent, telephoneEventPackets } from '../../src/media/dtmf/telephone-event.js';
import {
  type DtmfEvent,
  type ReceivedEventPacket,
  TelephoneEventReceiver,
} from '../../src/media/dtmf/telephone-event-receiver.js';

/** A packet as it leaves the sender: what the receiver is given, and when (ms). */
interface Wire {
  packet: ReceivedEventPacket;
  atMs: number;
}

/**
 * The packets of a string of events, as an RTP session would number them: one
 * event every `gapMs` (timestamps and time at 8 kHz), sequence numbers from `seq0`.
 */
function wire(
  signals: DtmfSignal[],
  opts: { durationMs?: number; gapMs?: number; ts0?: number; seq0?: number } = {},
) {
  const out: Wire[] = [];
  let seq = opts.seq0 ?? 1000;
  signals.forEach((signal, i) => {
    const startTicks = i * (opts.gapMs ?? 400) * 8;
    const ts = ((opts.ts0 ?? 160_000) + startTicks) >>> 0;
    for (const p of telephoneEventPackets(signal, { timestamp: ts, durationMs: opts.durationMs ?? 100 })) {
      out.push({
        packet: { sequence: seq++ & 0xffff, timestamp: p.timestamp, marker: p.marker, payload: p.payload },
        atMs: (startTicks + p.sendAt) / 8,
      });
    }
  });
  return out;
}

/** Feeds packets in the order given (each at its own time), then lets `tailMs` pass. */
function receive(packets: Wire[], tailMs = 2000, receiver = new TelephoneEventReceiver()): DtmfEvent[] {
  const out: DtmfEvent[] = [];
  let now = 0;
  for (const w of packets) {
    now = Math.max(now, w.atMs);
    out.push(...receiver.process({ kind: 'packet', packet: w.packet, nowMs: now }));
  }
  for (let t = now; t <= now + tailMs; t += 20) out.push(...receiver.process({ kind: 'tick', nowMs: t }));
  return out;
}

const digitsOf = (events: DtmfEvent[]) =>
  events.map((e) => (e.type === 'start' ? `+${e.signal}` : `-${e.signal}:${e.duration}:${e.cause}`));

describe('receiving telephone-events (RFC 4733 §2.5.2)', () => {
  it('reports every digit and flash once, on start and on end, despite the three end packets', () => {
    const all: DtmfSignal[] = [...DTMF_DIGITS, 'flash'];
    const events = receive(wire(all));
    expect(digitsOf(events)).toEqual(all.flatMap((s) => [`+${s}`, `-${s}:800:end`]));
    const end = events[1];
    expect(end).toMatchObject({ type: 'end', timestamp: 160_000, durationMs: 100 });
  });

  it('reports the start on the first packet, before the key is released (barge-in)', () => {
    const r = new TelephoneEventReceiver();
    const [first, second] = wire(['5']);
    expect(r.process({ kind: 'packet', packet: first!.packet, nowMs: 20 })).toEqual([
      { type: 'start', signal: '5', timestamp: 160_000 },
    ]);
    expect(r.process({ kind: 'packet', packet: second!.packet, nowMs: 40 })).toEqual([]);
  });

  it('starts the digit from an update when the marked first packet is lost', () => {
    const ps = wire(['1', '2']).filter((w) => !w.packet.marker);
    expect(digitsOf(receive(ps))).toEqual(['+1', '-1:800:end', '+2', '-2:800:end']);
  });

  it('reports a digit of which only one end packet arrived', () => {
    const ps = wire(['3']).slice(-1);
    expect(digitsOf(receive(ps))).toEqual(['+3', '-3:800:end']);
  });

  it('ends a digit whose end packets were all lost, after the timeout', () => {
    const ps = wire(['4'], { durationMs: 200 }).filter((w) => decodeEnd(w) === false);
    const r = new TelephoneEventReceiver({ timeoutMs: 500 });
    const lastAt = ps.at(-1)!.atMs;
    const events: DtmfEvent[] = [];
    for (const w of ps) events.push(...r.process({ kind: 'packet', packet: w.packet, nowMs: w.atMs }));
    expect(r.process({ kind: 'tick', nowMs: lastAt + 500 })).toEqual([]);
    events.push(...r.process({ kind: 'tick', nowMs: lastAt + 520 }));
    expect(digitsOf(events)).toEqual(['+4', '-4:1440:timeout']);
  });

  it('ends a digit whose end packets were lost when the next one starts', () => {
    const ps = wire(['6', '6']).filter((w) => !(w.packet.timestamp === 160_000 && decodeEnd(w)));
    expect(digitsOf(receive(ps))).toEqual(['+6', '-6:640:next-event', '+6', '-6:800:end']);
  });

  it('ignores duplicated packets', () => {
    const ps = wire(['7', '8']).flatMap((w) => [w, w]);
    expect(digitsOf(receive(ps))).toEqual(['+7', '-7:800:end', '+8', '-8:800:end']);
  });

  it('takes reordered packets: updates after the end, the start after an update', () => {
    const ps = wire(['9']);
    // 0: start, 1-3: updates, 4-6: ends. Deliver 1, 0, 2, 4, 3, 5, 6.
    const order = [1, 0, 2, 4, 3, 5, 6].map((i) => ps[i]!);
    const events = receive(order);
    expect(digitsOf(events)).toEqual(['+9', '-9:800:end']);
  });

  it('drops a late packet of the previous event that arrives after the next one started', () => {
    const ps = wire(['1', '2']);
    const lateEnd = ps.findLast((w) => w.packet.timestamp === 160_000)!;
    const rest = ps.filter((w) => w !== lateEnd);
    const firstOfTwo = rest.findIndex((w) => w.packet.timestamp !== 160_000);
    rest.splice(firstOfTwo + 1, 0, lateEnd);
    expect(digitsOf(receive(rest))).toEqual(['+1', '-1:800:end', '+2', '-2:800:end']);
  });

  it('drops a late packet of an event never seen once later packets were processed', () => {
    const ps = wire(['1', '2', '3']);
    // Every packet of '2' is lost but one, which arrives after '3' started.
    const two = ps.filter((w) => w.packet.timestamp === 160_000 + 3200);
    const rest = ps.filter((w) => w.packet.timestamp !== 160_000 + 3200);
    rest.push(two[2]!);
    expect(digitsOf(receive(rest))).toEqual(['+1', '-1:800:end', '+3', '-3:800:end']);
  });

  it('joins the segments of an event past 0xFFFF units into one digit (§2.5.1.3)', () => {
    const events = receive(wire(['#'], { durationMs: 10_000, ts0: 0xffff8000 }));
    expect(digitsOf(events)).toEqual(['+#', '-#:80000:end']);
    expect(events[1]).toMatchObject({ timestamp: 0xffff8000, durationMs: 10_000 });
  });

  it('joins segments when the first segment lost its final packets and the new marker-less one starts', () => {
    const ps = wire(['0'], { durationMs: 9000 }).filter(
      (w) => !(w.packet.timestamp === 160_000 && decodeDuration(w) === 0xffff),
    );
    expect(digitsOf(receive(ps))).toEqual(['+0', '-0:72000:end']);
  });

  it('carries on across sequence-number wrap and a timestamp that jumps back', () => {
    const a = wire(['1'], { seq0: 0xfffd, ts0: 900_000 });
    const b = wire(['2'], { seq0: 0xfffd + a.length, ts0: 5000 }).map((w) => ({ ...w, atMs: w.atMs + 400 }));
    expect(digitsOf(receive([...a, ...b]))).toEqual(['+1', '-1:800:end', '+2', '-2:800:end']);
  });

  it('ignores events that are not DTMF and payloads that are not events', () => {
    const r = new TelephoneEventReceiver();
    const fax = encodeTelephoneEvent({ event: 36, end: false, volume: 10, duration: 160 });
    expect(r.process({ kind: 'packet', packet: pkt(1, 100, fax), nowMs: 0 })).toEqual([]);
    expect(r.process({ kind: 'packet', packet: pkt(2, 100, Buffer.from([1, 2])), nowMs: 20 })).toEqual([]);
    expect(r.process({ kind: 'tick', nowMs: 5000 })).toEqual([]);
  });

  it('ignores a different event code on the timestamp of the open event', () => {
    const r = new TelephoneEventReceiver();
    const five = encodeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 160 });
    const six = encodeTelephoneEvent({ event: 6, end: true, volume: 10, duration: 320 });
    expect(r.process({ kind: 'packet', packet: pkt(1, 100, five), nowMs: 0 })).toHaveLength(1);
    expect(r.process({ kind: 'packet', packet: pkt(2, 100, six), nowMs: 20 })).toEqual([]);
  });

  it('forgets the stream on reset (a new SSRC)', () => {
    const r = new TelephoneEventReceiver();
    const ps = wire(['5']);
    for (const w of ps.slice(0, 2)) r.process({ kind: 'packet', packet: w.packet, nowMs: w.atMs });
    r.reset();
    expect(r.process({ kind: 'tick', nowMs: 10_000 })).toEqual([]);
    expect(digitsOf(receive(ps, 0, r))).toEqual(['+5', '-5:800:end']);
  });

  it('keeps digits in order and reports each once under loss, duplication and local reordering', () => {
    const signals = fc.array(fc.constantFrom<DtmfSignal>(...DTMF_DIGITS, 'flash'), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(signals, fc.infiniteStream(fc.nat(99)), (sigs, dice) => {
        const ps = wire(sigs);
        const roll = () => dice.next().value as number;
        const delivered: Wire[] = [];
        for (const ts of new Set(ps.map((w) => w.packet.timestamp))) {
          const own = ps.filter((w) => w.packet.timestamp === ts);
          // Lose up to 60 % of an event's packets but never all, duplicate 20 %,
          // and swap neighbours within the event 30 % of the time.
          let kept = own.filter(() => roll() >= 60);
          if (kept.length === 0) kept = [own[roll() % own.length]!];
          kept = kept.flatMap((w) => (roll() < 20 ? [w, w] : [w]));
          for (let i = 0; i + 1 < kept.length; i++)
            if (roll() < 30) [kept[i], kept[i + 1]] = [kept[i + 1]!, kept[i]!];
          delivered.push(...kept);
        }
        const events = receive(delivered);
        expect(events.filter((e) => e.type === 'start').map((e) => e.signal)).toEqual(sigs);
        expect(events.filter((e) => e.type === 'end').map((e) => e.signal)).toEqual(sigs);
        for (const e of events) if (e.type === 'end') expect(e.duration).toBeLessThanOrEqual(800);
        // Starts and ends alternate.
        expect(events.map((e) => e.type)).toEqual(sigs.flatMap(() => ['start', 'end']));
      }),
      { seed: 4733, numRuns: 300 },
    );
  });
});

function pkt(sequence: number, timestamp: number, payload: Buffer): ReceivedEventPacket {
  return { sequence, timestamp, marker: false, payload };
}

function decodeEnd(w: Wire): boolean {
  return (w.packet.payload[1]! & 0x80) !== 0;
}

function decodeDuration(w: Wire): number {
  return (w.packet.payload[2]! << 8) | w.packet.payload[3]!;
}
