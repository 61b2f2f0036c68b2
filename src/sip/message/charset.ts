/**
 * Character classes of the RFC 3261 §25.1 grammar as one 128-entry table of bit
 * flags, so a scanner tests a character with one array read instead of running a
 * regular expression per byte. Code points >= 0x80 belong to no class here: UTF-8
 * is only allowed in quoted strings, comments and reason phrases, which are
 * scanned by their own loops.
 */

/** ALPHA / DIGIT */
export const C_ALNUM = 1 << 0;
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const C_TOKEN = 1 << 1;
/** unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const C_UNRESERVED = 1 << 2;
/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" "=" "+" "$" "," ";" "?" "/" */
export const C_USER = 1 << 3;
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const C_PASSWORD = 1 << 4;
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" "]" "/" ":" "&" "+" "$" */
export const C_PARAM = 1 << 5;
/** hname / hvalue = hnv-unreserved / unreserved / escaped; hnv-unreserved = "[" "]" "/" "?" ":" "+" "$" */
export const C_HNV = 1 << 6;
/** uric = reserved / unreserved / escaped (RFC 2396, absoluteURI of other schemes), plus "[" "]" for IPv6 */
export const C_URIC = 1 << 7;
/** hostname characters: alphanum / "-" / "." */
export const C_HOST = 1 << 8;
/** gen-value without quotes: token / host, so ":" "[" "]" for IPv6 addresses (RFC 3261 §25.1, RFC 5118) */
export const C_VALUE = 1 << 9;
/** RFC 3966 telephone-subscriber: HEXDIG / "*" / "+" / visual separators; "#" only escaped (%23, RFC 3966 §5.1.5) */
export const C_TEL = 1 << 10;

/** 256 entries, so that an octet needs no range test (see isOctet()); the upper half stays 0. */
const TABLE = new Uint16Array(256);

function add(chars: string, flags: number): void {
  for (let i = 0; i < chars.length; i++) {
    const c = chars.charCodeAt(i);
    TABLE[c] = TABLE[c]! | flags;
  }
}

const DIGITS = '0123456789';
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MARK = "-_.!~*'()";
const RESERVED = ';/?:@&=+$,';

add(DIGITS + ALPHA, C_ALNUM | C_TOKEN | C_UNRESERVED | C_USER | C_PASSWORD | C_PARAM | C_HNV | C_URIC);
add(DIGITS + ALPHA, C_HOST | C_VALUE);
add(`${DIGITS}abcdefABCDEF*+-.()`, C_TEL);
add("-.!%*_+`'~", C_TOKEN | C_VALUE);
add(MARK, C_UNRESERVED | C_USER | C_PASSWORD | C_PARAM | C_HNV | C_URIC);
add('&=+$,;?/', C_USER);
add('&=+$,', C_PASSWORD);
add('[]/:&+$', C_PARAM);
add('[]/?:+$', C_HNV);
add(`${RESERVED}[]`, C_URIC);
add('-.', C_HOST);
add(':[]', C_VALUE);

/** ASCII letter or digit: in every class above except C_TEL. */
export function isAlnum(c: number): boolean {
  // Ordered by frequency in SIP text; three range tests beat a table lookup in V8.
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a);
}

/** True when the UTF-16 code unit `c` belongs to any of the classes OR-ed into `flags`. */
export function is(c: number, flags: number): boolean {
  return c < 128 && (TABLE[c]! & flags) !== 0;
}

/** is() for an octet (0..0xFF): one table read. Octets above 0x7F belong to no class. */
export function isOctet(c: number, flags: number): boolean {
  return (TABLE[c]! & flags) !== 0;
}

/**
 * True when the classes in `flags` admit every letter and digit, so scanners may take
 * the isAlnum() fast path before reading the table.
 */
export function admitsAlnum(flags: number): boolean {
  return (flags & ~C_TEL) !== 0;
}

export const SP = 0x20;
export const HT = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const SEMI = 0x3b;
export const COMMA = 0x2c;
export const EQUAL = 0x3d;
export const LAQUOT = 0x3c;
export const RAQUOT = 0x3e;
export const SLASH = 0x2f;
export const PERCENT = 0x25;
export const QUESTION = 0x3f;
export const AMP = 0x26;
export const AT = 0x40;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;

export function isWs(c: number): boolean {
  return c === SP || c === HT;
}

/** Index of the first non-SP/HT character at or after `i` (SWS of §25.1 once lines are unfolded). */
export function skipWs(s: string, i: number, end: number): number {
  while (i < end && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** skipWs() over octets (see bytes.ts). */
export function skipWsAt(b: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const c = b[i];
    if (c !== SP && c !== HT) break;
  }
  return i;
}

/** trimWsEnd() over octets (see bytes.ts). */
export function trimWsEndAt(b: Buffer, start: number, end: number): number {
  for (; end > start; end--) {
    const c = b[end - 1];
    if (c !== SP && c !== HT) break;
  }
  return end;
}

/** Index just after the last non-SP/HT character before `end`. */
export function trimWsEnd(s: string, start: number, end: number): number {
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return end;
}

/** Trims SP and HT only (String.prototype.trim would also eat Unicode spaces inside UTF-8 text). */
export function trimWs(s: string): string {
  const start = skipWs(s, 0, s.length);
  const end = trimWsEnd(s, start, s.length);
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Index of the first character at or after `i` that is not in `flags`. */
export function scanClass(s: string, i: number, end: number, flags: number): number {
  const fast = admitsAlnum(flags);
  while (i < end) {
    const c = s.charCodeAt(i);
    if ((fast && isAlnum(c)) || is(c, flags)) i++;
    else break;
  }
  return i;
}

/** True for a non-empty token (method names, header names, parameter names). */
export function isToken(s: string): boolean {
  return s.length > 0 && scanClass(s, 0, s.length, C_TOKEN) === s.length;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Parses 1*DIGIT spanning exactly s[start, end); null when empty, not digits, or above `max`. */
export function parseDigits(s: string, start: number, end: number, max: number): number | null {
  if (start >= end) return null;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return null;
    n = n * 10 + (c - 0x30);
    // Stop early so a thousand-digit number cannot lose precision into range.
    if (n > max) return null;
  }
  return n;
}
