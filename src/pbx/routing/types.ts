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
  /**
   * A mailbox (an extension's own has the extension's id). `greeting`: which of
   * its greetings the caller hears (set by an extension's busy forward; default unavailable).
   */
  | { kind: 'voicemail'; id: string; greeting?: 'busy' | 'unavailable' }
  | { kind: 'ivr'; id: string }
  /** Where a DID call goes in; the router reaches it by number, it is not chosen as a destination. */
  | { kind: 'inboundRoute'; id: string }
  /**
   * A number as a user would dial it: an extension, a group, a DID of the tenant, or
   * an external number (out through a trunk). `on`: the extension whose call class
   * and caller ID apply (its own call, forwarding, follow-me); absent: the tenant's
   * configuration (a route, a group), limited by the tenant's class.
   */
  | { kind: 'number'; number: string; on?: string }
  | { kind: 'hangup'; cause: HangupCause }
  /** Dial by name: the caller keys letters of a name and is put through (apps/dial-by-name.ts). */
  | { kind: 'directory' };

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
  /** Outside members must press 1 before the call is theirs (confirm-call); unset means yes. */
  confirmExternal?: boolean;
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
  /** Calls that came this way are recorded ('always') or never are (recording/policy.ts); absent: no say. */
  recording?: 'always' | 'never';
  /** Checked in order before the route's own destination; the first that matches wins. */
  callerRules: CallerRule[];
  destination: Destination;
  /**
   * "Responsible manager first": a caller whose CRM names a responsible extension rings it
   * this long before the route goes on (0 or absent: off).
   */
  ownerFirstSec?: number;
}

export type CalendarConfig = CalendarSpec;

/** A dial pattern of an outbound route (Asterisk `_8XXXXXXXXXX`, a literal, or `/regex/`). */
export interface DialPatternConfig {
  match: string;
  /** Characters taken off the front of the dialled number (an outside-line 9). */
  strip: number;
  prepend: string;
}

/** Which external numbers go out through which trunks (a routing object with no number). */
export interface OutboundRouteConfig {
  /** Routes are looked at lowest first; the first whose pattern matches takes the call. */
  priority: number;
  patterns: DialPatternConfig[];
  /** Tried in order: the next one when a trunk answers 5xx or 408, does not answer, is down or full. */
  trunkIds: string[];
  /** The number shown on calls this route carries, over the extension's own (null: the extension's). */
  callerId: string | null;
}

/**
 * What a menu says: one of the tenant's own audio files, text spoken by the
 * PBX's TTS, or system prompts — the first of these that is set.
 */
export interface IvrAudio {
  /** One of the tenant's audio files (uploaded or recorded in the portal). */
  fileId?: string | null;
  prompts: string[];
  /** Spoken in `lang`, or the tenant's language when null. */
  text: string | null;
  lang: 'en' | 'ru' | null;
}

export interface IvrOption {
  /** One key: 0–9, * or #. */
  key: string;
  destination: Destination;
  /** The call is tagged when the caller picks this ("sales"). */
  tag: string | null;
}

/** An IVR menu (auto attendant). */
export interface IvrConfig {
  greeting: IvrAudio;
  options: IvrOption[];
  /** Callers may dial an extension; `allow` lists the numbers or prefixes ("1*") allowed (empty: any). */
  directDial: { enabled: boolean; allow: string[] };
  /** Milliseconds to wait for the next key of a number being dialled. */
  interDigitMs: number;
  /** Seconds to wait for a key after the greeting. */
  timeoutSec: number;
  /** Times the menu is played again after no key or a wrong one, before `fallback`. */
  retries: number;
  /** Said after a wrong key (null: "invalid choice"). */
  invalidAudio: IvrAudio | null;
  /** Said when no key came (null: "please try again"). */
  timeoutAudio: IvrAudio | null;
  /** Where a caller who chose nothing goes (null: goodbye and hang up). */
  fallback: Destination | null;
  /** When set and the calendar is closed, the call goes straight to `whenClosed`. */
  calendar: { calendarId: string; whenClosed: Destination } | null;
  /** The call is tagged when it enters this menu. */
  tag: string | null;
}

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
    case 'ivr': {
      const c = config as IvrConfig;
      return [
        ...c.options.map((o) => o.destination),
        ...(c.fallback ? [c.fallback] : []),
        ...(c.calendar ? [c.calendar.whenClosed] : []),
      ];
    }
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
    case 'directory':
      return 'dial by name';
    default:
      return `${d.kind} ${d.id}`;
  }
}
