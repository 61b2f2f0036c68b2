/**
 * Building requests and responses from others, as RFC 3261 prescribes: responses
 * (§8.2.6), ACK for a non-2xx final response (§17.1.1.3) and CANCEL (§9.1).
 */
import { hash, randomBytes, randomFillSync } from 'node:crypto';
import { Headers, parseTopVia, type SipRequest, type SipResponse, type ViaView } from './message/index.js';

/** RFC 3261 §8.1.1.7: branches start with the magic cookie so RFC 2543 peers are told apart. */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Random octets for branches, tags and Call-IDs, drawn from a pool refilled 4 KB at a
 * time: a call makes several of these, and one `randomBytes()` per value (a native job
 * and a Buffer for a handful of octets) cost about 2 % of the SIP thread at 300 calls/s.
 * Each octet is handed out once; the pool is refilled from the same CSPRNG.
 */
const pool = Buffer.allocUnsafeSlow(4096);
let poolAt = pool.length;

function randomText(octets: number, encoding: 'hex' | 'base64url'): string {
  if (poolAt + octets > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const text = pool.toString(encoding, poolAt, poolAt + octets);
  poolAt += octets;
  return text;
}

export function newBranch(): string {
  return `${MAGIC_COOKIE}${randomText(9, 'base64url')}`;
}

export function newTag(): string {
  return randomText(6, 'hex');
}

/** Per-process key, so stable tags are unpredictable from outside (RFC 3261 §19.3). */
const TAG_KEY = randomBytes(16).toString('hex');

/**
 * The To tag this UAS uses for every answer to one caller's attempt (same Call-ID
 * and From tag): the 401/407 challenge and the later 200 carry the same tag, which
 * keeps UAs that remember the first tag they saw (SIPp does) on the right dialog.
 */
export function stableTag(req: SipRequest): string {
  const key = `${req.headers.get('Call-ID') ?? ''}|${tagOf(req.headers.get('From')) ?? ''}`;
  // A keyed SHA-512/256 (immune to length extension, so a secret prefix makes a MAC):
  // a third of the cost of an HMAC, and this runs for every challenge and answer.
  return hash('sha512-256', TAG_KEY + key, 'hex').slice(0, 16);
}

export function newCallId(host: string): string {
  return `${randomText(12, 'base64url')}@${host}`;
}

/** The message's top Via, parsed once per message (shared: read it, never change it). */
export function topVia(msg: SipRequest | SipResponse): ViaView | null {
  const v = msg.headers.get('Via');
  return v === undefined ? null : parseTopVia(msg.headers, v);
}

export function branchOf(msg: SipRequest | SipResponse): string | null {
  return topVia(msg)?.params.get('branch') ?? null;
}

/** Reads a tag parameter from a From or To value without a full name-addr parse. */
export function tagOf(headerValue: string | undefined): string | null {
  if (!headerValue) return null;
  // Parameters after the closing '>' (or anywhere for an addr-spec without brackets).
  const gt = headerValue.lastIndexOf('>');
  const params = gt >= 0 ? headerValue.slice(gt + 1) : headerValue;
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params);
  return m ? m[1]! : null;
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
  600: 'Busy Everywhere',
  603: 'Decline',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Error');
}

export interface ResponseOptions {
  reason?: string;
  /** To tag to add when the request's To has none (the UAS's dialog tag). */
  toTag?: string;
  headers?: [string, string][];
  body?: Buffer;
}

/**
 * RFC 3261 §8.2.6.2: Via (all, in order), From, Call-ID and CSeq are copied; To is
 * copied and, for anything but 100, given a tag if it had none.
 */
/** Requests whose 1xx/2xx answers can create a dialog (RFC 3261 §12.1, RFC 6665 §4.1.2.2). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

export function makeResponse(req: SipRequest, status: number, opts: ResponseOptions = {}): SipResponse {
  const headers = new Headers();
  for (const via of req.headers.getAll('Via')) headers.append('Via', via);
  const from = req.headers.get('From');
  if (from !== undefined) headers.append('From', from);
  let to = req.headers.get('To');
  if (to !== undefined && status > 100 && tagOf(to) === null)
    to = `${to};tag=${opts.toTag ?? stableTag(req)}`;
  if (to !== undefined) headers.append('To', to);
  const callId = req.headers.get('Call-ID');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = req.headers.get('CSeq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const ts = req.headers.get('Timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts); // §8.2.6.1
  }
  // §12.1.1: a response that creates a dialog carries the request's Record-Route, in order,
  // so the caller's later requests (ACK, BYE) go back through the proxies that asked for it.
  if (
    status > 100 &&
    status < 300 &&
    DIALOG_CREATING.has(req.method) &&
    tagOf(req.headers.get('To')) === null
  )
    for (const rr of req.headers.getAll('Record-Route')) headers.append('Record-Route', rr);
  for (const [k, v] of opts.headers ?? []) headers.append(k, v);
  return {
    kind: 'response',
    status,
    reason: opts.reason ?? reasonPhrase(status),
    headers,
    body: opts.body ?? Buffer.alloc(0),
  };
}

/** RFC 3261 §17.1.1.3: the ACK a client transaction sends for a 300-699 answer to its INVITE. */
export function makeAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new Headers();
  const via = invite.headers.get('Via');
  if (via !== undefined) headers.append('Via', via);
  for (const r of invite.headers.getAll('Route')) headers.append('Route', r);
  headers.append('Max-Forwards', '70');
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', response.headers.get('To') ?? invite.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  headers.append('CSeq', `${cseqNumber(invite)} ACK`);
  return {
    kind: 'request',
    method: 'ACK',
    uri: invite.uri,
    rawUri: invite.rawUri,
    headers,
    body: Buffer.alloc(0),
  };
}

/** RFC 3261 §9.1: CANCEL carries the INVITE's Request-URI, top Via, From, To, Call-ID and Route set. */
export function makeCancel(invite: SipRequest, reason?: string): SipRequest {
  const headers = new Headers();
  const via = invite.headers.get('Via');
  if (via !== undefined) headers.append('Via', via);
  for (const r of invite.headers.getAll('Route')) headers.append('Route', r);
  headers.append('Max-Forwards', '70');
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', invite.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  headers.append('CSeq', `${cseqNumber(invite)} CANCEL`);
  if (reason) headers.append('Reason', reason);
  return {
    kind: 'request',
    method: 'CANCEL',
    uri: invite.uri,
    rawUri: invite.rawUri,
    headers,
    body: Buffer.alloc(0),
  };
}

export function cseqNumber(msg: SipRequest | SipResponse): number {
  const v = msg.headers.get('CSeq') ?? '';
  return Number.parseInt(v, 10);
}

export function cseqMethod(msg: SipRequest | SipResponse): string {
  const v = msg.headers.get('CSeq') ?? '';
  return v.trim().split(/\s+/)[1]?.toUpperCase() ?? '';
}
