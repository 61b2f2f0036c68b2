/**
 * The INVITE the PBX sends to one registered contact of a party it rings: a new
 * call's fork, or the target of a transfer. The caller's identity goes in From
 * and P-Asserted-Identity (the phone shows it), the contact's Path as Route.
 */
import { authorize, type ClientCredentials } from '../sip/auth.js';
import { newTag } from '../sip/build.js';
import { contactFor, type LocalAddress, viaFor } from '../sip/dialog.js';
import { Headers, parseUri, type SipRequest, type SipResponse } from '../sip/message/index.js';
import type { Binding } from './location.js';
import { inTrunkRealm } from './trunks/challenge.js';

export interface InviteParties {
  /** Who is calling, as the rung phone shows it. */
  from: { number: string; domain: string; name: string };
  to: { number: string; domain: string };
}

export function inviteTo(
  binding: Binding,
  local: LocalAddress,
  parties: InviteParties,
  opts: {
    callId: string;
    maxForwards: number;
    /** Headers carried over from the caller's INVITE (Allow, Supported). */
    carried?: [string, string][];
    body?: Buffer;
    contentType?: string | undefined;
    /** P-Asserted-Identity from the caller (default); off where the identity headers are the trunk's. */
    assertIdentity?: boolean;
  },
): SipRequest | null {
  const uri = parseUri(binding.contact);
  if (!uri) return null;
  const { from: f, to } = parties;
  const from = `${f.name ? `"${f.name.replace(/["\\]/g, '')}" ` : ''}<sip:${f.number}@${f.domain}>;tag=${newTag()}`;
  const headers = new Headers();
  headers.append('Via', viaFor(local));
  for (const p of binding.path) headers.append('Route', p);
  headers.append('Max-Forwards', String(Math.max(1, opts.maxForwards)));
  headers.append('From', from);
  headers.append('To', `<sip:${to.number}@${to.domain}>`);
  headers.append('Call-ID', opts.callId);
  headers.append('CSeq', '1 INVITE');
  headers.append('Contact', contactFor(local));
  if (opts.assertIdentity !== false) headers.append('P-Asserted-Identity', from.replace(/;tag=[^;]*$/, ''));
  for (const [k, v] of opts.carried ?? []) headers.append(k, v);
  const body = opts.body ?? Buffer.alloc(0);
  if (opts.contentType !== undefined && body.length) headers.append('Content-Type', opts.contentType);
  return { kind: 'request', method: 'INVITE', uri, rawUri: binding.contact, headers, body };
}

/**
 * The INVITE again with credentials after a 401/407 (RFC 3261 §22.2): same
 * Call-ID and From tag, the next CSeq, a new branch. Null when no challenge is
 * one we can answer, or none is in the trunk's configured `realm` (then no
 * credentials leave at all: see trunks/challenge.ts).
 */
export function withCredentials(
  req: SipRequest,
  challenge: SipResponse,
  creds: ClientCredentials,
  local: LocalAddress,
  realm: string | null,
): SipRequest | null {
  const proxy = challenge.status === 407;
  let value: string | null = null;
  for (const asked of challenge.headers.getAll(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate')) {
    if (!inTrunkRealm(asked, realm)) continue;
    value = authorize(asked, creds, { method: req.method, uri: req.rawUri });
    if (value) break;
  }
  if (!value) return null;
  const headers = req.headers.clone();
  headers.set('Via', viaFor(local));
  headers.set('CSeq', `${Number.parseInt(headers.get('CSeq') ?? '1', 10) + 1} ${req.method}`);
  headers.set(proxy ? 'Proxy-Authorization' : 'Authorization', value);
  return { ...req, headers };
}

/**
 * The ACK for a 2xx to `invite` (RFC 3261 §13.2.2.4): the INVITE's CSeq number,
 * and the credentials it carried (a challenged INVITE was sent again with them).
 */
export function ackOptions(invite: SipRequest): { cseq: number; headers: [string, string][] } {
  const headers: [string, string][] = [];
  for (const name of ['Authorization', 'Proxy-Authorization']) {
    const v = invite.headers.get(name);
    if (v !== undefined) headers.push([name, v]);
  }
  return { cseq: Number.parseInt(invite.headers.get('CSeq') ?? '1', 10), headers };
}
