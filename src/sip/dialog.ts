/**
 * Dialogs (RFC 3261 §12): the state two user agents share after an INVITE is
 * answered, and the building of requests inside it. A B2BUA holds one dialog per
 * side of a call, as UAS towards the caller and as UAC towards the callee.
 */
import { newBranch, tagOf } from './build.js';
import {
  Headers,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from './message/index.js';
import type { Destination, TransportName } from './transaction/types.js';

/** How this node names itself in Via and Contact on a given transport. */
export interface LocalAddress {
  host: string;
  port: number;
  transport: TransportName;
}

export function viaFor(local: LocalAddress, branch = newBranch()): string {
  return `SIP/2.0/${local.transport} ${local.host}:${local.port};branch=${branch};rport`;
}

export function contactFor(local: LocalAddress, user = 'nimbus'): string {
  const t = local.transport === 'UDP' ? '' : `;transport=${local.transport.toLowerCase()}`;
  return `<sip:${user}@${local.host}:${local.port}${t}>`;
}

function contactUri(msg: SipRequest | SipResponse): SipUri | null {
  const c = msg.headers.get('Contact');
  if (!c) return null;
  return parseNameAddr(c)?.uri ?? parseUri(c.replace(/^<|>$/g, ''));
}

export class Dialog {
  remoteSeq: number | null;

  private constructor(
    readonly callId: string,
    readonly localTag: string,
    readonly remoteTag: string,
    /** Our From (UAC) or To (UAS) value, with our tag. */
    readonly localParty: string,
    /** The peer's party value, with its tag. */
    readonly remoteParty: string,
    public localSeq: number,
    remoteSeq: number | null,
    public remoteTarget: SipUri,
    readonly routeSet: string[],
    /** Where requests in this dialog go: the peer's flow, so NAT and TCP connections are reused. */
    public dest: Destination,
    readonly local: LocalAddress,
  ) {
    this.remoteSeq = remoteSeq;
  }

  /** §12.1.1: the dialog a UAS forms when it answers `invite` with To tag `localTag`. */
  static asUas(invite: SipRequest, localTag: string, dest: Destination, local: LocalAddress): Dialog | null {
    const target = contactUri(invite);
    const from = invite.headers.get('From');
    const to = invite.headers.get('To');
    const remoteTag = tagOf(from);
    if (!target || !from || !to || !remoteTag) return null;
    return new Dialog(
      invite.headers.get('Call-ID') ?? '',
      localTag,
      remoteTag,
      tagOf(to) ? to : `${to};tag=${localTag}`,
      from,
      Math.floor(Math.random() * 10_000) + 1,
      Number.parseInt(invite.headers.get('CSeq') ?? '0', 10),
      target,
      invite.headers.getAll('Record-Route'),
      dest,
      local,
    );
  }

  /** §12.1.2: the dialog a UAC forms from a response with a To tag to its `invite`. */
  static asUac(
    invite: SipRequest,
    response: SipResponse,
    dest: Destination,
    local: LocalAddress,
  ): Dialog | null {
    const target = contactUri(response);
    const to = response.headers.get('To');
    const from = invite.headers.get('From');
    const remoteTag = tagOf(to);
    const localTag = tagOf(from);
    if (!target || !to || !from || !remoteTag || !localTag) return null;
    return new Dialog(
      invite.headers.get('Call-ID') ?? '',
      localTag,
      remoteTag,
      from,
      to,
      Number.parseInt(invite.headers.get('CSeq') ?? '1', 10),
      null,
      target,
      response.headers.getAll('Record-Route').reverse(),
      dest,
      local,
    );
  }

  /**
   * RFC 6665 §4.1.2.4: the subscriber's dialog, formed by the first NOTIFY to its
   * `subscribe` (which may arrive before the 200 does). Our tag is the NOTIFY's To tag.
   */
  static fromNotify(
    subscribe: SipRequest,
    notify: SipRequest,
    dest: Destination,
    local: LocalAddress,
  ): Dialog | null {
    const target = contactUri(notify);
    const from = notify.headers.get('From');
    const to = notify.headers.get('To');
    const remoteTag = tagOf(from);
    const localTag = tagOf(to);
    if (!target || !from || !to || !remoteTag || !localTag) return null;
    return new Dialog(
      notify.headers.get('Call-ID') ?? '',
      localTag,
      remoteTag,
      to,
      from,
      Number.parseInt(subscribe.headers.get('CSeq') ?? '1', 10),
      Number.parseInt(notify.headers.get('CSeq') ?? '0', 10) - 1,
      target,
      notify.headers.getAll('Record-Route'),
      dest,
      local,
    );
  }

  /** The key incoming in-dialog requests are matched on (§12.2.2): Call-ID and both tags. */
  get key(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  /**
   * §12.2.1.1: a request inside the dialog. ACK and CANCEL reuse the INVITE's
   * CSeq number (pass `cseq`); everything else takes the next local number.
   */
  request(
    method: string,
    opts: { cseq?: number; body?: Buffer; contentType?: string; headers?: [string, string][] } = {},
  ): SipRequest {
    const seq = opts.cseq ?? ++this.localSeq;
    const headers = new Headers();
    headers.append('Via', viaFor(this.local));
    for (const r of this.routeSet) headers.append('Route', r);
    headers.append('Max-Forwards', '70');
    headers.append('From', this.localParty);
    headers.append('To', this.remoteParty);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${seq} ${method}`);
    if (method !== 'ACK' && method !== 'CANCEL' && method !== 'BYE')
      headers.append('Contact', contactFor(this.local));
    for (const [k, v] of opts.headers ?? []) headers.append(k, v);
    const body = opts.body ?? Buffer.alloc(0);
    if (body.length) headers.append('Content-Type', opts.contentType ?? 'application/sdp');
    return { kind: 'request', method, uri: this.remoteTarget, rawUri: '', headers, body };
  }

  /**
   * §12.2.2: checks an incoming in-dialog request's CSeq is newer than the last,
   * and takes a refreshed target from re-INVITE / UPDATE. False: answer 500.
   */
  accept(req: SipRequest): boolean {
    const seq = Number.parseInt(req.headers.get('CSeq') ?? '', 10);
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== null && seq <= this.remoteSeq) return false;
      this.remoteSeq = seq;
    }
    // Target refresh requests (RFC 3261 §12.2, RFC 6665 §4.1.2.1).
    if (
      req.method === 'INVITE' ||
      req.method === 'UPDATE' ||
      req.method === 'SUBSCRIBE' ||
      req.method === 'NOTIFY'
    ) {
      const target = contactUri(req);
      if (target) this.remoteTarget = target;
    }
    return true;
  }
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

/** The dialog key of an incoming in-dialog request, seen from our side (our tag is in To). */
export function incomingDialogKey(req: SipRequest): string | null {
  const local = tagOf(req.headers.get('To'));
  const remote = tagOf(req.headers.get('From'));
  if (!local || !remote) return null;
  return dialogKey(req.headers.get('Call-ID') ?? '', local, remote);
}
