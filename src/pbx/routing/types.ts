/**
 * Routing configuration as the router reads it (DESIGN.md §2: a destination is
 * data). The API checks every object against these shapes at save, so the
 * snapshot the SIP side loads can trust them.
 */
import type { CalendarSpec } from '../calendar/types.js';
import { type QueueConfig, queueDestinations } from '../queue/types.js';
import type { RingMember, RingStrategy } from './ring-strategy.js';

/** Where a call goes next. */
export type Destination =
  | { kind: 'extension'; id: string }
  | { kind: 'ringGroup'; id: string }
  | { kind: 'timeCondition'; id: string }
  | { kind: 'queue'; id: string }
  /** Where a DID call goes in; the router reaches it by number, it is not chosen as a destination. */
  | { kind: 'inboundRoute'; id: string }
  /** A number as a user would dial it: an extension, a group, a DID of the tenant; external ones once trunks exist. */
  | { kind: 'number'; number: string }
  | { kind: 'hangup'; cause: HangupCause };

export const HANGUP_CAUSES = ['busy', 'unavailable', 'rejected'] as const;
export type HangupCause = (typeof HANGUP_CAUSES)[number];

export interface RingGroupConfig {
  strategy: RingStrategy;
  members: RingMember[];
  /** Seconds the whole group rings before the call goes on to `timeoutDestination`. */
  ringTimeoutSec: number;
  /** Members on the phone are not rung. */
  skipBusy: boolean;
  /** Put before the caller's name, so members see which group a call came through ("Sales: "). */
  callerIdPrefix: string;
  /** Unanswered: where the call goes (null: the caller hears "unavailable"). */
  timeoutDestination: Destination | null;
}

export interface TimeConditionConfig {
  calendarId: string;
  whenOpen: Destination;
  whenClosed: Destination;
}

export type CallerMatch = { anonymous: true } | { numbers: string[] };

export interface CallerRule {
  name: string;
  match: CallerMatch;
  destination: Destination;
}

export interface InboundRouteConfig {
  /** Checked in order before the route's own destination; the first that matches wins. */
  callerRules: CallerRule[];
  destination: Destination;
}

export type CalendarConfig = CalendarSpec;

/** The destinations a routing object may send calls to (for reference and loop checks). */
export function destinationsOf(kind: string, config: unknown): Destination[] {
  switch (kind) {
    case 'timeCondition': {
      const c = config as TimeConditionConfig;
      return [c.whenOpen, c.whenClosed];
    }
    case 'ringGroup': {
      const c = config as RingGroupConfig;
      return c.timeoutDestination ? [c.timeoutDestination] : [];
    }
    case 'inboundRoute': {
      const c = config as InboundRouteConfig;
      return [...c.callerRules.map((r) => r.destination), c.destination];
    }
    case 'queue':
      return queueDestinations(config as QueueConfig);
    default:
      return [];
  }
}

/** A destination in words, for trails and error messages. */
export function describeDestination(d: Destination): string {
  switch (d.kind) {
    case 'number':
      return `number ${d.number}`;
    case 'hangup':
      return `hang up (${d.cause})`;
    default:
      return `${d.kind} ${d.id}`;
  }
}
