/**
 * One Via element (RFC 3261 §20.42, §25.1):
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by       = host [ COLON port ]
 *   SLASH = SWS "/" SWS; COLON = SWS ":" SWS
 * so "SIP / 2.0 / UDP host : 5060" is valid (RFC 4475 §3.1.1.1 wsinv). A Via header
 * line may carry several elements separated by commas: split it with
 * `headers.getAll('Via')` first.
 */
import { bytesOf } from './bytes.js';
import { C_TOKEN, COLON, COMMA, HT, isOctet, SLASH, SP, skipWsAt } from './charset.js';
import { scanValidHost } from './host.js';
import { formatParams, scanParams } from './params.js';

export interface Via {
  /** protocol-name "/" protocol-version, e.g. 'SIP/2.0' (name upper-cased). */
  protocol: string;
  /** Upper-case transport: UDP TCP TLS SCTP WS WSS, or any other token. */
  transport: string;
  /** Lower-case host of sent-by; IPv6 with brackets. */
  host: string;
  port: number | null;
  /** branch, received, rport (null when present without value), maddr, ttl, ... (lower-case names). */
  params: Map<string, string | null>;
}

/** Parses one via-parm; null when invalid. */
export function parseVia(text: string): Via | null {
  const params = new Map<string, string | null>();
  if (scanViaParm(bytesOf(text, 0, text.length), 0, text.length, params) !== text.length) return null;
  const m = MARKS;
  return {
    protocol: `${text.slice(m[0], m[1]).toUpperCase()}/${text.slice(m[2], m[3])}`,
    transport: text.slice(m[4], m[5]).toUpperCase(),
    host: text.slice(m[6], m[7]).toLowerCase(),
    port: m[8]! < 0 ? null : m[8]!,
    params,
  };
}

/**
 * @internal Validates the first via-parm of the Via value b[start, end), which may go on
 * with ", via-parm" (§7.3.1): the top Via is the one a response is routed by (§18.2.2).
 * The element ends where the scanner meets a "," between parameters: a comma elsewhere
 * (inside a token, the host, a quoted-string) is not an element boundary, so the range
 * itself is never searched for one.
 */
export function isValidTopVia(b: Buffer, start: number, end: number): boolean {
  const stop = scanViaParm(b, start, end, null);
  return stop === end || (stop >= 0 && b[stop] === COMMA);
}

/**
 * Where the last scanViaParm() found the parts of sent-protocol and sent-by: start and end
 * of protocol-name, protocol-version, transport and host, then the port (-1 when absent).
 * Parsing is synchronous, so one array serves every call.
 */
const MARKS = new Int32Array(9);

/**
 * Scans one via-parm from b[start] (leading SWS allowed; octets: see bytes.ts). Returns
 * the index where it ends — `end`, or the first octet after SWS that does not begin
 * another parameter (the caller decides whether a "," there ends a list element) — or -1
 * when it is invalid. Parameters go into `params` when it is not null.
 */
function scanViaParm(
  b: Buffer,
  start: number,
  end: number,
  params: Map<string, string | null> | null,
): number {
  const m = MARKS;
  let i = skipWsAt(b, start, end);
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS
  for (let part = 0; part < 3; part++) {
    const tokenStart = i;
    while (i < end && isOctet(b[i]!, C_TOKEN)) i++;
    if (i === tokenStart) return -1;
    m[2 * part] = tokenStart;
    m[2 * part + 1] = i;
    if (part === 2) break;
    i = skipWsAt(b, i, end);
    if (i >= end || b[i] !== SLASH) return -1;
    i = skipWsAt(b, i + 1, end);
  }
  // LWS between sent-protocol and sent-by is mandatory.
  if (i >= end || (b[i] !== SP && b[i] !== HT)) return -1;
  i = skipWsAt(b, i, end);

  // sent-by = host [ COLON port ], COLON = SWS ":" SWS
  const hostEnd = scanValidHost(b, i, end);
  if (hostEnd < 0) return -1;
  m[6] = i;
  m[7] = hostEnd;
  m[8] = -1;
  i = skipWsAt(b, hostEnd, end);
  if (i < end && b[i] === COLON) {
    i = skipWsAt(b, i + 1, end);
    // port = 1*DIGIT, 0..65535
    const portStart = i;
    let port = 0;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c < 0x30 || c > 0x39) break;
      port = port * 10 + (c - 0x30);
      if (port > 65535) return -1;
    }
    if (i === portStart) return -1;
    m[8] = port;
  }
  return scanParams(b, i, end, params);
}

/** A parsed top Via that its readers share: read it, never change it. */
export type ViaView = Readonly<Omit<Via, 'params'>> & { readonly params: ReadonlyMap<string, string | null> };

/**
 * The parsed top Via per message's headers, while its text is unchanged. A request's
 * top Via is read several times on its way in (stamped with received/rport, then the
 * transaction key's branch and sent-by); parsing it was the dearest of those reads.
 */
const parsedTop = new WeakMap<object, { raw: string; via: ViaView }>();

/** parseVia(raw) for the top Via `raw` of the message whose headers are `owner`, parsed once. */
export function parseTopVia(owner: object, raw: string): ViaView | null {
  const hit = parsedTop.get(owner);
  if (hit !== undefined && hit.raw === raw) return hit.via;
  const via = parseVia(raw);
  if (via) parsedTop.set(owner, { raw, via });
  return via;
}

/** Records `via` as the parse of `raw`, the top Via just written into `owner`; `via` is not changed afterwards. */
export function rememberTopVia(owner: object, raw: string, via: ViaView): void {
  parsedTop.set(owner, { raw, via });
}

/** Formats one via-parm in the canonical spacing ("SIP/2.0/UDP host:port;branch=..."). */
export function formatVia(v: ViaView): string {
  const port = v.port !== null ? `:${v.port}` : '';
  return `${v.protocol}/${v.transport} ${v.host}${port}${formatParams(v.params)}`;
}
