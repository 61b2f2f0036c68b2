/**
 * The SIP side's flood and resource defences that sit beside the per-address rate
 * limit, the scanner filter and the ban list (docs/security.md, "Floods" and
 * "Bounded memory"):
 *
 * - the per-tenant request rate (tenant-rate-limit.ts), checked for every request
 *   before its transaction;
 * - the per-address connection cap and the silent/idle deadlines of TCP, TLS and
 *   WebSocket connections (src/sip/transport/connection-guard.ts), whose refusals
 *   become security events here;
 * - explicit bounds on calls (each holds its dialogs) and subscriptions, and the
 *   transaction layer's, refusing new work with 503 and a security event.
 *
 * Kept apart from sip-service.ts so the service only asks yes-or-no questions.
 */
import { makeResponse } from '../sip/build.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { LayerBound, LayerLimits } from '../sip/transaction/layer.js';
import type { Destination, TransportName } from '../sip/transaction/types.js';
import type { ConnectionGuardOptions } from '../sip/transport/connection-guard.js';
import { AggregatedEvents } from './aggregated-events.js';
import { plainIp, type SecurityLog } from './security-events.js';
import { TenantRateLimiter } from './tenant-rate-limit.js';

export interface DefenceOptions {
  /** Requests a second one tenant may take, per budget (known phones, strangers); 0: no limit. */
  tenantRateLimit: number;
  /** A tenant's own limit instead of `tenantRateLimit` (null: the platform's). */
  tenantLimitOf: (tenantId: string) => number | null | undefined;
  /** Sources the tenant limit never counts (the allow-list). */
  exempt: (ip: string) => boolean;
  /** Per-address connection cap and deadlines (TCP, TLS, WS). */
  connections: Partial<Omit<ConnectionGuardOptions, 'exempt' | 'clock'>>;
  /** Server transactions in progress past which requests get 503. */
  maxServerTransactions: number;
  /** Client transactions in progress past which new requests fail as unsent. */
  maxClientTransactions: number;
  /** Calls in progress (each holds its dialogs and, anchored, media) past which INVITEs get 503. */
  maxCalls: number;
  /** Subscriptions (busy lamps, message waiting) past which new SUBSCRIBEs get 503. */
  maxSubscriptions: number;
  clock: () => number;
}

export const DEFENCE_DEFAULTS: Omit<DefenceOptions, 'tenantLimitOf' | 'exempt' | 'clock'> = {
  tenantRateLimit: 0,
  connections: {},
  maxServerTransactions: 50_000,
  maxClientTransactions: 50_000,
  maxCalls: 10_000,
  maxSubscriptions: 100_000,
};

/** What a bound refused, as named in events and metrics. */
export type Bound = LayerBound | 'calls' | 'subscriptions';

export class Defences {
  readonly opts: DefenceOptions;
  readonly aggregated: AggregatedEvents;
  readonly tenantLimit: TenantRateLimiter;
  /** Tenants may have limits of their own: checked even with no platform-wide limit. */
  private readonly perTenant: boolean;
  /** Work refused at each bound since start (/metrics). */
  readonly refused: Record<Bound, number> = {
    'server-transactions': 0,
    'client-transactions': 0,
    calls: 0,
    subscriptions: 0,
  };

  constructor(
    log: SecurityLog,
    private readonly tenantOf: (domain: string) => { id: string } | undefined,
    opts: Partial<DefenceOptions> = {},
  ) {
    this.opts = {
      ...DEFENCE_DEFAULTS,
      tenantLimitOf: () => null,
      exempt: () => false,
      clock: Date.now,
      ...opts,
    };
    this.perTenant = opts.tenantLimitOf !== undefined;
    this.aggregated = new AggregatedEvents(log, { clock: this.opts.clock });
    this.tenantLimit = new TenantRateLimiter(this.aggregated, {
      perSecond: this.opts.tenantRateLimit,
      clock: this.opts.clock,
      limitOf: this.opts.tenantLimitOf,
    });
  }

  /** The transaction layer's bounds, its refusals reported here. */
  layerLimits(): Partial<LayerLimits> {
    return {
      maxServerTransactions: this.opts.maxServerTransactions,
      maxClientTransactions: this.opts.maxClientTransactions,
      overloaded: (bound, req, source) => this.overloaded(bound, req, source),
    };
  }

  /**
   * A request before its transaction: true when it has been dealt with here
   * (dropped, or refused with 503) and must go no further. `client` is who sent
   * it (behind a trusted proxy, the phone); `reply` sends a response statelessly.
   * `viaProxy`: it came through a trusted proxy, which is always answered (503 rather
   * than silence): Kamailio takes a node that leaves requests unanswered for dead, so a
   * flood of strangers to one tenant would otherwise take the node out for every tenant.
   */
  screen(req: SipRequest, client: Destination, reply: (res: SipResponse) => void, viaProxy = false): boolean {
    // ACK and CANCEL belong to a transaction already admitted (and an ACK cannot be answered).
    if (req.method === 'ACK' || req.method === 'CANCEL') return false;
    if (this.opts.tenantRateLimit <= 0 && !this.perTenant) return false;
    const tenant = this.tenantOf(req.uri.host);
    if (!tenant) return false;
    const ip = plainIp(client.host);
    if (this.opts.exempt(ip)) return false;
    const verdict = this.tenantLimit.check(tenant.id, ip, client.transport, req.method, req.uri.host);
    if (verdict === 'pass') return false;
    if (verdict === 'refuse' || viaProxy) {
      const wait = String(this.tenantLimit.retryAfter(tenant.id));
      reply(makeResponse(req, 503, { reason: 'Service Unavailable', headers: [['Retry-After', wait]] }));
    }
    return true;
  }

  /** A REGISTER was accepted (200) or a request authenticated: its source is one of the tenant's own. */
  vouch(tenantId: string, client: Destination, until = 0): void {
    this.tenantLimit.vouch(tenantId, plainIp(client.host), until);
  }

  /** A new call may start with `active` calls in progress; else the 503 that refuses it. */
  admitCall(active: number, req: SipRequest, source: Destination): SipResponse | null {
    if (active < this.opts.maxCalls) return null;
    this.overloaded('calls', req, source);
    return makeResponse(req, 503, { headers: [['Retry-After', '5']] });
  }

  /** A new subscription may start with `active` in place; else the 503 that refuses it. */
  admitSubscription(active: number, req: SipRequest, source: Destination): SipResponse | null {
    if (active < this.opts.maxSubscriptions) return null;
    this.overloaded('subscriptions', req, source);
    return makeResponse(req, 503, { headers: [['Retry-After', '30']] });
  }

  /** An inbound connection closed at once over its address's cap. */
  connectionRefused(ip: string, transport: TransportName): void {
    const a = plainIp(ip);
    const cap = this.opts.connections.maxPerIp;
    this.aggregated.note(`connection-limit ${transport} ${a}`, (count) => ({
      kind: 'connection-limit',
      ip: a,
      user: null,
      realm: null,
      method: null,
      transport,
      reason: `over-${cap ?? 'cap'}-connections:refused-${count}`,
      until: null,
    }));
  }

  private overloaded(bound: Bound, req: SipRequest, source: Destination | null): void {
    this.refused[bound]++;
    const max =
      bound === 'server-transactions'
        ? this.opts.maxServerTransactions
        : bound === 'client-transactions'
          ? this.opts.maxClientTransactions
          : bound === 'calls'
            ? this.opts.maxCalls
            : this.opts.maxSubscriptions;
    // One event per bound a minute: an overload is about the node, not about one address.
    this.aggregated.note(`overload ${bound}`, (count) => ({
      kind: 'overload',
      ip: source ? plainIp(source.host) : '-',
      user: null,
      realm: null,
      method: req.method,
      transport: source?.transport ?? null,
      reason: `${bound}-at-${max}:refused-${count}`,
      until: null,
    }));
  }
}
