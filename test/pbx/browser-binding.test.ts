/**
 * Which bindings are browsers (offered WebRTC, not plain RTP): over WebSocket straight to the
 * node, or behind a front proxy (Kamailio fronting WebSocket) with an RFC 7118 Contact.
 */
import { describe, expect, it } from 'vitest';
import { type Binding, isBrowserBinding } from '../../src/pbx/location.js';
import type { TransportName } from '../../src/sip/transaction/types.js';

function binding(transport: TransportName, contact: string, path: string[] = []): Binding {
  return {
    contact,
    expiresAt: Date.now() + 60_000,
    callId: 'c',
    cseq: 1,
    source: { transport, host: '127.0.0.1', port: 5060 },
    path,
    userAgent: null,
    q: 1,
  };
}

const KAMAILIO_PATH = ['<sip:127.0.0.1:5060;lr;received=sip:127.0.0.1:40000%3Btransport%3Dws>'];

describe('isBrowserBinding', () => {
  it('is a browser over WS or WSS straight to the node, whatever its Contact says', () => {
    expect(isBrowserBinding(binding('WS', 'sip:a@b.invalid;transport=ws'))).toBe(true);
    expect(isBrowserBinding(binding('WSS', 'sip:a@b.invalid'))).toBe(true);
  });

  it('is a browser behind a proxy (Path) when its Contact names WebSocket (RFC 7118)', () => {
    expect(isBrowserBinding(binding('UDP', 'sip:a@b.invalid;transport=ws', KAMAILIO_PATH))).toBe(true);
    expect(isBrowserBinding(binding('UDP', 'sip:a@b.invalid;transport=WSS;ob', KAMAILIO_PATH))).toBe(true);
    expect(isBrowserBinding(binding('TCP', '<sip:a@b.invalid;transport=ws>', KAMAILIO_PATH))).toBe(true);
  });

  it('is a phone otherwise: other transports, or a Contact naming WebSocket without a proxy', () => {
    expect(isBrowserBinding(binding('UDP', 'sip:201@10.0.0.5:5060', KAMAILIO_PATH))).toBe(false);
    expect(isBrowserBinding(binding('UDP', 'sip:201@10.0.0.5:5060;transport=tcp', KAMAILIO_PATH))).toBe(
      false,
    );
    expect(isBrowserBinding(binding('UDP', 'sip:201@10.0.0.5;transport=wsx', KAMAILIO_PATH))).toBe(false);
    expect(isBrowserBinding(binding('UDP', 'sip:a@b.invalid;transport=ws'))).toBe(false);
    expect(isBrowserBinding(binding('TLS', 'sip:201@10.0.0.5:5061;transport=tls'))).toBe(false);
  });
});
