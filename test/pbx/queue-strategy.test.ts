/**
 * Queue strategies as a pure choice: given the available agents and what is
 * known of their day, each strategy's pick checked against a hand-worked answer;
 * penalty tiers; skills that relax with the caller's wait; statistics intervals
 * adding up.
 */
import { describe, expect, it } from 'vitest';
import { addFigures, emptyQueueFigures, INTERVAL_MS, QueueStats } from '../../src/pbx/queue/stats.js';
import { type AgentCandidate, chooseAgents, skillMatch, skillsNeeded } from '../../src/pbx/queue/strategy.js';
import type { QueueStrategy, SkillStage } from '../../src/pbx/queue/types.js';

const agent = (number: string, index: number, over: Partial<AgentCandidate> = {}): AgentCandidate => ({
  number,
  index,
  penalty: 0,
  weight: 1,
  lastEndedMs: null,
  calls: 0,
  talkSec: 0,
  skillScore: 0,
  ...over,
});

// Hand-made day: 301 ended a call at t=500 after 3 calls / 400 s; 302 at t=100 after 5 calls / 200 s;
// 303 at t=900 after 1 call / 900 s; 304 has taken nothing yet.
const DAY = [
  agent('301', 0, { lastEndedMs: 500, calls: 3, talkSec: 400, skillScore: 9, weight: 1 }),
  agent('302', 1, { lastEndedMs: 100, calls: 5, talkSec: 200, skillScore: 12, weight: 3 }),
  agent('303', 2, { lastEndedMs: 900, calls: 1, talkSec: 900, skillScore: 12, weight: 6 }),
  agent('304', 3, { lastEndedMs: null, calls: 0, talkSec: 0, skillScore: 3, weight: 0 }),
];

const pick = (strategy: QueueStrategy, candidates = DAY, lastIndex: number | null = null, r = 0) =>
  chooseAgents({ strategy, candidates, lastIndex, random: () => r }).map((c) => c.number);

describe('queue strategies', () => {
  it('each strategy picks the agent a person would', () => {
    expect(pick('ringAll')).toEqual(['301', '302', '303', '304']);
    expect(pick('linear')).toEqual(['301']);
    // Never had a call beats the longest-idle one; then 302 (ended at 100).
    expect(pick('leastRecent')).toEqual(['304']);
    expect(pick('leastRecent', DAY.slice(0, 3))).toEqual(['302']);
    expect(pick('fewestCalls', DAY.slice(0, 3))).toEqual(['303']);
    expect(pick('leastTalkTime', DAY.slice(0, 3))).toEqual(['302']);
    // Equal skill scores (302, 303): the least recent of them.
    expect(pick('skillsBased')).toEqual(['302']);
  });

  it('round-robin goes on after the member rung last and wraps around', () => {
    expect(pick('roundRobin', DAY, null)).toEqual(['301']);
    expect(pick('roundRobin', DAY, 1)).toEqual(['303']);
    expect(pick('roundRobin', DAY, 3)).toEqual(['301']);
    // The next member by index is taken even when the one after the last is not available.
    expect(pick('roundRobin', [DAY[0]!, DAY[3]!], 1)).toEqual(['304']);
  });

  it('random is uniform and weighted random follows the weights', () => {
    expect(pick('random', DAY, null, 0)).toEqual(['301']);
    expect(pick('random', DAY, null, 0.99)).toEqual(['304']);
    // Weights 1, 3, 6, 0 (total 10): r·10 falls in [0,1) → 301, [1,4) → 302, [4,10) → 303; 304 never.
    expect(pick('weightedRandom', DAY, null, 0.05)).toEqual(['301']);
    expect(pick('weightedRandom', DAY, null, 0.35)).toEqual(['302']);
    expect(pick('weightedRandom', DAY, null, 0.41)).toEqual(['303']);
    expect(pick('weightedRandom', DAY, null, 0.999)).toEqual(['303']);
    const counts = new Map<string, number>();
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 10_000; i++) {
      const [c] = chooseAgents({ strategy: 'weightedRandom', candidates: DAY, lastIndex: null, random });
      counts.set(c!.number, (counts.get(c!.number) ?? 0) + 1);
    }
    expect(counts.get('304')).toBeUndefined();
    expect(counts.get('303')! / 10_000).toBeCloseTo(0.6, 1);
    expect(counts.get('301')! / 10_000).toBeCloseTo(0.1, 1);
  });

  it('a higher penalty tier rings only when nobody of a lower tier is available', () => {
    const tiered = [
      agent('301', 0, { penalty: 2 }),
      agent('302', 1, { penalty: 1 }),
      agent('303', 2, { penalty: 1 }),
    ];
    expect(pick('ringAll', tiered)).toEqual(['302', '303']);
    expect(pick('linear', tiered)).toEqual(['302']);
    expect(pick('linear', [tiered[0]!])).toEqual(['301']);
    expect(pick('linear', [])).toEqual([]);
  });

  it('skills needed relax with the wait, and agents qualify by level', () => {
    const stages: SkillStage[] = [
      { afterSec: 0, require: { en: 7, billing: 5 } },
      { afterSec: 60, require: { en: 3 } },
      { afterSec: 300, require: {} },
    ];
    expect(skillsNeeded(stages, 0)).toEqual({ en: 7, billing: 5 });
    expect(skillsNeeded(stages, 59.9)).toEqual({ en: 7, billing: 5 });
    expect(skillsNeeded(stages, 60)).toEqual({ en: 3 });
    expect(skillsNeeded(stages, 301)).toBeNull();
    expect(skillsNeeded([], 10)).toBeNull();
    // Before the first stage's time the first stage applies: needs only ever relax.
    expect(skillsNeeded([{ afterSec: 30, require: { de: 5 } }], 0)).toEqual({ de: 5 });
    expect(skillMatch({ en: 8, billing: 5 }, { en: 7, billing: 5 })).toEqual({ ok: true, score: 13 });
    expect(skillMatch({ en: 8 }, { en: 7, billing: 5 }).ok).toBe(false);
    expect(skillMatch({ en: 3 }, { en: 3 })).toEqual({ ok: true, score: 3 });
    expect(skillMatch({}, null)).toEqual({ ok: true, score: 0 });
  });
});

describe('queue statistics', () => {
  it('counts into 15-minute intervals that add up to the day', () => {
    let now = Date.UTC(2026, 11, 7, 9, 0, 0);
    const stats = new QueueStats(() => now);
    stats.queue('t', 'q', (f) => f.offered++);
    stats.answered('t', 'q', 12, [20, 60]);
    now += INTERVAL_MS; // next interval
    stats.queue('t', 'q', (f) => f.offered++);
    stats.answered('t', 'q', 45, [20, 60]);
    stats.agent('t', 'q', '301', (f) => f.answered++);
    const drained = stats.drain();
    expect(drained).toHaveLength(3);
    expect(stats.drain()).toEqual([]); // nothing changed since
    const day = stats.since('t', 'q', Date.UTC(2026, 11, 7));
    expect(day.queue.offered).toBe(2);
    expect(day.queue.answered).toBe(2);
    expect(day.queue.answerWaitSec).toBe(57);
    expect(day.queue.longestWaitSec).toBe(45);
    expect(day.queue.answeredWithin).toEqual({ '20': 1, '60': 2 });
    expect(day.agents.get('301')?.answered).toBe(1);
    const sum = addFigures(emptyQueueFigures(), day.queue);
    expect(sum).toEqual(day.queue);
  });

  it('adds what an earlier run stored today to the live figures, and never writes it again', () => {
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const stats = new QueueStats(() => now);
    stats.addBaseline([
      {
        tenantId: 't',
        queueId: 'q',
        intervalStart: new Date(Date.UTC(2026, 11, 7, 9, 0)),
        agent: '',
        figures: { ...emptyQueueFigures(), offered: 4, answered: 3 },
      },
    ]);
    stats.queue('t', 'q', (f) => f.offered++);
    expect(stats.since('t', 'q', Date.UTC(2026, 11, 7)).queue).toMatchObject({ offered: 5, answered: 3 });
    expect(stats.drain().map((r) => (r.figures as { offered: number }).offered)).toEqual([1]);
  });
});
