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

export function serializeMessage(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request'
      ? `${msg.method} ${formatUri(msg.uri)} SIP/2.0\r\n`
      : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  for (const f of Headers.fieldsOf(msg.headers)) {
    if (f.info.id !== H_CONTENT_LENGTH) head += `${f.info.name}: ${f.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLength);
  return out;
}
