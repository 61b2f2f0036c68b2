/**
 * RFC 3261 §12.1.1: a UAS copies the Record-Route of a dialog-creating request into its
 * 1xx/2xx answers, in order, so the caller's ACK and BYE go back through the proxies
 * (Kamailio in front of a cluster) — and only there: not into errors, not into answers to
 * in-dialog requests or to requests that make no dialog.
 */
import { describe, expect, it } from 'vitest';
import { makeResponse } from '../../src/sip/build.js';
import { parseMessage, type SipRequest } from '../../src/sip/message/index.js';

function request(method: string, toTag = ''): SipRequest {
  const text = [
    `${method} sip:201@example.test SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKrr1',
    'Record-Route: <sip:10.0.0.1;lr>',
    'Record-Route: <sip:10.0.0.2;lr;ftag=x>',
    'From: <sip:202@example.test>;tag=a1',
    `To: <sip:201@example.test>${toTag}`,
    'Call-ID: rr-1',
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('bad fixture');
  return r.message;
}

describe('Record-Route in answers', () => {
  it('is copied, in order, into 1xx and 2xx answers to dialog-creating requests', () => {
    for (const method of ['INVITE', 'SUBSCRIBE'])
      for (const status of [180, 200])
        expect(makeResponse(request(method), status).headers.getAll('Record-Route')).toEqual([
          '<sip:10.0.0.1;lr>',
          '<sip:10.0.0.2;lr;ftag=x>',
        ]);
  });

  it('is not copied into 100, errors, in-dialog answers or answers to OPTIONS', () => {
    expect(makeResponse(request('INVITE'), 100).headers.getAll('Record-Route')).toEqual([]);
    expect(makeResponse(request('INVITE'), 486).headers.getAll('Record-Route')).toEqual([]);
    expect(makeResponse(request('INVITE', ';tag=b2'), 200).headers.getAll('Record-Route')).toEqual([]);
    expect(makeResponse(request('OPTIONS'), 200).headers.getAll('Record-Route')).toEqual([]);
  });
});
