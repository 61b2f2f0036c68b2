/**
 * An inbound route (a DID): its caller rules first (VIP numbers, a blacklist,
 * anonymous callers — the first that matches wins), else its destination. The
 * call's caller counts as external from here on (status rules tell them apart).
 */
import type { RoutingEntry } from '../directory.js';
import type { RoutedCall, StepContext } from './context.js';
import { callerMatches } from './numbers.js';
import type { Destination, InboundRouteConfig } from './types.js';

export function inboundRouteStep(ctx: StepContext, call: RoutedCall, route: RoutingEntry): Destination {
  const { tenant } = ctx;
  const cfg = route.config as InboundRouteConfig;
  const name = `${route.name} (${route.number})`;
  ctx.markExternal();
  const rule = cfg.callerRules.find((r) => callerMatches(r, call.caller.number, tenant.country));
  call.step({
    kind: 'inboundRoute',
    id: route.id,
    name,
    outcome: rule ? `caller rule "${rule.name}"` : 'default destination',
  });
  return rule ? rule.destination : cfg.destination;
}
