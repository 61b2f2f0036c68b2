/**
 * Joins a node's SIP service to its cluster: changes it applies are announced and changes
 * announced by others are applied; its events go out on the bus and the other nodes' events
 * come in to a cluster-wide live view (what the portal's WebSocket and live pages follow).
 *
 * The node's own event bus (`sip.events`) carries only this node's events: webhooks,
 * integrations and push notifications listen there, so an event is delivered once, by the
 * node where it happened, however many nodes run.
 */
import type { Logger } from '../log.js';
import type { ActiveCall } from '../pbx/call.js';
import type { ControlDestination, ControlRefusal } from '../pbx/call-control.js';
import { type LiveCall, LiveState, type PbxEvent, PbxEvents, registrationOf } from '../pbx/events.js';
import type { Binding } from '../pbx/location.js';
import { adoptOrphan } from '../pbx/queue/orphans.js';
import type { RemoteWaiter } from '../pbx/remote-activity.js';
import type { SipService } from '../pbx/sip-service.js';
import type { ClusterRequest } from './bus.js';
import type { Cluster } from './cluster.js';

export interface ClusterLive {
  /** The tenant's calls and registrations across every node. */
  snapshot: LiveState['snapshot'];
  /** Every node's events. */
  subscribe(listener: (e: PbxEvent) => void): () => void;
  /** A mailbox changed through this node's API: lamps of phones held by other nodes follow. */
  voicemailChanged(tenantId: string, boxId: string): void;
  /** The extensions on a call another node carries (null: no node does). */
  numbersOnElsewhere(tenantId: string, id: string): string[] | null;
  /** Hangs up a call another node carries, through that node: false when no node does. */
  hangupElsewhere(tenantId: string, id: string): Promise<boolean | ControlRefusal>;
  /** Transfers a party of a call another node carries, through that node; null when no node does. */
  transferElsewhere(
    tenantId: string,
    id: string,
    side: 'caller' | 'callee',
    to: { number: string } | { destination: ControlDestination },
    by?: readonly string[],
  ): Promise<{ ok: true } | ControlRefusal | null>;
  /**
   * The SIP service has started (its queues exist): dead nodes are looked for from now, and
   * what an earlier run of this node left in the registry is dealt with.
   */
  started(): void;
}

/** Writes an audit entry of a tenant as the system (a survivor's report of a node's death). */
export type AuditWriter = (
  tenantId: string,
  entry: { action: string; resourceType: string; resourceId: string | null; after: Record<string, unknown> },
) => Promise<void>;

/** How long a node waits for the node carrying a call to act on it. */
const FORWARD_TIMEOUT_MS = 3000;

/** A call a dead node left open, as its CDR row was closed. */
export interface ClosedCall {
  id: string;
  tenantId: string;
  caller: string;
  callerName: string;
  callee: string;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
}

export interface Takeover {
  /** Closes a dead node's open CDR rows as interrupted (the store's CallLog does). */
  closeInterruptedOf(node: string): Promise<ClosedCall[]>;
}

export function attachCluster(
  cluster: Cluster,
  sip: SipService,
  log: Logger,
  takeover: Takeover,
  audit: AuditWriter | null = null,
): ClusterLive {
  const failed = (what: string) => (err: unknown) => log.warn({ err }, `cluster: ${what} failed`);
  const registry = cluster.live;

  // ——— the registry of live calls and queue callers (src/cluster/live-registry.ts) ———
  // Other nodes' calls make agents busy and light busy lamps here; their callers show on wall-boards.
  sip.remote = registry;
  registry.onChange = (c) => sip.remoteActivity(c.tenantId, c.numbers);
  // This node's calls are published once per turn of the event loop, as they are by then.
  const keys = new WeakMap<ActiveCall, string>();
  let nextKey = 0;
  const dirty = new Set<ActiveCall>();
  const publishCalls = () => {
    for (const call of dirty) {
      let key = keys.get(call);
      if (!key) {
        key = String(++nextKey);
        keys.set(call, key);
      }
      const view = sip.callView(call);
      registry.setCall(key, view ? { ...view, node: cluster.node } : null);
    }
    dirty.clear();
  };
  sip.callWatch = (call) => {
    if (dirty.size === 0) setImmediate(publishCalls);
    dirty.add(call);
  };
  sip.lineWatch = (tenantId, queueId, line) =>
    registry.setLine(
      tenantId,
      queueId,
      line.map((w) => ({ ...w, node: cluster.node, tenantId, queueId })),
    );

  // Requests from other nodes for calls this node carries (the API's hang-up and transfer there).
  cluster.bus.onRequest(async (r: ClusterRequest) => {
    if (r.op === 'hangup') return sip.control.hangup(r.tenantId, r.callId);
    return sip.control.transfer(r.tenantId, r.callId, r.side, r.to, r.by ?? undefined);
  });

  const all = new PbxEvents();

  /**
   * Callers a dead node (or this node's earlier run) left waiting: re-queued as callbacks
   * where the queue would call them back, the rest counted lost to the node failure. Each is
   * told as a `queue.leave` (reason nodeFailure) on this node's own bus, so webhooks hear it
   * once, and written to the tenant's audit log and this node's log.
   */
  const orphans = async (node: string, waiters: RemoteWaiter[]) => {
    if (!waiters.length) return;
    const now = new Date();
    const byTenant = new Map<string, Record<string, unknown>[]>();
    for (const w of waiters) {
      const r = adoptOrphan(sip.queues, sip.directory.tenantById(w.tenantId), w, now);
      sip.events.emit({
        type: 'queue.leave',
        tenantId: w.tenantId,
        queueId: w.queueId,
        waiter: { id: w.id, caller: w.caller, callerName: w.callerName },
        reason: 'nodeFailure',
        waitedSec: r.waitedSec,
      });
      const list = byTenant.get(w.tenantId) ?? [];
      list.push({
        queueId: w.queueId,
        caller: w.caller,
        callback: w.callback,
        waitedSec: r.waitedSec,
        outcome: r.outcome,
        ...(r.why ? { why: r.why } : {}),
      });
      byTenant.set(w.tenantId, list);
    }
    for (const [tenantId, callers] of byTenant) {
      log.warn({ node, tenantId, callers }, 'node died with callers waiting in queues: re-queued or lost');
      await audit?.(tenantId, {
        action: 'queue.node-failure',
        resourceType: 'node',
        resourceId: null,
        after: { node, takenOverBy: cluster.node, callers },
      }).catch(failed('audit of queue callers lost'));
    }
  };

  // A node whose heartbeat expired: one survivor closes its calls' records (src/cluster/failover.ts)
  // and tells every node's live view they ended (portals would show them for ever otherwise).
  // Not on this node's own bus: webhooks and push notifications are for calls this node carried.
  const takeOver = async (node: string) => {
    const left = await registry.takeOver(node);
    const closed = await takeover.closeInterruptedOf(node);
    for (const c of closed) {
      const call: LiveCall = {
        id: c.id,
        caller: c.caller,
        callerName: c.callerName,
        callee: c.callee,
        state: c.answeredAt ? 'answered' : 'ringing',
        startedAt: c.startedAt.toISOString(),
        answeredAt: c.answeredAt?.toISOString() ?? null,
      };
      const endedAt = (c.endedAt ?? new Date()).toISOString();
      const e: PbxEvent = { type: 'call.ended', tenantId: c.tenantId, call, cause: 'interrupted', endedAt };
      all.emit(e);
      cluster.bus.publishEvent(e);
    }
    log.warn({ node, closed: closed.length }, 'node died: its open calls were closed as interrupted');
    await orphans(node, left.waiters);
  };

  // One node registers each registration trunk; a survivor takes a dead node's over (trunk-leases.ts).
  // Set before the SIP service starts its trunks, so no node registers one it does not hold.
  sip.carriers.trunks.shareRegistrations(cluster.trunkLeases);
  sip.announce = (change) => cluster.bus.announce(change);
  cluster.bus.onChange((change) => {
    if (change.kind === 'tenant') sip.tenantChanged(change.tenantId, false).catch(failed('tenant reload'));
    else if (change.kind === 'contacts')
      sip.contactsChanged(change.tenantId, false).catch(failed('phonebook reload'));
    else if (change.kind === 'agent')
      sip.queues?.agentChangedElsewhere(change.tenantId, change.number, change);
    else sip.voicemail?.changedById(change.tenantId, change.boxId).catch(failed('voicemail lamps'));
  });
  cluster.bus.onResync(() => {
    sip.tenantChanged(null, false).catch(failed('full reload'));
    cluster.location.loadAll().catch(failed('location reload'));
  });
  // A phone registered through another node may be the agent a queue here is waiting for.
  cluster.location.onRemoteChange = (aor) => sip.queues?.tenantActivity(aor.slice(0, aor.indexOf(':')));

  const live = new LiveState(all);
  // Devices registered before this node started are known from the shared location at once.
  const byAor = new Map<string, Binding[]>();
  for (const [aor, b] of cluster.location.entries(Date.now())) byAor.set(aor, [...(byAor.get(aor) ?? []), b]);
  for (const [aor, list] of byAor) all.emit({ type: 'registration', ...registrationOf(aor, list) });
  sip.events.on((e) => {
    all.emit(e);
    cluster.bus.publishEvent(e);
  });
  cluster.bus.onEvent((e) => all.emit(e));

  /** The node carrying a call, asked to act on it; a refusal when it does not answer in time. */
  const forward = async (
    tenantId: string,
    id: string,
    r: ClusterRequest,
  ): Promise<{ refusal: ControlRefusal } | { answer: unknown } | null> => {
    const owner = registry.ownerOf(tenantId, id);
    if (!owner) return null;
    const res = await cluster.bus.request(owner.node, r, FORWARD_TIMEOUT_MS);
    if (res === 'timedOut')
      return {
        refusal: {
          ok: false,
          status: 503,
          code: 'node-unreachable',
          reason: `The node carrying this call (${owner.node}) did not answer; try again`,
        },
      };
    return { answer: res.answer };
  };

  let started = false;
  return {
    // This node's calls from its own live state, the other nodes' from the registry (so a node
    // that started after them, or missed an event, still shows them), devices from the events.
    snapshot: (tenantId) => {
      const here = sip.live.snapshot(tenantId).calls;
      const seen = new Set(here.map((c) => c.id));
      const calls = [...here];
      for (const c of registry.calls(tenantId))
        if (c.live && !seen.has(c.live.id)) {
          seen.add(c.live.id);
          calls.push(c.live);
        }
      calls.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      return { calls, registrations: live.snapshot(tenantId).registrations };
    },
    subscribe: (listener) => all.on(listener),
    voicemailChanged: (tenantId, boxId) => cluster.bus.announce({ kind: 'voicemail', tenantId, boxId }),
    numbersOnElsewhere: (tenantId, id) => {
      const c = registry.ownerOf(tenantId, id);
      return c ? [...new Set([...c.parties.map((p) => p.number), ...c.ringing])] : null;
    },
    hangupElsewhere: async (tenantId, id) => {
      const r = await forward(tenantId, id, { op: 'hangup', tenantId, callId: id });
      if (!r) return false;
      return 'refusal' in r ? r.refusal : r.answer === true;
    },
    transferElsewhere: async (tenantId, id, side, to, by) => {
      const r = await forward(tenantId, id, {
        op: 'transfer',
        tenantId,
        callId: id,
        side,
        to,
        by: by ? [...by] : null,
      });
      if (!r) return null;
      if ('refusal' in r) return r.refusal;
      const a = r.answer as { ok: true } | ControlRefusal | null;
      return a ?? { ok: false, status: 404, code: 'not-live', reason: 'The call is not live' };
    },
    started: () => {
      if (started) return;
      started = true;
      cluster.watchDeadNodes(takeOver);
      // This node id crashed earlier and came back before any survivor noticed: the same report.
      void orphans(cluster.node, cluster.leftovers.waiters).catch(failed('earlier run’s queue callers'));
    },
  };
}
