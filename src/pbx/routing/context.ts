/**
 * What every destination kind's step works with: the call being routed, what
 * changes by the second on the SIP side (registrations, who is on the phone,
 * the clocks), and small helpers the kinds share.
 */
import type { CallParty, RingOutcome, RingTarget } from '../call.js';
import type { ExtensionEntry, RoutingEntry, TenantEntry } from '../directory.js';
import type { Binding } from '../location.js';
import type { Destination } from './types.js';

/** What the router needs of a call (a B2BUA `Call`). */
export interface RoutedCall {
  readonly caller: CallParty;
  readonly state: 'ringing' | 'answered' | 'ended';
  ring(targets: RingTarget[], opts: { timeoutSec: number; callerName?: string }): Promise<RingOutcome>;
  finish(status: number, cause: string, reason?: string): void;
  step(s: { kind: string; id: string | null; name: string; outcome: string }): void;
  /** An extension is about to be rung (live views, push to a closed portal). */
  offered(extension: string): void;
}

/** What changes by the second, from the SIP side. */
export interface RouterEnv {
  bindingsOf(tenantId: string, number: string): Binding[];
  /** On a call now (answered, as caller or callee). */
  isBusy(tenantId: string, number: string): boolean;
  /** Wall-clock time: what calendars are read at. */
  now(): Date;
  /** Milliseconds on the call clock: how long a group has rung. */
  ms(): number;
  random(): number;
  /** Memory hunt: the member index a group rang last (per node; shared through Redis with clustering). */
  memory: Map<string, number>;
}

/** One routing step's view of the world. */
export interface StepContext {
  env: RouterEnv;
  tenant: TenantEntry;
  /** The call came in through an inbound route: its caller is "external" to status rules. */
  external: boolean;
  markExternal(): void;
}

/** A routing kind's step: where the call goes next, or null when it is answered or over. */
export type KindStep = (
  ctx: StepContext,
  call: RoutedCall,
  obj: RoutingEntry,
) => Promise<Destination | null> | Destination | null;

/** An extension's phones as one ring target. */
export function ringTarget(
  tenant: TenantEntry,
  ext: ExtensionEntry,
  bindings: Binding[],
  delaySec: number,
  timeoutSec: number,
): RingTarget {
  return {
    party: { tenantId: tenant.id, number: ext.number, displayName: ext.displayName, domain: tenant.domain },
    bindings,
    delaySec,
    timeoutSec,
  };
}

/** A destination deleted since it was configured (the API refuses that, but a race is possible). */
export function missing(call: RoutedCall, kind: string, id: string): null {
  call.step({ kind, id, name: 'missing', outcome: 'not found' });
  call.finish(404, 'failed', 'Not Found');
  return null;
}
