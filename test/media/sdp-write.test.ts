/** Writing SDP: exact wire lines, and write(parse(write(model))) = write(model) for generated models. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSdp } from '../../src/media/sdp/parse.js';
import type {
  Connection,
  MediaDescription,
  RtpFormat,
  SessionDescription,
} from '../../src/media/sdp/types.js';
import { writeSdp } from '../../src/media/sdp/write.js';

const V4: Connection = { family: 'IP4', address: '203.0.113.5' };

function audio(overrides: Partial<MediaDescription> = {}): MediaDescription {
  return {
    kind: 'audio',
    port: 40000,
    protocol: 'RTP/AVP',
    fmts: ['8', '101'],
    formats: [
      { payloadType: 8, name: 'PCMA', clockRate: 8000, channels: 1, fmtp: null },
      { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' },
    ],
    connection: V4,
    direction: 'sendrecv',
    ptime: 20,
    maxptime: null,
    rtcp: null,
    rtcpMux: false,
    telephoneEvent: null,
    ice: false,
    dtls: false,
    sdes: false,
    ...overrides,
  };
}

function description(media: MediaDescription[], connection: Connection | null = V4): SessionDescription {
  return {
    origin: { username: '-', sessionId: '77', sessionVersion: '3', connection: V4 },
    name: '',
    connection,
    media,
  };
}

const lines = (text: string): string[] => text.split('\r\n');

describe('writeSdp', () => {
  it('writes RFC 8866 line order with CRLF after every line', () => {
    const text = writeSdp(description([audio()]));
    expect(text).toBe(
      [
        'v=0',
        'o=- 77 3 IN IP4 203.0.113.5',
        's=-',
        'c=IN IP4 203.0.113.5',
        't=0 0',
        'm=audio 40000 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    );
    expect(text).not.toMatch(/[^\r]\n/);
  });

  it('writes a=rtcp only when RTCP is not on the next port of the same address (RFC 3605)', () => {
    const next = writeSdp(description([audio({ rtcp: { port: 40001, connection: null } })]));
    expect(next).not.toContain('a=rtcp:');
    const nextSame = writeSdp(description([audio({ rtcp: { port: 40001, connection: V4 } })]));
    expect(nextSame).not.toContain('a=rtcp:');
    expect(writeSdp(description([audio({ rtcp: { port: 40005, connection: null } })]))).toContain(
      'a=rtcp:40005\r\n',
    );
    const elsewhere = writeSdp(
      description([audio({ rtcp: { port: 40001, connection: { family: 'IP4', address: '192.0.2.9' } } })]),
    );
    expect(elsewhere).toContain('a=rtcp:40001 IN IP4 192.0.2.9\r\n');
  });

  it('writes a media-level c= only where it differs from the session', () => {
    const other: Connection = { family: 'IP6', address: '2001:db8::1' };
    const text = writeSdp(description([audio(), audio({ port: 40002, connection: other })]));
    expect(lines(text).filter((l) => l.startsWith('c='))).toEqual([
      'c=IN IP4 203.0.113.5',
      'c=IN IP6 2001:db8::1',
    ]);
    expect(lines(writeSdp(description([audio()], null))).filter((l) => l.startsWith('c='))).toEqual([
      'c=IN IP4 203.0.113.5',
    ]);
  });

  it('writes the channel count only when it is not 1', () => {
    const opus: RtpFormat = {
      payloadType: 111,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'useinbandfec=1',
    };
    const text = writeSdp(description([audio({ fmts: ['111'], formats: [opus] })]));
    expect(text).toContain('a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n');
  });

  it('writes a disabled stream as its m= line alone', () => {
    const off = audio({
      kind: 'video',
      port: 0,
      fmts: ['96'],
      formats: [],
      connection: null,
      direction: 'inactive',
    });
    expect(writeSdp(description([audio(), off])).endsWith('a=sendrecv\r\nm=video 0 RTP/AVP 96\r\n')).toBe(
      true,
    );
  });

  it('writes maxptime, rtcp-mux and every direction', () => {
    for (const direction of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
      const text = writeSdp(description([audio({ direction, maxptime: 40, rtcpMux: true })]));
      expect(text).toContain(`a=maxptime:40\r\na=${direction}\r\na=rtcp-mux\r\n`);
    }
  });

  it('never writes rtpmap for a payload type the m= line does not list', () => {
    const text = writeSdp(description([audio({ fmts: ['8'] })]));
    expect(text).not.toContain('a=rtpmap:101');
  });
});

// ---- generated models ----

const connectionArb: fc.Arbitrary<Connection> = fc.oneof(
  fc.ipV4().map((address) => ({ family: 'IP4' as const, address })),
  fc.ipV6().map((address) => ({ family: 'IP6' as const, address })),
);

const formatArb: fc.Arbitrary<RtpFormat> = fc.record({
  payloadType: fc.integer({ min: 0, max: 127 }),
  name: fc.oneof(
    fc.constantFrom('PCMU', 'PCMA', 'opus', 'telephone-event', 'G722', 'CN'),
    fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
  ),
  clockRate: fc.oneof(fc.constantFrom(8000, 16000, 48000, 90000), fc.integer({ min: 1, max: 0xffffffff })),
  channels: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 8 })),
  fmtp: fc.option(
    fc.oneof(
      fc.constantFrom('0-16', 'annexb=no', 'minptime=10;useinbandfec=1'),
      fc.stringMatching(/^[!-~][ -~]{0,30}$/),
    ),
    {
      nil: null,
    },
  ),
});

const RTP_PROTOCOLS = ['RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF'];

const mediaArb = (session: Connection | null): fc.Arbitrary<MediaDescription> =>
  fc
    .record({
      kind: fc.constantFrom('audio', 'video', 'application', 'image'),
      port: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65535 })),
      protocol: fc.constantFrom(...RTP_PROTOCOLS, 'udptl', 'UDP/DTLS/SCTP'),
      formats: fc.uniqueArray(formatArb, { selector: (f) => f.payloadType, maxLength: 6 }),
      // Dynamic numbers without an rtpmap: listed on the m= line, unknown to `formats`.
      unknown: fc.uniqueArray(fc.integer({ min: 96, max: 127 }), { maxLength: 2 }),
      tokens: fc.array(fc.constantFrom('t38', 'webrtc-datachannel', '*'), { minLength: 1, maxLength: 2 }),
      connection: fc.option(connectionArb, { nil: null }),
      direction: fc.constantFrom('sendrecv', 'sendonly', 'recvonly', 'inactive'),
      ptime: fc.option(fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(2.5, 22.5)), {
        nil: null,
      }),
      maxptime: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
      rtcp: fc.option(
        fc.record({
          port: fc.integer({ min: 1, max: 65535 }),
          connection: fc.option(connectionArb, { nil: null }),
        }),
        {
          nil: null,
        },
      ),
      rtcpMux: fc.boolean(),
      fallback: connectionArb,
    })
    .map(({ unknown, tokens, fallback, ...m }) => {
      const rtp = RTP_PROTOCOLS.includes(m.protocol);
      const formats = rtp ? m.formats : [];
      const pts = formats.map((f) => f.payloadType);
      const fmts = rtp ? [...pts, ...unknown.filter((pt) => !pts.includes(pt))].map(String) : tokens;
      return {
        ...m,
        formats,
        // An m= line lists one format at least; a bare dynamic number stays unknown after parsing.
        fmts: fmts.length > 0 ? fmts : ['96'],
        // RFC 8866 §5.7: a live stream needs an address from somewhere.
        connection: m.connection ?? (session === null && m.port !== 0 ? fallback : null),
        telephoneEvent: null,
        ice: false,
        dtls: false,
        sdes: false,
      };
    });

const descriptionArb: fc.Arbitrary<SessionDescription> = fc
  .option(connectionArb, { nil: null })
  .chain((connection) =>
    fc.record({
      origin: fc.record({
        username: fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/),
        sessionId: fc.stringMatching(/^\d{1,20}$/),
        sessionVersion: fc.stringMatching(/^\d{1,20}$/),
        connection: connectionArb,
      }),
      name: fc.oneof(fc.constant(''), fc.constant('-'), fc.stringMatching(/^[!-~][ -~]{0,20}$/)),
      connection: fc.constant(connection),
      media: fc.array(mediaArb(connection), { maxLength: 4 }),
    }),
  );

describe('write and parse agree', () => {
  it('write(parse(write(model))) = write(model)', () => {
    fc.assert(
      fc.property(descriptionArb, (model) => {
        const text = writeSdp(model);
        const back = parseSdp(text);
        if (!back.ok) throw new Error(`${JSON.stringify(back.error)}\n${text}`);
        expect(writeSdp(back.value)).toBe(text);
      }),
      { numRuns: 400 },
    );
  });

  it('parse keeps what the model says about live streams', () => {
    fc.assert(
      fc.property(descriptionArb, (model) => {
        const back = parseSdp(writeSdp(model));
        if (!back.ok) throw new Error(back.error.message);
        expect(back.value.origin).toEqual(model.origin);
        back.value.media.forEach((m, i) => {
          const want = model.media[i]!;
          expect([m.kind, m.port, m.protocol]).toEqual([want.kind, want.port, want.protocol]);
          if (want.port === 0) return;
          expect(m.direction).toBe(want.direction);
          expect(m.connection).toEqual(want.connection ?? model.connection);
          expect(m.formats.map((f) => f.payloadType)).toEqual(want.formats.map((f) => f.payloadType));
        });
      }),
      { numRuns: 300 },
    );
  });
});
