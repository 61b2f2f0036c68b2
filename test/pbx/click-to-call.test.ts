/**
 * Click-to-call (issue 10's call control): the PBX rings the extension's phone,
 * and once it answers rings the number asked for and joins the two. The record
 * is the extension's own call; refusals come at once, before any phone rings.
 * Phones are on our stack over UDP, the legs anchored in the media relay.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { udpUa, until, Wire } from '../helpers/test-ua.js';

const DOMAIN = 'click.example.test';
const NUMBERS = ['401', '402', '403'];

describe('click-to-call', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const store = () => fx.db.store.tenant(fx.tenantId);

  async function lastRecord() {
    for (let i = 0; i < 200; i++) {
      await fx.db.store.callLog.drain();
      const row = (await store().calls.list({ limit: 1, offset: 0 })).items[0];
      if (row?.status === 'ended') return row;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no ended call record');
  }

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number })),
      { media: { bindAddress: '127.0.0.1', portMin: 44800, portMax: 44999, workers: 1 } },
    );
    bank = await phoneBank(fx, DOMAIN, NUMBERS);
    // 403 belongs to a queue-free tenant too, but is not registered for the refusal test below.
    await bank.register(bank.get('403'), 0);
  });
  afterAll(async () => {
    bank?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    await bank.hangupAll();
    bank.reset();
  });

  it("rings the extension first, then the number, and joins them; the record is the extension's call", async () => {
    bank.get('401').mode = 'ring';
    expect(fx.sip.clickToCall(fx.tenantId, '401', '402')).toEqual({ ok: true });
    await until(() => bank.get('401').invites.length === 1);
    // The extension's phone shows whom it is about to call; nothing rings at 402 yet.
    expect(bank.get('401').invites[0]!.headers.get('From')).toContain('"Ext 402"');
    expect(bank.get('402').invites).toHaveLength(0);
    bank.get('401').pickUp();
    await until(() => bank.get('402').invites.length === 1);
    // 402 sees the extension calling.
    expect(bank.get('402').invites[0]!.headers.get('From')).toContain('<sip:401@');
    await until(() => bank.get('402').dialogs.size === 1 && bank.get('401').dialogs.size === 1);
    await new Promise((r) => setTimeout(r, 100));
    for (const d of [...bank.get('402').dialogs.values()])
      await bank.get('402').inDialog('BYE', { dialog: d }).done();
    await until(() => bank.get('401').dialogs.size === 0);
    const row = await lastRecord();
    expect(row).toMatchObject({ caller: '401', callee: '402', cause: 'normal', hangupBy: 'callee' });
    expect(row.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'clickToCall: answered by 401, dialling',
    ]);
  });

  it('rings every device of the extension; the first to answer takes it, the other stops ringing', async () => {
    // A second device of 401 (a softphone beside the desk phone) that rings and is never answered.
    const wire = new Wire();
    const second = await udpUa('401', wire, systemClock);
    second.credentials = { username: '401', password: 's-401-secret' };
    let invited = 0;
    second.on('INVITE', (req, tx) => {
      invited++;
      tx?.respond(second.response(req, 180));
    });
    // The transaction layer answers a CANCEL itself and notes it on the wire.
    const cancelled = () => wire.events.includes('401 cancelled');
    const reg = await bank.register(second);
    try {
      expect(fx.sip.location.lookup(`${fx.tenantId}:401`, Date.now()), JSON.stringify(reg)).toHaveLength(2);
      bank.get('401').mode = 'ring';
      expect(fx.sip.clickToCall(fx.tenantId, '401', '402').ok).toBe(true);
      await until(() => bank.get('401').invites.length === 1 && invited === 1);
      bank.get('401').pickUp();
      await until(() => bank.get('402').dialogs.size === 1);
      await until(cancelled);
      expect(second.dialogs.size).toBe(0);
    } finally {
      await bank.register(second, 0);
      second.close();
    }
  });

  it('the extension not answering dials nobody; the number not answering ends it for the extension', async () => {
    bank.get('401').mode = 'busy';
    expect(fx.sip.clickToCall(fx.tenantId, '401', '402').ok).toBe(true);
    await until(() => bank.get('401').invites.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(bank.get('402').invites).toHaveLength(0);

    bank.reset();
    bank.get('402').mode = 'busy';
    expect(fx.sip.clickToCall(fx.tenantId, '401', '402').ok).toBe(true);
    await until(() => bank.get('402').invites.length === 1);
    // The extension had answered and heard ringback; the PBX hangs it up.
    await until(() => bank.get('401').dialogs.size === 0 && bank.get('401').invites.length === 1);
    const row = await lastRecord();
    expect(row).toMatchObject({ caller: '401', callee: '402', cause: 'no-answer' });
    expect(row.trail.at(-1)?.outcome).toBe('the number did not answer');
  });

  it('refuses at once what cannot work: an unknown or unregistered extension, itself, a group number, no route out', async () => {
    expect(fx.sip.clickToCall(fx.tenantId, '499', '402')).toMatchObject({ ok: false, status: 404 });
    expect(fx.sip.clickToCall(fx.tenantId, '403', '402')).toMatchObject({ ok: false, status: 409 });
    expect(fx.sip.clickToCall(fx.tenantId, '401', '401')).toMatchObject({ ok: false, status: 400 });
    // A colleague on do-not-disturb is not rung.
    const dnd = (await store().extensions.getByNumber('402'))!;
    await store().extensions.update(dnd.id, { dnd: true });
    await fx.sip.tenantChanged(fx.tenantId);
    expect(fx.sip.clickToCall(fx.tenantId, '401', '402')).toMatchObject({
      ok: false,
      status: 409,
      code: 'dnd',
    });
    await store().extensions.update(dnd.id, { dnd: false });
    await fx.sip.tenantChanged(fx.tenantId);
    const group = await store().routing.create('ringGroup', {
      name: 'Sales',
      number: '600',
      config: {
        strategy: 'simultaneous',
        members: [{ number: '402', delaySec: 0, timeoutSec: 20 }],
        ringTimeoutSec: 30,
        skipBusy: false,
        callerIdPrefix: '',
        timeoutDestination: null,
      },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    try {
      expect(fx.sip.clickToCall(fx.tenantId, '401', '600')).toMatchObject({ ok: false, status: 400 });
    } finally {
      await store().routing.delete('ringGroup', group.id);
      await fx.sip.tenantChanged(fx.tenantId);
    }
    // An outside number with no trunk to take it (and 401 may only call internally).
    expect(fx.sip.clickToCall(fx.tenantId, '401', '89161234567')).toMatchObject({ ok: false });
    expect(bank.get('401').invites).toHaveLength(0);
  });
});
