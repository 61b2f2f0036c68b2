/**
 * A ring group (department): its strategy plans the rounds (ring-strategy.ts),
 * each round rings its members together, the whole group rings for at most its
 * ring time, and an unanswered call goes on to the group's timeout destination.
 * Members ring on their own phones: one on DND or forwarding everything is away.
 */
import type { RingOutcome, RingTarget } from '../call.js';
import type { RoutingEntry } from '../directory.js';
import { type RoutedCall, ringTarget, type StepContext } from './context.js';
import { confirmPromptFor, externalRingTarget } from './external.js';
import { planRounds } from './ring-strategy.js';
import type { Destination, RingGroupConfig } from './types.js';

export async function ringGroupStep(
  ctx: StepContext,
  call: RoutedCall,
  group: RoutingEntry,
): Promise<Destination | null> {
  const { env, tenant } = ctx;
  const cfg = group.config as RingGroupConfig;
  const name = `${group.name}${group.number ? ` (${group.number})` : ''}`;
  const memoryKey = `${tenant.id}/${group.id}`;
  const rounds = planRounds({
    strategy: cfg.strategy,
    members: cfg.members,
    state: (m) => {
      const ext = tenant.extensions.get(m.number);
      // Members outside the tenant's extensions are external numbers, rung through a trunk.
      if (!ext) return { reachable: env.outbound != null, busy: false };
      // A group rings its members' own phones: one who set DND or forwards everything is away.
      if (ext.dnd || ext.forwarding.always.enabled) return { reachable: false, busy: false };
      const busy = env.isBusy(tenant.id, ext.number);
      // Offered (a push to a closed portal) unless the group will pass them over for being on the phone.
      if (!busy || !(cfg.skipBusy || cfg.strategy === 'firstAvailable')) call.offered(ext.number);
      return { reachable: env.bindingsOf(tenant.id, ext.number).length > 0, busy };
    },
    skipBusy: cfg.skipBusy,
    lastIndex: env.memory.get(memoryKey) ?? null,
    random: () => env.random(),
  });
  const callerName = `${cfg.callerIdPrefix}${call.caller.displayName || call.caller.number}`;
  const confirm = cfg.confirmExternal !== false ? confirmPromptFor(tenant, call) : null;
  const started = env.ms();
  let last: RingOutcome | null = null;
  for (const round of rounds) {
    const left = cfg.ringTimeoutSec - (env.ms() - started) / 1000;
    if (left < 1 || call.state !== 'ringing') break;
    const targets: RingTarget[] = [];
    const external: { target: RingTarget; settle(answered: boolean): void }[] = [];
    for (const r of round.rings) {
      const ext = tenant.extensions.get(r.member.number);
      if (!ext) {
        // The group's own configuration sends it out: the tenant's class applies.
        const x = await externalRingTarget(
          ctx,
          call,
          r.member.number,
          undefined,
          r.member.delaySec,
          r.member.timeoutSec,
        );
        if ('target' in x) {
          if (confirm) x.target.confirm = confirm;
          targets.push(x.target);
          external.push(x);
        }
        continue;
      }
      const bindings = env.bindingsOf(tenant.id, ext.number);
      // Registrations change while a hunt goes on: a member who left is passed over.
      if (bindings.length)
        targets.push(ringTarget(tenant, ext, bindings, r.member.delaySec, r.member.timeoutSec));
    }
    if (targets.length === 0) continue;
    if (cfg.strategy === 'memoryHunt' && round.rings[0]) env.memory.set(memoryKey, round.rings[0].index);
    last = await call.ring(targets, { timeoutSec: Math.ceil(left), callerName });
    const won = last;
    for (const x of external) x.settle(won.kind === 'answered' && won.party === x.target.party);
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
