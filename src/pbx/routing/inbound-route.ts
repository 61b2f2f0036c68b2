/**
 * An inbound route (a DID): its caller rules first (VIP numbers, a blacklist,
 * anonymous callers — the first that matches wins), else its destination. The
 * call's caller counts as external from here on (status rules tell them apart).
 *
 * "Responsible manager first" (ownerFirstSec): when the phonebook or a CRM named
 * the caller's responsible extension, it rings alone for that long before the
 * route goes on — if it is free to take a call (registered, not on do-not-disturb,
 * not on a call); otherwise the route goes on at once.
 */
import type { RoutingEntry } from '../directory.js';
import { type RoutedCall, ringTarget, type StepContext } from './context.js';
import { callerMatches } from './numbers.js';
import type { Destination, InboundRouteConfig } from './types.js';

export async function inboundRouteStep(
  ctx: StepContext,
  call: RoutedCall,
  route: RoutingEntry,
): Promise<Destination | null> {
  const { tenant } = ctx;
  const cfg = route.config as InboundRouteConfig;
  const name = `${route.name} (${route.number})`;
  ctx.markExternal();
  const rule = cfg.callerRules.find((r) => callerMatches(r, call.caller.number, tenant.country));
  // A caller rule (a blacklist, a VIP path) is the administrator's explicit word: it wins.
  if (!rule && (cfg.ownerFirstSec ?? 0) > 0) {
    const answered = await ownerFirst(ctx, call, route, cfg.ownerFirstSec ?? 0);
    if (answered || call.state !== 'ringing') return null;
  }
  call.step({
    kind: 'inboundRoute',
    id: route.id,
    name,
    outcome: rule ? `caller rule "${rule.name}"` : 'default destination',
  });
  return rule ? rule.destination : cfg.destination;
}

/** Rings the caller's responsible extension alone for `sec`; true when it answered. */
async function ownerFirst(
  ctx: StepContext,
  call: RoutedCall,
  route: RoutingEntry,
  sec: number,
): Promise<boolean> {
  const { tenant, env } = ctx;
  const owner = call.identity?.owner;
  const ext = owner ? tenant.extensions.get(owner) : undefined;
  if (!ext) return false;
  const bindings = env.bindingsOf(tenant.id, ext.number);
  const step = (outcome: string) =>
    call.step({ kind: 'inboundRoute', id: route.id, name: `responsible ${ext.number}`, outcome });
  if (ext.dnd || bindings.length === 0 || (!ext.callWaiting && env.isBusy(tenant.id, ext.number))) {
    step('not free, route goes on');
    return false;
  }
  call.offered(ext.number);
  const outcome = await call.ring([ringTarget(tenant, ext, bindings, 0, sec)], { timeoutSec: sec });
  if (outcome.kind === 'answered') {
    step('answered');
    return true;
  }
  if (outcome.kind !== 'ended') step(`no answer in ${sec} s, route goes on`);
  return false;
}
