/**
 * What happens on the PBX, as events for the portal's live views, the events
 * WebSocket and (later) webhooks: calls starting, being answered and ending, and
 * extensions' registrations changing. `LiveState` keeps the current picture per
 * tenant — the calls in progress and the registered devices — from the same
 * events, so a page that opens mid-day starts from a snapshot and follows events.
 * In a cluster they are fanned out through Redis (src/cluster/attach.ts).
 */
import type { Binding, LocationService } from './location.js';
import type { QueueEvent } from './queue/engine.js';

export interface LiveCall {
  /** The call record's id (GET /calls/{id} once it has ended). */
  id: string;
  caller: string;
  callerName: string;
  callee: string;
  state: 'ringing' | 'answered';
  startedAt: string;
  answeredAt: string | null;
  /** Tags the call picked up (IVR menus and choices). */
  tags?: string[];
}

export interface LiveRegistration {
  extension: string;
  /** Registered devices (contacts) of the extension. */
  devices: {
    contact: string;
    userAgent: string | null;
    transport: string;
    address: string;
    expiresAt: string;
  }[];
}

export type PbxEvent =
  | { type: 'call.started'; tenantId: string; call: LiveCall }
  | { type: 'call.answered'; tenantId: string; call: LiveCall }
  /** An IVR menu or choice tagged the call. */
  | { type: 'call.tagged'; tenantId: string; call: LiveCall; tag: string }
  /** The router is about to ring an extension for this call (directly, in a group, by follow-me...). */
  | { type: 'call.offered'; tenantId: string; call: LiveCall; extension: string }
  | { type: 'call.ended'; tenantId: string; call: LiveCall; cause: string; endedAt: string }
  | { type: 'registration'; tenantId: string; registration: LiveRegistration }
  /** A message was left in a mailbox (`mailbox`: its number, or a group mailbox's name). */
  | {
      type: 'voicemail.new';
      tenantId: string;
      message: {
        id: string;
        boxId: string;
        mailbox: string;
        caller: string;
        callerName: string;
        durationMs: number;
        receivedAt: string;
      };
    }
  /** The fraud rule stopped an extension's external calls (an administrator clears it). */
  | { type: 'fraud.blocked'; tenantId: string; extension: string; reason: string }
  /** A tenant reached a limit that now refuses calls (its daily external minutes). */
  | {
      type: 'limit.reached';
      tenantId: string;
      limit: 'dailyExternalMinutes' | 'dailySpendCap';
      value: number;
    }
  /** The tenant's spend today passed its warning share of the cap (`used` and the cap in minor units). */
  | { type: 'limit.warning'; tenantId: string; limit: 'dailySpendCap'; value: number; used: number }
  /** Queues: a queue's live state (waiting callers, agents, today's figures) after a change. */
  | QueueEvent;

export type PbxEventListener = (e: PbxEvent) => void;

/** Fan-out to listeners; a listener that throws is dropped from nothing and stops nothing. */
export class PbxEvents {
  private readonly listeners = new Set<PbxEventListener>();

  on(listener: PbxEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: PbxEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken subscriber (a closed socket) must not break the call that emitted.
      }
    }
  }
}

/** The tenant's calls in progress and registered extensions, kept from the events. */
export class LiveState {
  private readonly calls = new Map<string, Map<string, LiveCall>>();
  private readonly registrations = new Map<string, Map<string, LiveRegistration>>();

  constructor(events: PbxEvents) {
    events.on((e) => this.apply(e));
  }

  private apply(e: PbxEvent): void {
    if (e.type === 'registration') {
      const regs = this.mapOf(this.registrations, e.tenantId);
      if (e.registration.devices.length) regs.set(e.registration.extension, e.registration);
      else regs.delete(e.registration.extension);
      return;
    }
    if (
      e.type !== 'call.started' &&
      e.type !== 'call.answered' &&
      e.type !== 'call.tagged' &&
      e.type !== 'call.ended'
    )
      return;
    const calls = this.mapOf(this.calls, e.tenantId);
    if (e.type === 'call.ended') calls.delete(e.call.id);
    else calls.set(e.call.id, e.call);
  }

  private mapOf<T>(m: Map<string, Map<string, T>>, tenantId: string): Map<string, T> {
    let inner = m.get(tenantId);
    if (!inner) {
      inner = new Map();
      m.set(tenantId, inner);
    }
    return inner;
  }

  /** One call in progress, as the live views see it. */
  call(tenantId: string, id: string): LiveCall | undefined {
    return this.calls.get(tenantId)?.get(id);
  }

  snapshot(tenantId: string): { calls: LiveCall[]; registrations: LiveRegistration[] } {
    const calls = [...(this.calls.get(tenantId)?.values() ?? [])].sort((a, b) =>
      a.startedAt.localeCompare(b.startedAt),
    );
    const registrations = [...(this.registrations.get(tenantId)?.values() ?? [])].sort((a, b) =>
      a.extension.localeCompare(b.extension, undefined, { numeric: true }),
    );
    return { calls, registrations };
  }
}

export function registrationOf(
  aor: string,
  bindings: Binding[],
): { tenantId: string; registration: LiveRegistration } {
  const colon = aor.indexOf(':');
  return {
    tenantId: aor.slice(0, colon),
    registration: {
      extension: aor.slice(colon + 1),
      devices: bindings.map((b) => ({
        contact: b.contact,
        userAgent: b.userAgent,
        transport: b.source.transport,
        address: `${b.source.host}:${b.source.port}`,
        expiresAt: new Date(b.expiresAt).toISOString(),
      })),
    },
  };
}

/**
 * The set of devices changed (not merely refreshed): same contacts means no event.
 * Bindings of `b` expired by `now` do not count. An AOR has a few contacts at most,
 * so a scan beats building a set (this runs on every REGISTER).
 */
function sameDevices(a: Binding[], b: Binding[], now = Number.NEGATIVE_INFINITY): boolean {
  let live = 0;
  for (const x of b) {
    if (x.expiresAt <= now) continue;
    live++;
    if (!a.some((y) => y.contact === x.contact)) return false;
  }
  return live === a.length;
}

/**
 * A location service that reports registration changes: wraps the real one, so
 * the registrar, qualify and sweeps stay as they are.
 */
export class ObservedLocation implements LocationService {
  constructor(
    private readonly inner: LocationService,
    private readonly events: PbxEvents,
    private readonly now: () => number = Date.now,
  ) {}

  lookup(aor: string, now: number): Binding[] {
    return this.inner.lookup(aor, now);
  }

  store(aor: string, bindings: Binding[]): void {
    const now = this.now();
    const before = this.inner.lookup(aor, now);
    this.inner.store(aor, bindings);
    // The live bindings after the store are those given: a refresh of the same contacts
    // (most REGISTERs) is told apart without looking the AOR up a second time.
    if (!sameDevices(before, bindings, now)) this.report(aor, before);
  }

  sweep(now: number): number {
    // Every stored binding, expired ones included: the sweep removes bindings that ran out at
    // any time since the last sweep, and each AOR that had one is told its devices now.
    const all = new Map<string, Binding[]>();
    const expired = new Set<string>();
    for (const [aor, b] of this.inner.entries(Number.NEGATIVE_INFINITY)) {
      all.set(aor, [...(all.get(aor) ?? []), b]);
      if (b.expiresAt <= now) expired.add(aor);
    }
    const n = this.inner.sweep(now);
    if (n > 0) for (const aor of expired) this.report(aor, all.get(aor) ?? []);
    return n;
  }

  entries(now: number): [string, Binding][] {
    return this.inner.entries(now);
  }

  remove(aor: string, contact: string): void {
    const before = this.inner.lookup(aor, this.now());
    this.inner.remove(aor, contact);
    this.report(aor, before);
  }

  get size(): number {
    return this.inner.size;
  }

  private report(aor: string, before: Binding[]): void {
    const after = this.inner.lookup(aor, this.now());
    if (sameDevices(before, after)) return;
    this.events.emit({ type: 'registration', ...registrationOf(aor, after) });
  }
}
