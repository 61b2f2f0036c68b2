/**
 * The registrar over real UDP and TCP sockets on loopback, with a minimal test
 * client that speaks SIP text: challenges, digest, expiry, removal, refusals.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import { authorize } from '../../src/sip/auth.js';
import { parseMessage, type SipResponse } from '../../src/sip/message/index.js';
import {
  issueSoftphoneCredential,
  newSoftphoneSecret,
  SOFTPHONE_SECRET,
} from '../../src/util/softphone-credentials.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { responseReader } from '../helpers/stream-reader.js';

const DOMAIN = 'reg.example.test';

describe('registrar', () => {
  let fx: SipFixture;
  let sip: SipService;
  let tenantId = '';

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [
      { number: '201', secret: 'secret-201-xyz' },
      { number: '202', secret: 'secret-202-xyz' },
    ]);
    ({ sip, tenantId } = fx);
  });
  afterAll(async () => fx?.close());

  /** One UDP client: sends text, returns the next response. */
  function udpClient() {
    const sock = createSocket('udp4');
    const queue: SipResponse[] = [];
    const waiters: ((r: SipResponse) => void)[] = [];
    sock.on('message', (data) => {
      const r = parseMessage(data);
      if (!r.ok || r.message.kind !== 'response') return;
      const w = waiters.shift();
      if (w) w(r.message);
      else queue.push(r.message);
    });
    const ready = new Promise<number>((res) => sock.bind(0, '127.0.0.1', () => res(sock.address().port)));
    return {
      ready,
      async send(text: string): Promise<SipResponse> {
        await ready;
        const next = new Promise<SipResponse>((res, rej) => {
          const t = setTimeout(() => rej(new Error('no response')), 3000);
          const q = queue.shift();
          if (q) {
            clearTimeout(t);
            res(q);
          } else
            waiters.push((r) => {
              clearTimeout(t);
              res(r);
            });
        });
        sock.send(Buffer.from(text), sip.transports.udpPort, '127.0.0.1');
        return next;
      },
      close: () => sock.close(),
    };
  }

  let seq = 0;
  function register(o: {
    port: number;
    user: string;
    cseq: number;
    callId: string;
    auth?: string;
    contact?: string;
    expires?: number;
    transport?: string;
    toUser?: string;
  }) {
    const branch = `z9hG4bK${++seq}x${randomBytes(4).toString('hex')}`;
    const lines = [
      `REGISTER sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/${o.transport ?? 'UDP'} 127.0.0.1:${o.port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${o.user}@${DOMAIN}>;tag=f${seq}`,
      `To: <sip:${o.toUser ?? o.user}@${DOMAIN}>`,
      `Call-ID: ${o.callId}`,
      `CSeq: ${o.cseq} REGISTER`,
      `Contact: ${o.contact ?? `<sip:${o.user}@127.0.0.1:${o.port}>`}`,
      ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
      ...(o.auth ? [`Authorization: ${o.auth}`] : []),
      'Content-Length: 0',
      '',
      '',
    ];
    return lines.join('\r\n');
  }

  async function registerWithAuth(
    c: ReturnType<typeof udpClient>,
    user: string,
    password: string,
    extra: Partial<Parameters<typeof register>[0]> = {},
    digestUser = user,
  ) {
    const port = await c.ready;
    const callId = extra.callId ?? `cid-${randomBytes(6).toString('hex')}`;
    const first = await c.send(register({ port, user, cseq: 1, callId, ...extra }));
    expect(first.status).toBe(401);
    const challenge = first.headers.getAll('WWW-Authenticate').find((h) => h.includes('MD5'))!;
    const auth = authorize(
      challenge,
      { username: digestUser, password },
      { method: 'REGISTER', uri: `sip:${DOMAIN}` },
    )!;
    return c.send(register({ port, user, cseq: 2, callId, auth, ...extra }));
  }

  it('challenges, then registers with the right secret and reports the binding', async () => {
    const c = udpClient();
    const res = await registerWithAuth(c, '201', 'secret-201-xyz', { expires: 600 });
    expect(res.status).toBe(200);
    expect(res.headers.get('Contact')).toMatch(/^<sip:201@127\.0\.0\.1:\d+>;expires=600$/);
    const b = sip.location.lookup(aorOf(tenantId, '201'), Date.now());
    expect(b).toHaveLength(1);
    expect(b[0]!.source).toMatchObject({ transport: 'UDP', host: '127.0.0.1', port: await c.ready });
    c.close();
  });

  it("gives an unknown user, a wrong secret and someone else's extension the same 403", async () => {
    const c = udpClient();
    const a = await registerWithAuth(c, '999', 'whatever-123');
    const b = await registerWithAuth(c, '202', 'wrong-secret');
    const d = await registerWithAuth(c, '201', 'secret-201-xyz', { toUser: '202' });
    expect([a.status, b.status, d.status]).toEqual([403, 403, 403]);
    expect(a.reason).toBe(b.reason);
    expect(sip.location.lookup(aorOf(tenantId, '202'), Date.now())).toHaveLength(0);
    c.close();
  });

  it("registers the browser softphone with short-lived credentials, never another extension's or expired ones", async () => {
    const secret = await fx.db.store.platformSecret(SOFTPHONE_SECRET, newSoftphoneSecret);
    const c = udpClient();
    const live = issueSoftphoneCredential(secret, tenantId, '201', 3600);
    expect(live.username).toMatch(/^201~\d+$/);
    expect((await registerWithAuth(c, '201', live.password, { expires: 60 }, live.username)).status).toBe(
      200,
    );
    // The same credential cannot register 202, nor one made for another tenant, nor one past its time.
    const other = await registerWithAuth(c, '202', live.password, {}, live.username);
    const elsewhere = issueSoftphoneCredential(secret, '00000000-0000-0000-0000-000000000000', '201', 3600);
    const foreign = await registerWithAuth(c, '201', elsewhere.password, {}, elsewhere.username);
    const old = issueSoftphoneCredential(secret, tenantId, '201', -5);
    const expired = await registerWithAuth(c, '201', old.password, {}, old.username);
    const forged = await registerWithAuth(c, '201', 'guess', {}, live.username);
    expect([other.status, foreign.status, expired.status, forged.status]).toEqual([403, 403, 403, 403]);
    // The platform secret is made once and kept.
    expect(await fx.db.store.platformSecret(SOFTPHONE_SECRET, () => 'another')).toBe(secret);
    c.close();
  });

  it('asks for at least Min-Expires with 423', async () => {
    const c = udpClient();
    const res = await registerWithAuth(c, '202', 'secret-202-xyz', { expires: 10 });
    expect(res.status).toBe(423);
    expect(res.headers.get('Min-Expires')).toBe('60');
    c.close();
  });

  it('keeps several contacts and removes them with Expires: 0 and with *', async () => {
    const c = udpClient();
    const port = await c.ready;
    const callId = `multi-${randomBytes(4).toString('hex')}`;
    await registerWithAuth(c, '202', 'secret-202-xyz', {
      callId,
      contact: `<sip:202@127.0.0.1:${port};line=a>`,
    });
    const second = await registerWithAuth(c, '202', 'secret-202-xyz', {
      contact: `<sip:202@127.0.0.1:${port};line=b>`,
    });
    expect(second.headers.getAll('Contact')).toHaveLength(2);
    const one = await registerWithAuth(c, '202', 'secret-202-xyz', {
      contact: `<sip:202@127.0.0.1:${port};line=b>`,
      expires: 0,
    });
    expect(one.headers.getAll('Contact')).toHaveLength(1);
    const all = await registerWithAuth(c, '202', 'secret-202-xyz', { contact: '*', expires: 0 });
    expect(all.status).toBe(200);
    expect(all.headers.getAll('Contact')).toHaveLength(0);
    const bad = await registerWithAuth(c, '202', 'secret-202-xyz', { contact: '*', expires: 60 });
    expect(bad.status).toBe(400);
    c.close();
  });

  it('answers OPTIONS, refuses unknown URI schemes and answers garbage with 400 or silence', async () => {
    const c = udpClient();
    const port = await c.ready;
    const options = (uri: string) =>
      [
        `OPTIONS ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKo${++seq}`,
        'Max-Forwards: 70',
        `From: <sip:x@${DOMAIN}>;tag=1`,
        `To: <sip:${DOMAIN}>`,
        `Call-ID: o${seq}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const ok = await c.send(options(`sip:${DOMAIN}`));
    expect(ok.status).toBe(200);
    expect(ok.headers.getAll('Allow')).toContain('REGISTER');
    expect(ok.headers.get('Server')).toBeUndefined();
    expect((await c.send(options('mailto:someone@example.com'))).status).toBe(416);
    const broken = options(`sip:${DOMAIN}`).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
    expect((await c.send(broken)).status).toBe(400);
    const sock = createSocket('udp4');
    await new Promise<void>((r) =>
      sock.send(randomBytes(300), sip.transports.udpPort, '127.0.0.1', () => r()),
    );
    sock.close();
    expect((await c.send(options(`sip:${DOMAIN}`))).status).toBe(200); // still serving
    c.close();
  });

  it('registers over TCP and remembers the connection for requests back', async () => {
    const sock = connect(sip.transports.tcpPort, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const port = sock.localPort!;
    const next = responseReader(sock);
    const callId = 'tcp-call';
    sock.write(register({ port, user: '201', cseq: 1, callId, transport: 'TCP' }));
    const challenge = (await next()).headers.getAll('WWW-Authenticate')[0]!;
    const auth = authorize(
      challenge,
      { username: '201', password: 'secret-201-xyz' },
      { method: 'REGISTER', uri: `sip:${DOMAIN}` },
    )!;
    sock.write(
      register({
        port,
        user: '201',
        cseq: 2,
        callId,
        auth,
        transport: 'TCP',
        contact: `<sip:201@127.0.0.1:${port};transport=tcp>`,
      }),
    );
    expect((await next()).status).toBe(200);
    const b = sip.location
      .lookup(aorOf(tenantId, '201'), Date.now())
      .find((x) => x.source.transport === 'TCP');
    expect(b?.source.flowId).toMatch(/^tcp:/);
    sock.destroy();
  });
});

describe('registrar over TLS', () => {
  it('challenges and registers over a TLS connection with the generated certificate', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { connect: tlsConnect } = await import('node:tls');
    const { loadOrCreateCertificate } = await import('../../src/pbx/tls-certificate.js');
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-tls-'));
    const cert = await loadOrCreateCertificate({
      certFile: null,
      keyFile: null,
      dataDir: dir,
      hostName: '127.0.0.1',
    });
    expect(cert.selfSigned).toBe(true);
    // A second call reuses the stored certificate instead of making a new one.
    expect(
      (await loadOrCreateCertificate({ certFile: null, keyFile: null, dataDir: dir, hostName: '127.0.0.1' }))
        .cert,
    ).toBe(cert.cert);
    const fx = await sipFixture('tls.example.test', [{ number: '401', secret: 'tls-secret-401' }], {
      tls: { port: 0, key: cert.key, cert: cert.cert },
    });
    const { sip, tenantId: tlsTenant } = fx;
    try {
      const sock = tlsConnect({ host: '127.0.0.1', port: sip.transports.tlsPort, rejectUnauthorized: false });
      await new Promise<void>((r) => sock.once('secureConnect', () => r()));
      const next = responseReader(sock);
      const reg = (cseq: number, auth?: string) =>
        [
          'REGISTER sip:tls.example.test SIP/2.0',
          `Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls${cseq};rport`,
          'Max-Forwards: 70',
          'From: <sip:401@tls.example.test>;tag=t1',
          'To: <sip:401@tls.example.test>',
          'Call-ID: tls-call',
          `CSeq: ${cseq} REGISTER`,
          '<sip:401@127.0.0.1:5999;transport=tls>'.replace(/^/, 'Contact: '),
          ...(auth ? [`Authorization: ${auth}`] : []),
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
      sock.write(reg(1));
      const challenge = await next();
      expect(challenge.status).toBe(401);
      const auth = authorize(
        challenge.headers.get('WWW-Authenticate')!,
        { username: '401', password: 'tls-secret-401' },
        { method: 'REGISTER', uri: 'sip:tls.example.test' },
      )!;
      sock.write(reg(2, auth));
      expect((await next()).status).toBe(200);
      const b = sip.location.lookup(aorOf(tlsTenant, '401'), Date.now());
      expect(b[0]?.source.transport).toBe('TLS');
      sock.destroy();
    } finally {
      await fx.close();
    }
  });
});
