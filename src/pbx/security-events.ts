/**
 * Security events of the SIP side: failed authentications, bans, scanners,
 * addresses blocked for sending requests too fast (flood), connections refused
 * over the per-address cap, tenants over their request rate, work refused at a
 * memory bound (overload), and bans lifted by hand. Each
 * is one stable log line (`SECURITY <kind> ip=<address> key=value…`) for log
 * watchers such as fail2ban (deploy/fail2ban/), and a bounded in-memory list the
 * portal reads (newest first; per node, like the log it mirrors).
 *
 * The line is built so a hostile value cannot forge another one: the address is
 * ours (the packet's source) and comes first, and every value that came from the
 * network (user name, realm, User-Agent) is percent-encoded to a safe alphabet
 * and cut short, so it can hold no space, quote or line break.
 */
import type { Logger } from 'pino';

export type SecurityEventKind =
  | 'auth-failure'
  | 'ban'
  | 'scanner'
  | 'flood'
  /** Connections refused over the per-address cap (aggregated: one per address a minute). */
  | 'connection-limit'
  /** A tenant's requests over its rate limit (aggregated: one per tenant a minute). */
  | 'tenant-flood'
  /** Work refused at a memory bound: transactions, calls, subscriptions (aggregated). */
  | 'overload'
  /** An operator or tenant admin lifted a ban early. */
  | 'unban';

export interface SecurityEvent {
  /** Increasing per node: the portal's "newer than" cursor. */
  id: number;
  at: Date;
  kind: SecurityEventKind;
  ip: string;
  /** The digest user name tried (auth-failure; a ban of one user from one address). */
  user: string | null;
  realm: string | null;
  method: string | null;
  transport: string | null;
  /**
   * auth-failure: unknown-domain, unknown-user, wrong-password, banned. scanner: the User-Agent.
   * flood, tenant-flood: the limit (and how many were refused). connection-limit: the cap and
   * refusals. overload: the bound. unban: who lifted it.
   */
  reason: string | null;
  /** ban, flood: when it ends. */
  until: Date | null;
  /** The tenant whose SIP domain the request named, when there is one (its admins see the event). */
  tenantId: string | null;
}

export type SecurityEventInput = Omit<SecurityEvent, 'id' | 'at' | 'tenantId'> & { tenantId?: string | null };

/** A value from the network made safe for a `key=value` log line: no spaces, quotes or controls. */
export function logValue(v: string, max = 64): string {
  const cut = v.length > max ? v.slice(0, max) : v;
  return cut.replace(/[^A-Za-z0-9._~+@:[\]-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** `::ffff:192.0.2.1` (a dual-stack socket's view of an IPv4 peer) is 192.0.2.1. */
export function plainIp(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(h) ? h.slice(7) : h;
}

/** The log line of an event, e.g. `SECURITY auth-failure ip=192.0.2.1 user=101 realm=… method=REGISTER transport=UDP reason=wrong-password`. */
export function securityLine(e: Omit<SecurityEvent, 'id' | 'tenantId'>): string {
  const parts = [`SECURITY ${e.kind} ip=${logValue(e.ip, 64)}`];
  if (e.user !== null) parts.push(`user=${logValue(e.user)}`);
  if (e.realm !== null) parts.push(`realm=${logValue(e.realm)}`);
  if (e.method !== null) parts.push(`method=${logValue(e.method, 16)}`);
  if (e.transport !== null) parts.push(`transport=${logValue(e.transport, 8)}`);
  if (e.reason !== null) parts.push(`${e.kind === 'scanner' ? 'agent' : 'reason'}=${logValue(e.reason)}`);
  if (e.until !== null) parts.push(`until=${e.until.toISOString()}`);
  return parts.join(' ');
}

export interface SecurityLogOptions {
  /** Events kept for the portal (the oldest go first). */
  capacity?: number;
  clock?: () => number;
  /** The tenant a realm belongs to (null: none). */
  tenantOf?: (realm: string) => string | null;
}

export class SecurityLog {
  private readonly ring: SecurityEvent[] = [];
  private readonly capacity: number;
  private readonly clock: () => number;
  private next = 1;
  /** Events since start by kind (for /metrics). */
  readonly counts: Record<SecurityEventKind, number> = {
    'auth-failure': 0,
    ban: 0,
    scanner: 0,
    flood: 0,
    'connection-limit': 0,
    'tenant-flood': 0,
    overload: 0,
    unban: 0,
  };

  constructor(
    private readonly log: Logger,
    private readonly opts: SecurityLogOptions = {},
  ) {
    this.capacity = opts.capacity ?? 2000;
    this.clock = opts.clock ?? Date.now;
  }

  record(input: SecurityEventInput): SecurityEvent {
    const e: SecurityEvent = {
      ...input,
      ip: plainIp(input.ip),
      id: this.next++,
      at: new Date(this.clock()),
      tenantId:
        input.tenantId ?? (input.realm && this.opts.tenantOf ? this.opts.tenantOf(input.realm) : null),
    };
    this.counts[e.kind]++;
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    // Warn: a node logging at warn still writes what fail2ban reads.
    this.log.warn(securityLine(e));
    return e;
  }

  /** Newest first; a tenant's own only when `tenantId` is given. */
  list(filter: { tenantId?: string; kind?: SecurityEventKind; limit?: number } = {}): SecurityEvent[] {
    const out: SecurityEvent[] = [];
    const limit = filter.limit ?? 100;
    for (let i = this.ring.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.ring[i]!;
      if (filter.tenantId !== undefined && e.tenantId !== filter.tenantId) continue;
      if (filter.kind !== undefined && e.kind !== filter.kind) continue;
      out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.ring.length;
  }
}
