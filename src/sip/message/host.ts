/**
 * host and port of RFC 3261 §25.1:
 *   host      = hostname / IPv4address / IPv6reference
 *   hostname  = *( domainlabel "." ) toplabel [ "." ]
 *   domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
 *   port      = 1*DIGIT
 * IPv6 references keep their brackets (RFC 5118 §4.1), so a host is always printable
 * as it is in a URI or a Via.
 */
import { isIPv6 } from 'node:net';
import { C_ALNUM, C_HOST, is, LBRACKET, parseDigits, RBRACKET, scanClass } from './charset.js';

const DOT = 0x2e;
const DASH = 0x2d;

/**
 * True when s[start, end) is a hostname, IPv4 address or bracketed IPv6 reference.
 * Labels are checked as domainlabels; a toplabel starting with a digit is tolerated,
 * since IPv4 addresses and numeric labels reach this function through the same path.
 */
export function isValidHostRange(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  if (s.charCodeAt(start) === LBRACKET) {
    return end - start > 2 && s.charCodeAt(end - 1) === RBRACKET && isIPv6(s.slice(start + 1, end - 1));
  }
  let labelStart = start;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === DOT) {
      // Empty label, or one ending in "-".
      if (i === labelStart || s.charCodeAt(i - 1) === DASH) return false;
      labelStart = i + 1;
    } else if (c === DASH) {
      if (i === labelStart) return false;
    } else if (!is(c, C_ALNUM)) {
      return false;
    }
  }
  // A trailing "." (fully qualified name) leaves an empty last label, which is allowed.
  return labelStart === end ? end - start > 1 : s.charCodeAt(end - 1) !== DASH;
}

export function isValidHost(h: string): boolean {
  return isValidHostRange(h, 0, h.length);
}

/**
 * End of the host starting at `i`: after the "]" of an IPv6 reference, or after the run
 * of hostname characters. -1 for an unterminated "[".
 */
export function scanHost(s: string, i: number, end: number): number {
  if (s.charCodeAt(i) === LBRACKET) {
    const close = s.indexOf(']', i);
    return close < 0 || close >= end ? -1 : close + 1;
  }
  return scanClass(s, i, end, C_HOST);
}

/** A port number spanning exactly s[start, end), 0..65535; null otherwise. */
export function parsePort(s: string, start: number, end: number): number | null {
  return parseDigits(s, start, end, 65535);
}
