/** SDP parsing (RFC 8866): resolution of session-level defaults, formats, and typed refusals of bad bodies. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../src/media/sdp/events.js';
import { parseSdp } from '../../src/media/sdp/parse.js';
import type { SessionDescription } from '../../src/media/sdp/types.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const HEAD = ['v=0', 'o=- 100 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.value;
}

function errorOf(text: string) {
  const r = parseSdp(text);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('parseSdp: session and media', () => {
  it('reads the o= line, keeping ids past 2^53 exact', () => {
    const d = parsed(
      sdp('v=0', 'o=alice 4611731400430051336 18446744073709551615 IN IP4 127.0.0.1', 's=x', 't=0 0'),
    );
    expect(d.origin).toEqual({
      username: 'alice',
      sessionId: '4611731400430051336',
      sessionVersion: '18446744073709551615',
      connection: { family: 'IP4', address: '127.0.0.1' },
    });
    expect(d.name).toBe('x');
    expect(d.media).toEqual([]);
  });

  it('keeps numeric-looking strings as text (s=1, codec named 1016)', () => {
    const d = parsed(
      sdp(
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=1',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 4000 RTP/AVP 1',
        'a=rtpmap:1 1016/8000',
      ),
    );
    expect(d.name).toBe('1');
    expect(d.media[0]!.formats[0]).toMatchObject({ payloadType: 1, name: '1016', clockRate: 8000 });
  });

  it('resolves a media connection from session level, and a media-level c= over it', () => {
    const d = parsed(
      sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 0', 'c=IN IP4 198.51.100.9'),
    );
    expect(d.connection).toEqual({ family: 'IP4', address: '192.0.2.1' });
    expect(d.media[0]!.connection).toEqual({ family: 'IP4', address: '192.0.2.1' });
    expect(d.media[1]!.connection).toEqual({ family: 'IP4', address: '198.51.100.9' });
  });

  it('accepts c= only at media level (Chrome, SIP.js)', () => {
    const d = parsed(
      sdp('v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 RTP/AVP 0', 'c=IN IP4 203.0.113.4'),
    );
    expect(d.connection).toBeNull();
    expect(d.media[0]!.connection).toEqual({ family: 'IP4', address: '203.0.113.4' });
  });

  it('reads IPv6 connection addresses', () => {
    const d = parsed(
      sdp(
        'v=0',
        'o=- 1 1 IN IP6 2001:db8::10',
        's=-',
        'c=IN IP6 2001:db8::10',
        't=0 0',
        'm=audio 20000 RTP/AVP 8',
        'a=rtcp:20001 IN IP6 2001:db8::11',
      ),
    );
    expect(d.origin.connection).toEqual({ family: 'IP6', address: '2001:db8::10' });
    expect(d.media[0]!.connection).toEqual({ family: 'IP6', address: '2001:db8::10' });
    expect(d.media[0]!.rtcp).toEqual({ port: 20001, connection: { family: 'IP6', address: '2001:db8::11' } });
  });

  it('drops the multicast TTL suffix and accepts a domain name', () => {
    const d = parsed(
      sdp(
        ...HEAD.slice(0, 3),
        'c=IN IP4 224.2.1.1/127',
        't=0 0',
        'm=audio 4000 RTP/AVP 0',
        'c=IN IP4 media.example.com',
      ),
    );
    expect(d.connection).toEqual({ family: 'IP4', address: '224.2.1.1' });
    expect(d.media[0]!.connection).toEqual({ family: 'IP4', address: 'media.example.com' });
  });

  it('knows static payload types without rtpmap (RFC 3551) and prefers an rtpmap when given', () => {
    const d = parsed(sdp(...HEAD, 'm=audio 4000 RTP/AVP 0 8 9 18 13', 'a=rtpmap:18 G729/8000'));
    expect(d.media[0]!.formats.map((f) => [f.payloadType, f.name, f.clockRate])).toEqual([
      [0, 'PCMU', 8000],
      [8, 'PCMA', 8000],
      [9, 'G722', 8000],
      [18, 'G729', 8000],
      [13, 'CN', 8000],
    ]);
  });

  it('leaves out dynamic types without rtpmap, repeats and non-numbers but keeps them in fmts', () => {
    const d = parsed(
      sdp(
        ...HEAD,
        'm=audio 4000 RTP/AVP 96 0 0 x 200 97',
        'a=rtpmap:97 opus/48000/2',
        'a=rtpmap:98 speex/8000',
      ),
    );
    const m = d.media[0]!;
    expect(m.fmts).toEqual(['96', '0', '0', 'x', '200', '97']);
    expect(m.formats.map((f) => f.payloadType)).toEqual([0, 97]);
    expect(m.formats[1]).toEqual({
      payloadType: 97,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: null,
    });
  });

  it('attaches fmtp parameters verbatim', () => {
    const d = parsed(
      sdp(
        ...HEAD,
        'm=audio 4000 RTP/AVP 18 101',
        'a=fmtp:18 annexb=no',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
      ),
    );
    expect(d.media[0]!.formats.map((f) => f.fmtp)).toEqual(['annexb=no', '0-15']);
  });

  it('takes the direction from media level, else session level, else sendrecv', () => {
    const d = parsed(
      sdp(...HEAD, 'a=sendonly', 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 0', 'a=inactive'),
    );
    expect(d.media.map((m) => m.direction)).toEqual(['sendonly', 'inactive']);
    expect(parsed(sdp(...HEAD, 'm=audio 4000 RTP/AVP 0')).media[0]!.direction).toBe('sendrecv');
  });

  it('reads ptime, maxptime, rtcp and rtcp-mux', () => {
    const d = parsed(
      sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=ptime:30', 'a=maxptime:60', 'a=rtcp:4005', 'a=rtcp-mux'),
    );
    expect(d.media[0]).toMatchObject({
      ptime: 30,
      maxptime: 60,
      rtcp: { port: 4005, connection: null },
      rtcpMux: true,
    });
    const plain = parsed(sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=ptime:abc')).media[0]!;
    expect(plain).toMatchObject({ ptime: null, maxptime: null, rtcp: null, rtcpMux: false });
  });

  it('takes a session-level ptime when the media has none', () => {
    expect(parsed(sdp(...HEAD, 'a=ptime:30', 'm=audio 4000 RTP/AVP 0')).media[0]!.ptime).toBe(30);
  });

  it('finds the 8 kHz telephone-event among several, with its event list', () => {
    const d = parsed(
      sdp(
        ...HEAD,
        'm=audio 4000 RTP/AVP 111 0 110 126',
        'a=rtpmap:111 opus/48000/2',
        'a=rtpmap:110 telephone-event/48000',
        'a=rtpmap:126 telephone-event/8000',
        'a=fmtp:126 0-15,66',
      ),
    );
    expect(d.media[0]!.telephoneEvent).toEqual({
      payloadType: 126,
      clockRate: 8000,
      events: [
        { from: 0, to: 15 },
        { from: 66, to: 66 },
      ],
    });
  });

  it('has no telephone-event when none is listed', () => {
    expect(parsed(sdp(...HEAD, 'm=audio 4000 RTP/AVP 0')).media[0]!.telephoneEvent).toBeNull();
  });

  it('reads non-RTP m= lines with their tokens and no formats', () => {
    const d = parsed(
      sdp(...HEAD, 'm=image 4004 udptl t38', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel'),
    );
    expect(d.media.map((m) => [m.kind, m.protocol, m.fmts, m.formats])).toEqual([
      ['image', 'udptl', ['t38'], []],
      ['application', 'UDP/DTLS/SCTP', ['webrtc-datachannel'], []],
    ]);
  });

  it('tolerates LF-only line ends, a missing final line end, trailing blank lines and unknown attributes', () => {
    const d = parsed(
      `${[...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=x-vendor:whatever', 'a=label:1'].join('\n')}\n\n`,
    );
    expect(d.media[0]!.port).toBe(4000);
    expect(parsed(sdp(...HEAD, 'm=audio 4000 RTP/AVP 0').trimEnd()).media).toHaveLength(1);
  });

  it('accepts a disabled stream without c= or formats', () => {
    const d = parsed(
      sdp(
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        't=0 0',
        'm=audio 4000 RTP/AVP 0',
        'c=IN IP4 192.0.2.1',
        'm=video 0 RTP/AVP',
      ),
    );
    expect(d.media[1]).toMatchObject({ kind: 'video', port: 0, fmts: [], connection: null });
  });
});

describe('parseSdp: refusals', () => {
  it.each([
    ['an empty body', ''],
    ['blank lines', '\r\n\r\n'],
    ['plain text', 'hello world'],
    ['JSON', '{"v":0}'],
    ['a body not starting with v=0', sdp('o=- 1 1 IN IP4 192.0.2.1', 'v=0')],
    ['version 1', sdp('v=1', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0')],
    ['a second v=', sdp(...HEAD, 'v=0')],
    ['no o= line', sdp('v=0', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 0')],
    ['o= with a non-numeric id', sdp('v=0', 'o=- abc 1 IN IP4 192.0.2.1', 's=-', 't=0 0')],
    ['o= cut short', sdp('v=0', 'o=- 1 1', 's=-', 't=0 0')],
    ['o= inside a media section', sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'o=- 1 1 IN IP4 192.0.2.1')],
    ['a line without =', sdp(...HEAD, 'garbage', 'm=audio 4000 RTP/AVP 0')],
    ['an upper-case type', sdp(...HEAD, 'M=audio 4000 RTP/AVP 0')],
    ['an unknown type letter', sdp(...HEAD, 'x=1', 'm=audio 4000 RTP/AVP 0')],
    ['a leading space', sdp(...HEAD, ' m=audio 4000 RTP/AVP 0')],
    [
      'c= without an address',
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4', 't=0 0', 'm=audio 4000 RTP/AVP 0'),
    ],
    [
      'c= with a bad IPv4 address',
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 300.1.1.1', 't=0 0'),
    ],
    [
      'c= IP6 with an IPv4 address',
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP6 192.0.2.1', 't=0 0'),
    ],
    [
      'c= IP4 with an IPv6 address',
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 2001:db8::1', 't=0 0'),
    ],
    ['a bad media-level c=', sdp(...HEAD, 'm=audio 4000 RTP/AVP 0', 'c=IN IP7 1.2.3.4')],
    ['no c= anywhere', sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0')],
    ['a non-numeric port', sdp(...HEAD, 'm=audio abc RTP/AVP 0')],
    ['a port above 65535', sdp(...HEAD, 'm=audio 70000 RTP/AVP 0')],
    ['m= without formats', sdp(...HEAD, 'm=audio 4000 RTP/AVP')],
    ['m= with only a type', sdp(...HEAD, 'm=audio')],
  ])('refuses %s as malformed (400)', (_name, text) => {
    const e = errorOf(text);
    expect(e.code).toBe('malformed');
    expect(e.status).toBe(400);
    expect(e.message.length).toBeGreaterThan(0);
  });

  it('names the offending line', () => {
    const e = errorOf(sdp(...HEAD, 'm=audio abc RTP/AVP 0'));
    expect(e).toMatchObject({ code: 'malformed', line: 6 });
    expect(errorOf(sdp(...HEAD, 'oops'))).toMatchObject({ line: 6 });
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const r = parseSdp(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on a valid body with lines dropped, repeated or cut', () => {
    const lines = [
      ...HEAD,
      'm=audio 4000 RTP/AVP 0 8 101',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=rtcp:4001 IN IP4 192.0.2.1',
      'a=ptime:20',
      'a=sendrecv',
      'm=video 4002 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
    ];
    const edit = fc.record({
      index: fc.nat(lines.length - 1),
      op: fc.constantFrom('drop', 'repeat', 'cut'),
      at: fc.nat(40),
    });
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 4 }), (edits) => {
        const out = [...lines];
        for (const e of edits) {
          const i = e.index % out.length;
          if (e.op === 'drop') out.splice(i, 1);
          else if (e.op === 'repeat') out.splice(i, 0, out[i]!);
          else out[i] = out[i]!.slice(0, e.at);
          if (out.length === 0) return;
        }
        const r = parseSdp(sdp(...out));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});

describe('telephone-event lists (RFC 4733)', () => {
  it('reads ranges and single events, merging and sorting them', () => {
    expect(parseEvents('0-15,66,70')).toEqual([
      { from: 0, to: 15 },
      { from: 66, to: 66 },
      { from: 70, to: 70 },
    ]);
    expect(parseEvents('16, 0-11,12-15')).toEqual([{ from: 0, to: 16 }]);
    expect(parseEvents('events=0-15')).toEqual([{ from: 0, to: 15 }]);
  });

  it('assumes 0-15 without a list or with an unreadable one', () => {
    expect(parseEvents(null)).toEqual([{ from: 0, to: 15 }]);
    expect(parseEvents('junk')).toEqual([{ from: 0, to: 15 }]);
    expect(parseEvents('5-2,300')).toEqual([{ from: 0, to: 15 }]);
  });
});
