/** The softphone answers intercom calls and pages by itself, and only those. */
import { describe, expect, it } from 'vitest';
import { autoAnswerHeaders } from '../../src/pbx/call.js';
import { wantsAutoAnswer } from '../../web/src/softphone/auto-answer.js';

const of = (headers: [string, string][]) => (name: string) =>
  headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('auto-answer', () => {
  it("answers what the PBX's intercom and paging headers ask for, in each form phones read", () => {
    expect(wantsAutoAnswer(of(autoAnswerHeaders('example.test')))).toBe(true);
    expect(wantsAutoAnswer(of([['Answer-Mode', 'Auto;require']]))).toBe(true);
    expect(wantsAutoAnswer(of([['Call-Info', '<sip:x>;answer-after=0']]))).toBe(true);
    expect(wantsAutoAnswer(of([['Alert-Info', '<http://localhost>;info=alert-autoanswer']]))).toBe(true);
  });

  it('rings for an ordinary call', () => {
    expect(wantsAutoAnswer(of([]))).toBe(false);
    expect(wantsAutoAnswer(of([['Answer-Mode', 'Manual']]))).toBe(false);
    expect(wantsAutoAnswer(of([['Call-Info', '<sip:x>;answer-after=10']]))).toBe(false);
    expect(wantsAutoAnswer(of([['Alert-Info', '<http://example.test/ring.wav>']]))).toBe(false);
  });
});
