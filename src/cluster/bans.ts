/**
 * SIP bans shared by every node of a cluster: an address banned for guessing
 * passwords through one node is banned on all of them (behind Kamailio a phone's
 * next request may reach any node), and a ban lifted through one node's API is
 * lifted everywhere.
 *
 * The SIP path never waits on Redis: each node keeps every ban in its own
 * AuthGuard table, as it does for its own bans. Redis carries them between nodes:
 * - a ban is written as `<prefix>ban:<ip>[ <user>]` (JSON: until, realm) with the
 *   ban's remaining time as TTL, so Redis forgets it when it ends, and announced on
 *   `<prefix>bans`; the other nodes apply the announcement to their table;
 * - a lift deletes the key and is announced the same way;
 * - at start, and when the subscription comes back after an outage, every ban in
 *   Redis is loaded (SCAN). A lift announced during an outage is missed by a node
 *   that was cut off; that node keeps the ban until it ends.
 */
import type { Redis } from 'ioredis';
import type { AuthGuard, Ban, BanSharing } from '../pbx/auth-guard.js';

interface Announcement {
  /** The node that decided it (its own announcements are ignored). */
  n: string;
  op: 'ban' | 'lift';
  ip: string;
  user: string | null;
  until?: number;
  realm?: string | null;
}

export interface SharedBansOptions {
  prefix: string;
  node: string;
  onError?: (err: unknown, what: string) => void;
}

export class SharedBans implements BanSharing {
  private readonly channel: string;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly guard: AuthGuard,
    private readonly opts: SharedBansOptions,
  ) {
    this.channel = `${opts.prefix}bans`;
  }

  /** Loads the bans in force, follows the other nodes' bans and lifts, and shares this node's. */
  static async open(redis: Redis, guard: AuthGuard, opts: SharedBansOptions): Promise<SharedBans> {
    const sub = redis.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    const shared = new SharedBans(redis, sub, guard, opts);
    sub.on('message', (_channel: string, text: string) => shared.receive(text));
    await sub.subscribe(shared.channel);
    await shared.loadAll();
    // Connected already, so 'ready' means back from an outage: bans decided meanwhile were
    // announced to nobody here.
    sub.on('ready', () => {
      shared.loadAll().catch((e: unknown) => opts.onError?.(e, 'ban reload'));
    });
    guard.sharing = shared;
    return shared;
  }

  private keyOf(ip: string, user: string | null): string {
    return `${this.opts.prefix}ban:${user === null ? ip : `${ip} ${user}`}`;
  }

  banned(ban: Ban): void {
    if (this.closed) return;
    const ttl = ban.until.getTime() - Date.now();
    if (ttl <= 0) return;
    const a: Announcement = {
      n: this.opts.node,
      op: 'ban',
      ip: ban.ip,
      user: ban.user,
      until: ban.until.getTime(),
      realm: ban.realm,
    };
    this.redis
      .multi()
      .set(this.keyOf(ban.ip, ban.user), JSON.stringify({ until: a.until, realm: ban.realm }), 'PX', ttl)
      .publish(this.channel, JSON.stringify(a))
      .exec()
      .catch((e: unknown) => this.opts.onError?.(e, 'ban share'));
  }

  lifted(ip: string, user: string | null): void {
    if (this.closed) return;
    const a: Announcement = { n: this.opts.node, op: 'lift', ip, user };
    this.redis
      .multi()
      .del(this.keyOf(ip, user))
      .publish(this.channel, JSON.stringify(a))
      .exec()
      .catch((e: unknown) => this.opts.onError?.(e, 'ban lift share'));
  }

  /** Every ban in Redis into the local table. */
  async loadAll(): Promise<number> {
    const prefix = `${this.opts.prefix}ban:`;
    let cursor = '0';
    let loaded = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      const values = await this.redis.mget(...keys);
      keys.forEach((key, i) => {
        const parsed = parseStored(values[i] ?? null);
        if (!parsed) return;
        const rest = key.slice(prefix.length);
        const space = rest.indexOf(' ');
        this.guard.applyBan({
          ip: space < 0 ? rest : rest.slice(0, space),
          user: space < 0 ? null : rest.slice(space + 1),
          until: new Date(parsed.until),
          realm: parsed.realm,
        });
        loaded++;
      });
    } while (cursor !== '0');
    return loaded;
  }

  private receive(text: string): void {
    let a: Announcement;
    try {
      a = JSON.parse(text) as Announcement;
    } catch {
      return;
    }
    if (a.n === this.opts.node || typeof a.ip !== 'string') return;
    const user = typeof a.user === 'string' ? a.user : null;
    if (a.op === 'lift') this.guard.applyLift(a.ip, user);
    else if (a.op === 'ban' && typeof a.until === 'number')
      this.guard.applyBan({
        ip: a.ip,
        user,
        until: new Date(a.until),
        realm: typeof a.realm === 'string' ? a.realm : null,
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.guard.sharing === this) this.guard.sharing = null;
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}

function parseStored(text: string | null): { until: number; realm: string | null } | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { until?: unknown; realm?: unknown };
    if (typeof v.until !== 'number') return null;
    return { until: v.until, realm: typeof v.realm === 'string' ? v.realm : null };
  } catch {
    return null;
  }
}
