import { describe, expect, it } from 'vitest';
import {
  type FramerEvent,
  parseMessage,
  parseVia,
  type SipMessage,
  StreamFramer,
  serializeMessage,
} from '../../../src/sip/message/index.js';

const CRLF = '\r\n';

function invite(callId: string, body = '', extra: string[] = []): Buffer {
  const lines = [
    'INVITE sip:bob@biloxi.com SIP/2.0',
    'Via: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.com>',
    'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
    `Call-ID: ${callId}`,
    'CSeq: 314159 INVITE',
    'Content-Type: application/sdp',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return Buffer.from(lines.join(CRLF) + CRLF + CRLF + body);
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function messages(events: FramerEvent[]): SipMessage[] {
  return events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
}

function callIds(events: FramerEvent[]): (string | undefined)[] {
  return messages(events).map((m) => m.headers.get('Call-ID'));
}

describe('StreamFramer', () => {
  it('frames a message whatever byte it is split at', () => {
    const wire = Buffer.concat([invite('one', SDP), invite('two', 'x')]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const framer = new StreamFramer();
      const events = [...framer.push(wire.subarray(0, cut)), ...framer.push(wire.subarray(cut))];
      expect(events.map((e) => e.type)).toEqual(['message', 'message']);
      expect(callIds(events)).toEqual(['one', 'two']);
      expect(messages(events)[0]?.body.toString()).toBe(SDP);
      expect(framer.bufferedBytes).toBe(0);
    }
  });

  it('frames a stream fed one byte at a time, equal to the datagram parse', () => {
    const wire = invite('bytewise', SDP);
    const framer = new StreamFramer();
    const events: FramerEvent[] = [];
    for (const byte of wire) events.push(...framer.push(Buffer.from([byte])));
    expect(events).toHaveLength(1);
    const direct = parseMessage(wire);
    if (!direct.ok) throw new Error(direct.error.reason);
    const [m] = messages(events);
    expect(serializeMessage(m!).equals(serializeMessage(direct.message))).toBe(true);
  });

  it('frames several messages and keep-alives in one chunk, in order', () => {
    const wire = Buffer.concat([
      Buffer.from('\r\n\r\n'),
      invite('a'),
      invite('b', SDP),
      Buffer.from('\r\n\r\n'),
      invite('c', 'hello'),
    ]);
    const events = new StreamFramer().push(wire);
    expect(events.map((e) => (e.type === 'message' ? e.message.headers.get('Call-ID') : e.type))).toEqual([
      'keepalive',
      'a',
      'b',
      'keepalive',
      'c',
    ]);
  });

  it('reports a CRLFCRLF ping to be answered, and a lone CRLF pong once it is known not to be a ping', () => {
    const framer = new StreamFramer();
    expect(framer.push(Buffer.from('\r\n\r\n'))).toEqual([{ type: 'keepalive', pong: true }]);
    // A ping split over two segments is still one ping.
    expect(framer.push(Buffer.from('\r\n'))).toEqual([]);
    expect(framer.push(Buffer.from('\r\n'))).toEqual([{ type: 'keepalive', pong: true }]);
    // A single CRLF (RFC 5626 pong) followed by a message.
    expect(framer.push(Buffer.from('\r\n'))).toEqual([]);
    const events = framer.push(invite('after-pong'));
    expect(events.map((e) => e.type)).toEqual(['keepalive', 'message']);
    expect(events[0]).toEqual({ type: 'keepalive', pong: false });
    // Two pings back to back.
    expect(framer.push(Buffer.from('\r\n\r\n\r\n\r\n'))).toEqual([
      { type: 'keepalive', pong: true },
      { type: 'keepalive', pong: true },
    ]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('refuses a 10 MB Content-Length with 413 without buffering the body', () => {
    const framer = new StreamFramer();
    const head = invite('huge')
      .toString()
      .replace('Content-Length: 0', `Content-Length: ${10 * 1024 * 1024}`);
    const events = framer.push(Buffer.from(head));
    expect(events).toHaveLength(1);
    const [e] = events;
    if (e?.type !== 'error') throw new Error('expected an error');
    expect(e.fatal).toBe(true);
    expect(e.error.status).toBe(413);
    expect(e.error.canRespond).toBe(true);
    expect(e.error.partial?.headers.get('Call-ID')).toBe('huge');
    expect(framer.bufferedBytes).toBe(0);
    const megabyte = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 10; i++) expect(framer.push(megabyte)).toEqual([]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('honours maxMessageSize for header section plus body', () => {
    const wire = invite('sized', 'x'.repeat(600));
    expect(messages(new StreamFramer({ maxMessageSize: wire.length }).push(wire))).toHaveLength(1);
    const [e] = new StreamFramer({ maxMessageSize: wire.length - 1 }).push(wire);
    expect(e?.type === 'error' && e.fatal && e.error.status).toBe(413);
  });

  it('treats a missing Content-Length as fatal: the stream cannot be framed (§18.3)', () => {
    const wire = Buffer.from(
      invite('no-length')
        .toString()
        .replace(/Content-Length: 0\r\n/, ''),
    );
    const framer = new StreamFramer();
    const events = framer.push(Buffer.concat([wire, invite('next')]));
    expect(events).toHaveLength(1);
    const [e] = events;
    if (e?.type !== 'error') throw new Error('expected an error');
    expect(e.fatal).toBe(true);
    expect(e.error.status).toBe(400);
    expect(e.error.reason).toMatch(/Content-Length/);
    expect(e.error.canRespond).toBe(true);
    expect(framer.push(invite('later'))).toEqual([]);
  });

  it('treats a malformed Content-Length as fatal', () => {
    const wire = invite('bad-length').toString().replace('Content-Length: 0', 'Content-Length: -5');
    const [e] = new StreamFramer().push(Buffer.from(wire));
    expect(e?.type === 'error' && e.fatal).toBe(true);
  });

  it('skips a malformed message that has a Content-Length and goes on', () => {
    const bad = invite('bad', 'abc')
      .toString()
      .replace('From: Alice <sip:alice@atlanta.com>', 'From: "Alice <sip:x@y>');
    const framer = new StreamFramer();
    const events = framer.push(Buffer.concat([Buffer.from(bad), invite('good')]));
    expect(events.map((e) => e.type)).toEqual(['error', 'message']);
    const [e] = events;
    if (e?.type !== 'error') throw new Error('expected an error');
    expect(e.fatal).toBe(false);
    expect(e.error.reason).toBe('Malformed From header');
    expect(e.error.canRespond).toBe(true);
    expect(e.error.partial?.body.toString()).toBe('abc');
    expect(callIds(events)).toEqual(['good']);
  });

  it('skips a response with a broken status line by its Content-Length (RFC 4475 bigcode)', () => {
    const bigcode = invite('big', 'abc')
      .toString()
      .replace('INVITE sip:bob@biloxi.com SIP/2.0', 'SIP/2.0 4294967301 better not break the receiver');
    const framer = new StreamFramer();
    const events = framer.push(Buffer.concat([Buffer.from(bigcode), invite('good')]));
    expect(events.map((e) => e.type)).toEqual(['error', 'message']);
    const [e] = events;
    if (e?.type !== 'error') throw new Error('expected an error');
    expect(e.fatal).toBe(false);
    expect(e.error.canRespond).toBe(false);
    expect(e.error.partial).toBeUndefined();
    expect(callIds(events)).toEqual(['good']);
  });

  it('parses 1,000 Via headers, or refuses them cleanly under a smaller header limit', () => {
    const vias = Array.from(
      { length: 1000 },
      (_, i) => `Via: SIP/2.0/TCP host${i}.example.com;branch=z9hG4bK${i}`,
    );
    const wire = invite('many-vias', '', vias);
    expect(wire.length).toBeLessThan(64 * 1024);
    const events = new StreamFramer().push(wire);
    const [m] = messages(events);
    expect(m?.headers.getAll('Via')).toHaveLength(1001);
    expect(parseVia(m!.headers.getAll('Via')[1000]!)?.host).toBe('host999.example.com');
    const datagram = parseMessage(wire);
    expect(datagram.ok).toBe(true);

    const limited = new StreamFramer({ maxHeaderBytes: 16 * 1024 });
    const refused: FramerEvent[] = [];
    for (let i = 0; i < wire.length; i += 1400) refused.push(...limited.push(wire.subarray(i, i + 1400)));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.type === 'error' && refused[0].fatal && refused[0].error.status).toBe(413);
    expect(limited.bufferedBytes).toBe(0);
  });

  it('refuses garbage without a header terminator once it exceeds the header limit', () => {
    const framer = new StreamFramer({ maxHeaderBytes: 8192 });
    const junk = Buffer.alloc(1000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 251;
    const events: FramerEvent[] = [];
    for (let i = 0; i < 20 && events.length === 0; i++) events.push(...framer.push(junk));
    expect(events).toHaveLength(1);
    expect(events[0]?.type === 'error' && events[0].fatal).toBe(true);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('refuses garbage with a header terminator (an HTTP request, a TLS record) as fatal', () => {
    const http = new StreamFramer().push(Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'));
    expect(http).toHaveLength(1);
    expect(http[0]?.type === 'error' && http[0].fatal).toBe(true);
    const tls = Buffer.concat([
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]),
      Buffer.from('\r\n\r\n'),
    ]);
    const t = new StreamFramer().push(tls);
    expect(t).toHaveLength(1);
    expect(t[0]?.type === 'error' && t[0].fatal).toBe(true);
  });

  it('reassembles a large body sent in many small segments', () => {
    const body = 'b'.repeat(60_000);
    const wire = invite('big-body', body);
    const framer = new StreamFramer();
    const events: FramerEvent[] = [];
    for (let i = 0; i < wire.length; i += 97) events.push(...framer.push(wire.subarray(i, i + 97)));
    const [m] = messages(events);
    expect(m?.body.length).toBe(60_000);
    expect(m?.body.toString()).toBe(body);
  });

  it('hands out bodies that later input cannot overwrite', () => {
    const framer = new StreamFramer();
    const first = messages(framer.push(invite('1', 'AAAA')));
    framer.push(invite('2', 'BBBB').subarray(0, 50));
    framer.push(Buffer.alloc(3000, 0x5a));
    expect(first[0]?.body.toString()).toBe('AAAA');
  });
});
