/**
 * Ring group strategies as a pure planner: given the members and what is known of
 * them now (who is registered, who is on the phone), the rounds a group call
 * rings, in order. Each round rings its members together (each after its own
 * delay, for at most its own timeout); the router starts the next round when one
 * ends unanswered. No I/O, no clock: the router supplies state and randomness.
 */

export const RING_STRATEGIES = [
  'simultaneous',
  'sequential',
  'memoryHunt',
  'random',
  'firstAvailable',
] as const;
export type RingStrategy = (typeof RING_STRATEGIES)[number];

export interface RingMember {
  /** Extension (or, once trunks exist, external) number. */
  number: string;
  /** Seconds after the round starts before this member rings (simultaneous groups stagger with it). */
  delaySec: number;
  /** Seconds this member rings before it counts as not answering. */
  timeoutSec: number;
}

export interface PlannedRing {
  member: RingMember;
  /** Index of the member in the group's list (memory hunt remembers it). */
  index: number;
}

export interface RingRound {
  rings: PlannedRing[];
}

export interface MemberState {
  /** Has somewhere to ring (a registration, or a route out). */
  reachable: boolean;
  /** On a call now. */
  busy: boolean;
}

export interface PlanInput {
  strategy: RingStrategy;
  members: readonly RingMember[];
  state: (member: RingMember) => MemberState;
  /** Members on the phone are left out (always so for firstAvailable). */
  skipBusy: boolean;
  /** Index of the member memory hunt rang last (null: start at the top). */
  lastIndex: number | null;
  /** [0, 1) */
  random: () => number;
}

/**
 * The rounds to ring, in order. Unreachable members are never rung (nobody would
 * answer, and the caller would wait through their timeout for nothing).
 */
export function planRounds(p: PlanInput): RingRound[] {
  const skipBusy = p.skipBusy || p.strategy === 'firstAvailable';
  const candidates: PlannedRing[] = [];
  p.members.forEach((member, index) => {
    const s = p.state(member);
    if (!s.reachable || (skipBusy && s.busy)) return;
    candidates.push({ member, index });
  });
  if (candidates.length === 0) return [];
  switch (p.strategy) {
    case 'simultaneous':
      return [{ rings: candidates }];
    case 'sequential':
    case 'firstAvailable':
      // Hunt in list order; delays only matter within a round, so each ring starts at once.
      return candidates.map((c) => ({ rings: [undelayed(c)] }));
    case 'memoryHunt': {
      // Round-robin that remembers: start after whoever was rung last time.
      const start = p.lastIndex === null ? 0 : candidates.findIndex((c) => c.index > p.lastIndex!);
      const from = Math.max(start, 0);
      return [...candidates.slice(from), ...candidates.slice(0, from)].map((c) => ({
        rings: [undelayed(c)],
      }));
    }
    case 'random': {
      // Fisher–Yates over the candidates: every order equally likely.
      const order = [...candidates];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(p.random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      return order.map((c) => ({ rings: [undelayed(c)] }));
    }
  }
}

function undelayed(c: PlannedRing): PlannedRing {
  return { index: c.index, member: { ...c.member, delaySec: 0 } };
}
