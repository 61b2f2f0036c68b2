/**
 * Interop: the public network through trunks, with SIPp as the carrier. A call
 * from the carrier to one of the tenant's numbers reaches the extension its
 * inbound route names; a call out fails over from a trunk answering 503 to the
 * next, which challenges it (digest) and answers; a full trunk refuses with 503
 * and says why on the CDR; an extension of class "local" reaches no
 * international number, dialled or through its forwarding.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PbxEvent } from '../../src/pbx/events.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { type ExtensionPatch, NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import type { CallRecord } from '../../src/store/schema.js';
import { type DnsServer, startDnsServer } from '../helpers/dns-server.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type RunResult, runCommand } from '../helpers/process.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const haveSipp = spawnSync('sipp', ['-v']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'trunks.example.test';
const SCENARIOS = resolve(import.meta.dirname, 'sipp');
const DID = '+74951110001';

const port = () => 20_000 + Math.floor(Math.random() * 20_000);

function sipp(args: string[], seconds = 30): Promise<RunResult> {
  return runCommand('timeout', [
    String(seconds),
    'sipp',
    ...args,
    '-m',
    '1',
    '-t',
    'u1',
    '-recv_timeout',
    '15000',
    '-timeout',
    '25',
    '-nostdin',
  ]);
}

/** A trunk to a SIPp carrier at `host:sippPort`. */
const trunk = trunkInput;

describe.runIf(haveSipp || required)('trunks to a carrier simulated by SIPp', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-sipp-trunks-'));
  const portA = port();
  const portB = port() + 1;
  let routeId = '';
  let trunkA = '';
  let trunkB = '';
  let dns: DnsServer;

  async function lastCall(q?: string): Promise<CallRecord> {
    await Promise.all([...fx.sip.calls].map((c) => c.flushed()));
    for (let i = 0; ; i++) {
      await fx.db.store.callLog.drain();
      const page = await fx.db.store
        .tenant(fx.tenantId)
        .calls.list({ limit: 1, offset: 0, ...(q ? { q } : {}) });
      const row = page.items[0];
      if ((row && row.status === 'ended') || i > 200) return row!;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    if (!haveSipp)
      throw new Error('sipp is not installed (apt-get install sip-tester) and NIMBUS_REQUIRE_INTEROP=1');
    // The carrier's DNS: SIP over UDP for carrier.test is at trunk B's address (RFC 3263 SRV).
    dns = await startDnsServer({
      '_sip._udp.carrier.test': [
        { type: 'SRV', priority: 10, weight: 0, port: portB, target: 'b.carrier.test' },
      ],
      'b.carrier.test': [{ type: 'A', address: '127.0.0.3' }],
    });
    fx = await sipFixture(
      DOMAIN,
      [
        { number: '201', callClass: 'national' },
        { number: '202', callClass: 'local' },
        { number: '203', callClass: 'national' },
        { number: '204', callClass: 'international' },
      ],
      // Anchored: transfers need the relay.
      {
        media: { bindAddress: '127.0.0.1', portMin: 44600, portMax: 44799, workers: 1 },
        dns: dns.resolver(),
      },
    );
    const store = fx.db.store;
    await store.db
      .updateTable('tenants')
      .set({ localPrefixes: JSON.stringify(['+7495']), maxCallClass: 'international' })
      .where('id', '=', fx.tenantId)
      .execute();
    trunkA = (await store.trunks.create(trunk('Carrier A', '127.0.0.2', portA))).id;
    trunkB = (
      await store.trunks.create(
        trunk('Carrier B', '127.0.0.3', portB, { username: 'pbx-account', password: 'pbx-secret' }),
      )
    ).id;
    const byName = await store.trunks.create(
      trunk('Carrier by name', 'carrier.test', portB, {
        port: null,
        addresses: [],
        codecs: ['PCMA'],
        username: 'pbx-account',
        password: 'pbx-secret',
      }),
    );
    await store.tenant(fx.tenantId).routing.create('outboundRoute', {
      name: 'Toll-free',
      number: null,
      config: {
        priority: 5,
        patterns: [{ match: '_8800XXXXXXX', strip: 0, prepend: '' }],
        trunkIds: [byName.id],
        callerId: null,
      },
    });
    await store.numbers.create({ number: DID, tenantId: fx.tenantId, trunkId: trunkB, note: 'main' });
    const ext201 = await store.tenant(fx.tenantId).extensions.getByNumber('201');
    await store.tenant(fx.tenantId).routing.create('inboundRoute', {
      name: 'Main number',
      number: DID,
      config: { callerRules: [], destination: { kind: 'extension', id: ext201!.id } },
    });
    routeId = (
      await store.tenant(fx.tenantId).routing.create('outboundRoute', {
        name: 'Russia and the world',
        number: null,
        config: {
          priority: 10,
          patterns: [
            { match: '_8XXXXXXXXXX', strip: 0, prepend: '' },
            { match: '_810X.', strip: 0, prepend: '' },
            // Numbers already in E.164 (an outside caller dialled back).
            { match: '_+X.', strip: 0, prepend: '' },
          ],
          trunkIds: [trunkA, trunkB],
          callerId: null,
        },
      })
    ).id;
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, ['201', '202', '203', '204']);
  }, 60_000);

  afterAll(async () => {
    bank?.close();
    await fx?.close();
    await dns?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => bank.reset());

  /** Carrier B (SIPp) calls one of our numbers: INVITE, 200, ACK, BYE. */
  function carrierCalls(number: string): Promise<RunResult> {
    return sipp([
      '-sf',
      join(SCENARIOS, 'carrier-uac.xml'),
      '-s',
      number.slice(1),
      '-i',
      '127.0.0.3',
      '-p',
      String(port()),
      `127.0.0.1:${fx.sip.transports.udpPort}`,
    ]);
  }

  it('a call from the carrier to our number rings the extension its inbound route names', async () => {
    const carrier = await carrierCalls(DID);
    expect(carrier.status, carrier.out).toBe(0);
    expect(bank.get('201').invites).toHaveLength(1);
    // The caller's number as the carrier sent it, in E.164.
    expect(bank.get('201').invites[0]!.headers.get('From')).toContain('+74957654321');
    const row = await lastCall(DID);
    expect(row).toMatchObject({
      direction: 'inbound',
      trunk: 'Carrier B',
      caller: '+74957654321',
      callee: DID,
    });
    expect(row.answeredAt).not.toBeNull();
  });

  it('a status profile treats callers from outside and colleagues differently', async () => {
    // At lunch 201 takes colleagues' calls, but outside callers go to 202.
    await setRules('201', {
      status: 'lunch',
      callRules: {
        profiles: { lunch: { internal: { action: 'ring' }, external: { action: 'forward', target: '202' } } },
      },
    });
    try {
      const carrier = await carrierCalls(DID);
      expect(carrier.status, carrier.out).toBe(0);
      expect(bank.get('201').invites).toHaveLength(0);
      expect(bank.get('202').invites).toHaveLength(1);
      expect((await lastCall(DID)).trail.map((t) => t.outcome)).toContain('status lunch, forwarded to 202');
      expect((await bank.call('203', '201').done())?.status).toBe(200);
      expect(bank.get('201').invites).toHaveLength(1);
      expect(bank.get('202').invites).toHaveLength(1);
      await bank.hangupAll();
    } finally {
      await setRules('201', { status: 'available', callRules: {} });
    }
  });

  it('refuses a number the carrier sends that is not ours, and challenges strangers like phones', async () => {
    const wire = new Wire();
    const carrier = await udpUa('carrier', wire, systemClock, '127.0.0.3');
    const stranger = await udpUa('stranger', wire, systemClock, '127.0.0.4');
    try {
      const pbx = { transport: 'UDP' as const, host: '127.0.0.1', port: fx.sip.transports.udpPort };
      const notOurs = carrier.buildRequest('INVITE', 'sip:74959999999@127.0.0.1', {
        from: '<sip:74957654321@127.0.0.3>',
      });
      expect((await carrier.send(notOurs, pbx).done())?.status).toBe(404);
      const fromStranger = stranger.buildRequest('INVITE', `sip:${DID.slice(1)}@127.0.0.1`, {
        from: '<sip:74957654321@127.0.0.4>',
      });
      expect((await stranger.send(fromStranger, pbx).done())?.status).toBe(407);
    } finally {
      carrier.close();
      stranger.close();
    }
  });

  it("a carrier's party cannot transfer the call it is on, whatever number it shows", async () => {
    const wire = new Wire();
    // It claims to be extension 201's number, which it is not.
    const outsider = await udpUa('outsider', wire, systemClock, '127.0.0.3');
    try {
      const pbx = { transport: 'UDP' as const, host: '127.0.0.1', port: fx.sip.transports.udpPort };
      const invite = outsider.buildRequest('INVITE', `sip:${DID.slice(1)}@127.0.0.1`, {
        from: '<sip:201@127.0.0.3>',
        body: PHONE_SDP,
      });
      expect((await outsider.send(invite, pbx).done())?.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      const refer = outsider.inDialog('REFER', {
        headers: [['Refer-To', `<sip:810441234567890@${DOMAIN}>`]],
      });
      expect((await refer.done())?.status).toBe(403);
      await outsider.inDialog('BYE').done();
      await until(() => fx.sip.calls.size === 0);
    } finally {
      outsider.close();
    }
  });

  it('fails over from a trunk answering 503 to the next, which challenges the call and answers', async () => {
    const logB = join(dir, 'b.log');
    const a = sipp(['-sf', join(SCENARIOS, 'carrier-503.xml'), '-i', '127.0.0.2', '-p', String(portA)]);
    const b = sipp([
      '-sf',
      join(SCENARIOS, 'carrier-auth-uas.xml'),
      '-i',
      '127.0.0.3',
      '-p',
      String(portB),
      '-trace_logs',
      '-log_file',
      logB,
    ]);
    await new Promise((r) => setTimeout(r, 300));
    const res = await bank.call('201', '84951234567').done();
    expect(res?.status).toBe(200);
    await bank.hangupAll();
    expect((await a).status).toBe(0);
    const carrierB = await b;
    expect(carrierB.status, carrierB.out).toBe(0);
    // The carrier got the number in its own format and our number as the caller ID.
    expect(readFileSync(logB, 'utf8')).toContain(`CALLED 74951234567 SHOWN ${DID.slice(1)} `);
    const row = await lastCall('84951234567');
    expect(row).toMatchObject({ direction: 'outbound', trunk: 'Carrier B', cause: 'normal' });
    const trail = row.trail.map((s) => `${s.name}: ${s.outcome}`);
    expect(trail).toContain('Carrier A: 503 Service Unavailable');
    expect(trail).toContain('Carrier B: answered');
  });

  it('a call from outside forwarded out keeps its caller, and says who diverted it (RFC 5806)', async () => {
    const restore = await onlyTrunkB();
    const scope = fx.db.store.tenant(fx.tenantId);
    const ext = await scope.extensions.getByNumber('201');
    await setRules('201', {
      forwarding: { ...NO_FORWARDING, always: { enabled: true, target: '84951234567' } },
    });
    try {
      const b = carrierB();
      await new Promise((r) => setTimeout(r, 300));
      const carrier = await carrierCalls(DID);
      expect(carrier.status, carrier.out).toBe(0);
      const out = await b.done;
      expect(out.status, out.out).toBe(0);
      expect(readFileSync(b.log, 'utf8')).toContain(
        `CALLED 74951234567 SHOWN 74957654321 DIVERTED ${DID.slice(1)} `,
      );
      expect(bank.get('201').invites).toHaveLength(0);
    } finally {
      await scope.extensions.update(ext!.id, { forwarding: NO_FORWARDING });
      await fx.sip.tenantChanged(fx.tenantId);
      await restore();
    }
  });

  it('a queue calls an outside caller back through the trunk once an agent has answered', async () => {
    const restore = await onlyTrunkB();
    const store = fx.db.store;
    const scope = store.tenant(fx.tenantId);
    const line = '+74951110002';
    await store.numbers.create({ number: line, tenantId: fx.tenantId, trunkId: trunkB, note: 'support' });
    const q = await scope.routing.create('queue', {
      name: 'Support',
      number: '710',
      config: queueConfig({
        members: [queueMember('201')],
        joinEmpty: [],
        keys: [{ key: '5', action: 'callback', destination: null }],
        callback: { maxPerAgent: 0, attempts: 1, retryDelaySec: 60, ringSec: 20 },
      }),
    });
    await scope.routing.create('inboundRoute', {
      name: 'Support line',
      number: line,
      config: { callerRules: [], destination: { kind: 'queue', id: q.id } },
    });
    await fx.sip.tenantChanged(null);
    const queues = fx.sip.queues!;
    queues.pause(fx.tenantId, '201', 'meeting'); // nobody answers yet: the caller waits
    const wire = new Wire();
    const customer = await udpUa('customer', wire, systemClock, '127.0.0.3');
    const pbx = { transport: 'UDP' as const, host: '127.0.0.1', port: fx.sip.transports.udpPort };
    try {
      const invite = customer.buildRequest('INVITE', `sip:${line.slice(1)}@127.0.0.1`, {
        from: '<sip:74957654321@127.0.0.3>',
        body: PHONE_SDP,
      });
      expect((await customer.send(invite, pbx).done())?.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      await customer
        .inDialog('INFO', {
          body: Buffer.from('Signal=5\r\nDuration=160\r\n'),
          contentType: 'application/dtmf-relay',
        })
        .done();
      // The customer hears the confirmation and is let go; the request keeps its place.
      await until(() => customer.dialogs.size === 0, 10_000);
      const b = carrierB();
      await new Promise((r) => setTimeout(r, 300));
      queues.unpause(fx.tenantId, '201');
      await until(() => queues.liveOf(fx.tenantId, q.id)!.today.callbacksConnected === 1, 10_000);
      await bank.get('201').inDialog('BYE').done();
      const carrier = await b.done;
      expect(carrier.status, carrier.out).toBe(0);
      expect(readFileSync(b.log, 'utf8')).toContain('CALLED 74957654321 ');
      let row: CallRecord | undefined;
      for (let i = 0; i < 100 && !row?.endedAt; i++) {
        await store.callLog.drain();
        row = (await scope.calls.list({ limit: 10, offset: 0 })).items.find(
          (c) => c.callee === '201' && c.trail.some((t) => t.outcome.startsWith('callback answered')),
        );
        if (!row?.endedAt) await new Promise((r) => setTimeout(r, 20));
      }
      expect(row?.trunk).toBe('Carrier B');
    } finally {
      customer.close();
      await restore();
    }
  });

  it('a trunk named by DNS is reached where its SRV record points', async () => {
    const b = carrierB();
    await new Promise((r) => setTimeout(r, 300));
    expect((await bank.call('201', '88001234567').done())?.status).toBe(200);
    await bank.hangupAll();
    const carrier = await b.done;
    expect(carrier.status, carrier.out).toBe(0);
    expect(dns.queries).toContain('SRV _sip._udp.carrier.test');
    // The offer to this trunk carries only the codec it takes (A-law), and telephone-event.
    expect(readFileSync(b.log, 'utf8')).toContain('FORMATS 8 101');
    expect(await lastCall('88001234567')).toMatchObject({ trunk: 'Carrier by name', direction: 'outbound' });
  });

  it('a full trunk refuses with 503 and the CDR says the channels were in use', async () => {
    await fx.db.store.trunks.update(trunkA, { maxChannels: 0 });
    await fx.db.store.trunks.update(trunkB, { maxChannels: 0 });
    await fx.sip.tenantChanged(null);
    try {
      expect((await bank.call('201', '84951234567').done())?.status).toBe(503);
      const row = await lastCall('84951234567');
      expect(row).toMatchObject({ cause: 'channel-limit', sipStatus: 503 });
    } finally {
      await fx.db.store.trunks.update(trunkA, { maxChannels: null });
      await fx.db.store.trunks.update(trunkB, { maxChannels: null });
      await fx.sip.tenantChanged(null);
    }
  });

  it('a call priced by the rate deck costs what it talked; past the daily spend cap the next one is refused', async () => {
    const restore = await onlyTrunkB();
    const store = fx.db.store;
    const rate = await store.rates.create({ prefix: '+7495', pricePerMinute: 6000, description: 'Moscow' });
    const caps = (set: { dailySpendCap: number | null; spendAlertPercent?: number }) =>
      store.db.updateTable('tenants').set(set).where('id', '=', fx.tenantId).execute();
    await caps({ dailySpendCap: 100, spendAlertPercent: 50 });
    await fx.sip.tenantChanged(null);
    const events: PbxEvent[] = [];
    const off = fx.sip.events.on((e) => {
      if (e.type === 'limit.reached' || e.type === 'limit.warning') events.push(e);
    });
    try {
      // Under a cap, a number the deck does not price (+7499) could cost anything: refused.
      expect((await bank.call('201', '84991234567').done())?.status).toBe(403);
      expect(await lastCall('84991234567')).toMatchObject({ cause: 'spend-cap' });
      await store.rates.create({ prefix: '+7', pricePerMinute: 1, description: 'Russia' });
      await fx.sip.tenantChanged(null);
      const b = carrierB();
      await new Promise((r) => setTimeout(r, 300));
      expect((await bank.call('201', '84951234567').done())?.status).toBe(200);
      await new Promise((r) => setTimeout(r, 2000));
      await bank.hangupAll();
      expect((await b.done).status).toBe(0);
      const row = await lastCall('84951234567');
      // About 2 s at 60.00 a minute (the +7495 price, not +7's): some 200 minor units.
      const talked = (row.endedAt!.getTime() - row.answeredAt!.getTime()) / 1000;
      expect(row.cost).toBeGreaterThanOrEqual(Math.floor((talked / 60) * 6000) - 1);
      expect(row.cost).toBeLessThanOrEqual(Math.ceil((talked / 60) * 6000) + 1);
      expect(fx.sip.carriers.usage(fx.tenantId)!.spent).toBeCloseTo(row.cost!, -1);
      // Over the cap at once: told it was reached (no separate warning), and the next call is refused.
      expect(events).toEqual([
        { type: 'limit.reached', tenantId: fx.tenantId, limit: 'dailySpendCap', value: 100 },
      ]);
      expect((await bank.call('201', '84951234567').done())?.status).toBe(403);
      expect(await lastCall('84951234567')).toMatchObject({ cause: 'spend-cap', cost: null });
    } finally {
      off();
      await store.rates.delete(rate.id);
      for (const r of await store.rates.all()) await store.rates.delete(r.id);
      await caps({ dailySpendCap: null });
      await fx.sip.tenantChanged(null);
      await restore();
    }
  });

  it('an extension of class "local" reaches no international number, dialled or by its forwarding', async () => {
    expect((await bank.call('202', '810441234567890').done())?.status).toBe(403);
    expect((await lastCall('810441234567890')).cause).toBe('call-class');

    const scope = fx.db.store.tenant(fx.tenantId);
    const ext = await scope.extensions.getByNumber('202');
    await scope.extensions.update(ext!.id, {
      forwarding: { ...NO_FORWARDING, always: { enabled: true, target: '810441234567890' } },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    try {
      // 203 may call abroad, but the forward is 202's: 202's class decides.
      expect((await bank.call('203', '202').done())?.status).toBe(403);
      const row = await lastCall('202');
      expect(row.cause).toBe('call-class');
    } finally {
      await scope.extensions.update(ext!.id, { forwarding: NO_FORWARDING });
      await fx.sip.tenantChanged(fx.tenantId);
    }
  });

  /** Runs the challenging carrier (trunk B) for one call; resolves with what it logged. */
  function carrierB(): { done: Promise<RunResult>; log: string } {
    const log = join(dir, `b-${Date.now()}.log`);
    const done = sipp([
      '-sf',
      join(SCENARIOS, 'carrier-auth-uas.xml'),
      '-i',
      '127.0.0.3',
      '-p',
      String(portB),
      '-trace_logs',
      '-log_file',
      log,
    ]);
    return { done, log };
  }

  /** Trunk B only, for the next calls (no 503 detour through A). */
  async function onlyTrunkB(): Promise<() => Promise<void>> {
    const scope = fx.db.store.tenant(fx.tenantId);
    const route = await scope.routing.get('outboundRoute', routeId);
    const config = route!.config as { trunkIds: string[] };
    await scope.routing.update('outboundRoute', routeId, {
      name: route!.name,
      number: null,
      config: { ...config, trunkIds: [trunkB] },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    return async () => {
      await scope.routing.update('outboundRoute', routeId, { name: route!.name, number: null, config });
      await fx.sip.tenantChanged(fx.tenantId);
    };
  }

  async function setRules(number: string, patch: ExtensionPatch) {
    const scope = fx.db.store.tenant(fx.tenantId);
    const ext = await scope.extensions.getByNumber(number);
    await scope.extensions.update(ext!.id, patch);
    await fx.sip.tenantChanged(fx.tenantId);
  }

  it("follow-me reaches a mobile through the trunk, in the extension's name and class", async () => {
    const restore = await onlyTrunkB();
    const followMobile = (mobile: string) => ({
      status: 'trip' as const,
      callRules: {
        // SIPp answers and says nothing: the mobile takes the call at once (confirm-call is
        // tested with keys in test/pbx/confirm-calls.test.ts).
        followMe: { ringDesk: false, confirmExternal: false, steps: [{ numbers: [mobile], ringSec: 20 }] },
        profiles: {
          trip: { internal: { action: 'followMe' as const }, external: { action: 'followMe' as const } },
        },
      },
    });
    try {
      await setRules('203', followMobile('89161234567'));
      const b = carrierB();
      await new Promise((r) => setTimeout(r, 300));
      expect((await bank.call('201', '203').done())?.status).toBe(200);
      await bank.hangupAll();
      const carrier = await b.done;
      expect(carrier.status, carrier.out).toBe(0);
      expect(readFileSync(b.log, 'utf8')).toContain('CALLED 79161234567 ');
      const row = await lastCall('203');
      expect(row).toMatchObject({ trunk: 'Carrier B', direction: 'outbound' });

      // 202 may call only local numbers: its follow-me abroad never leaves the PBX.
      await setRules('202', followMobile('810441234567890'));
      expect((await bank.call('201', '202').done())?.status).toBe(480);
      const refused = await lastCall('202');
      expect(refused.trail.map((t) => t.outcome)).toContain('international calls not allowed');
      expect(refused.trunk).toBeNull();
    } finally {
      await setRules('203', { status: 'available', callRules: {} });
      await setRules('202', { status: 'available', callRules: {} });
      await restore();
    }
  });

  it('a blind transfer sends the caller out through the trunk; a "local" transferor cannot send it abroad', async () => {
    const restore = await onlyTrunkB();
    try {
      const transferor = bank.get('203');
      expect((await bank.call('201', '203').done())?.status).toBe(200);
      const b = carrierB();
      await new Promise((r) => setTimeout(r, 300));
      const refer = transferor.inDialog('REFER', { headers: [['Refer-To', `<sip:84951234567@${DOMAIN}>`]] });
      expect((await refer.done())?.status).toBe(202);
      await until(() => transferor.frags.includes('SIP/2.0 200 OK'), 10_000);
      await until(() => transferor.dialogs.size === 0);
      // The caller now talks to the outside number; it hangs up, the carrier gets the BYE.
      await bank.get('201').inDialog('BYE').done();
      const carrier = await b.done;
      expect(carrier.status, carrier.out).toBe(0);
      expect(readFileSync(b.log, 'utf8')).toContain('CALLED 74951234567 ');

      const local = bank.get('202');
      expect((await bank.call('201', '202').done())?.status).toBe(200);
      const abroad = local.inDialog('REFER', { headers: [['Refer-To', `<sip:810441234567890@${DOMAIN}>`]] });
      expect((await abroad.done())?.status).toBe(403);
      await bank.hangupAll();
    } finally {
      await restore();
    }
  });

  it('a registration trunk added through the API registers with digest and shows it; removing it unregisters', async () => {
    const { buildApi } = await import('../../src/api/server.js');
    const { newApiToken } = await import('../../src/api/routes/api-keys.js');
    const api = await buildApi({
      store: fx.db.store,
      config: { sessionHours: 1, publicAddress: '127.0.0.1' },
      logger: pino({ level: 'silent' }),
      trunks: { status: () => fx.sip.carriers.trunks.status() },
      onTenantChange: (id) => fx.sip.tenantChanged(id),
    });
    const token = newApiToken();
    await fx.db.store.platform.apiKeys.create({
      name: 'operator',
      prefix: token.prefix,
      secretHash: token.secretHash,
      role: 'operator',
      createdBy: null,
      expiresAt: null,
    });
    const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
      const res = await api.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token.token}` },
        ...(payload ? { payload } : {}),
      });
      return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : null };
    };
    const registrarPort = port();
    const registrar = sipp([
      '-sf',
      join(SCENARIOS, 'registrar-auth.xml'),
      '-i',
      '127.0.0.5',
      '-p',
      String(registrarPort),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    try {
      const created = await call('POST', '/api/v1/platform/trunks', {
        name: 'Registered carrier',
        kind: 'register',
        host: '127.0.0.5',
        port: registrarPort,
        username: 'trunk-user',
        password: 'trunk-secret',
        optionsIntervalSec: null,
      });
      expect(created.status).toBe(201);
      const state = async () =>
        (await call('GET', `/api/v1/platform/trunks/${created.json.id}`)).json.status?.registration;
      // Registered (after the 401), then refreshed within the 2 s the registrar granted.
      for (let i = 0; (await state())?.state !== 'registered' && i < 100; i++)
        await new Promise((r) => setTimeout(r, 30));
      const first = await state();
      expect(first).toMatchObject({ state: 'registered', lastStatus: 200, failures: 0 });
      for (let i = 0; (await state())?.registeredAt === first.registeredAt && i < 150; i++)
        await new Promise((r) => setTimeout(r, 30));
      expect((await state()).registeredAt).not.toBe(first.registeredAt);
      expect((await call('DELETE', `/api/v1/platform/trunks/${created.json.id}`)).status).toBe(204);
      const done = await registrar;
      expect(done.status, done.out).toBe(0);
    } finally {
      await api.app.close();
    }
  });

  it('a burst of short international calls blocks the extension: its next call out is refused', async () => {
    const events: string[] = [];
    const off = fx.sip.events.on((e) => {
      if (e.type === 'fraud.blocked') events.push(`${e.extension}: ${e.reason}`);
    });
    try {
      // Five international calls of a second each from 204, as the call path counts them.
      const limits = fx.sip.carriers.limits;
      const owner = {
        tenantId: fx.tenantId,
        timeZone: 'UTC',
        maxExternalCalls: 10,
        dailyExternalMinutes: null,
        dailySpendCap: null,
        spendAlertPercent: 80,
        extension: { number: '204', maxExternalCalls: null },
      };
      for (let i = 0; i < 5; i++) {
        const t = limits.take(owner, true, i * 10_000);
        t.answered(i * 10_000);
        t.end(i * 10_000 + 1000);
      }
      await until(() => events.length === 1);
      expect(events[0]).toMatch(/^204: 5 international calls shorter than 30 s/);
      const ext = await fx.db.store.tenant(fx.tenantId).extensions.getByNumber('204');
      expect(ext?.externalBlocked).toMatch(/international calls/);
      expect((await bank.call('204', '84951234567').done())?.status).toBe(403);
      expect((await lastCall('84951234567')).cause).toBe('fraud-blocked');
      const audit = await fx.db.store.tenant(fx.tenantId).audit.list({ limit: 5, offset: 0 });
      expect(audit.items.map((a) => a.action)).toContain('extension.externalBlocked');
    } finally {
      off();
      await setRules('204', { externalBlocked: null });
    }
  });
});
