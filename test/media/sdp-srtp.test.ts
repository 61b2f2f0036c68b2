/**
 * SDES-SRTP in SDP (RFC 4568 with RFC 3264): which a=crypto lines are usable,
 * answers that take one with our own fresh key, refusals where SRTP may not be
 * used (the leg's signalling is not protected) or is required and missing, our
 * RTP/SAVP offer and the reading of its answer, and the lines written back.
 */
import { describe, expect, it } from 'vitest';
import { type CapabilityOptions, capabilities, type LocalMedia } from '../../src/media/sdp/capabilities.js';
import { readCrypto } from '../../src/media/sdp/crypto.js';
import { answerOffer } from '../../src/media/sdp/negotiate.js';
import { buildOffer, readAnswer } from '../../src/media/sdp/offer.js';
import { parseSdp } from '../../src/media/sdp/parse.js';
import type { SessionDescription } from '../../src/media/sdp/types.js';
import { writeSdp } from '../../src/media/sdp/write.js';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const HEAD = ['v=0', 'o=- 100 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
const LOCAL: LocalMedia = { addresses: ['203.0.113.5'], ports: [40000] };
const KEY = Buffer.alloc(30, 7).toString('base64');
const KEY2 = Buffer.alloc(30, 9).toString('base64');

function parsed(...lines: string[]): SessionDescription {
  const r = parseSdp(sdp(...HEAD, ...lines));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const caps = (o: Partial<CapabilityOptions> = {}) => capabilities({ codecs: ['PCMA', 'PCMU'], ...o });

const SAVP = [
  'm=audio 5004 RTP/SAVP 8 101',
  'a=rtpmap:101 telephone-event/8000',
  `a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:${KEY}|2^31`,
  `a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:${KEY2}`,
];

describe('SDES-SRTP in SDP', () => {
  it('keeps only a=crypto lines the relay can honour', () => {
    expect(readCrypto(1, 'AES_CM_128_HMAC_SHA1_80', `inline:${KEY}`, undefined)).toEqual({
      tag: 1,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      key: KEY,
    });
    expect(readCrypto(1, 'AES_CM_128_HMAC_SHA1_80', `inline:${KEY}|2^20`, undefined)).toBeNull(); // short lifetime
    expect(readCrypto(1, 'AES_CM_128_HMAC_SHA1_80', `inline:${KEY}|1:4`, undefined)).toBeNull(); // MKI
    expect(readCrypto(1, 'AES_CM_128_HMAC_SHA1_80', `inline:${KEY}`, 'KDR=1')).toBeNull();
    expect(readCrypto(1, 'AES_256_CM_HMAC_SHA1_80', `inline:${KEY}`, undefined)).toBeNull();
    expect(readCrypto(1, 'AES_CM_128_HMAC_SHA1_80', 'inline:c2hvcnQ=', undefined)).toBeNull();
    const m = parsed(...SAVP).media[0]!;
    expect(m.crypto?.map((c) => c.tag)).toEqual([3, 4]);
  });

  it('answers RTP/SAVP with the first usable line, its tag and suite, and a fresh key of ours', () => {
    const r = answerOffer(parsed(...SAVP), caps({ srtp: 'accept' }), LOCAL);
    if (!r.ok) throw new Error(r.error.message);
    const m = r.value.body.media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto).toHaveLength(1);
    expect(m.crypto![0]!.tag).toBe(3);
    expect(m.crypto![0]!.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(m.crypto![0]!.key).not.toBe(KEY);
    expect(Buffer.from(m.crypto![0]!.key, 'base64')).toHaveLength(30);
    expect(r.value.streams[0]!.srtp).toEqual({
      suite: 'AES_CM_128_HMAC_SHA1_32',
      remoteKey: KEY,
      localKey: m.crypto![0]!.key,
    });
    const text = writeSdp({
      ...r.value.body,
      origin: {
        username: '-',
        sessionId: '1',
        sessionVersion: '1',
        connection: { family: 'IP4', address: '203.0.113.5' },
      },
    });
    expect(text).toContain(`m=audio 40000 RTP/SAVP 8 101\r\n`);
    expect(text).toContain(`a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:${m.crypto![0]!.key}\r\n`);
    // A second answer has another key.
    const again = answerOffer(parsed(...SAVP), caps({ srtp: 'accept' }), LOCAL);
    expect(again.ok && again.value.body.media[0]!.crypto![0]!.key).not.toBe(m.crypto![0]!.key);
  });

  it('refuses RTP/SAVP where SRTP may not be used (signalling not over TLS), with 302', () => {
    const r = answerOffer(parsed(...SAVP), caps(), LOCAL);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('not-acceptable');
      expect(r.error.message).toMatch(/TLS/);
    }
    // With no usable line either.
    const none = answerOffer(
      parsed('m=audio 5004 RTP/SAVP 8', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1:4`),
      caps({ srtp: 'accept' }),
      LOCAL,
    );
    expect(none.ok).toBe(false);
  });

  it('takes the RTP/AVP stream of an offer that also allows it, and drops best-effort crypto where SRTP is off', () => {
    const both = answerOffer(
      parsed(...SAVP, 'm=audio 5006 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'),
      caps(),
      LOCAL,
    );
    if (!both.ok) throw new Error(both.error.message);
    expect(both.value.body.media.map((m) => [m.protocol, m.port])).toEqual([
      ['RTP/SAVP', 0],
      ['RTP/AVP', 40000],
    ]);
    expect(both.value.streams[0]!.srtp).toBeNull();
    const bestEffort = ['m=audio 5004 RTP/AVP 8', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`];
    const plain = answerOffer(parsed(...bestEffort), caps(), LOCAL);
    if (!plain.ok) throw new Error(plain.error.message);
    expect(plain.value.body.media[0]!.crypto ?? []).toEqual([]);
    expect(plain.value.streams[0]!.srtp).toBeNull();
    // Where SRTP may be used, best-effort SRTP is taken.
    const taken = answerOffer(parsed(...bestEffort), caps({ srtp: 'accept' }), LOCAL);
    if (!taken.ok) throw new Error(taken.error.message);
    expect(taken.value.body.media[0]!.protocol).toBe('RTP/AVP');
    expect(taken.value.streams[0]!.srtp?.remoteKey).toBe(KEY);
  });

  it("requires SRTP when told: a plain offer is refused; our offer is RTP/SAVP and the answer's line is read", () => {
    const r = answerOffer(parsed('m=audio 5004 RTP/AVP 8'), caps({ srtp: 'require' }), LOCAL);
    expect(r.ok).toBe(false);
    const offer = buildOffer(caps({ srtp: 'require' }), LOCAL);
    const m = offer.media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(m.crypto?.map((c) => [c.tag, c.suite])).toEqual([
      [1, 'AES_CM_128_HMAC_SHA1_80'],
      [2, 'AES_CM_128_HMAC_SHA1_32'],
    ]);
    const ours = m.crypto![0]!.key;
    const reading = readAnswer(
      offer,
      parsed(
        'm=audio 6000 RTP/SAVP 8',
        'a=rtpmap:8 PCMA/8000',
        `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}`,
      ),
    );
    if (!reading.ok) throw new Error(reading.error.message);
    expect(reading.value.streams[0]!.srtp).toEqual({
      suite: 'AES_CM_128_HMAC_SHA1_32',
      remoteKey: KEY,
      localKey: ours,
    });
    // An answer without a line we offered does not fit.
    expect(readAnswer(offer, parsed('m=audio 6000 RTP/SAVP 8')).ok).toBe(false);
    // A re-offer on a stream that uses SRTP keeps it (and our key), even where it is merely accepted.
    const again = buildOffer(caps({ srtp: 'accept' }), LOCAL, offer);
    expect(again.media[0]!.protocol).toBe('RTP/SAVP');
    expect(again.media[0]!.crypto?.[0]?.key).toBe(ours);
    expect(buildOffer(caps({ srtp: 'accept' }), LOCAL).media[0]!.protocol).toBe('RTP/AVP');
  });
});
