/**
 * SIP digest authentication (RFC 3261 §22.4 with RFC 7616 / RFC 8760 algorithms).
 *
 * Server side: stateless nonces (a timestamp and a keyed SHA-512/256 MAC over it and the realm)
 * so any node can check a nonce any other node issued with the same secret; an
 * expired but genuine nonce gets `stale=true` so the phone retries without asking
 * the user. Nonce-count replay is refused with a bounded memory of the highest
 * count seen per nonce. An unknown user is checked against a random password, so
 * the work done and the answer given are the same as for a wrong password.
 *
 * Client side: `authorize()` answers a challenge (for trunks and tests).
 */
import { hash, randomBytes } from 'node:crypto';
import { ownCopy } from './message/own-copy.js';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop: 'auth' | null;
  nc: string | null;
  cnonce: string | null;
  opaque: string | null;
}

export type VerifyResult = 'ok' | 'stale' | 'invalid';

const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

function h(alg: DigestAlgorithm, text: string): string {
  // One-shot hashing: several times cheaper than createHash() for inputs this small.
  return hash(HASH[alg], text, 'hex');
}

/**
 * Compares two strings in time that depends on their length only, not on where they
 * differ (what `timingSafeEqual` does for buffers, without making two buffers per
 * comparison on every REGISTER). The lengths of a digest or a MAC are public.
 */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function digestResponse(
  alg: DigestAlgorithm,
  p: {
    username: string;
    realm: string;
    password: string;
    method: string;
    uri: string;
    nonce: string;
    qop: 'auth' | null;
    nc: string | null;
    cnonce: string | null;
  },
): string {
  const ha1 = h(alg, `${p.username}:${p.realm}:${p.password}`);
  const ha2 = h(alg, `${p.method}:${p.uri}`);
  // RFC 2617 §3.2.2.1: with qop the nonce count and client nonce enter the hash; without it (RFC 2069) they do not.
  return p.qop
    ? h(alg, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
    : h(alg, `${ha1}:${p.nonce}:${ha2}`);
}

/** Splits `Digest a="b", c=d` into its scheme and lower-cased parameter names. Never throws. */
export function parseDigestParams(value: string): Map<string, string> | null {
  const m = /^\s*Digest\s+/i.exec(value);
  if (!m) return null;
  const out = new Map<string, string>();
  let i = m[0].length;
  const s = value;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) return null;
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9-]+$/.test(name)) return null;
    i = eq + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let val = '';
    if (s[i] === '"') {
      i++;
      const close = s.indexOf('"', i);
      const pair = s.indexOf('\\', i);
      if (close >= 0 && (pair < 0 || pair > close)) {
        // The usual case, no quoted-pair: the value is one slice.
        val = s.slice(i, close);
        i = close;
      } else
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          val += s[i];
          i++;
        }
      if (s[i] !== '"') return null;
      i++;
    } else {
      const end = s.indexOf(',', i);
      val = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
      i = end < 0 ? s.length : end;
    }
    out.set(name, val);
  }
  return out;
}

export function parseCredentials(value: string): DigestCredentials | null {
  const p = parseDigestParams(value);
  if (!p) return null;
  const get = (k: string) => p.get(k) ?? null;
  const username = get('username');
  const realm = get('realm');
  const nonce = get('nonce');
  const uri = get('uri');
  const response = get('response');
  if (username === null || realm === null || nonce === null || uri === null || response === null) return null;
  const algName = (get('algorithm') ?? 'MD5').toUpperCase();
  if (algName !== 'MD5' && algName !== 'SHA-256') return null;
  const qop = get('qop');
  if (qop !== null && qop.toLowerCase() !== 'auth') return null;
  const nc = get('nc');
  const cnonce = get('cnonce');
  if (qop && (!nc || !/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce)) return null;
  return {
    username,
    realm,
    nonce,
    uri,
    response: response.toLowerCase(),
    algorithm: algName,
    qop: qop ? 'auth' : null,
    nc,
    cnonce,
    opaque: get('opaque'),
  };
}

export interface AuthenticatorOptions {
  /** Shared by every node of a cluster, so nonces verify anywhere. */
  secret: Buffer;
  nonceTtlMs?: number;
  /**
   * The challenges offered, in order. Default: MD5 alone. Clients disagree on
   * which of several challenges they read (SIPp 3.6 takes the first, SIP.js 0.21
   * the last) and many know only MD5, so offering SHA-256 next to MD5 (RFC 8760
   * §2.4) locks some of them out. Offer SHA-256 where every device supports it.
   */
  algorithms?: DigestAlgorithm[];
  clock?: () => number;
  /** How many nonces' counts are remembered for replay detection. */
  maxTrackedNonces?: number;
}

export class DigestAuthenticator {
  private readonly ttl: number;
  private readonly algorithms: DigestAlgorithm[];
  private readonly clock: () => number;
  private readonly maxTracked: number;
  /** nonce -> highest nonce-count accepted; insertion-ordered so the oldest is dropped first. */
  private readonly counts = new Map<string, number>();
  /** Makes two nonces of one millisecond differ; the MAC, not secrecy, makes nonces unforgeable. */
  private readonly instance = randomBytes(4).toString('base64url');
  private issued = 0;
  private readonly secretText: string;
  /** Nonce-count records forgotten at the bound while their nonce was still valid (/metrics). */
  evictedLive = 0;
  /**
   * What an unknown user's response is checked against: made once, so the failing path
   * does exactly the work of a wrong password (no random bytes drawn per request).
   */
  private readonly nobody = randomBytes(16).toString('hex');

  constructor(opts: AuthenticatorOptions) {
    this.ttl = opts.nonceTtlMs ?? 300_000;
    this.algorithms = opts.algorithms ?? ['MD5'];
    this.clock = opts.clock ?? Date.now;
    this.maxTracked = opts.maxTrackedNonces ?? 100_000;
    this.secretText = opts.secret.toString('hex');
  }

  private mac(stamp: string, realm: string): string {
    // SHA-512/256 is immune to length extension, so secret-prefix hashing is a sound MAC
    // here, at a third of an HMAC's cost (one runs per challenge and per answer).
    return hash('sha512-256', `${this.secretText}:${stamp}:${realm}`, 'base64url').slice(0, 22);
  }

  /**
   * A new nonce: `<ms timestamp base36>-<instance><counter>.<MAC>`. The instance and
   * counter keep two nonces of the same millisecond apart (on this node and across
   * nodes), so their nonce-counts never clash.
   */
  nonce(realm: string): string {
    this.issued = (this.issued + 1) % 0x7fffffff;
    const stamp = `${this.clock().toString(36)}-${this.instance}${this.issued.toString(36)}`;
    return `${stamp}.${this.mac(stamp, realm)}`;
  }

  /** WWW-Authenticate / Proxy-Authenticate values, one per algorithm, in preference order. */
  challenge(realm: string, stale = false): string[] {
    const nonce = this.nonce(realm);
    return this.algorithms.map(
      (alg) =>
        `Digest realm="${realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
    );
  }

  /** Nonce-count records held, and the most that are (/metrics). */
  get nonceRecords(): { size: number; max: number } {
    return { size: this.counts.size, max: this.maxTracked };
  }

  /** Checks the nonce is ours and for this realm: 'ok', 'stale' (genuine but expired) or 'invalid'. */
  checkNonce(nonce: string, realm: string): VerifyResult {
    const dot = nonce.indexOf('.');
    if (dot <= 0) return 'invalid';
    const stamp = nonce.slice(0, dot);
    if (!sameText(this.mac(stamp, realm), nonce.slice(dot + 1))) return 'invalid';
    const dash = stamp.indexOf('-');
    const issued = Number.parseInt(dash < 0 ? stamp : stamp.slice(0, dash), 36);
    if (!Number.isFinite(issued)) return 'invalid';
    const age = this.clock() - issued;
    return age < -5_000 || age > this.ttl ? 'stale' : 'ok';
  }

  /**
   * Verifies credentials for a request. `password` null means the user does not
   * exist: the same hashing is done against a random password, so the outcome and
   * the time taken do not reveal it.
   */
  verify(creds: DigestCredentials, method: string, realm: string, password: string | null): VerifyResult {
    const secret = password ?? this.nobody;
    const expected = digestResponse(creds.algorithm, { ...creds, realm, password: secret, method });
    const match = sameText(expected, creds.response);
    if (creds.realm !== realm || password === null || !match) return 'invalid';
    const nonceState = this.checkNonce(creds.nonce, realm);
    if (nonceState !== 'ok') return nonceState;
    if (creds.qop && creds.nc) {
      // RFC 7616 §3.4.5: a nonce-count not higher than one already accepted is a replay.
      const nc = Number.parseInt(creds.nc, 16);
      const seen = this.counts.get(creds.nonce) ?? 0;
      if (nc <= seen) return 'invalid';
      this.counts.delete(creds.nonce);
      // Kept for the nonce's lifetime: its own text, not a slice of the whole request.
      this.counts.set(ownCopy(creds.nonce), nc);
      if (this.counts.size > this.maxTracked) {
        // Bounded by forgetting the oldest rather than refusing: a record is only made after a
        // right password, so only real phones fill the table, and refusing them would lock
        // them out. A forgotten nonce that has not expired yet loses its replay protection;
        // /metrics counts those (raise the bound if it grows).
        const oldest = this.counts.keys().next().value;
        if (oldest !== undefined) {
          this.counts.delete(oldest);
          const issued = Number.parseInt(oldest.slice(0, oldest.search(/[-.]/)), 36);
          if (this.clock() - issued <= this.ttl) this.evictedLive++;
        }
      }
    }
    return 'ok';
  }
}

export interface ClientCredentials {
  username: string;
  password: string;
}

/**
 * Answers a challenge (UAC side): returns the Authorization / Proxy-Authorization
 * value, or null when the challenge is not a digest we support.
 */
export function authorize(
  challenge: string,
  creds: ClientCredentials,
  request: { method: string; uri: string },
  nc = 1,
  cnonce = randomBytes(8).toString('hex'),
): string | null {
  const p = parseDigestParams(challenge);
  if (!p) return null;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) return null;
  const algName = (p.get('algorithm') ?? 'MD5').toUpperCase();
  if (algName !== 'MD5' && algName !== 'SHA-256') return null;
  const alg: DigestAlgorithm = algName;
  const qops = (p.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
  const qop = qops.includes('auth') ? 'auth' : null;
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = digestResponse(alg, {
    username: creds.username,
    realm,
    password: creds.password,
    method: request.method,
    uri: request.uri,
    nonce,
    qop,
    nc: qop ? ncHex : null,
    cnonce: qop ? cnonce : null,
  });
  const q = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  const parts = [
    `username=${q(creds.username)}`,
    `realm=${q(realm)}`,
    `nonce=${q(nonce)}`,
    `uri=${q(request.uri)}`,
    `response=${q(response)}`,
    `algorithm=${alg}`,
  ];
  if (qop) parts.push(`qop=auth`, `nc=${ncHex}`, `cnonce=${q(cnonce)}`);
  const opaque = p.get('opaque');
  if (opaque !== undefined) parts.push(`opaque=${q(opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
