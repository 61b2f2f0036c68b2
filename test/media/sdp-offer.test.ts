/** Our offers (RFC 3264 §5, §8) and reading the peer's answer to them (§6, §7). */
import { describe, expect, it } from 'vitest';
import { type CapabilityOptions, capabilities, type LocalMedia } from '../../src/media/sdp/capabilities.js';
import { answerOffer } from '../../src/media/sdp/negotiate.js';
import { type AnswerReading, buildOffer, readAnswer } from '../../src/media/sdp/offer.js';
import { parseSdp } from '../../src/media/sdp/parse.js';
import { SdpSession } from '../../src/media/sdp/session.js';
import type { SessionBody, SessionDescription } from '../../src/media/sdp/types.js';
import { writeSdp } from '../../src/media/sdp/write.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const LOCAL: LocalMedia = { addresses: ['203.0.113.5'], ports: [40000] };
const CAPS = capabilities({ codecs: ['PCMA', 'PCMU'] });
const ANSWER_HEAD = ['v=0', 'o=- 900 1 IN IP4 198.51.100.20', 's=-', 'c=IN IP4 198.51.100.20', 't=0 0'];

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

function offerText(options?: Partial<CapabilityOptions>, local: LocalMedia = LOCAL): string {
  const caps = options ? capabilities({ codecs: ['PCMA', 'PCMU'], ...options }) : CAPS;
  return new SdpSession({ address: '203.0.113.5', sessionId: '5000' }).render(buildOffer(caps, local));
}

function read(offer: SessionBody, ...answerLines: string[]): AnswerReading {
  const r = readAnswer(offer, parsed(sdp(...ANSWER_HEAD, ...answerLines)));
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

function mismatch(offer: SessionBody, ...answerLines: string[]): string {
  const r = readAnswer(offer, parsed(sdp(...ANSWER_HEAD, ...answerLines)));
  if (r.ok) throw new Error('expected a mismatch');
  expect(r.error.code).toBe('answer-mismatch');
  return r.error.message;
}

describe('buildOffer', () => {
  it('offers our codecs in tenant order with telephone-event, on the wire', () => {
    expect(offerText()).toBe(
      sdp(
        'v=0',
        'o=- 5000 1 IN IP4 203.0.113.5',
        's=-',
        'c=IN IP4 203.0.113.5',
        't=0 0',
        'm=audio 40000 RTP/AVP 8 0 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
        'a=rtcp-mux',
      ),
    );
  });

  it('offers hold as sendonly', () => {
    expect(offerText(undefined, { ...LOCAL, direction: 'sendonly' })).toContain('a=sendonly\r\n');
  });

  it('gives dynamic codecs free numbers and one telephone-event per clock rate', () => {
    // The wanted telephone-event number is taken by opus already, so it gets the next free one.
    const body = buildOffer(
      capabilities({ codecs: ['opus', 'G722', 'PCMU'], telephoneEvent: { payloadType: 96 } }),
      LOCAL,
    );
    const m = body.media[0]!;
    expect(m.formats.map((f) => `${f.payloadType} ${f.name}/${f.clockRate}`)).toEqual([
      '96 opus/48000',
      '9 G722/8000',
      '0 PCMU/8000',
      '97 telephone-event/8000',
      '98 telephone-event/48000',
    ]);
    expect(m.telephoneEvent).toMatchObject({ payloadType: 97, clockRate: 8000 });
  });

  it('can leave telephone-event, ptime and rtcp-mux out', () => {
    const text = offerText({ telephoneEvent: false, ptime: null, rtcpMux: false });
    expect(text).toContain('m=audio 40000 RTP/AVP 8 0\r\n');
    expect(text).not.toMatch(/telephone-event|a=ptime|a=rtcp-mux/);
  });

  it('offers from an IPv6 relay address', () => {
    const text = offerText(undefined, { addresses: ['2001:db8::1'], ports: [40000] });
    expect(text).toContain('c=IN IP6 2001:db8::1\r\n');
  });

  it('re-offers keep every m= line in place, disabled ones with port 0 (RFC 3264 §8)', () => {
    // The peer offered audio and video; we answered with video refused. Our next offer keeps both lines.
    const theirs = parsed(
      sdp(...ANSWER_HEAD, 'm=audio 4000 RTP/AVP 0 8', 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 VP8/90000'),
    );
    const answered = answerOffer(theirs, CAPS, LOCAL);
    if (!answered.ok) throw new Error('answer failed');
    const reoffer = buildOffer(CAPS, { ...LOCAL, direction: 'sendonly' }, answered.value.body);
    expect(reoffer.media.map((m) => [m.kind, m.port, m.direction])).toEqual([
      ['audio', 40000, 'sendonly'],
      ['video', 0, 'inactive'],
    ]);
    expect(writeSdp({ ...reoffer, origin: parsed(sdp(...ANSWER_HEAD)).origin })).toContain(
      'm=video 0 RTP/AVP 96\r\n',
    );
  });

  it('re-offers reuse payload numbers, and never give a number a new meaning (RFC 3264 §8.3.2)', () => {
    const first = buildOffer(capabilities({ codecs: ['opus', 'PCMU'] }), LOCAL);
    expect(first.media[0]!.formats.map((f) => `${f.payloadType} ${f.name}`)).toEqual([
      '96 opus',
      '0 PCMU',
      '101 telephone-event',
      '97 telephone-event',
    ]);
    expect(first.media[0]!.telephoneEvent).toMatchObject({ payloadType: 101, clockRate: 8000 });
    // The tenant now prefers a new dynamic codec; it must not take 96 (opus) nor 97 (telephone-event/48000).
    const speex = { name: 'speex', clockRate: 8000, channels: 1, payloadType: 97, fmtp: null };
    const second = buildOffer(capabilities({ codecs: [speex, 'PCMU', 'opus'] }), LOCAL, first);
    expect(second.media[0]!.formats.map((f) => `${f.payloadType} ${f.name}`)).toEqual([
      '98 speex',
      '0 PCMU',
      '96 opus',
      '101 telephone-event',
      '97 telephone-event',
    ]);
  });

  it('a disabled audio stream stays disabled; extra relay ports become new streams at the end', () => {
    const previous: SessionBody = parsed(
      sdp(...ANSWER_HEAD, 'm=audio 0 RTP/AVP 0', 'm=audio 4000 RTP/AVP 0'),
    );
    const next = buildOffer(CAPS, { addresses: ['203.0.113.5'], ports: [40000, 40002] }, previous);
    expect(next.media.map((m) => m.port)).toEqual([0, 40000, 40002]);
  });
});

describe('readAnswer', () => {
  const offer = buildOffer(CAPS, LOCAL);

  it('sends with the first codec of the answer', () => {
    const r = read(
      offer,
      'm=audio 30000 RTP/AVP 0 8 101',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
    );
    expect(r.streams).toHaveLength(1);
    expect(r.streams[0]).toMatchObject({
      index: 0,
      localPort: 40000,
      remote: { address: '198.51.100.20', port: 30000 },
      remoteRtcp: { address: '198.51.100.20', port: 30001 },
      direction: 'sendrecv',
      codec: { name: 'PCMU', sendPayloadType: 0, receivePayloadType: 0 },
      alternatives: [{ name: 'PCMA' }],
      telephoneEvent: { sendPayloadType: 101, receivePayloadType: 101, events: [{ from: 0, to: 15 }] },
    });
    expect(r.unexpectedFormats).toEqual([]);
  });

  it('sends with the numbers of the answer when they differ from ours (RFC 3264 §5.1)', () => {
    const r = read(
      offer,
      'm=audio 30000 RTP/AVP 100 96',
      'a=rtpmap:100 PCMA/8000',
      'a=rtpmap:96 telephone-event/8000',
    );
    expect(r.streams[0]!.codec).toMatchObject({ name: 'PCMA', sendPayloadType: 100, receivePayloadType: 8 });
    expect(r.streams[0]!.telephoneEvent).toMatchObject({ sendPayloadType: 96, receivePayloadType: 101 });
  });

  it('has no telephone-event when the answer leaves it out', () => {
    expect(read(offer, 'm=audio 30000 RTP/AVP 8').streams[0]!.telephoneEvent).toBeNull();
  });

  it('reports formats we did not offer, and sends only ours', () => {
    const r = read(offer, 'm=audio 30000 RTP/AVP 18 8 13', 'a=rtpmap:18 G729/8000');
    expect(r.streams[0]!.codec.name).toBe('PCMA');
    expect(r.unexpectedFormats).toEqual([
      { index: 0, payloadType: 18 },
      { index: 0, payloadType: 13 },
    ]);
  });

  it('agrees the direction: our sendonly hold against a recvonly answer', () => {
    const hold = buildOffer(CAPS, { ...LOCAL, direction: 'sendonly' });
    expect(read(hold, 'm=audio 30000 RTP/AVP 8', 'a=recvonly').streams[0]!.direction).toBe('sendonly');
    expect(read(hold, 'm=audio 30000 RTP/AVP 8', 'a=inactive').streams[0]!.direction).toBe('inactive');
    // A peer that wrongly answers sendrecv still gets no media from us beyond what we offered.
    expect(read(hold, 'm=audio 30000 RTP/AVP 8').streams[0]!.direction).toBe('sendonly');
  });

  it('does not send to an answer with c=0.0.0.0', () => {
    const r = readAnswer(
      offer,
      parsed(
        sdp(
          'v=0',
          'o=- 1 1 IN IP4 198.51.100.20',
          's=-',
          'c=IN IP4 0.0.0.0',
          't=0 0',
          'm=audio 30000 RTP/AVP 8',
        ),
      ),
    );
    if (!r.ok) throw new Error('unexpected error');
    expect(r.value.streams[0]).toMatchObject({ remote: null, direction: 'recvonly' });
  });

  it('multiplexes RTCP only when both sides said so', () => {
    expect(read(offer, 'm=audio 30000 RTP/AVP 8', 'a=rtcp-mux').streams[0]).toMatchObject({
      rtcpMux: true,
      remoteRtcp: { port: 30000 },
    });
    const noMux = buildOffer(capabilities({ codecs: ['PCMA'], rtcpMux: false }), LOCAL);
    expect(read(noMux, 'm=audio 30000 RTP/AVP 8', 'a=rtcp-mux').streams[0]!.rtcpMux).toBe(false);
  });

  it('ignores an answer that re-enables a stream we offered disabled', () => {
    const previous = parsed(sdp(...ANSWER_HEAD, 'm=audio 4000 RTP/AVP 0', 'm=video 0 RTP/AVP 96'));
    const reoffer = buildOffer(CAPS, LOCAL, previous);
    const r = read(reoffer, 'm=audio 30000 RTP/AVP 8', 'm=video 30002 RTP/AVP 96', 'a=rtpmap:96 VP8/90000');
    expect(r.streams.map((s) => s.index)).toEqual([0]);
  });

  it('refuses an answer with another number of m= lines (RFC 3264 §6)', () => {
    expect(mismatch(offer, 'm=audio 30000 RTP/AVP 8', 'm=video 0 RTP/AVP 96')).toMatch(/2 m= lines/);
    expect(mismatch(offer)).toMatch(/0 m= lines/);
  });

  it('refuses an answer that changes a media type', () => {
    expect(mismatch(offer, 'm=video 30000 RTP/AVP 8')).toMatch(/video/);
  });

  it('refuses an answer with none of our codecs', () => {
    expect(mismatch(offer, 'm=audio 30000 RTP/AVP 18 101', 'a=rtpmap:101 telephone-event/8000')).toMatch(
      /none of our codecs/,
    );
  });

  it('refuses an answer that rejects our only audio stream', () => {
    expect(mismatch(offer, 'm=audio 0 RTP/AVP 8')).toMatch(/no audio stream/);
  });
});
