/**
 * The callers in line, per queue: the queue state the engine keeps besides the
 * agents' sessions (agents.ts). Both sit behind interfaces so the cluster issue
 * can keep them in Redis: an entry holds only what orders and describes a
 * caller (no call, no promises), so a line can be shared by the nodes while each
 * node serves the callers whose calls it carries.
 *
 * Order within a line: higher priority first (VIP callers), then arrival.
 */

export interface LineEntry {
  id: string;
  tenantId: string;
  queueId: string;
  caller: string;
  callerName: string;
  priority: number;
  /** Arrival on the engine clock (ms): waits are measured from it. */
  joinedMs: number;
  /** Arrival in wall-clock time, for people. */
  joinedAt: Date;
  /** An offer (agents ringing) is in progress. */
  offered: boolean;
  /** A callback request (the caller hung up and will be called), or null for a caller on the line. */
  callback: { number: string; name: string; attempts: number } | null;
  /** Not offered before this (engine ms): a callback waiting for its next try. */
  notBefore: number;
}

export interface WaitingLines<E extends LineEntry = LineEntry> {
  /** Puts an entry at its place in its queue's line. */
  insert(e: E): void;
  /** Takes an entry out of its line (no-op when it is not there). */
  remove(e: E): void;
  /** Puts `by` where `old` stood (a caller who became a callback request keeps their place). */
  replace(old: E, by: E): void;
  /** One queue's line, in serving order. */
  line(tenantId: string, queueId: string): readonly E[];
  /** Every non-empty line (of one tenant, when given). */
  lines(tenantId?: string): { tenantId: string; queueId: string; entries: readonly E[] }[];
  /** Anyone waiting anywhere. */
  readonly empty: boolean;
}

/** The one-node implementation: lines in memory. */
export class MemoryWaitingLines<E extends LineEntry> implements WaitingLines<E> {
  private readonly byQueue = new Map<string, E[]>();

  insert(e: E): void {
    const key = `${e.tenantId}/${e.queueId}`;
    let list = this.byQueue.get(key);
    if (!list) {
      list = [];
      this.byQueue.set(key, list);
    }
    let at = list.length;
    while (at > 0 && list[at - 1]!.priority < e.priority) at--;
    list.splice(at, 0, e);
  }

  remove(e: E): void {
    const key = `${e.tenantId}/${e.queueId}`;
    const list = this.byQueue.get(key);
    if (!list) return;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byQueue.delete(key);
  }

  replace(old: E, by: E): void {
    const list = this.byQueue.get(`${old.tenantId}/${old.queueId}`);
    const i = list?.indexOf(old) ?? -1;
    if (list && i >= 0) list[i] = by;
  }

  line(tenantId: string, queueId: string): readonly E[] {
    return this.byQueue.get(`${tenantId}/${queueId}`) ?? [];
  }

  lines(tenantId?: string): { tenantId: string; queueId: string; entries: readonly E[] }[] {
    const out: { tenantId: string; queueId: string; entries: readonly E[] }[] = [];
    for (const [key, entries] of this.byQueue) {
      const slash = key.indexOf('/');
      const t = key.slice(0, slash);
      if (tenantId === undefined || t === tenantId)
        out.push({ tenantId: t, queueId: key.slice(slash + 1), entries });
    }
    return out;
  }

  get empty(): boolean {
    return this.byQueue.size === 0;
  }
}
