/**
 * SRTP/SRTCP (RFC 3711): the Appendix B vectors for key derivation (B.3) and the
 * AES-CM keystream (B.2), then our contexts against each other: a round trip for
 * both suites, forged tags and replays refused, the rollover counter across a
 * sequence wrap with reordering, and SRTCP with its E-bit and index.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import { buildCompound, parseCompound } from '../../src/media/rtp/rtcp.js';
import { aesCm, deriveSessionKey, estimateIndex, LABEL, SrtpContext } from '../../src/media/rtp/srtp.js';

const hex = (s: string) => Buffer.from(s, 'hex');

function rtp(seq: number, ssrc = 0x1234, fill = 0x55): Buffer {
  return serializeRtp({
    marker: false,
    payloadType: 0,
    sequence: seq & 0xffff,
    timestamp: seq * 160,
    ssrc,
    csrc: [],
    extension: null,
    payload: Buffer.alloc(160, fill),
  });
}

const KEY = Buffer.from(Array.from({ length: 30 }, (_, i) => (i * 7 + 3) & 0xff));

describe('SRTP (RFC 3711)', () => {
  it('derives the session keys of Appendix B.3', () => {
    const master = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const salt = hex('0EC675AD498AFEEBB6960B3AABE6');
    expect(deriveSessionKey(master, salt, LABEL.rtpEncryption, 16).toString('hex').toUpperCase()).toBe(
      'C61E7A93744F39EE10734AFE3FF7A087',
    );
    expect(deriveSessionKey(master, salt, LABEL.rtpSalt, 14).toString('hex').toUpperCase()).toBe(
      '30CBBC08863D8C85D49DB34A9AE1',
    );
    expect(deriveSessionKey(master, salt, LABEL.rtpAuth, 20).toString('hex').toUpperCase()).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4',
    );
  });

  it('produces the AES-CM keystream of Appendix B.2', () => {
    const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const salt = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD');
    const ks = aesCm(key, salt, 0, 0, Buffer.alloc(16 * 0xff02));
    const block = (n: number) =>
      ks
        .subarray(n * 16, n * 16 + 16)
        .toString('hex')
        .toUpperCase();
    expect(block(0)).toBe('E03EAD0935C95E80E166B16DD92B4EB4');
    expect(block(1)).toBe('D23513162B02D0F72A43A2FE4A5F97AB');
    expect(block(2)).toBe('41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(block(0xfeff)).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4');
    expect(block(0xff00)).toBe('362B7C3C6773516318A077D7FC5073AE');
    expect(block(0xff01)).toBe('6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('authenticates RTP with HMAC-SHA1 over the packet and the ROC', () => {
    const sender = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY);
    const plain = rtp(7);
    const sealed = sender.protectRtp(plain);
    const auth = deriveSessionKey(KEY.subarray(0, 16), KEY.subarray(16), LABEL.rtpAuth, 20);
    const tag = createHmac('sha1', auth)
      .update(sealed.subarray(0, plain.length))
      .update(Buffer.alloc(4))
      .digest()
      .subarray(0, 10);
    expect(sealed.subarray(plain.length)).toEqual(tag);
    // The header stays readable, the payload does not.
    expect(sealed.subarray(0, 12)).toEqual(plain.subarray(0, 12));
    expect(sealed.subarray(12, plain.length)).not.toEqual(plain.subarray(12));
  });

  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`round-trips ${suite}, refusing a forged tag, a wrong key and a replay`, () => {
      const sender = new SrtpContext(suite, KEY);
      const receiver = new SrtpContext(suite, KEY);
      const sealed = sender.protectRtp(rtp(100));
      expect(sealed.length).toBe(172 + (suite.endsWith('80') ? 10 : 4));
      const forged = Buffer.from(sealed);
      forged[forged.length - 1]! ^= 1;
      expect(receiver.unprotectRtp(forged)).toBeNull();
      const flipped = Buffer.from(sealed);
      flipped[20]! ^= 0x80;
      expect(receiver.unprotectRtp(flipped)).toBeNull();
      const other = Buffer.from(KEY);
      other[0]! ^= 1;
      expect(new SrtpContext(suite, other).unprotectRtp(Buffer.from(sealed))).toBeNull();
      expect(receiver.unprotectRtp(Buffer.from(sealed))).toEqual(rtp(100));
      // The same packet again is a replay.
      expect(receiver.unprotectRtp(Buffer.from(sealed))).toBeNull();
      // Too short for a tag: refused without throwing.
      expect(receiver.unprotectRtp(Buffer.alloc(13, 0x80))).toBeNull();
    });
  }

  it('follows the rollover counter across a sequence wrap, with reordering, and refuses packets older than the window', () => {
    const sender = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY);
    const receiver = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY);
    const sealed = new Map<number, Buffer>();
    for (let i = 65500; i < 65600; i++) sealed.set(i, sender.protectRtp(rtp(i)));
    // 65500..65529 in order, then 65540 (after the wrap) before the late 65535.
    for (let i = 65500; i < 65530; i++) expect(receiver.unprotectRtp(sealed.get(i)!)).not.toBeNull();
    expect(receiver.unprotectRtp(sealed.get(65540)!)).toEqual(rtp(65540));
    expect(receiver.unprotectRtp(sealed.get(65535)!)).toEqual(rtp(65535));
    for (let i = 65541; i < 65600; i++) expect(receiver.unprotectRtp(sealed.get(i)!)).toEqual(rtp(i));
    // A late packet within 64 of the highest (65599) is taken; one further behind is not.
    expect(receiver.unprotectRtp(sealed.get(65537)!)).toEqual(rtp(65537));
    expect(receiver.unprotectRtp(sealed.get(65530)!)).toBeNull();
    expect(estimateIndex(0, 65535, 3)).toEqual([1, 65539]);
    expect(estimateIndex(1, 2, 65534)).toEqual([0, 65534]);
    expect(estimateIndex(2, 40000, 40001)).toEqual([2, 2 * 65536 + 40001]);
  });

  it('protects RTCP with the E-bit and index, 80-bit tags for both suites, refusing forgeries and replays', () => {
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      const sender = new SrtpContext(suite, KEY);
      const receiver = new SrtpContext(suite, KEY);
      const report = buildCompound({ ssrc: 0xabc, sender: null, blocks: [], cname: 'nimbus', bye: false });
      const first = sender.protectRtcp(report);
      const second = sender.protectRtcp(report);
      expect(first.length).toBe(report.length + 4 + 10);
      expect(first.readUInt32BE(report.length)).toBe(0x80000000);
      expect(second.readUInt32BE(report.length)).toBe(0x80000001);
      expect(first.subarray(8, report.length)).not.toEqual(report.subarray(8));
      const forged = Buffer.from(second);
      forged[9]! ^= 1;
      expect(receiver.unprotectRtcp(forged)).toBeNull();
      const opened = receiver.unprotectRtcp(Buffer.from(first));
      expect(opened).toEqual(report);
      expect(parseCompound(opened!)?.reports[0]?.ssrc).toBe(0xabc);
      expect(receiver.unprotectRtcp(Buffer.from(first))).toBeNull();
      expect(receiver.unprotectRtcp(Buffer.from(second))).toEqual(report);
    }
  });
});
