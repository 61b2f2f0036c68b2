/**
 * Feature codes dialled from phones, with media anchored (pickup needs the relay):
 * DND and forwarding switched from the keypad reach the next call; the office
 * calendar is forced open or closed only by an admin's or supervisor's phone;
 * directed pickup (** and the extension) and group pickup (*8) take a call ringing
 * a colleague, which stops ringing there.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CalendarSpec } from '../../src/pbx/calendar/types.js';
import type { Call } from '../../src/pbx/call.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'features.example.test';
const NUMBERS = ['401', '402', '403', '404', '405'];

describe('feature codes and pickup', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const store = () => fx.db.store.tenant(fx.tenantId);
  const ext = async (n: string) => (await store().extensions.getByNumber(n))!;

  /** Dials a code: the PBX answers, says its confirmation and hangs up. */
  async function dial(from: string, code: string): Promise<number | undefined> {
    const ex = bank.call(from, code);
    const status = (await ex.done())?.status;
    if (status === 200) await until(() => bank.get(from).dialogs.size === 0, 10_000);
    await until(() => fx.sip.calls.size === 0, 10_000);
    return status;
  }

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number })),
      { media: { bindAddress: '127.0.0.1', portMin: 43400, portMax: 43599, workers: 1 } },
    );
    bank = await phoneBank(fx, DOMAIN, NUMBERS);
  });
  afterAll(async () => {
    bank?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    await bank.hangupAll();
    bank.reset();
  });

  it('*78 and *79 switch DND; the next call follows', async () => {
    expect(await dial('401', '*78')).toBe(200);
    expect((await ext('401')).dnd).toBe(true);
    expect((await bank.call('402', '401').done())?.status).toBe(486);
    expect(await dial('401', '*79')).toBe(200);
    expect((await ext('401')).dnd).toBe(false);
    expect((await bank.call('402', '401').done())?.status).toBe(200);
    const audit = await store().audit.list({ limit: 10, offset: 0 });
    expect(audit.items.map((e) => e.actorLabel)).toContain('extension 401 (feature code)');
  });

  it('*72 and a number forward everything there; *73 stops it; an unknown number is refused', async () => {
    expect(await dial('401', '*72403')).toBe(200);
    expect((await ext('401')).forwarding.always).toEqual({ enabled: true, target: '403' });
    expect((await bank.call('402', '401').done())?.status).toBe(200);
    expect(bank.get('403').invites).toHaveLength(1);
    expect(bank.get('401').invites).toHaveLength(0);
    await bank.hangupAll();
    expect(await dial('401', '*72999')).toBe(200); // told "not in service", nothing saved
    expect((await ext('401')).forwarding.always.target).toBe('403');
    expect(await dial('401', '*73')).toBe(200);
    expect((await ext('401')).forwarding).toEqual(NO_FORWARDING);
    // 402 forwards everything to 401: 401 forwarding to 402 would loop, so it is refused.
    await store().extensions.update((await ext('402')).id, {
      forwarding: { ...NO_FORWARDING, always: { enabled: true, target: '401' } },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    expect(await dial('401', '*72402')).toBe(200);
    expect((await ext('401')).forwarding).toEqual(NO_FORWARDING);
    await store().extensions.update((await ext('402')).id, { forwarding: NO_FORWARDING });
    await fx.sip.tenantChanged(fx.tenantId);
  });

  it('*62 closes the office calendar only from an admin or supervisor phone; *63 returns it to its schedule', async () => {
    const cal = await store().routing.create('calendar', {
      name: 'Office',
      number: null,
      config: { timeZone: 'UTC', weekly: [], holidays: [], productionCalendar: null, override: null },
    });
    const override = async () =>
      ((await store().routing.get('calendar', cal.id))!.config as CalendarSpec).override;
    expect(await dial('402', '*62')).toBe(200);
    expect(await override()).toBeNull(); // 402 belongs to nobody: "not allowed"
    const boss = await store().users.create({
      email: 'boss@features.test',
      displayName: 'Boss',
      passwordHash: 'x',
      role: 'supervisor',
    });
    await store().extensions.update((await ext('402')).id, { userId: boss.id });
    await fx.sip.tenantChanged(fx.tenantId);
    expect(await dial('402', '*62')).toBe(200);
    expect(await override()).toEqual({ state: 'closed', until: null });
    expect(await dial('402', '*611')).toBe(200);
    expect(await override()).toEqual({ state: 'open', until: null });
    expect(await dial('402', '*63')).toBe(200);
    expect(await override()).toBeNull();
  });

  it('** and an extension picks up a call ringing there', async () => {
    bank.get('402').mode = 'ring';
    const ringing = bank.call('401', '402');
    await until(() => bank.get('402').invites.length === 1);
    const pick = bank.call('403', '**402');
    expect((await pick.done())?.status).toBe(200);
    expect((await ringing.done())?.status).toBe(200);
    await until(() => bank.get('402').cancels === 1);
    expect([...fx.sip.calls][0]!.callee.number).toBe('403');
    // Nothing rings 404: a directed pickup with nothing ringing is refused.
    expect((await bank.call('405', '**404').done())?.status).toBe(404);
    await bank.hangupAll();
    expect(await bank.lastTrail()).toEqual(['pickup: answered', 'extension: answered by 403']);
  });

  it('*8 picks up a call ringing a colleague in one of my ring groups, not elsewhere', async () => {
    await store().routing.create('ringGroup', {
      name: 'Desk',
      number: null,
      config: {
        strategy: 'simultaneous',
        members: ['404', '405'].map((number) => ({ number, delaySec: 0, timeoutSec: 20 })),
        ringTimeoutSec: 30,
        skipBusy: false,
        callerIdPrefix: '',
        timeoutDestination: null,
      },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    bank.get('404').mode = 'ring';
    bank.get('402').mode = 'ring';
    const ringing = bank.call('401', '404');
    await until(() => bank.get('404').invites.length === 1);
    // 403 shares no group with 404: nothing for it to pick up.
    expect((await bank.call('403', '*8').done())?.status).toBe(404);
    expect((await bank.call('405', '*8').done())?.status).toBe(200);
    expect((await ringing.done())?.status).toBe(200);
    await until(() => bank.get('404').cancels === 1);
  });

  it('*80 and an extension is an intercom call: the phone is asked to answer by itself', async () => {
    expect((await bank.call('401', '*80403').done())?.status).toBe(200);
    const invite = bank.get('403').invites[0]!;
    expect(invite.headers.get('Answer-Mode')).toBe('Auto');
    expect(invite.headers.get('Call-Info')).toContain('answer-after=0');
    expect(invite.headers.get('Alert-Info')).toContain('info=alert-autoanswer');
    await bank.hangupAll();
    expect(await bank.lastTrail()).toEqual(['intercom: auto-answer asked']);
    expect((await bank.call('401', '*80999').done())?.status).toBe(404);
  });

  it('*81 and a group number pages its members: each phone answers by itself and hears the pager until they hang up', async () => {
    await store().routing.create('ringGroup', {
      name: 'Warehouse',
      number: '690',
      config: {
        strategy: 'simultaneous',
        members: ['402', '403', '404'].map((number) => ({ number, delaySec: 0, timeoutSec: 20 })),
        ringTimeoutSec: 30,
        skipBusy: false,
        callerIdPrefix: '',
        timeoutDestination: null,
      },
    });
    await store().extensions.update((await ext('404')).id, { dnd: true });
    await fx.sip.tenantChanged(fx.tenantId);
    expect((await bank.call('401', '*81690').done())?.status).toBe(200);
    await until(() => bank.get('402').dialogs.size === 1 && bank.get('403').dialogs.size === 1);
    expect(bank.get('404').invites).toHaveLength(0); // on DND
    const invite = bank.get('402').invites[0]!;
    expect(invite.headers.get('Answer-Mode')).toBe('Auto');
    expect(invite.headers.get('From')).toContain('Page: Ext 401');
    expect(invite.body.toString()).toContain('m=audio');
    await bank.get('401').inDialog('BYE').done();
    await until(() => bank.get('402').dialogs.size === 0 && bank.get('403').dialogs.size === 0);
    await store().extensions.update((await ext('404')).id, { dnd: false });
    await fx.sip.tenantChanged(fx.tenantId);
    expect((await bank.call('401', '*81999').done())?.status).toBe(404);
  });

  it('a call the PBX answers early hears the relay, gives keys, and is bridged when the callee answers later', async () => {
    bank.get('402').mode = 'ring';
    const ex = bank.call('401', '402');
    await until(() => bank.get('402').invites.length === 1);
    const call = [...fx.sip.calls][0] as Call;
    expect(call.answerEarly()).toBe(true);
    expect((await ex.done())?.status).toBe(200); // the caller is answered by the PBX
    const info = await bank
      .get('401')
      .inDialog('INFO', {
        body: Buffer.from('Signal=5\r\nDuration=160\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    expect(info?.status).toBe(200);
    expect(await call.nextKey(1000)).toBe('5');
    bank.get('402').pickUp();
    await until(() => call.state === 'answered');
    expect(call.callee.number).toBe('402');
    // One 2xx to the caller only: its dialog is the one the PBX answered.
    expect(bank.get('401').dialogs.size).toBe(1);
    await bank.get('401').inDialog('BYE').done();
    await until(() => bank.get('402').dialogs.size === 0);

    // Nobody answers: the PBX hangs up the caller it answered, and stops the ringing.
    bank.get('403').mode = 'ring';
    const ex2 = bank.call('401', '403');
    await until(() => bank.get('403').invites.length === 1);
    const second = [...fx.sip.calls][0] as Call;
    second.answerEarly();
    expect((await ex2.done())?.status).toBe(200);
    second.finish(480, 'no-answer');
    await until(() => fx.sip.calls.size === 0);
    await until(() => bank.get('403').cancels === 1);
    await until(() => bank.get('401').dialogs.size === 0);
  });

  it('refuses clashing feature codes at save', async () => {
    // The tenant API is tested in test/api; here the snapshot just takes the tenant's own codes.
    await fx.db.store.tenants.update(fx.tenantId, {
      featureCodes: JSON.stringify({ dndOn: '*10' }),
    } as never);
    await fx.sip.tenantChanged(fx.tenantId);
    expect(await dial('401', '*10')).toBe(200);
    expect((await ext('401')).dnd).toBe(true);
    expect((await bank.call('401', '*78').done())?.status).toBe(404);
    expect(await dial('401', '*79')).toBe(200);
  });
});
