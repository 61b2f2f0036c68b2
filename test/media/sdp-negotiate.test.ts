/** RFC 3264 §6 answers: codec choice and payload type numbers, telephone-event, direction and hold, refusals. */
import { describe, expect, it } from 'vitest';
import { type CapabilityOptions, capabilities, type LocalMedia } from '../../src/media/sdp/capabilities.js';
import { type Answer, answerOffer } from '../../src/media/sdp/negotiate.js';
import { parseSdp } from '../../src/media/sdp/parse.js';
import type { SessionDescription } from '../../src/media/sdp/types.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const HEAD = ['v=0', 'o=- 100 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
const LOCAL: LocalMedia = { addresses: ['203.0.113.5'], ports: [40000] };

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

function answer(
  lines: string[],
  options: Partial<CapabilityOptions> = {},
  local: LocalMedia = LOCAL,
  head: string[] = HEAD,
): Answer {
  const r = answerOffer(
    parsed(sdp(...head, ...lines)),
    capabilities({ codecs: ['PCMA', 'PCMU'], ...options }),
    local,
  );
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

function refusal(
  lines: string[],
  options: Partial<CapabilityOptions> = {},
  local: LocalMedia = LOCAL,
  head = HEAD,
) {
  const r = answerOffer(
    parsed(sdp(...head, ...lines)),
    capabilities({ codecs: ['PCMA', 'PCMU'], ...options }),
    local,
  );
  if (r.ok) throw new Error('expected a refusal');
  return r.error;
}

const TE101 = ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'];

describe('codec choice', () => {
  it('follows our preference by default', () => {
    const a = answer(['m=audio 4000 RTP/AVP 0 8 101', ...TE101]);
    expect(a.body.media[0]!.fmts).toEqual(['8', '101']);
    expect(a.streams[0]!.codec).toEqual({
      name: 'PCMA',
      clockRate: 8000,
      channels: 1,
      fmtp: null,
      sendPayloadType: 8,
      receivePayloadType: 8,
    });
  });

  it("follows the offerer's order when told to", () => {
    const a = answer(['m=audio 4000 RTP/AVP 0 8 101', ...TE101], { prefer: 'remote' });
    expect(a.body.media[0]!.fmts).toEqual(['0', '101']);
  });

  it('lists every common codec in the chosen order when not limited to one', () => {
    const local = answer(['m=audio 4000 RTP/AVP 18 0 9 8 101', ...TE101], { singleCodec: false });
    expect(local.body.media[0]!.fmts).toEqual(['8', '0', '101']);
    expect(local.streams[0]!.alternatives.map((c) => c.name)).toEqual(['PCMU']);
    const remote = answer(['m=audio 4000 RTP/AVP 18 0 9 8 101', ...TE101], {
      singleCodec: false,
      prefer: 'remote',
    });
    expect(remote.body.media[0]!.fmts).toEqual(['0', '8', '101']);
  });

  it('keeps the offered numbers of dynamic payload types (RFC 3264 §6.1)', () => {
    const a = answer(
      [
        'm=audio 4000 RTP/AVP 107 0 110 101',
        'a=rtpmap:107 opus/48000/2',
        'a=fmtp:107 useinbandfec=1;minptime=10',
        'a=rtpmap:110 telephone-event/48000',
        ...TE101,
      ],
      { codecs: ['opus', 'PCMU'] },
    );
    expect(a.body.media[0]!.fmts).toEqual(['107', '110']);
    expect(a.body.media[0]!.formats[0]).toMatchObject({
      payloadType: 107,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
    });
    expect(a.streams[0]!.codec).toMatchObject({ sendPayloadType: 107, fmtp: 'useinbandfec=1;minptime=10' });
    // RFC 4733 §2.1: the events go with the codec's clock, so the 48 kHz telephone-event.
    expect(a.streams[0]!.telephoneEvent).toMatchObject({ sendPayloadType: 110, clockRate: 48000 });
  });

  it('keeps an unusual number for a static codec given by rtpmap', () => {
    const a = answer(['m=audio 4000 RTP/AVP 98 101', 'a=rtpmap:98 PCMA/8000', ...TE101]);
    expect(a.body.media[0]!.fmts).toEqual(['98', '101']);
    expect(a.streams[0]!.codec.sendPayloadType).toBe(98);
  });

  it('matches encoding names case-insensitively and writes ours', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8', 'a=rtpmap:8 pcma/8000']);
    expect(a.body.media[0]!.formats[0]!.name).toBe('PCMA');
  });

  it('takes a codec offered twice under its first number', () => {
    const a = answer(['m=audio 4000 RTP/AVP 97 8', 'a=rtpmap:97 PCMA/8000'], { singleCodec: false });
    expect(a.body.media[0]!.fmts).toEqual(['97']);
  });

  it('never chooses telephone-event or comfort noise as the codec', () => {
    const a = answer(['m=audio 4000 RTP/AVP 13 101 0', ...TE101], { prefer: 'remote' });
    expect(a.streams[0]!.codec.name).toBe('PCMU');
    expect(a.body.media[0]!.fmts).toEqual(['0', '101']);
  });

  it('does not take a codec at another clock rate or channel count', () => {
    const e = refusal(['m=audio 4000 RTP/AVP 96 97', 'a=rtpmap:96 PCMA/16000', 'a=rtpmap:97 PCMU/8000/2']);
    expect(e).toMatchObject({ code: 'not-acceptable', warning: { code: 305 } });
  });
});

describe('telephone-event', () => {
  it.each([
    ['101', ['m=audio 4000 RTP/AVP 8 101', ...TE101], 101],
    ['96', ['m=audio 4000 RTP/AVP 8 96', 'a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-15'], 96],
    ['127', ['m=audio 4000 RTP/AVP 8 127', 'a=rtpmap:127 telephone-event/8000'], 127],
  ])('is answered with the offered number %s', (_pt, lines, pt) => {
    const a = answer(lines);
    expect(a.body.media[0]!.fmts).toEqual(['8', String(pt)]);
    expect(a.streams[0]!.telephoneEvent).toMatchObject({
      sendPayloadType: pt,
      receivePayloadType: pt,
      clockRate: 8000,
    });
  });

  it('is left out when not offered', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8']);
    expect(a.body.media[0]!.fmts).toEqual(['8']);
    expect(a.body.media[0]!.telephoneEvent).toBeNull();
    expect(a.streams[0]!.telephoneEvent).toBeNull();
  });

  it('is left out when we do not do it', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8 101', ...TE101], { telephoneEvent: false });
    expect(a.body.media[0]!.fmts).toEqual(['8']);
  });

  it('is left out when offered only at another clock rate than the codec', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8 110', 'a=rtpmap:110 telephone-event/48000']);
    expect(a.body.media[0]!.fmts).toEqual(['8']);
  });

  it('answers the events both sides know', () => {
    const narrow = answer([
      'm=audio 4000 RTP/AVP 8 101',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-11',
    ]);
    expect(narrow.body.media[0]!.formats[1]!.fmtp).toBe('0-11');
    const wide = answer([
      'm=audio 4000 RTP/AVP 8 101',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15,32-36,66',
    ]);
    expect(wide.body.media[0]!.formats[1]!.fmtp).toBe('0-15');
    // Without a list the offerer means 0-15 (RFC 4733); the answer says so explicitly.
    const none = answer(['m=audio 4000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000']);
    expect(none.body.media[0]!.formats[1]!.fmtp).toBe('0-15');
    expect(none.streams[0]!.telephoneEvent!.events).toEqual([{ from: 0, to: 15 }]);
  });

  it('is left out when no event is common', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 32-36']);
    expect(a.body.media[0]!.fmts).toEqual(['8']);
  });
});

describe('direction and hold', () => {
  it.each([
    ['sendrecv', 'sendrecv'],
    ['sendonly', 'recvonly'],
    ['recvonly', 'sendonly'],
    ['inactive', 'inactive'],
  ] as const)('answers %s with %s (RFC 3264 §6.1)', (offered, answered) => {
    const a = answer(['m=audio 4000 RTP/AVP 8', `a=${offered}`]);
    expect(a.body.media[0]!.direction).toBe(answered);
    expect(a.streams[0]!.direction).toBe(answered);
  });

  it('narrows by what we want: sendonly to hold the peer, inactive when both hold', () => {
    const local = { ...LOCAL, direction: 'sendonly' } as const;
    expect(answer(['m=audio 4000 RTP/AVP 8'], {}, local).body.media[0]!.direction).toBe('sendonly');
    expect(answer(['m=audio 4000 RTP/AVP 8', 'a=sendonly'], {}, local).body.media[0]!.direction).toBe(
      'inactive',
    );
  });

  it('follows a session-level direction', () => {
    const a = answer(['a=sendonly', 'm=audio 4000 RTP/AVP 8']);
    expect(a.body.media[0]!.direction).toBe('recvonly');
  });

  it('treats c=0.0.0.0 as old-style hold: nothing is sent to it (RFC 3264 §8.4)', () => {
    const head = ['v=0', 'o=- 100 2 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0'];
    const a = answer(['m=audio 4000 RTP/AVP 8'], {}, LOCAL, head);
    expect(a.body.media[0]!.direction).toBe('recvonly');
    expect(a.streams[0]).toMatchObject({ remote: null, remoteRtcp: null, direction: 'recvonly' });
    expect(a.body.media[0]!.connection).toEqual({ family: 'IP4', address: '203.0.113.5' });
    const inactive = answer(['m=audio 4000 RTP/AVP 8', 'a=inactive'], {}, LOCAL, head);
    expect(inactive.body.media[0]!.direction).toBe('inactive');
  });

  it('treats c=:: the same for IPv6', () => {
    const head = ['v=0', 'o=- 100 2 IN IP6 2001:db8::10', 's=-', 'c=IN IP6 ::', 't=0 0'];
    const a = answer(['m=audio 4000 RTP/AVP 8'], {}, { addresses: ['2001:db8::1'], ports: [40000] }, head);
    expect(a.streams[0]).toMatchObject({ remote: null, direction: 'recvonly' });
  });
});

describe('streams, transports and addresses', () => {
  it('refuses video in its place with port 0 and one of its formats', () => {
    const a = answer([
      'm=video 5000 RTP/AVP 96 97',
      'a=rtpmap:96 H264/90000',
      'm=audio 4000 RTP/AVP 8',
      'm=application 5002 UDP/BFCP *',
    ]);
    expect(a.body.media.map((m) => [m.kind, m.port, m.protocol, m.fmts])).toEqual([
      ['video', 0, 'RTP/AVP', ['96']],
      ['audio', 40000, 'RTP/AVP', ['8']],
      ['application', 0, 'UDP/BFCP', ['*']],
    ]);
    expect(a.streams).toHaveLength(1);
    expect(a.streams[0]!.index).toBe(1);
  });

  it('takes as many audio streams as we have relay ports and refuses the rest', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8', 'm=audio 4002 RTP/AVP 0']);
    expect(a.body.media.map((m) => m.port)).toEqual([40000, 0]);
    const two = answer(
      ['m=audio 4000 RTP/AVP 8', 'm=audio 4002 RTP/AVP 0'],
      {},
      { addresses: ['203.0.113.5'], ports: [40000, 40002] },
    );
    expect(two.body.media.map((m) => m.port)).toEqual([40000, 40002]);
    expect(two.streams.map((s) => s.codec.name)).toEqual(['PCMA', 'PCMU']);
  });

  it('takes the RTP/AVP copy of a best-effort SRTP offer (SAVP and AVP side by side)', () => {
    const a = answer([
      'm=audio 4000 RTP/SAVP 8',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
      'm=audio 4002 RTP/AVP 8',
    ]);
    expect(a.body.media.map((m) => m.port)).toEqual([0, 40000]);
    expect(a.streams[0]!.remote).toEqual({ address: '192.0.2.1', port: 4002 });
  });

  it('answers an IPv6 offer from our IPv6 address', () => {
    const head = ['v=0', 'o=- 1 1 IN IP6 2001:db8::10', 's=-', 'c=IN IP6 2001:db8::10', 't=0 0'];
    const a = answer(
      ['m=audio 20000 RTP/AVP 8'],
      {},
      { addresses: ['203.0.113.5', '2001:db8::1'], ports: [40000] },
      head,
    );
    expect(a.body.connection).toEqual({ family: 'IP6', address: '2001:db8::1' });
    expect(a.streams[0]!.remote).toEqual({ address: '2001:db8::10', port: 20000 });
  });

  it('multiplexes RTCP only when offered and allowed (RFC 5761, RFC 8035)', () => {
    const muxed = answer(['m=audio 4000 RTP/AVP 8', 'a=rtcp-mux']);
    expect(muxed.body.media[0]!.rtcpMux).toBe(true);
    expect(muxed.streams[0]!.remoteRtcp).toEqual({ address: '192.0.2.1', port: 4000 });
    expect(answer(['m=audio 4000 RTP/AVP 8', 'a=rtcp-mux'], { rtcpMux: false }).body.media[0]!.rtcpMux).toBe(
      false,
    );
    expect(answer(['m=audio 4000 RTP/AVP 8']).body.media[0]!.rtcpMux).toBe(false);
  });

  it('sends RTCP where a=rtcp says (RFC 3605)', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8', 'a=rtcp:5005 IN IP4 192.0.2.99']);
    expect(a.streams[0]!.remoteRtcp).toEqual({ address: '192.0.2.99', port: 5005 });
  });

  it('asks for our ptime and reports the one the peer wants', () => {
    const a = answer(['m=audio 4000 RTP/AVP 8', 'a=ptime:30']);
    expect(a.body.media[0]!.ptime).toBe(20);
    expect(a.streams[0]!.ptime).toBe(30);
    expect(answer(['m=audio 4000 RTP/AVP 8'], { ptime: null }).body.media[0]!.ptime).toBeNull();
  });
});

describe('488 Not Acceptable Here', () => {
  it.each([
    ['no common codec', ['m=audio 4000 RTP/AVP 18 4', 'a=rtpmap:18 G729/8000'], 305],
    ['only telephone-event', ['m=audio 4000 RTP/AVP 101', ...TE101], 305],
    ['only comfort noise', ['m=audio 4000 RTP/AVP 13'], 305],
    ['only video', ['m=video 5000 RTP/AVP 96', 'a=rtpmap:96 VP8/90000'], 304],
    ['audio disabled with port 0', ['m=audio 0 RTP/AVP 8'], 304],
    ['no m= line at all', [], 304],
    ['fax only (T.38)', ['m=image 4000 udptl t38'], 304],
    [
      'SDES-SRTP only',
      [
        'm=audio 4000 RTP/SAVP 8',
        'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      ],
      302,
    ],
  ] as const)('for %s, with Warning %i', (_name, lines, code) => {
    const e = refusal([...lines]);
    expect(e.code).toBe('not-acceptable');
    expect(e.status).toBe(488);
    if (e.code === 'not-acceptable') {
      expect(e.warning.code).toBe(code);
      expect(e.warning.text.length).toBeGreaterThan(0);
    }
  });

  it('for an IPv6-only offer to an IPv4-only relay, with Warning 301', () => {
    const head = ['v=0', 'o=- 1 1 IN IP6 2001:db8::10', 's=-', 'c=IN IP6 2001:db8::10', 't=0 0'];
    expect(refusal(['m=audio 20000 RTP/AVP 8'], {}, LOCAL, head)).toMatchObject({ warning: { code: 301 } });
  });

  it('when we have no codec at all', () => {
    expect(refusal(['m=audio 4000 RTP/AVP 8'], { codecs: [] })).toMatchObject({ warning: { code: 305 } });
  });
});
