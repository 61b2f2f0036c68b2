/**
 * Web Push from the application server's side, on node:crypto alone:
 * - message encryption, RFC 8291 (aes128gcm content coding, RFC 8188, one record);
 * - VAPID, RFC 8292: an ES256 JWT for the push service's origin, with our public key.
 * The portal's service worker receives these as `push` events (web/public/sw.js).
 */
import {
  createCipheriv,
  createECDH,
  createPrivateKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';

export interface VapidKeys {
  /** Uncompressed P-256 point, base64url (65 bytes): the browser's applicationServerKey. */
  publicKey: string;
  /** The private scalar, base64url (32 bytes). */
  privateKey: string;
}

export interface PushSubscriptionKeys {
  endpoint: string;
  /** The browser's P-256 public key, base64url (uncompressed, 65 bytes). */
  p256dh: string;
  /** The browser's 16-byte authentication secret, base64url. */
  auth: string;
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64url');

export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { publicKey: ecdh.getPublicKey('base64url'), privateKey: ecdh.getPrivateKey('base64url') };
}

function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/**
 * The aes128gcm body for one subscription (RFC 8291 §3.4): header (salt, record
 * size, our ephemeral public key) and one record, the plaintext followed by the
 * 0x02 delimiter. `fixed` pins the ephemeral key and salt (the RFC's example).
 */
export function encryptPushMessage(
  plaintext: Buffer,
  to: { p256dh: string; auth: string },
  fixed?: { asPrivateKey: string; salt: string },
): Buffer {
  const uaPublic = b64(to.p256dh);
  const authSecret = b64(to.auth);
  if (uaPublic.length !== 65 || uaPublic[0] !== 4)
    throw new RangeError('p256dh is not an uncompressed P-256 key');
  if (authSecret.length !== 16) throw new RangeError('auth must be 16 bytes');
  const ecdh = createECDH('prime256v1');
  if (fixed) ecdh.setPrivateKey(b64(fixed.asPrivateKey));
  else ecdh.generateKeys();
  const asPublic = ecdh.getPublicKey();
  const ecdhSecret = ecdh.computeSecret(uaPublic);
  // §3.3: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32).
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = hkdf(authSecret, ecdhSecret, keyInfo, 32);
  const salt = fixed ? b64(fixed.salt) : randomBytes(16);
  // RFC 8188 §2.2-2.3: content-encryption key and nonce.
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0'), 12);
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const record = Buffer.concat([
    cipher.update(Buffer.concat([plaintext, Buffer.from([2])])),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const rs = 4096;
  if (record.length > rs) throw new RangeError('push message too long for one record');
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(rs, 16);
  header[20] = asPublic.length;
  return Buffer.concat([header, asPublic, record]);
}

function vapidKeyObject(keys: VapidKeys): KeyObject {
  const pub = b64(keys.publicKey);
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: keys.privateKey,
      x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}

/**
 * The Authorization header value for a push to `endpoint` (RFC 8292 §3): a JWT
 * for the push service's origin, valid 12 hours, signed ES256 (raw r||s).
 */
export function vapidAuthorization(
  endpoint: string,
  keys: VapidKeys,
  subject: string,
  now = Date.now(),
): string {
  const aud = new URL(endpoint).origin;
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ typ: 'JWT', alg: 'ES256' })}.${part({ aud, exp: Math.floor(now / 1000) + 12 * 3600, sub: subject })}`;
  const signature = sign('sha256', Buffer.from(unsigned), {
    key: vapidKeyObject(keys),
    dsaEncoding: 'ieee-p1363',
  });
  return `vapid t=${unsigned}.${signature.toString('base64url')}, k=${keys.publicKey}`;
}

export type PushResult = 'sent' | 'gone' | 'failed';

/**
 * Sends one push (RFC 8030 §5). 404/410 mean the subscription is dead and should
 * be forgotten; other failures are worth a later try.
 */
export async function sendPush(
  sub: PushSubscriptionKeys,
  payload: object,
  keys: VapidKeys,
  opts: {
    subject: string;
    ttlSec?: number;
    urgency?: 'very-low' | 'low' | 'normal' | 'high';
    topic?: string;
  },
): Promise<PushResult> {
  const body = encryptPushMessage(Buffer.from(JSON.stringify(payload)), sub);
  try {
    const res = await fetch(sub.endpoint, {
      method: 'POST',
      headers: {
        'content-encoding': 'aes128gcm',
        'content-type': 'application/octet-stream',
        ttl: String(opts.ttlSec ?? 60),
        urgency: opts.urgency ?? 'high',
        ...(opts.topic ? { topic: opts.topic } : {}),
        authorization: vapidAuthorization(sub.endpoint, keys, opts.subject),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status === 404 || res.status === 410) return 'gone';
    return res.ok ? 'sent' : 'failed';
  } catch {
    return 'failed';
  }
}
