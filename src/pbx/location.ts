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

/** The address of record of an extension: unique across tenants. */
export function aorOf(tenantId: string, number: string): string {
  return `${tenantId}:${number}`;
}
