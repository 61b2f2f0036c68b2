/**
 * SDES-SRTP at the SIP level (issue 12), without any outside phone: a caller over
 * TLS offering RTP/SAVP with a=crypto is answered RTP/SAVP with the tag and suite
 * it offered and a key of the PBX's own; the same offer over UDP is refused with
 * 488 and a 302 warning; an offer with both an RTP/SAVP and an RTP/AVP stream over
 * UDP gets the plain stream. The callee (a UDP phone) is offered plain RTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCertificate } from '../../src/pbx/tls-certificate.js';
import { authorize } from '../../src/sip/auth.js';
import type { PhoneBank } from '../helpers/phones.js';
import { phoneBank } from '../helpers/phones.js';
import { type RawClient, tcpClient, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

const DOMAIN = 'srtp-sig.example.test';
const KEY = Buffer.alloc(30, 0x33).toString('base64');
const SAVP = [
  'm=audio 5004 RTP/SAVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  `a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
  'a=sendrecv',
];
const AVP = ['m=audio 5006 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv'];

let seq = 0;

/** One INVITE from 701 to 702 with `media` lines, answering the PBX's challenge; the final answer. */
async function invite(
  client: RawClient,
  media: string[],
): Promise<{ raw: string; bye: () => Promise<void> }> {
  const n = ++seq;
  const callId = `srtp-${n}`;
  const ruri = `sip:702@${DOMAIN}`;
  const body = `${['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...media].join('\r\n')}\r\n`;
  const build = (cseq: number, auth?: string) =>
    [
      `INVITE ${ruri} SIP/2.0`,
      `Via: SIP/2.0/${client.transport} ${client.address}:${client.port};branch=z9hG4bK-srtp${n}-${cseq};rport`,
      'Max-Forwards: 70',
      `From: <sip:701@${DOMAIN}>;tag=f${n}`,
      `To: <${ruri}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} INVITE`,
      `Contact: <sip:701@${client.address}:${client.port};transport=${client.transport.toLowerCase()}>`,
      ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  const ack = (raw: string, cseq: number, branch: string) => {
    const to = /\r\nTo: ([^\r]+)/i.exec(raw)?.[1] ?? '';
    client.send(
      [
        `ACK ${ruri} SIP/2.0`,
        `Via: SIP/2.0/${client.transport} ${client.address}:${client.port};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:701@${DOMAIN}>;tag=f${n}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ACK`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  };
  const first = await client.exchange(build(1), callId);
  ack(first.raw, 1, `z9hG4bK-srtp${n}-1`);
  const challenge = /\r\nProxy-Authenticate: ([^\r]+)/i.exec(first.raw)?.[1];
  if (!challenge) throw new Error(`no challenge: ${first.raw}`);
  const auth = authorize(
    challenge,
    { username: '701', password: 's-701-secret' },
    { method: 'INVITE', uri: ruri },
  );
  const { raw } = await client.exchange(build(2, auth ?? undefined), callId);
  // A 2xx is ACKed in a transaction of its own; a failure in the INVITE's.
  ack(raw, 2, raw.startsWith('SIP/2.0 2') ? `z9hG4bK-srtp${n}-ack` : `z9hG4bK-srtp${n}-2`);
  const bye = async () => {
    const to = /\r\nTo: ([^\r]+)/i.exec(raw)?.[1] ?? '';
    await client.exchange(
      [
        `BYE ${ruri} SIP/2.0`,
        `Via: SIP/2.0/${client.transport} ${client.address}:${client.port};branch=z9hG4bK-srtp${n}-bye;rport`,
        'Max-Forwards: 70',
        `From: <sip:701@${DOMAIN}>;tag=f${n}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        'CSeq: 3 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      callId,
    );
  };
  return { raw, bye };
}

describe('SDES-SRTP offers by signalling transport', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-srtp-sig-'));

  beforeAll(async () => {
    const cert = await loadOrCreateCertificate({
      certFile: null,
      keyFile: null,
      dataDir: dir,
      hostName: '127.0.0.1',
    });
    fx = await sipFixture(DOMAIN, [{ number: '701' }, { number: '702' }], {
      tls: { port: 0, key: cert.key, cert: cert.cert },
      media: { bindAddress: '127.0.0.1', portMin: 41_600, portMax: 41_699, workers: 1 },
    });
    bank = await phoneBank(fx, DOMAIN, ['702']);
    expect(await bank.register(bank.get('702'))).toMatchObject({ status: 200 });
  }, 60_000);

  afterAll(async () => {
    bank?.close();
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers RTP/SAVP over TLS with the offered tag and suite and a key of its own; the callee gets plain RTP', async () => {
    bank.reset();
    const client = await tcpClient(fx.sip.transports.tlsPort, '127.0.0.1', true);
    try {
      const { raw, bye } = await invite(client, SAVP);
      expect(raw.slice(0, 12)).toBe('SIP/2.0 200 ');
      expect(raw).toMatch(/\r\nm=audio \d+ RTP\/SAVP 8 101\r\n/);
      const crypto = /\r\na=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)\r\n/.exec(raw);
      expect(crypto?.[1]).toBe('7');
      expect(crypto?.[2]).toBe('AES_CM_128_HMAC_SHA1_80');
      expect(Buffer.from(crypto?.[3] ?? '', 'base64')).toHaveLength(30);
      expect(crypto?.[3]).not.toBe(KEY);
      const offered = bank.get('702').invites[0]!.body.toString();
      expect(offered).toMatch(/\r\nm=audio \d+ RTP\/AVP /);
      expect(offered).not.toMatch(/a=crypto/);
      await bye();
      await until(() => fx.sip.calls.size === 0);
    } finally {
      client.close();
    }
  });

  it('refuses RTP/SAVP over UDP with 488 and a 302 warning, and takes the RTP/AVP stream when the offer has one', async () => {
    bank.reset();
    const client = await udpClient(fx.sip.transports.udpPort);
    try {
      const refused = await invite(client, SAVP);
      expect(refused.raw.slice(0, 12)).toBe('SIP/2.0 488 ');
      expect(refused.raw).toMatch(/\r\nWarning: 302 /);
      expect(bank.get('702').invites).toHaveLength(0);
      const both = await invite(client, [...SAVP, ...AVP]);
      expect(both.raw.slice(0, 12)).toBe('SIP/2.0 200 ');
      expect(both.raw).toMatch(/\r\nm=audio 0 RTP\/SAVP /);
      expect(both.raw).toMatch(/\r\nm=audio [1-9]\d* RTP\/AVP 8\r\n/);
      expect(both.raw).not.toMatch(/a=crypto/);
      await both.bye();
      await until(() => fx.sip.calls.size === 0);
    } finally {
      client.close();
    }
  });
});
