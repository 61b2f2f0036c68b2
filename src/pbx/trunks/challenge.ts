/**
 * Which digest challenges a trunk's account may answer (issue 12, the digest leak
 * of FreeSWITCH CVE-2021-41158). Credentials are computed only for a request sent
 * to that trunk (callers hold the account only on a trunk's fork, never on a
 * phone's), and, when the trunk has a configured realm, only for a challenge in
 * that realm: a peer that challenges with a realm of its choosing gets nothing it
 * could replay or crack for another service.
 */
import { parseDigestParams } from '../../sip/auth.js';

/** True when `challenge` (a WWW-/Proxy-Authenticate value) is in the trunk's realm, or the trunk names none. */
export function inTrunkRealm(challenge: string, realm: string | null): boolean {
  if (realm === null) return true;
  return parseDigestParams(challenge)?.get('realm') === realm;
}
