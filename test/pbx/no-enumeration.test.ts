/**
 * A scanner learns nothing (DESIGN.md §5, issue 12): for REGISTER, INVITE,
 * OPTIONS, SUBSCRIBE and MESSAGE over UDP, TCP, TLS, WS and WSS, an unknown user, a wrong
 * password and a user of a disabled tenant get byte-for-byte the same answer
 * (apart from the nonce, the To tag, and the branch and Call-ID we sent), from
 * the same port; a request from a stranger to an unknown number is challenged
 * exactly like one to a real extension. A right password gets something else,
 * so the comparisons can fail. No Server header unless one is configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/pbx/authenticate.js';
import type { Directory } from '../../src/pbx/directory.js';
import { loadOrCreateCertificate } from '../../src/pbx/tls-certificate.js';
import { authorize, DigestAuthenticator } from '../../src/sip/auth.js';
import { parseMessage, type SipRequest } from '../../src/sip/message/index.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { ask, type RawClient, tcpClient, udpClient, wsClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const DOMAIN = 'enum.example.test';
const OFF = 'off.example.test';
const SECRET = 'right-secret-101';
const METHODS = ['REGISTER', 'INVITE', 'OPTIONS', 'SUBSCRIBE', 'MESSAGE'] as const;
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WS', 'WSS'] as const;
type Transport = (typeof TRANSPORTS)[number];

describe('no enumeration', () => {
  let fx: SipFixture;
  const certDir = mkdtempSync(join(tmpdir(), 'nimbus-enum-tls-'));
  // SIP over WebSocket is served on the web server's /sip (plain and TLS), as `nimbus start` does.
  const web: HttpServer[] = [];
  const webPort = { WS: 0, WSS: 0 };

  beforeAll(async () => {
    const cert = await loadOrCreateCertificate({
      certFile: null,
      keyFile: null,
      dataDir: certDir,
      hostName: '127.0.0.1',
    });
    fx = await sipFixture(
      DOMAIN,
      ['101', '102', '103', '104', '105', '106', '107'].map((number) => ({
        number,
        secret: number === '101' ? SECRET : undefined,
      })),
      // The comparisons below fail many times from 127.0.0.1: it is allowed, so only 127.0.0.2 is banned.
      { security: { allow: ['127.0.0.1/32'] }, tls: { port: 0, key: cert.key, cert: cert.cert } },
    );
    // A disabled company whose 101 has the same secret: its users are refused like strangers.
    const off = await fx.db.store.tenants.create({
      name: OFF,
      sipDomain: OFF,
      timeZone: 'UTC',
      language: 'en',
      country: 'RU',
      maxExtensions: 5,
      maxConcurrentCalls: 5,
    });
    await fx.db.store.transaction(async (tx) => {
      await tx.tenant(off.id).extensions.create({
        number: '101',
        displayName: 'Off 101',
        userId: null,
        sipSecret: SECRET,
        voicemailEnabled: false,
        voicemailPin: null,
        callClass: 'internal',
        dnd: false,
        ringTimeoutSec: 20,
        forwarding: NO_FORWARDING,
      });
    });
    await fx.db.store.tenants.update(off.id, { enabled: false });
    await fx.sip.tenantChanged(null);
    for (const secure of [false, true]) {
      const server = secure ? createHttpsServer({ key: cert.key, cert: cert.cert }) : createHttpServer();
      fx.sip.transports.attachWebSocket(server, { path: '/sip', secure });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      web.push(server);
      webPort[secure ? 'WSS' : 'WS'] = (server.address() as AddressInfo).port;
    }
  });
  afterAll(async () => {
    for (const server of web) server.close();
    await fx?.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  /** A client of `transport` from `address`, and the port its answers must come from. */
  const connectTo = (transport: Transport, address = '127.0.0.1'): Promise<RawClient> => {
    switch (transport) {
      case 'UDP':
        return udpClient(fx.sip.transports.udpPort, address);
      case 'TCP':
        return tcpClient(fx.sip.transports.tcpPort, address);
      case 'TLS':
        return tcpClient(fx.sip.transports.tlsPort, address, true);
      case 'WS':
        return wsClient(`ws://127.0.0.1:${webPort.WS}/sip`, address);
      case 'WSS':
        return wsClient(`wss://127.0.0.1:${webPort.WSS}/sip`, address, true);
    }
  };
  const portOf = (transport: Transport) =>
    transport === 'UDP'
      ? fx.sip.transports.udpPort
      : transport === 'TCP'
        ? fx.sip.transports.tcpPort
        : transport === 'TLS'
          ? fx.sip.transports.tlsPort
          : webPort[transport];

  for (const transport of TRANSPORTS) {
    describe(`over ${transport}`, () => {
      let client: RawClient;
      beforeAll(async () => {
        client = await connectTo(transport);
      });
      afterAll(() => client?.close());

      for (const method of METHODS) {
        it(`${method}: a stranger to an unknown number is challenged like one to an extension`, async () => {
          const real = await ask(method, { user: '101', target: '102', domain: DOMAIN }, client);
          const unknownTarget = await ask(method, { user: '101', target: '999', domain: DOMAIN }, client);
          const unknownUser = await ask(method, { user: '999', target: '102', domain: DOMAIN }, client);
          const offTenant = await ask(method, { user: '101', target: '102', domain: OFF }, client);
          expect(real.status).toBe(method === 'REGISTER' || method === 'SUBSCRIBE' ? 401 : 407);
          expect(real.text).toMatch(/\r\n(WWW|Proxy)-Authenticate: Digest realm="<domain>", nonce="<nonce>"/);
          for (const other of [unknownTarget, unknownUser, offTenant]) {
            expect(other.text).toBe(real.text);
            expect(other.fromPort).toBe(real.fromPort);
          }
          expect(real.fromPort).toBe(portOf(transport));
          expect(real.text).not.toMatch(/\r\n(Server|User-Agent):/i);
        });

        it(`${method}: unknown user, wrong password and a disabled tenant's user get the same refusal`, async () => {
          const wrong = await ask(
            method,
            { user: '101', target: '102', domain: DOMAIN, password: 'guess' },
            client,
          );
          const unknown = await ask(
            method,
            { user: '999', target: '102', domain: DOMAIN, password: SECRET },
            client,
          );
          const unknownTarget = await ask(
            method,
            { user: '101', target: '999', domain: DOMAIN, password: 'guess' },
            client,
          );
          const disabled = await ask(
            method,
            { user: '101', target: '102', domain: OFF, password: SECRET },
            client,
          );
          expect(wrong.status).toBe(403);
          for (const other of [unknown, unknownTarget, disabled]) {
            expect(other.text).toBe(wrong.text);
            expect(other.fromPort).toBe(wrong.fromPort);
          }
          expect(wrong.text).not.toMatch(/\r\n(Server|User-Agent):/i);
          // The control: the right password is let through, so the comparisons above can fail.
          const right = await ask(
            method,
            { user: '101', target: '102', domain: DOMAIN, password: SECRET },
            client,
          );
          expect(right.status).not.toBe(403);
          expect(right.status).not.toBe(407);
          expect(right.status).not.toBe(401);
        });
      }
    });
  }

  describe('a banned source', () => {
    for (const transport of TRANSPORTS) {
      it(`over ${transport}: is refused with the right password exactly as a wrong password is`, async () => {
        const honest = await connectTo(transport, '127.0.0.1');
        const attacker = await connectTo(transport, '127.0.0.2');
        try {
          const user = { UDP: '103', TCP: '104', TLS: '105', WS: '106', WSS: '107' }[transport];
          const secret = `s-${user}-secret`;
          const base = { user, target: '102', domain: DOMAIN };
          for (let i = 0; i < 10; i++) await ask('REGISTER', { ...base, password: `guess-${i}` }, attacker);
          expect(fx.sip.guard.refused('127.0.0.2', user)).toBe(true);
          for (const method of METHODS) {
            const wrong = await ask(method, { ...base, password: 'guess' }, honest);
            const banned = await ask(method, { ...base, password: secret }, attacker);
            expect(wrong.status).toBe(403);
            expect(banned.text).toBe(wrong.text);
            expect(banned.fromPort).toBe(wrong.fromPort);
            // Without credentials the banned source is challenged like anyone.
            const challenged = await ask(method, base, attacker);
            expect(challenged.text).toBe((await ask(method, base, honest)).text);
          }
          // The control: the same password from an address that is not banned gets in.
          expect((await ask('REGISTER', { ...base, password: secret }, honest)).status).toBe(200);
        } finally {
          honest.close();
          attacker.close();
        }
      });
    }
  });

  it('answers OPTIONS to the server itself (pings) to anyone, without a product name', async () => {
    const client = await udpClient(fx.sip.transports.udpPort);
    const text = [
      `OPTIONS sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-ping;rport`,
      'Max-Forwards: 70',
      `From: <sip:ping@${DOMAIN}>;tag=p`,
      `To: <sip:${DOMAIN}>`,
      'Call-ID: ping-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const { raw } = await client.exchange(text, 'ping-1');
    client.close();
    expect(raw.startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
    expect(raw).not.toMatch(/\r\nServer:/i);
  });
});

describe('a configured product name', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('named.example.test', [{ number: '101' }], { serverHeader: 'Example PBX' });
  });
  afterAll(async () => fx?.close());

  it('is sent in Server, the same for a real and an unknown user', async () => {
    const client = await udpClient(fx.sip.transports.udpPort);
    const a = await ask('REGISTER', { user: '101', target: '', domain: 'named.example.test' }, client);
    const b = await ask('REGISTER', { user: '999', target: '', domain: 'named.example.test' }, client);
    client.close();
    expect(a.text).toContain('\r\nServer: Example PBX\r\n');
    expect(b.text).toBe(a.text);
  });
});

describe('timing', () => {
  /**
   * Authentication does the same hashing for an unknown user as for a wrong
   * password: no fast path tells them apart by the time an answer takes. Measured
   * in interleaved rounds (a shared machine's noise hits both alike); a fast path
   * that skipped the digest would be several times quicker.
   */
  it('takes as long for an unknown user as for a wrong password', async () => {
    const fx = await sipFixture('timing.example.test', [{ number: '101', secret: SECRET }]);
    try {
      const directory: Directory = fx.sip.directory;
      const auth = new DigestAuthenticator({ secret: Buffer.alloc(32, 1) });
      const realm = 'timing.example.test';
      const make = (user: string): SipRequest => {
        const challenge = auth.challenge(realm)[0]!;
        const value = authorize(
          challenge,
          { username: user, password: 'guess' },
          {
            method: 'REGISTER',
            uri: `sip:${realm}`,
          },
        )!;
        const raw = [
          `REGISTER sip:${realm} SIP/2.0`,
          'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t',
          `From: <sip:${user}@${realm}>;tag=1`,
          `To: <sip:${user}@${realm}>`,
          'Call-ID: t',
          'CSeq: 1 REGISTER',
          `Authorization: ${value}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        const r = parseMessage(Buffer.from(raw));
        if (!r.ok || r.message.kind !== 'request') throw new Error('bad test request');
        return r.message;
      };
      const known = make('101');
      const unknown = make('999');
      const opts = { proxy: false, party: 'To' as const, realm };
      const round = (req: SipRequest) => {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 300; i++) {
          const out = authenticate(req, directory, auth, opts);
          if (out.ok) throw new Error('accepted');
        }
        return Number(process.hrtime.bigint() - t0);
      };
      for (let i = 0; i < 20; i++) round(i % 2 ? known : unknown); // warm up both paths
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 60; i++) {
        a.push(round(known));
        b.push(round(unknown));
      }
      // The fastest round of each: other work on the machine only ever adds time, so the
      // minimum is the path's own cost (a median flaked with CI's parallel tests on two cores).
      const ratio = Math.min(...b) / Math.min(...a);
      expect(ratio).toBeGreaterThan(0.75);
      expect(ratio).toBeLessThan(1.33);
    } finally {
      await fx.close();
    }
  });
});
