/**
 * Contacts that stop answering OPTIONS are dropped; a hostile TCP client (garbage,
 * a 10 MB Content-Length, a slow-loris that never finishes, 1,000 Via headers) is
 * cut off or answered while everyone else keeps being served.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import { makeResponse } from '../../src/sip/build.js';
import { parseMessage, serializeMessage } from '../../src/sip/message/index.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

describe('qualify and abuse', () => {
  let fx: SipFixture;
  let sip: SipService;
  let tenantId = '';
  const clock = new ManualClock();

  beforeAll(async () => {
    fx = await sipFixture('q.example.test', [], { clock });
    sip = fx.sip;
    tenantId = fx.tenantId;
  });
  afterAll(async () => fx?.close());

  it('keeps a contact that answers OPTIONS and drops one that stays silent', async () => {
    const alive = createSocket('udp4');
    const dead = createSocket('udp4');
    await new Promise<void>((r) => alive.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    let pings = 0;
    alive.on('message', (data, rinfo) => {
      const m = parseMessage(data);
      if (m.ok && m.message.kind === 'request' && m.message.method === 'OPTIONS') {
        pings++;
        alive.send(serializeMessage(makeResponse(m.message, 200)), rinfo.port, rinfo.address);
      }
    });
    const bind = (number: string, port: number) =>
      sip.location.store(aorOf(tenantId, number), [
        {
          contact: `sip:${number}@127.0.0.1:${port}`,
          expiresAt: Date.now() + 600_000,
          callId: number,
          cseq: 1,
          source: { transport: 'UDP', host: '127.0.0.1', port },
          path: [],
          userAgent: null,
          q: 1,
        },
      ]);
    bind('1', alive.address().port);
    bind('2', dead.address().port);
    sip.qualify();
    for (let i = 0; i < 40 && pings === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pings).toBe(1);
    await new Promise((r) => setTimeout(r, 200)); // let the 200 reach the transaction
    clock.advance(33_000); // Timer F for the silent one
    expect(sip.location.lookup(aorOf(tenantId, '1'), Date.now())).toHaveLength(1);
    expect(sip.location.lookup(aorOf(tenantId, '2'), Date.now())).toHaveLength(0);
    alive.close();
    dead.close();
  });
});

describe('a hostile TCP client', () => {
  let fx: SipFixture;
  let sip: SipService;

  beforeAll(async () => {
    fx = await sipFixture('abuse.example.test', []);
    sip = fx.sip;
  });
  afterAll(async () => fx?.close());

  function tcp(): Promise<import('node:net').Socket> {
    return new Promise((r) => {
      const s = connect(sip.transports.tcpPort, '127.0.0.1', () => r(s));
      s.on('error', () => {});
      // Read whatever the server says, or its closing FIN is never noticed.
      s.resume();
    });
  }

  function closed(s: import('node:net').Socket, ms = 3000): Promise<boolean> {
    return new Promise((r) => {
      if (s.destroyed) return r(true);
      const t = setTimeout(() => r(false), ms);
      s.once('close', () => {
        clearTimeout(t);
        r(true);
      });
    });
  }

  it('cuts off a stream announcing a 10 MB body, and one that is garbage', async () => {
    const junk = await tcp();
    junk.write(randomBytes(70_000));
    expect(await closed(junk)).toBe(true);
    const big = await tcp();
    big.write(
      'OPTIONS sip:q.example.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKbig\r\nMax-Forwards: 70\r\nFrom: <sip:a@q.example.test>;tag=1\r\nTo: <sip:q.example.test>\r\nCall-ID: big\r\nCSeq: 1 OPTIONS\r\nContent-Length: 10485760\r\n\r\n',
    );
    expect(await closed(big)).toBe(true);
  });

  it('serves others while a slow client dribbles bytes, and 1,000 Via headers get an answer or a close', async () => {
    const slow = await tcp();
    slow.write('OPTIONS sip:q.example.test SIP/2.0\r\nVia: ');
    const vias = Array.from(
      { length: 1000 },
      (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i % 250}:5060;branch=z9hG4bK${i}\r\n`,
    ).join('');
    const many = await tcp();
    let answer = '';
    many.on('data', (d) => (answer += d.toString('latin1')));
    many.write(
      `OPTIONS sip:q.example.test SIP/2.0\r\n${vias}Max-Forwards: 70\r\nFrom: <sip:a@q.example.test>;tag=1\r\nTo: <sip:q.example.test>\r\nCall-ID: vias\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    );
    const ok = await tcp();
    let reply = '';
    ok.on('data', (d) => (reply += d.toString('latin1')));
    ok.write(
      'OPTIONS sip:q.example.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKok\r\nMax-Forwards: 70\r\nFrom: <sip:a@q.example.test>;tag=1\r\nTo: <sip:q.example.test>\r\nCall-ID: ok\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    );
    for (let i = 0; i < 80 && !reply.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(reply).toMatch(/^SIP\/2\.0 200 OK/);
    for (let i = 0; i < 80 && !answer && !many.destroyed; i++) await new Promise((r) => setTimeout(r, 25));
    expect(answer.startsWith('SIP/2.0 200') || answer.startsWith('SIP/2.0 4') || many.destroyed).toBe(true);
    for (const s of [slow, many, ok]) s.destroy();
  });
});
