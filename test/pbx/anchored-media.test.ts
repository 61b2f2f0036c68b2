/**
 * Calls through the B2BUA with media anchored on the relay: each phone sees only
 * our address in SDP, RTP flows (and is transcoded between the laws), hold is
 * carried across as a direction, unusable offers get 488, late offers work, and
 * the call record gets each leg's quality.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { ALAW_TO_LINEAR, encodeG711, linearToUlaw } from '../../src/media/codecs/g711.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp/packet.js';
import { parseSdp, type SessionDescription } from '../../src/media/sdp/index.js';
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { dominantHz } from '../helpers/audio.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';

const DOMAIN = 'media.example.test';
const MOH = resolve(import.meta.dirname, '../../prompts/moh/default.wav');
const PORT_MIN = 43000;
const PORT_MAX = 43199;

type Phone = TestUa & { close(): void; rtp: Socket; rtpPort: number; got: Buffer[] };

function sdp(port: number, codecs: string, extra = ''): Buffer {
  const pts = codecs.split(' ');
  const maps: Record<string, string> = {
    '0': 'PCMU/8000',
    '8': 'PCMA/8000',
    '18': 'G729/8000',
    '101': 'telephone-event/8000',
  };
  return Buffer.from(
    [
      'v=0',
      `o=- 42 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port} RTP/AVP ${codecs}`,
      ...pts.map((pt) => `a=rtpmap:${pt} ${maps[pt]}`),
      ...(pts.includes('101') ? ['a=fmtp:101 0-16'] : []),
      'a=ptime:20',
      ...(extra ? [extra] : []),
      '',
    ].join('\r\n'),
  );
}

function parsed(m: SipRequest | SipResponse): SessionDescription {
  const r = parseSdp(m.body.toString('utf8'));
  if (!r.ok) throw new Error(`not SDP: ${r.error.message}`);
  return r.value;
}

function rtp(pt: number, seq: number, payload: Buffer): Buffer {
  return serializeRtp({
    marker: false,
    payloadType: pt,
    sequence: seq,
    timestamp: seq * 160,
    ssrc: 0x1234,
    csrc: [],
    extension: null,
    payload,
  });
}

describe('anchored media through the B2BUA', () => {
  let fx: SipFixture;
  let pbx: Destination;
  const wire = new Wire();
  const phones: Phone[] = [];

  async function phone(number: string): Promise<Phone> {
    const p = await udpUa(number, wire, systemClock);
    p.credentials = { username: number, password: `s-${number}-secret` };
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const got: Buffer[] = [];
    socket.on('message', (m) => got.push(m));
    const full = Object.assign(p, { rtp: socket, rtpPort: socket.address().port, got });
    phones.push(full);
    const req = p.buildRequest('REGISTER', `sip:${DOMAIN}`, {
      from: `<sip:${number}@${DOMAIN}>`,
      to: `<sip:${number}@${DOMAIN}>`,
      headers: [
        ['Contact', contactFor(p.local, number)],
        ['Expires', '600'],
      ],
    });
    const res = await p.send(req, pbx).done();
    expect(res?.status).toBe(200);
    return full;
  }

  /** The callee answers every INVITE (and re-INVITE) with `answer(offer)`. */
  function answering(
    p: Phone,
    answer: (offer: SipRequest) => Buffer,
    seen: SipRequest[] = [],
    ringMs = 20,
  ): SipRequest[] {
    p.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
      if (!tx) return;
      seen.push(req);
      if (req.headers.get('To')?.includes('tag=')) {
        const res = p.response(req, 200, [['Content-Type', 'application/sdp']]);
        res.body = answer(req);
        tx.respond(res);
        return;
      }
      tx.respond(p.response(req, 180));
      setTimeout(() => p.accept(tx, source, answer(req)), ringMs);
    });
    return seen;
  }

  function call(from: Phone, to: string, body?: Buffer) {
    const req = from.buildRequest('INVITE', `sip:${to}@${DOMAIN}`, {
      from: `<sip:${from.name}@${DOMAIN}>`,
      ...(body ? { body } : {}),
    });
    return from.send(req, pbx);
  }

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      ['301', '302', '303', '304', '305', '306', '307', '308', '309', '310', '311', '312'].map((number) => ({
        number,
      })),
      { media: { bindAddress: '127.0.0.1', portMin: PORT_MIN, portMax: PORT_MAX, workers: 2 } },
    );
    pbx = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
  });
  afterAll(async () => {
    for (const p of phones) {
      p.close();
      p.rtp.close();
    }
    await fx?.close();
  });

  it('puts the relay between the phones, transcodes µ-law to A-law, carries hold, and records quality', async () => {
    const [a, b] = [await phone('301'), await phone('302')];
    const offers = answering(b, (offer) => {
      const o = parsed(offer);
      const dir = o.media[0]!.direction;
      const answerDir = dir === 'sendonly' ? 'a=recvonly' : dir === 'inactive' ? 'a=inactive' : '';
      return sdp(b.rtpPort, '8 101', answerDir);
    });
    const ex = call(a, '302', sdp(a.rtpPort, '0 101'));
    const ok = await ex.done();
    expect(ok?.status).toBe(200);

    // B was offered our relay, with the tenant's preference (PCMA first), never A's address.
    const toB = parsed(offers[0]!);
    expect(toB.media[0]!.connection?.address).toBe('127.0.0.1');
    const bPort = toB.media[0]!.port;
    expect(bPort).toBeGreaterThanOrEqual(PORT_MIN);
    expect(bPort).toBeLessThanOrEqual(PORT_MAX);
    expect(toB.media[0]!.formats.map((f) => f.name)).toEqual(['PCMA', 'PCMU', 'telephone-event']);
    // A got our answer: its own codec (it offered only PCMU), our relay port.
    const toA = parsed(ok!);
    const aPort = toA.media[0]!.port;
    expect(aPort).not.toBe(a.rtpPort);
    expect(aPort).not.toBe(bPort);
    expect(toA.media[0]!.formats.map((f) => f.name)).toEqual(['PCMU', 'telephone-event']);

    // Media both ways through the relay; A's µ-law reaches B as A-law.
    b.rtp.send(rtp(8, 1, Buffer.alloc(160, 0xd5)), bPort, '127.0.0.1');
    await until(() => a.got.length > 0);
    const samples = Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * i) / 8)));
    for (let i = 0; i < 50; i++)
      a.rtp.send(rtp(0, 100 + i, Buffer.from(samples.map(linearToUlaw))), aPort, '127.0.0.1');
    await until(() => b.got.length >= 50);
    const first = parseRtp(b.got[0]!);
    if (!first.ok) throw new Error(first.reason);
    expect(first.packet.payloadType).toBe(8);
    expect(Math.abs(ALAW_TO_LINEAR[first.packet.payload[2]!]! - samples[2]!)).toBeLessThan(600);

    // A puts B on hold: B is re-offered sendonly on the same relay port, version bumped.
    const hold = a.inDialog('INVITE', {
      body: sdp(a.rtpPort, '0 101', 'a=sendonly'),
      contentType: 'application/sdp',
    });
    const held = await hold.done();
    expect(held?.status).toBe(200);
    expect(parsed(held!).media[0]!.direction).toBe('recvonly');
    const reoffer = parsed(offers[1]!);
    expect(reoffer.media[0]!.direction).toBe('sendonly');
    expect(reoffer.media[0]!.port).toBe(bPort);
    expect(reoffer.origin.sessionId).toBe(toB.origin.sessionId);
    expect(BigInt(reoffer.origin.sessionVersion)).toBe(BigInt(toB.origin.sessionVersion) + 1n);
    // On hold, B hears the music on hold from the relay (the built-in piece, from its start).
    const music = decodeWav(readFileSync(MOH), { sampleRate: 8000 }).samples;
    const firstMusic = encodeG711(music.subarray(0, 160), 'alaw');
    await until(() => b.got.some((m) => m.subarray(12).equals(firstMusic)));
    const heldFrom = b.got.findIndex((m) => m.subarray(12).equals(firstMusic));
    await until(() => b.got.length >= heldFrom + 25);
    // Resumed: the music stops and A is heard again.
    const resume = await a
      .inDialog('INVITE', { body: sdp(a.rtpPort, '0 101'), contentType: 'application/sdp' })
      .done();
    expect(parsed(resume!).media[0]!.direction).toBe('sendrecv');
    expect(parsed(offers[2]!).media[0]!.direction).toBe('sendrecv');
    await new Promise((r) => setTimeout(r, 100));
    const afterResume = b.got.length;
    const voice = Buffer.from(samples.map(linearToUlaw));
    for (let i = 0; i < 5; i++) a.rtp.send(rtp(0, 150 + i, voice), aPort, '127.0.0.1');
    await until(() => b.got.length >= afterResume + 5);
    await new Promise((r) => setTimeout(r, 100));
    // Nothing but A's five packets: no more music.
    expect(b.got.length).toBe(afterResume + 5);

    const bye = await a.inDialog('BYE').done();
    expect(bye?.status).toBe(200);
    const ended = async () => {
      const page = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 10, offset: 0 });
      return page.items.find((c) => c.caller === '301' && c.status === 'ended');
    };
    let record = await ended();
    for (let i = 0; !record && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      record = await ended();
    }
    if (!record) throw new Error('no call record');
    expect(record.quality?.caller?.packetsReceived).toBe(55);
    expect(record.quality?.callee?.packetsReceived).toBe(1);
    expect(record.quality?.caller?.mos).toBeGreaterThan(4);
    expect(record.mos).toBeGreaterThan(1);
    expect(fx.sip.media?.load().reduce((x, y) => x + y, 0)).toBe(0);
  });

  it('refuses an offer with no codec it can relay: 488 with a Warning, and nobody rings', async () => {
    const [a, b] = [await phone('303'), await phone('304')];
    const offers = answering(b, () => sdp(b.rtpPort, '8'));
    const res = await call(a, '304', sdp(a.rtpPort, '18')).done();
    expect(res?.status).toBe(488);
    expect(res?.headers.get('Warning')).toMatch(/^305 /);
    const bad = await call(a, '304', Buffer.from('this is not sdp')).done();
    expect(bad?.status).toBe(400);
    expect(offers).toHaveLength(0);
  });

  it('handles a late offer: our offer goes in the 200, the caller answers in its ACK', async () => {
    const [a, b] = [await phone('305'), await phone('306')];
    const offers = answering(b, () => sdp(b.rtpPort, '0'));
    const ok = await call(a, '306').done();
    expect(ok?.status).toBe(200);
    expect(offers[0]!.body.length).toBeGreaterThan(0);
    const ours = parsed(ok!);
    const aPort = ours.media[0]!.port;
    const bPort = parsed(offers[0]!).media[0]!.port;
    // TestUa's ACK carries no SDP; send the answer in a fresh ACK like a late-offer phone.
    const ack = a.dialog.request('ACK', {
      cseq: Number.parseInt(ok!.headers.get('CSeq') ?? '1', 10),
      body: sdp(a.rtpPort, '0'),
      contentType: 'application/sdp',
    });
    a.sender.send(ack, a.dialog.dest);
    await new Promise((r) => setTimeout(r, 50));
    b.rtp.send(rtp(0, 1, Buffer.alloc(160, 0xff)), bPort, '127.0.0.1');
    await until(() => a.got.length > 0);
    a.rtp.send(rtp(0, 1, Buffer.alloc(160, 0xff)), aPort, '127.0.0.1');
    await until(() => b.got.length > 0);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });

  it('answers the echo test (*43): after a beep the caller hears its own audio', async () => {
    const a = await phone('307');
    const ok = await call(a, '*43', sdp(a.rtpPort, '8 101')).done();
    expect(ok?.status).toBe(200);
    const port = parsed(ok!).media[0]!.port;
    await until(() => a.got.length >= 15); // the beep
    await new Promise((r) => setTimeout(r, 500));
    const before = a.got.length;
    const marked = Buffer.alloc(160, 0x2a);
    for (let i = 0; i < 10; i++) a.rtp.send(rtp(8, 700 + i, marked), port, '127.0.0.1');
    await until(() => a.got.length >= before + 10);
    expect(a.got.slice(before).filter((m) => m.subarray(12).equals(marked)).length).toBe(10);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });

  it('reads back keys sent as SIP INFO (*44), and answers a re-INVITE itself', async () => {
    const a = await phone('308');
    const ok = await call(a, '*44', sdp(a.rtpPort, '0')).done();
    expect(ok?.status).toBe(200);
    await until(() => a.got.length >= 15); // the beep
    await new Promise((r) => setTimeout(r, 300));
    const hold = await a
      .inDialog('INVITE', { body: sdp(a.rtpPort, '0', 'a=sendonly'), contentType: 'application/sdp' })
      .done();
    expect(hold?.status).toBe(200);
    expect(parsed(hold!).media[0]!.direction).toBe('recvonly');
    const resume = await a
      .inDialog('INVITE', { body: sdp(a.rtpPort, '0'), contentType: 'application/sdp' })
      .done();
    expect(parsed(resume!).media[0]!.direction).toBe('sendrecv');
    const before = a.got.length;
    for (const key of ['9', '#']) {
      const info = await a
        .inDialog('INFO', {
          body: Buffer.from(`Signal=${key}\r\nDuration=160\r\n`),
          contentType: 'application/dtmf-relay',
        })
        .done();
      expect(info?.status).toBe(200);
    }
    const bad = await a.inDialog('INFO', { body: Buffer.from('hello'), contentType: 'text/plain' }).done();
    expect(bad?.status).toBe(415);
    // "nine" is read back: audio arrives after the keys.
    await until(() => a.got.length >= before + 15);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });

  it("plays ringback in the tenant's national tones while the callee rings without early media", async () => {
    const [a, b] = [await phone('309'), await phone('310')];
    const offers = answering(b, () => sdp(b.rtpPort, '8'), [], 600);
    const ex = call(a, '310', sdp(a.rtpPort, '8'));
    const ringing = await until(() => ex.responses.find((r) => r.status === 180));
    // 180 carries our answer (early media from the relay)...
    expect(parsed(ringing).media[0]!.connection?.address).toBe('127.0.0.1');
    await until(() => a.got.length >= 20);
    // ...and the audio is the Russian ringback: 425 Hz (the fixture tenant is in RU).
    const pcm = Int16Array.from(
      a.got.slice(5, 20).flatMap((m) => [...m.subarray(12)].map((o) => ALAW_TO_LINEAR[o]!)),
    );
    expect(dominantHz(pcm)).toBe(425);
    const ok = await ex.done();
    expect(ok?.status).toBe(200);
    // Answered: ringback stops and the callee is heard.
    const bPort = parsed(offers[0]!).media[0]!.port;
    await new Promise((r) => setTimeout(r, 100));
    const before = a.got.length;
    const marked = Buffer.alloc(160, 0x33);
    for (let i = 0; i < 5; i++) b.rtp.send(rtp(8, 10 + i, marked), bPort, '127.0.0.1');
    await until(() => a.got.slice(before).filter((m) => m.subarray(12).equals(marked)).length === 5);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });

  it('puts callers of *77 into the tenant conference room, where they hear each other', async () => {
    const [a, b] = [await phone('311'), await phone('312')];
    const okA = await call(a, '*77', sdp(a.rtpPort, '8')).done();
    const okB = await call(b, '*77', sdp(b.rtpPort, '8')).done();
    expect(okA?.status).toBe(200);
    expect(okB?.status).toBe(200);
    const aPort = parsed(okA!).media[0]!.port;
    await new Promise((r) => setTimeout(r, 600)); // the beeps
    const before = b.got.length;
    for (let n = 0; n < 40; n++) {
      const pcm = Int16Array.from({ length: 160 }, (_, k) =>
        Math.round(6000 * Math.sin((2 * Math.PI * 700 * (n * 160 + k)) / 8000)),
      );
      a.rtp.send(rtp(8, 500 + n, encodeG711(pcm, 'alaw')), aPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => b.got.length >= before + 30);
    const heard = Int16Array.from(
      b.got.slice(-20).flatMap((m) => [...m.subarray(12)].map((o) => ALAW_TO_LINEAR[o]!)),
    );
    expect(dominantHz(heard)).toBe(700);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
    expect((await b.inDialog('BYE').done())?.status).toBe(200);
  });
});
