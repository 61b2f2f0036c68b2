/**
 * Toll fraud (issue 12): an extension of call class 'internal' reaches no outside
 * number by any path — dialled (with every prefix of the dial plan), through its
 * forwarding (always, busy, no answer, unreachable; for a colleague and for a
 * caller from outside), its follow-me, a blind or attended transfer, an IVR's
 * direct dial, click-to-call, originate and the call-control API's transfer —
 * while the tenant may call abroad and the route and trunk work: on every path a
 * control extension whose class allows the number does reach the carrier.
 *
 * The carrier is our own test UA on 127.0.0.2 (the trunk's address) and keeps
 * every INVITE it gets; each refused path asserts it got none, what the caller
 * (or transferor, or API client) was told, and the call record's cause and trail.
 * The whole stack runs: the SIP service with the media relay, and the HTTP API
 * over the same database, driven as the extension's own user and as the admin.
 */

import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IvrConfig, RingGroupConfig } from '../../src/pbx/routing/types.js';
import { SipService } from '../../src/pbx/sip-service.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { type ExtensionPatch, NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import type { CallRecord } from '../../src/store/schema.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DID = '+74951110001';
/** A mobile in Russia (national), a Moscow number (local by the tenant's prefix), London (international). */
const MOBILE = '89161234567';
const ABROAD = '810441234567890';

describe('an internal-only extension reaches no outside number', () => {
  let api: Fixture;
  let sip: SipService;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };
  let domain = '';
  let tenantId = '';
  /** New calls the carrier was offered (re-INVITEs inside a call are not counted). */
  let offered: SipRequest[] = [];
  const scope = () => api.store.tenant(tenantId);
  const pbx = (): Destination => ({ transport: 'UDP', host: '127.0.0.1', port: sip.transports.udpPort });
  const ids: Record<string, string> = {};
  const created: { kind: 'ivr' | 'ringGroup'; id: string }[] = [];

  /** The newest call record matching `q`, once it has ended. */
  async function lastCall(q?: string): Promise<CallRecord> {
    await Promise.all([...sip.calls].map((c) => c.flushed()));
    for (let i = 0; ; i++) {
      await api.store.callLog.drain();
      const row = (await scope().calls.list({ limit: 1, offset: 0, ...(q ? { q } : {}) })).items[0];
      if ((row && row.status === 'ended') || i > 200) return row!;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const trail = (row: CallRecord) => row.trail.map((s) => `${s.kind}: ${s.outcome}`);

  async function set(number: string, patch: ExtensionPatch): Promise<void> {
    await scope().extensions.update(ids[number]!, patch);
    await sip.tenantChanged(tenantId);
  }

  /** A call from `from` to `to`, answered; the caller's dialog is its newest. */
  async function connect(from: string, to: string) {
    const before = new Set(bank.get(from).dialogs.keys());
    expect((await bank.call(from, to).done())?.status).toBe(200);
    const d = [...bank.get(from).dialogs.values()].find((x) => !before.has(x.key))!;
    await until(() => bank.get(to).dialogs.size > 0);
    return d;
  }

  /** Waits a moment for anything late (a fork, a retransmission) to reach the carrier. */
  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    api = await createFixture('pglite', () => ({
      callControl: {
        clickToCall: (t, from, to) => sip.clickToCall(t, from, to),
        originate: (r) => sip.control.originate(r),
        numbersOn: (t, id) => sip.control.numbersOn(t, id),
        hangup: (t, id) => sip.control.hangup(t, id),
        transfer: (t, id, side, to, by) => sip.control.transfer(t, id, side, to, by),
      },
    }));
    tenantId = api.A.id;
    domain = api.A.domain;
    const store = api.store;
    // 101 is the user's own extension: internal only. 102 may call in the country, 104 abroad;
    // 103 is a colleague. The tenant itself may call abroad.
    const classes = { '101': 'internal', '102': 'national', '103': 'internal', '104': 'international' };
    for (const n of ['103', '104'])
      await scope().extensions.create({
        number: n,
        displayName: `Ext ${n}`,
        userId: null,
        sipSecret: `s-${n}-secret`,
        voicemailEnabled: false,
        voicemailPin: null,
        callClass: 'internal',
        dnd: false,
        ringTimeoutSec: 20,
        forwarding: NO_FORWARDING,
      });
    for (const [n, callClass] of Object.entries(classes)) {
      const e = (await scope().extensions.getByNumber(n))!;
      ids[n] = e.id;
      await scope().extensions.update(e.id, {
        callClass: callClass as 'internal',
        sipSecret: `s-${n}-secret`,
        voicemailEnabled: false,
      });
    }
    await store.db
      .updateTable('tenants')
      .set({ localPrefixes: JSON.stringify(['+7495']), maxCallClass: 'international' })
      .where('id', '=', tenantId)
      .execute();

    const wire = new Wire();
    carrier = await udpUa('carrier', wire, systemClock, '127.0.0.2');
    // The carrier answers every call it is offered (so the control cases connect) and keeps it.
    carrier.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
      if (!tx) return;
      if (req.headers.get('To')?.includes('tag=')) {
        const res = carrier.response(req, 200, [['Content-Type', 'application/sdp']]);
        res.body = PHONE_SDP;
        tx.respond(res);
        return;
      }
      offered.push(req);
      tx.respond(carrier.response(req, 180));
      setTimeout(() => carrier.accept(tx, source, PHONE_SDP), 20);
    });
    const trunk = await store.trunks.create(trunkInput('Carrier', '127.0.0.2', carrier.local.port));
    await store.numbers.create({ number: DID, tenantId, trunkId: trunk.id, note: 'main' });
    await scope().routing.create('inboundRoute', {
      name: 'Main number',
      number: DID,
      config: { callerRules: [], destination: { kind: 'extension', id: ids['101']! } },
    });
    await scope().routing.create('outboundRoute', {
      name: 'Everywhere',
      number: null,
      config: {
        priority: 10,
        // The tenant's dial plan: 8 + ten digits, 810 and 00 abroad, E.164 with the plus.
        patterns: [
          { match: '_8XXXXXXXXXX', strip: 0, prepend: '' },
          { match: '_810X.', strip: 0, prepend: '' },
          { match: '_00X.', strip: 2, prepend: '+' },
          { match: '_+X.', strip: 0, prepend: '' },
        ],
        trunkIds: [trunk.id],
        callerId: null,
      },
    });

    sip = new SipService(
      {
        host: '127.0.0.1',
        port: 0,
        publicAddress: '127.0.0.1',
        secret: randomBytes(32),
        media: { bindAddress: '127.0.0.1', portMin: 47200, portMax: 47399, workers: 1 },
      },
      store,
      pino({ level: 'silent' }),
    );
    await sip.start();
    bank = await phoneBank({ db: api.db, sip, tenantId, close: async () => {} }, domain, [
      '101',
      '102',
      '103',
      '104',
    ]);
  }, 60_000);

  afterAll(async () => {
    if (bank) await hangupEverything();
    bank?.close();
    carrier?.close();
    await sip?.close();
    await api?.close();
  });

  /** Hangs up every call the phones and the carrier are on, until the PBX carries none. */
  async function hangupEverything(): Promise<void> {
    for (let i = 0; i < 100 && (sip.calls.size > 0 || i === 0); i++) {
      for (const ua of [...bank.phones.values(), carrier])
        for (const d of [...ua.dialogs.values()]) await ua.inDialog('BYE', { dialog: d }).done();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sip.calls.size).toBe(0);
  }

  beforeEach(async () => {
    await hangupEverything();
    bank.reset();
    offered = [];
    for (const o of created.splice(0)) await scope().routing.delete(o.kind, o.id);
    await sip.tenantChanged(tenantId);
  });

  it('direct dial: every outside number, in every form the dial plan takes, is refused before the carrier hears of it', async () => {
    const numbers = [
      MOBILE, // national, 8 + ten digits
      '+79161234567', // national in E.164
      '84951234567', // local (the tenant's +7495)
      '+74951234567',
      ABROAD, // international, 810
      '00441234567890', // international, 00
      '+441234567890',
    ];
    for (const n of numbers) {
      const res = await bank.call('101', n).done();
      expect(res?.status, n).toBe(403);
      expect(res?.reason, n).toMatch(/^(local|national|international) calls not allowed$/);
      const row = await lastCall(n);
      expect(row, n).toMatchObject({ caller: '101', callee: n, cause: 'call-class', trunk: null });
      expect(trail(row).join('\n'), n).toMatch(/calls not allowed/);
    }
    await settle();
    expect(offered).toHaveLength(0);

    // The control: on the same route and trunk an extension allowed abroad reaches each number.
    for (const n of numbers) {
      expect((await bank.call('104', n).done())?.status, n).toBe(200);
      await bank.hangupAll();
    }
    expect(offered.map((r) => r.uri.user)).toEqual([
      '79161234567',
      '79161234567',
      '74951234567',
      '74951234567',
      '441234567890',
      '441234567890',
      '441234567890',
    ]);
    // And a national one reaches the national numbers only.
    offered = [];
    expect((await bank.call('102', MOBILE).done())?.status).toBe(200);
    await bank.hangupAll();
    expect((await bank.call('102', ABROAD).done())?.status).toBe(403);
    expect(offered).toHaveLength(1);

    // The one exception, by design (docs/trunks.md): an emergency number passes whatever the class.
    offered = [];
    expect((await bank.call('101', '112').done())?.status).toBe(200);
    expect(offered.map((r) => r.uri.user)).toEqual(['112']);
    await hangupEverything();
    expect((await lastCall('112')).trunk).toBe('Carrier');
  });

  it('forwarding (always, busy, no answer, unreachable) to an outside number is refused, for a colleague and a caller from outside', async () => {
    const fwd = (rule: 'always' | 'busy' | 'noAnswer' | 'unreachable', target = MOBILE) => ({
      forwarding: { ...NO_FORWARDING, [rule]: { enabled: true, target } },
    });
    try {
      // Always: the colleague is told at once; 101's phone does not ring.
      await set('101', fwd('always'));
      const always = await bank.call('103', '101').done();
      expect(always?.status).toBe(403);
      expect(always?.reason).toBe('national calls not allowed');
      expect(bank.get('101').invites).toHaveLength(0);
      let row = await lastCall('101');
      expect(row).toMatchObject({ caller: '103', callee: '101', cause: 'call-class', trunk: null });
      expect(trail(row)).toEqual([
        `extension: forward always, forwarded to ${MOBILE}`,
        'external: national calls not allowed',
      ]);

      // A caller from outside (through the trunk, to the DID routed to 101): the same refusal.
      const outside = carrier.buildRequest('INVITE', `sip:74951110001@127.0.0.1:${sip.transports.udpPort}`, {
        from: '<sip:74957654321@127.0.0.2>',
        body: PHONE_SDP,
      });
      const fromOutside = await carrier.send(outside, pbx()).done();
      expect(fromOutside?.status).toBe(403);
      row = await lastCall(DID);
      expect(row).toMatchObject({ caller: '+74957654321', direction: 'inbound', cause: 'call-class' });
      expect(trail(row).at(-1)).toBe('external: national calls not allowed');

      // Busy: 101's phone refuses, then the forward is refused.
      await set('101', fwd('busy'));
      bank.get('101').mode = 'busy';
      expect((await bank.call('103', '101').done())?.status).toBe(403);
      expect(bank.get('101').invites).toHaveLength(1);
      expect((await lastCall('101')).cause).toBe('call-class');

      // No answer: 101 rings out its (shortest) time, then the forward is refused.
      await set('101', { ...fwd('noAnswer'), ringTimeoutSec: 5 });
      bank.get('101').mode = 'ring';
      expect((await bank.call('103', '101').done())?.status).toBe(403);
      expect((await lastCall('101')).cause).toBe('call-class');

      // Unreachable: no phone registered, the forward is refused.
      await set('101', { ...fwd('unreachable', ABROAD), ringTimeoutSec: 20 });
      await bank.register(bank.get('101'), 0);
      const unreachable = await bank.call('103', '101').done();
      expect(unreachable?.status).toBe(403);
      expect(unreachable?.reason).toBe('international calls not allowed');
      row = await lastCall('101');
      expect(trail(row)).toEqual([
        `extension: not registered, forwarded to ${ABROAD}`,
        'external: international calls not allowed',
      ]);
      // A presence status that forwards (away: to the mobile) is the extension's forward too.
      await bank.register(bank.get('101'));
      await set('101', {
        forwarding: NO_FORWARDING,
        status: 'away',
        callRules: {
          profiles: {
            away: { internal: { action: 'forward', target: MOBILE }, external: { action: 'ring' } },
          },
        },
      });
      expect((await bank.call('103', '101').done())?.status).toBe(403);
      expect(trail(await lastCall('101')).at(-1)).toBe('external: national calls not allowed');
      await settle();
      expect(offered).toHaveLength(0);

      // The control: the same forward of a national extension reaches the carrier.
      await set('102', fwd('always'));
      expect((await bank.call('103', '102').done())?.status).toBe(200);
      expect(offered.map((r) => r.uri.user)).toEqual(['79161234567']);
    } finally {
      await bank.register(bank.get('101'));
      await set('101', { forwarding: NO_FORWARDING, ringTimeoutSec: 20, status: 'available', callRules: {} });
      await set('102', { forwarding: NO_FORWARDING });
    }
  });

  it("follow-me: an outside step of the extension's is never rung; its desk phone still is", async () => {
    const followMobile = (ringDesk: boolean) => ({
      status: 'trip' as const,
      callRules: {
        followMe: { ringDesk, confirmExternal: false, steps: [{ numbers: [MOBILE], ringSec: 10 }] },
        profiles: {
          trip: { internal: { action: 'followMe' as const }, external: { action: 'followMe' as const } },
        },
      },
    });
    try {
      await set('101', followMobile(true));
      expect((await bank.call('103', '101').done())?.status).toBe(200);
      await bank.hangupAll();
      const row = await lastCall('101');
      expect(row.trunk).toBeNull();
      expect(trail(row)).toContain('external: national calls not allowed');
      await settle();
      expect(offered).toHaveLength(0);

      // The control: the national extension's follow-me rings the mobile through the trunk.
      await set('102', followMobile(false));
      expect((await bank.call('103', '102').done())?.status).toBe(200);
      expect(offered.map((r) => r.uri.user)).toEqual(['79161234567']);
      await hangupEverything();
      expect((await lastCall('102')).trunk).toBe('Carrier');
    } finally {
      await set('101', { status: 'available', callRules: {} });
      await set('102', { status: 'available', callRules: {} });
    }
  });

  it("blind transfer: the transferor's class decides — 101 cannot send a call out, 102 can send 101's", async () => {
    // 101 (internal) transfers its colleague out: refused, the call goes on.
    await connect('103', '101');
    const t = bank.get('101');
    const refer = await t.inDialog('REFER', { headers: [['Refer-To', `<sip:${MOBILE}@${domain}>`]] }).done();
    expect(refer?.status).toBe(403);
    expect(refer?.reason).toBe('national calls not allowed');
    expect(t.frags).toEqual([]);
    expect(t.dialogs.size).toBe(1);
    // Nor a national caller's call: the transferor answers for the number, not the transferee.
    await bank.hangupAll();
    await connect('102', '101');
    const again = await t.inDialog('REFER', { headers: [['Refer-To', `<sip:${ABROAD}@${domain}>`]] }).done();
    expect(again?.status).toBe(403);
    await settle();
    expect(offered).toHaveLength(0);
    await bank.hangupAll();
    const row = await lastCall('101');
    expect(trail(row)).toContain('external: international calls not allowed');

    // 102 (national) sends 101's call to a mobile: its own decision, in its name; 101 talks out.
    await connect('101', '102');
    const n = bank.get('102');
    const ok = await n.inDialog('REFER', { headers: [['Refer-To', `<sip:${MOBILE}@${domain}>`]] }).done();
    expect(ok?.status).toBe(202);
    await until(() => n.frags.includes('SIP/2.0 200 OK'), 10_000);
    expect(offered.map((r) => r.uri.user)).toEqual(['79161234567']);
  });

  it('attended transfer: 101 cannot place the consultation call out, so there is nothing to join', async () => {
    await connect('103', '101');
    const t = bank.get('101');
    // The phone puts 103 on hold and dials the outside number for the consultation.
    const consult = await bank.call('101', MOBILE).done();
    expect(consult?.status).toBe(403);
    // A Replaces naming a call 101 does not have is not a way out either.
    const fake = await t
      .inDialog('REFER', {
        headers: [['Refer-To', `<sip:${MOBILE}@${domain}?Replaces=nope%40x%3Bto-tag%3D1%3Bfrom-tag%3D2>`]],
      })
      .done();
    expect(fake?.status).toBe(481);
    expect(t.dialogs.size).toBe(1);
    // Nor a REFER outside any call (asking the PBX to place one): not a method it takes there.
    const loose = await bank
      .request('101', 'REFER', '101', [['Refer-To', `<sip:${MOBILE}@${domain}>`]])
      .done();
    expect(loose?.status).toBe(405);
    await settle();
    expect(offered).toHaveLength(0);
  });

  it('IVR direct dial reaches extensions only: the outside number keyed by 101 is an invalid choice', async () => {
    const menu: IvrConfig = {
      greeting: { prompts: ['main-menu'], text: null, lang: null },
      options: [],
      directDial: { enabled: true, allow: [] },
      interDigitMs: 1500,
      timeoutSec: 3,
      retries: 0,
      invalidAudio: null,
      timeoutAudio: null,
      fallback: null,
      calendar: null,
      tag: null,
    };
    const o = await scope().routing.create('ivr', { name: 'Front desk', number: '700', config: menu });
    created.push({ kind: 'ivr', id: o.id });
    await sip.tenantChanged(tenantId);
    const keys = async (from: string, digits: string) => {
      for (const k of digits)
        await bank
          .get(from)
          .inDialog('INFO', {
            body: Buffer.from(`Signal=${k}\r\nDuration=160\r\n`),
            contentType: 'application/dtmf-relay',
          })
          .done();
    };
    // The control: an extension keyed is put through.
    expect((await bank.call('101', '700').done())?.status).toBe(200);
    await keys('101', '103#');
    await until(() => bank.get('103').invites.length === 1, 5000);
    await bank.hangupAll();

    expect((await bank.call('101', '700').done())?.status).toBe(200);
    // A REFER in the menu's call (the PBX answered it, nobody is bridged): nothing to transfer.
    const refer = await bank
      .get('101')
      .inDialog('REFER', { headers: [['Refer-To', `<sip:${MOBILE}@${domain}>`]] })
      .done();
    expect(refer).toMatchObject({ status: 501, reason: 'Transfer Not Available' });
    await keys('101', `${MOBILE}#`);
    // The menu says "invalid choice", then goodbye, and hangs up.
    await until(() => bank.get('101').dialogs.size === 0, 15_000);
    const row = await lastCall('700');
    expect(row.trunk).toBeNull();
    // "dialled 8916…" would be the menu putting the number through; it never says that.
    expect(trail(row)).toEqual(['ivr: no choice']);
    expect(row.cause).toBe('no-answer');
    expect(bank.get('103').invites).toHaveLength(1);
    await settle();
    expect(offered).toHaveLength(0);
  });

  it('click-to-call: from 101 to an outside number is refused at once, for its user and for the admin', async () => {
    const url = `/api/v1/tenants/${tenantId}/calls/click-to-call`;
    const byUser = await api.call('POST', url, { as: api.A.user, body: { from: '101', to: MOBILE } });
    expect(byUser).toMatchObject({
      status: 403,
      json: { code: 'FORBIDDEN', field: 'to', detail: 'national calls not allowed' },
    });
    const byAdmin = await api.call('POST', url, { as: api.A.admin, body: { from: '101', to: ABROAD } });
    expect(byAdmin).toMatchObject({ status: 403, json: { detail: 'international calls not allowed' } });
    await settle();
    // Nothing rang: not 101's phone, not the carrier.
    expect(bank.get('101').invites).toHaveLength(0);
    expect(offered).toHaveLength(0);

    // The control: from the national extension, the phone rings, then the carrier.
    const ok = await api.call('POST', url, { as: api.A.admin, body: { from: '102', to: MOBILE } });
    expect(ok.status).toBe(202);
    await until(() => offered.length === 1, 10_000);
    expect(offered[0]!.uri.user).toBe('79161234567');
  });

  it("originate: a user's customer put through to their internal-only extension is not dialled out", async () => {
    const url = `/api/v1/tenants/${tenantId}/calls/originate`;
    const body = (to: string, ext: string) => ({ to, destination: { kind: 'extension', id: ids[ext] } });
    const byUser = await api.call('POST', url, { as: api.A.user, body: body(MOBILE, '101') });
    expect(byUser).toMatchObject({
      status: 403,
      json: { field: 'to', detail: 'national calls not allowed' },
    });
    await settle();
    expect(offered).toHaveLength(0);
    expect(bank.get('101').invites).toHaveLength(0);
    // The control: the admin's originate is the tenant's call (docs/call-control.md): it goes out.
    const byAdmin = await api.call('POST', url, { as: api.A.admin, body: body(MOBILE, '102') });
    expect(byAdmin.status).toBe(202);
    await until(() => offered.length === 1, 10_000);
  });

  it("the API's transfer: an outside number is rung in the name of the party let go, which for a user must be their own", async () => {
    // 101 calls 102; 101's user asks to send 101 itself (the caller) to a mobile, letting 102 go:
    // that would ring the mobile in 102's name without 102 asking.
    await connect('101', '102');
    const id = await until(() => sip.live.snapshot(tenantId).calls.find((c) => c.state === 'answered')?.id);
    const url = `/api/v1/tenants/${tenantId}/calls/${id}/transfer`;
    const own = await api.call('POST', url, {
      as: api.A.user,
      body: { side: 'caller', destination: MOBILE },
    });
    expect(own).toMatchObject({ status: 403, json: { detail: 'Only 102 Can Send This Call Outside' } });
    // Sending 102 out lets 101 go: 101's class decides.
    const other = await api.call('POST', url, {
      as: api.A.user,
      body: { side: 'callee', destination: MOBILE },
    });
    expect(other).toMatchObject({ status: 403, json: { detail: 'national calls not allowed' } });
    await settle();
    expect(offered).toHaveLength(0);
    // The call is untouched.
    expect(bank.get('101').dialogs.size).toBe(1);
    expect(bank.get('102').dialogs.size).toBe(1);
    // The control: the admin sends 101 out letting 102 go: 102 answers for it (national).
    const admin = await api.call('POST', url, {
      as: api.A.admin,
      body: { side: 'caller', destination: MOBILE },
    });
    expect(admin.status).toBe(202);
    await until(() => offered.length === 1, 10_000);
  });

  it("a ring group is the tenant's: its outside member rings for any caller, 101 included", async () => {
    const group: RingGroupConfig = {
      strategy: 'simultaneous',
      members: [{ number: MOBILE, delaySec: 0, timeoutSec: 10 }],
      ringTimeoutSec: 10,
      skipBusy: false,
      callerIdPrefix: '',
      timeoutDestination: null,
      confirmExternal: false,
    };
    const o = await scope().routing.create('ringGroup', {
      name: 'Duty mobile',
      number: '600',
      config: group,
    });
    created.push({ kind: 'ringGroup', id: o.id });
    await sip.tenantChanged(tenantId);
    expect((await bank.call('101', '600').done())?.status).toBe(200);
    expect(offered.map((r) => r.uri.user)).toEqual(['79161234567']);
  });
});
