/**
 * Limits on connection-oriented transports (TCP, TLS, WebSocket) against floods
 * and slow clients:
 *
 * - at most `maxPerIp` concurrent inbound connections from one address per
 *   transport (a proxy in front, which carries every phone's connection, is
 *   exempt); a connection over the cap is closed at once, before a TLS handshake;
 * - a connection that has not delivered one complete, parsable SIP message within
 *   `firstMessageMs` of being accepted is closed (slow-loris: bytes dribbled in,
 *   or bare CRLF pings, do not count; only a whole message does);
 * - after that, a connection silent for `idleMs` is closed, unless a registration
 *   still lives on it (`keep`): a phone behind NAT is reached over its flow until
 *   its registration ends (RFC 5626), and its CRLF keep-alives count as traffic.
 *
 * Deadlines are checked by `sweep()` (once a second from a timer, or by tests with
 * their own clock), not one timer per connection.
 */
import type { TransportName } from '../transaction/types.js';

export interface ConnectionGuardOptions {
  /** Concurrent inbound connections one address may hold per transport (0: no cap). */
  maxPerIp: number;
  /** Addresses never capped (trusted proxies, the allow-list). */
  exempt: (ip: string) => boolean;
  /** Time a new connection has to deliver its first valid SIP message. */
  firstMessageMs: number;
  /** Time a connection may stay silent once it has spoken, when no registration holds it. */
  idleMs: number;
  clock: () => number;
}

interface Watched {
  close: () => void;
  acceptedAt: number;
  /** Time of the last complete message or keep-alive; 0 before the first valid message. */
  lastHeard: number;
  /** A registration on this flow lives until then (epoch ms). */
  keptUntil: number;
}

export const CONNECTION_GUARD_DEFAULTS: ConnectionGuardOptions = {
  maxPerIp: 50,
  exempt: () => false,
  firstMessageMs: 20_000,
  idleMs: 120_000,
  clock: Date.now,
};

export class ConnectionGuard {
  private readonly opts: ConnectionGuardOptions;
  /** `transport ip` -> inbound connections open. Entries at zero are deleted, so it holds only live ones. */
  private readonly open = new Map<string, number>();
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | null = null;
  /** For /metrics and tests. */
  readonly stats = { refused: 0, closedSilent: 0, closedIdle: 0 };

  constructor(opts: Partial<ConnectionGuardOptions> = {}) {
    this.opts = { ...CONNECTION_GUARD_DEFAULTS, ...opts };
  }

  get firstMessageMs(): number {
    return this.opts.firstMessageMs;
  }

  /** Runs `sweep()` every second until `stop()`. */
  start(): void {
    this.timer ??= setInterval(() => this.sweep(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * An inbound connection from `ip`: true when it may stay (the caller must then
   * `release` it when it closes), false when it is over the cap and must be closed.
   */
  admit(ip: string, transport: TransportName): boolean {
    const key = `${transport} ${ip}`;
    const n = this.open.get(key) ?? 0;
    if (this.opts.maxPerIp > 0 && n >= this.opts.maxPerIp && !this.opts.exempt(ip)) {
      this.stats.refused++;
      return false;
    }
    this.open.set(key, n + 1);
    return true;
  }

  release(ip: string, transport: TransportName): void {
    const key = `${transport} ${ip}`;
    const n = this.open.get(key) ?? 0;
    if (n <= 1) this.open.delete(key);
    else this.open.set(key, n - 1);
  }

  /** Inbound connections `ip` holds over `transport`. */
  openFrom(ip: string, transport: TransportName): number {
    return this.open.get(`${transport} ${ip}`) ?? 0;
  }

  /**
   * Starts the deadlines of a connection. `trusted`: one we opened ourselves (to a
   * trunk, to a phone): it needs no first message, only the idle rule.
   */
  watch(flowId: string, close: () => void, trusted = false): void {
    const now = this.opts.clock();
    this.watched.set(flowId, { close, acceptedAt: now, lastHeard: trusted ? now : 0, keptUntil: 0 });
  }

  /** A complete SIP message on the flow. */
  heard(flowId: string): void {
    const w = this.watched.get(flowId);
    if (w) w.lastHeard = this.opts.clock();
  }

  /** A CRLF keep-alive: traffic once the flow has proved itself, nothing before. */
  keptAlive(flowId: string): void {
    const w = this.watched.get(flowId);
    if (w && w.lastHeard > 0) w.lastHeard = this.opts.clock();
  }

  /** A registration lives on this flow until `until` (epoch ms): it is not closed as idle before then. */
  keep(flowId: string, until: number): void {
    const w = this.watched.get(flowId);
    if (w) w.keptUntil = Math.max(w.keptUntil, until);
  }

  forget(flowId: string): void {
    this.watched.delete(flowId);
  }

  /** Closes connections past their deadline; returns how many. */
  sweep(now = this.opts.clock()): number {
    const overdue: Watched[] = [];
    for (const [id, w] of this.watched) {
      if (w.lastHeard === 0) {
        if (now - w.acceptedAt < this.opts.firstMessageMs) continue;
        this.stats.closedSilent++;
      } else {
        if (now - w.lastHeard < this.opts.idleMs || w.keptUntil > now) continue;
        this.stats.closedIdle++;
      }
      this.watched.delete(id);
      overdue.push(w);
    }
    for (const w of overdue) w.close();
    return overdue.length;
  }

  /** Connections watched (tests, metrics). */
  get size(): number {
    return this.watched.size;
  }
}
