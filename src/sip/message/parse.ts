/**
 * parseMessage(): one SIP message from one datagram (UDP, or a WebSocket frame, which
 * RFC 7118 §3.2 also makes exactly one message).
 *
 * Body rules for datagrams (RFC 3261 §18.3): with Content-Length the body is that many
 * octets and anything after it is ignored (RFC 4475 dblreq); a Content-Length larger
 * than what arrived is an error (clerr); without Content-Length the body runs to the end
 * of the datagram.
 */
import { isAscii } from 'node:buffer';
import { type ParsedHead, parseHead, parseHeadToEmptyLine } from './head-parser.js';
import type { ParseError, ParseResult, SipMessage } from './types.js';

/** Default largest datagram accepted: the largest a UDP datagram over IPv4 can be, rounded. */
export const DEFAULT_MAX_DATAGRAM = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** Largest datagram decoded whole (see parseDatagram()): a typical request with its SDP. */
const WHOLE_DECODE_LIMIT = 4096;

function failed(
  reason: string,
  status: 400 | 505 | 413,
  canRespond: boolean,
  msg: SipMessage | null,
): ParseResult {
  const error: ParseError = { reason, status, canRespond };
  if (msg !== null && msg.kind === 'request') error.partial = msg;
  return { ok: false, error };
}

/** Parses one datagram. Never throws: malformed input gives `{ ok: false, error }`. */
export function parseMessage(data: Buffer, opts?: { maxSize?: number }): ParseResult {
  try {
    return parseDatagram(data, opts?.maxSize ?? DEFAULT_MAX_DATAGRAM);
  } catch {
    // A bug in a branch nobody anticipated must not take the transport down.
    return failed('Unparseable message', 400, false, null);
  }
}

function parseDatagram(data: Buffer, maxSize: number): ParseResult {
  // §7.5: CRLFs before the start line are ignored (keep-alive remnants).
  let start = 0;
  while (start + 1 < data.length && data[start] === 0x0d && data[start + 1] === 0x0a) start += 2;
  if (start >= data.length) return failed('Empty message', 400, false, null);

  // An all-ASCII datagram of usual size is decoded whole as Latin-1, a plain copy, and the
  // end of its head found by the line reader: cheaper than searching the Buffer and then
  // decoding the head as UTF-8, which, for ASCII, gives the same text. The header values
  // are slices of that text, so a large body is not decoded this way (it would stay
  // alive as long as any of them).
  if (data.length <= WHOLE_DECODE_LIMIT && data.length <= maxSize && isAscii(data)) {
    return withBody(data, parseHeadToEmptyLine(data, start, data.toString('latin1', start)));
  }

  const headEnd = data.indexOf(CRLFCRLF, start);
  if (data.length > maxSize) {
    // Still read the header section when it fits, so the UAS can answer rather than drop.
    if (headEnd < 0 || headEnd + 4 > maxSize) return failed('Message too large', 413, false, null);
    const head = parseHead(data, start, headEnd + 2, true);
    return failed('Message too large', 413, head.canRespond, head.message);
  }

  const terminated = headEnd >= 0;
  return withBody(data, parseHead(data, start, terminated ? headEnd + 2 : data.length, terminated));
}

/** The outcome for a datagram whose head is parsed: the body is what follows it (§18.3). */
function withBody(data: Buffer, head: ParsedHead): ParseResult {
  const headEnd = head.headEnd;
  const terminated = headEnd >= 0;
  const msg = head.message;
  if (msg === null)
    return failed(head.failure?.reason ?? 'Malformed start line', head.failure?.status ?? 400, false, null);

  const bodyStart = terminated ? headEnd + 4 : data.length;
  const available = data.length - bodyStart;
  let failure = head.failure;
  const cl = head.contentLength;
  if (cl !== null && cl >= 0 && cl > available) {
    failure ??= { reason: 'Content-Length exceeds the octets received', status: 400 };
    msg.body = data.subarray(bodyStart);
  } else if (cl !== null && cl >= 0) {
    if (cl > 0) msg.body = data.subarray(bodyStart, bodyStart + cl);
  } else if (bodyStart < data.length) {
    msg.body = data.subarray(bodyStart);
  }

  if (failure !== null) return failed(failure.reason, failure.status, head.canRespond, msg);
  return { ok: true, message: msg };
}
