/**
 * A call queue's configuration as the queue engine reads it (a routing object of
 * kind `queue`, checked at save by the API) and the states an agent can be in.
 */
import type { Destination } from '../routing/types.js';

export const QUEUE_STRATEGIES = [
  /** Every available agent at once. */
  'ringAll',
  /** The agent whose last queue call ended longest ago. */
  'leastRecent',
  /** The agent who took the fewest queue calls today. */
  'fewestCalls',
  /** The agent with the least talk time today. */
  'leastTalkTime',
  /** Round-robin that remembers where it stopped. */
  'roundRobin',
  /** Always in list order: the first available member. */
  'linear',
  'random',
  /** Random, a member with weight 4 chosen four times as often as one with weight 1. */
  'weightedRandom',
  /** The agent whose skills match the call's needs best (highest levels), then least recent. */
  'skillsBased',
] as const;
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number];

export interface QueueMember {
  /** Extension number. */
  number: string;
  /** Always logged in (static) or logs in and out (dynamic, *45 or the portal). */
  static: boolean;
  /** Tier: members of a higher penalty are rung only when no lower tier is available. */
  penalty: number;
  /** For weightedRandom. */
  weight: number;
  /** Skill levels 1–10 by skill name ("en", "billing"). */
  skills: Record<string, number>;
  /** Queue calls the agent may carry at once (more than one: chat-like multi-line agents). */
  maxCalls: number;
}

/**
 * The skills a call needs, relaxing as it waits: the stage with the largest
 * `afterSec` not above the caller's wait applies ("first en ≥ 7; after 60 s en ≥ 3").
 */
export interface SkillStage {
  afterSec: number;
  require: Record<string, number>;
}

export const AGENT_STATES = [
  'available',
  /** Offered a queue call now. */
  'ringing',
  /** On a call (any call: a direct one too), at its limit of calls. */
  'busy',
  /** Finishing the last queue call's paperwork. */
  'wrapUp',
  'paused',
  /** A dynamic member who has not logged in. */
  'loggedOut',
  /** Logged in, but no phone registered: never available (issue 7: state cannot go stale). */
  'unregistered',
] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/**
 * A key a waiting caller may press: to leave the queue for another destination
 * (voicemail, an operator), or to be called back when it is their turn.
 */
export interface QueueKeyAction {
  key: string;
  action: 'leave' | 'callback';
  /** Where 'leave' goes (null for 'callback'). */
  destination: Destination | null;
}

export interface QueueConfig {
  /** Calls answered from this queue are recorded ('always') or never are (recording/policy.ts); absent: no say. */
  recording?: 'always' | 'never';
  strategy: QueueStrategy;
  members: QueueMember[];
  /** Empty: any member may take any call. */
  skills: SkillStage[];
  /** Seconds an agent rings per offer. */
  agentRingSec: number;
  /**
   * Sticky agent: a caller whose CRM names a responsible manager who is an agent of this
   * queue, logged in and available, is offered to them alone for this long first (0 or absent: off).
   */
  ownerFirstSec?: number;
  /** Seconds before an agent who did not answer is offered a call again (others are tried at once). */
  retrySec: number;
  /** Seconds after a queue call before the agent gets the next one. */
  wrapUpSec: number;
  /** Offers an agent misses in a row before being paused (0: never). */
  autoPauseAfter: number;
  /** Seconds a caller waits at most, then `timeoutDestination` (0: no limit). */
  maxWaitSec: number;
  /** Callers waiting at most; one more goes to `fullDestination` (0: no limit). */
  maxCallers: number;
  /** Agent states that count as "nobody there" when a caller arrives: nobody else → `noAgentsDestination`. */
  joinEmpty: AgentState[];
  /** The same while waiting: checked every second. */
  leaveWhenEmpty: AgentState[];
  /** System prompts played once on entry (e.g. "your-call-is-important"). */
  entryPrompts: string[];
  /** Say the caller's position ("your position in the queue is 3"). */
  announcePosition: boolean;
  /** Say the expected wait, rounded up to minutes. */
  announceWait: boolean;
  /** Seconds between position/wait announcements (0: only after entry). */
  announceEverySec: number;
  /** Prompts played periodically over the music (0 seconds: never). */
  periodicPrompts: string[];
  periodicEverySec: number;
  /** Keys a waiting caller may press. */
  keys: QueueKeyAction[];
  /** Callers from these numbers go ahead of the others (priority 10). */
  vipNumbers: string[];
  /** Callback (virtual hold): the caller hangs up and keeps their place; an agent is rung first, then the caller. */
  callback: {
    /** Callbacks waiting at most per staffed agent (0: no cap). */
    maxPerAgent: number;
    /** Times the caller is dialled before the callback is dropped. */
    attempts: number;
    /** Seconds before a caller who did not answer is dialled again. */
    retryDelaySec: number;
    /** Seconds the caller's phone rings per attempt. */
    ringSec: number;
  };
  /** Queue weight: an agent in several queues takes the next call from the heaviest queue. */
  weight: number;
  /** Service level thresholds in seconds (answered within). The first is the queue's target. */
  serviceLevelSec: number[];
  timeoutDestination: Destination | null;
  fullDestination: Destination | null;
  noAgentsDestination: Destination | null;
  /** Diverted before joining when the wait would be long. */
  predictive: {
    /** Expected wait above this (seconds) diverts (0: off). */
    maxExpectedWaitSec: number;
    /** Callers waiting per logged-in agent above this diverts (0: off). */
    maxCallersPerAgent: number;
    destination: Destination | null;
  };
}

/** Where a queue sends calls (reference and loop checks). */
export function queueDestinations(c: QueueConfig): Destination[] {
  return [
    c.timeoutDestination,
    c.fullDestination,
    c.noAgentsDestination,
    c.predictive.destination,
    ...c.keys.map((k) => k.destination),
  ].filter((d): d is Destination => d !== null);
}
