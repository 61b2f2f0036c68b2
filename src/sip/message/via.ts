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
import { C_TOKEN, COLON, isDigit, isWs, SLASH, scanClass, skipWs, trimWsEnd } from './charset.js';
import { parsePort, scanValidHost } from './host.js';
import { formatParams, parseParamsInto } from './params.js';

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
  return scanVia(text, 0, text.length, true);
}

/** @internal Validates text[start, end) as one via-parm without building it. */
export function isValidViaRange(text: string, start: number, end: number): boolean {
  return scanVia(text, start, end, false) !== null;
}

const VALID: Via = Object.freeze({ protocol: '', transport: '', host: '', port: null, params: new Map() });

function scanVia(text: string, start: number, end: number, build: boolean): Via | null {
  end = trimWsEnd(text, start, end);
  let i = skipWs(text, start, end);

  const nameStart = i;
  const nameEnd = scanClass(text, i, end, C_TOKEN);
  if (nameEnd === i) return null;
  i = skipWs(text, nameEnd, end);
  if (text.charCodeAt(i) !== SLASH) return null;
  i = skipWs(text, i + 1, end);
  const versionStart = i;
  const versionEnd = scanClass(text, i, end, C_TOKEN);
  if (versionEnd === i) return null;
  i = skipWs(text, versionEnd, end);
  if (text.charCodeAt(i) !== SLASH) return null;
  i = skipWs(text, i + 1, end);
  const transportStart = i;
  const transportEnd = scanClass(text, i, end, C_TOKEN);
  if (transportEnd === i) return null;
  i = transportEnd;

  // LWS between sent-protocol and sent-by is mandatory.
  if (i >= end || !isWs(text.charCodeAt(i))) return null;
  i = skipWs(text, i, end);

  const hostStart = i;
  const hostEnd = scanValidHost(text, i, end);
  if (hostEnd < 0) return null;
  i = skipWs(text, hostEnd, end);

  let port: number | null = null;
  if (i < end && text.charCodeAt(i) === COLON) {
    i = skipWs(text, i + 1, end);
    let portEnd = i;
    while (portEnd < end && isDigit(text.charCodeAt(portEnd))) portEnd++;
    port = parsePort(text, i, portEnd);
    if (port === null) return null;
    i = portEnd;
  }

  const params = build ? new Map<string, string | null>() : null;
  if (!parseParamsInto(text, i, end, params)) return null;
  if (!build) return VALID;
  return {
    protocol: `${text.slice(nameStart, nameEnd).toUpperCase()}/${text.slice(versionStart, versionEnd)}`,
    transport: text.slice(transportStart, transportEnd).toUpperCase(),
    host: text.slice(hostStart, hostEnd).toLowerCase(),
    port,
    params: params ?? new Map(),
  };
}

/** Formats one via-parm in the canonical spacing ("SIP/2.0/UDP host:port;branch=..."). */
export function formatVia(v: Via): string {
  const port = v.port !== null ? `:${v.port}` : '';
  return `${v.protocol}/${v.transport} ${v.host}${port}${formatParams(v.params)}`;
}
