/**
 * Known scanners (by User-Agent) are dropped without an answer over UDP and TCP,
 * counted, and logged once per address; the list is configurable, and an empty
 * one lets them through (to be answered like anyone: challenged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCANNER_AGENTS } from '../../src/pbx/scanner-filter.js';
import { type RawClient, tcpClient, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const DOMAIN = 'scan.example.test';

function options(client: RawClient, callId: string, agent: string): string {
  return [
    `OPTIONS sip:100@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/${client.transport} ${client.address}:${client.port};branch=z9hG4bK-${callId};rport`,
    'Max-Forwards: 70',
    `From: "sipvicious"<sip:100@${DOMAIN}>;tag=1`,
    `To: "sipvicious"<sip:100@${DOMAIN}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    `User-Agent: ${agent}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function answered(client: RawClient, callId: string, agent: string): Promise<number | null> {
  try {
    const { raw } = await Promise.race([
      client.exchange(options(client, callId, agent), callId),
      new Promise<never>((_, no) => setTimeout(() => no(new Error('silence')), 600)),
    ]);
    return Number(raw.slice(8, 11));
  } catch (e) {
    if ((e as Error).message === 'silence') return null;
    throw e;
  }
}

describe('scanner User-Agents', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '101' }]);
  });
  afterAll(async () => fx?.close());

  it('are dropped unanswered over UDP and TCP, counted, and logged once per address', async () => {
    for (const client of [
      await udpClient(fx.sip.transports.udpPort, '127.0.0.6'),
      await tcpClient(fx.sip.transports.tcpPort, '127.0.0.6'),
    ]) {
      try {
        expect(await answered(client, `s1-${client.transport}`, 'friendly-scanner')).toBeNull();
        expect(await answered(client, `s2-${client.transport}`, 'Mozilla SIPVicious/0.3')).toBeNull();
        expect(await answered(client, `s3-${client.transport}`, 'VaxSIPUserAgent/3.1')).toBeNull();
        // The same request from an ordinary phone is answered (challenged: it is to a user).
        expect(await answered(client, `s4-${client.transport}`, 'Yealink SIP-T46U')).toBe(407);
      } finally {
        client.close();
      }
    }
    expect(fx.sip.scanners.dropped).toBe(6);
    const events = fx.sip.securityLog.list({ kind: 'scanner' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ip: '127.0.0.6', reason: 'friendly-scanner', method: 'OPTIONS' });
    expect(DEFAULT_SCANNER_AGENTS).toContain('friendly-scanner');
  });
});

describe('an empty scanner list', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('noscan.example.test', [{ number: '101' }], { scannerAgents: [] });
  });
  afterAll(async () => fx?.close());

  it('lets them through to be answered like anyone', async () => {
    const client = await udpClient(fx.sip.transports.udpPort);
    try {
      const text = options(client, 'e1', 'friendly-scanner').replaceAll(DOMAIN, 'noscan.example.test');
      const { raw } = await client.exchange(text, 'e1');
      expect(raw.startsWith('SIP/2.0 407 ')).toBe(true);
      expect(fx.sip.scanners.dropped).toBe(0);
    } finally {
      client.close();
    }
  });
});
