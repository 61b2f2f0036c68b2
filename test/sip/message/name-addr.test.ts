import { describe, expect, it } from 'vitest';
import {
  formatNameAddr,
  type NameAddr,
  parseContacts,
  parseNameAddr,
  parseUri,
  unquote,
} from '../../../src/sip/message/index.js';

function na(text: string): NameAddr {
  const v = parseNameAddr(text);
  if (v === null) throw new Error(`does not parse: ${text}`);
  return v;
}

describe('parseNameAddr', () => {
  it('parses name-addr with a quoted display name and header parameters', () => {
    const v = na('"Alice Liddell" <sip:alice@atlanta.com;transport=tcp>;tag=1928301774;X-Flag');
    expect(v.displayName).toBe('Alice Liddell');
    expect(v.uri.user).toBe('alice');
    expect([...v.uri.params]).toEqual([['transport', 'tcp']]);
    expect([...v.params]).toEqual([
      ['tag', '1928301774'],
      ['x-flag', null],
    ]);
  });

  it('resolves quoted-pairs in display names', () => {
    expect(na('"a \\"quoted\\" \\\\ name" <sip:a@b>').displayName).toBe('a "quoted" \\ name');
    expect(na('"" <sip:a@b>').displayName).toBe('');
  });

  it('keeps UTF-8 display names', () => {
    expect(na('"Иван Петров" <sip:ivan@example.ru>').displayName).toBe('Иван Петров');
  });

  it('parses token display names, collapsing LWS', () => {
    expect(na('Bob <sip:bob@biloxi.com>').displayName).toBe('Bob');
    expect(na('A.  G.\tBell<sip:bell@example.com>').displayName).toBe('A. G. Bell');
    expect(na('<sip:bob@biloxi.com>').displayName).toBeNull();
  });

  it('parses addr-spec: parameters after the URI belong to the header (§20.10)', () => {
    const v = na('sip:+12125551212@server.phone2net.com;tag=887s;user=phone');
    expect(v.displayName).toBeNull();
    expect(v.uri.params.size).toBe(0);
    expect([...v.params]).toEqual([
      ['tag', '887s'],
      ['user', 'phone'],
    ]);
  });

  it('accepts LWS around ";" and "=" of header parameters', () => {
    const v = na('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(v.params.get('tag')).toBe('1918181833n');
    expect(na('<sip:a@b> ; expires = 60 ; q=0.5').params.get('expires')).toBe('60');
  });

  it('keeps quoted parameter values with their quotes (RFC 3840 feature tags)', () => {
    const v = na(
      '<sip:a@192.0.2.4>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1',
    );
    expect(v.params.get('+sip.instance')).toBe('"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
    expect(unquote(v.params.get('+sip.instance')!)).toBe('<urn:uuid:00000000-0000-1000-8000-000A95A0E128>');
    expect(v.params.get('reg-id')).toBe('1');
  });

  it('accepts IPv6 in URIs and parameter values', () => {
    const v = na('<sip:[2001:db8::1]:5060>;received=2001:db8::9');
    expect(v.uri.host).toBe('[2001:db8::1]');
    expect(v.params.get('received')).toBe('2001:db8::9');
  });

  it('accepts absolute URIs of other schemes', () => {
    expect(na('<http://www.example.com>').uri.scheme).toBe('http');
    expect(na('isbn:2983792873').uri.opaque).toBe('2983792873');
  });

  it.each([
    ['"Mr. J. User <sip:j.user@example.com>', 'unbalanced quote (RFC 4475 quotbal)'],
    ['"Watson, Thomas" < sip:t.watson@example.org >', 'whitespace inside <> (badaspec)'],
    ['Bell, Alexander <sip:a.g.bell@example.com>;tag=43', 'comma in unquoted display name (baddn)'],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', '"?" in an addr-spec (regbadct)'],
    ['sip:a@b,c', '"," in an addr-spec'],
    ['<sip:a@b', 'missing >'],
    ['<sip:a@b>;', 'empty parameter'],
    ['<sip:a@b>;tag=', 'empty parameter value'],
    ['<sip:a@b>;tag="x', 'unterminated quoted value'],
    ['<sip:a@b> junk', 'junk after >'],
    ['"a" sip:a@b', 'quoted display name without <>'],
    ['"bad\rchar" <sip:a@b>', 'control character in quoted string'],
    ['', 'empty'],
    ['<>', 'empty URI'],
    ['<sip:a@b>;"q"=1', 'quoted parameter name'],
  ])('refuses %j (%s)', (text) => {
    expect(parseNameAddr(text)).toBeNull();
  });
});

describe('formatNameAddr', () => {
  it('always brackets the URI and quotes the display name', () => {
    expect(formatNameAddr(na('Bob <sip:bob@biloxi.com>;tag=a6c85cf'))).toBe(
      '"Bob" <sip:bob@biloxi.com>;tag=a6c85cf',
    );
    expect(formatNameAddr(na('sip:a@b;tag=1'))).toBe('<sip:a@b>;tag=1');
  });

  it('round-trips through parseNameAddr', () => {
    const cases = [
      '"Alice \\"Al\\" Liddell" <sip:alice@atlanta.com;transport=tcp>;tag=1928301774',
      '<sip:a@192.0.2.4>;+sip.instance="<urn:uuid:1>";expires=3600;lr',
      '"Иван" <tel:+7-495-123-45-67;ext=1>',
    ];
    for (const text of cases) {
      expect(formatNameAddr(na(text))).toBe(text);
      expect(na(formatNameAddr(na(text)))).toEqual(na(text));
    }
  });

  it('quotes parameter values that are not tokens and neutralises CR/LF in display names', () => {
    const uri = parseUri('sip:a@b')!;
    const text = formatNameAddr({
      displayName: 'evil\r\nVia: x',
      uri,
      params: new Map([['note', 'two words']]),
    });
    expect(text).toBe('"evil  Via: x" <sip:a@b>;note="two words"');
    expect(na(text).params.get('note')).toBe('"two words"');
  });
});

describe('parseContacts', () => {
  it('parses "*"', () => {
    expect(parseContacts('*')).toBe('*');
    expect(parseContacts('  *  ')).toBe('*');
  });

  it('splits a list, respecting commas in quotes and in <...>', () => {
    const list = parseContacts(
      '"Doe, John" <sip:a,b@example.com>;q=0.7, sip:c@example.com;expires=60 ,<sip:d@example.com>',
    );
    if (list === null || list === '*') throw new Error('no list');
    expect(list.map((c) => [c.displayName, c.uri.user, Object.fromEntries(c.params)])).toEqual([
      ['Doe, John', 'a,b', { q: '0.7' }],
      [null, 'c', { expires: '60' }],
      [null, 'd', {}],
    ]);
  });

  it('refuses a list with an invalid element, "*" in a list, or nothing', () => {
    expect(parseContacts('<sip:a@b>, <sip:c@d')).toBeNull();
    expect(parseContacts('*, <sip:a@b>')).toBeNull();
    expect(parseContacts('')).toBeNull();
    expect(parseContacts(' , ')).toBeNull();
    expect(parseContacts('"Joe" <sip:joe@example.org>;;;;')).toBeNull();
  });
});
