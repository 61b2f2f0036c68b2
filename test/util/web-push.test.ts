/**
 * Web Push encryption against RFC 8291 Appendix A (the published example, byte
 * for byte), a decryption written here from RFC 8188 as the receiving browser
 * does it, and VAPID tokens (RFC 8292) verified with the public key we advertise.
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, verify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  encryptPushMessage,
  generateVapidKeys,
  sendPush,
  vapidAuthorization,
} from '../../src/util/web-push.js';

const RFC = {
  plaintext: 'When I grow up, I want to be a watermelon',
  asPrivate: 'yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  uaPublic: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  salt: 'DGv6ra1nlYgDCS1FRnbzlw',
  auth: 'BTBZMqHH6r4Tts7J_aSIgg',
  body: 'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

/** What a browser does with a push body (RFC 8291 §3.4, RFC 8188 §2). */
function decrypt(body: Buffer, uaPrivate: string, auth: string): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(uaPrivate, 'base64url'));
  const uaPublic = ecdh.getPublicKey();
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(
    hkdfSync('sha256', ecdh.computeSecret(asPublic), Buffer.from(auth, 'base64url'), info, 32),
  );
  const key = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const d = createDecipheriv('aes-128-gcm', key, nonce);
  d.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([d.update(record.subarray(0, record.length - 16)), d.final()]);
  const end = padded.lastIndexOf(2);
  return padded.subarray(0, end).toString();
}

describe('Web Push', () => {
  it('encrypts the RFC 8291 example byte for byte', () => {
    const out = encryptPushMessage(
      Buffer.from(RFC.plaintext),
      { p256dh: RFC.uaPublic, auth: RFC.auth },
      { asPrivateKey: RFC.asPrivate, salt: RFC.salt },
    );
    expect(out.toString('base64url')).toBe(RFC.body);
    expect(decrypt(Buffer.from(RFC.body, 'base64url'), RFC.uaPrivate, RFC.auth)).toBe(RFC.plaintext);
  });

  it('encrypts with a fresh key and salt each time, and the browser reads it', () => {
    const a = encryptPushMessage(Buffer.from('{"type":"call"}'), { p256dh: RFC.uaPublic, auth: RFC.auth });
    const b = encryptPushMessage(Buffer.from('{"type":"call"}'), { p256dh: RFC.uaPublic, auth: RFC.auth });
    expect(a.equals(b)).toBe(false);
    expect(decrypt(a, RFC.uaPrivate, RFC.auth)).toBe('{"type":"call"}');
    expect(() => encryptPushMessage(Buffer.from('x'), { p256dh: 'AAAA', auth: RFC.auth })).toThrow(/p256dh/);
  });

  it('signs a VAPID token the push service can check with our public key', () => {
    const keys = generateVapidKeys();
    const header = vapidAuthorization(
      'https://push.example.net/send/abc?x=1',
      keys,
      'mailto:ops@example.com',
      1_764_000_000_000,
    );
    const m = /^vapid t=([^.]+)\.([^.]+)\.([^,]+), k=(\S+)$/.exec(header)!;
    expect(m[4]).toBe(keys.publicKey);
    const claims = JSON.parse(Buffer.from(m[2]!, 'base64url').toString());
    expect(claims).toEqual({
      aud: 'https://push.example.net',
      exp: 1_764_000_000 + 12 * 3600,
      sub: 'mailto:ops@example.com',
    });
    const pub = Buffer.from(keys.publicKey, 'base64url');
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: pub.subarray(1, 33).toString('base64url'),
        y: pub.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    const ok = verify(
      'sha256',
      Buffer.from(`${m[1]}.${m[2]}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(m[3]!, 'base64url'),
    );
    expect(ok).toBe(true);
  });

  it('posts to the push service with the RFC 8030 headers, and tells a dead subscription apart', async () => {
    const got: { headers: Record<string, unknown>; body: Buffer; url: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks), url: req.url ?? '' });
        res.statusCode = req.url === '/gone' ? 410 : 201;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keys = generateVapidKeys();
    const sub = { p256dh: RFC.uaPublic, auth: RFC.auth };
    try {
      const payload = { type: 'call', title: 'Incoming call', body: '101 Reception' };
      expect(
        await sendPush({ ...sub, endpoint: `${base}/live` }, payload, keys, { subject: 'mailto:a@b.c' }),
      ).toBe('sent');
      expect(
        await sendPush({ ...sub, endpoint: `${base}/gone` }, payload, keys, { subject: 'mailto:a@b.c' }),
      ).toBe('gone');
      expect(
        await sendPush({ ...sub, endpoint: 'http://127.0.0.1:1/x' }, payload, keys, {
          subject: 'mailto:a@b.c',
        }),
      ).toBe('failed');
      expect(got[0]!.headers).toMatchObject({ 'content-encoding': 'aes128gcm', ttl: '60', urgency: 'high' });
      expect(String(got[0]!.headers.authorization)).toMatch(/^vapid t=.+, k=/);
      expect(JSON.parse(decrypt(got[0]!.body, RFC.uaPrivate, RFC.auth))).toEqual(payload);
    } finally {
      server.close();
    }
  });
});
