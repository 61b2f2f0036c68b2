/**
 * Call control (issue 10): originate — the PBX dials the customer and, once they
 * answer, routes them like a caller (a queue puts them in line, a menu plays) —
 * and hangup and transfer of live calls named by their record id. Phones are on
 * our own stack over UDP, every call anchored in the media relay.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Call } from '../../src/pbx/call.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DOMAIN = 'control.example.test';
const NUMBERS = ['601', '602', '603', '604'];

describe('call control', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const store = () => fx.db.store.tenant(fx.tenantId);
  const created: { kind: 'queue' | 'ivr'; id: string }[] = [];

  async function addRouting(kind: 'queue' | 'ivr', name: string, number: string, config: unknown) {
    const o = await store().routing.create(kind, { name, number, config });
    created.push({ kind, id: o.id });
    await fx.sip.tenantChanged(fx.tenantId);
    return o.id;
  }

  async function lastRecord() {
    for (let i = 0; i < 200; i++) {
      await fx.db.store.callLog.drain();
      const row = (await store().calls.list({ limit: 1, offset: 0 })).items[0];
      if (row?.status === 'ended') return row;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no ended call record');
  }

  const liveCall = () => [...fx.sip.calls].find((c): c is Call => c instanceof Call && c.state !== 'ended');

  /** A call from `from` to `to`, answered; its record id as the live view shows it. */
  async function connect(from: string, to: string): Promise<string> {
    expect((await bank.call(from, to).done())?.status).toBe(200);
    await until(() => fx.sip.live.snapshot(fx.tenantId).calls.some((c) => c.state === 'answered'));
    return fx.sip.live.snapshot(fx.tenantId).calls[0]!.id;
  }

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number, ringTimeoutSec: 15 })),
      { media: { bindAddress: '127.0.0.1', portMin: 45000, portMax: 45199, workers: 1 } },
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
    for (const o of created.splice(0)) await store().routing.delete(o.kind, o.id);
    await fx.sip.tenantChanged(fx.tenantId);
  });

  it('originate to a queue: the customer is dialled first, then waits in line; the agent who answers is bridged; the record shows the queue', async () => {
    const queueId = await addRouting(
      'queue',
      'Support',
      '700',
      queueConfig({ members: [queueMember('602')] }),
    );
    bank.get('601').mode = 'ring';
    const r = await fx.sip.control.originate({
      tenantId: fx.tenantId,
      to: '601',
      destination: { kind: 'queue', id: queueId },
    });
    expect(r).toMatchObject({ ok: true });
    const id = (r as { id: string }).id;
    await until(() => bank.get('601').invites.length === 1);
    // The customer is shown the queue calling; nobody else rings before they answer.
    const invite = bank.get('601').invites[0]!;
    expect(invite.headers.get('From')).toContain('"Support" <sip:700@');
    expect(bank.get('602').invites).toHaveLength(0);
    // Live views list the call while the customer's phone rings, by the id the API returned.
    expect(fx.sip.live.snapshot(fx.tenantId).calls.map((c) => c.id)).toEqual([id]);
    bank.get('601').pickUp();
    await until(() => bank.get('602').dialogs.size === 1, 10_000);
    await until(() => liveCall()?.state === 'answered');
    const call = liveCall()!;
    expect([call.caller.number, call.callee.number]).toEqual(['601', '602']);
    expect(call.recordId).toBe(id);
    // The customer hangs up: the agent gets the BYE.
    for (const d of [...bank.get('601').dialogs.values()])
      await bank.get('601').inDialog('BYE', { dialog: d }).done();
    await until(() => bank.get('602').dialogs.size === 0);
    const row = await lastRecord();
    // The record's callee is the number the customer was sent to, as for a caller who dialled it.
    expect(row).toMatchObject({ id, caller: '601', callee: '700', cause: 'normal', hangupBy: 'caller' });
    expect(row.legs.map((l) => l.number)).toEqual(['602']);
    expect(row.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'originate: answered, sent to Support',
      expect.stringMatching(/^queue: answered by 602/),
    ]);
  });

  it('originate to an IVR: the menu answers the customer, whose key choice is put through', async () => {
    const ext603 = await store().extensions.getByNumber('603');
    const ivrId = await addRouting('ivr', 'Front desk', '710', {
      greeting: { prompts: ['main-menu'], text: null, lang: null },
      options: [{ key: '1', destination: { kind: 'extension', id: ext603!.id }, tag: 'support' }],
      directDial: { enabled: false, allow: [] },
      interDigitMs: 2000,
      timeoutSec: 10,
      retries: 1,
      invalidAudio: null,
      timeoutAudio: null,
      fallback: null,
      calendar: null,
      tag: null,
    });
    const r = await fx.sip.control.originate({
      tenantId: fx.tenantId,
      to: '601',
      destination: { kind: 'ivr', id: ivrId },
    });
    expect(r.ok).toBe(true);
    await until(() => bank.get('601').dialogs.size === 1);
    await until(() => liveCall() !== undefined);
    // The menu has the customer: the key goes to it (SIP INFO), and 603 is rung and answers.
    await bank
      .get('601')
      .inDialog('INFO', {
        body: Buffer.from('Signal=1\r\nDuration=160\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    await until(() => bank.get('603').dialogs.size === 1, 10_000);
    await until(() => liveCall()?.callee.number === '603');
    await bank.get('603').inDialog('BYE').done();
    await until(() => bank.get('601').dialogs.size === 0);
    const row = await lastRecord();
    expect(row).toMatchObject({ caller: '601', callee: '710', tags: ['support'] });
    expect(row.trail[0]).toMatchObject({ kind: 'originate', outcome: 'answered, sent to Front desk' });
    expect(row.trail.some((s) => s.kind === 'ivr')).toBe(true);
  });

  it('a customer who does not answer: the record says so and nobody else was rung', async () => {
    const queueId = await addRouting(
      'queue',
      'Support',
      '700',
      queueConfig({ members: [queueMember('602')] }),
    );
    bank.get('601').mode = 'busy';
    const r = await fx.sip.control.originate({
      tenantId: fx.tenantId,
      to: '601',
      destination: { kind: 'queue', id: queueId },
    });
    expect(r.ok).toBe(true);
    const row = await lastRecord();
    expect(row).toMatchObject({ caller: '601', callee: '700', cause: 'no-answer' });
    expect(row.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual(['originate: did not answer']);
    expect(bank.get('602').invites).toHaveLength(0);
  });

  it("hangup while the customer's phone rings: CANCEL, and the record says the API ended it", async () => {
    bank.get('601').mode = 'ring';
    const ext602 = (await store().extensions.getByNumber('602'))!;
    const r = await fx.sip.control.originate({
      tenantId: fx.tenantId,
      to: '601',
      destination: { kind: 'extension', id: ext602.id },
    });
    const id = (r as { id: string }).id;
    await until(() => bank.get('601').invites.length === 1);
    // The destination's extension counts as on the call: its user may cancel it.
    expect(fx.sip.control.numbersOn(fx.tenantId, id)).toEqual(['601', '602']);
    expect(fx.sip.control.hangup(fx.tenantId, id)).toBe(true);
    await until(() => bank.get('601').cancels === 1);
    const row = await lastRecord();
    expect(row).toMatchObject({ id, cause: 'api-hangup' });
    expect(row.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'originate: hung up by the API while ringing',
    ]);
    expect(bank.get('602').invites).toHaveLength(0);
  });

  it('refuses at once what cannot work', async () => {
    const t = fx.tenantId;
    const control = fx.sip.control;
    const missing = { kind: 'queue' as const, id: '00000000-0000-4000-8000-000000000000' };
    expect(await control.originate({ tenantId: t, to: '601', destination: missing })).toMatchObject({
      ok: false,
      status: 404,
      field: 'destination.id',
    });
    const ext602 = (await store().extensions.getByNumber('602'))!;
    const toExt = { kind: 'extension' as const, id: ext602.id };
    expect(await control.originate({ tenantId: t, to: '602', destination: toExt })).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(
      await control.originate({ tenantId: t, to: '601', destination: toExt, callerId: '+15550001' }),
    ).toMatchObject({
      ok: false,
      field: 'callerId',
    });
    // No trunk for an outside number.
    expect(await control.originate({ tenantId: t, to: '89161234567', destination: toExt })).toMatchObject({
      ok: false,
    });
    expect(control.hangup(t, '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(bank.get('601').invites).toHaveLength(0);
  });

  it('hangup of a bridged call: both phones get BYE; another tenant cannot touch it', async () => {
    const id = await connect('601', '602');
    expect(fx.sip.control.numbersOn(fx.tenantId, id)).toEqual(['601', '602']);
    expect(fx.sip.control.hangup('00000000-0000-4000-8000-000000000000', id)).toBe(false);
    expect(fx.sip.control.hangup(fx.tenantId, id)).toBe(true);
    await until(() => bank.get('601').dialogs.size === 0 && bank.get('602').dialogs.size === 0);
    const row = await lastRecord();
    expect(row).toMatchObject({ id, cause: 'api-hangup', hangupBy: 'system' });
    expect(fx.sip.control.hangup(fx.tenantId, id)).toBe(false);
  });

  it('hangup of a click-to-call: both legs get BYE; it cannot be transferred', async () => {
    expect(fx.sip.clickToCall(fx.tenantId, '601', '602')).toEqual({ ok: true });
    await until(() => bank.get('601').dialogs.size === 1 && bank.get('602').dialogs.size === 1);
    await until(() => fx.sip.live.snapshot(fx.tenantId).calls.some((c) => c.state === 'answered'));
    const id = fx.sip.live.snapshot(fx.tenantId).calls[0]!.id;
    expect(fx.sip.control.numbersOn(fx.tenantId, id)).toEqual(['601', '602']);
    expect(await fx.sip.control.transfer(fx.tenantId, id, 'caller', { number: '603' })).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(fx.sip.control.hangup(fx.tenantId, id)).toBe(true);
    await until(() => bank.get('601').dialogs.size === 0 && bank.get('602').dialogs.size === 0);
    const row = await lastRecord();
    expect(row).toMatchObject({ id, caller: '601', callee: '602', cause: 'api-hangup' });
    expect(row.trail.at(-1)).toMatchObject({ kind: 'control', outcome: 'by the API' });
    expect(fx.sip.control.hangup(fx.tenantId, id)).toBe(false);
  });

  it('transfer of the caller to another extension: the callee is let go, the target rings and takes the call', async () => {
    const id = await connect('601', '602');
    bank.get('603').mode = 'ring';
    expect(await fx.sip.control.transfer(fx.tenantId, id, 'caller', { number: '603' })).toEqual({ ok: true });
    await until(() => bank.get('602').dialogs.size === 0);
    await until(() => bank.get('603').invites.length === 1);
    expect(bank.get('603').invites[0]!.headers.get('From')).toContain('sip:601@');
    bank.get('603').pickUp();
    await until(() => liveCall()?.callee.number === '603');
    expect(liveCall()!.caller.number).toBe('601');
    await bank.get('601').inDialog('BYE').done();
    await until(() => bank.get('603').dialogs.size === 0);
    const row = await lastRecord();
    expect(row.id).toBe(id);
    expect(row.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'extension: answered',
      'control: caller by the API',
      'transfer: ringing',
      'transfer: answered',
    ]);
  });

  it('transfer of the callee to a queue by destination; a transfer of a call not live is 404', async () => {
    const queueId = await addRouting(
      'queue',
      'Support',
      '700',
      queueConfig({ members: [queueMember('604')] }),
    );
    const id = await connect('601', '602');
    const r = await fx.sip.control.transfer(fx.tenantId, id, 'callee', {
      destination: { kind: 'queue', id: queueId },
    });
    expect(r).toEqual({ ok: true });
    await until(() => bank.get('601').dialogs.size === 0);
    await until(() => bank.get('604').dialogs.size === 1, 10_000);
    // The agent takes the side the caller left (the call's A side).
    await until(() => liveCall()?.caller.number === '604');
    expect(liveCall()!.callee.number).toBe('602');
    await bank.get('604').inDialog('BYE').done();
    await until(() => bank.get('602').dialogs.size === 0);
    expect(await fx.sip.control.transfer(fx.tenantId, id, 'caller', { number: '603' })).toMatchObject({
      ok: false,
      status: 404,
    });
  });
});

describe('originate to an outside number', () => {
  const CARRIER_HOST = '127.0.0.7';
  const DID = '+74957771111';
  let fx: SipFixture;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };
  const invites: SipRequest[] = [];
  let byes = 0;
  const store = () => fx.db.store.tenant(fx.tenantId);

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '701' }], {
      media: { bindAddress: '127.0.0.1', portMin: 45200, portMax: 45399, workers: 1 },
    });
    carrier = await udpUa('carrier', new Wire(), systemClock, CARRIER_HOST);
    // The customer's mobile: rings, then answers with its own SDP.
    carrier.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      invites.push(req);
      tx.respond(carrier.response(req, 180));
      setTimeout(() => carrier.accept(tx, source, PHONE_SDP), 50);
    });
    carrier.on('BYE', (req, tx) => {
      byes++;
      tx?.respond(carrier.response(req, 200));
    });
    const trunk = await fx.db.store.trunks.create(trunkInput('Carrier', CARRIER_HOST, carrier.local.port));
    await fx.db.store.numbers.create({ number: DID, tenantId: fx.tenantId, trunkId: trunk.id, note: '' });
    await store().routing.create('outboundRoute', {
      name: 'Mobiles',
      number: null,
      config: {
        priority: 10,
        patterns: [{ match: '_89XXXXXXXXX', strip: 0, prepend: '' }],
        trunkIds: [trunk.id],
        callerId: null,
      },
    });
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, ['701']);
  }, 30_000);
  afterAll(async () => {
    bank?.close();
    carrier?.close();
    await fx?.close();
  });

  it("goes out through the tenant's trunk showing the caller ID asked for; the record is outbound through it", async () => {
    const ext = (await store().extensions.getByNumber('701'))!;
    const r = await fx.sip.control.originate({
      tenantId: fx.tenantId,
      to: '89161234567',
      destination: { kind: 'extension', id: ext.id },
      callerId: DID,
    });
    expect(r).toMatchObject({ ok: true });
    await until(() => invites.length === 1);
    // The carrier is told the company's number in the trunk's style (E.164 without the plus).
    expect(invites[0]!.headers.get('P-Asserted-Identity')).toContain('74957771111');
    expect(invites[0]!.uri.user).toBe('79161234567');
    // Once the customer answers, 701 rings and answers: the two are bridged.
    await until(() => bank.get('701').dialogs.size === 1, 10_000);
    await until(() => [...fx.sip.calls].find((c): c is Call => c instanceof Call)?.callee.number === '701');
    // The extension's step is logged once its ring round has settled, a moment after the answer:
    // hanging up before it would log it as ended (the router's own order, not what is tested here).
    const live = [...fx.sip.calls].find((c): c is Call => c instanceof Call)!;
    await until(() =>
      (live as unknown as { trail: { kind: string }[] }).trail.some((s) => s.kind === 'extension'),
    );
    const id = (r as { id: string }).id;
    expect(fx.sip.control.numbersOn(fx.tenantId, id)).toEqual(['89161234567', '701']);
    // Hung up through the API: the carrier and the phone both get BYE.
    expect(fx.sip.control.hangup(fx.tenantId, id)).toBe(true);
    await until(() => byes === 1 && bank.get('701').dialogs.size === 0);
    let row = (await store().calls.list({ limit: 1, offset: 0 })).items[0];
    for (let i = 0; i < 200 && row?.status !== 'ended'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await fx.db.store.callLog.drain();
      row = (await store().calls.list({ limit: 1, offset: 0 })).items[0];
    }
    expect(row).toMatchObject({
      id,
      caller: '89161234567',
      direction: 'outbound',
      trunk: 'Carrier',
      cause: 'api-hangup',
    });
    expect(row!.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'originate: answered, sent to Ext 701',
      'extension: answered',
      'control: by the API',
    ]);
  });
});
