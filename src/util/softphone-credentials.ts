/**
 * Short-lived SIP credentials for the browser softphone, in the manner of TURN's
 * REST credentials: the digest user name carries the extension and an expiry
 * (`101~1764160000`), and the password is a MAC of tenant, extension and expiry
 * under a platform secret. The portal hands them to a signed-in user for their
 * own extension; the PBX recomputes the password from the user name alone. The
 * extension's real SIP secret never reaches the browser, and a leaked credential
 * dies by itself.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface SoftphoneCredential {
  /** The digest user name (not the AOR user: that stays the extension number). */
  username: string;
  password: string;
  expiresAt: Date;
}

const USERNAME = /^([^~]+)~(\d{1,12})$/;

export function softphonePassword(
  secret: string,
  tenantId: string,
  number: string,
  expiresSec: number,
): string {
  return createHmac('sha256', secret)
    .update(`${tenantId}\n${number}\n${expiresSec}`)
    .digest('base64url')
    .slice(0, 32);
}

export function issueSoftphoneCredential(
  secret: string,
  tenantId: string,
  number: string,
  ttlSec: number,
  now: Date = new Date(),
): SoftphoneCredential {
  const expiresSec = Math.floor(now.getTime() / 1000) + ttlSec;
  return {
    username: `${number}~${expiresSec}`,
    password: softphonePassword(secret, tenantId, number, expiresSec),
    expiresAt: new Date(expiresSec * 1000),
  };
}

/** The extension and expiry a softphone user name names, or null if it is not one. */
export function parseSoftphoneUsername(username: string): { number: string; expiresSec: number } | null {
  const m = USERNAME.exec(username);
  return m ? { number: m[1]!, expiresSec: Number(m[2]) } : null;
}

/** Name of the platform secret (store.platformSecret) that signs the credentials. */
export const SOFTPHONE_SECRET = 'softphone-credentials';

/** A new random secret for SOFTPHONE_SECRET. */
export function newSoftphoneSecret(): string {
  return randomBytes(32).toString('base64url');
}
