/**
 * IVR menus end to end with phones on our own stack and the media relay: keys
 * arrive by each method a phone may use — SIP INFO, RFC 4733 telephone-events
 * over RTP, and in-band tones in the audio of a phone that offers no
 * telephone-event — and every branch lands where the menu says: an option, a
 * sub-menu and back, direct dial of an allowed extension (and a refused one),
 * no key (replay, then the fallback), a wrong key, a closed calendar, TTS text
 * as the greeting, and the call's tags on its record and in events.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { encodeG711 } from '../../src/media/codecs/g711.js';
import { dtmfSequence } from '../../src/media/dtmf/generate.js';
import { encodeTelephoneEvent } from '../../src/media/dtmf/telephone-event.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import type { IvrConfig } from '../../src/pbx/routing/types.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'ivr.example.test';
const NUMBERS = ['201', '202', '203', '204', '205', '301'];
/** A phone that offers G.711 only: its keys can only come as tones in the audio. */
const NO_EVENTS_SDP = Buffer.from(
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
);

describe('IVR menus', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const clock = new ManualClock();
  const store = () => fx.db.store.tenant(fx.tenantId);
  const events: PbxEvent[] = [];
  let ids: string[] = [];
  let rtp: Socket;
  const audioDir = mkdtempSync(join(tmpdir(), 'nimbus-ivr-audio-'));

  const menu = (over: Partial<IvrConfig>): IvrConfig => ({
    greeting: { prompts: ['main-menu'], text: null, lang: null },
    options: [],
    directDial: { enabled: false, allow: [] },
    interDigitMs: 2000,
    timeoutSec: 5,
    retries: 1,
    invalidAudio: null,
    timeoutAudio: null,
    fallback: null,
    calendar: null,
    tag: null,
    ...over,
  });
  async function add(kind: 'ivr' | 'calendar', name: string, number: string | null, config: unknown) {
    const o = await store().routing.create(kind, { name, number, config });
    ids.push(o.id);
    await fx.sip.tenantChanged(fx.tenantId);
    return o.id;
  }
  const ext = async (n: string) => ({
    kind: 'extension' as const,
    id: (await store().extensions.getByNumber(n))!.id,
  });
  const invitesOf = (n: string) => bank.get(n).invites.length;
  /** The caller's call, once the PBX has answered it and plays the greeting. */
  async function dial(from: string, to: string, body?: Buffer) {
    const p = bank.get(from);
    const ex = body
      ? p.send(p.buildRequest('INVITE', `sip:${to}@${DOMAIN}`, { from: `<sip:${from}@${DOMAIN}>`, body }), {
          transport: 'UDP',
          host: '127.0.0.1',
          port: fx.sip.transports.udpPort,
        })
      : bank.call(from, to);
    const res = await ex.done();
    expect(res?.status).toBe(200);
    // The relay's address for this caller, from our answer.
    const sdp = res!.body.toString();
    const port = Number(/m=audio (\d+)/.exec(sdp)![1]);
    // Let the ACK reach the PBX before the test moves the call clock.
    await new Promise((r) => setTimeout(r, 30));
    return { port };
  }
  const info = (from: string, key: string) =>
    bank
      .get(from)
      .inDialog('INFO', {
        body: Buffer.from(`Signal=${key}\r\nDuration=160\r\n`),
        contentType: 'application/dtmf-relay',
      })
      .done();
  let seq = 1;
  /** RFC 4733: a digit as telephone-event packets (start, continuation, three end packets). */
  async function rfc4733(port: number, digit: number) {
    const ts = seq * 160;
    for (let i = 0; i < 6; i++) {
      const end = i >= 3;
      const payload = encodeTelephoneEvent({
        event: digit,
        end,
        volume: 10,
        duration: Math.min(i + 1, 4) * 160,
      });
      const pkt = serializeRtp({
        marker: i === 0,
        payloadType: 101,
        sequence: seq++,
        timestamp: ts,
        ssrc: 0x4242,
        csrc: [],
        extension: null,
        payload,
      });
      rtp.send(pkt, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** In-band: the digits as dual tones in µ-law audio, 20 ms per packet, paced in real time. */
  async function inBand(port: number, digits: string) {
    const pcm = dtmfSequence(digits, { onMs: 120, offMs: 120, leadMs: 60 });
    for (let at = 0; at + 160 <= pcm.length; at += 160) {
      const pkt = serializeRtp({
        marker: false,
        payloadType: 0,
        sequence: seq++,
        timestamp: seq * 160,
        ssrc: 0x5151,
        csrc: [],
        extension: null,
        payload: encodeG711(pcm.subarray(at, at + 160), 'ulaw'),
      });
      rtp.send(pkt, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** The caller's newest call record, once it is closed. */
  const trail = async (caller: string) => {
    for (let i = 0; i < 100; i++) {
      await fx.db.store.callLog.drain();
      const row = (await store().calls.list({ limit: 10, offset: 0 })).items.find((c) => c.caller === caller);
      if (row?.status === 'ended') return row;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no ended call record');
  };

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number })),
      { clock, media: { bindAddress: '127.0.0.1', portMin: 44400, portMax: 44599, workers: 1 }, audioDir },
    );
    bank = await phoneBank(fx, DOMAIN, NUMBERS);
    fx.sip.events.on((e) => events.push(e));
    rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await new Promise((r) => setTimeout(r, 50));
    rtp?.close();
    bank?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    await bank.hangupAll();
    bank.reset();
    for (const id of ids.reverse()) {
      const o = (await store().routing.all()).find((x) => x.id === id);
      if (o) await store().routing.delete(o.kind, id);
    }
    ids = [];
    await fx.sip.tenantChanged(fx.tenantId);
    events.length = 0;
  });

  it('a key sent by SIP INFO picks its option; the call is tagged by the menu and the choice', async () => {
    await add(
      'ivr',
      'Main',
      '800',
      menu({ tag: 'main-menu', options: [{ key: '1', destination: await ext('202'), tag: 'sales' }] }),
    );
    await dial('201', '800');
    bank.get('202').mode = 'ring';
    expect((await info('201', '1'))?.status).toBe(200);
    await until(() => invitesOf('202') === 1);
    bank.get('202').pickUp();
    await until(() => [...fx.sip.calls][0]?.state === 'answered');
    await bank.hangupAll();
    const row = await trail('201');
    expect(row.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'ivr: pressed 1',
      'extension: answered',
    ]);
    expect(row.tags).toEqual(['main-menu', 'sales']);
    expect(events.filter((e) => e.type === 'call.tagged').map((e) => (e as { tag: string }).tag)).toEqual([
      'main-menu',
      'sales',
    ]);
    const ended = events.find((e) => e.type === 'call.ended');
    expect(ended && 'call' in ended ? ended.call.tags : null).toEqual(['main-menu', 'sales']);
    expect((await store().calls.list({ limit: 10, offset: 0, tag: 'sales' })).items).toHaveLength(1);
  });

  it('RFC 4733 keys lead into a sub-menu and on; a key during the greeting interrupts it', async () => {
    const sub = await add(
      'ivr',
      'Support',
      null,
      menu({ options: [{ key: '3', destination: await ext('203'), tag: null }] }),
    );
    await add(
      'ivr',
      'Main',
      '801',
      menu({ options: [{ key: '2', destination: { kind: 'ivr', id: sub }, tag: null }] }),
    );
    const { port } = await dial('201', '801');
    await rfc4733(port, 2);
    // The sub-menu greets; its key goes to extension 203.
    await until(() => [...fx.sip.calls][0] !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    await rfc4733(port, 3);
    await until(() => invitesOf('203') === 1, 5_000);
    await until(() => [...fx.sip.calls][0]?.state === 'answered');
    await bank.hangupAll();
    expect((await trail('201')).trail.map((s) => `${s.kind} ${s.name}: ${s.outcome}`)).toEqual([
      'ivr Main (801): pressed 2',
      'ivr Support: pressed 3',
      'extension Ext 203 (203): answered',
    ]);
  });

  it('in-band tones from a phone without telephone-event dial an allowed extension directly', async () => {
    await add(
      'ivr',
      'Direct',
      '802',
      menu({
        directDial: { enabled: true, allow: ['20*'] },
        options: [{ key: '9', destination: await ext('205'), tag: null }],
      }),
    );
    const { port } = await dial('201', '802', NO_EVENTS_SDP);
    await inBand(port, '204');
    // '204' could be longer: the menu waits the inter-digit time, then dials.
    await new Promise((r) => setTimeout(r, 200));
    clock.advance(2_000);
    await until(() => invitesOf('204') === 1, 5_000);
    await until(() => [...fx.sip.calls][0]?.state === 'answered');
    await bank.hangupAll();
    expect((await trail('201')).trail.map((s) => s.outcome)).toEqual(['dialled 204', 'answered']);

    // 301 is an extension, but not on the allow list: a wrong choice.
    await dial('202', '802');
    for (const k of '301') await info('202', k);
    clock.advance(2_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(invitesOf('301')).toBe(0);
    await bank.hangupAll();
    expect((await trail('202')).trail.map((s) => s.outcome)).toEqual(['caller hung up']);
  });

  it('no key replays the menu, then the fallback; a wrong key says so; without a fallback the PBX says goodbye', async () => {
    await add(
      'ivr',
      'Quiet',
      '803',
      menu({
        retries: 1,
        timeoutSec: 5,
        fallback: await ext('205'),
        options: [{ key: '1', destination: await ext('202'), tag: null }],
      }),
    );
    bank.get('205').mode = 'ring';
    await dial('201', '803');
    await new Promise((r) => setTimeout(r, 1500)); // the greeting plays (real time)
    clock.advance(5_000); // no key: "please try again" and the menu again
    await new Promise((r) => setTimeout(r, 3000));
    clock.advance(5_000); // still nothing: the fallback
    await until(() => invitesOf('205') === 1, 5_000);
    bank.get('205').pickUp();
    await until(() => [...fx.sip.calls][0]?.state === 'answered');
    await bank.hangupAll();
    expect((await trail('201')).trail.map((s) => s.outcome)).toEqual([
      'no choice, on to the fallback',
      'answered',
    ]);

    await add(
      'ivr',
      'Strict',
      '804',
      menu({ retries: 0, options: [{ key: '1', destination: await ext('202'), tag: null }] }),
    );
    await dial('203', '804');
    await info('203', '7'); // not an option: "invalid choice", no retries left, goodbye
    await until(() => bank.get('203').dialogs.size === 0, 10_000);
    const row = await trail('203');
    expect(row.trail.map((s) => s.outcome)).toEqual(['no choice']);
    expect(row.cause).toBe('no-answer');
  });

  it('a closed calendar sends callers on before the menu; a TTS greeting is spoken from text', async () => {
    const closed = await add('calendar', 'Never open', null, {
      timeZone: 'UTC',
      weekly: [],
      holidays: [],
      productionCalendar: null,
      override: null,
    });
    await add(
      'ivr',
      'Hours',
      '805',
      menu({ calendar: { calendarId: closed, whenClosed: await ext('205') }, options: [] }),
    );
    bank.get('205').mode = 'ring';
    const ex = bank.call('201', '805');
    await until(() => invitesOf('205') === 1);
    bank.get('205').pickUp();
    expect((await ex.done())?.status).toBe(200);
    await bank.hangupAll();
    expect((await trail('201')).trail[0]?.outcome).toMatch(/^closed \(Never open\)/);

    await add(
      'ivr',
      'Spoken',
      '806',
      menu({
        greeting: { prompts: [], text: 'Здравствуйте! Нажмите один для отдела продаж.', lang: 'ru' },
        options: [{ key: '1', destination: await ext('202'), tag: null }],
      }),
    );
    await dial('203', '806');
    await info('203', '1');
    await until(() => invitesOf('202') === 1, 10_000);
  });

  it("greets with one of the tenant's own audio files", async () => {
    // A file as the API stores it (test/api/audio.test.ts covers the upload itself).
    const samples = new Int16Array(8000 * 2).map((_, i) =>
      Math.round(6000 * Math.sin((2 * Math.PI * 523 * i) / 8000)),
    );
    const f = await store().audioFiles.create({
      id: crypto.randomUUID(),
      name: 'Jingle',
      durationMs: 2000,
      sizeBytes: 32_044,
    });
    mkdirSync(join(audioDir, fx.tenantId), { recursive: true });
    writeFileSync(
      join(audioDir, fx.tenantId, `${f.id}.wav`),
      encodeWav({ encoding: 'pcm16', sampleRate: 8000, channels: 1 }, samples),
    );
    await add(
      'ivr',
      'Jingle',
      '807',
      menu({
        greeting: { fileId: f.id, prompts: [], text: null, lang: null },
        options: [{ key: '4', destination: await ext('204'), tag: null }],
      }),
    );
    await dial('201', '807');
    await info('201', '4'); // a key interrupts the file (barge-in)
    await until(() => invitesOf('204') === 1, 5_000);
  });
});
