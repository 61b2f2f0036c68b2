/**
 * Callback (virtual hold): a caller who pressed the callback key has hung up,
 * and a callback request holds their place in line. When the engine offers it
 * agents, the agent is rung first; once an agent answers (hearing ringback), the
 * caller is dialled, and the two are joined. A caller who does not answer is
 * tried again after a delay, keeping their place, up to the queue's attempts.
 */
import type { TenantEntry } from '../directory.js';
import type { QueueEngine, Waiter } from './engine.js';
import type { QueueConfig } from './types.js';

export type CallbackResult =
  /** Agent and caller talk; `ended` settles when either hangs up. */
  | { kind: 'connected'; agent: string; ended: Promise<void> }
  /** No agent answered. */
  | { kind: 'noAgent' }
  /** An agent answered, the caller did not. */
  | { kind: 'noCaller'; agent: string };

/** Places the two calls of a callback (the SIP side implements it). */
export interface CallbackDialer {
  connect(req: {
    tenant: TenantEntry;
    queueId: string;
    queueName: string;
    agents: string[];
    caller: { number: string; name: string };
    agentRingSec: number;
    callerRingSec: number;
    /**
     * Click-to-call (the API rings an extension, then the number it asked for): the
     * record is the extension's own call to the number, the trail says so, and the
     * extension's call class and limits apply to an outside number.
     */
    clickToCall?: { extensionId: string };
  }): Promise<CallbackResult>;
}

/** Serves one callback request until it is connected or given up. */
export async function serveCallback(
  engine: QueueEngine,
  dialer: CallbackDialer,
  tenantOf: (id: string) => TenantEntry | undefined,
  w: Waiter,
): Promise<void> {
  const cb = w.callback;
  if (!cb) return;
  for (;;) {
    const e = await engine.next(w);
    if (w.left || e.type === 'ended') return;
    if (e.type !== 'offer') continue; // keys and timeouts belong to callers on the line
    const tenant = tenantOf(w.tenantId);
    const entry = tenant?.routing.get(w.queueId);
    if (!tenant || entry?.kind !== 'queue') {
      // The queue was deleted meanwhile: the request goes with it.
      engine.offerWithdrawn(w, e.agents);
      engine.leave(w);
      return;
    }
    const cfg = entry.config as QueueConfig;
    const r = await dialer.connect({
      tenant,
      queueId: w.queueId,
      queueName: entry.name,
      agents: e.agents,
      caller: { number: cb.number, name: cb.name },
      agentRingSec: cfg.agentRingSec,
      callerRingSec: cfg.callback.ringSec,
    });
    if (r.kind === 'noAgent') {
      engine.offerMissed(w, cfg, e.agents);
      continue;
    }
    if (r.kind === 'connected') {
      const { talkEnded } = engine.offerAnswered(w, cfg, e.agents, r.agent);
      engine.stats.queue(w.tenantId, w.queueId, (f) => {
        f.callbacksConnected++;
      });
      void r.ended.then(talkEnded);
      return;
    }
    cb.attempts++;
    if (cb.attempts >= cfg.callback.attempts) {
      engine.offerWithdrawn(w, e.agents);
      engine.leave(w, 'callbackFailed');
      engine.stats.queue(w.tenantId, w.queueId, (f) => {
        f.callbacksFailed++;
      });
      return;
    }
    engine.callbackRetry(w, e.agents, cfg.callback.retryDelaySec);
  }
}
