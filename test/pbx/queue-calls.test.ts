/**
 * Call queues end to end with phones on our own stack over UDP and the media
 * relay anchoring every call: callers answered by the PBX and held in line,
 * agents chosen by strategy, wrap-up, auto-pause after missed offers, skills
 * that relax with the wait, VIP callers first, overflow (full, no agents,
 * timeout, predicted wait), the exit key, position announcements, dynamic
 * login and pause by feature code, and the statistics checked against
 * hand-counted figures. The PBX runs on a manual clock, so waits pass when the
 * test says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Call } from '../../src/pbx/call.js';
import type { QueueEvent } from '../../src/pbx/queue/engine.js';
import type { QueueConfig } from '../../src/pbx/queue/types.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { type PhoneBank, phoneBank } from '../helpers/phones.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'queues.example.test';
const CALLERS = ['201', '202', '203', '204', '205'];
const AGENTS = ['301', '302', '303', '304'];

describe('call queues', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const clock = new ManualClock();
  const store = () => fx.db.store.tenant(fx.tenantId);
  const engine = () => fx.sip.queues!;
  const events: QueueEvent[] = [];
  let queueIds: string[] = [];

  const member = queueMember;
  const queue = (over: Partial<QueueConfig>) =>
    queueConfig({ members: AGENTS.map((n) => member(n)), ...over });

  async function addQueue(name: string, number: string, config: QueueConfig): Promise<string> {
    const o = await store().routing.create('queue', { name, number, config });
    queueIds.push(o.id);
    await fx.sip.tenantChanged(fx.tenantId);
    return o.id;
  }

  const extId = async (n: string) => (await store().extensions.getByNumber(n))!.id;
  const state = (queueId: string, n: string) =>
    engine()
      .liveOf(fx.tenantId, queueId)!
      .agents.find((a) => a.number === n)!.state;
  const waitingIn = (queueId: string) => engine().liveOf(fx.tenantId, queueId)!.waiting;
  /** A caller dials the queue and is answered by the PBX (it waits in line). */
  async function join(from: string, to: string) {
    const res = await bank.call(from, to).done();
    expect(res?.status).toBe(200);
    // Let the ACK reach the PBX before the manual clock jumps (else the 2xx would time out unacknowledged).
    await new Promise((r) => setTimeout(r, 30));
  }
  const hangUp = async (n: string) => {
    for (const d of [...bank.get(n).dialogs.values()])
      await bank.get(n).inDialog('BYE', { dialog: d }).done();
  };
  const invitesOf = (n: string) => bank.get(n).invites.length;

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      [...CALLERS, ...AGENTS].map((number) => ({ number })),
      { clock, media: { bindAddress: '127.0.0.1', portMin: 43800, portMax: 43999, workers: 1 } },
    );
    bank = await phoneBank(fx, DOMAIN, [...CALLERS, ...AGENTS]);
    fx.sip.events.on((e) => {
      if (e.type.startsWith('queue.') || e.type === 'agent.state') events.push(e as QueueEvent);
    });
  });
  afterAll(async () => {
    bank?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    await bank.hangupAll();
    bank.reset();
    // Every test starts with a tenant without queues and agents fresh.
    for (const id of queueIds) await store().routing.delete('queue', id);
    queueIds = [];
    await fx.sip.tenantChanged(fx.tenantId);
    for (const n of AGENTS) {
      const s = engine().sessions.get(fx.tenantId, n);
      Object.assign(s, {
        paused: false,
        pauseReason: '',
        wrapUpUntilMs: 0,
        lastEndedMs: null,
        missedInRow: 0,
        calls: 0,
        talkSec: 0,
      });
      s.queues.clear();
    }
    events.length = 0;
  });

  it('answers the caller, rings the first available agent (linear) and bridges them; the CDR trail says who answered', async () => {
    const q = await addQueue('Support', '700', queue({}));
    bank.get('301').mode = 'ring';
    await join('201', '700');
    await until(() => invitesOf('301') === 1);
    expect(bank.get('301').invites[0]!.headers.get('From')).toContain('Support: Ext 201');
    expect(state(q, '301')).toBe('ringing');
    expect(waitingIn(q)).toHaveLength(1);
    expect(waitingIn(q)[0]!.ringing).toBe(true);
    bank.get('301').pickUp();
    await until(() => waitingIn(q).length === 0);
    await until(() => state(q, '301') === 'busy');
    expect(invitesOf('302')).toBe(0);
    // Wallboards heard about it.
    expect(events.some((e) => e.type === 'queue.updated' && e.queue.waiting.length === 1)).toBe(true);
    clock.advance(30_000);
    await hangUp('201');
    expect(await bank.lastTrail()).toEqual(['queue: answered by 301 after 0 s']);
    const today = engine().liveOf(fx.tenantId, q)!.today;
    expect(today).toMatchObject({ offered: 1, answered: 1, abandoned: 0, handled: 1, talkSec: 30 });
    expect(today.agents['301']).toMatchObject({ offered: 1, answered: 1, talkSec: 30 });
    expect(state(q, '301')).toBe('available');
    // Events for integrations (webhooks): the caller's join and leave, and 301's states in turn.
    const about = events.flatMap((e) =>
      e.type === 'queue.join'
        ? [`join ${e.waiter.caller}`]
        : e.type === 'queue.leave'
          ? [`leave ${e.waiter.caller} ${e.reason}`]
          : e.type === 'agent.state' && e.agent === '301'
            ? [`301 ${e.state}`]
            : [],
    );
    // (The first look at a queue reports every agent's state, with no previous one.)
    expect(about).toEqual([
      'join 201',
      '301 available',
      '301 ringing',
      'leave 201 answered',
      '301 busy',
      '301 available',
    ]);
  });

  it('ring-all rings every available agent; the first to answer takes the call, the others stop', async () => {
    const q = await addQueue('Sales', '701', queue({ strategy: 'ringAll' }));
    for (const n of AGENTS) bank.get(n).mode = 'ring';
    await join('201', '701');
    await until(() => AGENTS.every((n) => invitesOf(n) === 1));
    bank.get('303').pickUp();
    await until(() => ['301', '302', '304'].every((n) => bank.get(n).cancels === 1));
    expect(state(q, '303')).toBe('busy');
    expect(engine().liveOf(fx.tenantId, q)!.today.agents['301']).toMatchObject({ offered: 1, missed: 1 });
  });

  it('round-robin goes on from the agent rung last, call after call', async () => {
    const q = await addQueue('RR', '702', queue({ strategy: 'roundRobin' }));
    const got: string[] = [];
    for (const caller of ['201', '202', '203', '204', '205']) {
      const before = AGENTS.map(invitesOf);
      await join(caller, '702');
      await until(() => AGENTS.some((n, i) => invitesOf(n) > before[i]!));
      got.push(AGENTS.find((n, i) => invitesOf(n) > before[i]!)!);
      await until(() => waitingIn(q).length === 0);
      await bank.hangupAll();
    }
    expect(got).toEqual(['301', '302', '303', '304', '301']);
    // Every caller was answered (none abandoned while ringing).
    expect(engine().liveOf(fx.tenantId, q)!.today).toMatchObject({ offered: 5, answered: 5, abandoned: 0 });
  });

  it('least-recent gives the call to the agent idle longest; wrap-up keeps an agent out for its seconds', async () => {
    const q = await addQueue(
      'LR',
      '703',
      queue({ strategy: 'leastRecent', wrapUpSec: 30, members: ['301', '302'].map((n) => member(n)) }),
    );
    await join('201', '703');
    await until(() => state(q, '301') === 'busy'); // nobody had a call: list order
    clock.advance(5_000);
    await hangUp('201');
    await until(() => state(q, '301') === 'wrapUp');
    await join('202', '703');
    await until(() => state(q, '302') === 'busy');
    clock.advance(10_000);
    await hangUp('202');
    clock.advance(30_000); // both wrap-ups over: 301 finished first, so it has been idle longest
    await until(() => state(q, '301') === 'available' && state(q, '302') === 'available');
    const before = invitesOf('301');
    await join('203', '703');
    await until(() => invitesOf('301') === before + 1);
    await until(() => waitingIn(q).length === 0);
    await bank.hangupAll();
    const agents = engine().liveOf(fx.tenantId, q)!.today.agents;
    expect(agents['301']).toMatchObject({ answered: 2, wrapUpSec: 30 });
    expect(agents['302']).toMatchObject({ answered: 1, talkSec: 10, wrapUpSec: 30 });
  });

  it('an agent on two lines who ends a call during a wrap-up keeps the seconds of the wrap-up cut short', async () => {
    const q = await addQueue(
      'Two lines',
      '713',
      queue({ wrapUpSec: 30, members: [member('303', { maxCalls: 2 })] }),
    );
    await join('204', '713');
    await until(() => bank.get('303').dialogs.size === 1);
    await join('205', '713'); // a second line: still offered while one call is up
    await until(() => bank.get('303').dialogs.size === 2);
    await hangUp('204');
    await until(() => state(q, '303') === 'wrapUp');
    clock.advance(10_000);
    await hangUp('205'); // the first wrap-up ends here, 10 s in; a new one starts
    clock.advance(30_000);
    await until(() => state(q, '303') === 'available');
    expect(engine().liveOf(fx.tenantId, q)!.today.agents['303']).toMatchObject({
      answered: 2,
      wrapUpSec: 40,
    });
  });

  it('an agent who misses offers is passed over and, after N in a row, paused with the reason', async () => {
    const q = await addQueue(
      'AP',
      '704',
      queue({
        autoPauseAfter: 2,
        agentRingSec: 10,
        retrySec: 5,
        members: ['301', '302'].map((n) => member(n)),
      }),
    );
    bank.get('301').mode = 'busy'; // refuses every call
    bank.get('302').mode = 'ring';
    await join('201', '704');
    await until(() => invitesOf('302') === 1); // 301 refused at once, 302 is tried next
    clock.advance(10_000); // 302 does not answer either
    await until(() => bank.get('302').cancels === 1);
    clock.advance(5_000); // the retry time passes: both are offered again
    await until(() => invitesOf('301') === 2);
    await until(() => state(q, '301') === 'paused');
    expect(
      engine()
        .liveOf(fx.tenantId, q)!
        .agents.find((a) => a.number === '301')!.pauseReason,
    ).toBe('missed 2 calls');
    // 302 answers this time; 301 stays paused until someone unpauses it.
    await until(() => invitesOf('302') === 2);
    bank.get('302').pickUp();
    await until(() => waitingIn(q).length === 0);
    expect(engine().liveOf(fx.tenantId, q)!.today.agents['301']).toMatchObject({ offered: 2, missed: 2 });
    // The pause counts while it lasts, not only once it ends.
    clock.advance(30_000);
    expect(engine().liveOf(fx.tenantId, q)!.today.agents['301']!.pauseSec).toBeGreaterThanOrEqual(30);
    engine().unpause(fx.tenantId, '301');
    expect(state(q, '301')).toBe('available');
    // Do-not-disturb pauses too, and its time counts as pause time (a hand pause inside it is not counted twice).
    const before = engine().liveOf(fx.tenantId, q)!.today.agents['301']!.pauseSec;
    const ext301 = (await store().extensions.getByNumber('301'))!;
    await store().extensions.update(ext301.id, { dnd: true });
    await fx.sip.tenantChanged(fx.tenantId);
    expect(state(q, '301')).toBe('paused');
    clock.advance(20_000);
    engine().pause(fx.tenantId, '301', 'lunch');
    clock.advance(20_000);
    engine().unpause(fx.tenantId, '301');
    expect(state(q, '301')).toBe('paused'); // still on DND
    clock.advance(20_000);
    await store().extensions.update(ext301.id, { dnd: false });
    await fx.sip.tenantChanged(fx.tenantId);
    expect(state(q, '301')).toBe('available');
    const after = engine().liveOf(fx.tenantId, q)!.today.agents['301']!.pauseSec;
    expect(after - before).toBeGreaterThanOrEqual(60);
    expect(after - before).toBeLessThan(61);
  });

  it('skills-based routing waits for a matching agent, then relaxes the need as the caller waits', async () => {
    const q = await addQueue(
      'Skills',
      '705',
      queue({
        strategy: 'skillsBased',
        members: [member('301', { skills: { en: 3 } }), member('302', { skills: { en: 5, de: 2 } })],
        skills: [
          { afterSec: 0, require: { en: 8 } },
          { afterSec: 60, require: { en: 4 } },
        ],
      }),
    );
    await join('201', '705');
    clock.advance(59_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(invitesOf('301') + invitesOf('302')).toBe(0); // nobody has en 8
    clock.advance(2_000); // after 60 s: en ≥ 4 will do, which only 302 has
    await until(() => invitesOf('302') === 1);
    expect(invitesOf('301')).toBe(0);
    await until(() => engine().liveOf(fx.tenantId, q)!.today.answered === 1);
  });

  it('serves VIP callers first and announces positions in line', async () => {
    const q = await addQueue(
      'Line',
      '706',
      queue({ members: [member('301')], vipNumbers: ['203'], announcePosition: true, announceEverySec: 0 }),
    );
    bank.get('301').mode = 'ring';
    await join('201', '706'); // rung to 301 at once
    await until(() => invitesOf('301') === 1);
    await join('202', '706');
    await join('203', '706'); // VIP: ahead of 202 (and of 201, whose agent is ringing already)
    expect(waitingIn(q).map((w) => w.caller)).toEqual(['203', '201', '202']);
    const said = (caller: string) =>
      events.flatMap((e) => {
        const w = waitingIn(q).find((x) => x.caller === caller);
        return e.type === 'queue.announced' && w && e.callerId === w.id ? [e.prompts.join(' ')] : [];
      });
    await until(() => said('202').length > 0 && said('203').length > 0);
    expect(said('202')[0]).toBe('queue-position-is num-2');
    expect(said('203')[0]).toBe('queue-position-is num-1');
    bank.get('301').pickUp(); // 201 is served; 301 is busy
    await until(() => waitingIn(q).length === 2);
    await hangUp('201');
    // 301 is free again: the VIP goes first.
    await until(() => invitesOf('301') === 2);
    expect(bank.get('301').invites[1]!.headers.get('From')).toContain('Ext 203');
  });

  it('overflows: full queue, nobody logged in, wait too long, predicted wait, and the exit key', async () => {
    const ext205 = await extId('205');
    const to205 = { kind: 'extension' as const, id: ext205 };
    // Full: one caller at most (the only agent is busy refusing, so 201 waits).
    const full = await addQueue(
      'Full',
      '707',
      queue({ members: [member('301')], maxCallers: 1, fullDestination: to205 }),
    );
    bank.get('301').mode = 'ring';
    await join('201', '707');
    await until(() => invitesOf('301') === 1);
    bank.get('205').mode = 'ring';
    bank.call('202', '707');
    await until(() => invitesOf('205') === 1);
    expect(engine().liveOf(fx.tenantId, full)!.today).toMatchObject({ offered: 2, full: 1 });
    bank.get('205').pickUp();
    await bank.hangupAll();
    bank.reset();

    // Nobody logged in (dynamic members): not even answered, sent on at once.
    const empty = await addQueue(
      'Empty',
      '708',
      queue({ members: [member('302', { static: false })], noAgentsDestination: to205 }),
    );
    bank.get('205').mode = 'ring';
    bank.call('202', '708');
    await until(() => invitesOf('205') === 1);
    expect(invitesOf('302')).toBe(0);
    bank.get('205').pickUp();
    await bank.hangupAll();
    bank.reset();
    engine().login(fx.tenantId, '302', null);
    expect(state(empty, '302')).toBe('available');
    engine().logout(fx.tenantId, '302', null);

    // Waited too long: the timeout destination.
    const slow = await addQueue(
      'Slow',
      '709',
      queue({ members: [member('303')], maxWaitSec: 120, agentRingSec: 300, timeoutDestination: to205 }),
    );
    bank.get('303').mode = 'ring';
    bank.get('205').mode = 'ring';
    await join('203', '709');
    await until(() => invitesOf('303') === 1);
    clock.advance(120_000);
    // The agent is still ringing at the limit: the caller stays for that offer to end...
    await new Promise((r) => setTimeout(r, 50));
    expect(invitesOf('205')).toBe(0);
    clock.advance(180_000); // ... then goes on.
    await until(() => invitesOf('205') === 1);
    expect(engine().liveOf(fx.tenantId, slow)!.today).toMatchObject({ offered: 1, timedOut: 1, answered: 0 });
    await bank.hangupAll();
    bank.reset();

    // Predicted wait: one agent busy, and the queue's callers per agent over 1.
    const busy = await addQueue(
      'Busy',
      '710',
      queue({
        members: [member('304')],
        predictive: { maxExpectedWaitSec: 0, maxCallersPerAgent: 1, destination: to205 },
      }),
    );
    bank.get('304').mode = 'ring';
    await join('201', '710');
    bank.get('205').mode = 'ring';
    bank.call('202', '710'); // 2 callers for 1 agent: diverted
    await until(() => invitesOf('205') === 1);
    expect(engine().liveOf(fx.tenantId, busy)!.today).toMatchObject({ offered: 2, diverted: 1 });
    bank.get('205').pickUp();
    await bank.hangupAll();
    bank.reset();

    // The exit key: 0 leaves for 205.
    const exit = await addQueue(
      'Exit',
      '711',
      queue({
        members: [member('304', { static: false })],
        joinEmpty: [],
        keys: [{ key: '0', action: 'leave', destination: to205 }],
      }),
    );
    bank.get('205').mode = 'ring';
    await join('203', '711'); // joins though nobody is logged in (join-empty off)
    const info = await bank
      .get('203')
      .inDialog('INFO', {
        body: Buffer.from('Signal=0\r\nDuration=160\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    expect(info?.status).toBe(200);
    await until(() => invitesOf('205') === 1);
    expect(engine().liveOf(fx.tenantId, exit)!.today).toMatchObject({ offered: 1, exitedByKey: 1 });
    bank.get('205').pickUp();
    await until(() => fx.sip.calls.size === 1 && [...fx.sip.calls][0]!.state === 'answered');
    await bank.hangupAll();
    expect(await bank.lastTrail()).toEqual([
      'queue: caller pressed 0, on to extension',
      'extension: answered',
    ]);
  });

  it('a caller asks to be called back: hangs up, keeps the place, and is joined with the agent who answers first', async () => {
    const q = await addQueue(
      'Callback',
      '714',
      queue({
        members: [member('301')],
        joinEmpty: [],
        keys: [{ key: '5', action: 'callback', destination: null }],
        callback: { maxPerAgent: 0, attempts: 2, retryDelaySec: 60, ringSec: 20 },
      }),
    );
    engine().pause(fx.tenantId, '301', 'meeting'); // nobody to answer yet: callers wait
    const press = (from: string, key: string) =>
      bank
        .get(from)
        .inDialog('INFO', {
          body: Buffer.from(`Signal=${key}\r\nDuration=160\r\n`),
          contentType: 'application/dtmf-relay',
        })
        .done();
    await join('201', '714');
    await join('202', '714');
    await press('201', '5');
    // 201 hears the confirmation and is hung up by the PBX; its request keeps first place.
    await until(() => bank.get('201').dialogs.size === 0, 10_000);
    expect(waitingIn(q).map((w) => [w.caller, w.callback])).toEqual([
      ['201', true],
      ['202', false],
    ]);
    // The record is finalised once the call's media is closed, a moment after the BYE: poll for it.
    let first: Awaited<ReturnType<ReturnType<typeof store>['calls']['list']>>['items'][number] | undefined;
    for (let i = 0; i < 100 && !first?.endedAt; i++) {
      await fx.db.store.callLog.drain();
      first = (await store().calls.list({ limit: 5, offset: 0 })).items.find((c) => c.caller === '201');
      if (!first?.endedAt) await new Promise((r) => setTimeout(r, 20));
    }
    expect(first?.trail.map((t) => t.outcome)).toEqual(['callback requested after 0 s']);
    expect(first?.cause).toBe('callback');
    // One callback per number: 201 calling again cannot ask for a second one.
    await join('201', '714');
    await press('201', '5');
    await until(() => events.some((e) => e.type === 'queue.updated' && e.queue.waiting.length === 3));
    await new Promise((r) => setTimeout(r, 100));
    expect(waitingIn(q)).toHaveLength(3);
    await hangUp('201');
    await until(() => waitingIn(q).length === 2);

    // 301 comes back: the callback is first in line. 301 is rung, then 201 (which answers by itself).
    bank.get('301').mode = 'ring';
    const before201 = invitesOf('201');
    engine().unpause(fx.tenantId, '301');
    await until(() => invitesOf('301') === 1);
    expect(bank.get('301').invites[0]!.headers.get('From')).toContain('Callback Callback: Ext 201');
    bank.get('301').pickUp();
    await until(() => invitesOf('201') === before201 + 1);
    await until(() => engine().liveOf(fx.tenantId, q)!.today.callbacksConnected === 1);
    expect(waitingIn(q).map((w) => w.caller)).toEqual(['202']);
    expect(state(q, '301')).toBe('busy');
    expect(engine().liveOf(fx.tenantId, q)!.today).toMatchObject({ callbacks: 1, answered: 1, abandoned: 1 });
    // 202 still waits for 301; the callback ends when 201 hangs up.
    await hangUp('201');
    await until(() => state(q, '301') !== 'busy');
    // The row closes once both legs' media is closed: poll the log for it.
    let row: Awaited<ReturnType<ReturnType<typeof store>['calls']['list']>>['items'][number] | undefined;
    for (let i = 0; i < 100 && !row?.endedAt; i++) {
      await fx.db.store.callLog.drain();
      row = (await store().calls.list({ limit: 5, offset: 0 })).items.find(
        (c) => c.callee === '301' && c.caller === '201',
      );
      if (!row?.endedAt) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row?.trail.map((t) => t.outcome)).toEqual(['callback answered by 301']);
    expect(row?.answeredAt).not.toBeNull();
  });

  it('a callback whose caller does not answer is tried again after the delay, then given up', async () => {
    const q = await addQueue(
      'Retry',
      '715',
      queue({
        members: [member('302')],
        joinEmpty: [],
        keys: [{ key: '7', action: 'callback', destination: null }],
        callback: { maxPerAgent: 0, attempts: 2, retryDelaySec: 60, ringSec: 20 },
      }),
    );
    engine().pause(fx.tenantId, '302', 'break');
    await join('203', '715');
    await bank
      .get('203')
      .inDialog('INFO', {
        body: Buffer.from('Signal=7\r\nDuration=160\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    await until(() => bank.get('203').dialogs.size === 0, 10_000);
    bank.get('203').mode = 'busy'; // the caller will not take the callback
    engine().unpause(fx.tenantId, '302');
    await until(() => invitesOf('302') === 1);
    await until(() => waitingIn(q)[0]?.ringing === false && bank.get('302').dialogs.size === 0);
    expect(waitingIn(q)).toHaveLength(1); // still in line for the next try
    clock.advance(30_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(invitesOf('302')).toBe(1); // not before the delay
    clock.advance(31_000);
    await until(() => invitesOf('302') === 2);
    await until(() => waitingIn(q).length === 0);
    expect(engine().liveOf(fx.tenantId, q)!.today).toMatchObject({
      callbacks: 1,
      callbacksFailed: 1,
      answered: 0,
    });
    // Each attempt's record is finalised once its legs are closed: poll until both are.
    let rows: Awaited<ReturnType<ReturnType<typeof store>['calls']['list']>>['items'] = [];
    for (let i = 0; i < 100; i++) {
      await fx.db.store.callLog.drain();
      rows = (await store().calls.list({ limit: 10, offset: 0 })).items.filter((c) => c.callee === '302');
      if (rows.length === 2 && rows.every((r) => r.endedAt)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(rows.map((r) => r.trail.at(-1)?.outcome)).toEqual([
      'caller did not answer',
      'caller did not answer',
    ]);
  });

  it('an agent in two queues serves the heavier queue first; an agent with two lines takes a second call', async () => {
    const light = await addQueue(
      'Light',
      '716',
      queue({ members: [member('301')], weight: 1, joinEmpty: [] }),
    );
    const heavy = await addQueue(
      'Heavy',
      '717',
      queue({ members: [member('301')], weight: 5, joinEmpty: [] }),
    );
    engine().pause(fx.tenantId, '301', 'break');
    await join('201', '716'); // waiting longer, but in the lighter queue
    clock.advance(10_000);
    await join('202', '717');
    bank.get('301').mode = 'ring';
    engine().unpause(fx.tenantId, '301');
    await until(() => invitesOf('301') === 1);
    expect(bank.get('301').invites[0]!.headers.get('From')).toContain('Heavy: Ext 202');
    expect(waitingIn(light)[0]!.ringing).toBe(false);
    bank.get('301').pickUp();
    await until(() => waitingIn(heavy).length === 0);
    // One line: 201 waits while 301 talks. With two lines, 301 is offered 201 at once.
    await new Promise((r) => setTimeout(r, 50));
    expect(invitesOf('301')).toBe(1);
    await store().routing.update('queue', light, {
      name: 'Light',
      number: '716',
      config: queue({ members: [member('301', { maxCalls: 2 })], weight: 1, joinEmpty: [] }),
    });
    await fx.sip.tenantChanged(fx.tenantId);
    engine().dispatchSoon(fx.tenantId);
    await until(() => invitesOf('301') === 2);
    expect(bank.get('301').invites[1]!.headers.get('From')).toContain('Light: Ext 201');
  });

  it('callers hear the entry prompt, then position, expected wait and periodic prompts; leave when every agent leaves', async () => {
    const q = await addQueue(
      'Talk',
      '718',
      queue({
        members: [member('303', { static: false })],
        joinEmpty: [],
        leaveWhenEmpty: ['loggedOut', 'unregistered'],
        entryPrompts: ['your-call-is-important'],
        announcePosition: true,
        announceWait: true,
        announceEverySec: 60,
        periodicPrompts: ['please-hold'],
        periodicEverySec: 45,
        noAgentsDestination: { kind: 'hangup', cause: 'unavailable' },
      }),
    );
    engine().login(fx.tenantId, '303', null);
    engine().pause(fx.tenantId, '303', 'busy elsewhere'); // logged in, paused: the caller waits
    await join('201', '718');
    const said = () => events.flatMap((e) => (e.type === 'queue.announced' ? [e.prompts.join(' ')] : []));
    // Prompts play in real time while the test moves the call clock: move it only while music plays.
    const caller = () => [...fx.sip.calls].find((c) => c.caller.number === '201') as Call;
    const inMusic = () => until(() => caller()?.callerHearsMusic, 10_000);
    // The entry prompt first, then position and expected wait: nobody is staffed (the only agent
    // is paused), so no wait figure can be given.
    await inMusic();
    expect(said()).toEqual(['queue-position-is num-1']);
    clock.advance(45_000);
    await until(() => said().length === 2);
    expect(said()[1]).toBe('please-hold');
    await inMusic();
    engine().unpause(fx.tenantId, '303');
    bank.get('303').mode = 'busy'; // on shift, but refuses: the caller keeps waiting
    clock.advance(15_000); // 60 s after the first announcement
    await until(() => said().length === 3);
    // Staffed by one agent now, no call handled yet: 1 caller ahead of none, 180 s default handle time.
    expect(said()[2]).toBe('queue-position-is num-1 queue-wait-time-is num-3 minute-many');
    // The only agent logs out: the caller leaves for the no-agents destination at the next check.
    engine().logout(fx.tenantId, '303', null);
    // (An offer to 303 may still be in flight: the check is made once no agent rings.)
    await until(() => {
      clock.advance(1_000);
      return bank.get('201').dialogs.size === 0;
    }, 5_000);
    expect(engine().liveOf(fx.tenantId, q)!.today).toMatchObject({ noAgents: 1, abandoned: 0 });
  });

  it('a caller who hangs up while an agent rings stops the ringing (CANCEL) and frees the agent', async () => {
    const q = await addQueue('Gone', '719', queue({ members: [member('301')] }));
    bank.get('301').mode = 'ring';
    await join('201', '719');
    await until(() => invitesOf('301') === 1);
    await hangUp('201');
    await until(() => bank.get('301').cancels === 1);
    await until(() => state(q, '301') === 'available');
    expect(engine().liveOf(fx.tenantId, q)!.today).toMatchObject({ offered: 1, abandoned: 1 });
    await join('202', '719');
    await until(() => invitesOf('301') === 2);
    expect(bank.get('301').invites[1]!.headers.get('From')).toContain('Ext 202');
  });

  it('a callback request waits out a queue emptied of agents (leave-when-empty is for callers on the line)', async () => {
    const q = await addQueue(
      'Empty callback',
      '720',
      queue({
        members: [member('302')],
        joinEmpty: [],
        leaveWhenEmpty: ['paused'],
        keys: [{ key: '5', action: 'callback', destination: null }],
        noAgentsDestination: { kind: 'hangup', cause: 'unavailable' },
      }),
    );
    engine().pause(fx.tenantId, '302', 'lunch');
    await join('204', '720');
    await bank
      .get('204')
      .inDialog('INFO', {
        body: Buffer.from('Signal=5\r\nDuration=160\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    await until(() => bank.get('204').dialogs.size === 0, 10_000);
    clock.advance(5_000); // several checks pass while nobody is there
    expect(waitingIn(q).map((w) => [w.caller, w.callback])).toEqual([['204', true]]);
    bank.get('302').mode = 'ring';
    engine().unpause(fx.tenantId, '302');
    await until(() => invitesOf('302') === 1);
    bank.get('302').pickUp();
    await until(() => engine().liveOf(fx.tenantId, q)!.today.callbacksConnected === 1);
  });

  it('a caller who hangs up while waiting counts as abandoned with the wait; statistics reach the database', async () => {
    const q = await addQueue('Stats', '712', queue({ members: [member('301')], serviceLevelSec: [20, 60] }));
    bank.get('301').mode = 'ring';
    // By hand: 201 joins at 0 and is answered at 10 s; 202 joins at 0 and hangs up at 45 s; 203 joins at
    // 10 s and is answered at 50 s when 201 hangs up; 203 talks until 70 s.
    await join('201', '712');
    await until(() => invitesOf('301') === 1);
    await join('202', '712');
    clock.advance(10_000);
    bank.get('301').pickUp();
    await until(() => waitingIn(q).length === 1);
    await join('203', '712');
    clock.advance(35_000);
    await hangUp('202'); // waited 45 s
    await until(() => waitingIn(q).length === 1);
    expect(events.find((e) => e.type === 'queue.abandon')).toMatchObject({
      queueId: q,
      waiter: { caller: '202' },
      waitedSec: 45,
    });
    clock.advance(5_000);
    await hangUp('201'); // talked 40 s (from 10 s to 50 s)
    await until(() => invitesOf('301') === 2);
    bank.get('301').pickUp(); // 203 waited 40 s
    await until(() => waitingIn(q).length === 0);
    clock.advance(20_000);
    await hangUp('203');
    await until(() => engine().liveOf(fx.tenantId, q)!.today.handled === 2);
    const today = engine().liveOf(fx.tenantId, q)!.today;
    expect(today).toMatchObject({
      offered: 3,
      answered: 2,
      abandoned: 1,
      abandonWaitSec: 45,
      answerWaitSec: 50, // 10 + 40
      talkSec: 60, // 40 + 20
      handled: 2,
      longestWaitSec: 45,
      answeredWithin: { '20': 1, '60': 2 },
      asaSec: 25,
      ahtSec: 30,
    });
    // Of the 3 calls that ended waiting, 1 was answered within 20 s and 2 within 60 s.
    expect(today.serviceLevel).toEqual([
      { thresholdSec: 20, percent: 33.3 },
      { thresholdSec: 60, percent: 66.7 },
    ]);
    await fx.sip.flushQueueStats();
    const now = new Date();
    const rows = await store().queueAgents.stats({
      from: new Date(now.getTime() - 3_600_000),
      to: new Date(now.getTime() + 3_600_000),
      queueId: q,
    });
    const queueRow = rows.find((r) => r.agent === '')!;
    expect(queueRow.figures).toMatchObject({ offered: 3, answered: 2, abandoned: 1, talkSec: 60 });
    expect(rows.find((r) => r.agent === '301')!.figures).toMatchObject({
      offered: 2,
      answered: 2,
      talkSec: 60,
    });
  });

  it('agents log in and out with *45 and pause with *46; logins survive in the database', async () => {
    const q = await addQueue(
      'Dyn',
      '713',
      queue({ members: [member('302', { static: false }), member('303')] }),
    );
    expect(state(q, '302')).toBe('loggedOut');
    expect((await bank.call('302', '*45').done())?.status).toBe(200);
    await until(() => state(q, '302') === 'available');
    await hangUp('302');
    for (
      let i = 0;
      !(await store().queueAgents.all()).find((a) => a.number === '302')?.queues.includes(q);
      i++
    ) {
      if (i > 100) throw new Error('the login was not saved');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await bank.call('302', '*46').done())?.status).toBe(200);
    await until(() => state(q, '302') === 'paused');
    await hangUp('302');
    await bank.hangupAll();
    expect((await bank.call('302', '*46').done())?.status).toBe(200);
    await until(() => state(q, '302') === 'available');
    await hangUp('302');
    await bank.hangupAll();
    expect((await bank.call('302', '*45').done())?.status).toBe(200);
    await until(() => state(q, '302') === 'loggedOut');
    await hangUp('302');
    // 301 is no member anywhere: it hears "not an agent" (the call is answered for the prompt).
    expect((await bank.call('301', '*45').done())?.status).toBe(200);
    // An agent whose phone is gone is never available.
    await bank.register(bank.get('303'), 0);
    await until(() => state(q, '303') === 'unregistered');
    await bank.register(bank.get('303'));
    await until(() => state(q, '303') === 'available');
  });
});
