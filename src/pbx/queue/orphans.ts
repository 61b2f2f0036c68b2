/**
 * Callers who were waiting in a queue on a node that died (issue 11: "its queued callers are
 * re-queued where possible and the rest reported honestly"). Their SIP dialog and media died
 * with the node, so nobody can put them back on hold: re-queueing means calling them back.
 * A survivor does so when the queue offers callbacks (a key with the callback action) and the
 * caller is one the queue would call back had they pressed it — an extension with a phone the
 * PBX can ring, or an outside number that is local or national (routing/queue.ts
 * `callableBack`) — and no callback to that number is waiting already. A caller who had
 * already asked for a callback (they had hung up; only the request lived on the dead node) is
 * simply served from here. Everybody else is lost: counted as abandoned and, distinctly, as
 * lost to a node failure, so the queue report says why.
 */
import type { TenantEntry } from '../directory.js';
import type { RemoteWaiter } from '../remote-activity.js';
import { callableBack } from '../routing/queue.js';
import type { QueueEngine } from './engine.js';
import type { QueueConfig } from './types.js';

export type OrphanOutcome = 'requeued' | 'lost';

/** Why an orphaned caller cannot be called back (null: they can). */
function refusal(engine: QueueEngine, tenant: TenantEntry, cfg: QueueConfig, w: RemoteWaiter): string | null {
  if (!engine.dialer) return 'callbacks are not available on this node';
  if (!w.callback && !cfg.keys.some((k) => k.action === 'callback')) return 'the queue offers no callback';
  if (tenant.extensions.has(w.caller)) {
    if (!engine.canCallBack(tenant.id, w.caller)) return 'no phone to dial back';
  } else if (!callableBack(tenant, w.caller)) return 'the number cannot be dialled back';
  if (engine.hasCallback(tenant.id, w.caller)) return 'a callback to this number is waiting already';
  return null;
}

/**
 * Re-queues one orphaned caller as a callback request, or counts them lost. `engine` null:
 * this node runs no queues (no media engine), so it can only count nothing and report.
 */
export function adoptOrphan(
  engine: QueueEngine | null,
  tenant: TenantEntry | undefined,
  w: RemoteWaiter,
  now: Date,
): { outcome: OrphanOutcome; why: string | null; waitedSec: number } {
  const waitedSec = Math.max(0, Math.round((now.getTime() - Date.parse(w.joinedAt)) / 1000));
  const entry = tenant?.routing.get(w.queueId);
  if (!engine || !tenant || entry?.kind !== 'queue')
    return { outcome: 'lost', why: engine ? 'the queue is gone' : 'no queues on this node', waitedSec };
  const cfg = entry.config as QueueConfig;
  const why = refusal(engine, tenant, cfg, w);
  if (why === null) {
    const cb = engine.adoptCallback({
      tenantId: tenant.id,
      queueId: w.queueId,
      number: w.caller,
      name: w.callerName,
      priority: w.priority,
      joinedAt: new Date(w.joinedAt),
    });
    if (cb) {
      engine.stats.queue(tenant.id, w.queueId, (f) => {
        // A caller on the line becomes a callback request now; one who had asked was counted then.
        if (!w.callback) f.callbacks++;
        f.requeuedNodeFailure++;
      });
      return { outcome: 'requeued', why: null, waitedSec };
    }
  }
  engine.stats.queue(tenant.id, w.queueId, (f) => {
    if (w.callback) f.callbacksFailed++;
    else {
      f.abandoned++;
      f.abandonWaitSec += waitedSec;
      f.longestWaitSec = Math.max(f.longestWaitSec, waitedSec);
    }
    f.lostNodeFailure++;
  });
  return { outcome: 'lost', why: why ?? 'callbacks are not available on this node', waitedSec };
}
