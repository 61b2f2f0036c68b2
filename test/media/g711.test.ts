/**
 * G.711 against the standard's fixed points and its quantisation bounds: silence,
 * full scale, sign symmetry, every octet surviving decode -> encode, the error of
 * encode -> decode bounded by the segment's step, and the laws transcoding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALAW_TO_LINEAR,
  ALAW_TO_ULAW,
  decodeG711,
  encodeG711,
  linearToAlaw,
  linearToUlaw,
  transcodeG711,
  ULAW_TO_ALAW,
  ULAW_TO_LINEAR,
} from '../../src/media/codecs/g711.js';

describe('µ-law (PCMU)', () => {
  it('has the standard fixed points', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(ULAW_TO_LINEAR[0xff]).toBe(0);
    expect(ULAW_TO_LINEAR[0x7f]).toBe(0);
    expect(ULAW_TO_LINEAR[0x80]).toBe(32124);
    expect(ULAW_TO_LINEAR[0x00]).toBe(-32124);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
  });

  it('re-encodes every decoded octet to itself (except the duplicate zero)', () => {
    for (let o = 0; o < 256; o++) if (o !== 0x7f) expect(linearToUlaw(ULAW_TO_LINEAR[o]!)).toBe(o);
  });

  it('quantises within a step of the segment, symmetrically', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32000, max: 32000 }), (x) => {
        const y = ULAW_TO_LINEAR[linearToUlaw(x)]!;
        // The step doubles per segment: 8 at the bottom, 1024 at the top (16-bit scale).
        const step = 8 << Math.max(0, Math.floor(Math.log2(Math.abs(x) + 132)) - 7);
        expect(Math.abs(y - x)).toBeLessThanOrEqual(step);
        expect(ULAW_TO_LINEAR[linearToUlaw(-x)]! + 0).toBe(-y + 0); // + 0: no -0
      }),
    );
  });
});

describe('A-law (PCMA)', () => {
  it('has the standard fixed points', () => {
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(ALAW_TO_LINEAR[0xd5]).toBe(8);
    expect(ALAW_TO_LINEAR[0x55]).toBe(-8);
    expect(ALAW_TO_LINEAR[0xaa]).toBe(32256);
    expect(ALAW_TO_LINEAR[0x2a]).toBe(-32256);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it('re-encodes every decoded octet to itself', () => {
    for (let o = 0; o < 256; o++) expect(linearToAlaw(ALAW_TO_LINEAR[o]!)).toBe(o);
  });

  it('quantises within a step of the segment', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
        const y = ALAW_TO_LINEAR[linearToAlaw(x)]!;
        const step = 16 << Math.max(0, Math.floor(Math.log2(Math.abs(x) + 1)) - 8);
        expect(Math.abs(y - x)).toBeLessThanOrEqual(step);
      }),
    );
  });
});

describe('buffers and transcoding', () => {
  it('encodes and decodes buffers of samples', () => {
    const tone = Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
    );
    for (const law of ['ulaw', 'alaw'] as const) {
      const back = decodeG711(encodeG711(tone, law), law);
      for (let i = 0; i < tone.length; i++) expect(Math.abs(back[i]! - tone[i]!)).toBeLessThan(300);
    }
  });

  it('transcodes µ-law to A-law and back with no more than one step of drift', () => {
    for (let o = 0; o < 256; o++) {
      const there = ULAW_TO_ALAW[o]!;
      const back = ALAW_TO_ULAW[there]!;
      const a = ULAW_TO_LINEAR[o]!;
      const b = ULAW_TO_LINEAR[back]!;
      expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(16, Math.abs(a) / 8));
    }
    const payload = Buffer.from([0xff, 0x80, 0x00, 0x7f, 0x10]);
    expect(transcodeG711(payload, 'ulaw', 'ulaw')).toEqual(payload);
    expect([...transcodeG711(payload, 'ulaw', 'alaw')]).toEqual([...payload].map((o) => ULAW_TO_ALAW[o]));
  });
});
