/**
 * A call to an extension: unconditional forwarding and DND first, then the
 * secretary filter, the presence status (with its callers who always get
 * through), call waiting, and the phones to ring — the desk phone, follow-me
 * steps (one ring round whose later steps start after the earlier ones' time: the
 * desk phone can ring throughout), or the secretary; unanswered, the busy and
 * no-answer forwards.
 */

import type { PresenceStatus, StatusAction } from '../../store/schema.js';
import { calendarState } from '../calendar/engine.js';
import type { CalendarSpec } from '../calendar/types.js';
import type { RingTarget } from '../call.js';
import type { ExtensionEntry, TenantEntry } from '../directory.js';
import { type RoutedCall, ringTarget, type StepContext } from './context.js';
import { confirmPromptFor, externalRingTarget } from './external.js';
import { numberMatches } from './numbers.js';
import type { Destination } from './types.js';

/** The status that decides: one chosen by hand, else the calendar's when the office is closed. */
export function effectiveStatus(ext: ExtensionEntry, tenant: TenantEntry, now: Date): PresenceStatus {
  if (ext.status !== 'available') return ext.status;
  const rule = ext.callRules.statusByCalendar;
  const cal = rule ? tenant.routing.get(rule.calendarId) : undefined;
  if (!rule || cal?.kind !== 'calendar') return 'available';
  return calendarState(cal.config as CalendarSpec, now).open ? 'available' : rule.whenClosed;
}

export async function ringExtension(
  ctx: StepContext,
  call: RoutedCall,
  ext: ExtensionEntry,
): Promise<Destination | null> {
  const { env, tenant, external: fromOutside } = ctx;
  const name = `${ext.displayName || ext.number} (${ext.number})`;
  const step = (outcome: string) => call.step({ kind: 'extension', id: ext.id, name, outcome });
  const forward = (rule: 'always' | 'busy' | 'noAnswer' | 'unreachable', why: string): Destination | null => {
    const r = ext.forwarding[rule];
    if (r.enabled && r.voicemail && rule !== 'always') {
      // To the extension's own mailbox (its id is the extension's): busy callers hear the busy greeting.
      if (!ext.voicemailEnabled) return null;
      step(`${why}, to voicemail`);
      return { kind: 'voicemail', id: ext.id, greeting: rule === 'busy' ? 'busy' : 'unavailable' };
    }
    if (!r.enabled || !r.target) return null;
    step(`${why}, forwarded to ${r.target}`);
    // The extension answers for where its forwarding sends calls (its call class, its caller ID).
    return { kind: 'number', number: r.target, on: ext.id };
  };
  /** Refused as busy: the busy forward, or 486. */
  const busy = (why: string): Destination | null => {
    const next = forward('busy', why);
    if (next) return next;
    step(why);
    call.finish(486, 'busy', 'Busy Here');
    return null;
  };

  const always = forward('always', 'forward always');
  if (always) return always;
  if (ext.dnd) return busy('do not disturb');

  const caller = call.caller.number;
  const rules = ext.callRules;
  const sec = rules.secretary;
  const screened = !!sec && caller !== sec.number && !numberMatches(sec.direct, caller, tenant.country);
  const status = effectiveStatus(ext, tenant, env.now());
  const vip = numberMatches(rules.exceptions ?? [], caller, tenant.country);
  const action: StatusAction = vip
    ? { action: 'ring' }
    : (rules.profiles?.[status]?.[fromOutside ? 'external' : 'internal'] ?? { action: 'ring' });
  if (status !== 'available' || vip) step(`${vip ? 'always rings' : `status ${status}`}: ${action.action}`);
  if (action.action === 'busy') return busy(`status ${status}`);
  if (action.action === 'forward' && action.target) {
    step(`status ${status}, forwarded to ${action.target}`);
    return { kind: 'number', number: action.target, on: ext.id };
  }
  // Only the secretary rings: whether the boss is on the phone does not matter.
  const bossRings = !(screened && sec?.mode === 'secretary');
  if (bossRings && !ext.callWaiting && env.isBusy(tenant.id, ext.number))
    return busy('on the phone, call waiting off');

  const desk = env.bindingsOf(tenant.id, ext.number);
  if (bossRings) call.offered(ext.number);
  const targets: RingTarget[] = [];
  const external: { target: RingTarget; settle(answered: boolean): void }[] = [];
  let timeoutSec = ext.ringTimeoutSec;
  const other = (number: string, delaySec: number, ringSec: number) => {
    const e = tenant.extensions.get(number);
    if (e && !e.dnd) call.offered(e.number);
    const b = e && !e.dnd ? env.bindingsOf(tenant.id, e.number) : [];
    if (e && b.length) targets.push(ringTarget(tenant, e, b, delaySec, ringSec));
  };
  if (screened && sec) {
    // The boss–secretary filter: the secretary answers (and may transfer the call on).
    const bossAfter = sec.mode === 'both' ? 0 : sec.mode === 'secretaryFirst' ? sec.firstSec : null;
    other(sec.number, 0, sec.firstSec + ext.ringTimeoutSec);
    if (bossAfter !== null && desk.length)
      targets.push(ringTarget(tenant, ext, desk, bossAfter, ext.ringTimeoutSec));
    timeoutSec = (bossAfter ?? 0) + ext.ringTimeoutSec;
    step(`screened by secretary ${sec.number} (${sec.mode})`);
  } else if (action.action === 'followMe' && rules.followMe?.steps.length) {
    let at = 0;
    for (const s of rules.followMe.steps) {
      for (const n of s.numbers) {
        if (tenant.extensions.has(n)) other(n, at, s.ringSec);
        else {
          // A mobile or other outside number: out through a trunk, in this extension's name (its class).
          const x = await externalRingTarget(ctx, call, n, ext.id, at, s.ringSec);
          if ('target' in x) {
            if (rules.followMe.confirmExternal !== false) x.target.confirm = confirmPromptFor(tenant, call);
            targets.push(x.target);
            external.push(x);
          }
        }
      }
      at += s.ringSec;
    }
    if (rules.followMe.ringDesk && desk.length) targets.push(ringTarget(tenant, ext, desk, 0, at));
    timeoutSec = at;
    step(`follow-me, ${rules.followMe.steps.length} steps`);
  } else if (desk.length) targets.push(ringTarget(tenant, ext, desk, 0, ext.ringTimeoutSec));

  if (targets.length === 0) {
    const unreachable = forward('unreachable', 'not registered');
    if (unreachable) return unreachable;
    step('not registered');
    call.finish(480, 'unavailable', 'Temporarily Unavailable');
    return null;
  }
  const outcome = await call.ring(targets, { timeoutSec });
  for (const x of external) x.settle(outcome.kind === 'answered' && outcome.party === x.target.party);
  if (outcome.kind !== 'unanswered') {
    // Answered by another phone than the desk: a follow-me step, the secretary, a colleague's pickup.
    const by =
      outcome.kind === 'answered' && outcome.party.number !== ext.number ? ` by ${outcome.party.number}` : '';
    step(`${outcome.kind}${by}`);
    return null;
  }
  const rule = outcome.cause === 'busy' ? 'busy' : outcome.cause === 'no-answer' ? 'noAnswer' : null;
  const next = rule ? forward(rule, outcome.cause) : null;
  if (next) return next;
  step(outcome.cause);
  call.finish(outcome.status, outcome.cause, outcome.reason);
  return null;
}
