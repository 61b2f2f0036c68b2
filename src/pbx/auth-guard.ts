/**
 * Brute-force protection for SIP digest authentication (DESIGN.md §5): failures
 * are counted per (address, user) and per address over a window; past a limit the
 * pair, or the whole address, is banned for a while. A banned source is answered
 * exactly like a wrong password (the same 403 after the same hashing), so the
 * attacker cannot tell a ban from a miss and a password guessed while banned is
 * never confirmed. Addresses on the allow-list are never counted or banned.
 *
 * Memory is bounded: each table holds at most `maxEntries` keys, oldest dropped
 * first (a flood of spoofed addresses pushes out counters, never grows the heap).
 *
 * In a cluster, bans are shared (src/cluster/bans.ts): a ban decided here is told
 * to `sharing`, and bans decided elsewhere arrive through `applyBan` into the same
 * local table, so the SIP path never waits on Redis.
 */
import { BlockList, isIP } from 'node:net';
import type { AuthFailure, AuthWatch } from './authenticate.js';
import { plainIp, type SecurityLog } from './security-events.js';

export interface AuthGuardOptions {
  /** Failures of one user from one address that ban that pair (0: never). */
  userFailures: number;
  /** Failures from one address, any users, that ban the address (0: never). */
  ipFailures: number;
  windowMs: number;
  banMs: number;
  /** Addresses and CIDR ranges never banned (the office, the load balancer, monitoring). */
  allow: readonly string[];
  maxEntries: number;
}

export const AUTH_GUARD_DEFAULTS: AuthGuardOptions = {
  userFailures: 10,
  ipFailures: 20,
  windowMs: 10 * 60_000,
  banMs: 15 * 60_000,
  allow: [],
  maxEntries: 100_000,
};

/** Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`; null when it is none of those. */
export function parseCidr(entry: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | null {
  const [addr, bits, extra] = entry.trim().split('/');
  if (extra !== undefined || !addr) return null;
  const family = isIP(addr);
  if (!family) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  if (prefix < 0 || prefix > max) return null;
  return { address: addr, prefix, type: family === 4 ? 'ipv4' : 'ipv6' };
}

/** A Map that keeps at most `max` keys, dropping the least recently written. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
  delete(k: string): void {
    this.map.delete(k);
  }
  get size(): number {
    return this.map.size;
  }
  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }
}

interface Counter {
  count: number;
  since: number;
}

export interface Ban {
  ip: string;
  /** null: the whole address; otherwise only this user from it. */
  user: string | null;
  until: Date;
  /** The SIP domain the failures named (whose tenant's admins may lift a user's ban); null if unknown. */
  realm: string | null;
}

/** Where bans decided or lifted on this node go (the cluster's shared list). */
export interface BanSharing {
  banned(ban: Ban): void;
  lifted(ip: string, user: string | null): void;
}

interface BanEntry {
  until: number;
  realm: string | null;
}

export class AuthGuard implements AuthWatch {
  private readonly opts: AuthGuardOptions;
  private allowList = new BlockList();
  /** Entries in the allow-list: the node's setting and the operator's list together. */
  private allowCount = 0;
  /** The allow-list's answers by address (bounded): with a list set, every request asks. */
  private readonly allowCache = new Map<string, boolean>();
  private readonly userCounts: BoundedMap<Counter>;
  private readonly ipCounts: BoundedMap<Counter>;
  /** Key `ip` (whole address) or `ip user` → end of the ban (ms) and the domain named. */
  private readonly bans: BoundedMap<BanEntry>;
  /** Set in a cluster: bans decided and lifted here are told to the other nodes. */
  sharing: BanSharing | null = null;

  constructor(
    private readonly events: SecurityLog,
    opts: Partial<AuthGuardOptions> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.opts = { ...AUTH_GUARD_DEFAULTS, ...opts };
    for (const entry of this.opts.allow) {
      const c = parseCidr(entry);
      if (!c) throw new Error(`not an address or CIDR range: ${JSON.stringify(entry)}`);
      this.allowList.addSubnet(c.address, c.prefix, c.type);
    }
    this.allowCount = this.opts.allow.length;
    this.userCounts = new BoundedMap(this.opts.maxEntries);
    this.ipCounts = new BoundedMap(this.opts.maxEntries);
    this.bans = new BoundedMap(this.opts.maxEntries);
  }

  allowed(ip: string): boolean {
    // BlockList.check() builds a SocketAddress each time (about a microsecond, on every
    // authenticated request): skipped when nothing is allowed, as by default.
    if (this.allowCount === 0) return false;
    const known = this.allowCache.get(ip);
    if (known !== undefined) return known;
    const a = plainIp(ip);
    const family = isIP(a);
    const yes = family !== 0 && this.allowList.check(a, family === 4 ? 'ipv4' : 'ipv6');
    if (this.allowCache.size >= 10_000) this.allowCache.clear();
    this.allowCache.set(ip, yes);
    return yes;
  }

  /**
   * The operator's allow-list (kept in the database, edited in the portal) beside the
   * node's own setting: replaces the previous operator's list. Entries that do not parse
   * are left out and returned.
   */
  setExtraAllow(entries: readonly string[]): string[] {
    const list = new BlockList();
    const rejected: string[] = [];
    let n = 0;
    for (const entry of [...this.opts.allow, ...entries]) {
      const c = parseCidr(entry);
      if (!c) {
        rejected.push(entry);
        continue;
      }
      list.addSubnet(c.address, c.prefix, c.type);
      n++;
    }
    this.allowList = list;
    this.allowCount = n;
    this.allowCache.clear();
    return rejected;
  }

  /** Whether `ip` is banned outright (the UA core may treat such a source as a stranger everywhere). */
  ipBanned(ip: string): boolean {
    return this.banned(plainIp(ip));
  }

  refused(ip: string, user: string): boolean {
    const a = plainIp(ip);
    if (this.allowed(a)) return false;
    return this.banned(a) || this.banned(`${a} ${user}`);
  }

  failed(f: {
    ip: string;
    user: string;
    realm: string;
    method: string;
    transport: string;
    reason: AuthFailure;
  }): void {
    const ip = plainIp(f.ip);
    this.events.record({
      kind: 'auth-failure',
      ip,
      user: f.user,
      realm: f.realm,
      method: f.method,
      transport: f.transport,
      reason: f.reason,
      until: null,
    });
    // Attempts while banned do not lengthen the ban: it ends when it said it would.
    if (f.reason === 'banned' || this.allowed(ip)) return;
    const now = this.clock();
    const pair = `${ip} ${f.user}`;
    if (this.opts.userFailures > 0 && this.bump(this.userCounts, pair, now) >= this.opts.userFailures) {
      this.userCounts.delete(pair);
      this.ban(pair, ip, f.user, f.realm, now);
    }
    if (this.opts.ipFailures > 0 && this.bump(this.ipCounts, ip, now) >= this.opts.ipFailures) {
      this.ipCounts.delete(ip);
      this.ban(ip, ip, null, f.realm, now);
    }
  }

  /** Bans in force, newest last. */
  activeBans(): Ban[] {
    const now = this.clock();
    const out: Ban[] = [];
    for (const [key, b] of this.bans.entries()) {
      if (b.until <= now) continue;
      const space = key.indexOf(' ');
      out.push({
        ip: space < 0 ? key : key.slice(0, space),
        user: space < 0 ? null : key.slice(space + 1),
        until: new Date(b.until),
        realm: b.realm,
      });
    }
    return out;
  }

  /** The ban in force on exactly this address (user null) or this user from it, if any. */
  banOf(ip: string, user: string | null = null): Ban | null {
    const a = plainIp(ip);
    const key = user === null ? a : `${a} ${user}`;
    if (!this.banned(key)) return null;
    const b = this.bans.get(key)!;
    return { ip: a, user, until: new Date(b.until), realm: b.realm };
  }

  /**
   * Lifts a ban early (the operator knows the address); true when there was one.
   * The counters of the address (and pair) start again from zero, or the next miss
   * would ban it again at once. Told to the other nodes of a cluster.
   */
  lift(ip: string, user: string | null = null): boolean {
    const had = this.applyLift(ip, user);
    this.sharing?.lifted(plainIp(ip), user);
    return had;
  }

  /** A ban decided by another node: applied here (no event: that node recorded it). */
  applyBan(ban: Ban): void {
    if (ban.until.getTime() <= this.clock()) return;
    const a = plainIp(ban.ip);
    const key = ban.user === null ? a : `${a} ${ban.user}`;
    const had = this.bans.get(key);
    if (had && had.until >= ban.until.getTime()) return;
    this.bans.set(key, { until: ban.until.getTime(), realm: ban.realm });
  }

  /** A ban lifted on another node (or here): gone, with its counters. */
  applyLift(ip: string, user: string | null): boolean {
    const a = plainIp(ip);
    const key = user === null ? a : `${a} ${user}`;
    const had = this.banned(key);
    this.bans.delete(key);
    if (user === null) this.ipCounts.delete(a);
    else this.userCounts.delete(key);
    return had;
  }

  /** The most entries each table holds. */
  get capacity(): number {
    return this.opts.maxEntries;
  }

  /** Entries held (tests of the memory bound). */
  get tracked(): { users: number; ips: number; bans: number } {
    return { users: this.userCounts.size, ips: this.ipCounts.size, bans: this.bans.size };
  }

  private banned(key: string): boolean {
    const b = this.bans.get(key);
    if (b === undefined) return false;
    if (b.until > this.clock()) return true;
    this.bans.delete(key);
    return false;
  }

  private bump(table: BoundedMap<Counter>, key: string, now: number): number {
    const c = table.get(key);
    // A fixed window from the first failure: simple, bounded, and close enough to "n in 10 min".
    const next =
      c && now - c.since < this.opts.windowMs
        ? { count: c.count + 1, since: c.since }
        : { count: 1, since: now };
    table.set(key, next);
    return next.count;
  }

  private ban(key: string, ip: string, user: string | null, realm: string, now: number): void {
    const until = now + this.opts.banMs;
    this.bans.set(key, { until, realm });
    this.sharing?.banned({ ip, user, until: new Date(until), realm });
    this.events.record({
      kind: 'ban',
      ip,
      user,
      realm,
      method: null,
      transport: null,
      reason: null,
      until: new Date(until),
    });
  }
}
