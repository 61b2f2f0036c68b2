/** RTP packets: a known packet on the wire, round trips of generated ones, and refusals. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRtp, type RtpPacket, seqAfter, serializeRtp } from '../../src/media/rtp/packet.js';

describe('RTP packets (RFC 3550 §5.1)', () => {
  it('reads a G.711 packet as it appears on the wire', () => {
    const wire = Buffer.concat([Buffer.from('80e00457000007d0deadbeef', 'hex'), Buffer.alloc(160, 0xff)]);
    const r = parseRtp(wire);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packet).toMatchObject({
      marker: true,
      payloadType: 96,
      sequence: 0x0457,
      timestamp: 2000,
      ssrc: 0xdeadbeef,
    });
    expect(r.packet.payload.length).toBe(160);
    expect(serializeRtp(r.packet).equals(wire)).toBe(true);
  });

  it('round-trips generated packets with CSRCs and header extensions', () => {
    const packet = fc.record({
      marker: fc.boolean(),
      payloadType: fc.integer({ min: 0, max: 127 }).filter((pt) => pt < 72 || pt > 76),
      sequence: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.integer({ min: 0, max: 0xffffffff }),
      ssrc: fc.integer({ min: 0, max: 0xffffffff }),
      csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
      extension: fc.option(
        fc.record({
          profile: fc.integer({ min: 0, max: 0xffff }),
          data: fc.integer({ min: 0, max: 8 }).map((w) => Buffer.alloc(w * 4, 7)),
        }),
      ),
      payload: fc.uint8Array({ maxLength: 320 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(packet, (p: RtpPacket) => {
        const r = parseRtp(serializeRtp(p));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.packet).toEqual(p);
      }),
    );
  });

  it('strips padding, and refuses what is not RTP', () => {
    const padded = Buffer.concat([
      Buffer.from('a0000001000000000000000a', 'hex'),
      Buffer.from([1, 2, 3, 0, 0, 3]),
    ]);
    const r = parseRtp(padded);
    expect(r.ok && [...r.packet.payload]).toEqual([1, 2, 3]);
    const bad = (hex: string) => parseRtp(Buffer.from(hex, 'hex'));
    expect(bad('8000')).toMatchObject({ ok: false, reason: 'shorter than the fixed header' });
    expect(bad('400000010000000000000001')).toMatchObject({ ok: false, reason: 'not RTP version 2' });
    expect(bad('830000010000000000000001')).toMatchObject({
      ok: false,
      reason: 'CSRC list longer than the packet',
    });
    expect(bad('900000010000000000000001bede0005')).toMatchObject({ ok: false });
    expect(bad('a0000001000000000000000aff')).toMatchObject({ ok: false, reason: 'bad padding length' });
    expect(bad('80c80001000000000000000a')).toMatchObject({ ok: false, reason: 'an RTCP packet' });
  });

  it('orders sequence numbers across the wrap', () => {
    expect(seqAfter(1, 0)).toBe(true);
    expect(seqAfter(0, 0xffff)).toBe(true);
    expect(seqAfter(0xffff, 0)).toBe(false);
    expect(seqAfter(5, 5)).toBe(false);
  });
});
