/**
 * Page-mode instant messages between extensions (RFC 3428): a MESSAGE outside any
 * dialog is carried to every registered contact of the addressee at once; the
 * sender hears the first success, or the most telling failure when none succeeds.
 * The PBX re-originates it (own Call-ID, From naming the authenticated sender)
 * so one phone cannot pose as another.
 */
import { makeResponse, newCallId, newTag, reasonPhrase } from '../sip/build.js';
import { type LocalAddress, viaFor } from '../sip/dialog.js';
import { Headers, parseUri, type SipRequest, type SipResponse } from '../sip/message/index.js';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import type { Destination } from '../sip/transaction/types.js';
import type { Binding } from './location.js';

export interface Party {
  number: string;
  displayName: string;
  domain: string;
}

/** Which failure the sender hears when every contact refused (as for calls: 6xx, busy, other 4xx, 5xx). */
function rank(status: number): number {
  if (status >= 600) return 0;
  if (status === 486) return 1;
  if (status >= 400 && status < 500 && status !== 408) return 2;
  if (status >= 500) return 3;
  return 4;
}

export function relayMessage(
  layer: TransactionLayer,
  localFor: (dest: Destination) => LocalAddress,
  req: SipRequest,
  tx: ServerTransaction,
  from: Party,
  to: Party,
  bindings: Binding[],
): void {
  let answered = false;
  let outstanding = bindings.length;
  let best: SipResponse | null = null;
  const finish = (res: SipResponse | null): void => {
    if (answered) return;
    if (res && res.status < 300) {
      answered = true;
      tx.respond(makeResponse(req, res.status, { reason: res.reason || reasonPhrase(res.status) }));
      return;
    }
    if (res && (!best || rank(res.status) < rank(best.status))) best = res;
    if (--outstanding > 0) return;
    answered = true;
    const status = best?.status ?? 408;
    tx.respond(makeResponse(req, status, { reason: best?.reason || reasonPhrase(status) }));
  };
  const name = from.displayName ? `"${from.displayName.replace(/["\\]/g, '')}" ` : '';
  const identity = `${name}<sip:${from.number}@${from.domain}>`;
  const callId = newCallId(from.domain);
  for (const b of bindings) {
    const uri = parseUri(b.contact);
    if (!uri) {
      finish(null);
      continue;
    }
    const headers = new Headers();
    headers.append('Via', viaFor(localFor(b.source)));
    for (const p of b.path) headers.append('Route', p);
    headers.append('Max-Forwards', '70');
    headers.append('From', `${identity};tag=${newTag()}`);
    headers.append('To', `<sip:${to.number}@${to.domain}>`);
    headers.append('Call-ID', callId);
    headers.append('CSeq', '1 MESSAGE');
    headers.append('P-Asserted-Identity', identity);
    headers.append('Content-Type', req.headers.get('Content-Type') ?? 'text/plain');
    const out: SipRequest = {
      kind: 'request',
      method: 'MESSAGE',
      uri,
      rawUri: b.contact,
      headers,
      body: req.body,
    };
    layer.sendRequest(out, b.source, {
      response: (res) => res.status >= 200 && finish(res),
      timeout: () => finish(null),
    });
  }
}
