/**
 * Connections the transports open themselves: a request to a TLS peer with no
 * connection yet dials one, verifies the peer's certificate, and reuses it; a peer
 * whose certificate does not verify gets nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCertificate } from '../../src/pbx/tls-certificate.js';
import { newBranch } from '../../src/sip/build.js';
import { Headers, parseUri, type SipRequest, StreamFramer } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { TransactionLayer } from '../../src/sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../../src/sip/transaction/timers.js';
import { SipTransports } from '../../src/sip/transport/transports.js';

function options(branch: string): SipRequest {
  const headers = new Headers();
  headers.append('Via', `SIP/2.0/TLS 127.0.0.1:5061;branch=${branch}`);
  headers.append('Max-Forwards', '70');
  headers.append('From', '<sip:nimbus@127.0.0.1>;tag=1');
  headers.append('To', '<sip:peer@127.0.0.1>');
  headers.append('Call-ID', `${branch}@test`);
  headers.append('CSeq', '1 OPTIONS');
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: parseUri('sip:peer@127.0.0.1')!,
    rawUri: '',
    headers,
    body: Buffer.alloc(0),
  };
}

async function until(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
}

describe('outbound TLS connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-tls-out-'));
  let peer: Server;
  let port = 0;
  let cert = '';
  let connections = 0;
  const received: string[] = [];

  beforeAll(async () => {
    const material = await loadOrCreateCertificate({
      certFile: null,
      keyFile: null,
      dataDir: dir,
      hostName: '127.0.0.1',
    });
    cert = material.cert;
    peer = createServer({ key: material.key, cert: material.cert }, (socket) => {
      connections++;
      const framer = new StreamFramer();
      socket.on('data', (chunk) => {
        for (const ev of framer.push(chunk))
          if (ev.type === 'message') received.push(ev.message.headers.get('Call-ID') ?? '');
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
    port = (peer.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => peer.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('dials the peer, verifies its certificate, and sends the next request on the same connection', async () => {
    const t = new SipTransports(
      { host: '127.0.0.1', port: 0, tlsClient: { verify: true, ca: cert } },
      { message: () => {} },
    );
    await t.listen();
    const dest = { transport: 'TLS' as const, host: '127.0.0.1', port };
    t.send(options('z9hG4bKone'), dest);
    t.send(options('z9hG4bKtwo'), dest);
    expect(await until(() => received.length === 2)).toBe(true);
    expect(received).toEqual(['z9hG4bKone@test', 'z9hG4bKtwo@test']);
    expect(connections).toBe(1);
    await t.close();
  });

  it('sends nothing to a peer whose certificate it cannot verify', async () => {
    const before = received.length;
    const t = new SipTransports({ host: '127.0.0.1', port: 0 }, { message: () => {} });
    await t.listen();
    t.send(options(newBranch()), { transport: 'TLS', host: '127.0.0.1', port });
    expect(await until(() => t.stats.sendErrors > 0)).toBe(true);
    expect(received.length).toBe(before);
    await t.close();
  });
});

describe('transport errors reach the client transaction at once', () => {
  it('fails an INVITE and an OPTIONS to a refused TCP/TLS peer well before Timer B/F', async () => {
    const t = new SipTransports({ host: '127.0.0.1', port: 0 }, { message: () => {} });
    await t.listen();
    const layer = new TransactionLayer(
      { clock: systemClock, timers: DEFAULT_TIMERS, sender: t },
      { request: () => {} },
    );
    // A port nothing listens on: take one and close it again.
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const dead = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const outcomes: string[] = [];
    const started = Date.now();
    for (const [transport, method] of [
      ['TCP', 'OPTIONS'],
      ['TLS', 'INVITE'],
    ] as const) {
      const req = options(newBranch());
      req.method = method;
      req.headers.set('CSeq', `1 ${method}`);
      layer.sendRequest(
        req,
        { transport, host: '127.0.0.1', port: dead },
        {
          response: () => outcomes.push('response'),
          timeout: () => outcomes.push('timeout'),
          transportError: () => outcomes.push(`${method} transport error`),
        },
      );
    }
    expect(await until(() => outcomes.length === 2)).toBe(true);
    expect(outcomes.sort()).toEqual(['INVITE transport error', 'OPTIONS transport error']);
    expect(Date.now() - started).toBeLessThan(2000);
    layer.close();
    await t.close();
  });
});
