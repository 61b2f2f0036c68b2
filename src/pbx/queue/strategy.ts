/**
 * Which agent gets a waiting call, as a pure function: the engine passes the
 * agents who are available and able to take the call (skills, tier) with what
 * it knows of their day, and gets back the one to ring — or all of them for
 * ring-all. No clock, no I/O: randomness comes in as a function.
 */
import type { QueueStrategy, SkillStage } from './types.js';

export interface AgentCandidate {
  number: string;
  /** Position in the queue's member list (linear, round-robin). */
  index: number;
  penalty: number;
  weight: number;
  /** When the agent's last queue call ended (ms on the engine clock); null: none today. */
  lastEndedMs: number | null;
  /** Queue calls answered today. */
  calls: number;
  talkSec: number;
  /** Sum of the agent's levels in the skills the call needs (skillsBased). */
  skillScore: number;
}

export interface ChooseInput {
  strategy: QueueStrategy;
  candidates: readonly AgentCandidate[];
  /** Member index round-robin rang last (null: start at the top). */
  lastIndex: number | null;
  /** [0, 1) */
  random: () => number;
}

/** The agents to ring for the next call: none, one, or (ring-all) every one of the lowest tier. */
export function chooseAgents(p: ChooseInput): AgentCandidate[] {
  if (p.candidates.length === 0) return [];
  // Penalty tiers: a higher tier is rung only when nobody of a lower one is available.
  const tier = Math.min(...p.candidates.map((c) => c.penalty));
  const pool = p.candidates.filter((c) => c.penalty === tier);
  const byIndex = (a: AgentCandidate, b: AgentCandidate) => a.index - b.index;
  const leastRecent = (a: AgentCandidate, b: AgentCandidate) =>
    (a.lastEndedMs ?? Number.NEGATIVE_INFINITY) - (b.lastEndedMs ?? Number.NEGATIVE_INFINITY) ||
    byIndex(a, b);
  const first = (cmp: (a: AgentCandidate, b: AgentCandidate) => number) => [[...pool].sort(cmp)[0]!];
  switch (p.strategy) {
    case 'ringAll':
      return [...pool].sort(byIndex);
    case 'linear':
      return first(byIndex);
    case 'leastRecent':
      return first(leastRecent);
    case 'fewestCalls':
      return first((a, b) => a.calls - b.calls || leastRecent(a, b));
    case 'leastTalkTime':
      return first((a, b) => a.talkSec - b.talkSec || leastRecent(a, b));
    case 'skillsBased':
      return first((a, b) => b.skillScore - a.skillScore || leastRecent(a, b));
    case 'roundRobin': {
      const sorted = [...pool].sort(byIndex);
      const last = p.lastIndex;
      return [(last === null ? undefined : sorted.find((c) => c.index > last)) ?? sorted[0]!];
    }
    case 'random':
      return [pool[Math.min(pool.length - 1, Math.floor(p.random() * pool.length))]!];
    case 'weightedRandom': {
      const total = pool.reduce((s, c) => s + Math.max(c.weight, 0), 0);
      if (total <= 0) return [pool[Math.floor(p.random() * pool.length)]!];
      let r = p.random() * total;
      for (const c of pool) {
        r -= Math.max(c.weight, 0);
        if (r < 0) return [c];
      }
      return [pool[pool.length - 1]!];
    }
  }
}

/** The skills a call needs after waiting `waitedSec` (null: any agent will do). */
export function skillsNeeded(
  stages: readonly SkillStage[],
  waitedSec: number,
): Record<string, number> | null {
  let best: SkillStage | null = null;
  for (const s of stages) if (s.afterSec <= waitedSec && (!best || s.afterSec >= best.afterSec)) best = s;
  // Before the first stage's time, the first stage applies (needs only ever relax with the wait).
  if (!best) for (const s of stages) if (!best || s.afterSec < best.afterSec) best = s;
  return best && Object.keys(best.require).length ? best.require : null;
}

/** Whether an agent's skills meet the need, and how well (sum of their levels in the needed skills). */
export function skillMatch(
  skills: Readonly<Record<string, number>>,
  need: Readonly<Record<string, number>> | null,
): { ok: boolean; score: number } {
  if (!need) return { ok: true, score: 0 };
  let score = 0;
  for (const [skill, min] of Object.entries(need)) {
    const level = skills[skill] ?? 0;
    if (level < min) return { ok: false, score: 0 };
    score += level;
  }
  return { ok: true, score };
}
