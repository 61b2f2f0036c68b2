/**
 * Header parameters: *( SEMI generic-param ) of RFC 3261 §25.1, after a name-addr,
 * addr-spec or Via sent-by.
 *   SEMI          = SWS ";" SWS
 *   generic-param = token [ EQUAL gen-value ]
 *   EQUAL         = SWS "=" SWS
 *   gen-value     = token / host / quoted-string
 * Names are case-insensitive (§7.3.1) and stored lower-case. Values are stored as
 * written: a quoted-string keeps its quotes, because RFC 3840 feature tags
 * (`+sip.instance="<urn:...>"`) mean something different unquoted; read one with
 * `unquote()`. A parameter without a value maps to null.
 */
import { C_TOKEN, C_VALUE, DQUOTE, EQUAL, SEMI, scanClass, skipWs } from './charset.js';
import { quote, scanQuoted } from './quoted.js';

/**
 * Parses parameters from s[i, end) into `into` (or only checks them when `into` is
 * null). Returns true when the whole range was consumed, false on any syntax error
 * (empty name, missing value after "=", junk). A repeated name keeps its first value.
 */
export function parseParamsInto(
  s: string,
  i: number,
  end: number,
  into: Map<string, string | null> | null,
): boolean {
  for (;;) {
    i = skipWs(s, i, end);
    if (i >= end) return true;
    if (s.charCodeAt(i) !== SEMI) return false;
    i = skipWs(s, i + 1, end);
    const nameStart = i;
    const nameEnd = scanClass(s, i, end, C_TOKEN);
    if (nameEnd === i) return false;
    i = skipWs(s, nameEnd, end);
    let valueStart = -1;
    let valueEnd = -1;
    if (i < end && s.charCodeAt(i) === EQUAL) {
      i = skipWs(s, i + 1, end);
      valueStart = i;
      if (i < end && s.charCodeAt(i) === DQUOTE) {
        valueEnd = scanQuoted(s, i, end);
        if (valueEnd < 0) return false;
      } else {
        valueEnd = scanClass(s, i, end, C_VALUE);
        if (valueEnd === i) return false;
      }
      i = valueEnd;
    }
    if (into !== null) {
      const name = s.slice(nameStart, nameEnd).toLowerCase();
      if (!into.has(name)) into.set(name, valueStart < 0 ? null : s.slice(valueStart, valueEnd));
    }
  }
}

/**
 * Formats parameters as ";name=value" / ";name". A value that is neither a token nor a
 * host nor already a quoted-string is quoted, so anything an application puts into the
 * map comes out as valid SIP.
 */
export function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) {
    if (value === null) {
      out += `;${name}`;
    } else if (
      value.length > 0 &&
      (scanClass(value, 0, value.length, C_VALUE) === value.length ||
        (value.charCodeAt(0) === DQUOTE && scanQuoted(value, 0, value.length) === value.length))
    ) {
      out += `;${name}=${value}`;
    } else {
      out += `;${name}=${quote(value)}`;
    }
  }
  return out;
}
