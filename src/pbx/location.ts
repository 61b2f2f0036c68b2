/**
 * The location service: where each extension can be reached now. Behind an
 * interface so a cluster keeps it in Redis (scale-out milestone); this node-local
 * version keeps it in memory.
 */
import type { Destination } from '../sip/transaction/types.js';

export interface Binding {
  /** The Contact URI as the phone registered it. */
  contact: string;
  /** Epoch ms after which the binding is gone. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from: requests to this contact go back the same way (flow). */
  source: Destination;
  /** RFC 3327 Path headers to put as Route on requests to this contact. */
  path: string[];
  userAgent: string | null;
  q: number;
  /**
   * The node that took the REGISTER (cluster only). For TCP, TLS and WebSocket contacts it
   * alone holds the connection to the phone; unset on a single node.
   */
  node?: string;
}

/** A Contact URI's transport parameter naming WebSocket (RFC 7118 §5.2: `;transport=ws`/`wss`). */
const WS_CONTACT = /;transport=wss?(?=[;?>]|$)/i;

/** The Contact of a SIP over WebSocket client (a browser), however it reached the node. */
export function isWebSocketContact(contact: string): boolean {
  return WS_CONTACT.test(contact);
}

/**
 * A browser (SIP over WebSocket, RFC 7118): it speaks WebRTC, not plain RTP. Registered
 * straight to this node, the transport it came over says so. Through a front proxy (Kamailio
 * fronting WebSocket, deploy/kamailio/nimbus.cfg) the node only sees the proxy's UDP, so the
 * browser's own Contact, which RFC 7118 has carry `transport=ws`, says so instead; only with
 * a Path, so a phone reached directly is judged by its transport alone.
 */
export function isBrowserBinding(b: Binding): boolean {
  const t = b.source.transport;
  if (t === 'WS' || t === 'WSS') return true;
  return b.path.length > 0 && isWebSocketContact(b.contact);
}

export interface LocationService {
  /** Live bindings of an address of record, best q first. */
  lookup(aor: string, now: number): Binding[];
  /** Replaces the bindings of an AOR (the registrar computed the new set). */
  store(aor: string, bindings: Binding[]): void;
  /** Drops expired bindings; returns how many. */
  sweep(now: number): number;
  /** Every live binding with its AOR (for qualify pings). */
  entries(now: number): [string, Binding][];
  /** Drops one contact of an AOR (it stopped answering). */
  remove(aor: string, contact: string): void;
  readonly size: number;
}

export class MemoryLocation implements LocationService {
  private readonly map = new Map<string, Binding[]>();

  lookup(aor: string, now: number): Binding[] {
    return (this.map.get(aor) ?? []).filter((b) => b.expiresAt > now).sort((a, b) => b.q - a.q);
  }

  store(aor: string, bindings: Binding[]): void {
    if (bindings.length) this.map.set(aor, bindings);
    else this.map.delete(aor);
  }

  sweep(now: number): number {
    let n = 0;
    for (const [aor, list] of this.map) {
      const live = list.filter((b) => b.expiresAt > now);
      n += list.length - live.length;
      this.store(aor, live);
    }
    return n;
  }

  entries(now: number): [string, Binding][] {
    const out: [string, Binding][] = [];
    for (const [aor, list] of this.map) for (const b of list) if (b.expiresAt > now) out.push([aor, b]);
    return out;
  }

  remove(aor: string, contact: string): void {
    this.store(
      aor,
      (this.map.get(aor) ?? []).filter((b) => b.contact !== contact),
    );
  }

  get size(): number {
    let n = 0;
    for (const list of this.map.values()) n += list.length;
    return n;
  }
}

/** Connection-oriented transports: only the node holding the flow can send on it. */
function flowBound(b: Binding): boolean {
  const t = b.source.transport;
  return t === 'TCP' || t === 'TLS' || t === 'WS' || t === 'WSS';
}

/**
 * One node's view of a shared location service. The registrar works on the whole set (a
 * REGISTER through this node must keep the contacts other nodes hold); calls, messages and
 * NOTIFYs see only the bindings this node can reach: its own, any with a Path (the request
 * goes back through the proxy that added it, e.g. Kamailio), and UDP ones (any node can send
 * a datagram; a phone behind NAT is reached through the front proxy instead). A TCP/WS phone
 * held by another node without a proxy in front is not rung from here — forwarding such a
 * call to the holding node is left to a later step. `entries()` (qualify pings) gives only the
 * bindings this node made, so N nodes do not each ping every phone.
 */
export class NodeLocationView implements LocationService {
  constructor(
    private readonly inner: LocationService,
    readonly node: string,
  ) {}

  reachable(b: Binding): boolean {
    return !b.node || b.node === this.node || b.path.length > 0 || !flowBound(b);
  }

  lookup(aor: string, now: number): Binding[] {
    return this.inner.lookup(aor, now).filter((b) => this.reachable(b));
  }

  store(aor: string, bindings: Binding[]): void {
    this.inner.store(aor, bindings);
  }

  sweep(now: number): number {
    return this.inner.sweep(now);
  }

  entries(now: number): [string, Binding][] {
    return this.inner.entries(now).filter(([, b]) => !b.node || b.node === this.node);
  }

  remove(aor: string, contact: string): void {
    this.inner.remove(aor, contact);
  }

  get size(): number {
    return this.inner.size;
  }
}

/** The address of record of an extension: unique across tenants. */
export function aorOf(tenantId: string, number: string): string {
  return `${tenantId}:${number}`;
}
