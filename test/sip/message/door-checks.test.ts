/**
 * The checks every message passes at the door (header-checks.ts), read in place from the
 * datagram's octets: the top Via up to the comma that ends it, From and To, every element
 * of Contact, CSeq, Call-ID, and the Request-URI. The same message must get the same
 * verdict whichever way its head reaches the scanners: the datagram's own octets (all
 * ASCII), a copy (UTF-8 text in the head, a folded line, a stream), or the octet-per-
 * character fallback for a head that is not UTF-8.
 */
import { describe, expect, it } from 'vitest';
import {
  type ParseResult,
  parseContacts,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  StreamFramer,
} from '../../../src/sip/message/index.js';

const CRLF = '\r\n';

/** Header lines of a valid INVITE, any of which a test replaces by name. */
const BASE: [string, string][] = [
  ['Via', 'SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds'],
  ['Max-Forwards', '70'],
  ['To', 'Bob <sip:bob@biloxi.com>'],
  ['From', 'Alice <sip:alice@atlanta.com>;tag=1928301774'],
  ['Call-ID', 'a84b4c76e66710@pc33.atlanta.com'],
  ['CSeq', '314159 INVITE'],
  ['Contact', '<sip:alice@pc33.atlanta.com>'],
];

function head(replace: Record<string, string> = {}, extra: string[] = [], requestLine?: string): string {
  const lines = BASE.map(([name, value]) => `${name}: ${replace[name] ?? value}`);
  return [requestLine ?? 'INVITE sip:bob@biloxi.com SIP/2.0', ...lines, ...extra].join(CRLF);
}

/** What a test compares: the outcome, not the objects. */
function verdict(r: ParseResult): string {
  return r.ok ? 'ok' : `${r.error.status} ${r.error.reason}${r.error.canRespond ? '' : ' (unanswerable)'}`;
}

function parse(text: string): string {
  return verdict(parseMessage(Buffer.from(`${text}${CRLF}Content-Length: 0${CRLF}${CRLF}`, 'utf8')));
}

/**
 * The verdict of `text` read every way the scanners can get it; fails unless all agree.
 * The variants add lines no check reads, so they cannot change the outcome.
 */
function everyWay(text: string): string {
  const end = `${CRLF}Content-Length: 0${CRLF}${CRLF}`;
  const ascii = verdict(parseMessage(Buffer.from(text + end, 'utf8')));
  // UTF-8 in the head: the decoded text no longer lines up with the octets.
  const utf8 = verdict(parseMessage(Buffer.from(`${text}${CRLF}Subject: Встреча${end}`, 'utf8')));
  // Not UTF-8: decoded one character per octet.
  const notUtf8 = Buffer.concat([
    Buffer.from(text, 'utf8'),
    Buffer.from(`${CRLF}Subject: caf\xe9${end}`, 'latin1'),
  ]);
  const latin1 = verdict(parseMessage(notUtf8));
  // Larger than a datagram decoded whole; and with UTF-8, larger than the reused copy buffers.
  const large = verdict(parseMessage(Buffer.from(`${text}${CRLF}X-Pad: ${'p'.repeat(5000)}${end}`, 'utf8')));
  const largeUtf8 = verdict(
    parseMessage(Buffer.from(`${text}${CRLF}X-Pad: ${'ж'.repeat(10000)}${end}`, 'utf8')),
  );
  // A stream, handed over in small pieces.
  const framer = new StreamFramer();
  const wire = Buffer.from(text + end, 'utf8');
  const events = [];
  for (let i = 0; i < wire.length; i += 7) events.push(...framer.push(wire.subarray(i, i + 7)));
  const event = events.find((e) => e.type !== 'keepalive');
  const stream =
    event?.type === 'message'
      ? 'ok'
      : event?.type === 'error'
        ? verdict({ ok: false, error: event.error })
        : 'nothing';
  expect({ utf8, latin1, large, largeUtf8, stream }).toEqual({
    utf8: ascii,
    latin1: ascii,
    large: ascii,
    largeUtf8: ascii,
    stream: ascii,
  });
  return ascii;
}

describe('door checks: the top Via', () => {
  it('ends at the first comma between parameters, not at one inside a value', () => {
    expect(everyWay(head({ Via: 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b' }))).toBe('ok');
    // Only the top Via must parse (§18.2.2): what follows the comma is not read.
    expect(everyWay(head({ Via: 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, garbage;;' }))).toBe('ok');
    expect(everyWay(head({ Via: 'SIP/2.0/UDP a.example.com;x="1,2";branch=z9hG4bK1' }))).toBe('ok');
    expect(everyWay(head({ Via: 'SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1' }))).toBe('ok');
    expect(everyWay(head({ Via: 'SIP / 2.0 / UDP a.example.com : 5060 ; branch = z9hG4bK1 , x' }))).toBe(
      'ok',
    );
  });

  it('refuses a broken first element, and then no response can be routed', () => {
    for (const via of [
      'SIP/2.0/UDP , SIP/2.0/UDP b.example.com',
      'SIP/2.0/UDP a.example.com;branch=, SIP/2.0/UDP b.example.com',
      'SIP/2.0/UDP a.example.com:, b',
      'SIP/2.0/UDP a.example.com;x="1,2, SIP/2.0/UDP b.example.com',
      'SIP/2.0/UDP a.example.com <x,y>',
      'SIP/2.0/UDP [2001:db8::1, ]',
      'SIP/2.0/UDP a.example.com:65536',
    ]) {
      expect(everyWay(head({ Via: via })), via).toBe('400 Malformed Via header (unanswerable)');
    }
  });
});

describe('door checks: From, To and Contact', () => {
  it('accepts name-addr and addr-spec forms, with or without a user part', () => {
    expect(
      everyWay(head({ To: '<sip:biloxi.com;transport=tcp>', From: 'sip:alice@atlanta.com;tag=1' })),
    ).toBe('ok');
    expect(everyWay(head({ To: '"Bob, Jr." <sips:bob:secret@[::1]:5061?subject=hi>' }))).toBe('ok');
    expect(everyWay(head({ To: 'tel:+1-212-555-0101;phone-context=example.com' }))).toBe('ok');
    expect(everyWay(head({ From: '"Иван" <sip:ivan@example.com>;tag=1' }))).toBe('ok');
    // display-name = *(token LWS) / quoted-string: UTF-8 only inside quotes.
    expect(everyWay(head({ From: 'Иван <sip:ivan@example.com>;tag=1' }))).toBe('400 Malformed From header');
  });

  it('refuses an addr-spec holding "," or "?" and whitespace inside <> (RFC 4475 regbadct, badaspec)', () => {
    expect(everyWay(head({ To: 'sip:bob,x@biloxi.com' }))).toBe('400 Malformed To header');
    expect(everyWay(head({ To: 'sip:bob@biloxi.com?subject=x' }))).toBe('400 Malformed To header');
    expect(everyWay(head({ To: '< sip:bob@biloxi.com >' }))).toBe('400 Malformed To header');
    expect(everyWay(head({ From: '<sip:alice@atlanta.com' }))).toBe('400 Malformed From header');
    expect(everyWay(head({ From: '<sip:alice@atlanta.com> junk' }))).toBe('400 Malformed From header');
  });

  it('reads every element of every Contact line, commas inside quotes and <> included', () => {
    const contacts = '"A, B" <sip:a,b@h;x=1>;q=0.5, sip:c@h;expires=60 ,, <sip:h2>';
    expect(everyWay(head({ Contact: contacts }))).toBe('ok');
    expect(parseContacts(contacts)).toHaveLength(3);
    expect(everyWay(head({ Contact: '*' }))).toBe('ok');
    expect(everyWay(head({}, ['Contact: <sip:b@h>', 'm: sip:c@h']))).toBe('ok');
    expect(everyWay(head({}, ['Contact: <sip:b@h>, *']))).toBe('400 Malformed Contact header');
    expect(everyWay(head({ Contact: '<sip:a@h>, sip:b@h?x=1' }))).toBe('400 Malformed Contact header');
    expect(everyWay(head({ Contact: '<sip:a@h;x=1,2>' }))).toBe('400 Malformed Contact header');
    expect(everyWay(head({ Contact: ',' }))).toBe('400 Malformed Contact header');
  });

  it('reads a folded value as one line (§7.3.1)', () => {
    expect(
      everyWay(head({ Contact: '<sip:a@h>,\r\n <sip:b@h>;q=0.1', From: 'Alice\r\n\t<sip:a@h>;tag=1' })),
    ).toBe('ok');
    expect(everyWay(head({ Via: 'SIP/2.0/UDP\r\n a.example.com;branch=z9hG4bK1' }))).toBe('ok');
  });
});

describe('door checks: CSeq, Call-ID, header names', () => {
  it('compares the CSeq method with the request method, case-sensitively (§8.1.1.5)', () => {
    expect(everyWay(head({ CSeq: '314159 invite' }))).toBe(
      '400 CSeq method does not match the request method',
    );
    expect(everyWay(head({ CSeq: '314159  INVITE ' }))).toBe('ok');
    expect(everyWay(head({ CSeq: '2147483648 INVITE' }))).toBe('400 Malformed CSeq header');
  });

  it('refuses whitespace inside a Call-ID', () => {
    expect(everyWay(head({ 'Call-ID': 'a84b4c76 e66710' }))).toBe('400 Malformed Call-ID header');
  });

  it('knows registered names in any case and compact form, with whitespace before the colon', () => {
    const text = head().replace('Max-Forwards: ', 'MAX-forwards\t : ').replace('Call-ID: ', 'i: ');
    expect(everyWay(text)).toBe('ok');
    expect(everyWay(head({}, ['Contact-Foo: x', 'Vias: y']))).toBe('ok');
    expect(everyWay(head({}, ['Via x: y']))).toBe('400 Malformed header name');
    expect(everyWay(head({}, ['Via']))).toBe('400 Header line without a colon');
  });
});

describe('door checks: the Request-URI', () => {
  it('reads the usual request line in one pass and anything else the general way', () => {
    expect(everyWay(head({}, [], 'INVITE sip:bob@biloxi.com;transport=udp SIP/2.0'))).toBe('ok');
    expect(everyWay(head({}, [], 'INVITE sip:bob@biloxi.com sip/2.0'))).toBe('ok');
    expect(everyWay(head({}, [], 'INVITE sip:bob@biloxi.com?x=y SIP/2.0'))).toBe(
      '400 Request-URI must not contain headers',
    );
    expect(everyWay(head({}, [], 'INVITE  sip:bob@biloxi.com SIP/2.0'))).toBe('400 Malformed request line');
    expect(everyWay(head({}, [], 'INVITE sip:bob@biloxi.com\tx SIP/2.0'))).toBe('400 Malformed Request-URI');
    expect(everyWay(head({}, [], 'INVITE sip:bob@biloxi.com SIP/2.0 '))).toBe('400 Malformed request line');
    expect(everyWay(head({}, [], 'INVITE sip:bob@biloxi.com SIP/3.0'))).toBe('505 SIP version not supported');
  });

  it('keeps what a URI scanned in place holds', () => {
    const r = parseMessage(
      Buffer.from(`${head({}, [], 'INVITE sips:%41lice@Example.COM:5061;LR SIP/2.0')}${CRLF}${CRLF}`),
    );
    if (!r.ok || r.message.kind !== 'request') throw new Error(parse(head()));
    expect(r.message.uri).toEqual(parseUri('sips:%41lice@Example.COM:5061;LR'));
    expect(r.message.uri.user).toBe('Alice');
    expect(r.message.uri.host).toBe('example.com');
    expect([...r.message.uri.params]).toEqual([['lr', null]]);
  });
});

describe('structured parsers on text that is not ASCII', () => {
  it('keep UTF-8 where the grammar allows it and refuse it elsewhere', () => {
    expect(parseNameAddr('"Иван Петров" <sip:ivan@example.com>;tag=1')?.displayName).toBe('Иван Петров');
    expect(parseNameAddr('<sip:иван@example.com>')).toBeNull();
    expect(parseUri('sip:ivan@exämple.com')).toBeNull();
    expect(parseVia('SIP/2.0/UDP example.com;x="ü"')?.params.get('x')).toBe('"ü"');
    expect(parseVia('SIP/2.0/UDP exämple.com')).toBeNull();
    // A character whose low octet is ASCII ("а" is U+0430) is still not ASCII.
    expect(parseUri('sip:a@host.а')).toBeNull();
    expect(parseNameAddr(`"${'д'.repeat(40)}" <sip:a@b>`)?.displayName).toBe('д'.repeat(40));
    expect(parseNameAddr(`"${'д'.repeat(9000)}" <sip:a@b>`)?.displayName).toBe('д'.repeat(9000));
    expect(parseNameAddr(`"${'д'.repeat(9000)}" <sip:a@b\u0430>`)).toBeNull();
  });
});
