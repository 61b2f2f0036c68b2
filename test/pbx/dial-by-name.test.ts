/**
 * Dial by name: letters as keypad keys (Latin, and Cyrillic as Russian phones
 * print them), matching on any word of a name; then end to end with phones on
 * our own stack and the media relay — the feature code answers, the caller keys
 * three letters by SIP INFO and is put through to the only match; keys by RFC
 * 4733 reach a list of two and the second is chosen; an IVR option leads there;
 * a phonebook contact on an internal number is found too; the trail says what happened.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeTelephoneEvent } from '../../src/media/dtmf/telephone-event.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import { keypadDigits, matchingEntries } from '../../src/pbx/apps/dial-by-name.js';
import { type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'names-dir.example.test';
const NUMBERS = ['201', '202', '203', '204', '205'];

describe('dial by name: keys for letters', () => {
  it('maps Latin and Cyrillic letters as keypads print them', () => {
    expect(keypadDigits('Smith')).toBe('76484');
    expect(keypadDigits('Иванов')).toBe('422552');
    expect(keypadDigits('Ёлкин')).toBe('34445');
    expect(keypadDigits('Щука')).toBe('8642');
    expect(keypadDigits('Юля')).toBe('949');
  });

  it('matches the first letters of any word of a name, sorted by name', () => {
    const entries = [
      { name: 'John Smith', number: '201' },
      { name: 'Иванов Пётр', number: '202' },
      { name: 'Мария Иванова', number: '203' },
    ];
    expect(matchingEntries(entries, '764').map((e) => e.number)).toEqual(['201']);
    expect(matchingEntries(entries, '564').map((e) => e.number)).toEqual(['201']);
    expect(
      matchingEntries(entries, '422')
        .map((e) => e.number)
        .sort(),
    ).toEqual(['202', '203']);
    expect(matchingEntries(entries, '999')).toEqual([]);
  });
});

describe('dial by name on calls', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  let rtp: Socket;
  const store = () => fx.db.store.tenant(fx.tenantId);

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      NUMBERS.map((number) => ({ number })),
      { media: { bindAddress: '127.0.0.1', portMin: 45000, portMax: 45199, workers: 1 } },
    );
    const names: Record<string, string> = {
      '202': 'John Smith',
      '203': 'Иванов Пётр',
      '204': 'Мария Иванова',
      // 205 has no name: only the phonebook's contact on it can be found.
      '205': '',
    };
    for (const [number, displayName] of Object.entries(names)) {
      const e = await store().extensions.getByNumber(number);
      await store().extensions.update(e!.id, { displayName });
    }
    await store().contacts.create({ name: 'Зайцев Олег', numbers: [{ number: '205', label: 'desk' }] });
    await fx.sip.tenantChanged(fx.tenantId);
    await fx.sip.contactsChanged(fx.tenantId);
    bank = await phoneBank(fx, DOMAIN, NUMBERS);
    rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
  }, 30_000);
  afterAll(async () => {
    rtp?.close();
    bank?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    await bank.hangupAll();
    bank.reset();
    for (const n of NUMBERS) bank.get(n).mode = 'ring';
  });

  /** Dials the directory's feature code; the PBX answers and speaks. */
  async function dialDirectory(from: string) {
    const res = await bank.call(from, '*411').done();
    expect(res?.status).toBe(200);
    const port = Number(/m=audio (\d+)/.exec(res!.body.toString())![1]);
    await new Promise((r) => setTimeout(r, 30));
    return port;
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
  async function rfc4733(port: number, digit: number) {
    const ts = seq * 160;
    for (let i = 0; i < 6; i++) {
      const payload = encodeTelephoneEvent({
        event: digit,
        end: i >= 3,
        volume: 10,
        duration: Math.min(i + 1, 4) * 160,
      });
      rtp.send(
        serializeRtp({
          marker: i === 0,
          payloadType: 101,
          sequence: seq++,
          timestamp: ts,
          ssrc: 0x4343,
          csrc: [],
          extension: null,
          payload,
        }),
        port,
        '127.0.0.1',
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const trail = async () => {
    for (let i = 0; i < 200; i++) {
      await fx.db.store.callLog.drain();
      const row = (await store().calls.list({ limit: 1, offset: 0 })).items[0];
      if (row?.status === 'ended') return row.trail.map((s) => `${s.kind}: ${s.outcome}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no ended call record');
  };

  it('three letters by SIP INFO put the caller through to the only match', async () => {
    await dialDirectory('201');
    for (const k of '764') expect((await info('201', k))?.status).toBe(200);
    await until(() => bank.get('202').invites.length === 1, 15_000);
    const from = bank.get('202').invites[0]!.headers.get('From') ?? '';
    expect(from).toContain('sip:201@');
    await bank.hangupAll();
    expect(await trail()).toEqual(['directory: 764: John Smith (202)', 'extension: ended']);
  }, 30_000);

  it('RFC 4733 keys reach a list of two; the second is chosen', async () => {
    const port = await dialDirectory('201');
    for (const d of [4, 2, 2]) await rfc4733(port, d);
    // The list is read out ("… press 1, … press 2"); the choice is made while it plays.
    await new Promise((r) => setTimeout(r, 300));
    await rfc4733(port, 2);
    const sorted = matchingEntries(
      [
        { name: 'Иванов Пётр', number: '203' },
        { name: 'Мария Иванова', number: '204' },
      ],
      '422',
    );
    const second = sorted[1]!.number;
    await until(() => bank.get(second).invites.length === 1, 20_000);
    expect(bank.get(sorted[0]!.number).invites).toHaveLength(0);
    await bank.hangupAll();
  }, 30_000);

  it('is reached as an IVR option', async () => {
    const menu = await store().routing.create('ivr', {
      name: 'Main',
      number: '800',
      config: {
        greeting: { prompts: ['main-menu'], text: null, lang: null },
        options: [{ key: '9', destination: { kind: 'directory' }, tag: null }],
        directDial: { enabled: false, allow: [] },
        interDigitMs: 2000,
        timeoutSec: 5,
        retries: 1,
        invalidAudio: null,
        timeoutAudio: null,
        fallback: null,
        calendar: null,
        tag: null,
      },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    try {
      const res = await bank.call('201', '800').done();
      expect(res?.status).toBe(200);
      await new Promise((r) => setTimeout(r, 30));
      await info('201', '9');
      // The directory's own prompt starts; the letters are keyed into it.
      await new Promise((r) => setTimeout(r, 200));
      for (const k of '764') await info('201', k);
      await until(() => bank.get('202').invites.length === 1, 15_000);
      await bank.hangupAll();
      expect(await trail()).toEqual([
        'ivr: pressed 9',
        'directory: 764: John Smith (202)',
        'extension: ended',
      ]);
    } finally {
      await store().routing.delete('ivr', menu.id);
    }
  }, 30_000);

  it('finds a phonebook contact on an internal number', async () => {
    await dialDirectory('201');
    // З-а-й: 3 2 4.
    for (const k of '324') await info('201', k);
    await until(() => bank.get('205').invites.length === 1, 15_000);
    await bank.hangupAll();
  }, 30_000);
});
