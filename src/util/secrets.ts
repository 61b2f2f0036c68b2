/** Random secrets: passwords shown to people, SIP secrets typed into phones, API tokens. */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

// No look-alikes (0/O, 1/l/I) in anything a person may read off a screen and type.
const READABLE = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function readableSecret(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += READABLE[randomInt(READABLE.length)];
  return out;
}

/** A SIP digest secret: 16 readable characters (~93 bits), easy to key into a desk phone. */
export const generateSipSecret = (): string => readableSecret(16);

/** A portal password for a generated account: 14 readable characters (~81 bits). */
export const generatePassword = (): string => readableSecret(14);

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
