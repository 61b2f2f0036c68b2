/**
 * DTMF in SIP INFO bodies: the forms phones really send (application/dtmf-relay with
 * its line-ending, spacing and case variants, event numbers for * and #, and
 * application/dtmf), and garbage answered with a typed error instead of an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTMF_DIGITS } from '../../src/media/dtmf/digits.js';
import {
  isDtmfInfoContentType,
  parseDtmfBody,
  parseDtmfInfo,
  parseDtmfRelay,
  serializeDtmfRelay,
} from '../../src/media/dtmf/info.js';

const RELAY = 'application/dtmf-relay';

describe('application/dtmf-relay', () => {
  it('reads the Cisco form', () => {
    expect(parseDtmfInfo(RELAY, 'Signal=5\r\nDuration=160\r\n')).toEqual({
      ok: true,
      dtmf: { signal: '5', durationMs: 160 },
    });
  });

  it.each([
    ['LF-only lines', 'Signal=5\nDuration=160\n'],
    ['no final line end', 'Signal=5\r\nDuration=160'],
    ['blanks around =', 'Signal = 5\r\nDuration= 160 \r\n'],
    ['lower-case keys', 'signal=5\r\nduration=160\r\n'],
    ['upper-case keys', 'SIGNAL=5\r\nDURATION=160\r\n'],
    ['Duration first', 'Duration=160\r\nSignal=5\r\n'],
    ['blank lines and an unknown key', '\r\nSignal=5\r\nVolume=10\r\n\r\nDuration=160\r\n\r\n'],
    ['tabs and CR-only lines', '\tSignal=\t5\rDuration=160\r'],
    ['bytes', Buffer.from('Signal=5\r\nDuration=160\r\n')],
  ])('tolerates %s', (_what, body) => {
    expect(parseDtmfRelay(body)).toEqual({ ok: true, dtmf: { signal: '5', durationMs: 160 } });
  });

  it('reads every keypad character, lower-case a-d, and flash', () => {
    for (const d of DTMF_DIGITS) {
      const r = parseDtmfRelay(`Signal=${d}\r\nDuration=100\r\n`);
      expect(r).toEqual({ ok: true, dtmf: { signal: d, durationMs: 100 } });
    }
    expect(parseDtmfRelay('Signal=b\r\n')).toEqual({ ok: true, dtmf: { signal: 'B', durationMs: null } });
    expect(parseDtmfRelay('Signal=!\r\nDuration=500\r\n')).toMatchObject({
      ok: true,
      dtmf: { signal: 'flash' },
    });
  });

  it('reads event numbers as some phones send them: 10 *, 11 #, 12-15 A-D, 16 flash', () => {
    const signalOf = (v: string) => {
      const r = parseDtmfRelay(`Signal=${v}\r\nDuration=250`);
      return r.ok ? r.dtmf.signal : r.error;
    };
    expect(['10', '11', '12', '15', '16'].map(signalOf)).toEqual(['*', '#', 'A', 'D', 'flash']);
    expect(['17', '99', '100', '-1', '1.5'].map(signalOf)).toEqual(Array(5).fill('bad-signal'));
  });

  it('leaves the duration out when the body has none', () => {
    expect(parseDtmfRelay('Signal=#')).toEqual({ ok: true, dtmf: { signal: '#', durationMs: null } });
  });

  it.each([
    ['', 'empty'],
    ['\r\n\r\n', 'empty'],
    ['Duration=160\r\n', 'missing-signal'],
    ['Signal\r\n', 'malformed-line'],
    ['=5\r\n', 'malformed-line'],
    ['hello world', 'malformed-line'],
    ['Signal=\r\n', 'bad-signal'],
    ['Signal=55\r\n', 'bad-signal'],
    ['Signal=E\r\n', 'bad-signal'],
    ['Signal=5 6\r\n', 'bad-signal'],
    ['Signal=5\r\nSignal=6\r\n', 'duplicate-field'],
    ['Signal=5\r\nDuration=1\r\nDuration=2\r\n', 'duplicate-field'],
    ['Signal=5\r\nDuration=abc\r\n', 'bad-duration'],
    ['Signal=5\r\nDuration=-160\r\n', 'bad-duration'],
    ['Signal=5\r\nDuration=1e3\r\n', 'bad-duration'],
    ['Signal=5\r\nDuration=99999999\r\n', 'bad-duration'],
    [`Signal=5\r\n${'X=1\r\n'.repeat(300)}`, 'too-long'],
  ])('refuses %j with %s', (body, error) => {
    const r = parseDtmfRelay(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBe(error);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it('writes a body it reads back', () => {
    expect(serializeDtmfRelay('*', 160)).toBe('Signal=*\r\nDuration=160\r\n');
    for (const s of [...DTMF_DIGITS, 'flash' as const])
      expect(parseDtmfRelay(serializeDtmfRelay(s, 250))).toEqual({
        ok: true,
        dtmf: { signal: s, durationMs: 250 },
      });
  });
});

describe('application/dtmf', () => {
  it('reads the signal alone, with blanks and line ends around it', () => {
    expect(parseDtmfInfo('application/dtmf', '5')).toEqual({
      ok: true,
      dtmf: { signal: '5', durationMs: null },
    });
    expect(parseDtmfBody(' #\r\n')).toEqual({ ok: true, dtmf: { signal: '#', durationMs: null } });
    expect(parseDtmfBody('c')).toMatchObject({ ok: true, dtmf: { signal: 'C' } });
    expect(parseDtmfBody('10')).toMatchObject({ ok: true, dtmf: { signal: '*' } });
    expect(parseDtmfBody('11')).toMatchObject({ ok: true, dtmf: { signal: '#' } });
  });

  it('refuses anything else', () => {
    for (const [body, error] of [
      ['', 'empty'],
      ['  \r\n', 'empty'],
      ['Signal=5', 'bad-signal'],
      ['55', 'bad-signal'],
      ['x', 'bad-signal'],
    ] as const)
      expect(parseDtmfBody(body)).toMatchObject({ ok: false, error });
  });
});

describe('content types', () => {
  it('matches the media type case-insensitively and ignores parameters', () => {
    expect(parseDtmfInfo('Application/DTMF-Relay; charset=utf-8', 'Signal=1')).toMatchObject({ ok: true });
    expect(parseDtmfInfo(' application/dtmf ', '1')).toMatchObject({ ok: true });
    expect(isDtmfInfoContentType('application/dtmf-relay')).toBe(true);
    expect(isDtmfInfoContentType('application/sdp')).toBe(false);
    expect(parseDtmfInfo('application/sdp', 'Signal=1')).toMatchObject({
      ok: false,
      error: 'unsupported-content-type',
    });
    expect(parseDtmfInfo('', '1')).toMatchObject({ ok: false, error: 'unsupported-content-type' });
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(RELAY, 'application/dtmf', 'text/plain'),
        fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 2000 })),
        (type, body) => {
          const r = parseDtmfInfo(type, body);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { seed: 6086 },
    );
  });
});
