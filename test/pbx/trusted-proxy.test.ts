/**
 * A trusted proxy in front (NIMBUS_SIP_TRUSTED_PROXIES): our raw SIP client on 127.0.0.9
 * relays phones' requests as Kamailio does (its own Via on top, the phone's below stamped
 * with received=/rport). Password failures, bans, the rate limit, the scanner filter and
 * the security events go by each phone's address: one phone is banned, another behind the
 * same proxy is served. From a source that is not trusted, the same Vias are not believed:
 * failures count against the real source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, type Case, type RawClient, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'proxied.example.test';
const PROXY = '127.0.0.9';
let seq = 0;

/**
 * A phone at `publicAddress` (behind NAT: its Via says 192.168.1.10) whose requests `relay`
 * forwards: the relay's Via goes on top, and the phone's gets the received=/rport the relay saw.
 */
function behind(relay: RawClient, publicAddress: string): RawClient {
  const forward = (text: string) =>
    text.replace(
      /\r\nVia: ([^\r]*);rport/,
      (_m, via: string) =>
        `\r\nVia: SIP/2.0/UDP ${relay.address}:${relay.port};branch=z9hG4bK-relay${++seq}` +
        `\r\nVia: ${via};received=${publicAddress};rport=40000`,
    );
  return {
    transport: 'UDP',
    address: '192.168.1.10',
    port: 5060,
    exchange: (text, callId) => relay.exchange(forward(text), callId),
    send: (text) => relay.send(forward(text)),
    close: () => {},
  };
}

const register = (user: string, password: string): Case => ({ user, target: '', domain: DOMAIN, password });

describe('behind a trusted proxy', () => {
  let fx: SipFixture;
  let proxy: RawClient;
  let stranger: RawClient;

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '201' }, { number: '202' }], {
      trustedProxies: [PROXY],
      // Three failures of one user ban that user from that address; 5 requests/s (10 per 2 s) per address.
      security: { userFailures: 3, ipFailures: 0 },
      rateLimit: 5,
    });
    proxy = await udpClient(fx.sip.transports.udpPort, PROXY);
    stranger = await udpClient(fx.sip.transports.udpPort, '127.0.0.10');
  });
  afterAll(async () => {
    proxy?.close();
    stranger?.close();
    await fx?.close();
  });

  it('counts two phones behind it separately: the guesser is banned, the other is served', async () => {
    const guesser = behind(proxy, '198.51.100.7');
    const other = behind(proxy, '198.51.100.8');
    for (let i = 0; i < 3; i++)
      expect((await ask('REGISTER', register('201', `guess-${i}`), guesser)).status).toBe(403);
    expect(fx.sip.guard.activeBans()).toEqual([expect.objectContaining({ ip: '198.51.100.7', user: '201' })]);
    // Banned there: even the right password is refused; from the other phone it is not.
    expect((await ask('REGISTER', register('201', 's-201-secret'), guesser)).status).toBe(403);
    expect((await ask('REGISTER', register('201', 's-201-secret'), other)).status).toBe(200);
    const failures = fx.sip.securityLog.list({ kind: 'auth-failure' });
    expect(failures.length).toBe(4);
    expect(failures.every((e) => e.ip === '198.51.100.7')).toBe(true);
    expect(fx.sip.securityLog.list({ kind: 'ban' }).map((e) => [e.ip, e.user])).toEqual([
      ['198.51.100.7', '201'],
    ]);
  });

  it('believes no Via from a source that is not trusted: the failure is counted against that source', async () => {
    // The stranger relays "as" the banned phone: were its Vias believed, it would be refused.
    const posing = behind(stranger, '198.51.100.7');
    expect((await ask('REGISTER', register('201', 'wrong'), posing)).status).toBe(403);
    expect(fx.sip.securityLog.list({ kind: 'auth-failure' })[0]).toMatchObject({
      ip: '127.0.0.10',
      user: '201',
    });
    expect((await ask('REGISTER', register('201', 's-201-secret'), posing)).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await ask('REGISTER', register('201', 'wrong'), posing)).status).toBe(403);
    expect(fx.sip.guard.refused('127.0.0.10', '201')).toBe(true);
    expect(fx.sip.guard.refused(PROXY, '201')).toBe(false);
  });

  it("drops a scanner behind it and logs the scanner's address, not the proxy's", async () => {
    const scanner = behind(proxy, '198.51.100.9');
    scanner.send(
      [
        `OPTIONS sip:100@${DOMAIN} SIP/2.0`,
        'Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-scan;rport',
        'Max-Forwards: 70',
        `From: <sip:100@${DOMAIN}>;tag=scan`,
        `To: <sip:100@${DOMAIN}>`,
        'Call-ID: proxied-scan-1',
        'CSeq: 1 OPTIONS',
        'User-Agent: friendly-scanner',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await until(() => fx.sip.scanners.dropped > 0, 3000);
    expect(fx.sip.securityLog.list({ kind: 'scanner' }).map((e) => e.ip)).toEqual(['198.51.100.9']);
  });

  it("does not limit the proxy's own requests (its ACKs, CANCELs and probes carry one Via: its own)", async () => {
    for (let i = 0; i < 25; i++) {
      const callId = `proxied-own-${i}`;
      const { raw } = await proxy.exchange(
        [
          `OPTIONS sip:${DOMAIN} SIP/2.0`,
          `Via: SIP/2.0/UDP ${PROXY}:${proxy.port};branch=z9hG4bK-own${i}`,
          'Max-Forwards: 70',
          `From: <sip:probe@${DOMAIN}>;tag=own`,
          `To: <sip:${DOMAIN}>`,
          `Call-ID: ${callId}`,
          `CSeq: ${i + 1} OPTIONS`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        callId,
      );
      expect(raw.slice(0, 11)).toBe('SIP/2.0 200');
    }
    expect(fx.sip.securityLog.list({ kind: 'flood' })).toEqual([]);
  });

  it('limits the rate per phone: a flooding phone is dropped, another behind the same proxy registers', async () => {
    const flooder = behind(proxy, '198.51.100.10');
    for (let i = 0; i < 30; i++)
      flooder.send(
        [
          `OPTIONS sip:${DOMAIN} SIP/2.0`,
          `Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-fl${i};rport`,
          'Max-Forwards: 70',
          `From: <sip:flood@${DOMAIN}>;tag=fl`,
          `To: <sip:${DOMAIN}>`,
          `Call-ID: proxied-flood-${i}`,
          `CSeq: ${i + 1} OPTIONS`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
    await until(() => fx.sip.securityLog.list({ kind: 'flood' }).length > 0, 3000);
    expect(fx.sip.securityLog.list({ kind: 'flood' }).map((e) => e.ip)).toEqual(['198.51.100.10']);
    expect(
      (await ask('REGISTER', register('202', 's-202-secret'), behind(proxy, '198.51.100.11'))).status,
    ).toBe(200);
  });
});
