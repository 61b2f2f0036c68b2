/**
 * The cluster's pub/sub channel: configuration changes and live events between nodes.
 *
 * - Changes: a change saved on one node (through the API, a feature code dialled on a phone, a
 *   CRM sync) is applied there first, then announced; every other node rebuilds the same
 *   tenant's snapshot. Announcements are fire-and-forget: a node that missed one (Redis was
 *   down) reloads every tenant when its subscription comes back.
 * - Events: every event of this node is published; other nodes hand them to their *cluster*
 *   listeners only (the portal's WebSocket and live view), never to the node's own event bus.
 *   Webhooks and integrations listen to the node's own bus, so each event leaves through the
 *   PostgreSQL outbox exactly once, from the node where it happened.
 * - Requests: one node asks another to act on something only that node holds (hang up or
 *   transfer a call whose SIP dialogs and media it carries) and waits for its answer, or
 *   for a deadline when that node does not answer (it died, or Redis lost the message).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ControlDestination } from '../pbx/call-control.js';
import type { PbxEvent } from '../pbx/events.js';

export type ClusterChange =
  /** A tenant's configuration (null: the set of tenants, trunks or numbers). */
  | { kind: 'tenant'; tenantId: string | null }
  /** A tenant's phonebook (contacts). */
  | { kind: 'contacts'; tenantId: string }
  /** A mailbox's messages changed (message-waiting lamps of phones held by other nodes). */
  | { kind: 'voicemail'; tenantId: string; boxId: string }
  /** A queue agent logged in or out, paused or unpaused (already saved by the announcing node). */
  | {
      kind: 'agent';
      tenantId: string;
      number: string;
      queues: string[];
      paused: boolean;
      pauseReason: string;
    };

/** What one node asks another to do with a call it carries (src/cluster/attach.ts answers). */
export type ClusterRequest =
  | { op: 'hangup'; tenantId: string; callId: string }
  | {
      op: 'transfer';
      tenantId: string;
      callId: string;
      side: 'caller' | 'callee';
      to: { number: string } | { destination: ControlDestination };
      by: string[] | null;
    };

type Message =
  | { n: string; c: ClusterChange }
  | { n: string; e: PbxEvent }
  /** A request to node `to`, answered under the same id. */
  | { n: string; q: { id: string; to: string; r: ClusterRequest } }
  | { n: string; a: { id: string; to: string; v: unknown } };

export interface ClusterBusOptions {
  prefix: string;
  node: string;
  onError?: (err: unknown, what: string) => void;
}

export class ClusterBus {
  private readonly channel: string;
  private readonly changeHandlers = new Set<(c: ClusterChange) => void>();
  private readonly eventHandlers = new Set<(e: PbxEvent) => void>();
  private readonly resyncHandlers = new Set<() => void>();
  private requestHandler: ((r: ClusterRequest) => Promise<unknown>) | null = null;
  private readonly waiting = new Map<string, (v: unknown) => void>();
  private closed = false;
  private subscribed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly opts: ClusterBusOptions,
  ) {
    this.channel = `${opts.prefix}bus`;
  }

  static async open(redis: Redis, opts: ClusterBusOptions): Promise<ClusterBus> {
    const sub = redis.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    const bus = new ClusterBus(redis, sub, opts);
    sub.on('message', (_channel: string, text: string) => bus.receive(text));
    await sub.subscribe(bus.channel);
    bus.subscribed = true;
    // Back from an outage: whatever was announced meanwhile is unknown, so everything is reloaded.
    sub.on('ready', () => {
      if (bus.subscribed) for (const h of bus.resyncHandlers) h();
    });
    return bus;
  }

  /** Tells the other nodes of a change this node has applied. */
  announce(change: ClusterChange): void {
    this.publish({ n: this.opts.node, c: change });
  }

  /** Publishes one of this node's events to the other nodes. */
  publishEvent(e: PbxEvent): void {
    this.publish({ n: this.opts.node, e });
  }

  /**
   * Asks node `to` to act and waits for its answer; `timedOut` when none came within
   * `timeoutMs` (that node is gone, or too busy to answer).
   */
  request(to: string, r: ClusterRequest, timeoutMs = 3000): Promise<{ answer: unknown } | 'timedOut'> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve('timedOut');
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, (v) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve({ answer: v });
      });
      this.publish({ n: this.opts.node, q: { id, to, r } });
    });
  }

  /** Answers other nodes' requests to this node (one handler). */
  onRequest(handler: (r: ClusterRequest) => Promise<unknown>): void {
    this.requestHandler = handler;
  }

  /** Another node's change (never this node's own). */
  onChange(handler: (c: ClusterChange) => void): () => void {
    this.changeHandlers.add(handler);
    return () => this.changeHandlers.delete(handler);
  }

  /** Another node's event (never this node's own). */
  onEvent(handler: (e: PbxEvent) => void): () => void {
    this.eventHandlers.add(handler);
    return () => this.eventHandlers.delete(handler);
  }

  /** The subscription came back after an outage: reload what announcements would have told. */
  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sub.quit().catch(() => this.sub.disconnect());
  }

  private publish(m: Message): void {
    if (this.closed) return;
    this.redis
      .publish(this.channel, JSON.stringify(m))
      .catch((e: unknown) => this.opts.onError?.(e, 'publish'));
  }

  private receive(text: string): void {
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (m.n === this.opts.node) return;
    if ('c' in m) {
      for (const h of this.changeHandlers) {
        try {
          h(m.c);
        } catch (e) {
          this.opts.onError?.(e, 'change handler');
        }
      }
    } else if ('q' in m) {
      const q = m.q;
      const handler = this.requestHandler;
      if (q.to !== this.opts.node || !handler) return;
      void handler(q.r)
        .catch((e: unknown) => {
          this.opts.onError?.(e, 'request handler');
          return null;
        })
        .then((v) => this.publish({ n: this.opts.node, a: { id: q.id, to: m.n, v: v ?? null } }));
    } else if ('a' in m) {
      if (m.a.to === this.opts.node) this.waiting.get(m.a.id)?.(m.a.v);
    } else if ('e' in m) {
      for (const h of this.eventHandlers) {
        try {
          h(m.e);
        } catch (e) {
          this.opts.onError?.(e, 'event handler');
        }
      }
    }
  }
}
