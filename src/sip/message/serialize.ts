/**
 * serializeMessage(): the wire form of a message (RFC 3261 §7).
 *
 *   start-line CRLF, then "Name: value" CRLF per header in stored order with canonical
 *   names, then Content-Length (always, recomputed from the body: §20.14 makes it
 *   mandatory on streams and it is harmless on datagrams), CRLF, body.
 *
 * Header text is written as UTF-8.
 */
import { H_CONTENT_LENGTH } from './header-names.js';
import { Headers } from './headers.js';
import type { SipMessage } from './types.js';
import { formatUri } from './uri.js';

/**
 * Staging area for the common case: the header text is encoded straight into it and the
 * result copied out once, instead of measuring the string (Buffer.byteLength flattens it)
 * and then encoding it a second time.
 */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

/** A reason phrase may come from application text: CR or LF in it would end the line early. */
function safeReason(reason: string): string {
  return /[\r\n]/.test(reason) ? reason.replace(/[\r\n]/g, ' ') : reason;
}

export function serializeMessage(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request'
      ? `${msg.method} ${formatUri(msg.uri)} SIP/2.0`
      : `SIP/2.0 ${msg.status} ${safeReason(msg.reason)}`;
  // Each line's CRLF is written by the next one's lead ("\r\nName: "): two parts per
  // header line, so the string V8 flattens when encoding it has half as many pieces.
  const infos = Headers.infosOf(msg.headers);
  const values = Headers.valuesOf(msg.headers);
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i]!;
    if (info.id !== H_CONTENT_LENGTH) {
      head += info.lead;
      head += values[i]!;
    }
  }
  head += `\r\nContent-Length: ${msg.body.length}\r\n\r\n`;
  const body = msg.body;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit, so this bound cannot overflow.
  if (head.length * 3 + body.length <= SCRATCH.length) {
    const n = SCRATCH.write(head, 0, 'utf8');
    body.copy(SCRATCH, n);
    return Buffer.from(SCRATCH.subarray(0, n + body.length));
  }
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, 'utf8');
  body.copy(out, headLength);
  return out;
}
