/** Call handling's draft, body and timelines (web/src/call-rules.ts), against the API's and the PBX's rules. */
import { describe, expect, it } from 'vitest';
import {
  bodyOf,
  type CallHandling,
  choiceOf,
  draftOf,
  followMeTimeline,
  parseNumbers,
  secretaryTimeline,
  tickStep,
  withChoice,
} from '../../web/src/call-rules.js';

const PLAIN: CallHandling = { status: 'available', dnd: false, callWaiting: true, callRules: {} };

describe('call handling in the portal', () => {
  it('keeps an extension without rules as it is: no follow-me, no profiles, nothing screened', () => {
    expect(bodyOf(draftOf(PLAIN))).toEqual({
      status: 'available',
      dnd: false,
      callWaiting: true,
      callRules: { profiles: {}, exceptions: [], statusByCalendar: null, secretary: null },
    });
  });

  it('round-trips every rule, leaving out statuses that ring for everyone', () => {
    const callRules: CallHandling['callRules'] = {
      followMe: {
        ringDesk: false,
        confirmExternal: false,
        steps: [
          { numbers: ['102', '104'], ringSec: 20 },
          { numbers: ['105'], ringSec: 15 },
        ],
      },
      profiles: {
        away: { internal: { action: 'ring' }, external: { action: 'forward', target: '+74951234567' } },
        trip: { internal: { action: 'followMe' }, external: { action: 'followMe' } },
      },
      exceptions: ['+79161112233', '8495*'],
      statusByCalendar: { calendarId: '0b7c6f7e-3f2a-4a59-9d7e-9d1c1c1c1c1c', whenClosed: 'lunch' },
      secretary: { number: '101', mode: 'secretaryFirst', firstSec: 10, direct: ['105'] },
    };
    const ext: CallHandling = { status: 'trip', dnd: true, callWaiting: false, callRules };
    expect(bodyOf(draftOf(ext))).toEqual({ status: 'trip', dnd: true, callWaiting: false, callRules });
  });

  it('cleans typed numbers and sends a forward target only with forwarding', () => {
    const d = draftOf(PLAIN);
    d.exceptions = '+7 (916) 111-22-33, 8800*\n\n 8495 *';
    d.profiles.lunch.internal = { action: 'busy', target: '123' };
    d.profiles.lunch.external = { action: 'forward', target: '8 916 555-44-33' };
    const body = bodyOf(d);
    expect(body.callRules?.exceptions).toEqual(['+79161112233', '8800*', '8495*']);
    expect(body.callRules?.profiles?.lunch).toEqual({
      internal: { action: 'busy' },
      external: { action: 'forward', target: '89165554433' },
    });
    expect(parseNumbers(' ; ,\n')).toEqual([]);
  });

  it('shows Do not disturb over the status and keeps the status for when it goes off', () => {
    const d = draftOf({ ...PLAIN, status: 'lunch' });
    const dnd = withChoice(d, 'dnd');
    expect(choiceOf(dnd)).toBe('dnd');
    expect(dnd.status).toBe('lunch');
    const away = withChoice(dnd, 'away');
    expect(away).toMatchObject({ dnd: false, status: 'away' });
    expect(choiceOf(away)).toBe('away');
  });

  it('sends an empty ring time or delay as a value the server refuses, next to its field', () => {
    const d = draftOf(PLAIN);
    d.steps = [{ key: 1, numbers: ['102'], ringSec: '' }];
    d.secretaryOn = true;
    d.secretaryNumber = '101';
    d.secretaryMode = 'secretaryFirst';
    d.firstSec = '';
    const body = bodyOf(d);
    expect(body.callRules?.followMe?.steps[0]?.ringSec).toBe(0);
    expect(body.callRules?.secretary?.firstSec).toBe(-1);
    // Where the delay does not matter, an empty one is no error.
    d.secretaryMode = 'both';
    expect(bodyOf(d).callRules?.secretary?.firstSec).toBe(0);
  });

  it('lays follow-me steps one after another, the desk phone throughout', () => {
    const steps = [
      { numbers: ['102'], ringSec: 20 },
      { numbers: ['104', '105'], ringSec: 15 },
    ];
    expect(followMeTimeline(steps, true)).toEqual({
      steps: [
        { from: 0, to: 20, numbers: ['102'] },
        { from: 20, to: 35, numbers: ['104', '105'] },
      ],
      desk: { from: 0, to: 35 },
      total: 35,
    });
    expect(followMeTimeline(steps, false).desk).toBeNull();
    expect(followMeTimeline([], true)).toEqual({ steps: [], desk: null, total: 0 });
  });

  it('rings the secretary and the boss as the PBX does for each mode', () => {
    expect(secretaryTimeline('secretary', 10, 25)).toEqual({
      secretary: { from: 0, to: 25 },
      boss: null,
      total: 25,
    });
    expect(secretaryTimeline('both', 10, 25)).toEqual({
      secretary: { from: 0, to: 25 },
      boss: { from: 0, to: 25 },
      total: 25,
    });
    expect(secretaryTimeline('secretaryFirst', 10, 25)).toEqual({
      secretary: { from: 0, to: 35 },
      boss: { from: 10, to: 35 },
      total: 35,
    });
  });

  it('puts at most 8 round ticks on the scale', () => {
    expect(tickStep(35)).toBe(5);
    expect(tickStep(8)).toBe(1);
    expect(tickStep(120)).toBe(15);
    expect(tickStep(1200)).toBe(300);
  });
});
