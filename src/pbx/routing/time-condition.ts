/** A time condition: the calendar decides, open → one destination, closed → the other. */
import { calendarState } from '../calendar/engine.js';
import type { CalendarSpec } from '../calendar/types.js';
import type { RoutingEntry } from '../directory.js';
import { missing, type RoutedCall, type StepContext } from './context.js';
import type { Destination, TimeConditionConfig } from './types.js';

export function timeConditionStep(ctx: StepContext, call: RoutedCall, tc: RoutingEntry): Destination | null {
  const { env, tenant } = ctx;
  const cfg = tc.config as TimeConditionConfig;
  const cal = tenant.routing.get(cfg.calendarId);
  if (cal?.kind !== 'calendar') return missing(call, 'calendar', cfg.calendarId);
  const state = calendarState(cal.config as CalendarSpec, env.now());
  call.step({
    kind: 'timeCondition',
    id: tc.id,
    name: `${tc.name} (${cal.name})`,
    outcome: `${state.open ? 'open' : 'closed'}: ${state.reason}${state.label ? ` ${state.label}` : ''}`,
  });
  return state.open ? cfg.whenOpen : cfg.whenClosed;
}
