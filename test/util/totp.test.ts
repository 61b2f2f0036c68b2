import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, totp, verifyTotp } from '../../src/util/totp.js';

describe('TOTP', () => {
  // RFC 4226 Appendix D: HOTP values for the ASCII secret "12345678901234567890".
  const secret = Buffer.from('12345678901234567890');
  it.each([
    [0, '755224'],
    [1, '287082'],
    [5, '254676'],
    [9, '520489'],
  ])('matches RFC 4226 test vector for counter %i', (counter, code) => {
    expect(hotp(secret, counter)).toBe(code);
  });

  it('matches RFC 6238 Appendix B (SHA-1) at T=59 and T=1111111109 (last 6 digits)', () => {
    const b32 = base32Encode(secret);
    expect(totp(b32, 59_000)).toBe('287082');
    expect(totp(b32, 1_111_111_109_000)).toBe('081804');
  });

  it('accepts one step of clock drift and nothing more', () => {
    const b32 = base32Encode(secret);
    const t = 1_700_000_000_000;
    expect(verifyTotp(b32, totp(b32, t - 30_000), t)).toBe(true);
    expect(verifyTotp(b32, totp(b32, t + 30_000), t)).toBe(true);
    expect(verifyTotp(b32, totp(b32, t - 90_000), t)).toBe(false);
    expect(verifyTotp(b32, '12345', t)).toBe(false);
  });

  it('base32 round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(base32Decode(base32Encode(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
    );
  });
});
