/**
 * Latching only on a packet that belongs to the call (issue 12): a sender that is
 * not the leg's phone (another host spraying the port range) never decides where
 * the leg is, and its packets are neither relayed nor recorded; once latched, the
 * stream's SSRC is pinned until a new SDP; RTCP counts only from the latched host.
 * On an SRTP leg only a packet whose tag verifies may latch (rtpengine
 * CVE-2025-53399). Real UDP on loopback: the "other host" binds 127.0.0.2.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MediaEndpoint, MediaEngine, type RemoteMedia } from '../../src/media/engine.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import { buildCompound, parseCompound } from '../../src/media/rtp/rtcp.js';
import { SrtpContext } from '../../src/media/rtp/srtp.js';

interface Peer {
  rtp: Socket;
  port: number;
  got: Buffer[];
}

async function peer(host = '127.0.0.1'): Promise<Peer> {
  const rtp = createSocket('udp4');
  await new Promise<void>((r) => rtp.bind(0, host, r));
  const p: Peer = { rtp, port: rtp.address().port, got: [] };
  rtp.on('message', (m) => p.got.push(m));
  return p;
}

function remote(p: Peer): RemoteMedia {
  return {
    address: '127.0.0.1',
    port: p.port,
    audioPt: 0,
    recvAudioPt: 0,
    codec: 'ulaw',
    telephoneEventPt: 101,
    recvTelephoneEventPt: 101,
    send: true,
  };
}

function packet(pt: number, seq: number, ssrc: number, fill: number): Buffer {
  return serializeRtp({
    marker: false,
    payloadType: pt,
    sequence: seq,
    timestamp: seq * 160,
    ssrc,
    csrc: [],
    extension: null,
    payload: Buffer.alloc(160, fill),
  });
}

async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every packet relayed to `p` carries payload octets `fill` only. */
function onlyFill(p: Peer, fill: number): boolean {
  return p.got.every((m) => m.subarray(12).every((x) => x === fill));
}

describe('latching on packets that belong to the call', () => {
  let engine: MediaEngine;
  let a: MediaEndpoint;
  let b: MediaEndpoint;
  let pa: Peer;
  let pb: Peer;
  let sprayer: Peer;

  beforeAll(async () => {
    engine = await MediaEngine.start({
      bindAddress: '0.0.0.0',
      advertiseAddress: '127.0.0.1',
      portMin: 41400,
      portMax: 41419,
      workers: 1,
    });
  });
  afterAll(async () => {
    await engine.close();
  });

  async function call(): Promise<void> {
    [pa, pb, sprayer] = [await peer(), await peer(), await peer('127.0.0.2')];
    a = await engine.open();
    b = await engine.open(a);
    a.setRemote(remote(pa));
    b.setRemote(remote(pb));
    a.bridge(b);
    await a.stats();
  }

  async function hangup(): Promise<void> {
    await Promise.all([a.close(), b.close()]);
    for (const p of [pa, pb, sprayer]) p.rtp.close();
  }

  it('does not latch on a wrong payload type, a bad version or inconsistent header lengths', async () => {
    await call();
    // B latches first so that what A's port takes can be relayed to it.
    pb.rtp.send(packet(0, 1, 0xb, 0x55), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    const bogus: Buffer[] = [];
    bogus.push(packet(18, 1, 0xe, 0x22)); // G.729: not negotiated on this leg
    bogus.push(packet(96, 1, 0xe, 0x22)); // a dynamic type nobody negotiated
    bogus.push(packet(13, 1, 0xe, 0x22)); // comfort noise: never negotiated, so it cannot latch
    const v1 = packet(0, 1, 0xe, 0x22);
    v1[0] = 0x40; // RTP version 1
    bogus.push(v1);
    const csrc = packet(0, 1, 0xe, 0x22).subarray(0, 40);
    csrc[0] = 0x8f; // 15 CSRCs (60 octets) in a 40-octet packet
    bogus.push(csrc);
    const ext = packet(0, 1, 0xe, 0x22);
    ext[0] = 0x90; // an extension whose length runs past the packet
    ext.writeUInt16BE(0xffff, 14);
    bogus.push(ext);
    const pad = packet(0, 1, 0xe, 0x22);
    pad[0] = 0xa0; // padding that would eat into the header
    pad[pad.length - 1] = 0xff;
    bogus.push(pad);
    const zeroPad = packet(0, 1, 0xe, 0x22);
    zeroPad[0] = 0xa0;
    zeroPad[zeroPad.length - 1] = 0;
    bogus.push(zeroPad);
    for (const m of bogus) sprayer.rtp.send(m, a.port, '127.0.0.1');
    await until(async () => (await statsOf(a)).malformedDropped >= bogus.length);
    expect((await a.stats())?.latchedTo).toBeNull();
    expect(pb.got).toHaveLength(0);
    // The phone's own first packet latches, and then the sprayer's valid packets are foreign.
    pa.rtp.send(packet(0, 1, 0xa, 0x11), a.port, '127.0.0.1');
    await until(() => pb.got.length === 1);
    for (let i = 0; i < 10; i++) sprayer.rtp.send(packet(0, 100 + i, 0xe, 0x22), a.port, '127.0.0.1');
    pa.rtp.send(packet(0, 2, 0xa, 0x11), a.port, '127.0.0.1');
    await until(() => pb.got.length === 2);
    const s = await a.stats();
    expect(s?.latchedTo).toBe(`127.0.0.1:${pa.port}`);
    expect(s?.packetsReceived).toBe(2);
    expect(onlyFill(pb, 0x11)).toBe(true);
    await hangup();
  });

  it('moves a latch taken by a quicker sprayer to the address the SDP names when the phone speaks', async () => {
    await call();
    pb.rtp.send(packet(0, 1, 0xb, 0x55), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    // A valid-looking packet from elsewhere is a guess (a NAT'd phone would look like this)...
    sprayer.rtp.send(packet(0, 1, 0xe, 0x22), a.port, '127.0.0.1');
    await until(async () => (await statsOf(a)).latchedTo === `127.0.0.2:${sprayer.port}`);
    // ...until the phone speaks from where its SDP said: it takes the leg, for good.
    pa.rtp.send(packet(0, 1, 0xa, 0x11), a.port, '127.0.0.1');
    await until(async () => (await statsOf(a)).latchedTo === `127.0.0.1:${pa.port}`);
    for (let i = 0; i < 5; i++) sprayer.rtp.send(packet(0, 2 + i, 0xe, 0x22), a.port, '127.0.0.1');
    pa.rtp.send(packet(0, 2, 0xa, 0x11), a.port, '127.0.0.1');
    await until(() => pb.got.filter((m) => m[12] === 0x11).length === 2);
    expect(pb.got.filter((m) => m[12] === 0x22).length).toBeLessThanOrEqual(1);
    // B's audio goes to the phone, not the sprayer.
    pb.rtp.send(packet(0, 2, 0xb, 0x55), b.port, '127.0.0.1');
    await until(() => pa.got.length === 2);
    await hangup();
  });

  it('pins the SSRC: a second stream from the latched address is dropped until a new SDP', async () => {
    await call();
    pb.rtp.send(packet(0, 1, 0xb, 0x55), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    pa.rtp.send(packet(0, 1, 0xa, 0x11), a.port, '127.0.0.1');
    await until(() => pb.got.length === 1);
    // Same address, another SSRC, while the phone's stream flows: not the call's stream.
    for (let i = 0; i < 5; i++) {
      pa.rtp.send(packet(0, 500 + i, 0xdead, 0x33), a.port, '127.0.0.1');
      pa.rtp.send(packet(0, 2 + i, 0xa, 0x11), a.port, '127.0.0.1');
    }
    await until(() => pb.got.length === 6);
    expect((await a.stats())?.foreignDropped).toBe(5);
    expect(onlyFill(pb, 0x11)).toBe(true);
    // A re-INVITE's SDP lets the phone's new stream in.
    a.setRemote(remote(pa));
    await a.stats();
    pa.rtp.send(packet(0, 900, 0xbeef, 0x44), a.port, '127.0.0.1');
    await until(() => pb.got.length === 7);
    expect(pb.got[6]!.subarray(12).every((x) => x === 0x44)).toBe(true);
    await hangup();
  });

  it('takes RTCP only from the host the media latched to', async () => {
    await call();
    pb.rtp.send(packet(0, 1, 0xb, 0x55), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    const ourSsrc = pa.got[0]!.readUInt32BE(8);
    const report = (ssrc: number) =>
      buildCompound({
        ssrc,
        sender: null,
        blocks: [
          {
            ssrc: ourSsrc,
            fractionLost: 128,
            cumulativeLost: 10,
            extendedHighestSeq: 1,
            jitter: 0,
            lsr: 0,
            dlsr: 0,
          },
        ],
        cname: 'x',
        bye: false,
      });
    expect(parseCompound(report(0xa))).not.toBeNull();
    // Before A's media latched nobody's reports count; afterwards, not another host's.
    sprayer.rtp.send(report(0xe), a.port + 1, '127.0.0.1');
    await until(async () => (await statsOf(a)).foreignDropped >= 1);
    pa.rtp.send(packet(0, 1, 0xa, 0x11), a.port, '127.0.0.1');
    await until(() => pb.got.length === 1);
    sprayer.rtp.send(report(0xe), a.port + 1, '127.0.0.1');
    await until(async () => (await statsOf(a)).foreignDropped >= 2);
    expect((await a.stats())?.remoteLossRatio).toBeNull();
    pa.rtp.send(report(0xa), a.port + 1, '127.0.0.1');
    await until(async () => (await statsOf(a)).remoteLossRatio !== null);
    await hangup();
  });
});

describe('latching on an SRTP leg only after the tag verifies', () => {
  const PHONE_KEY = Buffer.alloc(30, 0x21);
  const OUR_KEY = Buffer.alloc(30, 0x42);
  let engine: MediaEngine;

  beforeAll(async () => {
    engine = await MediaEngine.start({
      bindAddress: '0.0.0.0',
      advertiseAddress: '127.0.0.1',
      portMin: 41420,
      portMax: 41439,
      workers: 1,
    });
  });
  afterAll(async () => {
    await engine.close();
  });

  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`${suite}: sprayed plain RTP and forged SRTP never latch nor reach the other leg`, async () => {
      const [pa, pb, sprayer] = [await peer(), await peer(), await peer('127.0.0.2')];
      const a = await engine.open();
      const b = await engine.open(a);
      a.setRemote({
        ...remote(pa),
        srtp: { suite, recvKey: PHONE_KEY.toString('base64'), sendKey: OUR_KEY.toString('base64') },
      });
      b.setRemote(remote(pb));
      a.bridge(b);
      await a.stats();
      const phoneOut = new SrtpContext(suite, PHONE_KEY);
      const phoneIn = new SrtpContext(suite, OUR_KEY);
      const forger = new SrtpContext(suite, Buffer.alloc(30, 0x99));
      pb.rtp.send(packet(0, 1, 0xb, 0x55), b.port, '127.0.0.1');
      await until(() => pa.got.length === 1);
      // What the SRTP phone gets is SRTP in our key: it decrypts to B's audio.
      expect(
        phoneIn
          .unprotectRtp(pa.got[0]!)
          ?.subarray(12)
          .every((x) => x === 0x55),
      ).toBe(true);
      // A sprayer before the phone's first packet: plain RTP, a wrong key, a flipped tag.
      const sprayed: Buffer[] = [];
      for (let i = 0; i < 5; i++) {
        sprayed.push(packet(0, 10 + i, 0xe, 0x22));
        sprayed.push(forger.protectRtp(packet(0, 20 + i, 0xe, 0x22)));
        const flipped = new SrtpContext(suite, PHONE_KEY).protectRtp(packet(0, 30 + i, 0xe, 0x22));
        flipped[flipped.length - 1]! ^= 0x01;
        sprayed.push(flipped);
      }
      for (const m of sprayed) sprayer.rtp.send(m, a.port, '127.0.0.1');
      await until(async () => (await statsOf(a)).malformedDropped >= sprayed.length);
      expect((await a.stats())?.latchedTo).toBeNull();
      expect(pb.got).toHaveLength(0);
      // The phone's authenticated packet latches; B hears it decrypted.
      const first = phoneOut.protectRtp(packet(0, 1, 0xa, 0x11));
      pa.rtp.send(first, a.port, '127.0.0.1');
      await until(() => pb.got.length === 1);
      expect(onlyFill(pb, 0x11)).toBe(true);
      // A captured packet replayed by the sprayer, and more forgeries: nothing more reaches B.
      sprayer.rtp.send(first, a.port, '127.0.0.1');
      for (const m of sprayed) sprayer.rtp.send(m, a.port, '127.0.0.1');
      pa.rtp.send(phoneOut.protectRtp(packet(0, 2, 0xa, 0x11)), a.port, '127.0.0.1');
      pa.rtp.send(phoneOut.protectRtp(packet(0, 3, 0xa, 0x11)), a.port, '127.0.0.1');
      // (Once latched the port is connected to the phone: the kernel drops the rest.)
      await until(() => pb.got.length === 3);
      expect(pb.got).toHaveLength(3);
      expect(onlyFill(pb, 0x11)).toBe(true);
      expect((await a.stats())?.latchedTo).toBe(`127.0.0.1:${pa.port}`);
      await Promise.all([a.close(), b.close()]);
      for (const p of [pa, pb, sprayer]) p.rtp.close();
    });
  }
});

async function statsOf(e: MediaEndpoint) {
  const s = await e.stats();
  if (!s) throw new Error('no stats');
  return s;
}
