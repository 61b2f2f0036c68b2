import { describe, expect, it } from 'vitest';
import { formatUri, isKnownScheme, parseUri, type SipUri } from '../../../src/sip/message/index.js';

function uri(text: string): SipUri {
  const u = parseUri(text);
  if (u === null) throw new Error(`does not parse: ${text}`);
  return u;
}

describe('parseUri: sip and sips', () => {
  it('parses user, host, port, parameters and headers', () => {
    const u = uri(
      'sip:alice@Atlanta.COM:5061;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
    );
    expect(u).toEqual({
      scheme: 'sip',
      user: 'alice',
      password: null,
      host: 'atlanta.com',
      port: 5061,
      params: new Map([
        ['transport', 'TCP'],
        ['lr', null],
        ['maddr', '239.255.255.1'],
      ]),
      headers: new Map([
        ['subject', 'project x'],
        ['priority', 'urgent'],
      ]),
    });
  });

  it('parses a URI with host only', () => {
    expect(uri('sip:example.com')).toMatchObject({ user: null, host: 'example.com', port: null });
    expect(uri('sips:registrar.example.com.')).toMatchObject({
      scheme: 'sips',
      host: 'registrar.example.com.',
    });
  });

  it('lower-cases scheme, host and parameter names but not values or the user', () => {
    const u = uri('SIP:Bob@EXAMPLE.org;Transport=UDP;X-Flag');
    expect(u.scheme).toBe('sip');
    expect(u.user).toBe('Bob');
    expect(u.host).toBe('example.org');
    expect([...u.params]).toEqual([
      ['transport', 'UDP'],
      ['x-flag', null],
    ]);
  });

  it('parses a password', () => {
    expect(uri('sip:alice:secretword@atlanta.com;transport=tcp')).toMatchObject({
      user: 'alice',
      password: 'secretword',
    });
    expect(uri('sip:alice:@atlanta.com').password).toBe('');
  });

  it('parses telephone-subscriber user parts with user=phone', () => {
    const u = uri('sip:+1-212-555-1212:1234@gateway.com;user=phone');
    expect(u.user).toBe('+1-212-555-1212');
    expect(u.password).toBe('1234');
    expect(u.params.get('user')).toBe('phone');
  });

  it('unescapes user, password, parameter names and values and headers', () => {
    const u = uri('sip:%61lice%20smith:p%40ss@example.com;n%61me=v%61l%3Bue?Sub%6aect=a%26b');
    expect(u.user).toBe('alice smith');
    expect(u.password).toBe('p@ss');
    expect(u.params.get('name')).toBe('val;ue');
    expect(u.headers.get('Subject')).toBe('a&b');
  });

  it('decodes escaped UTF-8 and keeps octets that are not UTF-8', () => {
    expect(uri('sip:%D0%98%D0%B2%D0%B0%D0%BD@example.com').user).toBe('Иван');
    expect(uri('sip:%FF@example.com').user).toBe('\xff');
  });

  it('keeps "?", ";", "," and "/" in the user part (user-unreserved)', () => {
    const u = uri('sip:a;b?c,d/e=f&g+h$i@example.com;x=1');
    expect(u.user).toBe('a;b?c,d/e=f&g+h$i');
    expect([...u.params]).toEqual([['x', '1']]);
  });

  it('parses IPv4 and IPv6 hosts, IPv6 kept with brackets', () => {
    expect(uri('sip:alice@192.0.2.4:5060')).toMatchObject({ host: '192.0.2.4', port: 5060 });
    expect(uri('sip:[2001:DB8::10]:5070;transport=tcp')).toMatchObject({
      host: '[2001:db8::10]',
      port: 5070,
    });
    expect(uri('sips:bob@[::1]')).toMatchObject({ host: '[::1]', port: null });
    expect(uri('sip:[::ffff:192.0.2.1]').host).toBe('[::ffff:192.0.2.1]');
  });

  it('accepts the IPv6 and slash characters parameters may hold', () => {
    expect(uri('sip:example.com;maddr=[2001:db8::1];x=/a:b').params.get('maddr')).toBe('[2001:db8::1]');
  });

  it('keeps a repeated parameter once, with its first value', () => {
    expect([...uri('sip:a@b;x=1;X=2').params]).toEqual([['x', '1']]);
  });

  it.each([
    ['', 'empty'],
    ['sip:', 'no host'],
    ['sip:@example.com', 'empty user'],
    ['sip:alice@', 'empty host after @'],
    ['sip:alice@exa mple.com', 'space'],
    [' sip:alice@example.com', 'leading space'],
    ['sip:alice@example.com ', 'trailing space'],
    ['<sip:alice@example.com>', 'angle brackets'],
    ['sip:alice@example.com:', 'empty port'],
    ['sip:alice@example.com:65536', 'port out of range'],
    ['sip:alice@example.com:50a0', 'port not digits'],
    ['sip:al%ZZice@example.com', 'bad escape'],
    ['sip:alice%4@example.com', 'short escape'],
    ['sip:alice@example.com;', 'empty parameter'],
    ['sip:alice@example.com;;lr', 'empty parameter between'],
    ['sip:alice@example.com;a=', 'empty parameter value'],
    ['sip:alice@example.com;a b', 'space in parameter'],
    ['sip:alice@example.com?', 'empty headers'],
    ['sip:alice@example.com?a', 'header without ='],
    ['sip:alice@example.com?a=b&', 'trailing &'],
    ['sip:alice@-example.com', 'label starts with -'],
    ['sip:alice@example-.com', 'label ends with -'],
    ['sip:alice@exa..mple.com', 'empty label'],
    ['sip:alice@exa_mple.com', 'underscore in host'],
    ['sip:[::1', 'unterminated IPv6'],
    ['sip:[not:an:address]', 'bad IPv6'],
    ['sip:alice@example.com>', 'junk after'],
    ['sip:al"ice@example.com', 'quote in user'],
    ['1sip:alice@example.com', 'scheme starting with digit'],
    ['si p:alice@example.com', 'space in scheme'],
    [':alice@example.com', 'empty scheme'],
    ['alice@example.com', 'no scheme'],
  ])('refuses %j (%s)', (text) => {
    expect(parseUri(text)).toBeNull();
  });
});

describe('parseUri: tel and other schemes', () => {
  it('parses tel URIs (RFC 3966): the number in user, parameters', () => {
    expect(uri('tel:+1-201-555-0123')).toEqual({
      scheme: 'tel',
      user: '+1-201-555-0123',
      password: null,
      host: '',
      port: null,
      params: new Map(),
      headers: new Map(),
    });
    const local = uri('tel:7042;phone-context=example.com;ext=22');
    expect(local.user).toBe('7042');
    expect([...local.params]).toEqual([
      ['phone-context', 'example.com'],
      ['ext', '22'],
    ]);
    expect(uri('tel:*21%23').user).toBe('*21#');
  });

  it('refuses tel URIs with no number or junk', () => {
    expect(parseUri('tel:')).toBeNull();
    expect(parseUri('tel:;ext=1')).toBeNull();
    expect(parseUri('tel:+1 555')).toBeNull();
    expect(parseUri('tel:+1555?x=y')).toBeNull();
  });

  it('keeps other schemes opaque, lower-casing the scheme', () => {
    const u = uri('URN:service:sos');
    expect(u.scheme).toBe('urn');
    expect(u.opaque).toBe('service:sos');
    expect(isKnownScheme(u)).toBe(false);
    expect(uri('http://www.example.com/a?b=c').opaque).toBe('//www.example.com/a?b=c');
    expect(uri('im:alice@example.com').scheme).toBe('im');
    expect(isKnownScheme(uri('sips:a@b'))).toBe(true);
    expect(isKnownScheme(uri('tel:1'))).toBe(true);
  });

  it('refuses other schemes with characters outside the URI grammar', () => {
    expect(parseUri('http:')).toBeNull();
    expect(parseUri('http://exa mple.com')).toBeNull();
    expect(parseUri('http://example.com/<x>')).toBeNull();
    expect(parseUri('mailto:a"b@example.com')).toBeNull();
  });
});

describe('formatUri', () => {
  it.each([
    'sip:alice@atlanta.com',
    'sip:alice:secretword@atlanta.com;transport=tcp',
    'sips:alice@atlanta.com?subject=project%20x&priority=urgent',
    'sip:+1-212-555-1212:1234@gateway.com;user=phone',
    'sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com',
    'sip:alice;day=tuesday@atlanta.com',
    'sip:[2001:db8::10]:5070;lr',
    'sip:user@example.com;maddr=[2001:db8::1];x=/a:b',
    'tel:+1-201-555-0123;ext=22',
    'tel:*21%23',
    'urn:service:sos',
    'sip:%00@host5.example.com',
    'sip:I%20have%20spaces@example.net',
  ])('round-trips %s', (text) => {
    expect(formatUri(uri(text))).toBe(text);
  });

  it('normalises needless escapes and case', () => {
    expect(formatUri(uri('SIP:%75se%72@EXAMPLE.com;Transport=TCP'))).toBe(
      'sip:user@example.com;transport=TCP',
    );
  });

  it('escapes what each component may not hold', () => {
    const u: SipUri = {
      scheme: 'sip',
      user: 'a b@c',
      password: 'p:w',
      host: 'example.com',
      port: 5060,
      params: new Map<string, string | null>([
        ['x', 'a b;c'],
        ['lr', null],
      ]),
      headers: new Map([['Subject', 'hi & bye?']]),
    };
    const text = formatUri(u);
    expect(text).toBe('sip:a%20b%40c:p%3Aw@example.com:5060;x=a%20b%3Bc;lr?Subject=hi%20%26%20bye?');
    expect(parseUri(text)).toEqual(u);
  });

  it('escapes non-ASCII user parts as UTF-8', () => {
    const text = formatUri({ ...uri('sip:x@example.com'), user: 'Иван' });
    expect(text).toBe('sip:%D0%98%D0%B2%D0%B0%D0%BD@example.com');
    expect(parseUri(text)?.user).toBe('Иван');
  });
});
