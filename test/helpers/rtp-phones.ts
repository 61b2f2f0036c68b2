/**
 * Phones with a real RTP socket for anchored-media tests: register one, call
 * from one to another (the callee answers at once), send tones paced like a
 * phone, and read what arrived.
 */
import { createSocket, type Socket } from 'node:dgram';
import { expect } from 'vitest';
import { linearToUlaw } from '../../src/media/codecs/g711.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import { parseSdp } from '../../src/media/sdp/index.js';
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { udpUa, type Wire } from './test-ua.js';

export type RtpPhone = Awaited<ReturnType<typeof udpUa>> & {
  rtp: Socket;
  rtpPort: number;
  /** RTP packets received, in order. */
  got: Buffer[];
  /** Offers PCMU with telephone-event (true) or PCMU alone. */
  events: boolean;
};

/** PCMU (with telephone-event 101 when `events`) on `port`. */
export function phoneSdp(port: number, events = true): Buffer {
  return Buffer.from(
    [
      'v=0',
      'o=- 42 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port} RTP/AVP 0${events ? ' 101' : ''}`,
      'a=rtpmap:0 PCMU/8000',
      ...(events ? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'] : []),
      'a=ptime:20',
      '',
    ].join('\r\n'),
  );
}

export function relayPort(m: SipRequest | SipResponse): number {
  const r = parseSdp(m.body.toString('utf8'));
  if (!r.ok) throw new Error('not SDP');
  return r.value.media[0]!.port;
}

/** A phone registered as `number` (secret `s-<number>-secret`) with its own RTP socket. */
export async function rtpPhone(
  number: string,
  domain: string,
  pbx: Destination,
  wire: Wire,
  events = true,
): Promise<RtpPhone> {
  const p = await udpUa(number, wire, systemClock);
  p.credentials = { username: number, password: `s-${number}-secret` };
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  const full = Object.assign(p, { rtp: socket, rtpPort: socket.address().port, got, events });
  const req = p.buildRequest('REGISTER', `sip:${domain}`, {
    from: `<sip:${number}@${domain}>`,
    to: `<sip:${number}@${domain}>`,
    headers: [
      ['Contact', contactFor(p.local, number)],
      ['Expires', '600'],
    ],
  });
  expect((await p.send(req, pbx).done())?.status).toBe(200);
  return full;
}

/** A calls B, B answers at once: the relay ports each phone sends to. */
export async function connect(
  a: RtpPhone,
  b: RtpPhone,
  domain: string,
  pbx: Destination,
): Promise<{ aPort: number; bPort: number }> {
  let bPort = 0;
  b.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
    if (!tx || req.headers.get('To')?.includes('tag=')) return;
    bPort = relayPort(req);
    b.accept(tx, source, phoneSdp(b.rtpPort, b.events));
  });
  const invite = a.buildRequest('INVITE', `sip:${b.name}@${domain}`, {
    from: `<sip:${a.name}@${domain}>`,
    body: phoneSdp(a.rtpPort, a.events),
  });
  const ok = await a.send(invite, pbx).done();
  expect(ok?.status).toBe(200);
  return { aPort: relayPort(ok!), bPort };
}

/** Sends `ms` of audio (`sample(n)` for sample n) as µ-law RTP, paced at 20 ms like a phone. */
export async function sendAudio(
  from: RtpPhone,
  port: number,
  sample: (n: number) => number,
  ms: number,
  seq0: number,
): Promise<void> {
  for (let f = 0; f < ms / 20; f++) {
    const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => linearToUlaw(sample(f * 160 + i))));
    const packet = serializeRtp({
      marker: false,
      payloadType: 0,
      sequence: (seq0 + f) & 0xffff,
      timestamp: (seq0 + f) * 160,
      ssrc: from.rtpPort,
      csrc: [],
      extension: null,
      payload,
    });
    from.rtp.send(packet, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends `ms` of a `hz` tone. */
export function tone(from: RtpPhone, port: number, hz: number, ms: number, seq0: number): Promise<void> {
  return sendAudio(from, port, (n) => Math.round(8000 * Math.sin((2 * Math.PI * hz * n) / 8000)), ms, seq0);
}
