/**
 * The dual-tone generator: the right frequencies at the right dBm0 levels (checked
 * against G.711's digital milliwatt), per-tone levels for twist, and one continuous
 * sine however the output is cut into frames.
 */
import { describe, expect, it } from 'vitest';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from '../../src/media/codecs/g711.js';
import { DBM0_PEAK, DTMF_DIGITS, dbm0ToPeak, dtmfFrequencies } from '../../src/media/dtmf/digits.js';
import {
  DEFAULT_HIGH_DBM0,
  DEFAULT_LOW_DBM0,
  DualToneGenerator,
  dtmfSequence,
  dtmfTone,
} from '../../src/media/dtmf/generate.js';

/** Amplitude of the component at `hz` (a whole number of cycles in the buffer keeps it exact). */
function amplitudeAt(x: Int16Array, hz: number, rate = 8000): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < x.length; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

const dB = (ratio: number) => 20 * Math.log10(ratio);

describe('level reference', () => {
  it('puts 0 dBm0 where the G.711 digital milliwatt is', () => {
    // The digital milliwatt: a 1 kHz sine at 0 dBm0, eight samples a cycle at odd multiples of 22.5°.
    const sequences = {
      ulaw: [0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e].map((o) => ULAW_TO_LINEAR[o]!),
      alaw: [0x34, 0x21, 0x21, 0x34, 0xb4, 0xa1, 0xa1, 0xb4].map((o) => ALAW_TO_LINEAR[o]!),
    };
    for (const s of Object.values(sequences)) {
      const phase = s.map((_, k) => Math.sin(Math.PI / 8 + (k * Math.PI) / 4));
      const peak = Math.abs(
        s.reduce((a, v, k) => a + v * phase[k]!, 0) / phase.reduce((a, p) => a + p * p, 0),
      );
      expect(Math.abs(dB(peak / DBM0_PEAK))).toBeLessThan(0.1);
    }
    expect(dbm0ToPeak(-20)).toBeCloseTo(DBM0_PEAK / 10, 6);
  });
});

describe('dual-tone generator', () => {
  it('generates each digit on its row and column frequency at the default levels', () => {
    for (const d of DTMF_DIGITS) {
      const x = dtmfTone(d, 1000);
      const f = dtmfFrequencies(d);
      expect(dB(amplitudeAt(x, f.lowHz) / dbm0ToPeak(DEFAULT_LOW_DBM0))).toBeCloseTo(0, 1);
      expect(dB(amplitudeAt(x, f.highHz) / dbm0ToPeak(DEFAULT_HIGH_DBM0))).toBeCloseTo(0, 1);
      // Nothing on the other keypad frequencies.
      for (const other of [697, 770, 852, 941, 1209, 1336, 1477, 1633])
        if (other !== f.lowHz && other !== f.highHz) expect(amplitudeAt(x, other)).toBeLessThan(2);
    }
  });

  it('sets each tone level on its own, for twist', () => {
    const x = dtmfTone('5', 1000, { lowDbm0: -12, highDbm0: -8 });
    expect(dB(amplitudeAt(x, 1336) / amplitudeAt(x, 770))).toBeCloseTo(4, 1);
    const y = dtmfTone('5', 1000, { levelDbm0: -20 });
    expect(dB(amplitudeAt(y, 770) / DBM0_PEAK)).toBeCloseTo(-20, 1);
    expect(dB(amplitudeAt(y, 1336) / DBM0_PEAK)).toBeCloseTo(-20, 1);
  });

  it('is one continuous sine whatever the frame size', () => {
    const whole = new DualToneGenerator();
    whole.setDigit('#');
    const reference = whole.next(8000);
    const framed = new DualToneGenerator();
    framed.setDigit('#');
    const parts: number[] = [];
    for (const n of [1, 37, 160, 160, 999, 3]) parts.push(...framed.next(n));
    while (parts.length < 8000) parts.push(...framed.next(Math.min(160, 8000 - parts.length)));
    expect(Int16Array.from(parts)).toEqual(reference);
  });

  it('keeps the phase running through a change of digit, and is silent for null', () => {
    const g = new DualToneGenerator();
    g.setDigit('1');
    g.next(100);
    g.setDigit(null);
    expect(g.next(50).every((v) => v === 0)).toBe(true);
    g.setDigit('2');
    const x = g.next(4000);
    expect(dB(amplitudeAt(x, 1336) / dbm0ToPeak(DEFAULT_HIGH_DBM0))).toBeCloseTo(0, 1);
  });

  it('clips at full scale instead of wrapping', () => {
    const x = dtmfTone('D', 100, { levelDbm0: 3 });
    expect(Math.max(...x)).toBe(32767);
    expect(Math.min(...x)).toBe(-32768);
  });

  it('lays a digit string out as tone and silence', () => {
    const x = dtmfSequence('12', { onMs: 50, offMs: 30, leadMs: 10 });
    expect(x.length).toBe(80 + 2 * (400 + 240));
    expect(x.subarray(0, 80).every((v) => v === 0)).toBe(true);
    expect(x.subarray(80, 480).some((v) => v !== 0)).toBe(true);
    expect(x.subarray(480, 720).every((v) => v === 0)).toBe(true);
    expect(() => dtmfSequence('1x')).toThrow(RangeError);
  });
});
