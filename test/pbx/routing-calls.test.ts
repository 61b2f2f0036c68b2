/**
 * Calls through the router with phones on our own stack over UDP: ring group
 * strategies (simultaneous, sequential hunt skipping a busy member, memory hunt,
 * group timeout), forwarding (always, busy, no answer, unreachable, DND), time
 * conditions on a calendar, inbound routes with caller rules, and the hop limit.
 * The PBX runs on a manual clock, so ring timeouts pass when the test says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RingGroupConfig } from '../../src/pbx/routing/types.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import type { CallRules, Forwarding, PresenceStatus, RoutingKind } from '../../src/store/schema.js';
import { type Phone, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'routing.example.test';
const NUMBERS = ['201', '202', '203', '204', '205', '206', '207', '208'];

describe('calls through the router', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const clock = new ManualClock();
  const phones = { get: (n: string) => bank.get(n) };
  const call = (from: string, to: string) => bank.call(from, to);
  const hangupAll = () => bank.hangupAll();
  const lastTrail = () => bank.lastTrail();
  const register = (p: Phone, expires?: number) => bank.register(p, expires);

  const store = () => fx.db.store.tenant(fx.tenantId);
  const ext = async (number: string) => (await store().extensions.getByNumber(number))!;

  async function setExt(
    number: string,
    patch: {
      forwarding?: Partial<Forwarding>;
      dnd?: boolean;
      status?: PresenceStatus;
      callWaiting?: boolean;
      callRules?: CallRules;
    },
  ) {
    const e = await ext(number);
    await store().extensions.update(e.id, {
      ...(patch.dnd !== undefined ? { dnd: patch.dnd } : {}),
      forwarding: { ...NO_FORWARDING, ...patch.forwarding },
      status: patch.status ?? 'available',
      callWaiting: patch.callWaiting ?? true,
      callRules: patch.callRules ?? {},
    });
    await fx.sip.tenantChanged(fx.tenantId);
  }

  async function add(
    kind: RoutingKind,
    name: string,
    number: string | null,
    config: unknown,
  ): Promise<string> {
    const o = await store().routing.create(kind, { name, number, config });
    await fx.sip.tenantChanged(fx.tenantId);
    return o.id;
  }

  const group = (over: Partial<RingGroupConfig>): RingGroupConfig => ({
    strategy: 'simultaneous',
    members: [],
    ringTimeoutSec: 60,
    skipBusy: false,
    callerIdPrefix: '',
    timeoutDestination: null,
    ...over,
  });
  const member = (number: string, timeoutSec = 15, delaySec = 0) => ({ number, delaySec, timeoutSec });

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number, ringTimeoutSec: 20 })),
      { clock },
    );
    bank = await phoneBank(fx, DOMAIN, NUMBERS);
  });
  afterAll(async () => {
    bank?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    await hangupAll();
    bank.reset();
  });

  it('a simultaneous group rings every member with the group name first; the first to answer gets the call', async () => {
    await add(
      'ringGroup',
      'Sales',
      '600',
      group({ members: ['202', '203', '204'].map((n) => member(n)), callerIdPrefix: 'Sales: ' }),
    );
    phones.get('202')!.mode = 'ring';
    phones.get('204')!.mode = 'ring';
    const offered: string[] = [];
    const off = fx.sip.events.on((e) => {
      if (e.type === 'call.offered') offered.push(e.extension);
    });
    const res = await call('201', '600').done();
    off();
    // Each member is offered the call (a member whose portal is closed gets a push for it).
    expect(offered.sort()).toEqual(['202', '203', '204']);
    expect(res?.status).toBe(200);
    for (const n of ['202', '203', '204']) expect(phones.get(n)!.invites).toHaveLength(1);
    expect(phones.get('203')!.invites[0]!.headers.get('From')).toContain('"Sales: Ext 201"');
    await until(() => phones.get('202')!.cancels === 1 && phones.get('204')!.cancels === 1);
    expect(await lastTrail()).toEqual([]); // still in progress: the trail is written at the end
    await hangupAll();
    expect(await lastTrail()).toEqual(['ringGroup: answered by 203']);
    const row = (await store().calls.list({ limit: 1, offset: 0 })).items[0]!;
    expect(row.callee).toBe('600');
    expect(row.legs.map((l) => l.number).sort()).toEqual(['202', '203', '204']);
  });

  it("a member's busy lamp flashes while the group rings it and goes dark when another answers", async () => {
    await add('ringGroup', 'Lamps', '620', group({ members: ['203', '204'].map((n) => member(n)) }));
    phones.get('203').mode = 'ring';
    phones.get('204').mode = 'ring';
    const watcher = phones.get('205');
    const notifies: string[] = [];
    watcher.on('NOTIFY', (req, tx) => {
      notifies.push(req.body.toString());
      tx?.respond(watcher.response(req, 200));
    });
    const sub = bank.request('205', 'SUBSCRIBE', '203', [
      ['Event', 'dialog'],
      ['Accept', 'application/dialog-info+xml'],
      ['Expires', '600'],
    ]);
    expect((await sub.done())?.status).toBe(200);
    await until(() => notifies.length >= 1);
    const ex = call('201', '620');
    await until(() => notifies.some((b) => b.includes('<state>early</state>')));
    expect(notifies.at(-1)).toContain('direction="recipient"');
    phones.get('204').pickUp();
    expect((await ex.done())?.status).toBe(200);
    await until(() => !notifies.at(-1)!.includes('<dialog '));
    await hangupAll();
  });

  it('a sequential hunt skips a member on the phone and moves past a busy one at once', async () => {
    // 205 is on a call with 206.
    expect((await call('205', '206').done())?.status).toBe(200);
    phones.get('203')!.mode = 'busy';
    await add(
      'ringGroup',
      'Support',
      '610',
      group({ strategy: 'sequential', skipBusy: true, members: ['205', '203', '204'].map((n) => member(n)) }),
    );
    const res = await call('201', '610').done();
    expect(res?.status).toBe(200);
    expect(phones.get('205')!.invites).toHaveLength(0);
    expect(phones.get('203')!.invites).toHaveLength(1);
    expect(phones.get('204')!.invites).toHaveLength(1);
  });

  it('a sequential hunt moves on when a member does not answer in its time', async () => {
    phones.get('202')!.mode = 'ring';
    await add(
      'ringGroup',
      'Hunt',
      '611',
      group({ strategy: 'sequential', members: [member('202', 10), member('203', 10)] }),
    );
    const ex = call('201', '611');
    await until(() => phones.get('202')!.invites.length === 1);
    expect(phones.get('203')!.invites).toHaveLength(0);
    clock.advance(10_000);
    expect((await ex.done())?.status).toBe(200);
    expect(phones.get('202')!.cancels).toBe(1);
    expect(phones.get('203')!.invites).toHaveLength(1);
  });

  it('memory hunt starts after the member who was rung last time', async () => {
    await add(
      'ringGroup',
      'Memory',
      '612',
      group({ strategy: 'memoryHunt', members: ['202', '203', '204'].map((n) => member(n)) }),
    );
    const first = [];
    for (let i = 0; i < 3; i++) {
      expect((await call('201', '612').done())?.status).toBe(200);
      first.push(['202', '203', '204'].find((n) => phones.get(n)!.invites.length > 0));
      await hangupAll();
      for (const p of bank.phones.values()) p.invites = [];
    }
    expect(first).toEqual(['202', '203', '204']);
  });

  it('an unanswered group goes on to its timeout destination', async () => {
    phones.get('202')!.mode = 'ring';
    const night = await ext('207');
    await add(
      'ringGroup',
      'Short',
      '613',
      group({
        members: [member('202', 30)],
        ringTimeoutSec: 10,
        timeoutDestination: { kind: 'extension', id: night.id },
      }),
    );
    const ex = call('201', '613');
    await until(() => phones.get('202')!.invites.length === 1);
    clock.advance(10_000);
    expect((await ex.done())?.status).toBe(200);
    expect(phones.get('207')!.invites).toHaveLength(1);
    await hangupAll();
    expect(await lastTrail()).toEqual([
      'ringGroup: no answer, on to the timeout destination',
      'extension: answered',
    ]);
  });

  it('forwards always, on busy, on no answer and when unreachable; DND counts as busy', async () => {
    await setExt('202', { forwarding: { always: { enabled: true, target: '203' } } });
    expect((await call('201', '202').done())?.status).toBe(200);
    expect(phones.get('202')!.invites).toHaveLength(0);
    expect(phones.get('203')!.invites).toHaveLength(1);
    await hangupAll();
    expect(await lastTrail()).toEqual(['extension: forward always, forwarded to 203', 'extension: answered']);

    phones.get('202')!.mode = 'busy';
    await setExt('202', { forwarding: { busy: { enabled: true, target: '204' } } });
    expect((await call('201', '202').done())?.status).toBe(200);
    expect(phones.get('204')!.invites).toHaveLength(1);
    await hangupAll();

    phones.get('202')!.mode = 'ring';
    await setExt('202', { forwarding: { noAnswer: { enabled: true, target: '205' } } });
    const ex = call('201', '202');
    await until(() => phones.get('202')!.invites.length === 2);
    clock.advance(20_000);
    expect((await ex.done())?.status).toBe(200);
    expect(phones.get('205')!.invites).toHaveLength(1);
    await hangupAll();
    expect(await lastTrail()).toEqual(['extension: no-answer, forwarded to 205', 'extension: answered']);

    await setExt('202', { dnd: true, forwarding: { busy: { enabled: true, target: '206' } } });
    expect((await call('201', '202').done())?.status).toBe(200);
    expect(phones.get('202')!.invites).toHaveLength(2);
    expect(phones.get('206')!.invites).toHaveLength(1);
    await hangupAll();
    await setExt('202', { dnd: true });
    expect((await call('201', '202').done())?.status).toBe(486);
    await setExt('202', { dnd: false });

    // 208 unregisters: calls to it go to its unreachable target.
    const p208 = phones.get('208')!;
    await register(p208, 0);
    expect((await call('201', '208').done())?.status).toBe(480);
    await setExt('208', { forwarding: { unreachable: { enabled: true, target: '207' } } });
    expect((await call('201', '208').done())?.status).toBe(200);
    expect(phones.get('207')!.invites).toHaveLength(1);
    await register(p208);
  });

  it('a time condition sends calls by the calendar, and an override flips it for the next call', async () => {
    const always = { timeZone: 'Europe/Moscow', holidays: [], productionCalendar: null, override: null };
    const cal = await add('calendar', 'Always open', null, {
      ...always,
      weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }],
    });
    const day = await ext('202');
    const night = await ext('203');
    await add('timeCondition', 'Day/night', null, {
      calendarId: cal,
      whenOpen: { kind: 'extension', id: day.id },
      whenClosed: { kind: 'extension', id: night.id },
    });
    const did = await add('inboundRoute', 'Main', '+74951234567', {
      callerRules: [],
      destination: {
        kind: 'timeCondition',
        id: (await store().routing.all()).find((o) => o.name === 'Day/night')!.id,
      },
    });
    expect(did).toBeTruthy();
    expect((await call('201', '84951234567').done())?.status).toBe(200);
    expect(phones.get('202')!.invites).toHaveLength(1);
    await hangupAll();
    const trail = await lastTrail();
    expect(trail[0]).toBe('inboundRoute: default destination');
    expect(trail[1]).toMatch(/^timeCondition: open: weekly/);

    const o = (await store().routing.get('calendar', cal))!;
    await store().routing.update('calendar', cal, {
      name: o.name,
      number: null,
      config: { ...(o.config as object), override: { state: 'closed', until: null } },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    expect((await call('201', '+74951234567').done())?.status).toBe(200);
    expect(phones.get('203')!.invites).toHaveLength(1);
    await hangupAll();
    expect((await lastTrail())[1]).toBe('timeCondition: closed: override');
  });

  it("an inbound route's caller rules pick VIP and blacklisted callers out before its destination", async () => {
    const vip = await ext('204');
    const front = await ext('205');
    await add('inboundRoute', 'Sales line', '+74951110000', {
      callerRules: [
        { name: 'VIP', match: { numbers: ['201'] }, destination: { kind: 'extension', id: vip.id } },
        {
          name: 'Blacklist',
          match: { numbers: ['20*'] },
          destination: { kind: 'hangup', cause: 'rejected' },
        },
      ],
      destination: { kind: 'extension', id: front.id },
    });
    expect((await call('201', '+74951110000').done())?.status).toBe(200);
    expect(phones.get('204')!.invites).toHaveLength(1);
    await hangupAll();
    expect((await lastTrail())[0]).toBe('inboundRoute: caller rule "VIP"');
    expect((await call('202', '+74951110000').done())?.status).toBe(603);
  });

  it('a forwarding loop ends at the hop limit with 482, not in a storm', async () => {
    phones.get('206')!.mode = 'busy';
    phones.get('207')!.mode = 'busy';
    await setExt('206', { forwarding: { busy: { enabled: true, target: '207' } } });
    await setExt('207', { forwarding: { busy: { enabled: true, target: '206' } } });
    expect((await call('201', '206').done())?.status).toBe(482);
    expect(phones.get('206')!.invites.length + phones.get('207')!.invites.length).toBeLessThanOrEqual(20);
    const trail = await lastTrail();
    expect(trail.at(-1)).toBe('loop: refused');
    await setExt('206', {});
    await setExt('207', {});
  });

  it('follow-me rings its steps one after another, the desk phone throughout', async () => {
    for (const n of ['202', '203', '204']) phones.get(n).mode = 'ring';
    await setExt('202', {
      status: 'trip',
      callRules: {
        followMe: {
          ringDesk: true,
          steps: [
            { numbers: ['203'], ringSec: 10 },
            { numbers: ['204', '205'], ringSec: 10 },
          ],
        },
        profiles: { trip: { internal: { action: 'followMe' }, external: { action: 'followMe' } } },
      },
    });
    const ex = call('201', '202');
    await until(() => phones.get('202').invites.length === 1 && phones.get('203').invites.length === 1);
    expect(phones.get('204').invites).toHaveLength(0);
    clock.advance(10_000); // step 1 is over: 203 stops, 204 and 205 ring, the desk goes on
    await until(() => phones.get('203').cancels === 1 && phones.get('204').invites.length === 1);
    expect(phones.get('202').cancels).toBe(0);
    expect((await ex.done())?.status).toBe(200); // 205 answers
    expect(phones.get('205').invites).toHaveLength(1);
    await hangupAll();
    expect(await lastTrail()).toEqual([
      'extension: status trip: followMe',
      'extension: follow-me, 2 steps',
      'extension: answered by 205',
    ]);
    await setExt('202', {});
  });

  it('status profiles treat internal and external callers differently; listed callers always ring', async () => {
    const e202 = await ext('202');
    await setExt('202', {
      status: 'lunch',
      callRules: {
        profiles: { lunch: { internal: { action: 'busy' }, external: { action: 'forward', target: '203' } } },
        exceptions: ['204'],
      },
    });
    // From a colleague: busy.
    expect((await call('201', '202').done())?.status).toBe(486);
    // From outside (through a DID): forwarded.
    await add('inboundRoute', 'Direct 202', '+74957770202', {
      callerRules: [],
      destination: { kind: 'extension', id: e202.id },
    });
    expect((await call('201', '+74957770202').done())?.status).toBe(200);
    expect(phones.get('203').invites).toHaveLength(1);
    await hangupAll();
    // 204 always gets through.
    expect((await call('204', '202').done())?.status).toBe(200);
    expect(phones.get('202').invites).toHaveLength(1);
    await hangupAll();
    await setExt('202', {});
  });

  it('a calendar sets the status while the office is closed', async () => {
    const cal = await add('calendar', 'Closed all the time', null, {
      timeZone: 'UTC',
      weekly: [],
      holidays: [],
      productionCalendar: null,
      override: null,
    });
    await setExt('203', {
      callRules: {
        statusByCalendar: { calendarId: cal, whenClosed: 'away' },
        profiles: { away: { internal: { action: 'forward', target: '204' }, external: { action: 'busy' } } },
      },
    });
    expect((await call('201', '203').done())?.status).toBe(200);
    expect(phones.get('204').invites).toHaveLength(1);
    expect(phones.get('203').invites).toHaveLength(0);
    await setExt('203', {});
  });

  it('the boss–secretary filter: the secretary rings first, the boss joins later; the secretary gets through', async () => {
    phones.get('203').mode = 'ring';
    await setExt('202', {
      callRules: { secretary: { number: '203', mode: 'secretaryFirst', firstSec: 10, direct: [] } },
    });
    const ex = call('201', '202');
    await until(() => phones.get('203').invites.length === 1);
    expect(phones.get('202').invites).toHaveLength(0);
    clock.advance(10_000);
    expect((await ex.done())?.status).toBe(200); // the boss answers
    expect(phones.get('202').invites).toHaveLength(1);
    await hangupAll();
    // Only the secretary in "secretary" mode; she herself reaches the boss.
    phones.get('203').mode = 'answer';
    await setExt('202', {
      callRules: { secretary: { number: '203', mode: 'secretary', firstSec: 0, direct: [] } },
    });
    expect((await call('201', '202').done())?.status).toBe(200);
    expect(phones.get('202').invites).toHaveLength(1);
    expect(phones.get('203').invites).toHaveLength(2);
    await hangupAll();
    expect((await call('203', '202').done())?.status).toBe(200);
    expect(phones.get('202').invites).toHaveLength(2);
    await hangupAll();
    await setExt('202', {});
  });

  it('with call waiting off a busy extension is busy to a second caller', async () => {
    expect((await call('203', '204').done())?.status).toBe(200);
    await setExt('204', { callWaiting: false, forwarding: { busy: { enabled: true, target: '205' } } });
    expect((await call('201', '204').done())?.status).toBe(200);
    expect(phones.get('205').invites).toHaveLength(1);
    expect(phones.get('204').invites).toHaveLength(1);
    await hangupAll();
    await setExt('204', {});
  });
});
