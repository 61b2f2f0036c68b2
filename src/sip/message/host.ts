/**
 * host of RFC 3261 §25.1 (its port, 1*DIGIT, is read by the URI and Via scanners):
 *   host      = hostname / IPv4address / IPv6reference
 *   hostname  = *( domainlabel "." ) toplabel [ "." ]
 *   domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
 * IPv6 references keep their brackets (RFC 5118 §4.1), so a host is always printable
 * as it is in a URI or a Via.
 */
import { isIPv6 } from 'node:net';
import { bytesOf } from './bytes.js';
import { isAlnum, LBRACKET, RBRACKET } from './charset.js';

const DOT = 0x2e;
const DASH = 0x2d;

/**
 * True when `h` is a hostname, IPv4 address or bracketed IPv6 reference. Labels are
 * checked as domainlabels; a toplabel starting with a digit is tolerated, since IPv4
 * addresses and numeric labels reach the check through the same path.
 */
export function isValidHost(h: string): boolean {
  return scanValidHost(bytesOf(h, 0, h.length), 0, h.length) === h.length;
}

/**
 * Scans and checks a host starting at b[i] in one pass (octets: see bytes.ts): returns
 * the index just after it (after the "]" of an IPv6 reference, or after the run of
 * hostname characters), or -1 when what is there is not a valid host.
 */
export function scanValidHost(b: Buffer, i: number, end: number): number {
  if (i >= end) return -1;
  if (b[i] === LBRACKET) {
    // The closing bracket is looked for within the range only: the rest of the text
    // (the message head, when validating in place) is none of this host's business.
    let close = i + 1;
    while (close < end && b[close] !== RBRACKET) close++;
    if (close >= end || close - i < 2 || !isIPv6(b.toString('latin1', i + 1, close))) return -1;
    return close + 1;
  }
  const start = i;
  let labelStart = i;
  for (; i < end; i++) {
    const c = b[i]!;
    if (isAlnum(c)) continue;
    if (c === DOT) {
      // Empty label, or one ending in "-".
      if (i === labelStart || b[i - 1] === DASH) return -1;
      labelStart = i + 1;
    } else if (c === DASH) {
      if (i === labelStart) return -1;
    } else {
      break;
    }
  }
  if (i === start) return -1;
  // A trailing "." (fully qualified name) leaves an empty last label, which is allowed.
  if (labelStart === i) return i - start > 1 ? i : -1;
  return b[i - 1] === DASH ? -1 : i;
}
