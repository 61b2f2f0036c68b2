/**
 * Connection limits of TCP, TLS and WebSocket: the per-address cap (trusted
 * sources exempt), the first-message deadline that closes silent and dribbling
 * connections, the idle deadline, and a registration that keeps its flow open.
 * The rules with a clock of the test's own; then over real TCP sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadOrCreateCertificate } from '../../src/pbx/tls-certificate.js';
import type { TransportName } from '../../src/sip/transaction/types.js';
import { ConnectionGuard } from '../../src/sip/transport/connection-guard.js';
import { SipTransports } from '../../src/sip/transport/transports.js';

function guard(opts: ConstructorParameters<typeof ConnectionGuard>[0] = {}) {
  let now = 1_000_000;
  const closed: string[] = [];
  const g = new ConnectionGuard({
    maxPerIp: 3,
    firstMessageMs: 20_000,
    idleMs: 120_000,
    clock: () => now,
    ...opts,
  });
  const watch = (id: string) => g.watch(id, () => closed.push(id));
  return { g, closed, watch, advance: (ms: number) => (now += ms), now: () => now };
}

describe('connection guard', () => {
  it('caps connections per address and transport, and frees a place when one closes', () => {
    const { g } = guard();
    for (let i = 0; i < 3; i++) expect(g.admit('192.0.2.1', 'TCP')).toBe(true);
    expect(g.admit('192.0.2.1', 'TCP')).toBe(false);
    // Another transport and another address have their own counts.
    expect(g.admit('192.0.2.1', 'TLS')).toBe(true);
    expect(g.admit('192.0.2.2', 'TCP')).toBe(true);
    g.release('192.0.2.1', 'TCP');
    expect(g.admit('192.0.2.1', 'TCP')).toBe(true);
    expect(g.stats.refused).toBe(1);
    expect(g.openFrom('192.0.2.1', 'TCP')).toBe(3);
  });

  it('never caps an exempt address (a proxy in front), and is off at 0', () => {
    const exempt = guard({ exempt: (ip) => ip === '10.0.0.2' }).g;
    const off = guard({ maxPerIp: 0 }).g;
    for (let i = 0; i < 500; i++) {
      expect(exempt.admit('10.0.0.2', 'TCP')).toBe(true);
      expect(off.admit('192.0.2.1', 'WS' as TransportName)).toBe(true);
    }
    expect(exempt.admit('192.0.2.9', 'TCP')).toBe(true);
  });

  it('holds no entry for an address with nothing open', () => {
    const { g } = guard();
    for (let i = 0; i < 1000; i++) {
      g.admit(`198.51.100.${i & 255}`, 'TCP');
      g.release(`198.51.100.${i & 255}`, 'TCP');
    }
    expect(g.openFrom('198.51.100.1', 'TCP')).toBe(0);
  });

  it('closes a connection that sends no valid message within the first-message time; keep-alives do not count', () => {
    const { g, closed, watch, advance } = guard();
    watch('silent');
    watch('pinger');
    watch('phone');
    advance(10_000);
    g.keptAlive('pinger');
    g.heard('phone');
    advance(9_999);
    expect(g.sweep()).toBe(0);
    advance(1);
    expect(g.sweep()).toBe(2);
    expect(closed).toEqual(['silent', 'pinger']);
    expect(g.stats.closedSilent).toBe(2);
    expect(g.size).toBe(1);
  });

  it('closes a quiet connection after the idle time; messages and keep-alives move it on', () => {
    const { g, closed, watch, advance } = guard();
    watch('a');
    g.heard('a');
    advance(100_000);
    g.keptAlive('a');
    advance(119_999);
    g.sweep();
    expect(closed).toEqual([]);
    advance(1);
    g.sweep();
    expect(closed).toEqual(['a']);
    expect(g.stats.closedIdle).toBe(1);
  });

  it('keeps a flow a registration lives on, however quiet, until the registration ends', () => {
    const { g, closed, watch, advance, now } = guard();
    watch('reg');
    g.heard('reg');
    g.keep('reg', now() + 3_600_000);
    advance(3_599_999);
    g.sweep();
    expect(closed).toEqual([]);
    advance(1);
    g.sweep();
    expect(closed).toEqual(['reg']);
  });

  it('gives connections it opened itself no first-message deadline', () => {
    const { g, closed, advance } = guard();
    g.watch('ours', () => closed.push('ours'), true);
    advance(60_000);
    g.sweep();
    expect(closed).toEqual([]);
    advance(60_000);
    g.sweep();
    expect(closed).toEqual(['ours']);
  });
});

describe('connection limits over TCP', () => {
  const refused: { ip: string; transport: string }[] = [];
  const messages: string[] = [];
  let t: SipTransports;
  beforeAll(async () => {
    t = new SipTransports(
      {
        host: '127.0.0.1',
        port: 0,
        connections: { maxPerIp: 3, firstMessageMs: 400, idleMs: 60_000, exempt: (ip) => ip === '127.0.0.9' },
      },
      {
        message: (m) => messages.push(m.kind === 'request' ? m.method : String(m.status)),
        refused: (ip, transport) => refused.push({ ip, transport }),
      },
    );
    await t.listen();
  });
  afterAll(async () => t?.close());

  const open = (address: string) =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: t.tcpPort, localAddress: address }, () => resolve(s));
      s.on('error', reject);
    });
  const closedSoon = (s: Socket, ms = 5000) =>
    new Promise<boolean>((resolve) => {
      if (s.destroyed || s.readableEnded) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      s.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  const until = async (check: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return check();
  };

  it('closes connections over the cap at once and says so; an exempt address opens more', async () => {
    const first = await Promise.all([open('127.0.0.2'), open('127.0.0.2'), open('127.0.0.2')]);
    expect(await until(() => t.guard.openFrom('127.0.0.2', 'TCP') === 3)).toBe(true);
    const extra = await open('127.0.0.2');
    extra.on('error', () => {});
    expect(await closedSoon(extra, 2000)).toBe(true);
    expect(refused).toEqual([{ ip: '127.0.0.2', transport: 'TCP' }]);
    const exempt = await Promise.all([1, 2, 3, 4, 5].map(() => open('127.0.0.9')));
    expect(await until(() => t.guard.openFrom('127.0.0.9', 'TCP') === 5)).toBe(true);
    for (const s of [...first, ...exempt]) s.destroy();
    expect(await until(() => t.guard.openFrom('127.0.0.2', 'TCP') === 0)).toBe(true);
  });

  it('closes a connection that dribbles bytes without a whole message, and keeps one that spoke', async () => {
    const slow = await open('127.0.0.3');
    slow.on('error', () => {});
    const phone = await open('127.0.0.4');
    phone.write(
      [
        'OPTIONS sip:127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/TCP 127.0.0.4:5060;branch=z9hG4bK-guard-1',
        'Max-Forwards: 70',
        'From: <sip:a@127.0.0.4>;tag=1',
        'To: <sip:127.0.0.1>',
        'Call-ID: guard-1',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    // A byte every 100 ms: a timeout reset by any data would never fire.
    const dribble = setInterval(() => slow.writable && slow.write('O'), 100);
    try {
      expect(await closedSoon(slow, 5000)).toBe(true);
    } finally {
      clearInterval(dribble);
    }
    expect(messages).toContain('OPTIONS');
    expect(phone.destroyed).toBe(false);
    expect(t.guard.stats.closedSilent).toBeGreaterThanOrEqual(1);
    phone.destroy();
  });
});

describe('connection limits over WebSocket', () => {
  const refused: string[] = [];
  let t: SipTransports;
  let http: Server;
  let port = 0;
  beforeAll(async () => {
    t = new SipTransports(
      { host: '127.0.0.1', port: 0, connections: { maxPerIp: 2, firstMessageMs: 60_000 } },
      { message: () => {}, refused: (ip, transport) => refused.push(`${transport} ${ip}`) },
    );
    await t.listen();
    http = createServer();
    t.attachWebSocket(http, { path: '/sip' });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    port = (http.address() as { port: number }).port;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((r) => http?.close(() => r()));
  });

  const open = (localAddress: string) =>
    new Promise<{ ws: WebSocket; status: number }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/sip`, 'sip', { localAddress });
      ws.on('open', () => resolve({ ws, status: 101 }));
      ws.on('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
      ws.on('error', () => resolve({ ws, status: 0 }));
    });

  it('refuses an upgrade over the cap with 503, and counts it as WS', async () => {
    const a = await open('127.0.0.5');
    const b = await open('127.0.0.5');
    const c = await open('127.0.0.5');
    const other = await open('127.0.0.6');
    expect([a.status, b.status, c.status, other.status]).toEqual([101, 101, 503, 101]);
    expect(refused).toEqual(['WS 127.0.0.5']);
    a.ws.close();
    // Its place is free again once it has closed.
    await until(() => t.guard.openFrom('127.0.0.5', 'WS') === 1);
    const d = await open('127.0.0.5');
    expect(d.status).toBe(101);
    for (const x of [b, c, d, other]) x.ws.terminate();
  });
});

describe('connection limits over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-guard-tls-'));
  const refused: string[] = [];
  let t: SipTransports;
  beforeAll(async () => {
    const m = await loadOrCreateCertificate({
      certFile: null,
      keyFile: null,
      dataDir: dir,
      hostName: '127.0.0.1',
    });
    t = new SipTransports(
      {
        host: '127.0.0.1',
        port: 0,
        tls: { port: 0, key: m.key, cert: m.cert },
        connections: { maxPerIp: 1, firstMessageMs: 60_000 },
      },
      { message: () => {}, refused: (ip, transport) => refused.push(`${transport} ${ip}`) },
    );
    await t.listen();
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a connection over the cap before its handshake', async () => {
    const handshake = (localAddress: string) =>
      new Promise<boolean>((resolve) => {
        const raw = connect({ host: '127.0.0.1', port: t.tlsPort, localAddress });
        const s = tlsConnect({ socket: raw, rejectUnauthorized: false });
        s.once('secureConnect', () => resolve(true));
        s.once('error', () => resolve(false));
        s.once('close', () => resolve(false));
        opened.push(s);
      });
    const opened: Socket[] = [];
    try {
      expect(await handshake('127.0.0.7')).toBe(true);
      expect(await handshake('127.0.0.7')).toBe(false);
      expect(await handshake('127.0.0.8')).toBe(true);
      expect(refused).toEqual(['TLS 127.0.0.7']);
      expect(t.guard.openFrom('127.0.0.7', 'TLS')).toBe(1);
    } finally {
      for (const s of opened) s.destroy();
    }
  });
});

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
}
