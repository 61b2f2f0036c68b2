/**
 * Comma-separated header lists (RFC 3261 §7.3.1: "Header-name: value, value" is the
 * same as one header line per value). A comma inside a quoted-string or inside <...>
 * (a URI may hold "," in its user part) does not separate elements.
 */
import { BACKSLASH, COMMA, DQUOTE, LAQUOT, RAQUOT, skipWs, trimWsEnd } from './charset.js';

/** Index of the next top-level comma at or after `i`, or `end`. */
export function nextComma(s: string, i: number, end: number): number {
  // Most values hold no comma at all: let the native search say so.
  const any = s.indexOf(',', i);
  if (any < 0 || any >= end) return end;
  let inQuote = false;
  let inAngle = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) inQuote = false;
    } else if (c === DQUOTE) {
      inQuote = true;
    } else if (inAngle) {
      if (c === RAQUOT) inAngle = false;
    } else if (c === LAQUOT) {
      inAngle = true;
    } else if (c === COMMA) {
      return i;
    }
  }
  return end;
}

/** The elements of a list value, trimmed; empty elements (",,") are skipped. */
export function splitList(value: string): string[] {
  const end = value.length;
  if (value.indexOf(',') < 0) {
    const s = skipWs(value, 0, end);
    const e = trimWsEnd(value, s, end);
    return e > s ? [s === 0 && e === end ? value : value.slice(s, e)] : [];
  }
  const out: string[] = [];
  let i = 0;
  while (i <= end) {
    const comma = nextComma(value, i, end);
    const s = skipWs(value, i, comma);
    const e = trimWsEnd(value, s, comma);
    if (e > s) out.push(value.slice(s, e));
    i = comma + 1;
  }
  return out;
}

/** The first non-empty element of a list value, without splitting the rest. */
export function firstListElement(value: string): string | undefined {
  const end = value.length;
  let i = 0;
  while (i <= end) {
    const comma = nextComma(value, i, end);
    const s = skipWs(value, i, comma);
    const e = trimWsEnd(value, s, comma);
    if (e > s) return s === 0 && e === end ? value : value.slice(s, e);
    i = comma + 1;
  }
  return undefined;
}
