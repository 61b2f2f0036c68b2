import { describe, expect, it } from 'vitest';
import { decimalSeparator, formatMoney, fromMinor, toMinor } from '../../web/src/money.js';

describe('money in minor units', () => {
  it('shows minor units with two decimals in the portal’s language, without grouping', () => {
    expect(formatMoney(85_000, 'en')).toBe('850.00');
    expect(formatMoney(100_000, 'en')).toBe('1000.00');
    expect(formatMoney(175, 'en')).toBe('1.75');
    expect(formatMoney(5, 'en')).toBe('0.05');
    expect(formatMoney(0, 'en')).toBe('0.00');
    expect(formatMoney(123_456_789, 'ru')).toBe('1234567,89');
    expect(decimalSeparator('en')).toBe('.');
    expect(decimalSeparator('ru')).toBe(',');
  });

  it('turns a typed amount into whole minor units and back', () => {
    expect(toMinor(1.15)).toBe(115);
    expect(toMinor(0.29)).toBe(29);
    expect(toMinor(1000)).toBe(100_000);
    expect(toMinor('2.5')).toBe(250);
    expect(toMinor('')).toBeNull();
    expect(toMinor(' ')).toBeNull();
    expect(toMinor('-')).toBeNull();
    expect(fromMinor(175)).toBe(1.75);
    expect(fromMinor(null)).toBe('');
    for (const minor of [1, 29, 115, 999, 100_001, 123_456_789])
      expect(toMinor(fromMinor(minor))).toBe(minor);
  });
});
