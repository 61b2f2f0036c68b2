/**
 * From, To, Contact, Route, Refer-To... values (RFC 3261 §20.10, §25.1):
 *   ( name-addr / addr-spec ) *( SEMI generic-param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *   LAQUOT = SWS "<"; RAQUOT = ">" SWS
 * Inside the angle brackets no whitespace is allowed: "< sip:a@b >" is invalid
 * (RFC 4475 §3.1.2.14 badaspec).
 */
import { bytesOf, source, sourceSlice } from './bytes.js';
import {
  C_TOKEN,
  COMMA,
  DQUOTE,
  HT,
  isOctet,
  LAQUOT,
  QUESTION,
  RAQUOT,
  SEMI,
  SP,
  skipWsAt,
  trimWsEndAt,
} from './charset.js';
import { formatParams, scanParams } from './params.js';
import { quote, scanQuotedBytes, unquoteRange } from './quoted.js';
import { emptyUri, formatUri, type SipUri, scanUri } from './uri.js';

export interface NameAddr {
  /** Display name, unquoted and unescaped; null when absent. */
  displayName: string | null;
  uri: SipUri;
  /** Header parameters (tag, expires, q, ...): lower-case names, values as written. */
  params: Map<string, string | null>;
}

const STAR = 0x2a;

function emptyNameAddr(): NameAddr {
  return {
    displayName: null,
    uri: emptyUri(),
    params: new Map(),
  };
}

/** Parses one name-addr or addr-spec with its header parameters; null when invalid. */
export function parseNameAddr(text: string): NameAddr | null {
  const na = emptyNameAddr();
  return scanNameAddr(bytesOf(text, 0, text.length), 0, text.length, na) === text.length ? na : null;
}

/** @internal Validates b[start, end) as one name-addr / addr-spec without building it. */
export function isValidNameAddrRange(b: Buffer, start: number, end: number): boolean {
  return scanNameAddr(b, start, end, null) === end;
}

/**
 * Scans one name-addr or addr-spec with its header parameters from b[start] (leading SWS
 * allowed; octets: see bytes.ts), filling `into` unless it is null. Returns where it
 * stops: `end`, or the first octet after SWS that does not begin another parameter — a
 * "," there ends an element of a list such as Contact (§7.3.1), anything else is junk
 * for the caller to refuse; -1 when it is invalid.
 */
function scanNameAddr(b: Buffer, start: number, end: number, into: NameAddr | null): number {
  let i = skipWsAt(b, start, end);
  if (i >= end) return -1;

  if (b[i] === DQUOTE) {
    const q = scanQuotedBytes(b, i, end);
    if (q < 0) return -1;
    if (into !== null) into.displayName = unquoteRange(source.text, i + source.shift, q + source.shift);
    i = skipWsAt(b, q, end);
    if (i >= end || b[i] !== LAQUOT) return -1;
    return scanBracketed(b, i, end, into);
  }

  // Unquoted display name: tokens and LWS up to "<". Anything else means addr-spec.
  let j = i;
  while (j < end && isDisplayNameOctet(b[j]!)) j++;
  if (j < end && b[j] === LAQUOT) {
    if (into !== null && j > i) into.displayName = collapseLws(sourceSlice(i, trimWsEndAt(b, i, j)));
    return scanBracketed(b, j, end, into);
  }

  // addr-spec: §20.10 says that when the URI is not in angle brackets, everything after
  // the first ";" is a header parameter, and a URI holding "," or "?" must be bracketed
  // (RFC 4475 regbadct). A "," therefore ends the URI, and the parameters stop there:
  // the element of a list ends, or a lone value is refused by its caller.
  let k = i;
  for (; k < end; k++) {
    const c = b[k]!;
    if (c === SEMI || c === SP || c === HT || c === COMMA) break;
    if (c === QUESTION) return -1;
  }
  if (scanUri(b, i, k, into === null ? null : into.uri) !== k) return -1;
  return scanParams(b, k, end, into === null ? null : into.params);
}

/** display-name = *(token LWS): the octets of an unquoted one. */
function isDisplayNameOctet(c: number): boolean {
  return c === SP || c === HT || isOctet(c, C_TOKEN);
}

/** name-addr from its "<": the URI must stop at a ">", then the header parameters follow. */
function scanBracketed(b: Buffer, lt: number, end: number, into: NameAddr | null): number {
  // Inside the brackets no whitespace is allowed (RFC 4475 badaspec): the URI scanner
  // stops at the first octet no URI component may hold, which must be the ">".
  const gt = scanUri(b, lt + 1, end, into === null ? null : into.uri);
  if (gt < 0 || gt >= end || b[gt] !== RAQUOT) return -1;
  return scanParams(b, gt + 1, end, into === null ? null : into.params);
}

/** Folded or padded token display names read as single-spaced words. */
function collapseLws(s: string): string {
  return /[\t ]{2}|\t/.test(s) ? s.replace(/[\t ]+/g, ' ') : s;
}

/**
 * Formats as name-addr, always with angle brackets (safe whatever the URI holds,
 * §20.10) and a quoted display name when there is one.
 */
export function formatNameAddr(na: NameAddr): string {
  const name = na.displayName !== null ? `${quote(na.displayName)} ` : '';
  return `${name}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

/**
 * A Contact header value (§20.10): "*" (only meaningful in a REGISTER that removes all
 * bindings, §10.2.2) or a comma-separated list of contact-params. null when any element
 * is invalid or the list is empty.
 */
export function parseContacts(text: string): NameAddr[] | '*' | null {
  const out: NameAddr[] = [];
  if (!scanContacts(bytesOf(text, 0, text.length), 0, text.length, out)) return null;
  return out.length === 0 ? '*' : out;
}

/** @internal Validates the Contact value b[start, end) without building it. */
export function isValidContactsRange(b: Buffer, start: number, end: number): boolean {
  return scanContacts(b, start, end, null);
}

/**
 * Walks the elements of a Contact value; true when valid. `out` stays empty for "*".
 * Each element is scanned up to the "," that ends it, so the value is read once: a
 * comma inside a quoted display name or parameter, or inside <...>, is read as part of
 * the element (§7.3.1), never as a separator.
 */
function scanContacts(b: Buffer, start: number, end: number, out: NameAddr[] | null): boolean {
  let i = skipWsAt(b, start, end);
  if (i >= end) return false;
  if (b[i] === STAR && skipWsAt(b, i + 1, end) === end) return true;
  let elements = 0;
  for (;;) {
    // Empty elements (",,") are tolerated as in every list header (see splitList).
    i = skipWsAt(b, i, end);
    if (i >= end) return elements > 0;
    if (b[i] === COMMA) {
      i++;
      continue;
    }
    const na = out === null ? null : emptyNameAddr();
    const stop = scanNameAddr(b, i, end, na);
    if (stop < 0) return false;
    if (na !== null) out?.push(na);
    elements++;
    if (stop >= end) return true;
    if (b[stop] !== COMMA) return false;
    i = stop + 1;
  }
}
