/**
 * Reading a carrier's INVITE: which of our numbers was called (from the
 * Request-URI, To or Diversion, as the trunk is set up) and who is calling
 * (P-Asserted-Identity over From: a trunk is a trusted peer, RFC 3325), both
 * brought to E.164 from the carrier's own number format.
 */
import { parseNameAddr, type SipRequest } from '../../sip/message/index.js';
import type { Trunk } from '../../store/schema.js';
import { fromTrunk } from './dial-plan.js';

export interface InboundNumbers {
  /** The called number in E.164 (null: none, or not a phone number). */
  did: string | null;
  /** The caller's number (E.164 when it is one), or 'anonymous'. */
  caller: string;
  callerName: string;
}

function userOf(header: string | undefined): string | null {
  if (!header) return null;
  const first = header.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0]?.trim() ?? '';
  return parseNameAddr(first)?.uri.user ?? null;
}

export function inboundNumbers(trunk: Trunk, req: SipRequest): InboundNumbers {
  const raw =
    trunk.didSource === 'to'
      ? userOf(req.headers.get('To'))
      : trunk.didSource === 'diversion'
        ? (userOf(req.headers.get('Diversion')) ?? req.uri.user)
        : req.uri.user;
  // The trunk's own format settles digit strings that read as two numbers (with or without a plus).
  const numbering = { ...trunk, format: trunk.numberFormat };
  const did = raw ? fromTrunk(raw, numbering) : null;
  const from = parseNameAddr(req.headers.get('From') ?? '');
  const asserted = userOf(req.headers.get('P-Asserted-Identity'));
  const user = asserted ?? from?.uri.user ?? null;
  const withheld = /\bid\b/i.test(req.headers.get('Privacy') ?? '') || !user || /^anonymous$/i.test(user);
  return {
    did,
    caller: withheld ? 'anonymous' : (fromTrunk(user, numbering) ?? user),
    callerName: withheld ? '' : (from?.displayName ?? ''),
  };
}
