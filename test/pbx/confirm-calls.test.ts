/**
 * Confirm-call end to end: outside numbers rung for a ring group or a follow-me
 * step go through a trunk to a carrier (a UA on our stack at its own loopback
 * address, with an RTP socket per mobile). The mobile that answers hears the
 * question on its own relay port while the others ring on; it takes the call
 * only with 1 (SIP INFO or RFC 4733), 2 or hanging up passes, and one that
 * answered after someone else took the call hears "too late" before our BYE.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeTelephoneEvent } from '../../src/media/dtmf/telephone-event.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import type { RingGroupConfig } from '../../src/pbx/routing/types.js';
import { makeCancel } from '../../src/sip/build.js';
import { type Dialog, incomingDialogKey } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ExtensionPatch } from '../../src/store/repositories/extensions.js';
import { type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DOMAIN = 'confirm.example.test';
const CARRIER_HOST = '127.0.0.4';
const MOBILE_1 = '89161111111';
const MOBILE_2 = '89162222222';

/** A mobile behind the carrier: answers after a while (or rings on), with its own RTP socket. */
interface Mobile {
  answerMs: number | null;
  /** Answers our offer in a 183 and sends its 200 without SDP (as carriers using 100rel may). */
  earlyAnswer: boolean;
  rtp: Socket;
  /** RTP packets it received (the question, "too late", the caller's audio). */
  packets: number;
  invites: SipRequest[];
  dialog: Dialog | null;
  /** The relay port the PBX offered it. */
  pbxPort: number;
  /** When our BYE reached it (ms since the epoch), or null. */
  byeAt: number | null;
  cancelled: boolean;
}

describe('confirm-call for outside numbers', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };
  /** The caller's own RTP socket (its SDP names a port nobody listens on; the relay latches to this). */
  let caller: Socket;
  const mobiles = new Map<string, Mobile>();
  const ids: string[] = [];
  const store = () => fx.db.store.tenant(fx.tenantId);

  const mobile = (n: string) => mobiles.get(n)!;
  /** The mobile an INVITE is for: the carrier gets the number in E.164 without the plus. */
  const mobileFor = (req: SipRequest) =>
    [...mobiles.entries()].find(([n]) => req.uri.user === `7${n.slice(1)}`)?.[1];

  const sdpFor = (port: number) =>
    Buffer.from(
      `v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n`,
    );

  async function add(kind: 'ringGroup', name: string, number: string, config: unknown) {
    const o = await store().routing.create(kind, { name, number, config });
    ids.push(o.id);
    await fx.sip.tenantChanged(fx.tenantId);
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
  const member = (number: string, timeoutSec = 30) => ({ number, delaySec: 0, timeoutSec });

  async function setRules(number: string, patch: ExtensionPatch) {
    const ext = await store().extensions.getByNumber(number);
    await store().extensions.update(ext!.id, patch);
    await fx.sip.tenantChanged(fx.tenantId);
  }

  /** Keys from the mobile's dialog as SIP INFO. */
  const info = (m: Mobile, key: string) =>
    carrier
      .inDialog('INFO', {
        dialog: m.dialog!,
        body: Buffer.from(`Signal=${key}\r\nDuration=160\r\n`),
        contentType: 'application/dtmf-relay',
      })
      .done();

  let seq = 1;
  /** A key as RFC 4733 telephone-events from the mobile's RTP socket to its relay port. */
  async function rfc4733(m: Mobile, digit: number) {
    const ts = seq * 160;
    for (let i = 0; i < 6; i++) {
      const payload = encodeTelephoneEvent({
        event: digit,
        end: i >= 3,
        volume: 10,
        duration: Math.min(i + 1, 4) * 160,
      });
      m.rtp.send(
        serializeRtp({
          marker: i === 0,
          payloadType: 101,
          sequence: seq++,
          timestamp: ts,
          ssrc: 0x5151,
          csrc: [],
          extension: null,
          payload,
        }),
        m.pbxPort,
        '127.0.0.1',
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** 20 ms of G.711 silence as one RTP packet (payload type 0 for the caller's µ-law, 8 for the mobile's A-law). */
  const audioPacket = (i: number, payloadType: 0 | 8) =>
    serializeRtp({
      marker: i === 0,
      payloadType,
      sequence: 1000 + i,
      timestamp: i * 160,
      ssrc: 0x7777,
      csrc: [],
      extension: null,
      payload: Buffer.alloc(160, payloadType === 8 ? 0xd5 : 0xff),
    });

  /** The caller's newest call record, once closed. */
  async function lastRecord(caller = '201') {
    await Promise.all([...fx.sip.calls].map((c) => c.flushed()));
    for (let i = 0; i < 200; i++) {
      await fx.db.store.callLog.drain();
      const row = (await store().calls.list({ limit: 5, offset: 0 })).items.find((c) => c.caller === caller);
      if (row?.status === 'ended') return row;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no ended call record');
  }
  /** How the call record names a mobile: in E.164. */
  const e164 = (n: string) => `+7${n.slice(1)}`;
  const confirmSteps = (row: { trail: { kind: string; name: string; outcome: string }[] }) =>
    row.trail.filter((s) => s.kind === 'confirm').map((s) => `${s.name}: ${s.outcome}`);

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      ['201', '202', '203'].map((number) => ({ number, callClass: 'national' as const })),
      { media: { bindAddress: '127.0.0.1', portMin: 44200, portMax: 44399, workers: 1 } },
    );
    carrier = await udpUa('carrier', new Wire(), systemClock, CARRIER_HOST);
    for (const n of [MOBILE_1, MOBILE_2]) {
      const rtp = createSocket('udp4');
      await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
      const m: Mobile = {
        answerMs: 50,
        earlyAnswer: false,
        rtp,
        packets: 0,
        invites: [],
        dialog: null,
        pbxPort: 0,
        byeAt: null,
        cancelled: false,
      };
      rtp.on('message', () => m.packets++);
      mobiles.set(n, m);
    }
    carrier.on('INVITE', (req, tx, source) => {
      const m = tx ? mobileFor(req) : undefined;
      if (!tx || !m) {
        tx?.respond(carrier.response(req, 404));
        return;
      }
      m.invites.push(req);
      m.pbxPort = Number(/m=audio (\d+)/.exec(req.body.toString())?.[1] ?? 0);
      const sdp = sdpFor(m.rtp.address().port);
      if (m.earlyAnswer) {
        const early = carrier.response(req, 183, [['Content-Type', 'application/sdp']]);
        early.body = sdp;
        tx.respond(early);
      } else tx.respond(carrier.response(req, 180));
      if (m.answerMs !== null)
        setTimeout(() => {
          if (!m.cancelled) m.dialog = carrier.accept(tx, source, m.earlyAnswer ? undefined : sdp);
        }, m.answerMs);
    });
    carrier.on('CANCEL', (req, tx) => {
      const m = mobileFor(req);
      if (m) m.cancelled = true;
      tx?.respond(carrier.response(req, 200));
    });
    carrier.on('BYE', (req, tx) => {
      // Every fork of one call has the same Call-ID: a dialog is told apart by its tags.
      const key = incomingDialogKey(req);
      for (const m of mobiles.values()) if (m.dialog && key === m.dialog.key) m.byeAt = Date.now();
      if (key) carrier.dialogs.delete(key);
      tx?.respond(carrier.response(req, 200));
    });
    const trunk = trunkInput('Mobile carrier', CARRIER_HOST, carrier.local.port, { codecs: ['PCMA'] });
    const t = await fx.db.store.trunks.create(trunk);
    await store().routing.create('outboundRoute', {
      name: 'Mobiles',
      number: null,
      config: {
        priority: 10,
        patterns: [{ match: '_89XXXXXXXXX', strip: 0, prepend: '' }],
        trunkIds: [t.id],
        callerId: null,
      },
    });
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, ['201', '202', '203']);
    caller = createSocket('udp4');
    await new Promise<void>((r) => caller.bind(0, '127.0.0.1', () => r()));
  }, 30_000);

  afterAll(async () => {
    bank?.close();
    carrier?.close();
    caller?.close();
    for (const m of mobiles.values()) m.rtp.close();
    await fx?.close();
  });

  beforeEach(async () => {
    await bank.hangupAll();
    bank.reset();
    for (const m of mobiles.values())
      Object.assign(m, {
        answerMs: 50,
        earlyAnswer: false,
        packets: 0,
        invites: [],
        dialog: null,
        pbxPort: 0,
        byeAt: null,
        cancelled: false,
      });
    for (const id of ids.splice(0)) await store().routing.delete('ringGroup', id);
    await fx.sip.tenantChanged(fx.tenantId);
  });

  it('a group member on a mobile hears who calls and takes the call with 1; the desk phone stops ringing', async () => {
    await add('ringGroup', 'Sales', '600', group({ members: [member('202'), member(MOBILE_1)] }));
    bank.get('202').mode = 'ring';
    const m = mobile(MOBILE_1);
    const ex = bank.call('201', '600');
    await until(() => m.dialog, 5000);
    // The mobile answered, but the call is not theirs yet: the caller still rings, so does the desk.
    await until(() => m.packets > 25, 5000); // half a second of the question
    expect(ex.final).toBeUndefined();
    expect(bank.get('202').cancels).toBe(0);
    const askedAt = Date.now();
    expect((await info(m, '1'))?.status).toBe(200);
    const res = await ex.done();
    expect(res?.status).toBe(200);
    expect(Date.now() - askedAt).toBeLessThan(2000);
    await until(() => bank.get('202').cancels === 1);
    // The mobile keeps the port it was offered (no re-INVITE), now bridged to the caller both ways.
    expect(m.invites).toHaveLength(1);
    expect(fx.sip.calls.size).toBe(1);
    const callerPort = Number(/m=audio (\d+)/.exec(res!.body.toString())![1]);
    const heard = { caller: 0 };
    caller.on('message', () => heard.caller++);
    const before = m.packets;
    for (let i = 0; i < 20; i++) {
      caller.send(audioPacket(i, 0), callerPort, '127.0.0.1');
      m.rtp.send(audioPacket(i, 8), m.pbxPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => heard.caller >= 10 && m.packets - before >= 10);
    await bank.hangupAll();
    await until(() => m.byeAt !== null);
    const row = await lastRecord();
    expect(confirmSteps(row)).toEqual([`${e164(MOBILE_1)}: accepted`]);
    expect(row.trail.at(-1)?.outcome).toBe(`answered by ${e164(MOBILE_1)}`);
    expect(row.trunk).toBe('Mobile carrier');
  });

  it("a mobile's voicemail cannot take the call: 2 or hanging up passes it on, and the desk phone answers", async () => {
    await add(
      'ringGroup',
      'Sales',
      '600',
      group({ members: [member('202'), member(MOBILE_1), member(MOBILE_2)] }),
    );
    bank.get('202').mode = 'ring';
    const ex = bank.call('201', '600');
    const m1 = mobile(MOBILE_1);
    const m2 = mobile(MOBILE_2);
    await until(() => m1.dialog && m2.dialog, 5000);
    await until(() => m1.packets > 10 && m2.packets > 10, 5000);
    expect((await info(m1, '2'))?.status).toBe(200);
    await until(() => m1.byeAt !== null);
    expect((await carrier.inDialog('BYE', { dialog: m2.dialog! }).done())?.status).toBe(200);
    // Nobody outside took it: still ringing at the desk, which answers.
    await new Promise((r) => setTimeout(r, 100));
    expect(ex.final).toBeUndefined();
    bank.get('202').pickUp();
    expect((await ex.done())?.status).toBe(200);
    await bank.hangupAll();
    const row = await lastRecord();
    expect(confirmSteps(row).sort()).toEqual([`${e164(MOBILE_1)}: declined`, `${e164(MOBILE_2)}: hung up`]);
    expect(row.trail.at(-1)?.outcome).toBe('answered by 202');
  });

  it('one who answered after another took the call hears "too late" before the PBX hangs up', async () => {
    await add('ringGroup', 'Sales', '600', group({ members: [member(MOBILE_1), member(MOBILE_2)] }));
    const m1 = mobile(MOBILE_1);
    const m2 = mobile(MOBILE_2);
    const ex = bank.call('201', '600');
    await until(() => m1.dialog && m2.dialog, 5000);
    await until(() => m2.packets > 10, 5000);
    await rfc4733(m1, 1);
    expect((await ex.done())?.status).toBe(200);
    const takenAt = Date.now();
    const before = m2.packets;
    await until(() => m2.byeAt !== null, 10_000);
    // "Sorry, the call has already been answered…" is some seconds of audio before the BYE.
    expect(m2.byeAt! - takenAt).toBeGreaterThan(1500);
    expect(m2.packets - before).toBeGreaterThan(75);
    expect(m1.byeAt).toBeNull();
    await bank.hangupAll();
    await until(() => m1.byeAt !== null);
    const row = await lastRecord();
    expect(confirmSteps(row)).toEqual([`${e164(MOBILE_1)}: accepted`, `${e164(MOBILE_2)}: too late`]);
  });

  it('the caller hanging up while a mobile decides tells it "too late" too', async () => {
    await add('ringGroup', 'Sales', '600', group({ members: [member(MOBILE_1)] }));
    const m = mobile(MOBILE_1);
    const phone = bank.get('201');
    const ex = bank.call('201', '600');
    await until(() => m.dialog, 5000);
    await until(() => m.packets > 10, 5000);
    phone.send(makeCancel(ex.latest), {
      transport: 'UDP',
      host: '127.0.0.1',
      port: fx.sip.transports.udpPort,
    });
    expect((await ex.done())?.status).toBe(487);
    const goneAt = Date.now();
    await until(() => m.byeAt !== null, 10_000);
    expect(m.byeAt! - goneAt).toBeGreaterThan(1500);
    // Pressing 1 now changes nothing: the call is over.
    expect(fx.sip.calls.size).toBe(0);
  });

  it('follow-me to a mobile (answering in a 183) asks by default and connects on 1; switched off, the mobile takes the call at once', async () => {
    const followMobile = (confirmExternal?: boolean) => ({
      status: 'trip' as const,
      callRules: {
        followMe: {
          ringDesk: false,
          steps: [{ numbers: [MOBILE_1], ringSec: 20 }],
          ...(confirmExternal === undefined ? {} : { confirmExternal }),
        },
        profiles: {
          trip: { internal: { action: 'followMe' as const }, external: { action: 'followMe' as const } },
        },
      },
    });
    const m = mobile(MOBILE_1);
    // This carrier answers in its 183 and sends the 200 without SDP.
    m.earlyAnswer = true;
    try {
      await setRules('203', followMobile());
      const ex = bank.call('201', '203');
      await until(() => m.dialog, 5000);
      await until(() => m.packets > 10, 5000);
      expect(ex.final).toBeUndefined();
      await rfc4733(m, 1);
      expect((await ex.done())?.status).toBe(200);
      await bank.hangupAll();
      expect(confirmSteps(await lastRecord())).toEqual([`${e164(MOBILE_1)}: accepted`]);

      await setRules('203', followMobile(false));
      Object.assign(m, { dialog: null, packets: 0 });
      const direct = await bank.call('201', '203').done();
      expect(direct?.status).toBe(200);
      expect(m.dialog).not.toBeNull();
      await bank.hangupAll();
      expect(confirmSteps(await lastRecord())).toEqual([]);
    } finally {
      await setRules('203', { status: 'available', callRules: {} });
    }
  });
});
