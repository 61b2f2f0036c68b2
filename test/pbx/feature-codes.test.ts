/** Feature codes: defaults, the tenant's own codes, clash detection and matching what was dialled. */
import { describe, expect, it } from 'vitest';
import { clashes, effectiveCodes, matchFeature } from '../../src/pbx/feature-codes.js';

describe('feature codes', () => {
  const codes = effectiveCodes({});

  it('matches exact codes and codes with digits after them', () => {
    expect(matchFeature(codes, '*78')).toEqual({ feature: 'dndOn', arg: '' });
    expect(matchFeature(codes, '*72102')).toEqual({ feature: 'forwardOn', arg: '102' });
    expect(matchFeature(codes, '*72')).toBeNull(); // forwarding needs a number
    expect(matchFeature(codes, '**103')).toEqual({ feature: 'directedPickup', arg: '103' });
    expect(matchFeature(codes, '*8')).toEqual({ feature: 'pickup', arg: '' });
    expect(matchFeature(codes, '*61')).toEqual({ feature: 'officeOpen', arg: '' });
    expect(matchFeature(codes, '*612')).toEqual({ feature: 'officeOpen', arg: '2' });
    expect(matchFeature(codes, '*781')).toBeNull();
    expect(matchFeature(codes, '101')).toBeNull();
  });

  it('uses the tenant codes where it set them', () => {
    const own = effectiveCodes({ dndOn: '*10', dndOff: '*11' });
    expect(matchFeature(own, '*10')).toEqual({ feature: 'dndOn', arg: '' });
    expect(matchFeature(own, '*78')).toBeNull();
  });

  it('finds no clash in the defaults', () => {
    expect(clashes(codes)).toEqual([]);
  });

  it('refuses the same code twice and a code swallowed by a shorter one that takes digits', () => {
    const same = clashes(effectiveCodes({ dndOff: '*78' }));
    expect(same).toHaveLength(1);
    expect(same[0]!.message).toContain('Do not disturb on');
    const swallowed = clashes(effectiveCodes({ echoTest: '*721' }));
    expect(swallowed.map((c) => c.feature)).toEqual(['echoTest']);
    expect(swallowed[0]!.message).toContain('takes digits');
    // A longer exact code after a shorter exact one is fine: phones send the whole number at once.
    expect(clashes(effectiveCodes({ echoTest: '*780' }))).toEqual([]);
  });
});
