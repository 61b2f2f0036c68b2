import { describe, expect, it } from 'vitest';
import {
  formatAuthParams,
  formatCSeq,
  formatVia,
  isValidSipDate,
  parseAuthParams,
  parseCSeq,
  parseVia,
  type Via,
} from '../../../src/sip/message/index.js';

function via(text: string): Via {
  const v = parseVia(text);
  if (v === null) throw new Error(`does not parse: ${text}`);
  return v;
}

describe('parseVia', () => {
  it('parses sent-protocol, sent-by and parameters', () => {
    expect(via('SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1')).toEqual({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: 'pc33.atlanta.com',
      port: 5066,
      params: new Map([
        ['branch', 'z9hG4bK776asdhds'],
        ['received', '192.0.2.1'],
      ]),
    });
  });

  it('upper-cases the transport and protocol name, lower-cases host and parameter names', () => {
    const v = via('sip/2.0/tcp Client.Example.COM;Branch=z9hG4bKabc');
    expect([v.protocol, v.transport, v.host]).toEqual(['SIP/2.0', 'TCP', 'client.example.com']);
    expect(v.params.get('branch')).toBe('z9hG4bKabc');
    for (const t of ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS', 'TLS-SCTP']) {
      expect(via(`SIP/2.0/${t.toLowerCase()} h`).transport).toBe(t);
    }
  });

  it('parses rport without a value as null, and with one', () => {
    expect(via('SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK1').params.get('rport')).toBeNull();
    expect(via('SIP/2.0/UDP 10.0.0.1;rport=5062;received=198.51.100.3').params.get('rport')).toBe('5062');
  });

  it('accepts LWS around "/", ":" and ";" (RFC 4475 wsinv)', () => {
    const v = via('SIP  /   2.0 /UDP    192.0.2.2 : 5070  ;  branch  =   390skdjuw');
    expect([v.protocol, v.transport, v.host, v.port, v.params.get('branch')]).toEqual([
      'SIP/2.0',
      'UDP',
      '192.0.2.2',
      5070,
      '390skdjuw',
    ]);
  });

  it('parses IPv6 sent-by, received and maddr (RFC 5118)', () => {
    const v = via('SIP/2.0/UDP [2001:DB8::9:1]:5060;received=2001:db8::9:255;maddr=[2001:db8::1];ttl=16');
    expect(v.host).toBe('[2001:db8::9:1]');
    expect(v.params.get('received')).toBe('2001:db8::9:255');
    expect(v.params.get('maddr')).toBe('[2001:db8::1]');
    expect(v.params.get('ttl')).toBe('16');
  });

  it('keeps quoted parameter values', () => {
    expect(via('SIP/2.0/UDP h;x="a, b"').params.get('x')).toBe('"a, b"');
  });

  it.each([
    ['SIP/2.0/UDP', 'no sent-by'],
    ['SIP/2.0/UDP192.0.2.1', 'no LWS before sent-by'],
    ['SIP/2.0 192.0.2.1', 'no transport'],
    ['SIP/2.0/ 192.0.2.1', 'empty transport'],
    ['SIP//UDP 192.0.2.1', 'empty version'],
    ['SIP/2.0/UDP 192.0.2.15;;', 'empty parameter (RFC 4475 badinv01)'],
    ['SIP/2.0/UDP 192.0.2.15;branch=', 'empty value'],
    ['SIP/2.0/UDP host:99999', 'port out of range'],
    ['SIP/2.0/UDP host:', 'empty port'],
    ['SIP/2.0/UDP [::1', 'unterminated IPv6'],
    ['SIP/2.0/UDP ho_st', 'bad host'],
    ['SIP/2.0/UDP a, SIP/2.0/UDP b', 'two elements'],
    ['', 'empty'],
  ])('refuses %j (%s)', (text) => {
    expect(parseVia(text)).toBeNull();
  });

  it('formats canonically and round-trips', () => {
    const text = 'SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK-1;rport;received=2001:db8::2';
    expect(formatVia(via(text))).toBe(text);
    expect(formatVia(via('SIP / 2.0 / udp  Host.Example.com ;branch=x'))).toBe(
      'SIP/2.0/UDP host.example.com;branch=x',
    );
    expect(
      formatVia({
        protocol: 'SIP/2.0',
        transport: 'WSS',
        host: 'df7jal23ls0d.invalid',
        port: null,
        params: new Map(),
      }),
    ).toBe('SIP/2.0/WSS df7jal23ls0d.invalid');
  });
});

describe('parseCSeq', () => {
  it('parses number and method', () => {
    expect(parseCSeq('4711 INVITE')).toEqual({ seq: 4711, method: 'INVITE' });
    expect(parseCSeq('  0009 \t INVITE ')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq('0 ACK')).toEqual({ seq: 0, method: 'ACK' });
    expect(parseCSeq('2147483647 BYE')).toEqual({ seq: 2147483647, method: 'BYE' });
    expect(parseCSeq("1 !interesting-Method0123456789_*+`.%indeed'~")?.method).toBe(
      "!interesting-Method0123456789_*+`.%indeed'~",
    );
  });

  it.each([
    '2147483648 INVITE',
    '36893488147419103232 REGISTER',
    '-1 INVITE',
    'INVITE',
    '1',
    '1INVITE',
    '1 INVITE x',
    '1 INV@ITE',
    '1.5 INVITE',
    '',
  ])('refuses %j', (text) => {
    expect(parseCSeq(text)).toBeNull();
  });

  it('formats', () => {
    expect(formatCSeq({ seq: 2, method: 'REGISTER' })).toBe('2 REGISTER');
  });
});

describe('parseAuthParams / formatAuthParams', () => {
  it('parses a Digest challenge (RFC 3261 §22.4 / RFC 7616)', () => {
    const a = parseAuthParams(
      'Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5',
    );
    expect(a?.scheme).toBe('Digest');
    expect(Object.fromEntries(a?.params ?? [])).toEqual({
      realm: 'atlanta.com',
      domain: 'sip:boxesbybob.com',
      qop: 'auth',
      nonce: 'f84f1cec41e6cbe5aea9c8e88d359',
      opaque: '',
      stale: 'FALSE',
      algorithm: 'MD5',
    });
  });

  it('parses credentials with case-insensitive names, escapes and odd spacing', () => {
    const a = parseAuthParams(
      'Digest  USERNAME = "bob" ,Realm="biloxi.com",nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41", x="a\\"b"',
    );
    expect(a?.params.get('username')).toBe('bob');
    expect(a?.params.get('realm')).toBe('biloxi.com');
    expect(a?.params.get('nc')).toBe('00000001');
    expect(a?.params.get('uri')).toBe('sip:bob@biloxi.com');
    expect(a?.params.get('x')).toBe('a"b');
  });

  it('accepts unquoted values that are not tokens, as deployed clients send them', () => {
    expect(parseAuthParams('Digest uri=sip:bob@biloxi.com, algorithm=SHA-256')?.params.get('uri')).toBe(
      'sip:bob@biloxi.com',
    );
  });

  it('parses a scheme alone and other schemes', () => {
    expect(parseAuthParams('Basic')).toEqual({ scheme: 'Basic', params: new Map() });
    expect([...(parseAuthParams('NoOneKnowsThisScheme opaque-data=here')?.params ?? [])]).toEqual([
      ['opaque-data', 'here'],
    ]);
  });

  it.each([
    ['', 'empty'],
    ['Digest realm', 'no ='],
    ['Digest realm=', 'no value'],
    ['Digest realm="a', 'unterminated quote'],
    ['Digest realm="a" nonce="b"', 'missing comma'],
    ['Digest realm="a",, nonce="b"', 'empty element'],
    ['Digest realm="a", realm="b"', 'repeated parameter'],
    ['Digest realm="a",', 'trailing comma'],
    ['"Digest" realm="a"', 'quoted scheme'],
  ])('refuses %j (%s)', (text) => {
    expect(parseAuthParams(text)).toBeNull();
  });

  it('formats, quoting what it is told to and escaping quotes', () => {
    const text = formatAuthParams('Digest', [
      ['realm', 'atlanta.com', true],
      ['nonce', 'a"b\\c', true],
      ['algorithm', 'SHA-256', false],
      ['qop', 'auth', true],
    ]);
    expect(text).toBe('Digest realm="atlanta.com", nonce="a\\"b\\\\c", algorithm=SHA-256, qop="auth"');
    expect(Object.fromEntries(parseAuthParams(text)?.params ?? [])).toEqual({
      realm: 'atlanta.com',
      nonce: 'a"b\\c',
      algorithm: 'SHA-256',
      qop: 'auth',
    });
    expect(formatAuthParams('Basic', [])).toBe('Basic');
  });
});

describe('isValidSipDate', () => {
  it('accepts RFC 1123 dates in GMT only (RFC 4475 baddate)', () => {
    expect(isValidSipDate('Sat, 13 Nov 2010 23:29:00 GMT')).toBe(true);
    expect(isValidSipDate('Fri, 01 Jan 2010 16:00:00 EST')).toBe(false);
    expect(isValidSipDate('Sat, 13 Nov 2010 23:29:00')).toBe(false);
    expect(isValidSipDate('Saturday, 13 Nov 2010 23:29:00 GMT')).toBe(false);
    expect(isValidSipDate('Sat, 3 Nov 2010 23:29:00 GMT')).toBe(false);
  });
});
