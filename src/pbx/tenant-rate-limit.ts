/**
 * Per-tenant request-rate limit: every request naming a tenant's SIP domain in its
 * Request-URI counts against that tenant, so one company under attack (or with a
 * misbehaving phone fleet) cannot take the node's whole capacity from the others.
 * The per-address limit (rate-limit.ts) stops one loud source; this stops many
 * sources aimed at one tenant (a botnet, a spoofed-address flood).
 *
 * Requests are counted in fixed windows, in two budgets of `perSecond` each:
 *
 * - **known sources**: addresses that authenticated as one of the tenant's users
 *   within the last hour (or for as long as their registration lasts). Over their
 *   budget they get `503` with `Retry-After` (RFC 3261 §21.5.4): they are real phones,
 *   and an answer makes them back off instead of retransmitting into the flood.
 * - **strangers**: everyone else. Over their budget their requests are dropped
 *   unanswered over UDP, as Kamailio's pike and Asterisk's ACLs do: a spoofed-source
 *   flood gets no reflection and an attacker no signal; over TCP/TLS/WS (the address
 *   proved by the handshake) they get the `503` too.
 *
 * So a flood of strangers cannot starve the tenant's own registered phones, and the
 * tenant as a whole never takes more than twice its limit. Kamailio's `ratelimit`
 * module answers 503 from a pipe per domain in the same way (`rl_check` then
 * `sl_send_reply("503")`).
 *
 * Memory is bounded: windows exist only for tenants (a fixed set), and at most
 * `maxKnown` (tenant, address) pairs are remembered, the oldest dropped first.
 */
import type { AggregatedEvents } from './aggregated-events.js';
import { plainIp } from './security-events.js';

export interface TenantRateLimitOptions {
  /** Requests a second one tenant may take per budget (0: no limit). */
  perSecond: number;
  windowMs: number;
  /** How long an address stays known after it authenticated, unless told longer. */
  knownMs: number;
  maxKnown: number;
  clock: () => number;
  /** A tenant's own limit instead of `perSecond` (null or undefined: the default). */
  limitOf: (tenantId: string) => number | null | undefined;
}

export type TenantVerdict = 'pass' | 'drop' | 'refuse';

interface Window {
  start: number;
  known: number;
  strangers: number;
}

export class TenantRateLimiter {
  private readonly opts: TenantRateLimitOptions;
  private readonly windows = new Map<string, Window>();
  /** `tenantId ip` -> known until (epoch ms); insertion order is age. */
  private readonly known = new Map<string, number>();
  /** Requests refused (503) and dropped since start (/metrics). */
  readonly stats = { refused: 0, dropped: 0 };

  constructor(
    private readonly events: AggregatedEvents,
    opts: Partial<TenantRateLimitOptions> = {},
  ) {
    this.opts = {
      perSecond: 0,
      windowMs: 2000,
      knownMs: 3_600_000,
      maxKnown: 100_000,
      clock: Date.now,
      limitOf: () => null,
      ...opts,
    };
  }

  /** An address authenticated as one of the tenant's users (until: its registration's end, if longer). */
  vouch(tenantId: string, ip: string, until = 0): void {
    const key = `${tenantId} ${plainIp(ip)}`;
    const end = Math.max(until, this.opts.clock() + this.opts.knownMs);
    const had = this.known.get(key);
    // Each authenticated request would rewrite the entry: only when it lengthens it noticeably.
    if (had !== undefined && had >= end - 60_000) return;
    this.known.delete(key);
    this.known.set(key, end);
    if (this.known.size > this.opts.maxKnown) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }

  isKnown(tenantId: string, ip: string, now = this.opts.clock()): boolean {
    const until = this.known.get(`${tenantId} ${ip}`);
    return until !== undefined && until > now;
  }

  /**
   * Counts one request to `tenantId` from `ip` (already a plain address):
   * 'pass', 'refuse' (answer 503 with Retry-After) or 'drop' (no answer).
   */
  check(tenantId: string, ip: string, transport: string, method: string, realm: string): TenantVerdict {
    const limit = this.opts.limitOf(tenantId) ?? this.opts.perSecond;
    if (limit <= 0) return 'pass';
    const now = this.opts.clock();
    let w = this.windows.get(tenantId);
    if (!w || now - w.start >= this.opts.windowMs) {
      w = { start: now, known: 0, strangers: 0 };
      this.windows.set(tenantId, w);
    }
    const budget = Math.max(1, Math.round((limit * this.opts.windowMs) / 1000));
    const known = this.isKnown(tenantId, ip, now);
    const used = known ? ++w.known : ++w.strangers;
    if (used <= budget) return 'pass';
    const verdict: TenantVerdict = known || transport !== 'UDP' ? 'refuse' : 'drop';
    if (verdict === 'refuse') this.stats.refused++;
    else this.stats.dropped++;
    const until = new Date(w.start + this.opts.windowMs);
    this.events.note(`tenant-flood ${tenantId}`, (count) => ({
      kind: 'tenant-flood',
      ip,
      user: null,
      realm,
      method,
      transport,
      reason: `over-${limit}-per-second:refused-${count}`,
      until,
      tenantId,
    }));
    return verdict;
  }

  /** Seconds a refused source should wait: what is left of the window, at least 1. */
  retryAfter(tenantId: string): number {
    const w = this.windows.get(tenantId);
    if (!w) return 1;
    return Math.max(1, Math.ceil((w.start + this.opts.windowMs - this.opts.clock()) / 1000));
  }

  get maxKnown(): number {
    return this.opts.maxKnown;
  }

  /** (tenant, address) pairs remembered as known (tests of the memory bound). */
  get knownCount(): number {
    return this.known.size;
  }
}
