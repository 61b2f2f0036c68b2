/**
 * Per-address request-rate limit, in the manner of Kamailio's pike module: the
 * requests from each source address are counted in fixed windows; an address
 * that sends more than its share in a window is blocked — its requests dropped
 * unanswered, before any transaction, hashing or routing — for a while. A flood
 * from one address then costs a parse and a map lookup per packet, and phones on
 * other addresses keep their service. The allow-list (NIMBUS_SIP_ALLOW: the load
 * balancer in front, an office NAT) is never limited.
 *
 * Memory is bounded: at most `maxTracked` addresses are remembered, oldest first out.
 */
import { plainIp, type SecurityLog } from './security-events.js';

export interface RateLimitOptions {
  /** Requests a second one address may send, averaged over a window (0: no limit). */
  perSecond: number;
  windowMs: number;
  /** How long an address that went over stays blocked. */
  blockMs: number;
  maxTracked: number;
  clock: () => number;
  allowed: (ip: string) => boolean;
}

interface Slot {
  windowStart: number;
  count: number;
  blockedUntil: number;
}

export class RequestRateLimiter {
  private readonly opts: RateLimitOptions;
  private readonly slots = new Map<string, Slot>();
  private readonly perWindow: number;
  /** Requests dropped since start. */
  dropped = 0;

  constructor(
    private readonly events: SecurityLog,
    opts: Partial<RateLimitOptions> = {},
  ) {
    this.opts = {
      perSecond: 0,
      windowMs: 2000,
      blockMs: 30_000,
      maxTracked: 100_000,
      clock: Date.now,
      allowed: () => false,
      ...opts,
    };
    this.perWindow = Math.max(1, Math.round((this.opts.perSecond * this.opts.windowMs) / 1000));
  }

  get enabled(): boolean {
    return this.opts.perSecond > 0;
  }

  /** True when this request from `host` must be dropped. */
  drop(host: string, transport: string, method: string): boolean {
    if (this.opts.perSecond <= 0) return false;
    const now = this.opts.clock();
    let slot = this.slots.get(host);
    if (slot && slot.blockedUntil > now) {
      this.dropped++;
      return true;
    }
    if (!slot || now - slot.windowStart >= this.opts.windowMs) {
      // A new window; the entry moves to the back, so the least recently active go first.
      if (slot) this.slots.delete(host);
      slot = { windowStart: now, count: 0, blockedUntil: 0 };
      this.slots.set(host, slot);
      if (this.slots.size > this.opts.maxTracked) {
        const oldest = this.slots.keys().next().value;
        if (oldest !== undefined) this.slots.delete(oldest);
      }
    }
    slot.count++;
    if (slot.count <= this.perWindow) return false;
    const ip = plainIp(host);
    if (this.opts.allowed(ip)) return false;
    slot.blockedUntil = now + this.opts.blockMs;
    this.dropped++;
    this.events.record({
      kind: 'flood',
      ip,
      user: null,
      realm: null,
      method,
      transport,
      reason: `over-${this.opts.perSecond}-per-second`,
      until: new Date(slot.blockedUntil),
    });
    return true;
  }

  /** The most addresses remembered. */
  get maxTracked(): number {
    return this.opts.maxTracked;
  }

  /** Addresses remembered (tests of the memory bound). */
  get tracked(): number {
    return this.slots.size;
  }
}
