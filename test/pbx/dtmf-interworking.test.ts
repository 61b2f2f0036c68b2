/**
 * Keys between phones that signal them differently, on a bridged call with
 * anchored media: a key sent as SIP INFO reaches a phone with telephone-event as
 * RFC 4733 events and one without as DTMF tones (the INFO is answered by the PBX,
 * not passed on); tones keyed on a phone without telephone-event reach a phone
 * with it as RFC 4733 events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ULAW_TO_LINEAR } from '../../src/media/codecs/g711.js';
import { dtmfFrequencies } from '../../src/media/dtmf/digits.js';
import { decodeTelephoneEvent } from '../../src/media/dtmf/telephone-event.js';
import { parseRtp } from '../../src/media/rtp/packet.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { levelAt } from '../helpers/audio.js';
import { connect, type RtpPhone, rtpPhone, sendAudio } from '../helpers/rtp-phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until, Wire } from '../helpers/test-ua.js';

const DOMAIN = 'keys.example.test';

/** The telephone-event packets a phone received: event code and end bit. */
function events(p: RtpPhone): { event: number; end: boolean; marker: boolean }[] {
  const out: { event: number; end: boolean; marker: boolean }[] = [];
  for (const b of p.got) {
    const r = parseRtp(b);
    if (!r.ok || r.packet.payloadType !== 101) continue;
    const e = decodeTelephoneEvent(r.packet.payload);
    if (e.ok) out.push({ event: e.event.event, end: e.event.end, marker: r.packet.marker });
  }
  return out;
}

/** The µ-law audio a phone received, as linear samples. */
function audio(p: RtpPhone): Int16Array {
  const samples: number[] = [];
  for (const b of p.got) {
    const r = parseRtp(b);
    if (r.ok && r.packet.payloadType === 0)
      for (const x of r.packet.payload) samples.push(ULAW_TO_LINEAR[x]!);
  }
  return Int16Array.from(samples);
}

describe('DTMF interworking between legs', () => {
  let fx: SipFixture;
  let pbx: Destination;
  const wire = new Wire();
  const phones: RtpPhone[] = [];
  const phone = async (number: string, events = true) => {
    const p = await rtpPhone(number, DOMAIN, pbx, wire, events);
    phones.push(p);
    return p;
  };

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      ['601', '602', '603', '604', '605', '606'].map((number) => ({ number })),
      { media: { bindAddress: '127.0.0.1', portMin: 43700, portMax: 43799, workers: 1 } },
    );
    pbx = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
  });
  afterAll(async () => {
    for (const p of phones) {
      p.close();
      p.rtp.close();
    }
    await fx?.close();
  });

  it('turns a key sent as INFO into RFC 4733 events toward a phone with telephone-event', async () => {
    const [a, b] = [await phone('601'), await phone('602')];
    let infosAtB = 0;
    b.on('INFO', (_req, tx) => {
      infosAtB++;
      tx?.respond(b.response(_req, 200));
    });
    const { aPort, bPort } = await connect(a, b, DOMAIN, pbx);
    // Both phones send a little audio so the relay latches on each side.
    await Promise.all([sendAudio(a, aPort, () => 0, 100, 1), sendAudio(b, bPort, () => 0, 100, 1)]);
    const info = await a
      .inDialog('INFO', {
        body: Buffer.from('Signal=5\r\nDuration=200\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    expect(info?.status).toBe(200);
    await until(() => events(b).filter((e) => e.end).length >= 3, 3000);
    const got = events(b);
    expect(new Set(got.map((e) => e.event))).toEqual(new Set([5]));
    // One event: the marker on its first packet only, the end sent three times.
    expect(got.filter((e) => e.marker)).toHaveLength(1);
    expect(got.filter((e) => e.end)).toHaveLength(3);
    expect(infosAtB).toBe(0);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });

  it('plays a key sent as INFO as DTMF tones to a phone without telephone-event', async () => {
    const [a, b] = [await phone('603'), await phone('604', false)];
    const { aPort, bPort } = await connect(a, b, DOMAIN, pbx);
    await Promise.all([sendAudio(a, aPort, () => 0, 100, 1), sendAudio(b, bPort, () => 0, 100, 1)]);
    b.got.length = 0;
    const info = await a
      .inDialog('INFO', {
        body: Buffer.from('Signal=7\r\nDuration=200\r\n'),
        contentType: 'application/dtmf-relay',
      })
      .done();
    expect(info?.status).toBe(200);
    await until(() => audio(b).length >= 1600, 3000);
    const heard = audio(b);
    const { lowHz: low, highHz: high } = dtmfFrequencies('7');
    // 852 + 1209 Hz, well above a key's neighbours on the keypad.
    expect(levelAt(heard, low)).toBeGreaterThan(5 * levelAt(heard, 697));
    expect(levelAt(heard, high)).toBeGreaterThan(5 * levelAt(heard, 1477));
    expect(events(b)).toEqual([]);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });

  it('turns tones keyed on a phone without telephone-event into RFC 4733 events toward one with it', async () => {
    const [a, b] = [await phone('605', false), await phone('606')];
    const { aPort, bPort } = await connect(a, b, DOMAIN, pbx);
    await sendAudio(b, bPort, () => 0, 100, 1);
    const { lowHz: low, highHz: high } = dtmfFrequencies('9');
    const key = (n: number) =>
      Math.round(
        6000 * Math.sin((2 * Math.PI * low * n) / 8000) + 6000 * Math.sin((2 * Math.PI * high * n) / 8000),
      );
    // Silence, the key for 200 ms, silence.
    await sendAudio(a, aPort, () => 0, 100, 1);
    await sendAudio(a, aPort, key, 200, 10);
    await sendAudio(a, aPort, () => 0, 300, 30);
    await until(() => events(b).some((e) => e.end), 3000);
    expect(new Set(events(b).map((e) => e.event))).toEqual(new Set([9]));
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
  });
});
