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
import { type LiveCall, LiveState, type PbxEvent, PbxEvents, registrationOf } from '../pbx/events.js';
import type { Binding } from '../pbx/location.js';
import type { SipService } from '../pbx/sip-service.js';
import type { Cluster } from './cluster.js';

export interface ClusterLive {
  /** The tenant's calls and registrations across every node. */
  snapshot: LiveState['snapshot'];
  /** Every node's events. */
  subscribe(listener: (e: PbxEvent) => void): () => void;
  /** A mailbox changed through this node's API: lamps of phones held by other nodes follow. */
  voicemailChanged(tenantId: string, boxId: string): void;
}

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
): ClusterLive {
  const failed = (what: string) => (err: unknown) => log.warn({ err }, `cluster: ${what} failed`);

  const all = new PbxEvents();
  // A node whose heartbeat expired: one survivor closes its calls' records (src/cluster/failover.ts)
  // and tells every node's live view they ended (portals would show them for ever otherwise).
  // Not on this node's own bus: webhooks and push notifications are for calls this node carried.
  cluster.watchDeadNodes(async (node) => {
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
  });

  // One node registers each registration trunk; a survivor takes a dead node's over (trunk-leases.ts).
  // Set before the SIP service starts its trunks, so no node registers one it does not hold.
  sip.carriers.trunks.shareRegistrations(cluster.trunkLeases);
  sip.announce = (change) => cluster.bus.announce(change);
  cluster.bus.onChange((change) => {
    if (change.kind === 'tenant') sip.tenantChanged(change.tenantId, false).catch(failed('tenant reload'));
    else if (change.kind === 'contacts')
      sip.contactsChanged(change.tenantId, false).catch(failed('phonebook reload'));
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

  return {
    snapshot: (tenantId) => live.snapshot(tenantId),
    subscribe: (listener) => all.on(listener),
    voicemailChanged: (tenantId, boxId) => cluster.bus.announce({ kind: 'voicemail', tenantId, boxId }),
  };
}
