/**
 * Digest authentication of a request against the tenant of its domain. The same
 * answer for an unknown domain, an unknown user, a wrong secret and a user acting
 * as somebody else (the authenticated user must be the From/To user), so a scanner
 * learns nothing (DESIGN.md §5).
 */
import { type DigestAuthenticator, parseCredentials } from '../sip/auth.js';
import { makeResponse } from '../sip/build.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { Directory, ExtensionEntry, TenantEntry } from './directory.js';

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
  opts: { proxy: boolean; party: 'To' | 'From'; realm: string },
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
  if (!header) return challenge(false);
  const creds = parseCredentials(header);
  if (!creds) return { ok: false, response: makeResponse(req, 400, { reason: `Bad ${credsHeader} Header` }) };
  const tenant = directory.tenantByDomain(opts.realm);
  const user = userOf(req.headers.get(opts.party));
  const ext = tenant && creds.username === user ? tenant.extensions.get(creds.username) : undefined;
  const result = auth.verify(creds, req.method, opts.realm, ext?.sipSecret ?? null);
  if (result === 'stale') return challenge(true);
  if (result !== 'ok' || !tenant || !ext) return { ok: false, response: makeResponse(req, 403) };
  return { ok: true, tenant, ext };
}
