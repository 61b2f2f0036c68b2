import { describe, expect, it } from 'vitest';
import {
  authorize,
  DigestAuthenticator,
  digestResponse,
  parseCredentials,
  parseDigestParams,
} from '../../src/sip/auth.js';

describe('digest response', () => {
  it('matches the RFC 2617 §3.5 MD5 example', () => {
    expect(
      digestResponse('MD5', {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it.each([
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
  ] as const)('matches the RFC 7616 §3.9.1 %s example', (alg, expected) => {
    expect(
      digestResponse(alg, {
        username: 'Mufasa',
        realm: 'http-auth@example.org',
        password: 'Circle of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
        qop: 'auth',
        nc: '00000001',
        cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      }),
    ).toBe(expected);
  });
});

describe('DigestAuthenticator', () => {
  let now = 1_800_000_000_000;
  const auth = new DigestAuthenticator({
    secret: Buffer.from('cluster-secret'),
    clock: () => now,
    nonceTtlMs: 60_000,
    algorithms: ['MD5', 'SHA-256'],
  });
  const realm = 'pbx.example.com';
  const req = { method: 'REGISTER', uri: `sip:${realm}` };

  function answer(challenge: string, password: string, nc = 1) {
    return parseCredentials(authorize(challenge, { username: '101', password }, req, nc)!)!;
  }

  it('offers MD5 then SHA-256, with qop=auth', () => {
    const c = auth.challenge(realm);
    expect(c).toHaveLength(2);
    expect(c[0]).toMatch(/^Digest realm="pbx\.example\.com", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    expect(c[1]).toContain('algorithm=SHA-256');
  });

  it('accepts the right password with either algorithm', () => {
    // A fresh challenge per algorithm: both headers of one challenge share a nonce and its count.
    for (const i of [0, 1]) {
      const ch = auth.challenge(realm)[i]!;
      expect(auth.verify(answer(ch, 's3cret'), 'REGISTER', realm, 's3cret')).toBe('ok');
    }
  });

  it('treats an unknown user and a wrong password alike', () => {
    const ch = auth.challenge(realm)[1]!;
    expect(auth.verify(answer(ch, 'wrong'), 'REGISTER', realm, 's3cret')).toBe('invalid');
    expect(auth.verify(answer(ch, 'wrong'), 'REGISTER', realm, null)).toBe('invalid');
  });

  it('issues distinct nonces within one millisecond', () => {
    const a = auth.challenge(realm)[0]!;
    const b = auth.challenge(realm)[0]!;
    expect(a).not.toBe(b);
  });

  it('refuses a replayed nonce count and accepts a higher one', () => {
    const ch = auth.challenge(realm)[0]!;
    expect(auth.verify(answer(ch, 'pw', 1), 'REGISTER', realm, 'pw')).toBe('ok');
    expect(auth.verify(answer(ch, 'pw', 1), 'REGISTER', realm, 'pw')).toBe('invalid');
    expect(auth.verify(answer(ch, 'pw', 2), 'REGISTER', realm, 'pw')).toBe('ok');
  });

  it('says stale for a genuine expired nonce, invalid for a forged or foreign one', () => {
    const ch = auth.challenge(realm)[0]!;
    now += 61_000;
    expect(auth.verify(answer(ch, 'pw'), 'REGISTER', realm, 'pw')).toBe('stale');
    expect(auth.challenge(realm, true)[0]).toContain('stale=true');
    const forged = ch.replace(/nonce="([^".]+)\.[^"]+"/, 'nonce="$1.AAAAAAAAAAAAAAAAAAAAAA"');
    expect(forged).not.toBe(ch);
    expect(auth.verify(answer(forged, 'pw'), 'REGISTER', realm, 'pw')).toBe('invalid');
    const other = new DigestAuthenticator({ secret: Buffer.from('other'), clock: () => now });
    expect(auth.verify(answer(other.challenge(realm)[0]!, 'pw'), 'REGISTER', realm, 'pw')).toBe('invalid');
    expect(auth.verify(answer(auth.challenge('other.realm')[0]!, 'pw'), 'REGISTER', realm, 'pw')).toBe(
      'invalid',
    );
  });

  it('parses credentials with escapes and refuses malformed ones', () => {
    const c = parseCredentials(
      'Digest username="a\\"b", realm="r", nonce="n", uri="sip:r", response="ABC", qop=auth, nc=00000001, cnonce="x"',
    );
    expect(c).toMatchObject({ username: 'a"b', response: 'abc', qop: 'auth', algorithm: 'MD5' });
    expect(parseCredentials('Basic dXNlcjpwYXNz')).toBeNull();
    expect(parseCredentials('Digest username="a", realm="r"')).toBeNull();
    expect(parseCredentials('Digest username="a, realm=r')).toBeNull();
    expect(
      parseCredentials('Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512'),
    ).toBeNull();
    expect(
      parseCredentials('Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth'),
    ).toBeNull();
  });
});

describe('default challenge', () => {
  it('offers MD5 alone, which every client reads the same way', () => {
    const c = new DigestAuthenticator({ secret: Buffer.from('s') }).challenge('r');
    expect(c).toHaveLength(1);
    expect(c[0]).toContain('algorithm=MD5');
  });
});

describe('digest parameters', () => {
  it('reads quoted values with and without quoted-pairs, wherever a backslash lies', () => {
    const p = parseDigestParams(
      'Digest username="plain", realm="a\\"b\\\\c", nonce="n", uri="sip:x", nc=00000001, opaque="z\\y"',
    );
    expect(p && Object.fromEntries(p)).toEqual({
      username: 'plain',
      realm: 'a"b\\c',
      nonce: 'n',
      uri: 'sip:x',
      nc: '00000001',
      opaque: 'zy',
    });
    expect(parseDigestParams('Digest realm="unterminated')).toBeNull();
    expect(parseDigestParams('Digest realm="unterminated\\"')).toBeNull();
  });
});
