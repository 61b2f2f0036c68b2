/** Reads SIP responses (headers only, no body) one at a time from a TCP or TLS socket. */
import type { Duplex } from 'node:stream';
import { parseMessage, type SipResponse } from '../../src/sip/message/index.js';

export function responseReader(sock: Duplex): () => Promise<SipResponse> {
  let buf = '';
  return () =>
    new Promise<SipResponse>((res) => {
      const onData = (d: Buffer) => {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const r = parseMessage(Buffer.from(buf.slice(0, end + 4), 'latin1'));
        buf = buf.slice(end + 4);
        sock.off('data', onData);
        if (r.ok && r.message.kind === 'response') res(r.message);
      };
      sock.on('data', onData);
    });
}
