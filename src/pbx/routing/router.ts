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
import { dialByNameStep } from '../apps/dial-by-name.js';
import type { TenantEntry } from '../directory.js';
import { type KindStep, missing, type RoutedCall, type RouterEnv, type StepContext } from './context.js';
import { ringExtension } from './extension.js';
import { dialExternal } from './external.js';
import { inboundRouteStep } from './inbound-route.js';
import { ivrStep } from './ivr.js';
import { normaliseNumber } from './numbers.js';
import { queueStep } from './queue.js';
import { ringGroupStep } from './ring-group.js';
import { timeConditionStep } from './time-condition.js';
import type { Destination } from './types.js';

export type { RoutedCall, RouterEnv } from './context.js';
export { callerMatches, normaliseNumber, numberMatches } from './numbers.js';

/** Steps a call may take before it counts as looping (a forward to a forward to a group...). */
export const MAX_HOPS = 20;
/** Menus a call may pass through (a caller wandering between sub-menus). */
export const MAX_MENU_VISITS = 50;

/** The routing objects a call can be sent to, one file each (DESIGN.md §2: one app per kind). */
const KINDS: Record<string, KindStep> = {
  ringGroup: ringGroupStep,
  timeCondition: timeConditionStep,
  inboundRoute: inboundRouteStep,
  queue: queueStep,
  ivr: ivrStep,
};

/** A dialled number as a destination: an extension, a group, a DID of the tenant. */
export function destinationForNumber(tenant: TenantEntry, number: string): Destination | null {
  const ext = tenant.extensions.get(number);
  if (ext) return { kind: 'extension', id: ext.id };
  const local = tenant.routingByNumber.get(number);
  if (local?.kind === 'ringGroup' || local?.kind === 'queue' || local?.kind === 'ivr')
    return { kind: local.kind, id: local.id };
  const did = tenant.routingByNumber.get(normaliseNumber(number, tenant.country));
  if (did?.kind === 'inboundRoute') return { kind: 'inboundRoute', id: did.id };
  return null;
}

export class Router {
  /** Calls that came in through an inbound route: their callers are "external" to status rules. */
  private readonly external = new WeakSet<RoutedCall>();

  constructor(private readonly env: RouterEnv) {}

  /** Routes `call` from `first` until it is answered or refused. Never throws: a failure refuses the call. */
  async route(call: RoutedCall, tenant: TenantEntry, first: Destination): Promise<void> {
    let next: Destination | null = first;
    // Menus are counted apart: a caller going back and forth between menus is choosing, not looping
    // (each visit waits for keys), but not for ever.
    let hops = 0;
    let menus = 0;
    while (next && call.state === 'ringing') {
      const menu = next.kind === 'ivr' || next.kind === 'directory';
      if (menu ? ++menus > MAX_MENU_VISITS : ++hops > MAX_HOPS) {
        const limit = menu ? `more than ${MAX_MENU_VISITS} menus` : `more than ${MAX_HOPS} steps`;
        call.step({ kind: 'loop', id: null, name: limit, outcome: 'refused' });
        call.finish(482, 'failed', 'Loop Detected');
        return;
      }
      next = await this.follow(call, tenant, next);
    }
  }

  /** One step: returns where the call goes next, or null when it is answered or over. */
  private async follow(call: RoutedCall, tenant: TenantEntry, d: Destination): Promise<Destination | null> {
    if ('id' in d) call.entered?.(d.kind, d.id);
    const ctx: StepContext = {
      env: this.env,
      tenant,
      external: this.external.has(call),
      markExternal: () => this.external.add(call),
    };
    switch (d.kind) {
      case 'extension': {
        const ext = tenant.extensionsById.get(d.id);
        if (!ext) return missing(call, d.kind, d.id);
        return ringExtension(ctx, call, ext);
      }
      case 'number': {
        // Inside the company first; anything else is an external number, out through a trunk.
        return destinationForNumber(tenant, d.number) ?? dialExternal(ctx, call, d.number, d.on);
      }
      case 'voicemail': {
        if (this.env.voicemail) return this.env.voicemail.deposit(ctx, call, d);
        call.step({ kind: 'voicemail', id: d.id, name: 'voicemail', outcome: 'voicemail is not running' });
        call.finish(480, 'unavailable', 'Temporarily Unavailable');
        return null;
      }
      case 'directory':
        return dialByNameStep(ctx, call);
      case 'hangup': {
        call.step({ kind: 'hangup', id: null, name: d.cause, outcome: 'refused' });
        const [status, cause] =
          d.cause === 'busy' ? [486, 'busy'] : d.cause === 'rejected' ? [603, 'rejected'] : [480, 'failed'];
        call.finish(status, cause);
        return null;
      }
      default: {
        const obj = tenant.routing.get(d.id);
        const step = KINDS[d.kind];
        if (!obj || obj.kind !== d.kind || !step) return missing(call, d.kind, d.id);
        return step(ctx, call, obj);
      }
    }
  }
}
