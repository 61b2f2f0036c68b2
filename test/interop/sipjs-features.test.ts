/**
 * Call features with an independent SIP stack: SIP.js (npm) in Node over
 * WebSocket, WebRTC media through the PBX's gateway (werift standing in for the
 * browser), against a whole node started as `npm start` starts it. Directed
 * pickup, park and retrieve, attended transfer (REFER with Replaces), a DID by
 * day and by night (the office closed by *62), follow-me steps in order, the
 * boss–secretary filter with the secretary passing the call on, and DND to
 * voicemail — each shown by who ends up talking to whom, and audio crossing.
 */
import {
  type Invitation,
  Inviter,
  Registerer,
  RegistererState,
  type Session,
  SessionState,
  UserAgent,
} from 'sip.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NimbusNode } from '../../src/app.js';
import type { ExtensionPatch } from '../../src/store/repositories/extensions.js';
import { startSipJsNode, until } from '../helpers/sipjs.js';
import { WeriftSdh } from '../helpers/werift-sdh.js';

const NUMBERS = ['101', '102', '103', '104', '105'] as const;
type Number_ = (typeof NUMBERS)[number];

describe('call features with SIP.js phones', () => {
  let node: NimbusNode;
  const agents = new Map<Number_, UserAgent>();
  /** What each phone does with a call offered to it (default: answer). */
  const onInvite = new Map<Number_, (inv: Invitation) => void>();
  /** Calls offered to each phone, newest last. */
  const offered = new Map<Number_, Invitation[]>();
  const uri = (to: string) => UserAgent.makeURI(`sip:${to}@127.0.0.1`)!;
  const sdh = (s: Session) => s.sessionDescriptionHandler as WeriftSdh;
  const established = (s: Session | undefined) => s?.state === SessionState.Established;
  const scope = () => node.store.tenant(node.demo!.tenantId);

  /** The parties of each call the PBX carries, as [caller, callee] numbers. */
  const parties = () => [...node.sip.calls].map((c) => [c.caller.number, c.callee.number]);

  async function dial(from: Number_, to: string): Promise<Inviter> {
    const inviter = new Inviter(agents.get(from)!, uri(to));
    await inviter.invite();
    return inviter;
  }
  async function connect(from: Number_, to: Number_): Promise<{ caller: Inviter; callee: Invitation }> {
    const before = offered.get(to)!.length;
    const caller = await dial(from, to);
    await until(() => established(caller), 5000, `${from} -> ${to} answered`);
    const callee = offered.get(to)![before]!;
    await until(() => established(callee), 5000, `${to} established`);
    return { caller, callee };
  }
  async function setRules(number: Number_, patch: ExtensionPatch) {
    const ext = await scope().extensions.getByNumber(number);
    await scope().extensions.update(ext!.id, patch);
    await node.sip.tenantChanged(node.demo!.tenantId);
  }
  async function lastTrail(): Promise<string[]> {
    await until(() => node.sip.calls.size === 0, 10_000, 'calls over');
    await node.store.callLog.drain();
    await new Promise((r) => setTimeout(r, 200));
    await node.store.callLog.drain();
    const row = (await scope().calls.list({ limit: 1, offset: 0 })).items[0]!;
    return row.trail.map((s) => `${s.kind}: ${s.outcome}`);
  }
  /** Hangs up every session of every phone and waits until the PBX carries no call. */
  async function hangUpAll() {
    for (const list of offered.values())
      for (const s of list) if (established(s)) await s.bye().catch(() => {});
    for (const s of sessions.splice(0)) {
      if (established(s)) await s.bye().catch(() => {});
      else if (s.state === SessionState.Establishing && s instanceof Inviter)
        await s.cancel().catch(() => {});
    }
    await until(() => node.sip.calls.size === 0, 10_000, 'no calls left');
  }
  const sessions: Session[] = [];

  beforeAll(async () => {
    node = await startSipJsNode('sipjs-features');
    for (const number of NUMBERS) {
      const ext = node.demo!.extensions.find((e) => e.number === number)!;
      offered.set(number, []);
      const ua = new UserAgent({
        uri: uri(number),
        authorizationUsername: number,
        authorizationPassword: ext.sipSecret,
        transportOptions: { server: `ws://127.0.0.1:${node.httpPort}/sip` },
        sessionDescriptionHandlerFactory: () => new WeriftSdh(),
        logLevel: 'error',
        delegate: {
          onInvite: (inv) => {
            offered.get(number)!.push(inv);
            const handle = onInvite.get(number);
            if (handle) handle(inv);
            else void inv.accept();
          },
        },
      });
      agents.set(number, ua);
      await ua.start();
      const reg = new Registerer(ua);
      await reg.register();
      await until(() => reg.state === RegistererState.Registered, 5000, `${number} registered`);
    }
  }, 60_000);

  afterAll(async () => {
    for (const ua of agents.values()) await ua.stop().catch(() => {});
    await node?.close();
  });

  beforeEach(async () => {
    await hangUpAll();
    onInvite.clear();
  });

  it('** and an extension picks up a call ringing there: the caller talks to the one who picked up', async () => {
    onInvite.set('102', () => {}); // rings on, nobody answers
    const call = await dial('101', '102');
    sessions.push(call);
    await until(() => offered.get('102')!.length === 1, 5000, '102 rings');
    const pick = await dial('103', '**102');
    sessions.push(pick);
    await until(() => established(call) && established(pick), 5000, 'picked up');
    await until(
      () => offered.get('102')![0]!.state === SessionState.Terminated,
      5000,
      "102's ringing stopped",
    );
    expect(parties()).toEqual([['101', '103']]);
    sdh(call).startTone();
    sdh(pick).startTone();
    await until(() => sdh(call).received > 25 && sdh(pick).received > 25, 10_000, 'audio both ways');
    await hangUpAll();
    expect(await lastTrail()).toEqual(['pickup: answered', 'extension: answered by 103']);
  }, 30_000);

  it('*85 parks the call (a REFER from the phone), *86 and the slot retrieves it on another phone', async () => {
    const { caller, callee } = await connect('101', '102');
    sessions.push(caller);
    await callee.refer(uri('*85'));
    // The parker hears the slot and is let go.
    await until(() => callee.state === SessionState.Terminated, 10_000, 'parker let go');
    expect(node.sip.parking.parked(node.demo!.tenantId)).toEqual([{ slot: 1, caller: '101', parker: '102' }]);
    const retrieve = await dial('104', '*861');
    sessions.push(retrieve);
    await until(() => established(retrieve), 5000, 'retrieved');
    expect(node.sip.parking.parked(node.demo!.tenantId)).toEqual([]);
    expect(parties()).toEqual([['101', '104']]);
    sdh(caller).startTone();
    await until(() => sdh(retrieve).received > 25, 10_000, 'the parked caller heard on the retrieving phone');
  }, 30_000);

  it('attended transfer: the consulted party replaces the transferor (REFER with Replaces)', async () => {
    const first = await connect('101', '102');
    sessions.push(first.caller);
    const consult = await connect('102', '103');
    sessions.push(consult.caller);
    expect(parties().sort()).toEqual([
      ['101', '102'],
      ['102', '103'],
    ]);
    await first.callee.refer(consult.caller);
    await until(
      () =>
        first.callee.state === SessionState.Terminated && consult.caller.state === SessionState.Terminated,
      10_000,
      'the transferor is out of both calls',
    );
    expect(parties()).toEqual([['101', '103']]);
    expect(established(first.caller) && established(consult.callee)).toBe(true);
    const heard = sdh(consult.callee).received;
    sdh(first.caller).startTone();
    await until(() => sdh(consult.callee).received - heard > 25, 10_000, '103 hears 101');
  }, 30_000);

  it('the secretary answers for the boss and passes the call on; callers on the direct list reach the boss', async () => {
    await setRules('105', {
      callRules: { secretary: { number: '104', mode: 'secretary', firstSec: 10, direct: ['103'] } },
    });
    try {
      const call = await dial('101', '105');
      sessions.push(call);
      await until(() => established(call), 5000, 'answered');
      expect(offered.get('105')).toHaveLength(0);
      expect(parties()).toEqual([['101', '104']]);
      // The secretary passes it on to the boss (blind transfer): now the boss rings and answers.
      await offered.get('104')!.at(-1)!.refer(uri('105'));
      await until(
        () => offered.get('105')!.length === 1 && established(offered.get('105')![0]),
        10_000,
        'boss',
      );
      await until(() => parties()[0]?.[1] === '105', 5000, 'the boss has the caller');
      expect(parties()).toEqual([['101', '105']]);
      await hangUpAll();

      const direct = await dial('103', '105');
      sessions.push(direct);
      await until(() => established(direct), 5000, 'answered');
      expect(offered.get('105')).toHaveLength(2);
      expect(parties()).toEqual([['103', '105']]);
    } finally {
      await setRules('105', { callRules: {} });
    }
  }, 30_000);

  it('a DID call reaches the department in business hours, and the night extension once *62 from the admin phone closes the office', async () => {
    const made: { kind: 'calendar' | 'ringGroup' | 'timeCondition' | 'inboundRoute'; id: string }[] = [];
    const create = async (
      kind: 'calendar' | 'ringGroup' | 'timeCondition' | 'inboundRoute',
      name: string,
      number: string | null,
      config: unknown,
    ) => {
      const o = await scope().routing.create(kind, { name, number, config });
      made.push({ kind, id: o.id });
      return o.id;
    };
    try {
      const office = await create('calendar', 'Office', null, {
        timeZone: 'Europe/Moscow',
        weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }],
        holidays: [],
        productionCalendar: null,
        override: null,
      });
      const support = await create('ringGroup', 'Support', '650', {
        strategy: 'simultaneous',
        members: [{ number: '103', delaySec: 0, timeoutSec: 20 }],
        ringTimeoutSec: 30,
        skipBusy: false,
        callerIdPrefix: '',
        timeoutDestination: null,
      });
      const night = (await scope().extensions.getByNumber('105'))!.id;
      const hours = await create('timeCondition', 'Hours', null, {
        calendarId: office,
        whenOpen: { kind: 'ringGroup', id: support },
        whenClosed: { kind: 'extension', id: night },
      });
      await create('inboundRoute', 'Main', '+74951234567', {
        callerRules: [],
        destination: { kind: 'timeCondition', id: hours },
      });
      await node.sip.tenantChanged(node.demo!.tenantId);

      const day = await dial('101', '+74951234567');
      sessions.push(day);
      await until(() => established(day), 5000, 'answered in business hours');
      expect(parties()).toEqual([['101', '103']]);
      await hangUpAll();

      // 101 is the administrator's phone: *62 forces the office calendar closed.
      const close = await dial('101', '*62');
      sessions.push(close);
      await until(() => close.state === SessionState.Terminated, 10_000, 'the PBX confirmed and hung up');
      const cal = await scope().routing.get('calendar', office);
      expect((cal!.config as { override: unknown }).override).toEqual({ state: 'closed', until: null });

      const after = await dial('101', '+74951234567');
      sessions.push(after);
      await until(() => established(after), 5000, 'answered after hours');
      expect(parties()).toEqual([['101', '105']]);
      await hangUpAll();
      expect((await lastTrail()).slice(0, 2)).toEqual([
        'inboundRoute: default destination',
        'timeCondition: closed: override',
      ]);
    } finally {
      for (const o of made.reverse()) await scope().routing.delete(o.kind, o.id);
      await node.sip.tenantChanged(node.demo!.tenantId);
    }
  }, 30_000);

  it('not answered at the desk, follow-me rings its steps in order; the second step answers', async () => {
    const rangAt: Record<string, number> = {};
    onInvite.set('102', () => {
      rangAt['102'] ??= Date.now();
    });
    onInvite.set('103', () => {
      rangAt['103'] ??= Date.now();
    });
    onInvite.set('104', (inv) => {
      rangAt['104'] ??= Date.now();
      void inv.accept();
    });
    await setRules('102', {
      status: 'trip',
      callRules: {
        followMe: {
          ringDesk: true,
          steps: [
            { numbers: ['103'], ringSec: 5 },
            { numbers: ['104'], ringSec: 10 },
          ],
        },
        profiles: { trip: { internal: { action: 'followMe' }, external: { action: 'followMe' } } },
      },
    });
    try {
      const call = await dial('101', '102');
      sessions.push(call);
      await until(() => established(call), 12_000, 'answered by the second step');
      expect(parties()).toEqual([['101', '104']]);
      // The desk and the first step ring at once; the second step only after the first one's 5 s.
      expect(Math.abs(rangAt['103']! - rangAt['102']!)).toBeLessThan(1000);
      expect(rangAt['104']! - rangAt['103']!).toBeGreaterThanOrEqual(4500);
      // Answered: the desk and the first step stop ringing.
      await until(
        () =>
          offered.get('102')!.at(-1)!.state === SessionState.Terminated &&
          offered.get('103')!.at(-1)!.state === SessionState.Terminated,
        5000,
        'the others stopped ringing',
      );
      await hangUpAll();
      expect(await lastTrail()).toEqual([
        'extension: status trip: followMe',
        'extension: follow-me, 2 steps',
        'extension: answered by 104',
      ]);
    } finally {
      await setRules('102', { status: 'available', callRules: {} });
    }
  }, 30_000);

  it('DND sends callers to voicemail: the PBX answers with the greeting instead of ringing', async () => {
    const ext = await scope().extensions.getByNumber('102');
    await setRules('102', {
      dnd: true,
      voicemailEnabled: true,
      forwarding: { ...ext!.forwarding, busy: { enabled: true, target: '', voicemail: true } },
    });
    await scope().voicemail.ensureForExtension(ext!.id);
    try {
      const before = offered.get('102')!.length;
      const call = await dial('101', '102');
      sessions.push(call);
      await until(() => established(call), 5000, 'answered by voicemail');
      await until(() => sdh(call).received > 25, 10_000, 'the greeting is heard');
      expect(offered.get('102')!.length).toBe(before);
      await hangUpAll();
      const trail = await lastTrail();
      expect(trail[0]).toBe('extension: do not disturb, to voicemail');
      expect(trail.some((s) => s.startsWith('voicemail:'))).toBe(true);
    } finally {
      await setRules('102', { dnd: false, forwarding: ext!.forwarding });
    }
  }, 30_000);
});
