import { describe, expect, it } from 'vitest';
import {
  Headers,
  type ParseError,
  parseMessage,
  parseUri,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from '../../../src/sip/message/index.js';

const CRLF = '\r\n';

/** A valid request with the given extra header lines and body. */
function request(extra: string[] = [], body = '', opts: { contentLength?: boolean } = {}): Buffer {
  const lines = [
    'INVITE sip:bob@biloxi.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.com>',
    'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710@pc33.atlanta.com',
    'CSeq: 314159 INVITE',
    ...extra,
  ];
  if (opts.contentLength !== false) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(lines.join(CRLF) + CRLF + CRLF + body, 'utf8');
}

function ok(data: Buffer | string): SipMessage {
  const r = parseMessage(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  if (!r.ok) throw new Error(r.error.reason);
  return r.message;
}

function req(data: Buffer | string): SipRequest {
  const m = ok(data);
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

function fail(data: Buffer | string, opts?: { maxSize?: number }): ParseError {
  const r = parseMessage(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, opts);
  if (r.ok) throw new Error('parsed');
  return r.error;
}

describe('parseMessage: start line', () => {
  it('parses a request line', () => {
    const m = req(request());
    expect(m.method).toBe('INVITE');
    expect(m.rawUri).toBe('sip:bob@biloxi.com');
    expect(m.uri.user).toBe('bob');
    expect(m.body.length).toBe(0);
  });

  it('keeps extension methods and their case (methods are case-sensitive, §7.1)', () => {
    const text = request()
      .toString()
      .replace('INVITE sip', 'fooBar sip')
      .replace('314159 INVITE', '314159 fooBar');
    expect(req(text).method).toBe('fooBar');
  });

  it('parses a status line, with an empty or missing reason phrase', () => {
    const resp = (line: string): SipResponse => {
      const m = ok(`${line}${CRLF}${request().toString().split(CRLF).slice(1).join(CRLF)}`);
      if (m.kind !== 'response') throw new Error('not a response');
      return m;
    };
    expect(resp('SIP/2.0 180 Ringing')).toMatchObject({ status: 180, reason: 'Ringing' });
    expect(resp('SIP/2.0 486 Busy Here')).toMatchObject({ status: 486, reason: 'Busy Here' });
    expect(resp('SIP/2.0 100 ')).toMatchObject({ status: 100, reason: '' });
    expect(resp('SIP/2.0 200')).toMatchObject({ status: 200, reason: '' });
  });

  it.each([
    ['SIP/2.0 1000 Too Long', 'four digits'],
    ['SIP/2.0 99 Low', 'two digits'],
    ['SIP/2.0 099 Low', 'below 100'],
    ['SIP/2.0 700 High', 'above 699'],
    ['SIP/2.0 2OO OK', 'not digits'],
    ['SIP/2.0  200 OK', 'two spaces'],
    ['SIP/3.0 200 OK', 'other version'],
    ['SIP/2.0', 'no status'],
  ])('drops a response with a bad status line: %j (%s)', (line) => {
    const text = `${line}${CRLF}${request().toString().split(CRLF).slice(1).join(CRLF)}`;
    const e = fail(text);
    expect(e.canRespond).toBe(false);
    expect(e.partial).toBeUndefined();
  });

  it.each([
    ['INVITE  sip:bob@biloxi.com SIP/2.0', 400],
    ['INVITE sip:bob@biloxi.com  SIP/2.0', 400],
    ['INVITE sip:bob@biloxi.com SIP/2.0 ', 400],
    ['INVITE sip:bob@biloxi.com', 400],
    ['INVITE sip:bob@biloxi.com HTTP/1.1', 400],
    ['INVITE sip:bob@biloxi.com SIP/2', 400],
    ['INVITE sip:bob@biloxi.com SIP/3.0', 505],
    ['INVITE sip:bob@biloxi.com SIP/1.0', 505],
    ['INVITE <sip:bob@biloxi.com> SIP/2.0', 400],
    ['INVITE sip:bob@biloxi.com?Subject=x SIP/2.0', 400],
    ['INVITE sip:bob@bi loxi.com SIP/2.0', 400],
  ])('rejects the request line %j with %i', (line, status) => {
    const text = request().toString().replace('INVITE sip:bob@biloxi.com SIP/2.0', line);
    const e = fail(text);
    expect(e.status).toBe(status);
    expect(e.canRespond).toBe(true);
    expect(e.partial?.method).toBe('INVITE');
  });

  it('accepts the version in any case (ABNF literals are case-insensitive)', () => {
    expect(req(request().toString().replace(' SIP/2.0\r\n', ' sip/2.0\r\n')).method).toBe('INVITE');
  });

  it('gives no partial request when the method is not a token', () => {
    for (const line of [
      'IN(VITE sip:bob@biloxi.com SIP/2.0',
      'INVITE\tsip:bob@biloxi.com SIP/2.0',
      ' INVITE sip:a@b SIP/2.0',
    ]) {
      const e = fail(request().toString().replace('INVITE sip:bob@biloxi.com SIP/2.0', line));
      expect(e.status).toBe(400);
      expect(e.canRespond).toBe(false);
      expect(e.partial).toBeUndefined();
    }
  });

  it('parses an unknown Request-URI scheme so the application can answer 416', () => {
    const m = req(
      request().toString().replace('sip:bob@biloxi.com SIP/2.0', 'mailto:bob@biloxi.com SIP/2.0'),
    );
    expect(m.uri.scheme).toBe('mailto');
    expect(m.uri.opaque).toBe('bob@biloxi.com');
  });

  it('parses tel and IPv6 Request-URIs', () => {
    expect(req(request().toString().replace('sip:bob@biloxi.com SIP', 'tel:+15551234567 SIP')).uri.user).toBe(
      '+15551234567',
    );
    expect(
      req(request().toString().replace('sip:bob@biloxi.com SIP', 'sip:bob@[2001:db8::1]:5060 SIP')).uri.host,
    ).toBe('[2001:db8::1]');
  });

  it('ignores CRLFs before the start line (§7.5)', () => {
    const m = req(Buffer.concat([Buffer.from('\r\n\r\n'), request()]));
    expect(m.method).toBe('INVITE');
  });

  it('refuses empty data and lone CRLFs', () => {
    expect(fail('').canRespond).toBe(false);
    expect(fail('\r\n\r\n').canRespond).toBe(false);
  });
});

describe('parseMessage: header lines', () => {
  it('unfolds continuation lines and trims values (§7.3.1)', () => {
    const m = req(
      request([
        "Subject: I know you're there,\r\n   pick up the phone\r\n\tand talk to me!",
        'X-Empty:',
        'X-Pad:   v  ',
      ]),
    );
    expect(m.headers.get('Subject')).toBe("I know you're there, pick up the phone and talk to me!");
    expect(m.headers.get('X-Empty')).toBe('');
    expect(m.headers.get('X-Pad')).toBe('v');
  });

  it('accepts whitespace before the colon and none after it', () => {
    const m = req(request(['Subject   :hello', 'X-A\t: b']));
    expect(m.headers.get('Subject')).toBe('hello');
    expect(m.headers.get('x-a')).toBe('b');
  });

  it('maps compact forms and odd case to canonical names, keeping wire order', () => {
    const text = [
      'OPTIONS sip:a@b SIP/2.0',
      'v: SIP/2.0/UDP h;branch=z9hG4bK1',
      'f: <sip:c@d>;tag=1',
      't: <sip:a@b>',
      'i: x@y',
      'CSEQ: 1 OPTIONS',
      'k: timer',
      'm: <sip:c@1.2.3.4>',
      'c: text/plain',
      'e: gzip',
      's: hi',
      'l: 2',
      '',
      'hi',
    ].join(CRLF);
    const m = req(text);
    expect(m.headers.entries().map(([n]) => n)).toEqual([
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Supported',
      'Contact',
      'Content-Type',
      'Content-Encoding',
      'Subject',
      'Content-Length',
    ]);
    expect(m.body.toString()).toBe('hi');
  });

  it('keeps UTF-8 in display names and unknown header values', () => {
    const m = req(request(['X-Note: привет, мир']).toString().replace('To: Bob', 'To: "Боб"'));
    expect(m.headers.get('To')).toBe('"Боб" <sip:bob@biloxi.com>');
    expect(m.headers.get('X-Note')).toBe('привет, мир');
  });

  it('keeps octets that are not UTF-8 one character per octet', () => {
    const bytes = Buffer.concat([
      request().subarray(0, request().indexOf('Content-Length')),
      Buffer.from('X-Latin: caf\xe9\r\nContent-Length: 0\r\n\r\n', 'latin1'),
    ]);
    expect(req(bytes).headers.get('X-Latin')).toBe('caf\xe9');
  });

  it.each([
    ['NoColonHere', 'Header line without a colon'],
    ['Bad Name: x', 'Malformed header name'],
    ['Bad(Name): x', 'Malformed header name'],
    [': no name', 'Malformed header name'],
    ['X-A: a\rb', 'Bare CR in header line'],
  ])('rejects the header line %j', (line, reason) => {
    const e = fail(request([line]).toString('latin1'));
    expect(e.status).toBe(400);
    expect(e.reason).toBe(reason);
    expect(e.canRespond).toBe(true);
  });

  it('rejects bare LF line ends', () => {
    expect(fail(request().toString().replaceAll('\r\n', '\n')).status).toBe(400);
    expect(fail(request().toString().replace('Max-Forwards: 70\r\n', 'Max-Forwards: 70\n')).reason).toMatch(
      /CRLF/,
    );
  });

  it('rejects a continuation line right after the start line', () => {
    const text = request().toString().replace('SIP/2.0\r\n', 'SIP/2.0\r\n folded\r\n');
    expect(fail(text).reason).toBe('Continuation line without a header');
  });

  it('rejects a message without the empty line after the headers (§7)', () => {
    const text = request()
      .toString()
      .replace(/\r\n\r\n$/, '\r\n');
    expect(fail(text).reason).toMatch(/empty line/);
  });
});

describe('parseMessage: mandatory headers', () => {
  const without = (name: string): string =>
    request()
      .toString()
      .split(CRLF)
      .filter((l) => !l.startsWith(`${name}:`))
      .join(CRLF);

  it.each(['Via', 'From', 'To', 'Call-ID', 'CSeq'])('rejects a request without %s', (name) => {
    const e = fail(without(name));
    expect(e.reason).toBe(`Missing ${name} header`);
    expect(e.status).toBe(400);
  });

  it('accepts a request without Max-Forwards (RFC 2543 peers)', () => {
    expect(req(without('Max-Forwards')).headers.has('Max-Forwards')).toBe(false);
  });

  it.each([
    ['Max-Forwards: 256', 'Max-Forwards'],
    ['Max-Forwards: -1', 'Max-Forwards'],
    ['Max-Forwards: ', 'Max-Forwards'],
    ['CSeq: 2147483648 INVITE', 'CSeq'],
    ['CSeq: 1 BYE', 'CSeq'],
    ['CSeq: INVITE', 'CSeq'],
    ['Call-ID: a b', 'Call-ID'],
    ['Call-ID:', 'Call-ID'],
    ['From: <sip:alice@atlanta.com', 'From'],
    ['To: Bob, Smith <sip:bob@biloxi.com>', 'To'],
    ['Via: SIP/2.0/UDP', 'Via'],
    ['Contact: sip:a@b?x=y', 'Contact'],
    ['Contact: <sip:a@b>, ', 'ok'],
    ['Date: Fri, 01 Jan 2010 16:00:00 EST', 'Date'],
  ])('checks %j', (line, what) => {
    const [name] = line.split(':');
    const text = request()
      .toString()
      .split(CRLF)
      .map((l) => (l.startsWith(`${name}:`) ? line : l))
      .join(CRLF);
    const withLine = text.includes(line) ? text : request([line]).toString();
    const r = parseMessage(Buffer.from(withLine));
    if (what === 'ok') {
      expect(r.ok).toBe(true);
      return;
    }
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toContain(what);
  });

  it('rejects repeated single-value headers (RFC 4475 multi01)', () => {
    for (const line of [
      'From: <sip:x@y>;tag=2',
      'To: <sip:x@y>',
      'Call-ID: other',
      'CSeq: 1 INVITE',
      'Max-Forwards: 9',
    ]) {
      const e = fail(request([line]).toString());
      expect(e.reason).toMatch(/^Multiple /);
      expect(e.canRespond).toBe(true);
    }
  });

  it('only the top Via must parse; the others are read on demand', () => {
    const m = req(request(['Via: SIP/2.0/UDP ;;bad']));
    expect(m.headers.getAll('Via')).toHaveLength(2);
    expect(
      fail(request().toString().replace('Via: SIP/2.0/UDP pc33.atlanta.com', 'Via: SIP/2.0/UDP ;'))
        .canRespond,
    ).toBe(false);
  });

  it('validates responses the same way and never offers to answer them', () => {
    const resp = (text: string): string =>
      text.replace('INVITE sip:bob@biloxi.com SIP/2.0', 'SIP/2.0 200 OK');
    expect(ok(resp(request().toString())).kind).toBe('response');
    const e = fail(resp(request().toString().replace('CSeq: 314159 INVITE', 'CSeq: 99999999999 INVITE')));
    expect(e.canRespond).toBe(false);
    expect(e.partial).toBeUndefined();
    // A response's CSeq names the request's method, not its own.
    expect(ok(resp(request().toString().replace('CSeq: 314159 INVITE', 'CSeq: 2 BYE'))).kind).toBe(
      'response',
    );
  });
});

describe('parseMessage: body on a datagram (§18.3)', () => {
  it('takes Content-Length octets and ignores what follows (RFC 4475 dblreq)', () => {
    const data = Buffer.concat([request([], 'v=0\r\n'), Buffer.from('garbage after the body')]);
    expect(req(data).body.toString()).toBe('v=0\r\n');
  });

  it('rejects a Content-Length larger than the datagram (RFC 4475 clerr)', () => {
    const data = request().toString().replace('Content-Length: 0', 'Content-Length: 10');
    const e = fail(`${data}short`);
    expect(e.reason).toMatch(/Content-Length/);
    expect(e.canRespond).toBe(true);
    expect(e.partial?.body.toString()).toBe('short');
  });

  it('takes the rest of the datagram when Content-Length is missing', () => {
    expect(req(request([], 'hello body', { contentLength: false })).body.toString()).toBe('hello body');
  });

  it('accepts a repeated but equal Content-Length, rejects conflicting or malformed ones', () => {
    expect(req(request(['l: 4'], 'abcd')).body.toString()).toBe('abcd');
    expect(fail(request(['l: 3'], 'abcd')).reason).toBe('Conflicting Content-Length headers');
    for (const v of ['-1', '1e3', 'ten', '', '99999999999', '0x10']) {
      const text = request().toString().replace('Content-Length: 0', `Content-Length: ${v}`);
      expect(fail(text).reason, v).toMatch(/Content-Length/);
    }
  });

  it('keeps binary bodies byte for byte, sharing the datagram memory', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]);
    const head = request().toString().replace('Content-Length: 0', `Content-Length: ${body.length}`);
    const data = Buffer.concat([Buffer.from(head), body]);
    expect(req(data).body.equals(body)).toBe(true);
  });

  it('refuses a datagram over maxSize with 413, still answerable when the header section fits', () => {
    const big = request([], 'x'.repeat(2000));
    const e = fail(big, { maxSize: 1024 });
    expect(e.status).toBe(413);
    expect(e.canRespond).toBe(true);
    expect(e.partial?.method).toBe('INVITE');
    const e2 = fail(request([`X-Big: ${'y'.repeat(2000)}`]), { maxSize: 1024 });
    expect(e2.status).toBe(413);
    expect(e2.canRespond).toBe(false);
    expect(parseMessage(big).ok).toBe(true);
    expect(fail(Buffer.alloc(70 * 1024, 0x41)).status).toBe(413);
  });
});

describe('serializeMessage', () => {
  it('writes the start line, canonical header names in stored order and a recomputed Content-Length', () => {
    const m = req(
      [
        'OPTIONS sip:a@b SIP/2.0',
        'v: SIP/2.0/UDP h;branch=z9hG4bK1',
        'l: 0',
        'f: <sip:c@d>;tag=1',
        't: <sip:a@b>',
        'i: x@y',
        'cseq: 1 OPTIONS',
        '',
        '',
      ].join(CRLF),
    );
    m.body = Buffer.from('four');
    expect(serializeMessage(m).toString()).toBe(
      [
        'OPTIONS sip:a@b SIP/2.0',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        'From: <sip:c@d>;tag=1',
        'To: <sip:a@b>',
        'Call-ID: x@y',
        'CSeq: 1 OPTIONS',
        'Content-Length: 4',
        '',
        'four',
      ].join(CRLF),
    );
  });

  it('writes a response built by hand, with UTF-8 text', () => {
    const headers = new Headers([
      ['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'],
      ['To', '"Боб" <sip:a@b>;tag=2'],
    ]);
    const out = serializeMessage({
      kind: 'response',
      status: 200,
      reason: 'OK',
      headers,
      body: Buffer.alloc(0),
    });
    expect(out.toString('utf8')).toBe(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: "Боб" <sip:a@b>;tag=2\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('cannot be made to inject lines through a reason phrase', () => {
    const out = serializeMessage({
      kind: 'response',
      status: 500,
      reason: 'Oops\r\nVia: SIP/2.0/UDP evil',
      headers: new Headers(),
      body: Buffer.alloc(0),
    });
    expect(out.toString()).toBe('SIP/2.0 500 Oops  Via: SIP/2.0/UDP evil\r\nContent-Length: 0\r\n\r\n');
  });

  it('writes the Request-URI from the parsed URI, so retargeting takes effect', () => {
    const m = req(request());
    m.uri = parseUri('sip:bob@192.0.2.4:5070;transport=tcp')!;
    expect(serializeMessage(m).toString().split(CRLF)[0]).toBe(
      'INVITE sip:bob@192.0.2.4:5070;transport=tcp SIP/2.0',
    );
  });

  it('round-trips every header of a parsed message', () => {
    const data = request(
      ['Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>', 'X-Any: "quoted, text"'],
      'body!',
    );
    const m = req(data);
    const again = req(serializeMessage(m));
    expect(again.headers.entries()).toEqual(m.headers.entries());
    expect(again.body.toString()).toBe('body!');
    expect(serializeMessage(again).equals(serializeMessage(m))).toBe(true);
  });
});
