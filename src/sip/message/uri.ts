/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), and any other absoluteURI
 * kept opaque so the application can answer 416 Unsupported URI Scheme (§8.2.2.1).
 *
 *   SIP-URI   = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 *   userinfo  = ( user / telephone-subscriber ) [ ":" password ] "@"
 *   uri-parameters = *( ";" uri-parameter ); uri-parameter = pname [ "=" pvalue ]
 *   headers   = "?" header *( "&" header ); header = hname "=" hvalue
 *
 * Escapes are resolved in user, password, parameter names and values and URI headers;
 * formatUri() escapes again exactly the characters each component may not hold, so a
 * URI written without needless escapes formats back to the same text.
 *
 * The scanners take a range and a `build` flag: the message parser validates the URIs
 * of From, To and Contact without allocating the result (build = false).
 */
import {
  AMP,
  C_ALNUM,
  C_HNV,
  C_PARAM,
  C_PASSWORD,
  C_TEL,
  C_URIC,
  C_USER,
  COLON,
  EQUAL,
  is,
  QUESTION,
  SEMI,
} from './charset.js';
import { percentDecode, percentEncode, scanEscaped } from './escape.js';
import { parsePort, scanValidHost } from './host.js';

export interface SipUri {
  /**
   * Lower-case scheme. 'sip', 'sips' and 'tel' are parsed into the fields below; any
   * other scheme is still accepted (the string type admits it) with its text after the
   * colon in `opaque`, so a UAS can answer 416 instead of 400 (RFC 3261 §8.2.2.1).
   */
  scheme: 'sip' | 'sips' | 'tel' | (string & {});
  /** Unescaped user part; for tel URIs the telephone-subscriber number. */
  user: string | null;
  /** Unescaped password (deprecated by RFC 3261 §19.1.1 but still parsed). */
  password: string | null;
  /** Lower-case host; IPv6 kept with brackets ('[::1]'); '' for tel and other schemes. */
  host: string;
  port: number | null;
  /** Lower-case names, unescaped values; a flag parameter (';lr') maps to null. */
  params: Map<string, string | null>;
  /** URI headers ('?a=b&c=d'), names as written, both unescaped. */
  headers: Map<string, string>;
  /** Only for schemes other than sip/sips/tel: everything after "scheme:", unparsed. */
  opaque?: string;
}

const PLUS = 0x2b;
const DASH = 0x2d;
const DOT = 0x2e;

/** What the scanners return in validate-only mode: never handed out. */
const VALID: SipUri = Object.freeze({
  scheme: 'sip',
  user: null,
  password: null,
  host: '',
  port: null,
  params: new Map(),
  headers: new Map(),
});

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), lower-cased; null when invalid. */
function schemeOf(text: string, start: number, colon: number): string | null {
  // The common schemes without allocating through toLowerCase().
  const n = colon - start;
  if (n === 3 && text.startsWith('sip', start)) return 'sip';
  if (n === 4 && text.startsWith('sips', start)) return 'sips';
  if (n === 3 && text.startsWith('tel', start)) return 'tel';
  const first = text.charCodeAt(start);
  if (n === 0 || !is(first, C_ALNUM) || (first >= 0x30 && first <= 0x39)) return null;
  for (let i = start + 1; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (!is(c, C_ALNUM) && c !== PLUS && c !== DASH && c !== DOT) return null;
  }
  return text.slice(start, colon).toLowerCase();
}

/** Parses a URI (no surrounding whitespace or angle brackets); null when it is not valid. */
export function parseUri(text: string): SipUri | null {
  return scanUri(text, 0, text.length, true);
}

/**
 * @internal The URI in text[start, end). With build = false only validates, and returns a
 * shared placeholder instead of a fresh SipUri (compare it with null, never use it).
 */
export function scanUri(text: string, start: number, end: number, build: boolean): SipUri | null {
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon >= end) return null;
  const scheme = schemeOf(text, start, colon);
  if (scheme === null) return null;
  if (scheme === 'sip' || scheme === 'sips') return scanSipUri(text, colon + 1, end, scheme, build);
  if (scheme === 'tel') return scanTelUri(text, colon + 1, end, build);
  return scanOtherUri(text, colon + 1, end, scheme, build);
}

function scanSipUri(
  text: string,
  i: number,
  end: number,
  scheme: 'sip' | 'sips',
  build: boolean,
): SipUri | null {
  let user: string | null = null;
  let password: string | null = null;
  // userinfo ends at the "@": neither user nor password, parameters nor headers may hold
  // an unescaped "@", so the first one is the separator. The user part itself may hold
  // ";", "?" and "," (user-unreserved), which is why it is cut off before anything else.
  const at = text.indexOf('@', i);
  if (at >= 0 && at < end) {
    const userEnd = scanEscaped(text, i, at, C_USER);
    if (userEnd <= i) return null;
    if (userEnd < at) {
      if (text.charCodeAt(userEnd) !== COLON) return null;
      if (scanEscaped(text, userEnd + 1, at, C_PASSWORD) !== at) return null;
      if (build) password = percentDecode(text.slice(userEnd + 1, at));
    }
    if (build) user = percentDecode(text.slice(i, userEnd));
    i = at + 1;
  }

  const hostStart = i;
  const hostEnd = scanValidHost(text, i, end);
  if (hostEnd < 0) return null;
  i = hostEnd;

  let port: number | null = null;
  if (i < end && text.charCodeAt(i) === COLON) {
    let portEnd = i + 1;
    while (portEnd < end && text.charCodeAt(portEnd) !== SEMI && text.charCodeAt(portEnd) !== QUESTION)
      portEnd++;
    port = parsePort(text, i + 1, portEnd);
    if (port === null) return null;
    i = portEnd;
  }

  const params = build ? new Map<string, string | null>() : null;
  i = scanUriParams(text, i, end, params);
  if (i < 0) return null;

  let headers: Map<string, string> | null = null;
  if (i < end && text.charCodeAt(i) === QUESTION) {
    if (build) headers = new Map();
    i = scanUriHeaders(text, i + 1, end, headers);
    if (i < 0) return null;
  }
  if (i !== end) return null;
  if (!build) return VALID;
  return {
    scheme,
    user,
    password,
    host: text.slice(hostStart, hostEnd).toLowerCase(),
    port,
    params: params ?? new Map(),
    headers: headers ?? new Map(),
  };
}

/** *( ";" pname [ "=" pvalue ] ) from `i`; returns where it stopped, -1 on a syntax error. */
function scanUriParams(
  text: string,
  i: number,
  end: number,
  into: Map<string, string | null> | null,
): number {
  while (i < end && text.charCodeAt(i) === SEMI) {
    const nameEnd = scanEscaped(text, i + 1, end, C_PARAM);
    if (nameEnd <= i + 1) return -1;
    const nameStart = i + 1;
    let valueEnd = -1;
    i = nameEnd;
    if (i < end && text.charCodeAt(i) === EQUAL) {
      valueEnd = scanEscaped(text, i + 1, end, C_PARAM);
      if (valueEnd <= i + 1) return -1;
    }
    if (into !== null) {
      const name = percentDecode(text.slice(nameStart, nameEnd)).toLowerCase();
      const value = valueEnd < 0 ? null : percentDecode(text.slice(nameEnd + 1, valueEnd));
      if (!into.has(name)) into.set(name, value);
    }
    if (valueEnd >= 0) i = valueEnd;
  }
  return i;
}

/** header *( "&" header ) from `i` (just after "?"); -1 on a syntax error. */
function scanUriHeaders(text: string, i: number, end: number, into: Map<string, string> | null): number {
  for (;;) {
    const nameEnd = scanEscaped(text, i, end, C_HNV);
    if (nameEnd <= i || nameEnd >= end || text.charCodeAt(nameEnd) !== EQUAL) return -1;
    const valueEnd = scanEscaped(text, nameEnd + 1, end, C_HNV);
    if (valueEnd < 0) return -1;
    if (into !== null) {
      into.set(percentDecode(text.slice(i, nameEnd)), percentDecode(text.slice(nameEnd + 1, valueEnd)));
    }
    i = valueEnd;
    if (i >= end || text.charCodeAt(i) !== AMP) return i;
    i++;
  }
}

/**
 * tel URI (RFC 3966 §3): telephone-subscriber then parameters. The number (with its
 * visual separators, as written) goes into `user`; RFC 3966 has no host.
 */
function scanTelUri(text: string, i: number, end: number, build: boolean): SipUri | null {
  const numberEnd = scanEscaped(text, i, end, C_TEL);
  if (numberEnd <= i) return null;
  const params = build ? new Map<string, string | null>() : null;
  if (scanUriParams(text, numberEnd, end, params) !== end) return null;
  if (!build) return VALID;
  return {
    scheme: 'tel',
    user: percentDecode(text.slice(i, numberEnd)),
    password: null,
    host: '',
    port: null,
    params: params ?? new Map(),
    headers: new Map(),
  };
}

/** absoluteURI of RFC 3261 §25.1 for any other scheme: a non-empty run of uric. */
function scanOtherUri(text: string, i: number, end: number, scheme: string, build: boolean): SipUri | null {
  if (i >= end || scanEscaped(text, i, end, C_URIC) !== end) return null;
  if (!build) return VALID;
  return {
    scheme,
    user: null,
    password: null,
    host: '',
    port: null,
    params: new Map(),
    headers: new Map(),
    opaque: text.slice(i, end),
  };
}

function formatUriParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) {
    out +=
      value === null
        ? `;${percentEncode(name, C_PARAM)}`
        : `;${percentEncode(name, C_PARAM)}=${percentEncode(value, C_PARAM)}`;
  }
  return out;
}

/** Writes a URI back as text, escaping what each component requires (§19.1.2). */
export function formatUri(uri: SipUri): string {
  const scheme = uri.scheme;
  if (scheme === 'tel') return `tel:${percentEncode(uri.user ?? '', C_TEL)}${formatUriParams(uri.params)}`;
  if (scheme !== 'sip' && scheme !== 'sips') return `${scheme}:${uri.opaque ?? ''}`;
  let out = `${scheme}:`;
  if (uri.user !== null) {
    out += percentEncode(uri.user, C_USER);
    if (uri.password !== null) out += `:${percentEncode(uri.password, C_PASSWORD)}`;
    out += '@';
  }
  out += uri.host;
  if (uri.port !== null) out += `:${uri.port}`;
  if (uri.params.size > 0) out += formatUriParams(uri.params);
  if (uri.headers.size > 0) {
    let sep = '?';
    for (const [name, value] of uri.headers) {
      out += `${sep}${percentEncode(name, C_HNV)}=${percentEncode(value, C_HNV)}`;
      sep = '&';
    }
  }
  return out;
}

/** True when the URI's scheme is one this stack parses (else the UAS answers 416, §8.2.2.1). */
export function isKnownScheme(uri: SipUri): boolean {
  return uri.scheme === 'sip' || uri.scheme === 'sips' || uri.scheme === 'tel';
}
