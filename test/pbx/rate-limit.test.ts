/**
 * Pike-style per-address request-rate limit: over the limit in a window an
 * address is dropped for the block time (one security event), others are not
 * touched, the allow-list is exempt, and memory stays bounded. Over real UDP, a
 * flood from one address goes unanswered while a phone on another registers.
 */
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRateLimiter } from '../../src/pbx/rate-limit.js';
import { SecurityLog } from '../../src/pbx/security-events.js';
import { ask, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

function limiter(opts: ConstructorParameters<typeof RequestRateLimiter>[1] = {}) {
  let now = 1_000_000;
  const events = new SecurityLog(pino({ level: 'silent' }), { clock: () => now });
  const l = new RequestRateLimiter(events, { perSecond: 10, clock: () => now, ...opts });
  return { l, events, advance: (ms: number) => (now += ms) };
}

describe('request-rate limiter', () => {
  it('lets 10/s through (20 in a 2 s window), then drops the address for 30 s', () => {
    const { l, events, advance } = limiter();
    for (let i = 0; i < 20; i++) expect(l.drop('192.0.2.1', 'UDP', 'INVITE')).toBe(false);
    expect(l.drop('192.0.2.1', 'UDP', 'INVITE')).toBe(true);
    expect(l.drop('192.0.2.2', 'UDP', 'INVITE')).toBe(false);
    advance(29_999);
    expect(l.drop('192.0.2.1', 'UDP', 'REGISTER')).toBe(true);
    advance(1);
    expect(l.drop('192.0.2.1', 'UDP', 'REGISTER')).toBe(false);
    expect(l.dropped).toBe(2);
    expect(events.list({ kind: 'flood' })).toEqual([
      expect.objectContaining({ ip: '192.0.2.1', method: 'INVITE', reason: 'over-10-per-second' }),
    ]);
  });

  it('starts a new count each window', () => {
    const { l, advance } = limiter();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) expect(l.drop('192.0.2.1', 'UDP', 'OPTIONS')).toBe(false);
      advance(2000);
    }
  });

  it('never limits the allow-list, and is off at 0', () => {
    const allowed = limiter({ allowed: (ip) => ip === '10.0.0.1' }).l;
    const off = limiter({ perSecond: 0 }).l;
    for (let i = 0; i < 1000; i++) {
      expect(allowed.drop('10.0.0.1', 'UDP', 'INVITE')).toBe(false);
      expect(off.drop('192.0.2.1', 'UDP', 'INVITE')).toBe(false);
    }
  });

  it('remembers a bounded number of addresses', () => {
    const { l } = limiter({ maxTracked: 50 });
    for (let i = 0; i < 5000; i++) l.drop(`198.51.${i >> 8}.${i & 255}`, 'UDP', 'OPTIONS');
    expect(l.tracked).toBe(50);
  });
});

describe('a flood over UDP', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('flood.example.test', [{ number: '101' }], { rateLimit: 100 });
  });
  afterAll(async () => fx?.close());

  it('is dropped while a phone on another address registers', async () => {
    const flooder = createSocket('udp4');
    await new Promise<void>((r) => flooder.bind(0, '127.0.0.2', () => r()));
    let answers = 0;
    flooder.on('message', () => answers++);
    const port = fx.sip.transports.udpPort;
    const packet = (i: number) =>
      Buffer.from(
        [
          `OPTIONS sip:flood.example.test SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.2:${flooder.address().port};branch=z9hG4bK-f${i};rport`,
          'Max-Forwards: 70',
          `From: <sip:x@flood.example.test>;tag=f${i}`,
          '<sip:flood.example.test>',
          `Call-ID: flood-${i}`,
          'CSeq: 1 OPTIONS',
          'Content-Length: 0',
          '',
          '',
        ]
          .join('\r\n')
          .replace('\r\n<sip:', '\r\nTo: <sip:'),
      );
    for (let i = 0; i < 1000; i++) flooder.send(packet(i), port, '127.0.0.1');
    const phone = await udpClient(port, '127.0.0.3');
    try {
      const r = await ask(
        'REGISTER',
        { user: '101', target: '', domain: 'flood.example.test', password: 's-101-secret' },
        phone,
      );
      expect(r.status).toBe(200);
      await new Promise((res) => setTimeout(res, 300));
      // At most 200 requests in the window were answered (100/s over 2 s); the rest were dropped
      // (a loaded machine's socket buffers may lose a few on the way: hence the bounds).
      expect(answers).toBeLessThanOrEqual(200);
      expect(answers).toBeGreaterThan(150);
      expect(fx.sip.flood.dropped).toBeGreaterThan(700);
      expect(fx.sip.securityLog.list({ kind: 'flood' })).toEqual([
        expect.objectContaining({ ip: '127.0.0.2', method: 'OPTIONS', transport: 'UDP' }),
      ]);
    } finally {
      phone.close();
      flooder.close();
    }
  });
});
