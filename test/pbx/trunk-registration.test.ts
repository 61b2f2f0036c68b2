/**
 * Trunk registration (src/pbx/trunks/registration.ts): the PBX registering itself to a
 * carrier. First against SIPp acting as the carrier's registrar (a peer nobody here
 * wrote, checking our digest answers with its own verifyauth) over our real transports
 * and transaction layer; then with a hand-driven fake layer under a manual clock for
 * the timing rules: refresh, backoff, Retry-After, 423, failover and stop().
 * The SIPp part is skipped when sipp is missing, unless NIMBUS_REQUIRE_INTEROP=1.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffSec,
  type RegistrationConfig,
  type RegistrationStatus,
  type RequestSender,
  refreshAfterSec,
  TrunkRegistration,
} from '../../src/pbx/trunks/registration.js';
import { DigestAuthenticator, parseCredentials, parseDigestParams } from '../../src/sip/auth.js';
import { branchOf, makeResponse, tagOf } from '../../src/sip/build.js';
import { formatUri, type SipRequest } from '../../src/sip/message/index.js';
import { ManualClock, systemClock } from '../../src/sip/transaction/clock.js';
import { type ClientHandlers, TransactionLayer } from '../../src/sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../../src/sip/transaction/timers.js';
import type { Destination, TransportName } from '../../src/sip/transaction/types.js';
import { SipTransports } from '../../src/sip/transport/transports.js';
import { runCommand } from '../helpers/process.js';

const haveSipp = spawnSync('sipp', ['-v']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const SCENARIO = resolve(import.meta.dirname, '../interop/sipp/registrar-auth.xml');

const CFG: RegistrationConfig = {
  trunkId: 'carrier-1',
  domain: 'carrier.test',
  username: 'trunk-user',
  authUsername: 'trunk-user',
  realm: null,
  password: 'trunk-secret',
  expirySec: 300,
  contactUser: 'pbx-in',
};

const silent = pino({ level: 'silent' });
/** Lets the client's promise chains run after a hand-made answer or a clock step. */
const flush = () => new Promise<void>((r) => setImmediate(r));

function grantedSec(s: RegistrationStatus): number | null {
  return s.expiresAt && s.registeredAt ? (s.expiresAt.getTime() - s.registeredAt.getTime()) / 1000 : null;
}

/** The states the listener saw, repeats folded. */
function stateTrail(changes: RegistrationStatus[]): string[] {
  return changes.map((c) => c.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

function authParams(req: SipRequest, header = 'Authorization'): Map<string, string> | null {
  const v = req.headers.get(header);
  return v === undefined ? null : parseDigestParams(v);
}

/** Whether a port is bound on loopback (Linux /proc): sipp is ready once it is. */
function listening(port: number, transport: TransportName): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  try {
    const table = readFileSync(transport === 'UDP' ? '/proc/net/udp' : '/proc/net/tcp', 'utf8');
    return table.split('\n').some((l) => {
      const local = l.trim().split(/\s+/)[1] ?? '';
      return `${local} `.endsWith(hex) && (transport === 'UDP' || l.trim().split(/\s+/)[3] === '0A');
    });
  } catch {
    return true; // no /proc: rely on the retransmissions (UDP) and the wait below
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.runIf(haveSipp || required)('trunk registration against SIPp as the carrier registrar', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** Our real stack on loopback; `sent` captures every REGISTER with the time it left. */
  async function stack(transport: TransportName, sippPort: number, password: string) {
    if (!haveSipp)
      throw new Error('sipp is not installed (apt-get install sip-tester) and NIMBUS_REQUIRE_INTEROP=1');
    const transports = new SipTransports(
      { host: '127.0.0.1', port: 0 },
      {
        message: (m, source) =>
          m.kind === 'request' ? layer.receiveRequest(m, source) : layer.receiveResponse(m, source),
      },
    );
    const layer: TransactionLayer = new TransactionLayer(
      { clock: systemClock, timers: DEFAULT_TIMERS, sender: transports },
      { request: (req, tx) => tx?.respond(makeResponse(req, 501)) },
    );
    await transports.listen();
    cleanups.push(async () => {
      layer.close();
      await transports.close();
    });
    const sent: { req: SipRequest; at: number }[] = [];
    const changes: RegistrationStatus[] = [];
    const reg = new TrunkRegistration(
      {
        layer: {
          sendRequest: (req: SipRequest, dest: Destination, on: ClientHandlers) => {
            sent.push({ req, at: Date.now() });
            return layer.sendRequest(req, dest, on);
          },
        },
        clock: systemClock,
        localFor: (d) => ({
          host: '127.0.0.1',
          port: d.transport === 'UDP' ? transports.udpPort : transports.tcpPort,
          transport: d.transport,
        }),
        resolve: async () => [{ transport, host: '127.0.0.1', port: sippPort }],
        log: silent,
      },
      { ...CFG, password },
      (s) => changes.push(s),
    );
    cleanups.push(() => reg.stop());
    return { reg, sent, changes };
  }

  /** Starts SIPp as the registrar and waits until it listens; resolves to its run once it exits. */
  async function sipp(transport: TransportName, port: number) {
    const run = runCommand('timeout', [
      '20',
      'sipp',
      '-sf',
      SCENARIO,
      '-p',
      String(port),
      '-i',
      '127.0.0.1',
      '-t',
      transport === 'UDP' ? 'u1' : 't1',
      '-m',
      '1',
      '-recv_timeout',
      '8000',
      '-timeout',
      '15',
      '-nostdin',
    ]);
    await until(() => listening(port, transport), 5000);
    return { done: () => run };
  }

  it.each(['UDP', 'TCP'] as const)(
    'registers over %s with digest auth, refreshes at half a 2 s grant, and unregisters on stop',
    async (transport) => {
      const port = await freePort();
      const sippRun = await sipp(transport, port);
      const { reg, sent, changes } = await stack(transport, port, CFG.password);
      reg.start();

      // The second 200 grants 60 s: once we hold that, the refresh went through.
      expect(await until(() => grantedSec(reg.status()) === 60, 8000), JSON.stringify(reg.status())).toBe(
        true,
      );
      await reg.stop();
      const r = await sippRun.done();
      expect(r.status, r.out).toBe(0);

      expect(stateTrail(changes)).toEqual(['registering', 'registered', 'stopped']);
      // The first grant came from our Contact's expires (2), not the Expires header (3600).
      expect(changes.map(grantedSec).filter((g) => g !== null)).toContain(2);
      const status = reg.status();
      expect(status).toMatchObject({ state: 'stopped', lastStatus: 200, expiresAt: null, failures: 0 });

      // REGISTER, REGISTER with credentials, the refresh, the un-REGISTER: RFC 3261 §10.2.4.
      const reqs = sent.map((s) => s.req);
      expect(reqs.map((q) => q.headers.get('CSeq'))).toEqual([
        '1 REGISTER',
        '2 REGISTER',
        '3 REGISTER',
        '4 REGISTER',
      ]);
      expect(new Set(reqs.map((q) => q.headers.get('Call-ID'))).size).toBe(1);
      expect(new Set(reqs.map((q) => tagOf(q.headers.get('From')))).size).toBe(1);
      expect(new Set(reqs.map((q) => branchOf(q))).size).toBe(4);
      expect(reqs.map((q) => q.headers.get('Expires'))).toEqual(['300', '300', '300', '0']);
      expect(reqs.map((q) => authParams(q)?.get('nc') ?? null)).toEqual([
        null,
        '00000001',
        '00000002',
        '00000003',
      ]);
      const t = transport === 'TCP' ? ';transport=tcp' : '';
      expect(reqs[0]!.headers.get('Contact')).toMatch(new RegExp(`^<sip:pbx-in@127\\.0\\.0\\.1:\\d+${t}>$`));
      // Refreshed at half the 2 s grant.
      const gap = sent[2]!.at - sent[1]!.at;
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(1900);
    },
    20_000,
  );

  it('fails with the 403 the registrar answers to a wrong password, and backs off', async () => {
    const port = await freePort();
    const sippRun = await sipp('UDP', port);
    const { reg, sent } = await stack('UDP', port, 'not-the-secret');
    const started = Date.now();
    reg.start();
    expect(await until(() => reg.status().state === 'failed', 8000)).toBe(true);
    const r = await sippRun.done();
    expect(r.status, r.out).toBe(0);
    const s = reg.status();
    expect(s).toMatchObject({ state: 'failed', lastStatus: 403, failures: 1, registeredAt: null });
    const wait = s.nextAttemptAt!.getTime() - started;
    expect(wait).toBeGreaterThan(29_000);
    expect(wait).toBeLessThan(31_000);
    await reg.stop();
    expect(sent).toHaveLength(2); // nothing registered, nothing to remove
  }, 20_000);
});

/** A transaction layer the test answers by hand. */
class FakeLayer implements RequestSender {
  readonly sent: { req: SipRequest; dest: Destination; on: ClientHandlers }[] = [];

  sendRequest(req: SipRequest, dest: Destination, on: ClientHandlers): void {
    this.sent.push({ req, dest, on });
  }

  get last() {
    const s = this.sent.at(-1);
    if (!s) throw new Error('nothing sent');
    return s;
  }

  async answer(status: number, headers: [string, string][] = []): Promise<void> {
    const s = this.last;
    s.on.response(makeResponse(s.req, status, { headers }));
    await flush();
  }
}

const A: Destination = { transport: 'UDP', host: '203.0.113.1', port: 5060 };
const B: Destination = { transport: 'UDP', host: '203.0.113.2', port: 5060 };

function fake(
  opts: {
    dests?: Destination[];
    cfg?: Partial<RegistrationConfig>;
    resolve?: () => Promise<Destination[]>;
    log?: Logger;
    onChange?: (s: RegistrationStatus) => void;
  } = {},
) {
  const clock = new ManualClock();
  const layer = new FakeLayer();
  const changes: RegistrationStatus[] = [];
  const reg = new TrunkRegistration(
    {
      layer,
      clock,
      localFor: (d) => ({ host: '198.51.100.7', port: 5060, transport: d.transport }),
      resolve: opts.resolve ?? (async () => opts.dests ?? [A]),
      log: opts.log ?? silent,
    },
    { ...CFG, ...opts.cfg },
    opts.onChange ??
      ((s) => {
        changes.push(s);
      }),
  );
  /** Seconds until the next attempt. */
  const nextIn = () => (reg.status().nextAttemptAt!.getTime() - clock.now()) / 1000;
  const advance = async (sec: number) => {
    clock.advance(sec * 1000);
    await flush();
  };
  return { clock, layer, reg, changes, nextIn, advance };
}

describe('TrunkRegistration with a hand-driven layer and clock', () => {
  it('builds the REGISTER of RFC 3261 §10.2, answers the challenge and reuses it on refresh', async () => {
    const { layer, reg, changes, nextIn, advance } = fake();
    const auth = new DigestAuthenticator({ secret: Buffer.from('registrar-secret') });
    reg.start();
    await flush();
    expect(reg.status().state).toBe('registering');
    const first = layer.last.req;
    expect(formatUri(first.uri)).toBe('sip:carrier.test');
    expect(first.headers.get('From')).toMatch(/^<sip:trunk-user@carrier\.test>;tag=\w+$/);
    expect(first.headers.get('To')).toBe('<sip:trunk-user@carrier.test>');
    expect(first.headers.get('Contact')).toBe('<sip:pbx-in@198.51.100.7:5060>');
    expect(first.headers.get('Expires')).toBe('300');
    expect(first.headers.get('CSeq')).toBe('1 REGISTER');
    expect(first.headers.get('Authorization')).toBeUndefined();

    await layer.answer(401, [['WWW-Authenticate', auth.challenge('carrier.test')[0]!]]);
    const second = layer.last.req;
    expect(second.headers.get('CSeq')).toBe('2 REGISTER');
    expect(second.headers.get('Call-ID')).toBe(first.headers.get('Call-ID'));
    expect(second.headers.get('From')).toBe(first.headers.get('From'));
    expect(branchOf(second)).not.toBe(branchOf(first));
    const creds = parseCredentials(second.headers.get('Authorization')!)!;
    expect(creds).toMatchObject({ username: 'trunk-user', uri: 'sip:carrier.test', nc: '00000001' });
    expect(auth.verify(creds, 'REGISTER', 'carrier.test', 'trunk-secret')).toBe('ok');

    // Our Contact's expires (120) wins over the Expires header and the other node's binding.
    await layer.answer(200, [
      ['Contact', '<sip:other@192.0.2.10:5060>;expires=3600'],
      ['Contact', '<sip:pbx-in@198.51.100.7:5060>;expires=120'],
      ['Expires', '3600'],
    ]);
    expect(reg.status()).toMatchObject({
      state: 'registered',
      lastStatus: 200,
      destination: 'udp:203.0.113.1:5060',
    });
    expect(grantedSec(reg.status())).toBe(120);
    expect(nextIn()).toBe(60); // max(120 / 2, 120 - 60)

    await advance(60);
    const refresh = layer.last.req;
    expect(refresh.headers.get('CSeq')).toBe('3 REGISTER');
    expect(refresh.headers.get('Call-ID')).toBe(first.headers.get('Call-ID'));
    const again = parseCredentials(refresh.headers.get('Authorization')!)!;
    expect(again.nc).toBe('00000002');
    expect(auth.verify(again, 'REGISTER', 'carrier.test', 'trunk-secret')).toBe('ok');
    await layer.answer(200, [['Expires', '3600']]);
    expect(nextIn()).toBe(3540); // a minute before expiry
    // The binding held during the refresh: no 'registering' in between.
    expect(stateTrail(changes)).toEqual(['registering', 'registered']);
  });

  it('names TCP in the Contact, and matches our binding in the 200 on it', async () => {
    const tcp: Destination = { transport: 'TCP', host: '203.0.113.1', port: 5060 };
    const { layer, reg } = fake({ dests: [tcp] });
    reg.start();
    await flush();
    expect(layer.last.req.headers.get('Contact')).toBe('<sip:pbx-in@198.51.100.7:5060;transport=tcp>');
    expect(layer.last.dest).toEqual(tcp);
    await layer.answer(200, [
      ['Contact', '<sip:pbx-in@198.51.100.7:5060>;expires=30'], // a UDP binding of ours: not this one
      ['Contact', '<sip:pbx-in@198.51.100.7:5060;transport=TCP>;expires=90'],
    ]);
    expect(grantedSec(reg.status())).toBe(90);
  });

  it('refreshes at the later of half the grant and a minute before expiry, between 1 s and a day', () => {
    expect([1, 2, 60, 120, 600, 3600, 10 ** 9].map(refreshAfterSec)).toEqual([
      1, 1, 30, 60, 540, 3540, 86_400,
    ]);
  });

  it('backs off 30, 60, 120 ... 600 s, and a success starts again from 30 s', async () => {
    const { layer, reg, nextIn, advance } = fake();
    expect([1, 2, 3, 4, 5, 6, 7].map(backoffSec)).toEqual([30, 60, 120, 240, 480, 600, 600]);
    reg.start();
    await flush();
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      await layer.answer(500);
      waits.push(nextIn());
      await advance(nextIn());
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 600, 600]);
    expect(reg.status()).toMatchObject({ state: 'registering', failures: 7, lastStatus: 500 });
    expect(layer.sent).toHaveLength(8);

    await layer.answer(200, [['Expires', '120']]);
    expect(reg.status()).toMatchObject({ state: 'registered', failures: 0, lastError: null });
    await advance(nextIn());
    await layer.answer(480);
    expect(reg.status()).toMatchObject({ state: 'failed', failures: 1, lastStatus: 480 });
    expect(nextIn()).toBe(30);
  });

  it('waits what Retry-After says on 503 and 500, and ignores it on other answers', async () => {
    const { layer, reg, nextIn, advance } = fake();
    reg.start();
    await flush();
    await layer.answer(503, [['Retry-After', '45 (maintenance)']]);
    expect(reg.status()).toMatchObject({ state: 'failed', lastStatus: 503, failures: 1 });
    expect(nextIn()).toBe(45);
    await advance(45);
    await layer.answer(500, [['Retry-After', '7;duration=60']]);
    expect(nextIn()).toBe(7);
    await advance(7);
    await layer.answer(404, [['Retry-After', '5']]);
    expect(nextIn()).toBe(120); // the third failure's backoff
  });

  it('asks again with Min-Expires after a 423, and keeps asking it on refreshes', async () => {
    const { layer, reg, nextIn, advance } = fake({ cfg: { expirySec: 60 } });
    reg.start();
    await flush();
    expect(layer.last.req.headers.get('Expires')).toBe('60');
    await layer.answer(423, [['Min-Expires', '300']]);
    expect(layer.sent).toHaveLength(2);
    expect(layer.last.req.headers.get('Expires')).toBe('300');
    expect(layer.last.req.headers.get('CSeq')).toBe('2 REGISTER');
    await layer.answer(200); // no expiry in the answer: what we asked
    expect(grantedSec(reg.status())).toBe(300);
    expect(nextIn()).toBe(240);
    await advance(240);
    expect(layer.last.req.headers.get('Expires')).toBe('300');

    // A 423 that asks for no more than we did cannot be satisfied: a failure, not a loop.
    await layer.answer(423, [['Min-Expires', '300']]);
    expect(reg.status()).toMatchObject({ state: 'failed', lastStatus: 423 });
  });

  it('moves to the next registrar address on timeout, transport error or 503, and stays there', async () => {
    const C: Destination = { transport: 'UDP', host: '203.0.113.3', port: 5060 };
    const { layer, reg, nextIn, advance } = fake({ dests: [A, B, C] });
    reg.start();
    await flush();
    expect(layer.last.dest).toEqual(A);
    layer.last.on.timeout();
    await flush();
    expect(layer.last.dest).toEqual(B);
    expect(layer.last.req.headers.get('CSeq')).toBe('2 REGISTER');
    layer.last.on.transportError?.();
    await flush();
    expect(layer.last.dest).toEqual(C);
    await layer.answer(200, [['Expires', '600']]);
    expect(reg.status()).toMatchObject({ state: 'registered', destination: 'udp:203.0.113.3:5060' });

    // The refresh goes where the binding is; an overloaded address (503) hands over to the next.
    await advance(nextIn());
    expect(layer.last.dest).toEqual(C);
    await layer.answer(503);
    expect(layer.last.dest).toEqual(A);
    await layer.answer(200, [['Expires', '600']]);
    expect(reg.status()).toMatchObject({ state: 'registered', destination: 'udp:203.0.113.1:5060' });
    expect(new Set(layer.sent.map((s) => s.req.headers.get('Call-ID'))).size).toBe(1);
  });

  it('fails when no registrar address answers, and backs off', async () => {
    const { layer, reg, nextIn } = fake({ dests: [A, B] });
    reg.start();
    await flush();
    layer.last.on.timeout();
    await flush();
    layer.last.on.timeout();
    await flush();
    expect(reg.status()).toMatchObject({
      state: 'failed',
      lastStatus: null,
      lastError: 'no answer from udp:203.0.113.2:5060',
      failures: 1,
    });
    expect(nextIn()).toBe(30);
  });

  it('answers only a challenge in the configured realm (no digest leak to another realm)', async () => {
    const ch = (realm: string) => `Digest realm="${realm}", nonce="n1", qop="auth"`;
    const { layer, reg } = fake({ cfg: { realm: 'carrier.test' } });
    reg.start();
    await flush();
    await layer.answer(401, [['WWW-Authenticate', ch('elsewhere.example')]]);
    expect(layer.sent).toHaveLength(1);
    expect(reg.status()).toMatchObject({ state: 'failed', lastStatus: 401 });
    expect(reg.status().lastError).toMatch(/realm/);
    // Among several challenges, the one in the trunk's realm is answered.
    const two = fake({ cfg: { realm: 'carrier.test' } });
    two.reg.start();
    await flush();
    await two.layer.answer(401, [
      ['WWW-Authenticate', ch('elsewhere.example')],
      ['WWW-Authenticate', ch('carrier.test')],
    ]);
    expect(two.layer.sent).toHaveLength(2);
    expect(authParams(two.layer.last.req)?.get('realm')).toBe('carrier.test');
  });

  it('takes a second challenge as wrong credentials unless it says the nonce was stale', async () => {
    const ch = (nonce: string, stale = false) =>
      `Digest realm="carrier.test", nonce="${nonce}", qop="auth"${stale ? ', stale=true' : ''}`;
    const { layer, reg, nextIn } = fake();
    reg.start();
    await flush();
    await layer.answer(401, [['WWW-Authenticate', ch('n1')]]);
    await layer.answer(401, [['WWW-Authenticate', ch('n2', true)]]);
    expect(layer.sent).toHaveLength(3);
    expect(authParams(layer.last.req)?.get('nonce')).toBe('n2');
    expect(authParams(layer.last.req)?.get('nc')).toBe('00000001');
    await layer.answer(401, [['WWW-Authenticate', ch('n3')]]);
    expect(layer.sent).toHaveLength(3);
    expect(reg.status()).toMatchObject({ state: 'failed', lastStatus: 401, failures: 1 });
    expect(reg.status().lastError).toMatch(/credentials/);
    expect(nextIn()).toBe(30);

    // A proxy's 407 is answered in Proxy-Authorization.
    const proxied = fake();
    proxied.reg.start();
    await flush();
    await proxied.layer.answer(407, [['Proxy-Authenticate', ch('p1')]]);
    expect(authParams(proxied.layer.last.req, 'Proxy-Authorization')?.get('nonce')).toBe('p1');
    expect(proxied.layer.last.req.headers.get('Authorization')).toBeUndefined();
  });

  it('stop() removes our binding with Expires: 0 where it lives, and leaves no timer behind', async () => {
    const { clock, layer, reg, changes } = fake({ dests: [A, B] });
    reg.start();
    await flush();
    await layer.answer(401, [['WWW-Authenticate', 'Digest realm="carrier.test", nonce="n1", qop="auth"']]);
    await layer.answer(200, [['Expires', '300']]);
    const registered = layer.last.req;
    const stopping = reg.stop();
    await flush();
    const unregister = layer.last.req;
    expect(layer.sent).toHaveLength(3);
    expect(layer.last.dest).toEqual(A);
    expect(unregister.headers.get('Expires')).toBe('0');
    // Our Contact, not "*": other nodes may hold bindings for the same AOR.
    expect(unregister.headers.get('Contact')).toBe(registered.headers.get('Contact'));
    expect(unregister.headers.get('Call-ID')).toBe(registered.headers.get('Call-ID'));
    expect(unregister.headers.get('CSeq')).toBe('3 REGISTER');
    expect(authParams(unregister)?.get('nc')).toBe('00000002');
    await layer.answer(200);
    await stopping;
    expect(reg.status()).toMatchObject({ state: 'stopped', expiresAt: null, nextAttemptAt: null });
    expect(stateTrail(changes)).toEqual(['registering', 'registered', 'stopped']);
    expect(clock.pending).toBe(0);
    clock.advance(3_600_000);
    await flush();
    expect(layer.sent).toHaveLength(3);
  });

  it('stop() gives up on an unanswered un-REGISTER after 2 s, and sends none when nothing is bound', async () => {
    const { clock, layer, reg } = fake();
    reg.start();
    await flush();
    await layer.answer(200);
    const stopping = reg.stop();
    await flush();
    expect(layer.last.req.headers.get('Expires')).toBe('0');
    clock.advance(2000);
    await stopping;
    expect(reg.status().state).toBe('stopped');

    const idle = fake();
    idle.reg.start();
    await flush();
    await idle.layer.answer(403);
    await idle.reg.stop();
    expect(idle.layer.sent).toHaveLength(1);
    expect(idle.reg.status()).toMatchObject({ state: 'stopped', nextAttemptAt: null });
    expect(idle.clock.pending).toBe(0);
  });

  it('never throws from its timers: a failing resolver and a throwing listener are logged, and it retries', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(s) });
    let calls = 0;
    const { layer, reg, nextIn, advance } = fake({
      log,
      resolve: async () => {
        calls++;
        if (calls === 1) throw new Error('SRV lookup failed');
        return [A];
      },
      onChange: () => {
        throw new Error('listener bug');
      },
    });
    reg.start();
    await flush();
    expect(reg.status()).toMatchObject({ state: 'failed', failures: 1 });
    expect(reg.status().lastError).toMatch(/could not resolve the registrar: SRV lookup failed/);
    expect(nextIn()).toBe(30);
    await advance(30);
    await layer.answer(200);
    expect(reg.status().state).toBe('registered');
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; trunk: string });
    expect(logged.some((l) => l.msg === 'trunk registration status listener threw')).toBe(true);
    expect(logged.some((l) => l.msg === 'trunk registration failed' && l.trunk === 'carrier-1')).toBe(true);
    expect(lines.join('')).not.toContain('trunk-secret');
  });
});
