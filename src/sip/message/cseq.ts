/**
 * CSeq (RFC 3261 §20.16): CSeq = 1*DIGIT LWS Method.
 * The number must be below 2**31 (§8.1.1.5); larger values are refused so that
 * arithmetic on it stays exact and RFC 4475 scalar02/scalarlg are rejected.
 * Scanned as octets (see bytes.ts).
 */
import { bytesOf } from './bytes.js';
import { C_TOKEN, HT, isOctet, SP, skipWsAt, trimWsEndAt } from './charset.js';

export interface CSeq {
  seq: number;
  method: string;
}

export const MAX_CSEQ = 2 ** 31 - 1;

/** Parses a CSeq value; null when malformed or out of range. */
export function parseCSeq(text: string): CSeq | null {
  if (!scanCSeq(bytesOf(text, 0, text.length), 0, text.length)) return null;
  return { seq: FOUND.seq, method: text.slice(FOUND.methodStart, FOUND.methodEnd) };
}

/** What the last successful scanCSeq() found. Parsing is synchronous: one object serves. */
export const FOUND = { seq: 0, methodStart: 0, methodEnd: 0 };

/** @internal True when b[start, end) is a CSeq value (octets: see bytes.ts); see FOUND. */
export function scanCSeq(b: Buffer, start: number, end: number): boolean {
  end = trimWsEndAt(b, start, end);
  let i = skipWsAt(b, start, end);
  const digits = i;
  let seq = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
    // Stop early so a thousand-digit number cannot lose precision into range.
    if (seq > MAX_CSEQ) return false;
  }
  if (i === digits || i >= end || (b[i] !== SP && b[i] !== HT)) return false;
  const methodStart = skipWsAt(b, i, end);
  i = methodStart;
  while (i < end && isOctet(b[i]!, C_TOKEN)) i++;
  if (i === methodStart || i !== end) return false;
  FOUND.seq = seq;
  FOUND.methodStart = methodStart;
  FOUND.methodEnd = i;
  return true;
}

/** Formats a CSeq value. */
export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
