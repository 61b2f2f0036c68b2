/** A queue's settings with everything off but what a test sets: shared by the queue tests. */
import type { QueueConfig, QueueMember } from '../../src/pbx/queue/types.js';

export function queueMember(number: string, over: Partial<QueueMember> = {}): QueueMember {
  return { number, static: true, penalty: 0, weight: 1, skills: {}, maxCalls: 1, ...over };
}

export function queueConfig(over: Partial<QueueConfig> = {}): QueueConfig {
  return {
    strategy: 'linear',
    members: [],
    skills: [],
    agentRingSec: 15,
    retrySec: 1,
    wrapUpSec: 0,
    autoPauseAfter: 0,
    maxWaitSec: 0,
    maxCallers: 0,
    joinEmpty: ['loggedOut', 'unregistered'],
    leaveWhenEmpty: [],
    entryPrompts: [],
    announcePosition: false,
    announceWait: false,
    announceEverySec: 0,
    periodicPrompts: [],
    periodicEverySec: 0,
    keys: [],
    vipNumbers: [],
    callback: { maxPerAgent: 0, attempts: 2, retryDelaySec: 60, ringSec: 30 },
    weight: 0,
    serviceLevelSec: [20, 60],
    timeoutDestination: null,
    fullDestination: null,
    noAgentsDestination: null,
    predictive: { maxExpectedWaitSec: 0, maxCallersPerAgent: 0, destination: null },
    ...over,
  };
}
