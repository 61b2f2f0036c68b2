/**
 * Transfers by REFER with media anchored: blind (the target's phones are rung
 * with an INVITE without SDP and the transferor hears the progress in NOTIFYs),
 * blind to a phone that does not answer (the transferor keeps its call), and
 * attended with Replaces (the consulted party is handed over to the first call and
 * re-INVITEd onto its relay). A party that was on hold is taken off it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dialog } from '../../src/sip/dialog.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'transfer.example.test';
const NUMBERS = ['501', '502', '503', '504'];
const HOLD_SDP = Buffer.from(
  'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n',
);

describe('transfers', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const clock = new ManualClock();

  /** A call from `from` to `to`, answered; returns the caller's dialog. */
  async function connect(from: string, to: string): Promise<Dialog> {
    const before = new Set(bank.get(from).dialogs.keys());
    expect((await bank.call(from, to).done())?.status).toBe(200);
    return [...bank.get(from).dialogs.values()].find((d) => !before.has(d.key))!;
  }

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number, ringTimeoutSec: 15 })),
      { clock, media: { bindAddress: '127.0.0.1', portMin: 43600, portMax: 43799, workers: 1 } },
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

  it('blind: the transferee goes to the target, the transferor is let go and told how it went', async () => {
    await connect('501', '502');
    const t = bank.get('502');
    const tDialog = t.dialog;
    // The transferor holds the caller first, as phones do.
    expect(
      (await t.inDialog('INVITE', { body: HOLD_SDP, contentType: 'application/sdp' }).done())?.status,
    ).toBe(200);
    await until(() => bank.get('501').reinvites.length === 1);
    expect(bank.get('501').reinvites[0]!.body.toString()).toContain('a=sendonly'); // it hears music from the relay
    const referEx = t.inDialog('REFER', { dialog: tDialog, headers: [['Refer-To', `<sip:503@${DOMAIN}>`]] });
    expect((await referEx.done())?.status).toBe(202);
    const referCseq = Number.parseInt(referEx.request.headers.get('CSeq') ?? '', 10);
    await until(() => bank.get('503').dialogs.size === 1);
    // The target was offered no SDP: it offered in its 2xx and the relay answered in the ACK.
    expect(bank.get('503').invites[0]!.body.length).toBe(0);
    expect(bank.get('503').invites[0]!.headers.get('From')).toContain('sip:501@');
    await until(() => t.dialogs.size === 0); // BYE to the transferor
    expect(t.frags).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    // Each NOTIFY names the REFER it reports on (RFC 3515 §2.4.6): its CSeq number.
    expect(new Set(t.notifyEvents)).toEqual(new Set([`refer;id=${referCseq}`]));
    // The caller was taken off hold.
    await until(() => bank.get('501').reinvites.length === 2);
    expect(bank.get('501').reinvites[1]!.body.toString()).toContain('a=sendrecv');
    const call = [...fx.sip.calls][0]!;
    expect([call.caller.number, call.callee.number]).toEqual(['501', '503']);
    // The caller hangs up: the target gets the BYE.
    await bank.get('501').inDialog('BYE').done();
    await until(() => bank.get('503').dialogs.size === 0);
    expect((await bank.lastTrail()).filter((l) => l.startsWith('transfer'))).toEqual([
      'transfer: ringing',
      'transfer: answered',
    ]);
  });

  it("blind to an extension that forwards everything: the transferee reaches the forward's target", async () => {
    const scope = fx.db.store.tenant(fx.tenantId);
    const e503 = (await scope.extensions.getByNumber('503'))!;
    const off = e503.forwarding;
    await scope.extensions.update(e503.id, {
      forwarding: { ...off, always: { enabled: true, target: '504' } },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    try {
      await connect('501', '502');
      const t = bank.get('502');
      expect(
        (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:503@${DOMAIN}>`]] }).done())?.status,
      ).toBe(202);
      await until(() => bank.get('504').dialogs.size === 1);
      expect(bank.get('503').invites).toHaveLength(0);
      await until(() => t.dialogs.size === 0);
    } finally {
      await scope.extensions.update(e503.id, { forwarding: off });
      await fx.sip.tenantChanged(fx.tenantId);
    }
  });

  it('blind to a phone that does not answer: the transferor hears the failure and keeps the call', async () => {
    await connect('501', '502');
    bank.get('504').mode = 'ring';
    const t = bank.get('502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:504@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    await until(() => bank.get('504').invites.length === 1);
    // The transferor has heard the target ring (100, then 180) before its time runs out: on a
    // loaded machine the 180 could otherwise come after the timeout, and the fragments differ.
    await until(() => t.frags.length === 2);
    expect(t.frags[1]).toBe('SIP/2.0 180 Ringing');
    clock.advance(15_000);
    await until(() => t.frags.length === 3);
    expect(t.frags[2]).toBe('SIP/2.0 480 Temporarily Unavailable');
    await until(() => bank.get('504').cancels === 1);
    expect(t.dialogs.size).toBe(1);
    expect(bank.get('501').dialogs.size).toBe(1);
    // Unknown and unregistered targets are refused at once.
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:999@${DOMAIN}>`]] }).done())?.status,
    ).toBe(404);
  });

  it('attended: the consulted party replaces the transferor in the first call', async () => {
    await connect('501', '502'); // call 1: 501 -> 502 (the transferor is 502)
    const t = bank.get('502');
    const first = t.dialog;
    const consult = await connect('502', '504'); // call 2: 502 -> 504
    expect(fx.sip.calls.size).toBe(2);
    const replaces = encodeURIComponent(
      `${consult.callId};to-tag=${consult.remoteTag};from-tag=${consult.localTag}`,
    );
    const refer = await t
      .inDialog('REFER', {
        dialog: first,
        headers: [['Refer-To', `<sip:504@${DOMAIN}?Replaces=${replaces}>`]],
      })
      .done();
    expect(refer?.status).toBe(202);
    // 504 is re-INVITEd onto the first call's relay, the transferor leaves both calls.
    await until(() => bank.get('504').reinvites.length === 1);
    await until(() => t.dialogs.size === 0);
    await until(() => fx.sip.calls.size === 1);
    const call = [...fx.sip.calls][0]!;
    expect([call.caller.number, call.callee.number]).toEqual(['501', '504']);
    expect(t.frags.at(-1)).toBe('SIP/2.0 200 OK');
    await bank.get('504').inDialog('BYE').done();
    await until(() => bank.get('501').dialogs.size === 0);
  });

  it("park: *85 takes the call out of the parker's hands, *86 and the slot takes it back; unretrieved it rings the parker", async () => {
    await connect('501', '502');
    const t = bank.get('502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:*85@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    // The parker hears the slot number, then is let go.
    await until(() => t.dialogs.size === 0, 10_000);
    expect(t.frags).toEqual(['SIP/2.0 200 OK']);
    expect(fx.sip.parking.parked(fx.tenantId)).toEqual([{ slot: 1, caller: '501', parker: '502' }]);
    expect((await bank.call('504', '*862').done())?.status).toBe(404);
    expect((await bank.call('503', '*861').done())?.status).toBe(200);
    expect(fx.sip.parking.parked(fx.tenantId)).toEqual([]);
    const call = [...fx.sip.calls][0]!;
    expect([call.caller.number, call.callee.number]).toEqual(['501', '503']);
    await bank.hangupAll();
    expect((await bank.lastTrail()).filter((l) => l.startsWith('park'))).toEqual([
      'park: parked by 502',
      'park: retrieved by 503',
    ]);

    // Parked again and left: after the return time it rings the parker, who answers.
    await connect('501', '502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:*85@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    await until(() => t.dialogs.size === 0, 10_000);
    bank.get('502').invites = [];
    clock.advance(120_000);
    await until(() => bank.get('502').dialogs.size === 1);
    const back = [...fx.sip.calls][0]!;
    expect([back.caller.number, back.callee.number]).toEqual(['501', '502']);
  });

  it('a parked caller can hang up (the slot is freed); a retrieve during the slot prompt keeps the retriever; the parker is off the phone', async () => {
    await connect('501', '502');
    const t = bank.get('502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:*85@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    await until(() => t.dialogs.size === 0, 10_000);
    // The parker, with call waiting off, is not "on the phone" any more: a call reaches it.
    const e502 = (await fx.db.store.tenant(fx.tenantId).extensions.getByNumber('502'))!;
    await fx.db.store.tenant(fx.tenantId).extensions.update(e502.id, { callWaiting: false });
    await fx.sip.tenantChanged(fx.tenantId);
    expect((await bank.call('503', '502').done())?.status).toBe(200);
    await bank.get('503').inDialog('BYE').done();
    await fx.db.store.tenant(fx.tenantId).extensions.update(e502.id, { callWaiting: true });
    await fx.sip.tenantChanged(fx.tenantId);
    // The parked caller gives up: the call ends and the slot is free.
    expect((await bank.get('501').inDialog('BYE').done())?.status).toBe(200);
    await until(() => fx.sip.calls.size === 0);
    expect(fx.sip.parking.parked(fx.tenantId)).toEqual([]);

    // Parked again, and taken at once while the parker still hears the slot.
    await connect('501', '502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:*85@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    expect((await bank.call('503', '*861').done())?.status).toBe(200);
    await until(() => t.dialogs.size === 0);
    await new Promise((r) => setTimeout(r, 1500)); // the slot prompt would have ended by now
    expect(bank.get('503').dialogs.size).toBe(1);
    expect(bank.get('501').dialogs.size).toBe(1);
  });

  /** A routing object of the tenant, reloaded into the SIP side. */
  async function addRouting(kind: 'ringGroup' | 'ivr', name: string, number: string, config: unknown) {
    const o = await fx.db.store.tenant(fx.tenantId).routing.create(kind, { name, number, config });
    await fx.sip.tenantChanged(fx.tenantId);
    return o.id;
  }

  it('blind to a ring group number: the group rings by its strategy and the member who answers takes the call', async () => {
    await addRouting('ringGroup', 'Sales', '600', {
      strategy: 'simultaneous',
      members: ['503', '504'].map((number) => ({ number, delaySec: 0, timeoutSec: 15 })),
      ringTimeoutSec: 30,
      skipBusy: false,
      callerIdPrefix: 'Sales: ',
      timeoutDestination: null,
    });
    bank.get('504').mode = 'ring';
    await connect('501', '502');
    const t = bank.get('502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:600@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    await until(() => bank.get('503').dialogs.size === 1 && t.dialogs.size === 0);
    expect(bank.get('504').invites).toHaveLength(1); // rang together; cancelled when 503 answered
    await until(() => bank.get('504').cancels === 1);
    expect(t.frags.at(-1)).toBe('SIP/2.0 200 OK');
    await until(() => [...fx.sip.calls][0]?.callee.number === '503');
    expect([...fx.sip.calls][0]!.caller.number).toBe('501');
    await bank.get('501').inDialog('BYE').done();
    await until(() => bank.get('503').dialogs.size === 0);
    const trail = await bank.lastTrail();
    expect(trail.filter((l) => /^(transfer|ringGroup):/.test(l))).toEqual([
      'transfer: ringing',
      'transfer: answered',
      'ringGroup: answered by 503',
    ]);
  });

  it('blind to an IVR menu: the transferor is let go at once, the caller chooses, and the choice answers', async () => {
    const ext504 = await fx.db.store.tenant(fx.tenantId).extensions.getByNumber('504');
    await addRouting('ivr', 'Front desk', '700', {
      greeting: { prompts: ['main-menu'], text: null, lang: null },
      options: [{ key: '1', destination: { kind: 'extension', id: ext504!.id }, tag: 'support' }],
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
    await connect('501', '502');
    const t = bank.get('502');
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:700@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    // The PBX holds the caller now: the transferor is told it worked and let go.
    await until(() => t.dialogs.size === 0);
    expect(t.frags.at(-1)).toBe('SIP/2.0 200 OK');
    // The caller presses 1 (SIP INFO): 504 rings and answers.
    await bank
      .get('501')
      .inDialog('INFO', {
        body: Buffer.from('Signal=1\r\nDuration=160\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    await until(() => bank.get('504').dialogs.size === 1, 10_000);
    // The phone has answered; the PBX takes its answer a moment later.
    await until(() => [...fx.sip.calls][0]?.callee.number === '504');
    expect([...fx.sip.calls][0]!.caller.number).toBe('501');
    await bank.get('501').inDialog('BYE').done();
    await until(() => bank.get('504').dialogs.size === 0);
    const trail = await bank.lastTrail();
    expect(trail).toContain('transfer: taken by the PBX');
    expect(trail.some((l) => l.startsWith('ivr: '))).toBe(true);
  });

  it('a blind transfer to a phone whose answer cannot be used leaves the transferor its call', async () => {
    await connect('501', '502');
    const t = bank.get('502');
    const target = bank.get('503');
    // 503 answers the late-offer INVITE with an offer of a codec the relay does not move.
    target.on('INVITE', (req, tx, source) => {
      if (!tx || req.headers.get('To')?.includes('tag=')) {
        tx?.respond(target.response(req, 200));
        return;
      }
      target.invites.push(req);
      target.accept(
        tx,
        source,
        Buffer.from(
          'v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n',
        ),
      );
    });
    expect(
      (await t.inDialog('REFER', { headers: [['Refer-To', `<sip:503@${DOMAIN}>`]] }).done())?.status,
    ).toBe(202);
    await until(() => t.frags.length >= 2 && t.frags.at(-1) !== 'SIP/2.0 100 Trying');
    expect(t.frags.at(-1)).toMatch(/^SIP\/2\.0 488/);
    await until(() => target.dialogs.size === 0); // its leg was hung up
    expect(t.dialogs.size).toBe(1);
    // The transferor's media is intact: a re-INVITE (resume) is answered by the same session.
    expect(
      (await t.inDialog('INVITE', { body: PHONE_SDP, contentType: 'application/sdp' }).done())?.status,
    ).toBe(200);
    await bank.get('501').inDialog('BYE').done();
  });
});
