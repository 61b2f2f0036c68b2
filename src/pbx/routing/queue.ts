/**
 * A call queue as a routing step: the caller is answered by the PBX, hears the
 * entry prompts, music, position and expected-wait announcements, may press a
 * key to leave, and is rung through to an agent when the queue engine offers
 * one. Callers who cannot or should not wait are sent on at once: the queue is
 * full, nobody is there to answer, or the wait is predicted to be too long.
 * Every caller ends one way — answered, abandoned, or sent on — and is counted.
 */
import { promptFiles } from '../../media/prompts.js';
import { type SayLang, sayCount, sayNumber } from '../../media/say.js';
import type { RoutingEntry, TenantEntry } from '../directory.js';
import type { QueueEngine, Waiter } from '../queue/engine.js';
import type { QueueConfig } from '../queue/types.js';
import { type RoutedCall, ringTarget, type StepContext } from './context.js';
import { planOutbound } from './external.js';
import { numberMatches } from './numbers.js';
import type { Destination } from './types.js';

/** Priority of a caller on the queue's VIP list (others have 0). */
export const VIP_PRIORITY = 10;

export async function queueStep(
  ctx: StepContext,
  call: RoutedCall,
  q: RoutingEntry,
): Promise<Destination | null> {
  const engine = ctx.env.queues;
  const { tenant } = ctx;
  const cfg = q.config as QueueConfig;
  const name = `${q.name}${q.number ? ` (${q.number})` : ''}`;
  const step = (outcome: string) => call.step({ kind: 'queue', id: q.id, name, outcome });
  const sendOn = (
    figure: 'full' | 'noAgents' | 'diverted' | 'timedOut' | 'exitedByKey',
    why: string,
    d: Destination | null,
    fallback: 'busy' | 'unavailable',
  ): Destination | null => {
    engine?.stats.queue(tenant.id, q.id, (f) => {
      f[figure]++;
    });
    if (d) {
      step(`${why}, on to ${d.kind}`);
      return d;
    }
    step(why);
    call.finish(fallback === 'busy' ? 486 : 480, fallback === 'busy' ? 'busy' : 'unavailable');
    return null;
  };

  if (!engine) {
    step('queues need the media engine');
    call.finish(503, 'failed', 'Service Unavailable');
    return null;
  }
  engine.stats.queue(tenant.id, q.id, (f) => {
    f.offered++;
  });
  // Before joining: full, nobody there, or a wait predicted too long.
  const waiting = engine.waitingCount(tenant.id, q.id);
  if (cfg.maxCallers > 0 && waiting >= cfg.maxCallers)
    return sendOn('full', 'queue full', cfg.fullDestination, 'busy');
  if (engine.isEmpty(tenant, q.id, cfg, cfg.joinEmpty))
    return sendOn('noAgents', 'no agents', cfg.noAgentsDestination, 'unavailable');
  const p = cfg.predictive;
  if (p.maxExpectedWaitSec > 0 || p.maxCallersPerAgent > 0) {
    const expected = engine.expectedWaitSec(tenant, q.id, cfg, waiting + 1);
    const perAgent = (waiting + 1) / Math.max(engine.loggedIn(tenant, q.id, cfg), 1e-9);
    if (
      (p.maxExpectedWaitSec > 0 && expected > p.maxExpectedWaitSec) ||
      (p.maxCallersPerAgent > 0 && perAgent > p.maxCallersPerAgent)
    )
      return sendOn('diverted', 'wait predicted too long', p.destination, 'busy');
  }
  if (!call.answerEarly()) {
    // Every offered caller is accounted for: one who left before being answered abandoned;
    // otherwise the relay is missing, and nobody could take the call.
    const gone = call.state === 'ended';
    engine.stats.queue(tenant.id, q.id, (f) => {
      if (gone) f.abandoned++;
      else f.noAgents++;
    });
    if (gone) return null;
    step('queues need the media engine');
    call.finish(503, 'failed', 'Service Unavailable');
    return null;
  }

  const vip = cfg.vipNumbers.length > 0 && numberMatches(cfg.vipNumbers, call.caller.number, tenant.country);
  const w = engine.join({
    tenantId: tenant.id,
    queueId: q.id,
    caller: call.caller.number,
    callerName: call.caller.displayName,
    priority: vip ? VIP_PRIORITY : 0,
    // Sticky agent: the CRM's responsible manager, when they answer this queue.
    owner:
      cfg.ownerFirstSec && call.identity?.owner && cfg.members.some((m) => m.number === call.identity?.owner)
        ? { number: call.identity.owner, sec: cfg.ownerFirstSec }
        : null,
  });
  call.onEnded(() => engine.post(w, { type: 'ended' }));
  const maxWait =
    cfg.maxWaitSec > 0
      ? ctx.env.clock.after(cfg.maxWaitSec * 1000, () => {
          engine.post(w, { type: 'timeout' });
        })
      : null;
  const abandoned = () => {
    if (w.left) return;
    const waited = engine.waitedSec(w);
    engine.stats.queue(tenant.id, q.id, (f) => {
      f.abandoned++;
      f.abandonWaitSec += waited;
      f.longestWaitSec = Math.max(f.longestWaitSec, waited);
    });
    engine.leave(w, 'abandoned');
    step(`caller hung up after ${Math.round(waited)} s`);
  };
  /** Why this caller cannot be called back now (null: they can). */
  const callbackRefusal = (): string | null => {
    if (!engine.dialer) return 'callbacks are not available';
    if (tenant.extensions.has(call.caller.number)) {
      if (!engine.canCallBack(tenant.id, call.caller.number)) return 'no phone to dial back';
    } else if (!ctx.env.outbound || !callableBack(tenant, call.caller.number))
      return 'the number cannot be dialled back';
    if (engine.hasCallback(tenant.id, call.caller.number))
      return 'a callback to this number is waiting already';
    const cap = cfg.callback.maxPerAgent;
    if (
      cap > 0 &&
      engine.callbacksWaiting(tenant.id, q.id) >= cap * engine.staffing(tenant, q.id, cfg).staffed
    )
      return 'too many callbacks waiting';
    return null;
  };
  const lang: SayLang = tenant.language === 'ru' ? 'ru' : 'en';
  const audio = new CallerAudioRequests();
  void callerAudio(engine, ctx, call, w, cfg, tenant, lang, audio);
  void callerKeys(engine, call, w, cfg);

  /** Rings the agents the engine offered while the caller keeps hearing the queue. */
  const offerToAgents = async (
    offered: string[],
    ringSec = cfg.agentRingSec,
  ): Promise<'served' | 'gone' | 'waiting'> => {
    // An agent whose phone went away since the offer is released without counting a miss.
    const agents = offered.filter(
      (n) => tenant.extensions.has(n) && ctx.env.bindingsOf(tenant.id, n).length > 0,
    );
    engine.release(
      w,
      offered.filter((n) => !agents.includes(n)),
    );
    const targets = agents.map((number) => {
      call.offered(number);
      return ringTarget(
        tenant,
        tenant.extensions.get(number)!,
        ctx.env.bindingsOf(tenant.id, number),
        0,
        ringSec,
      );
    });
    const outcome = targets.length
      ? await call.ring(targets, {
          timeoutSec: ringSec,
          callerName: `${q.name}: ${call.caller.displayName || call.caller.number}`,
          quiet: true,
        })
      : ({ kind: 'unanswered' } as const);
    if (outcome.kind === 'answered') {
      const agent = outcome.party.number;
      const waited = engine.waitedSec(w);
      const { talkEnded } = engine.offerAnswered(w, cfg, agents, agent);
      call.onEnded(talkEnded);
      step(`answered by ${agent} after ${Math.round(waited)} s`);
      return 'served';
    }
    if (outcome.kind === 'ended') {
      // The caller hung up while the agents rang.
      engine.offerWithdrawn(w, agents);
      abandoned();
      return 'gone';
    }
    engine.offerMissed(w, cfg, agents);
    return 'waiting';
  };

  try {
    for (;;) {
      const e = await engine.next(w);
      if (e.type === 'ended' || call.state !== 'ringing') {
        abandoned();
        return null;
      }
      if (e.type === 'offer' && (await offerToAgents(e.agents, e.ringSec)) !== 'waiting') return null;
      // A request to leave (waited too long, nobody left, a key) takes effect once no agent rings.
      const exit = w.exit;
      if (!exit || w.offered) continue;
      const action = exit.type === 'key' ? cfg.keys.find((k) => k.key === exit.key) : undefined;
      if (action?.action === 'callback') {
        const refused = callbackRefusal();
        if (refused) {
          // The caller stays in line and hears why not.
          step(`callback refused: ${refused}`);
          // (A maximum wait that passed meanwhile is not lost: a timeout outranks a key in `post`.)
          w.exit = null;
          audio.say(['callback-unavailable']);
          engine.dispatchSoon(tenant.id);
          continue;
        }
        engine.stats.queue(tenant.id, q.id, (f) => {
          f.callbacks++;
        });
        engine.requestCallback(w, new Promise<void>((resolve) => call.onEnded(resolve)));
        step(`callback requested after ${Math.round(engine.waitedSec(w))} s`);
        call.silenceCaller();
        await call.playToCaller(promptFiles(['callback-confirmed'], lang), { bargeIn: false });
        call.finish(200, 'callback');
        return null;
      }
      const waited = engine.waitedSec(w);
      engine.stats.queue(tenant.id, q.id, (f) => {
        f.longestWaitSec = Math.max(f.longestWaitSec, waited);
      });
      engine.leave(w, exit.type === 'timeout' ? 'timeout' : exit.type === 'empty' ? 'noAgents' : 'exitKey');
      call.silenceCaller();
      if (exit.type === 'timeout')
        return sendOn('timedOut', `waited ${cfg.maxWaitSec} s`, cfg.timeoutDestination, 'unavailable');
      if (exit.type === 'empty')
        return sendOn('noAgents', 'every agent left', cfg.noAgentsDestination, 'unavailable');
      return sendOn('exitedByKey', `caller pressed ${exit.key}`, action?.destination ?? null, 'unavailable');
    }
  } finally {
    maxWait?.cancel();
    // Whatever ended the loop (even a bug), the caller does not stay in line.
    if (!w.left) engine.leave(w);
  }
}

/** Prompts the caller's loop wants played between the music (a refused callback). */
class CallerAudioRequests {
  readonly pending: string[][] = [];
  private wake: (() => void) | null = null;

  say(names: string[]): void {
    this.pending.push(names);
    this.wake?.();
  }

  /** Settles when something is asked to be said. */
  next(): Promise<void> {
    if (this.pending.length) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }
}

/** What the caller hears while waiting: entry prompts, then music broken by announcements. */
async function callerAudio(
  engine: QueueEngine,
  ctx: StepContext,
  call: RoutedCall,
  w: Waiter,
  cfg: QueueConfig,
  tenant: TenantEntry,
  lang: SayLang,
  requests: CallerAudioRequests,
): Promise<void> {
  const clock = ctx.env.clock;
  const waiting = () => !w.left && call.state === 'ringing';
  const play = async (names: string[]) => {
    if (!waiting() || names.length === 0) return;
    await call.playToCaller(promptFiles(names, lang), { bargeIn: true });
  };
  const announce = async (names: string[]) => {
    engine.announced(w, names);
    await play(names);
  };
  await play(cfg.entryPrompts);
  const positional = cfg.announcePosition || cfg.announceWait;
  let nextPositional = positional ? clock.now() : Number.POSITIVE_INFINITY;
  let nextPeriodic =
    cfg.periodicEverySec > 0 && cfg.periodicPrompts.length > 0
      ? clock.now() + cfg.periodicEverySec * 1000
      : Number.POSITIVE_INFINITY;
  while (waiting()) {
    const now = clock.now();
    const asked = requests.pending.shift();
    if (asked) {
      await play(asked);
      continue;
    }
    if (now >= nextPositional) {
      await announce(positionPrompts(engine, tenant, w, cfg, lang));
      nextPositional =
        cfg.announceEverySec > 0 ? clock.now() + cfg.announceEverySec * 1000 : Number.POSITIVE_INFINITY;
      continue;
    }
    if (now >= nextPeriodic) {
      await announce(cfg.periodicPrompts);
      nextPeriodic = clock.now() + cfg.periodicEverySec * 1000;
      continue;
    }
    const stop = call.musicToCaller();
    const until = Math.min(nextPositional, nextPeriodic);
    // Music until the next announcement, or until the caller leaves the queue (answered, gone, sent on).
    let timer: { cancel(): void } | null = null;
    await Promise.race([
      w.gone,
      requests.next(),
      Number.isFinite(until)
        ? new Promise<void>((resolve) => {
            timer = clock.after(until - now, resolve);
          })
        : w.gone,
    ]);
    (timer as { cancel(): void } | null)?.cancel();
    stop();
  }
}

/** "Your position in the queue is 3. The estimated waiting time is 4 minutes." */
function positionPrompts(
  engine: QueueEngine,
  tenant: TenantEntry,
  w: Waiter,
  cfg: QueueConfig,
  lang: SayLang,
): string[] {
  const position = engine.position(w);
  if (position < 1) return [];
  const out: string[] = [];
  if (cfg.announcePosition) out.push('queue-position-is', ...sayNumber(position, lang));
  if (cfg.announceWait) {
    const sec = engine.expectedWaitSec(tenant, w.queueId, cfg, position);
    if (Number.isFinite(sec) && sec > 0)
      out.push('queue-wait-time-is', ...sayCount(Math.min(Math.ceil(sec / 60), 999), 'minute', lang));
  }
  return out;
}

/** Keys the caller presses while waiting: those the queue offers are passed to the caller's loop. */
async function callerKeys(engine: QueueEngine, call: RoutedCall, w: Waiter, cfg: QueueConfig): Promise<void> {
  if (cfg.keys.length === 0) return;
  while (!w.left && call.state === 'ringing') {
    const key = await call.nextKey(60_000, w.gone);
    if (key === null || w.left) continue;
    if (cfg.keys.some((k) => k.key === key)) engine.post(w, { type: 'key', key });
  }
}

/**
 * An outside caller is dialled back through a trunk as the tenant's own call —
 * to a number the caller itself presented, so only a local or national one: a
 * spoofed premium or international number must not be called at the tenant's cost.
 */
export function callableBack(tenant: TenantEntry, number: string): boolean {
  if (!/^\+[1-9]\d{1,14}$/.test(number)) return false;
  const plan = planOutbound(tenant, number, null);
  return plan.ok && (plan.numberClass === 'local' || plan.numberClass === 'national');
}
