/**
 * Secrets kept at rest sealed with AES-256-GCM: an integration's tokens and
 * secret headers. A database dump or backup alone does not give away a tenant's
 * CRM token; the key is a platform secret (every node of a cluster shares it).
 * Format: "v1." + base64(12-byte IV | 16-byte tag | ciphertext).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export function newSealKey(): string {
  return randomBytes(32).toString('base64');
}

export function seal(keyBase64: string, plaintext: string): string {
  const key = Buffer.from(keyBase64, 'base64');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** The plaintext; throws when the value was not sealed with this key (or was tampered with). */
export function unseal(keyBase64: string, sealed: string): string {
  if (!sealed.startsWith('v1.')) throw new Error('not a sealed value');
  const raw = Buffer.from(sealed.slice(3), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(keyBase64, 'base64'), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
