/**
 * Digest authentication of a request against the tenant of its domain. The same
 * answer for an unknown domain, an unknown user, a wrong secret and a user acting
 * as somebody else (the authenticated user must be the From/To user), so a scanner
 * learns nothing (DESIGN.md §5).
 */
import { type DigestAuthenticator, parseCredentials } from '../sip/auth.js';
import { makeResponse } from '../sip/build.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { Destination } from '../sip/transaction/types.js';
import { parseSoftphoneUsername, softphonePassword } from '../util/softphone-credentials.js';
import type { Directory, ExtensionEntry, TenantEntry } from './directory.js';

/**
 * The extension a digest user name stands for and the password it must have
 * used: the extension's SIP secret, or for a live softphone credential its MAC.
 */
function passwordOf(
  username: string,
  tenant: TenantEntry | undefined,
  secret: string | null,
  now = Date.now(),
): { number: string; password: string | null } {
  const eph = secret ? parseSoftphoneUsername(username) : null;
  if (!eph || !tenant || !secret)
    return { number: username, password: tenant?.extensions.get(username)?.sipSecret ?? null };
  // An expired credential fails like a wrong one; the portal fetches a fresh one before then.
  if (eph.expiresSec * 1000 <= now) return { number: eph.number, password: null };
  return { number: eph.number, password: softphonePassword(secret, tenant.id, eph.number, eph.expiresSec) };
}

/** Why credentials were refused: for the operator's security log only, never for the answer. */
export type AuthFailure = 'unknown-domain' | 'unknown-user' | 'wrong-password' | 'banned';

/**
 * What brute-force protection needs from authentication: whether a source may
 * try this user at all, and each failure. A refused source gets exactly the
 * answer (and the hashing work) of a wrong password.
 */
export interface AuthWatch {
  refused(ip: string, user: string): boolean;
  failed(f: {
    ip: string;
    user: string;
    realm: string;
    method: string;
    transport: string;
    reason: AuthFailure;
  }): void;
}

export type AuthOutcome =
  | { ok: true; tenant: TenantEntry; ext: ExtensionEntry }
  | { ok: false; response: SipResponse };

/** The user part of a From/To header value. */
export function userOf(headerValue: string | undefined): string | null {
  if (!headerValue) return null;
  const m = /sips?:([^@;>]+)@/i.exec(headerValue);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/**
 * `proxy`: challenge with 407 / Proxy-Authenticate (calls); otherwise 401 /
 * WWW-Authenticate (registrations). `party` names the header whose user must be
 * the authenticated one: To for REGISTER, From for everything else.
 */
export function authenticate(
  req: SipRequest,
  directory: Directory,
  auth: DigestAuthenticator,
  opts: {
    proxy: boolean;
    party: 'To' | 'From';
    realm: string;
    /** Where the request came from: what failures are counted and bans kept against. */
    source?: Destination;
    watch?: AuthWatch;
  },
): AuthOutcome {
  const [status, challengeHeader, credsHeader] = opts.proxy
    ? [407, 'Proxy-Authenticate', 'Proxy-Authorization']
    : [401, 'WWW-Authenticate', 'Authorization'];
  const challenge = (stale: boolean): AuthOutcome => ({
    ok: false,
    response: makeResponse(req, status, {
      headers: auth.challenge(opts.realm, stale).map((c) => [challengeHeader, c]),
    }),
  });
  const header = req.headers.get(credsHeader);
  // No credentials, or in a scheme we do not speak (RFC 4475 §3.3.9, regaut01): challenge.
  if (!header || !/^\s*digest\s/i.test(header)) return challenge(false);
  const creds = parseCredentials(header);
  if (!creds) return { ok: false, response: makeResponse(req, 400, { reason: `Bad ${credsHeader} Header` }) };
  const tenant = directory.tenantByDomain(opts.realm);
  const user = userOf(req.headers.get(opts.party));
  const { number, password } = passwordOf(creds.username, tenant, directory.softphoneSecret);
  const ext = tenant && number === user ? tenant.extensions.get(number) : undefined;
  const result = auth.verify(creds, req.method, opts.realm, ext ? password : null);
  // Asked after the hashing, so a banned source costs (and is answered) like a wrong password.
  const banned = opts.source && opts.watch ? opts.watch.refused(opts.source.host, creds.username) : false;
  if (result === 'stale' && !banned) return challenge(true);
  if (result !== 'ok' || !tenant || !ext || banned) {
    if (opts.source && opts.watch)
      opts.watch.failed({
        ip: opts.source.host,
        user: creds.username,
        realm: opts.realm,
        method: req.method,
        transport: opts.source.transport,
        reason: banned ? 'banned' : !tenant ? 'unknown-domain' : !ext ? 'unknown-user' : 'wrong-password',
      });
    return { ok: false, response: makeResponse(req, 403) };
  }
  return { ok: true, tenant, ext };
}
