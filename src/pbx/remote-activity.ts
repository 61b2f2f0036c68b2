/**
 * What the other nodes of a cluster are doing, as this node's PBX needs it on the hot path:
 * which extensions are on a call there (a queue agent busy on node B is not offered a call by
 * node A; "skip busy" ring groups skip them), which dialogs light a busy lamp, and which
 * callers wait in a queue there (the wall-board shows every node's callers, a caller's
 * position counts them). Kept in memory by src/cluster/live-registry.ts from Redis; a single
 * node has none of this (`SipService.remote` stays null and costs nothing).
 */
import type { LiveCall } from './events.js';

/** A call another node carries, as its registry entry describes it. */
export interface RemoteCall {
  node: string;
  tenantId: string;
  /** The call record's id when it has one (call control and live views name calls by it). */
  recordId: string | null;
  /** The SIP Call-ID (busy lamps' dialog-info names dialogs by it). */
  sipCallId: string;
  state: 'ringing' | 'answered';
  /** Extensions (or outside numbers) on the call now, by side. */
  parties: { number: string; side: 'A' | 'B' }[];
  /** Extensions being rung for it (a group's members, a queue's offer). */
  ringing: string[];
  /** As live views show it (null: a call the PBX placed with no record of its own, e.g. a callback leg). */
  live: LiveCall | null;
}

/** A caller waiting in a queue on another node (or a callback request held there). */
export interface RemoteWaiter {
  node: string;
  id: string;
  tenantId: string;
  queueId: string;
  caller: string;
  callerName: string;
  priority: number;
  joinedAt: string;
  /** Agents its node is ringing for it now. */
  offeredTo: string[];
  callback: boolean;
}

export interface RemoteActivity {
  /** Answered calls on other nodes with `number` on them. */
  answeredOn(tenantId: string, number: string): number;
  /** Another node's queue is ringing `number` for one of its callers. */
  offeredTo(tenantId: string, number: string): boolean;
  /** Calls on other nodes touching `number` (party or rung). */
  callsTouching(tenantId: string, number: string): RemoteCall[];
  /** Callers of `queueId` waiting on other nodes. */
  waiting(tenantId: string, queueId: string): RemoteWaiter[];
}
