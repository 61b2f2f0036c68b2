/**
 * Which address a request is judged by (bans, rate limit, scanners, events): from a
 * trusted proxy, the client's hop as the proxy stamped it in the Via below its own;
 * from anywhere else, the transport source, whatever the message says.
 */
import { describe, expect, it } from 'vitest';
import { TrustedProxies } from '../../src/pbx/trusted-proxies.js';
import { parseMessage, type SipRequest } from '../../src/sip/message/index.js';
import type { Destination } from '../../src/sip/transaction/types.js';

function request(vias: string[]): SipRequest {
  const text = [
    'REGISTER sip:t.example SIP/2.0',
    ...vias.map((v) => `Via: ${v}`),
    'Max-Forwards: 69',
    'From: <sip:101@t.example>;tag=1',
    'To: <sip:101@t.example>',
    'Call-ID: tp-1',
    'CSeq: 1 REGISTER',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok || r.message.kind !== 'request') throw new Error(`not a request: ${text}`);
  return r.message;
}

const KAMAILIO: Destination = { transport: 'UDP', host: '10.1.0.2', port: 5060 };
const proxyVia = 'SIP/2.0/UDP 10.1.0.2:5060;branch=z9hG4bK-k1';

describe('trusted proxies', () => {
  const proxies = new TrustedProxies(['10.1.0.0/28', '2001:db8:1::7']);

  it('trusts the listed addresses and ranges only', () => {
    expect(proxies.trusted('10.1.0.2')).toBe(true);
    expect(proxies.trusted('10.1.0.15')).toBe(true);
    expect(proxies.trusted('10.1.0.16')).toBe(false);
    expect(proxies.trusted('::ffff:10.1.0.3')).toBe(true);
    expect(proxies.trusted('[2001:db8:1::7]')).toBe(true);
    expect(proxies.trusted('2001:db8:1::8')).toBe(false);
    expect(new TrustedProxies().trusted('10.1.0.2')).toBe(false);
    expect(() => new TrustedProxies(['kamailio.local'])).toThrow(/not an address/);
  });

  it("judges a relayed request by the client's received= and rport, with the client's transport", () => {
    const req = request([
      proxyVia,
      'SIP/2.0/TLS 192.168.1.20:5061;received=198.51.100.7;rport=40123;branch=z9hG4bK-p',
    ]);
    expect(proxies.clientOf(req, KAMAILIO)).toEqual({ transport: 'TLS', host: '198.51.100.7', port: 40123 });
  });

  it('takes the sent-by host when the proxy stamped no received= (the phone told the truth)', () => {
    const req = request([proxyVia, 'SIP/2.0/UDP 198.51.100.8:5062;branch=z9hG4bK-p']);
    expect(proxies.clientOf(req, KAMAILIO)).toEqual({ transport: 'UDP', host: '198.51.100.8', port: 5062 });
  });

  it('finds the client Via after a comma on the same line, and in IPv6', () => {
    const req = request([`${proxyVia}, SIP/2.0/TCP [2001:db8::5];received=2001:db8::9;branch=z9hG4bK-p`]);
    expect(proxies.clientOf(req, KAMAILIO)).toEqual({ transport: 'TCP', host: '2001:db8::9', port: 5060 });
  });

  it("keeps the proxy's own address for its own requests and for a client Via naming no address", () => {
    expect(proxies.clientOf(request([proxyVia]), KAMAILIO)).toBe(KAMAILIO);
    const named = request([proxyVia, 'SIP/2.0/UDP phone.example;branch=z9hG4bK-p']);
    expect(proxies.clientOf(named, KAMAILIO)).toBe(KAMAILIO);
  });

  it('walks down a chain of trusted proxies to the first hop that is not one, and stops there', () => {
    // An SBC at 10.1.0.9 (trusted) relayed the phone's request to Kamailio; the phone added a Via of its own below.
    const req = request([
      proxyVia,
      'SIP/2.0/UDP 10.1.0.9:5060;branch=z9hG4bK-sbc',
      'SIP/2.0/UDP 192.168.1.20:5060;received=198.51.100.7;rport=5070;branch=z9hG4bK-p',
      'SIP/2.0/UDP 10.1.0.3;received=10.1.0.4;branch=z9hG4bK-forged',
    ]);
    expect(proxies.clientOf(req, KAMAILIO)).toEqual({ transport: 'UDP', host: '198.51.100.7', port: 5070 });
    // The SBC's own request through Kamailio is judged by the SBC.
    const own = request([proxyVia, 'SIP/2.0/UDP 10.1.0.9:5060;branch=z9hG4bK-sbc']);
    expect(proxies.clientOf(own, KAMAILIO)).toEqual({ transport: 'UDP', host: '10.1.0.9', port: 5060 });
  });

  it('believes nothing a source that is not trusted says about itself', () => {
    const stranger: Destination = { transport: 'UDP', host: '203.0.113.66', port: 5060 };
    const req = request([
      'SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-s',
      'SIP/2.0/UDP 10.0.0.5;received=198.51.100.7;branch=z9hG4bK-f',
    ]);
    expect(proxies.clientOf(req, stranger)).toBe(stranger);
    expect(new TrustedProxies().clientOf(req, KAMAILIO)).toBe(KAMAILIO);
  });
});
