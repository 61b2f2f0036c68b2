/**
 * Percent-escapes of RFC 3261 §25.1 (escaped = "%" HEXDIG HEXDIG) in URIs. Unescaped
 * octets are decoded as UTF-8 (RFC 3261 §19.1.2 recommends it); a sequence that is not
 * UTF-8 falls back to one character per octet so no octet is silently replaced.
 */
import { isUtf8 } from 'node:buffer';
import { is, isHexDigit, isOctet, PERCENT } from './charset.js';

/**
 * Index of the first octet at or after `i` that is neither in `flags` nor part of a
 * well-formed escape; -1 when a "%" is not followed by two hex digits (octets: see bytes.ts).
 */
export function scanEscaped(b: Buffer, i: number, end: number, flags: number): number {
  while (i < end) {
    const c = b[i]!;
    if (isOctet(c, flags)) {
      i++;
    } else if (c === PERCENT) {
      if (i + 2 >= end || !isHexDigit(b[i + 1]!) || !isHexDigit(b[i + 2]!)) return -1;
      i += 3;
    } else {
      break;
    }
  }
  return i;
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** Decodes the escapes of a string already checked by scanEscaped (URI text is ASCII). */
export function percentDecode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes = Buffer.allocUnsafe(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c === PERCENT &&
      i + 2 < s.length &&
      isHexDigit(s.charCodeAt(i + 1)) &&
      isHexDigit(s.charCodeAt(i + 2))
    ) {
      bytes[n++] = hexValue(s.charCodeAt(i + 1)) * 16 + hexValue(s.charCodeAt(i + 2));
      i += 2;
    } else {
      // Only ASCII reaches here (the URI scanners refuse anything else); mask to stay a byte.
      bytes[n++] = c & 0xff;
    }
  }
  const out = bytes.subarray(0, n);
  return isUtf8(out) ? out.toString('utf8') : out.toString('latin1');
}

const HEX = '0123456789ABCDEF';

/**
 * Escapes every character outside `flags` (and every "%"), as UTF-8 octets, so the
 * result is a valid URI component of that class. Returns `s` itself when nothing
 * needs escaping, the common case.
 */
export function percentEncode(s: string, flags: number): string {
  let i = 0;
  while (i < s.length && is(s.charCodeAt(i), flags)) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (const ch of s.slice(i)) {
    if (ch.length === 1 && is(ch.charCodeAt(0), flags)) {
      out += ch;
      continue;
    }
    for (const b of Buffer.from(ch, 'utf8')) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}
