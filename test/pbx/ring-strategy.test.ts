/** Every ring group strategy as planned rounds: order, skipping, memory, randomness. */
import { describe, expect, it } from 'vitest';
import {
  type MemberState,
  type PlanInput,
  planRounds,
  type RingMember,
} from '../../src/pbx/routing/ring-strategy.js';

const members: RingMember[] = ['101', '102', '103', '104'].map((number, i) => ({
  number,
  delaySec: i * 5,
  timeoutSec: 15,
}));

function plan(over: Partial<PlanInput> & { states?: Record<string, Partial<MemberState>> }): string[][] {
  const states = over.states ?? {};
  return planRounds({
    strategy: 'simultaneous',
    members,
    state: (m) => ({ reachable: true, busy: false, ...states[m.number] }),
    skipBusy: false,
    lastIndex: null,
    random: Math.random,
    ...over,
  }).map((r) => r.rings.map((x) => x.member.number));
}

describe('ring strategies', () => {
  it('simultaneous rings everyone in one round, keeping each member delay', () => {
    const rounds = planRounds({
      strategy: 'simultaneous',
      members,
      state: () => ({ reachable: true, busy: false }),
      skipBusy: false,
      lastIndex: null,
      random: Math.random,
    });
    expect(rounds).toHaveLength(1);
    expect(rounds[0]!.rings.map((r) => r.member.delaySec)).toEqual([0, 5, 10, 15]);
  });

  it('sequential hunts in list order, one member per round, without delays', () => {
    expect(plan({ strategy: 'sequential' })).toEqual([['101'], ['102'], ['103'], ['104']]);
  });

  it('skips busy members only when asked, unreachable ones always', () => {
    const states = { '102': { busy: true }, '103': { reachable: false } };
    expect(plan({ strategy: 'sequential', states })).toEqual([['101'], ['102'], ['104']]);
    expect(plan({ strategy: 'sequential', states, skipBusy: true })).toEqual([['101'], ['104']]);
    expect(plan({ strategy: 'simultaneous', states, skipBusy: true })).toEqual([['101', '104']]);
  });

  it('first-available never rings a member on the phone', () => {
    expect(plan({ strategy: 'firstAvailable', states: { '101': { busy: true } } })).toEqual([
      ['102'],
      ['103'],
      ['104'],
    ]);
  });

  it('memory hunt starts after the member rung last, wrapping around', () => {
    expect(plan({ strategy: 'memoryHunt', lastIndex: null })[0]).toEqual(['101']);
    expect(plan({ strategy: 'memoryHunt', lastIndex: 1 })).toEqual([['103'], ['104'], ['101'], ['102']]);
    expect(plan({ strategy: 'memoryHunt', lastIndex: 3 })[0]).toEqual(['101']);
    // The member after the remembered one is busy: the next idle one is first.
    expect(
      plan({ strategy: 'memoryHunt', lastIndex: 0, skipBusy: true, states: { '102': { busy: true } } })[0],
    ).toEqual(['103']);
  });

  it('random rings everyone once, in an order drawn from the random source', () => {
    const seq = [0.9, 0.1, 0.5];
    let i = 0;
    const rounds = plan({ strategy: 'random', random: () => seq[i++ % seq.length]! });
    expect(rounds.flat().sort()).toEqual(['101', '102', '103', '104']);
    expect(rounds.every((r) => r.length === 1)).toBe(true);
    // Over many draws each member leads about a quarter of the time.
    const firsts = new Map<string, number>();
    for (let n = 0; n < 4000; n++) {
      const first = plan({ strategy: 'random' })[0]![0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (const m of members) expect(firsts.get(m.number)! / 4000).toBeGreaterThan(0.2);
  });

  it('plans nothing when nobody can be rung', () => {
    expect(
      plan({
        strategy: 'simultaneous',
        states: Object.fromEntries(members.map((m) => [m.number, { reachable: false }])),
      }),
    ).toEqual([]);
  });
});
