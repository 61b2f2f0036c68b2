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

import { sourceSlice } from './bytes.js';
import { C_TOKEN, C_VALUE, DQUOTE, EQUAL, isOctet, SEMI, scanClass, skipWsAt } from './charset.js';
import { quote, scanQuoted, scanQuotedBytes } from './quoted.js';

/**
 * Scans parameters from b[i, end) into `into` (or only checks them when `into` is null).
 * Returns where they stop: `end`, or the first octet after SWS that does not begin
 * another ";" parameter, for the caller to judge (a "," closes an element of a list,
 * anything else is junk); -1 on a syntax error inside a parameter (empty name, missing
 * value after "=", unterminated quoted-string). A repeated name keeps its first value.
 *
 * One pass over the octets, none of them searched for ahead of the scan.
 */
export function scanParams(
  b: Buffer,
  i: number,
  end: number,
  into: Map<string, string | null> | null,
): number {
  for (;;) {
    i = skipWsAt(b, i, end);
    if (i >= end) return end;
    if (b[i] !== SEMI) return i;
    i = skipWsAt(b, i + 1, end);
    const nameStart = i;
    while (i < end && isOctet(b[i]!, C_TOKEN)) i++;
    if (i === nameStart) return -1;
    const nameEnd = i;
    i = skipWsAt(b, i, end);
    let valueStart = -1;
    if (i < end && b[i] === EQUAL) {
      i = skipWsAt(b, i + 1, end);
      valueStart = i;
      if (i < end && b[i] === DQUOTE) {
        i = scanQuotedBytes(b, i, end);
        if (i < 0) return -1;
      } else {
        while (i < end && isOctet(b[i]!, C_VALUE)) i++;
        if (i === valueStart) return -1;
      }
    }
    if (into !== null) {
      const name = sourceSlice(nameStart, nameEnd).toLowerCase();
      if (!into.has(name)) into.set(name, valueStart < 0 ? null : sourceSlice(valueStart, i));
    }
  }
}

/**
 * Formats parameters as ";name=value" / ";name". A value that is neither a token nor a
 * host nor already a quoted-string is quoted, so anything an application puts into the
 * map comes out as valid SIP.
 */
export function formatParams(params: ReadonlyMap<string, string | null>): string {
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
