/**
 * SDES key exchange for SRTP (RFC 4568): the a=crypto lines of an m= line,
 *
 *   a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<base64 of 16-octet key + 14-octet salt>[|lifetime][|MKI:length]
 *
 * Only what the relay can honour is kept: one of our two suites, a single key,
 * no MKI (our packets would have to carry it), no session parameters (KDR,
 * UNENCRYPTED_SRTP... each changes the protocol), a lifetime if any of at least
 * 2^31 packets (far beyond a call). Unusable lines are skipped, as §5.1.2 asks.
 */
import { randomBytes } from 'node:crypto';
import { isSrtpSuite, MASTER_KEY_LENGTH, MASTER_SALT_LENGTH, type SrtpSuite } from '../rtp/srtp.js';

export interface SdesCrypto {
  /** The line's tag: an answer names the offered line it takes by this number (§5.1.2). */
  readonly tag: number;
  readonly suite: SrtpSuite;
  /** Base64 of the 30 octets of master key and salt. */
  readonly key: string;
}

const KEY_SALT = MASTER_KEY_LENGTH + MASTER_SALT_LENGTH;

/** A lifetime as written (`2^31` or decimal), in packets; null when unreadable. */
function lifetime(text: string): number | null {
  const power = /^2\^(\d{1,2})$/.exec(text);
  if (power) return 2 ** Number(power[1]);
  return /^\d{1,16}$/.test(text) ? Number(text) : null;
}

/** One a=crypto line as sdp-transform splits it: tag, suite, key parameters, session parameters. */
export function readCrypto(
  tag: unknown,
  suite: unknown,
  config: unknown,
  sessionConfig: unknown,
): SdesCrypto | null {
  const t = typeof tag === 'number' ? tag : typeof tag === 'string' ? Number(tag) : NaN;
  if (!Number.isInteger(t) || t < 0 || t > 999_999_999) return null;
  if (typeof suite !== 'string' || !isSrtpSuite(suite)) return null;
  if (sessionConfig !== undefined && sessionConfig !== null && String(sessionConfig).trim() !== '')
    return null;
  if (typeof config !== 'string') return null;
  // Several keys (';'-separated, each with its own MKI) are not for us.
  if (config.includes(';')) return null;
  const m = /^inline:([A-Za-z0-9+/=]+)((?:\|[^|]+)*)$/.exec(config.trim());
  if (!m) return null;
  const raw = Buffer.from(m[1]!, 'base64');
  if (raw.length !== KEY_SALT) return null;
  for (const part of m[2]!.split('|').slice(1)) {
    if (part.includes(':')) return null; // an MKI
    const packets = lifetime(part);
    if (packets === null || packets < 2 ** 31) return null;
  }
  return { tag: t, suite, key: raw.toString('base64') };
}

/** The attribute value we write: `<tag> <suite> inline:<key>`. */
export function formatCrypto(c: SdesCrypto): string {
  return `${c.tag} ${c.suite} inline:${c.key}`;
}

/** A fresh master key and salt of our own (RFC 4568 §6.1: from a cryptographically strong source). */
export function newSdesKey(): string {
  return randomBytes(KEY_SALT).toString('base64');
}
