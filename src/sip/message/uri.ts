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
 * The scanners read octets (bytes.ts) and take the SipUri to fill, or null: the message
 * parser validates the URIs of From, To and Contact without allocating anything.
 */
import { bytesOf, source, sourceSlice } from './bytes.js';
import {
  AMP,
  AT,
  C_HNV,
  C_PARAM,
  C_PASSWORD,
  C_TEL,
  C_URIC,
  C_USER,
  COLON,
  EQUAL,
  isAlnum,
  QUESTION,
  SEMI,
} from './charset.js';
import { percentDecode, percentEncode, scanEscaped } from './escape.js';
import { scanValidHost } from './host.js';

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

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function hasUpperCase(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

function isSchemeChar(c: number): boolean {
  return isAlnum(c) || c === PLUS || c === DASH || c === DOT;
}

/** @internal A SipUri with every field empty, for a scanner to fill. */
export function emptyUri(): SipUri {
  return {
    scheme: '',
    user: null,
    password: null,
    host: '',
    port: null,
    params: new Map(),
    headers: new Map(),
  };
}

/** Parses a URI (no surrounding whitespace or angle brackets); null when it is not valid. */
export function parseUri(text: string): SipUri | null {
  const uri = emptyUri();
  return scanUri(bytesOf(text, 0, text.length), 0, text.length, uri) === text.length ? uri : null;
}

/**
 * @internal parseUri() of the octets b[start, end), where octet i is character i + shift
 * of `text` (see bytes.ts): the Request-URI, read where it lies in the datagram.
 */
export function parseUriAt(
  b: Buffer,
  start: number,
  end: number,
  text: string,
  shift: number,
): SipUri | null {
  const uri = emptyUri();
  source.text = text;
  source.shift = shift;
  return scanUri(b, start, end, uri) === end ? uri : null;
}

/**
 * @internal Scans the URI starting at b[start] (octets: see bytes.ts), filling `into`
 * unless it is null (then it only validates, allocating nothing). Returns the index where
 * the URI stops, or -1 when what is there is not a URI. The caller says what may stop it:
 * the end of the range for a Request-URI or an addr-spec, the ">" of a name-addr — none
 * of the URI's components may hold a ">", so a bracketed URI is scanned once, without
 * searching for the bracket first.
 */
export function scanUri(b: Buffer, start: number, end: number, into: SipUri | null): number {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":"
  if (start >= end || !isAlpha(b[start]!)) return -1;
  let i = start + 1;
  while (i < end && isSchemeChar(b[i]!)) i++;
  if (i >= end || b[i] !== COLON) return -1;
  // The schemes this stack parses, recognised without slicing and lower-casing them.
  const n = i - start;
  const c0 = b[start]! | 0x20;
  const c1 = b[start + 1]! | 0x20;
  const c2 = b[start + 2]! | 0x20;
  if (n === 3 && c0 === 0x73 && c1 === 0x69 && c2 === 0x70) {
    if (into !== null) into.scheme = 'sip';
    return scanSipUri(b, i + 1, end, into);
  }
  if (n === 4 && c0 === 0x73 && c1 === 0x69 && c2 === 0x70 && (b[start + 3]! | 0x20) === 0x73) {
    if (into !== null) into.scheme = 'sips';
    return scanSipUri(b, i + 1, end, into);
  }
  if (n === 3 && c0 === 0x74 && c1 === 0x65 && c2 === 0x6c) {
    if (into !== null) into.scheme = 'tel';
    return scanTelUri(b, i + 1, end, into);
  }
  if (into !== null) into.scheme = sourceSlice(start, i).toLowerCase();
  return scanOtherUri(b, i + 1, end, into);
}

function scanSipUri(b: Buffer, i: number, end: number, into: SipUri | null): number {
  // userinfo ends at an "@". Neither user nor password may hold an unescaped "@" (nor
  // may anything after the host), so the first one is the separator; the user part may
  // hold ";", "?" and "," (user-unreserved). Scanning the user characters finds that
  // "@" without searching ahead for it: when the run stops anywhere else there is no
  // userinfo and the same characters are read again as host, port, parameters.
  let hostStart = i;
  const userEnd = scanEscaped(b, i, end, C_USER);
  if (userEnd < 0) return -1;
  if (userEnd < end) {
    const c = b[userEnd]!;
    if (c === AT) {
      if (userEnd === i) return -1;
      if (into !== null) into.user = percentDecode(sourceSlice(i, userEnd));
      hostStart = userEnd + 1;
    } else if (c === COLON) {
      const passwordEnd = scanEscaped(b, userEnd + 1, end, C_PASSWORD);
      if (passwordEnd < 0) return -1;
      if (passwordEnd < end && b[passwordEnd] === AT) {
        if (userEnd === i) return -1;
        if (into !== null) {
          into.user = percentDecode(sourceSlice(i, userEnd));
          into.password = percentDecode(sourceSlice(userEnd + 1, passwordEnd));
        }
        hostStart = passwordEnd + 1;
      }
    }
  }

  const hostEnd = scanValidHost(b, hostStart, end);
  if (hostEnd < 0) return -1;
  i = hostEnd;
  if (into !== null) {
    // Hosts are case-insensitive (§19.1.4) and kept in lower case; most already are.
    const host = sourceSlice(hostStart, hostEnd);
    into.host = hasUpperCase(b, hostStart, hostEnd) ? host.toLowerCase() : host;
  }

  if (i < end && b[i] === COLON) {
    // port = 1*DIGIT, 0..65535; what follows it is left to the parameters and headers.
    const portStart = ++i;
    let port = 0;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c < 0x30 || c > 0x39) break;
      port = port * 10 + (c - 0x30);
      if (port > 65535) return -1;
    }
    if (i === portStart) return -1;
    if (into !== null) into.port = port;
  }

  i = scanUriParams(b, i, end, into === null ? null : into.params);
  if (i < 0) return -1;
  if (i < end && b[i] === QUESTION) i = scanUriHeaders(b, i + 1, end, into === null ? null : into.headers);
  return i;
}

/** *( ";" pname [ "=" pvalue ] ) from `i`; returns where it stopped, -1 on a syntax error. */
function scanUriParams(b: Buffer, i: number, end: number, into: Map<string, string | null> | null): number {
  while (i < end && b[i] === SEMI) {
    const nameEnd = scanEscaped(b, i + 1, end, C_PARAM);
    if (nameEnd <= i + 1) return -1;
    const nameStart = i + 1;
    let valueEnd = -1;
    i = nameEnd;
    if (i < end && b[i] === EQUAL) {
      valueEnd = scanEscaped(b, i + 1, end, C_PARAM);
      if (valueEnd <= i + 1) return -1;
    }
    if (into !== null) {
      const name = percentDecode(sourceSlice(nameStart, nameEnd)).toLowerCase();
      const value = valueEnd < 0 ? null : percentDecode(sourceSlice(nameEnd + 1, valueEnd));
      if (!into.has(name)) into.set(name, value);
    }
    if (valueEnd >= 0) i = valueEnd;
  }
  return i;
}

/** header *( "&" header ) from `i` (just after "?"); -1 on a syntax error. */
function scanUriHeaders(b: Buffer, i: number, end: number, into: Map<string, string> | null): number {
  for (;;) {
    const nameEnd = scanEscaped(b, i, end, C_HNV);
    if (nameEnd <= i || nameEnd >= end || b[nameEnd] !== EQUAL) return -1;
    const valueEnd = scanEscaped(b, nameEnd + 1, end, C_HNV);
    if (valueEnd < 0) return -1;
    if (into !== null) {
      into.set(percentDecode(sourceSlice(i, nameEnd)), percentDecode(sourceSlice(nameEnd + 1, valueEnd)));
    }
    i = valueEnd;
    if (i >= end || b[i] !== AMP) return i;
    i++;
  }
}

/**
 * tel URI (RFC 3966 §3): telephone-subscriber then parameters. The number (with its
 * visual separators, as written) goes into `user`; RFC 3966 has no host.
 */
function scanTelUri(b: Buffer, i: number, end: number, into: SipUri | null): number {
  const numberEnd = scanEscaped(b, i, end, C_TEL);
  if (numberEnd <= i) return -1;
  if (into !== null) into.user = percentDecode(sourceSlice(i, numberEnd));
  return scanUriParams(b, numberEnd, end, into === null ? null : into.params);
}

/** absoluteURI of RFC 3261 §25.1 for any other scheme: a non-empty run of uric. */
function scanOtherUri(b: Buffer, i: number, end: number, into: SipUri | null): number {
  const stop = scanEscaped(b, i, end, C_URIC);
  if (stop <= i) return -1;
  if (into !== null) into.opaque = sourceSlice(i, stop);
  return stop;
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
