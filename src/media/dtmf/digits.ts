/**
 * The sixteen DTMF digits and hook flash as every DTMF path in the media engine
 * names them: RFC 4733 event codes, SIP INFO signals, the keypad's tone pairs
 * (ITU-T Q.23) and the G.711 level reference for dBm0.
 *
 *            1209 Hz  1336 Hz  1477 Hz  1633 Hz
 *   697 Hz      1        2        3        A
 *   770 Hz      4        5        6        B
 *   852 Hz      7        8        9        C
 *   941 Hz      *        0        #        D
 */

export type DtmfDigit =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | '*'
  | '#'
  | 'A'
  | 'B'
  | 'C'
  | 'D';

/** A digit, or a hook flash (which has an event code but no tone pair). */
export type DtmfSignal = DtmfDigit | 'flash';

/** RFC 4733 §3.2 (Table 7): events 0-9 are the digits, 10 is '*', 11 is '#', 12-15 are A-D. */
export const DTMF_DIGITS: readonly DtmfDigit[] = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '*',
  '#',
  'A',
  'B',
  'C',
  'D',
];

/** RFC 4733 §3.2: event 16 is a hook flash. */
export const FLASH_EVENT = 16;

export function isDtmfDigit(s: string): s is DtmfDigit {
  return (DTMF_DIGITS as readonly string[]).includes(s);
}

/** The RFC 4733 event code of a digit or flash. */
export function eventCodeOf(signal: DtmfSignal): number {
  return signal === 'flash' ? FLASH_EVENT : DTMF_DIGITS.indexOf(signal);
}

/** The digit or flash of an RFC 4733 event code; null for every other event (tones, modem signals). */
export function signalOfEventCode(code: number): DtmfSignal | null {
  if (code === FLASH_EVENT) return 'flash';
  return DTMF_DIGITS[code] ?? null;
}

/** Low-group (row) and high-group (column) frequencies, ITU-T Q.23. */
export const DTMF_ROW_HZ: readonly number[] = [697, 770, 852, 941];
export const DTMF_COLUMN_HZ: readonly number[] = [1209, 1336, 1477, 1633];

/** The keypad, row by row: KEYPAD[row][column]. */
export const DTMF_KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

export interface TonePair {
  lowHz: number;
  highHz: number;
}

export function dtmfFrequencies(digit: DtmfDigit): TonePair {
  for (let r = 0; r < 4; r++) {
    const c = DTMF_KEYPAD[r]!.indexOf(digit);
    if (c >= 0) return { lowHz: DTMF_ROW_HZ[r]!, highHz: DTMF_COLUMN_HZ[c]! };
  }
  // Unreachable for a DtmfDigit; kept total so the type stays honest.
  throw new RangeError(`not a DTMF digit: ${digit}`);
}

/**
 * Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM. G.711 puts the µ-law
 * overload point, a full-scale sine, at +3.17 dBm0; full scale is 8159 in 14-bit
 * units, 32636 on the 16-bit scale codecs/g711.ts works in. (A-law's +3.14 dBm0
 * at 4096 13-bit units lands within 0.1 dB of the same value.)
 */
export const DBM0_PEAK = 32636 * 10 ** (-3.17 / 20);

/** Peak amplitude (16-bit linear) of a sine at the given level. */
export function dbm0ToPeak(dbm0: number): number {
  return DBM0_PEAK * 10 ** (dbm0 / 20);
}
