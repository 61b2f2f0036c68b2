/**
 * The flood and resource defences wired into the SIP service, each bound with a
 * small cap: a tenant flooded by strangers keeps answering its own phones and
 * the other tenants; calls, subscriptions and server transactions past their
 * bound get 503 with one overload event; client transactions past theirs fail
 * as unsent; nonce records stay bounded. Over real UDP and TCP on loopback.
 */
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Defences } from '../../src/pbx/defences.js';
import { SecurityLog } from '../../src/pbx/security-events.js';
import { authorize, DigestAuthenticator, parseCredentials } from '../../src/sip/auth.js';
import { newBranch } from '../../src/sip/build.js';
import { parseMessage, type SipRequest } from '../../src/sip/message/index.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { TransactionLayer } from '../../src/sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../../src/sip/transaction/timers.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { ask, tcpClient, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

const cred = (name: string, user: string, target: string) => ({
  user,
  target,
  domain: `${name}.example.test`,
  password: `s-${user}-secret`,
});

function options(domain: string, port: number, i: number, host = '127.0.0.2', transport = 'UDP'): string {
  return [
    `OPTIONS sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${host}:${port};branch=z9hG4bK-tf${i};rport`,
    'Max-Forwards: 70',
    `From: <sip:x@${domain}>;tag=tf${i}`,
    `To: <sip:${domain}>`,
    `Call-ID: tenant-flood-${i}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('a tenant flooded by strangers', () => {
  let fx: SipFixture;
  const other = 'quiet.example.test';
  beforeAll(async () => {
    fx = await sipFixture('busy.example.test', [{ number: '101' }], { defences: { tenantRateLimit: 5 } });
    const t = await fx.db.store.tenants.create({
      name: other,
      sipDomain: other,
      timeZone: 'UTC',
      language: 'en',
      country: 'RU',
      maxExtensions: 5,
      maxConcurrentCalls: 5,
    });
    await fx.db.store.tenant(t.id).extensions.create({
      number: '201',
      displayName: 'Ext 201',
      userId: null,
      sipSecret: 's-201-secret',
      voicemailEnabled: false,
      voicemailPin: null,
      callClass: 'internal',
      dnd: false,
      ringTimeoutSec: 20,
      forwarding: NO_FORWARDING,
    });
    await fx.sip.tenantChanged(t.id);
  });
  afterAll(async () => fx?.close());

  it('keeps its own phones and other tenants served; strangers over its rate are dropped (UDP) or get 503 (TCP)', async () => {
    const port = fx.sip.transports.udpPort;
    const phone = await udpClient(port, '127.0.0.3');
    const otherPhone = await udpClient(port, '127.0.0.5');
    const flooder = createSocket('udp4');
    await new Promise<void>((r) => flooder.bind(0, '127.0.0.2', () => r()));
    let answers = 0;
    flooder.on('message', () => answers++);
    const reg = { user: '101', target: '', domain: 'busy.example.test', password: 's-101-secret' };
    try {
      expect((await ask('REGISTER', reg, phone)).status).toBe(200);
      // 2,000 OPTIONS in bursts for about a second, from one address (no per-address limit here).
      let sent = 0;
      const burst = setInterval(() => {
        for (let i = 0; i < 200; i++, sent++)
          flooder.send(options('busy.example.test', flooder.address().port, sent), port, '127.0.0.1');
      }, 100);
      try {
        await until(() => sent >= 400);
        // The tenant's own phone: in its own budget, answered.
        expect((await ask('REGISTER', reg, phone)).status).toBe(200);
        // Another tenant's phone, a stranger there: untouched by this tenant's limit.
        const otherReg = { user: '201', target: '', domain: other, password: 's-201-secret' };
        expect((await ask('REGISTER', otherReg, otherPhone)).status).toBe(200);
        // A stranger over TCP (its address proven by the connection) is told to come back later.
        const tcp = await tcpClient(fx.sip.transports.tcpPort, '127.0.0.4');
        try {
          let refused = '';
          for (let i = 0; i < 10 && !refused; i++) {
            const { raw } = await tcp.exchange(
              options('busy.example.test', tcp.port, 10_000 + i, '127.0.0.4', 'TCP'),
              `tenant-flood-${10_000 + i}`,
            );
            if (raw.startsWith('SIP/2.0 503')) refused = raw;
          }
          expect(refused).toMatch(/\r\nRetry-After: [12]\r\n/);
        } finally {
          tcp.close();
        }
        await until(() => sent >= 2000);
      } finally {
        clearInterval(burst);
      }
      await new Promise((r) => setTimeout(r, 200));
      // 10 strangers' requests a 2 s window: a handful of windows passed, 2,000 were sent.
      expect(answers).toBeLessThan(100);
      expect(fx.sip.defences.tenantLimit.stats.dropped).toBeGreaterThan(1500);
      const events = fx.sip.securityLog.list({ kind: 'tenant-flood' });
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(events.length).toBeLessThanOrEqual(2); // aggregated: one a minute per tenant
      expect(events.at(-1)).toMatchObject({
        tenantId: fx.tenantId,
        realm: 'busy.example.test',
        kind: 'tenant-flood',
      });
    } finally {
      flooder.close();
      phone.close();
      otherPhone.close();
    }
  });
});

describe("a tenant's own rate limit", () => {
  let fx: SipFixture;
  beforeAll(async () => {
    // No platform-wide limit: only the tenant's own, set by the operator.
    fx = await sipFixture('own.example.test', [{ number: '101' }]);
    await fx.db.store.tenants.update(fx.tenantId, { sipRequestsPerSecond: 2 });
    await fx.sip.tenantChanged(fx.tenantId);
  });
  afterAll(async () => fx?.close());

  it('holds strangers to it', async () => {
    const port = fx.sip.transports.udpPort;
    const flooder = createSocket('udp4');
    await new Promise<void>((r) => flooder.bind(0, '127.0.0.2', () => r()));
    let answers = 0;
    flooder.on('message', () => answers++);
    try {
      for (let i = 0; i < 100; i++)
        flooder.send(options('own.example.test', flooder.address().port, i), port, '127.0.0.1');
      expect(await until(() => fx.sip.defences.tenantLimit.stats.dropped + answers >= 100)).toBe(true);
      // 4 a 2 s window (2 a second); a window or two may pass on a loaded machine.
      expect(answers).toBeLessThanOrEqual(12);
      expect(fx.sip.defences.tenantLimit.stats.dropped).toBeGreaterThanOrEqual(88);
    } finally {
      flooder.close();
    }
  });
});

describe('the tenant limit and the allow-list', () => {
  it('never counts an allow-listed source', () => {
    const log = new SecurityLog(pino({ level: 'silent' }));
    const d = new Defences(log, () => ({ id: 't1' }), {
      tenantRateLimit: 1,
      exempt: (ip) => ip === '10.0.0.9',
    });
    const req = parseMessage(Buffer.from(options('a.test', 5060, 1, '10.0.0.9')));
    if (!req.ok || req.message.kind !== 'request') throw new Error('bad request');
    const office = { transport: 'UDP' as const, host: '10.0.0.9', port: 5060 };
    const stranger = { transport: 'UDP' as const, host: '192.0.2.1', port: 5060 };
    for (let i = 0; i < 50; i++) expect(d.screen(req.message, office, () => {})).toBe(false);
    expect(d.screen(req.message, stranger, () => {})).toBe(false);
    expect(d.screen(req.message, stranger, () => {})).toBe(false);
    expect(d.screen(req.message, stranger, () => {})).toBe(true);
  });

  it("answers a stranger's request over the budget with 503 when it came through a trusted proxy", () => {
    const log = new SecurityLog(pino({ level: 'silent' }));
    const d = new Defences(log, () => ({ id: 't1' }), { tenantRateLimit: 1, exempt: () => false });
    const req = parseMessage(Buffer.from(options('a.test', 5060, 1, '192.0.2.7')));
    if (!req.ok || req.message.kind !== 'request') throw new Error('bad request');
    const stranger = { transport: 'UDP' as const, host: '192.0.2.7', port: 5060 };
    const answers: number[] = [];
    const reply = (res: { status: number }) => answers.push(res.status);
    // Over the stranger's budget of 2 a window: straight from the stranger, dropped unanswered...
    for (let i = 0; i < 3; i++) d.screen(req.message, stranger, reply);
    expect(answers).toEqual([]);
    // ...but through Kamailio, answered: silence would make Kamailio take the node for dead.
    expect(d.screen(req.message, stranger, reply, true)).toBe(true);
    expect(answers).toEqual([503]);
  });
});

describe('bounds on calls and subscriptions', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture(
      'bounds.example.test',
      [{ number: '101' }, { number: '102', ringTimeoutSec: 60 }, { number: '103' }],
      { defences: { maxCalls: 1, maxSubscriptions: 1 } },
    );
  });
  afterAll(async () => fx?.close());

  it('refuses a second subscription with 503 and one overload event', async () => {
    const p = await udpClient(fx.sip.transports.udpPort, '127.0.0.6');
    try {
      expect((await ask('SUBSCRIBE', cred('bounds', '101', '102'), p)).status).toBe(200);
      const second = await ask('SUBSCRIBE', cred('bounds', '101', '103'), p);
      expect(second.status).toBe(503);
      expect(second.text).toContain('\r\nRetry-After: 30\r\n');
      expect(fx.sip.notifier.count).toBe(1);
      expect(fx.sip.securityLog.list({ kind: 'overload' })).toEqual([
        expect.objectContaining({
          method: 'SUBSCRIBE',
          reason: 'subscriptions-at-1:refused-1',
          ip: '127.0.0.6',
        }),
      ]);
    } finally {
      p.close();
    }
  });

  it('refuses a call past the bound while one rings', async () => {
    const port = fx.sip.transports.udpPort;
    const callee = await udpClient(port, '127.0.0.7');
    const caller = await udpClient(port, '127.0.0.8');
    const other = await udpClient(port, '127.0.0.9');
    try {
      expect((await ask('REGISTER', cred('bounds', '102', ''), callee)).status).toBe(200);
      // The callee never answers: the first call rings for the rest of the test.
      void ask('INVITE', cred('bounds', '101', '102'), caller).catch(() => null);
      expect(await until(() => fx.sip.calls.size === 1)).toBe(true);
      const second = await ask('INVITE', cred('bounds', '103', '102'), other);
      expect(second.status).toBe(503);
      expect(second.text).toContain('\r\nRetry-After: 5\r\n');
      expect(fx.sip.calls.size).toBe(1);
      expect(fx.sip.defences.refused.calls).toBe(1);
      expect(fx.sip.securityLog.list({ kind: 'overload' })[0]).toMatchObject({
        method: 'INVITE',
        reason: 'calls-at-1:refused-1',
      });
      expect(fx.sip.securityCounts().tables.calls).toEqual({ size: 1, max: 1 });
    } finally {
      callee.close();
      caller.close();
      other.close();
    }
  });
});

describe('the server transaction bound', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('tx.example.test', [{ number: '101' }, { number: '102', ringTimeoutSec: 60 }], {
      defences: { maxServerTransactions: 1 },
    });
  });
  afterAll(async () => fx?.close());

  it('answers 503 to a request that needs a transaction while a ringing call holds the only one', async () => {
    const port = fx.sip.transports.udpPort;
    const callee = await udpClient(port, '127.0.0.7');
    const caller = await udpClient(port, '127.0.0.8');
    try {
      expect((await ask('REGISTER', cred('tx', '102', ''), callee)).status).toBe(200);
      void ask('INVITE', cred('tx', '101', '102'), caller).catch(() => null);
      expect(await until(() => fx.sip.layer.activeServerCount === 1 && fx.sip.calls.size === 1)).toBe(true);
      // Challenged statelessly first (no transaction), then refused when the credentials come.
      const r = await ask('REGISTER', cred('tx', '101', ''), caller);
      expect(r.status).toBe(503);
      expect(fx.sip.securityLog.list({ kind: 'overload' })[0]).toMatchObject({
        method: 'REGISTER',
        reason: 'server-transactions-at-1:refused-1',
      });
    } finally {
      callee.close();
      caller.close();
    }
  });
});

describe('connections of registered phones', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('flows.example.test', [{ number: '101' }], {
      defences: { connections: { idleMs: 300, firstMessageMs: 300 } },
    });
  });
  afterAll(async () => fx?.close());

  it('keeps a quiet connection a registration lives on, and closes one that only asked something', async () => {
    const port = fx.sip.transports.tcpPort;
    const phone = await tcpClient(port, '127.0.0.3');
    const asker = await tcpClient(port, '127.0.0.4');
    try {
      expect((await ask('REGISTER', cred('flows', '101', ''), phone)).status).toBe(200);
      const r = await asker.exchange(
        options('flows.example.test', asker.port, 1, '127.0.0.4', 'TCP'),
        'tenant-flood-1',
      );
      expect(r.raw.startsWith('SIP/2.0 200')).toBe(true);
      expect(fx.sip.transports.connectionCount).toBe(2);
      // Idle 300 ms, swept every second: the asker's connection goes, the phone's stays.
      expect(await until(() => fx.sip.transports.connectionCount === 1, 5000)).toBe(true);
      await new Promise((res) => setTimeout(res, 1500));
      expect(fx.sip.transports.connectionCount).toBe(1);
      expect((await ask('REGISTER', cred('flows', '101', ''), phone)).status).toBe(200);
    } finally {
      phone.close();
      asker.close();
    }
  });
});

describe('the per-address connection cap in the SIP service', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('cap.example.test', [{ number: '101' }], {
      trustedProxies: ['127.0.0.9'],
      defences: { connections: { maxPerIp: 2 } },
    });
  });
  afterAll(async () => fx?.close());

  it('exempts a trusted proxy (it carries every phone) and records refusals as one event', async () => {
    const port = fx.sip.transports.tcpPort;
    const proxy = await Promise.all([1, 2, 3, 4].map(() => tcpClient(port, '127.0.0.9')));
    const other = await Promise.all([1, 2, 3, 4].map(() => tcpClient(port, '127.0.0.8')));
    try {
      expect(await until(() => fx.sip.transports.guard.openFrom('127.0.0.9', 'TCP') === 4)).toBe(true);
      expect(await until(() => fx.sip.transports.guard.stats.refused === 2)).toBe(true);
      expect(fx.sip.transports.guard.openFrom('127.0.0.8', 'TCP')).toBe(2);
      expect(fx.sip.securityLog.list({ kind: 'connection-limit' })).toEqual([
        expect.objectContaining({
          ip: '127.0.0.8',
          transport: 'TCP',
          reason: 'over-2-connections:refused-1',
        }),
      ]);
    } finally {
      for (const c of [...proxy, ...other]) c.close();
    }
  });
});

describe('transaction layer bounds', () => {
  const req = (method: string, branch: string): SipRequest => {
    const r = parseMessage(
      Buffer.from(
        [
          `${method} sip:bob@example.com SIP/2.0`,
          `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=${branch}`,
          'Max-Forwards: 70',
          'From: <sip:alice@example.com>;tag=a1',
          'To: <sip:bob@example.com>',
          `Call-ID: ${branch}@10.0.0.1`,
          `CSeq: 1 ${method}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    if (!r.ok || r.message.kind !== 'request') throw new Error('bad request');
    return r.message;
  };

  function layer(limits: ConstructorParameters<typeof TransactionLayer>[2]) {
    const clock = new ManualClock();
    const sent: string[] = [];
    const overloaded: string[] = [];
    const l = new TransactionLayer(
      {
        clock,
        timers: DEFAULT_TIMERS,
        sender: { send: (m) => sent.push(m.kind === 'response' ? String(m.status) : m.method) },
      },
      { request: () => {} },
      { ...limits, overloaded: (bound, r) => overloaded.push(`${bound} ${r.method}`) },
    );
    return { l, sent, overloaded, clock };
  }

  it('answers 503 to a new server transaction past the bound, and tells', () => {
    const { l, sent, overloaded } = layer({ maxServerTransactions: 2 });
    const src = { transport: 'UDP' as const, host: '10.0.0.1', port: 5060 };
    l.receiveRequest(req('INVITE', 'z9hG4bK-s1'), src);
    l.receiveRequest(req('INVITE', 'z9hG4bK-s2'), src);
    l.receiveRequest(req('INVITE', 'z9hG4bK-s3'), src);
    expect(l.activeServerCount).toBe(2);
    expect(sent).toEqual(['503']);
    expect(overloaded).toEqual(['server-transactions INVITE']);
  });

  it('fails a new client transaction past the bound as unsent, later, without sending it', async () => {
    const { l, sent, overloaded } = layer({ maxClientTransactions: 1 });
    const dest = { transport: 'UDP' as const, host: '10.0.0.2', port: 5060 };
    const outcomes: string[] = [];
    const on = (n: string) => ({
      response: () => outcomes.push(`${n} response`),
      timeout: () => outcomes.push(`${n} timeout`),
      transportError: () => outcomes.push(`${n} unsent`),
    });
    l.sendRequest(req('OPTIONS', newBranch()), dest, on('first'));
    const refused = l.sendRequest(req('OPTIONS', newBranch()), dest, on('second'));
    expect(outcomes).toEqual([]); // never from inside the call
    await new Promise((r) => setImmediate(r));
    expect(outcomes).toEqual(['second unsent']);
    expect(refused.state).toBe('terminated');
    expect(sent).toEqual(['OPTIONS']);
    expect(l.clientCount).toBe(1);
    expect(overloaded).toEqual(['client-transactions OPTIONS']);
  });
});

describe('nonce records', () => {
  it('are bounded; records forgotten while their nonce was valid are counted', () => {
    let now = 1_000_000;
    const auth = new DigestAuthenticator({
      secret: Buffer.alloc(32, 1),
      maxTrackedNonces: 2,
      clock: () => now,
    });
    // A right password is what makes a record: each nonce is answered properly.
    for (let i = 0; i < 3; i++) {
      const nonce = auth.nonce('n.test');
      const header = authorize(
        `Digest realm="n.test", nonce="${nonce}", algorithm=MD5, qop="auth"`,
        { username: '101', password: 'pw' },
        { method: 'REGISTER', uri: 'sip:n.test' },
      );
      const creds = header ? parseCredentials(header) : null;
      expect(creds && auth.verify(creds, 'REGISTER', 'n.test', 'pw')).toBe('ok');
      now += 1000;
    }
    expect(auth.nonceRecords).toEqual({ size: 2, max: 2 });
    expect(auth.evictedLive).toBe(1);
  });
});
