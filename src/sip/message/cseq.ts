/**
 * CSeq (RFC 3261 §20.16): CSeq = 1*DIGIT LWS Method.
 * The number must be below 2**31 (§8.1.1.5); larger values are refused so that
 * arithmetic on it stays exact and RFC 4475 scalar02/scalarlg are rejected.
 */
import { C_TOKEN, isDigit, isWs, parseDigits, scanClass, skipWs, trimWsEnd } from './charset.js';

export interface CSeq {
  seq: number;
  method: string;
}

export const MAX_CSEQ = 2 ** 31 - 1;

/** Parses a CSeq value; null when malformed or out of range. */
export function parseCSeq(text: string): CSeq | null {
  return scanCSeq(text, 0, text.length);
}

/** @internal parseCSeq() over text[start, end). */
export function scanCSeq(text: string, start: number, end: number): CSeq | null {
  end = trimWsEnd(text, start, end);
  start = skipWs(text, start, end);
  let i = start;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  const seq = parseDigits(text, start, i, MAX_CSEQ);
  if (seq === null || i >= end || !isWs(text.charCodeAt(i))) return null;
  const methodStart = skipWs(text, i, end);
  const methodEnd = scanClass(text, methodStart, end, C_TOKEN);
  if (methodEnd === methodStart || methodEnd !== end) return null;
  return { seq, method: text.slice(methodStart, methodEnd) };
}

/** Formats a CSeq value. */
export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}
