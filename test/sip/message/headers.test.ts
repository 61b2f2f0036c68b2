import { describe, expect, it } from 'vitest';
import { canonicalHeaderName, Headers, headerKey, splitList } from '../../../src/sip/message/index.js';

describe('header names', () => {
  it.each([
    ['i', 'Call-ID'],
    ['m', 'Contact'],
    ['e', 'Content-Encoding'],
    ['l', 'Content-Length'],
    ['c', 'Content-Type'],
    ['f', 'From'],
    ['s', 'Subject'],
    ['k', 'Supported'],
    ['t', 'To'],
    ['v', 'Via'],
    ['o', 'Event'],
    ['u', 'Allow-Events'],
    ['r', 'Refer-To'],
    ['x', 'Session-Expires'],
    ['b', 'Referred-By'],
    ['a', 'Accept-Contact'],
    ['j', 'Reject-Contact'],
    ['d', 'Request-Disposition'],
    ['y', 'Identity'],
    ['n', 'Identity-Info'],
  ])('compact form %s is %s (RFC 3261 §7.3.3, IANA)', (compact, full) => {
    expect(canonicalHeaderName(compact)).toBe(full);
    expect(canonicalHeaderName(compact.toUpperCase())).toBe(full);
    expect(headerKey(compact)).toBe(full.toLowerCase());
  });

  it('spells registered names canonically whatever the case', () => {
    expect(canonicalHeaderName('call-id')).toBe('Call-ID');
    expect(canonicalHeaderName('CSEQ')).toBe('CSeq');
    expect(canonicalHeaderName('www-authenticate')).toBe('WWW-Authenticate');
    expect(canonicalHeaderName('mAx-FoRwArDs')).toBe('Max-Forwards');
    expect(canonicalHeaderName('rack')).toBe('RAck');
    expect(canonicalHeaderName('P-Asserted-identity')).toBe('P-Asserted-Identity');
  });

  it('keeps the spelling of extension headers', () => {
    expect(canonicalHeaderName('X-Nimbus-Tenant')).toBe('X-Nimbus-Tenant');
    expect(headerKey('X-Nimbus-Tenant')).toBe('x-nimbus-tenant');
  });
});

describe('splitList', () => {
  it('splits on top-level commas only, trimming and skipping empty elements', () => {
    expect(splitList(' a ,b,, c ')).toEqual(['a', 'b', 'c']);
    expect(splitList('"x, y" <sip:a,b@c>;p="1,2", <sip:d@e>')).toEqual([
      '"x, y" <sip:a,b@c>;p="1,2"',
      '<sip:d@e>',
    ]);
    expect(splitList('"a \\", b", c')).toEqual(['"a \\", b"', 'c']);
    expect(splitList('')).toEqual([]);
    expect(splitList('single')).toEqual(['single']);
  });
});

describe('Headers', () => {
  function sample(): Headers {
    return new Headers([
      ['v', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2'],
      ['Via', 'SIP/2.0/UDP c.example.com;branch=z9hG4bK3'],
      ['From', '"Doe, John" <sip:john@example.com>;tag=1'],
      ['to', '<sip:bob@example.com>'],
      ['i', 'abc@host'],
      ['Supported', 'timer, replaces'],
      ['k', '100rel'],
      ['WWW-Authenticate', 'Digest realm="a", nonce="n1", qop="auth,auth-int"'],
      ['WWW-Authenticate', 'Digest realm="b", nonce="n2", algorithm=SHA-256'],
      ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
      ['X-Custom', 'one, two'],
    ]);
  }

  it('looks names up case-insensitively and through compact forms', () => {
    const h = sample();
    expect(h.get('CALL-ID')).toBe('abc@host');
    expect(h.get('i')).toBe('abc@host');
    expect(h.get('TO')).toBe('<sip:bob@example.com>');
    expect(h.get('t')).toBe('<sip:bob@example.com>');
    expect(h.has('f')).toBe(true);
    expect(h.has('Contact')).toBe(false);
    expect(h.get('Contact')).toBeUndefined();
    expect(h.getAll('Contact')).toEqual([]);
  });

  it('get() gives the first element of a list header, getAll() every element in order', () => {
    const h = sample();
    expect(h.get('Via')).toBe('SIP/2.0/UDP a.example.com;branch=z9hG4bK1');
    expect(h.getAll('v')).toEqual([
      'SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
      'SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
      'SIP/2.0/UDP c.example.com;branch=z9hG4bK3',
    ]);
    expect(h.getAll('Supported')).toEqual(['timer', 'replaces', '100rel']);
  });

  it('never splits authentication headers, Date, single-value or unknown headers', () => {
    const h = sample();
    expect(h.getAll('WWW-Authenticate')).toEqual([
      'Digest realm="a", nonce="n1", qop="auth,auth-int"',
      'Digest realm="b", nonce="n2", algorithm=SHA-256',
    ]);
    expect(h.get('www-authenticate')).toBe('Digest realm="a", nonce="n1", qop="auth,auth-int"');
    expect(h.getAll('Date')).toEqual(['Sat, 13 Nov 2010 23:29:00 GMT']);
    expect(h.getAll('From')).toEqual(['"Doe, John" <sip:john@example.com>;tag=1']);
    expect(h.getAll('x-custom')).toEqual(['one, two']);
    const auth = new Headers([
      ['Authorization', 'Digest username="a", realm="r"'],
      ['Proxy-Authenticate', 'Digest realm="p", nonce="x"'],
      ['Proxy-Authorization', 'Digest username="b", realm="p"'],
      ['Authentication-Info', 'nextnonce="47364c23432d2e131a5fb210812c", qop=auth'],
    ]);
    for (const [name, value] of auth.entries()) expect(auth.getAll(name)).toEqual([value]);
  });

  it('splits every list header of RFC 3261', () => {
    for (const name of [
      'Accept',
      'Allow',
      'Require',
      'Proxy-Require',
      'Unsupported',
      'Route',
      'Record-Route',
    ]) {
      const h = new Headers([[name, 'a, b']]);
      expect(h.getAll(name), name).toEqual(['a', 'b']);
    }
    const c = new Headers([['m', '<sip:a@b>;q=0.5, "X, Y" <sip:c@d>']]);
    expect(c.getAll('Contact')).toEqual(['<sip:a@b>;q=0.5', '"X, Y" <sip:c@d>']);
  });

  it('entries() gives canonical names and raw values in wire order', () => {
    expect(sample().entries().slice(0, 6)).toEqual([
      ['Via', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2'],
      ['Via', 'SIP/2.0/UDP c.example.com;branch=z9hG4bK3'],
      ['From', '"Doe, John" <sip:john@example.com>;tag=1'],
      ['To', '<sip:bob@example.com>'],
      ['Call-ID', 'abc@host'],
      ['Supported', 'timer, replaces'],
    ]);
  });

  it('set() replaces every line at the position of the first', () => {
    const h = sample();
    h.set('via', 'SIP/2.0/UDP only.example.com');
    expect(h.getAll('Via')).toEqual(['SIP/2.0/UDP only.example.com']);
    expect(h.entries()[0]).toEqual(['Via', 'SIP/2.0/UDP only.example.com']);
    h.set('Max-Forwards', '70');
    expect(h.entries().at(-1)).toEqual(['Max-Forwards', '70']);
  });

  it('append() adds at the end, prepend() on top of the same header', () => {
    const h = sample();
    h.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(h.get('Via')).toBe('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    expect(h.getAll('Via')).toHaveLength(4);
    h.prepend('Record-Route', '<sip:proxy.example.com;lr>');
    expect(h.entries()[0]).toEqual(['Record-Route', '<sip:proxy.example.com;lr>']);
    h.append('Record-Route', '<sip:p2.example.com;lr>');
    expect(h.getAll('Record-Route')).toEqual(['<sip:proxy.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(h.entries().at(-1)).toEqual(['Record-Route', '<sip:p2.example.com;lr>']);
  });

  it('delete() removes every line, including compact ones', () => {
    const h = sample();
    h.delete('Supported');
    expect(h.has('k')).toBe(false);
    h.delete('v');
    expect(h.getAll('Via')).toEqual([]);
    h.delete('Not-There');
    expect(h.get('From')).toBe('"Doe, John" <sip:john@example.com>;tag=1');
  });

  it('clone() is independent of the original', () => {
    const h = sample();
    const c = h.clone();
    c.set('Call-ID', 'other');
    c.append('X-New', '1');
    expect(h.get('Call-ID')).toBe('abc@host');
    expect(h.has('X-New')).toBe(false);
    expect(c.entries()).toHaveLength(h.entries().length + 1);
  });

  it('refuses names that are not tokens and values that would inject lines', () => {
    const h = new Headers();
    expect(() => h.set('Bad Name', 'x')).toThrow(TypeError);
    expect(() => h.append('', 'x')).toThrow(TypeError);
    expect(() => h.append('X', 'a\r\nVia: evil')).toThrow(TypeError);
    expect(() => h.prepend('X', 'a\nb')).toThrow(TypeError);
    expect(() => new Headers([['X:', 'y']])).toThrow(TypeError);
    expect(h.entries()).toEqual([]);
  });
});

describe('Headers.replaceFirst', () => {
  it('replaces only the top element of a list line, keeping the rest and the other lines', () => {
    const h = new Headers([
      ['Via', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport, SIP/2.0/TCP b.example.com;branch=z9hG4bK2'],
      ['Via', 'SIP/2.0/UDP c.example.com;branch=z9hG4bK3'],
    ]);
    h.replaceFirst('Via', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport=5060;received=192.0.2.1');
    expect(h.getAll('Via')).toEqual([
      'SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport=5060;received=192.0.2.1',
      'SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
      'SIP/2.0/UDP c.example.com;branch=z9hG4bK3',
    ]);
    expect(h.entries()).toHaveLength(2);
  });

  it('adds the header when there is none, and refuses a value that would break the line', () => {
    const h = new Headers([['From', '<sip:a@example.com>;tag=1']]);
    h.replaceFirst('Via', 'SIP/2.0/UDP a.example.com;branch=z9hG4bK1');
    expect(h.get('Via')).toBe('SIP/2.0/UDP a.example.com;branch=z9hG4bK1');
    expect(() => h.replaceFirst('Via', 'x\r\nEvil: 1')).toThrow();
  });
});
