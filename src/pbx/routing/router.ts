/**
 * The router: follows a call's destinations (DESIGN.md §2: destinations are data)
 * one step at a time — an inbound route's caller rules, a time condition's
 * calendar, a ring group's strategy, an extension's forwarding — until someone
 * answers or the call is refused. Every step goes on the call's trail (the CDR
 * keeps it); a chain longer than MAX_HOPS is a loop and ends the call.
 *
 * The router reads only the tenant's snapshot (no database on the call path) and
 * asks the SIP side for what changes by the second: registrations and who is on
 * the phone.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { calendarState } from '../calendar/engine.js';
import type { CalendarSpec } from '../calendar/types.js';
import type { CallParty, RingOutcome, RingTarget } from '../call.js';
import type { ExtensionEntry, RoutingEntry, TenantEntry } from '../directory.js';
import type { Binding } from '../location.js';
import { type ExtensionEnv, ringExtension } from './extension.js';
import { planRounds } from './ring-strategy.js';
import type {
  CallerRule,
  Destination,
  InboundRouteConfig,
  RingGroupConfig,
  TimeConditionConfig,
} from './types.js';

/** Steps a call may take before it counts as looping (a forward to a forward to a group...). */
export const MAX_HOPS = 20;

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

/** The caller's number as it would be matched against a rule list: E.164 where it parses. */
export function normaliseNumber(number: string, country: string): string {
  const digits = number.replace(/[\s()-]/g, '');
  if (/^\+?[0-9]{5,}$/.test(digits)) {
    const p = parsePhoneNumberFromString(digits, country as Parameters<typeof parsePhoneNumberFromString>[1]);
    if (p?.isPossible()) return p.number;
  }
  return digits;
}

/** A dialled number as a destination: an extension, a group, a DID of the tenant. */
export function destinationForNumber(tenant: TenantEntry, number: string): Destination | null {
  const ext = tenant.extensions.get(number);
  if (ext) return { kind: 'extension', id: ext.id };
  const local = tenant.routingByNumber.get(number);
  if (local?.kind === 'ringGroup') return { kind: 'ringGroup', id: local.id };
  const did = tenant.routingByNumber.get(normaliseNumber(number, tenant.country));
  if (did?.kind === 'inboundRoute') return { kind: 'inboundRoute', id: did.id };
  return null;
}

export class Router {
  /** Calls that came in through an inbound route: their callers are "external" to status rules. */
  private readonly external = new WeakSet<RoutedCall>();

  constructor(private readonly env: RouterEnv) {}

  private extensionEnv(): ExtensionEnv {
    return { ...this.env, target: (t, e, b, d, s) => this.target(t, e, b, d, s) };
  }

  /** Routes `call` from `first` until it is answered or refused. Never throws: a failure refuses the call. */
  async route(call: RoutedCall, tenant: TenantEntry, first: Destination): Promise<void> {
    let next: Destination | null = first;
    for (let hops = 0; next && call.state === 'ringing'; hops++) {
      if (hops >= MAX_HOPS) {
        call.step({ kind: 'loop', id: null, name: `more than ${MAX_HOPS} steps`, outcome: 'refused' });
        call.finish(482, 'failed', 'Loop Detected');
        return;
      }
      next = await this.follow(call, tenant, next);
    }
  }

  /** One step: returns where the call goes next, or null when it is answered or over. */
  private async follow(call: RoutedCall, tenant: TenantEntry, d: Destination): Promise<Destination | null> {
    switch (d.kind) {
      case 'extension': {
        const ext = tenant.extensionsById.get(d.id);
        if (!ext) return this.missing(call, d.kind, d.id);
        return ringExtension(this.extensionEnv(), call, tenant, ext, this.external.has(call));
      }
      case 'number': {
        const dest = destinationForNumber(tenant, d.number);
        if (!dest) {
          // External numbers go out through trunks (issue 9); until then nothing answers them.
          call.step({ kind: 'number', id: null, name: d.number, outcome: 'not found' });
          call.finish(404, 'failed', 'Not Found');
          return null;
        }
        return dest;
      }
      case 'hangup': {
        call.step({ kind: 'hangup', id: null, name: d.cause, outcome: 'refused' });
        const [status, cause] =
          d.cause === 'busy' ? [486, 'busy'] : d.cause === 'rejected' ? [603, 'rejected'] : [480, 'failed'];
        call.finish(status, cause);
        return null;
      }
      default: {
        const obj = tenant.routing.get(d.id);
        if (!obj || obj.kind !== (d.kind as string)) return this.missing(call, d.kind, d.id);
        if (obj.kind === 'ringGroup') return this.ringGroup(call, tenant, obj, obj.config as RingGroupConfig);
        if (obj.kind === 'timeCondition') return this.timeCondition(call, tenant, obj);
        if (obj.kind === 'inboundRoute') return this.inboundRoute(call, tenant, obj);
        return this.missing(call, d.kind, d.id);
      }
    }
  }

  /** A destination deleted since it was configured (the API refuses that, but a race is possible). */
  private missing(call: RoutedCall, kind: string, id: string): null {
    call.step({ kind, id, name: 'missing', outcome: 'not found' });
    call.finish(404, 'failed', 'Not Found');
    return null;
  }

  target(
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

  private async ringGroup(
    call: RoutedCall,
    tenant: TenantEntry,
    group: RoutingEntry,
    cfg: RingGroupConfig,
  ): Promise<Destination | null> {
    const name = `${group.name}${group.number ? ` (${group.number})` : ''}`;
    const memoryKey = `${tenant.id}/${group.id}`;
    const rounds = planRounds({
      strategy: cfg.strategy,
      members: cfg.members,
      state: (m) => {
        const ext = tenant.extensions.get(m.number);
        // Members outside the tenant's extensions are external numbers: they need trunks (issue 9).
        // A group rings its members' own phones: one who set DND or forwards everything is away.
        if (!ext || ext.dnd || ext.forwarding.always.enabled) return { reachable: false, busy: false };
        const busy = this.env.isBusy(tenant.id, ext.number);
        // Offered (a push to a closed portal) unless the group will pass them over for being on the phone.
        if (!busy || !(cfg.skipBusy || cfg.strategy === 'firstAvailable')) call.offered(ext.number);
        return { reachable: this.env.bindingsOf(tenant.id, ext.number).length > 0, busy };
      },
      skipBusy: cfg.skipBusy,
      lastIndex: this.env.memory.get(memoryKey) ?? null,
      random: () => this.env.random(),
    });
    const callerName = `${cfg.callerIdPrefix}${call.caller.displayName || call.caller.number}`;
    const started = this.env.ms();
    let last: RingOutcome | null = null;
    for (const round of rounds) {
      const left = cfg.ringTimeoutSec - (this.env.ms() - started) / 1000;
      if (left < 1 || call.state !== 'ringing') break;
      const targets: RingTarget[] = [];
      for (const r of round.rings) {
        const ext = tenant.extensions.get(r.member.number);
        if (!ext) continue;
        const bindings = this.env.bindingsOf(tenant.id, ext.number);
        // Registrations change while a hunt goes on: a member who left is passed over.
        if (bindings.length)
          targets.push(this.target(tenant, ext, bindings, r.member.delaySec, r.member.timeoutSec));
      }
      if (targets.length === 0) continue;
      if (cfg.strategy === 'memoryHunt' && round.rings[0])
        this.env.memory.set(memoryKey, round.rings[0].index);
      last = await call.ring(targets, { timeoutSec: Math.ceil(left), callerName });
      if (last.kind !== 'unanswered') {
        call.step({
          kind: 'ringGroup',
          id: group.id,
          name,
          outcome: last.kind === 'answered' ? `answered by ${last.party.number}` : 'caller hung up',
        });
        return null;
      }
    }
    const why = rounds.length === 0 ? 'nobody available' : 'no answer';
    if (cfg.timeoutDestination) {
      call.step({ kind: 'ringGroup', id: group.id, name, outcome: `${why}, on to the timeout destination` });
      return cfg.timeoutDestination;
    }
    call.step({ kind: 'ringGroup', id: group.id, name, outcome: why });
    call.finish(
      last?.kind === 'unanswered' && last.cause === 'busy' ? 486 : 480,
      rounds.length ? 'no-answer' : 'unavailable',
    );
    return null;
  }

  private timeCondition(call: RoutedCall, tenant: TenantEntry, tc: RoutingEntry): Destination | null {
    const cfg = tc.config as TimeConditionConfig;
    const cal = tenant.routing.get(cfg.calendarId);
    if (cal?.kind !== 'calendar') return this.missing(call, 'calendar', cfg.calendarId);
    const state = calendarState(cal.config as CalendarSpec, this.env.now());
    call.step({
      kind: 'timeCondition',
      id: tc.id,
      name: `${tc.name} (${cal.name})`,
      outcome: `${state.open ? 'open' : 'closed'}: ${state.reason}${state.label ? ` ${state.label}` : ''}`,
    });
    return state.open ? cfg.whenOpen : cfg.whenClosed;
  }

  private inboundRoute(call: RoutedCall, tenant: TenantEntry, route: RoutingEntry): Destination {
    const cfg = route.config as InboundRouteConfig;
    const name = `${route.name} (${route.number})`;
    this.external.add(call);
    const rule = cfg.callerRules.find((r) => callerMatches(r, call.caller.number, tenant.country));
    call.step({
      kind: 'inboundRoute',
      id: route.id,
      name,
      outcome: rule ? `caller rule "${rule.name}"` : 'default destination',
    });
    return rule ? rule.destination : cfg.destination;
  }
}

/** Anonymous callers: no number, or the conventional stand-ins phones and carriers send. */
function isAnonymous(number: string): boolean {
  return number === '' || /^(anonymous|unknown|restricted|unavailable|private)$/i.test(number);
}

/** A rule's numbers match exactly (after normalisation) or by prefix when they end in '*'. */
export function callerMatches(rule: CallerRule, number: string, country: string): boolean {
  if ('anonymous' in rule.match) return isAnonymous(number);
  return numberMatches(rule.match.numbers, number, country);
}

/** `number` is in the list, exactly (as dialled or normalised) or by a prefix ending in '*'. */
export function numberMatches(list: readonly string[], number: string, country: string): boolean {
  if (isAnonymous(number)) return false;
  const caller = normaliseNumber(number, country);
  return list.some((n) =>
    n.endsWith('*')
      ? caller.startsWith(n.slice(0, -1)) || number.startsWith(n.slice(0, -1))
      : n === caller || n === number,
  );
}
