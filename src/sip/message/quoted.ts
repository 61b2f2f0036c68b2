/**
 * quoted-string of RFC 3261 §25.1:
 *   quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE
 *   qdtext        = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
 *   quoted-pair   = "\" (%x00-09 / %x0B-0C / %x0E-7F)
 * Used by display names, header parameter values, Digest parameters and warn-text.
 */
import { BACKSLASH, DQUOTE, HT } from './charset.js';

/**
 * Scans a quoted-string whose opening DQUOTE is at `i`; returns the index just after
 * the closing DQUOTE, or -1 when it is unterminated or holds a bare control character.
 */
export function scanQuoted(s: string, i: number, end: number): number {
  let j = i + 1;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c === DQUOTE) return j + 1;
    if (c === BACKSLASH) {
      if (j + 1 >= end) return -1;
      const n = s.charCodeAt(j + 1);
      // quoted-pair excludes CR, LF and non-ASCII.
      if (n === 0x0a || n === 0x0d || n > 0x7f) return -1;
      j += 2;
      continue;
    }
    // qdtext: no control characters except HT (LWS), no DEL.
    if ((c < 0x20 && c !== HT) || c === 0x7f) return -1;
    j++;
  }
  return -1;
}

/** scanQuoted() over octets (see bytes.ts): any octet above 0x7F is UTF8-NONASCII qdtext. */
export function scanQuotedBytes(b: Buffer, i: number, end: number): number {
  let j = i + 1;
  while (j < end) {
    const c = b[j]!;
    if (c === DQUOTE) return j + 1;
    if (c === BACKSLASH) {
      if (j + 1 >= end) return -1;
      const n = b[j + 1]!;
      if (n === 0x0a || n === 0x0d || n > 0x7f) return -1;
      j += 2;
      continue;
    }
    if ((c < 0x20 && c !== HT) || c === 0x7f) return -1;
    j++;
  }
  return -1;
}

/** The content of the quoted-string s[start, end) (quotes included) with quoted-pairs resolved. */
export function unquoteRange(s: string, start: number, end: number): string {
  const inner = s.slice(start + 1, end - 1);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\([\s\S])/g, '$1');
}

/**
 * The value of a parameter as stored by the parsers: a quoted-string loses its quotes
 * and escapes, a token is returned as it is.
 */
export function unquote(value: string): string {
  const n = value.length;
  if (n >= 2 && value.charCodeAt(0) === DQUOTE && value.charCodeAt(n - 1) === DQUOTE) {
    return unquoteRange(value, 0, n);
  }
  return value;
}

/**
 * Wraps text in a quoted-string, escaping DQUOTE, backslash and the control characters
 * quoted-pair allows. CR and LF cannot be represented at all and become SP, so a
 * display name can never inject a header line.
 */
export function quote(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
  const escaped = text.replace(/[\r\n]/g, ' ').replace(/["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '\\$&');
  return `"${escaped}"`;
}
