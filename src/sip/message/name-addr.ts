/**
 * From, To, Contact, Route, Refer-To... values (RFC 3261 §20.10, §25.1):
 *   ( name-addr / addr-spec ) *( SEMI generic-param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *   LAQUOT = SWS "<"; RAQUOT = ">" SWS
 * Inside the angle brackets no whitespace is allowed: "< sip:a@b >" is invalid
 * (RFC 4475 §3.1.2.14 badaspec).
 */
import { C_TOKEN, DQUOTE, HT, is, isAlnum, isWs, LAQUOT, SEMI, SP, skipWs, trimWsEnd } from './charset.js';
import { nextComma } from './list.js';
import { formatParams, parseParamsInto } from './params.js';
import { quote, scanQuoted, unquoteRange } from './quoted.js';
import { formatUri, type SipUri, scanUri } from './uri.js';

export interface NameAddr {
  /** Display name, unquoted and unescaped; null when absent. */
  displayName: string | null;
  uri: SipUri;
  /** Header parameters (tag, expires, q, ...): lower-case names, values as written. */
  params: Map<string, string | null>;
}

const COMMA = 0x2c;
const QUESTION = 0x3f;
const RAQUOT_CHAR = '>';

/** Parses one name-addr or addr-spec with its header parameters; null when invalid. */
export function parseNameAddr(text: string): NameAddr | null {
  return scanNameAddr(text, 0, text.length, true);
}

/** @internal Validates text[start, end) as one name-addr / addr-spec without building it. */
export function isValidNameAddrRange(text: string, start: number, end: number): boolean {
  return scanNameAddr(text, start, end, false) !== null;
}

const VALID: NameAddr = Object.freeze({
  displayName: null,
  uri: Object.freeze({}) as SipUri,
  params: new Map(),
});

function scanNameAddr(text: string, start: number, end: number, build: boolean): NameAddr | null {
  end = trimWsEnd(text, start, end);
  let i = skipWs(text, start, end);
  if (i >= end) return null;

  if (text.charCodeAt(i) === DQUOTE) {
    const q = scanQuoted(text, i, end);
    if (q < 0) return null;
    const displayName = build ? unquoteRange(text, i, q) : null;
    i = skipWs(text, q, end);
    if (i >= end || text.charCodeAt(i) !== LAQUOT) return null;
    return scanBracketed(text, i, end, displayName, build);
  }

  // Unquoted display name: tokens and LWS up to "<". Anything else means addr-spec.
  let j = i;
  for (; j < end; j++) {
    const c = text.charCodeAt(j);
    if (!isAlnum(c) && !is(c, C_TOKEN) && c !== SP && c !== HT) break;
  }
  if (j < end && text.charCodeAt(j) === LAQUOT) {
    const displayName = build && j > i ? collapseLws(text.slice(i, trimWsEnd(text, i, j))) : null;
    return scanBracketed(text, j, end, displayName, build);
  }

  // addr-spec: §20.10 says that when the URI is not in angle brackets, everything after
  // the first ";" is a header parameter, and a URI holding "," or "?" must be bracketed
  // (RFC 4475 regbadct).
  let k = i;
  for (; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === SEMI || isWs(c)) break;
    if (c === COMMA || c === QUESTION) return null;
  }
  const uri = scanUri(text, i, k, build);
  if (uri === null) return null;
  const params = build ? new Map<string, string | null>() : null;
  if (!parseParamsInto(text, k, end, params)) return null;
  return build ? { displayName: null, uri, params: params ?? new Map() } : VALID;
}

function scanBracketed(
  text: string,
  lt: number,
  end: number,
  displayName: string | null,
  build: boolean,
): NameAddr | null {
  const gt = text.indexOf(RAQUOT_CHAR, lt + 1);
  if (gt < 0 || gt >= end) return null;
  const uri = scanUri(text, lt + 1, gt, build);
  if (uri === null) return null;
  const params = build ? new Map<string, string | null>() : null;
  if (!parseParamsInto(text, gt + 1, end, params)) return null;
  return build ? { displayName, uri, params: params ?? new Map() } : VALID;
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
  if (!scanContacts(text, 0, text.length, out)) return null;
  return out.length === 0 ? '*' : out;
}

/** @internal Validates the Contact value text[start, end) without building it. */
export function isValidContactsRange(text: string, start: number, end: number): boolean {
  return scanContacts(text, start, end, null);
}

/** Walks the elements of a Contact value; true when valid. `out` stays empty for "*". */
function scanContacts(text: string, start: number, end: number, out: NameAddr[] | null): boolean {
  end = trimWsEnd(text, start, end);
  start = skipWs(text, start, end);
  if (start >= end) return false;
  if (end - start === 1 && text.charCodeAt(start) === 0x2a) return true;
  let i = start;
  let elements = 0;
  while (i <= end) {
    const comma = nextComma(text, i, end);
    // Empty elements (",,") are tolerated as in every list header (see splitList).
    if (skipWs(text, i, comma) < comma) {
      const na = scanNameAddr(text, i, comma, out !== null);
      if (na === null) return false;
      out?.push(na);
      elements++;
    }
    i = comma + 1;
  }
  return elements > 0;
}
