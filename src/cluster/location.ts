/**
 * The location service shared by every node of a cluster, kept in Redis.
 *
 * Why a local cache and not a Redis read per lookup: the SIP hot path (every INVITE, every
 * ring-group fork, every queue agent hunt) asks `lookup()` synchronously, and DESIGN.md §2
 * keeps network round trips off that path. So each node holds every binding in memory and
 * Redis is the shared truth behind it:
 * - writes go through: `store()` changes the cache at once (the 200 to the REGISTER reflects
 *   it) and sends the change to Redis in the background, in order on one connection;
 * - every write is announced on a pub/sub channel; other nodes re-read that AOR's hash and
 *   replace their copy, so a phone registered through node A is found by node B within one
 *   Redis round trip of the REGISTER;
 * - at start (and after Redis comes back from an outage, when announcements may have been
 *   missed) the whole set is loaded with SCAN.
 *
 * Layout: one hash per AOR, `<prefix>loc:<aor>`, a field per contact holding the binding as
 * JSON. Field-level writes (HSET the changed contacts, HDEL the removed ones) mean two phones
 * of one extension registering through two nodes at the same moment both survive. The key's
 * TTL is the latest expiry of its contacts (Redis drops an abandoned AOR by itself, e.g. one
 * whose node died), and expired fields are dropped by the same script and by each node's sweep.
 * Expiry is absolute epoch ms, so nodes' clocks must agree (NTP), as they must for CDRs anyway.
 */
import type { Redis } from 'ioredis';
import type { Binding, LocationService } from '../pbx/location.js';

/**
 * Applies one AOR's change atomically: HDEL removed contacts, HSET new ones, drop expired
 * fields, set the key's expiry to its latest contact, announce the AOR on the channel.
 * KEYS[1] the hash; ARGV: now, channel, message, count of removals, removals..., then
 * (contact, json) pairs.
 */
const STORE_SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local nDel = tonumber(ARGV[4])
local i = 5
for _ = 1, nDel do
  redis.call('HDEL', key, ARGV[i])
  i = i + 1
end
while i < #ARGV do
  redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  i = i + 2
end
local latest = 0
local all = redis.call('HGETALL', key)
for k = 1, #all, 2 do
  local ok, b = pcall(cjson.decode, all[k + 1])
  local at = ok and tonumber(b.expiresAt) or 0
  if at <= now then
    redis.call('HDEL', key, all[k])
  elseif at > latest then
    latest = at
  end
end
if latest > 0 then redis.call('PEXPIREAT', key, latest) end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return latest
`;

export interface RedisLocationOptions {
  /** Key prefix shared by the cluster (tests use a unique one). */
  prefix: string;
  /** This node's id: stamped on the bindings it creates (it holds their TCP/WS flows). */
  node: string;
  /** A background Redis write or read failed (the cache stays as it is). */
  onError?: (err: unknown, what: string) => void;
}

interface Announcement {
  n: string;
  a: string;
}

type StoreCommand = (key: string, ...args: (string | number)[]) => Promise<number>;

export class RedisLocation implements LocationService {
  private readonly cache = new Map<string, Binding[]>();
  /** Bumped on every local change of an AOR: a remote re-read issued before it is stale. */
  private readonly generation = new Map<string, number>();
  private readonly channel: string;
  private readonly keyPrefix: string;
  private closed = false;
  private loads = 0;
  /** Another node changed an AOR (agents of queues on this node may have become reachable). */
  onRemoteChange: ((aor: string) => void) | null = null;

  private constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly opts: RedisLocationOptions,
  ) {
    this.channel = `${opts.prefix}loc`;
    this.keyPrefix = `${opts.prefix}loc:`;
    redis.defineCommand('nimbusLocStore', { numberOfKeys: 1, lua: STORE_SCRIPT });
  }

  /**
   * Subscribes, then loads every binding (in that order, so no change falls between the two).
   * `redis` is the node's command connection; a second one is opened for the subscription.
   */
  static async open(redis: Redis, opts: RedisLocationOptions): Promise<RedisLocation> {
    const sub = redis.duplicate();
    sub.on('error', () => {}); // reported through the command connection's checks
    await sub.connect();
    const loc = new RedisLocation(redis, sub, opts);
    sub.on('message', (_channel: string, text: string) => loc.onAnnouncement(text));
    await sub.subscribe(loc.channel);
    await loc.loadAll();
    // After an outage announcements may have been missed: the whole set is read again.
    sub.on('ready', () => {
      if (loc.loads > 0) void loc.loadAll().catch((e: unknown) => loc.fail(e, 'location reload'));
    });
    return loc;
  }

  lookup(aor: string, now: number): Binding[] {
    return (this.cache.get(aor) ?? []).filter((b) => b.expiresAt > now).sort((a, b) => b.q - a.q);
  }

  store(aor: string, bindings: Binding[]): void {
    const before = this.cache.get(aor) ?? [];
    // A binding without a node was just made by this node's registrar: this node holds its flow.
    const stamped = bindings.map((b) => (b.node ? b : { ...b, node: this.opts.node }));
    this.setCache(aor, stamped);
    this.generation.set(aor, (this.generation.get(aor) ?? 0) + 1);
    const kept = new Set(stamped.map((b) => b.contact));
    const removed = before.filter((b) => !kept.has(b.contact)).map((b) => b.contact);
    const previous = new Map(before.map((b) => [b.contact, b]));
    const changed = stamped.filter((b) => previous.get(b.contact) !== b);
    this.write(aor, removed, changed, true);
  }

  sweep(now: number): number {
    let n = 0;
    for (const [aor, list] of this.cache) {
      const live = list.filter((b) => b.expiresAt > now);
      if (live.length === list.length) continue;
      n += list.length - live.length;
      this.setCache(aor, live);
      // Every node sweeps its own cache; only the node that made a binding tidies Redis for it
      // (the key's TTL covers a node that died), so N nodes do not all write the same deletion.
      const mine = list.filter((b) => b.expiresAt <= now && b.node === this.opts.node).map((b) => b.contact);
      if (mine.length) this.write(aor, mine, [], false);
    }
    return n;
  }

  entries(now: number): [string, Binding][] {
    const out: [string, Binding][] = [];
    for (const [aor, list] of this.cache) for (const b of list) if (b.expiresAt > now) out.push([aor, b]);
    return out;
  }

  remove(aor: string, contact: string): void {
    const list = this.cache.get(aor);
    if (!list?.some((b) => b.contact === contact)) return;
    this.store(
      aor,
      list.filter((b) => b.contact !== contact),
    );
  }

  get size(): number {
    let n = 0;
    for (const list of this.cache.values()) n += list.length;
    return n;
  }

  /** Stops following other nodes' changes (the command connection belongs to the caller). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sub.quit().catch(() => this.sub.disconnect());
  }

  /** Reads every AOR from Redis into the cache (start-up, and after an outage). */
  async loadAll(): Promise<number> {
    this.loads++;
    const fresh = new Map<string, Binding[]>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (!keys.length) continue;
      const pipeline = this.redis.pipeline();
      for (const k of keys) pipeline.hgetall(k);
      const results = (await pipeline.exec()) ?? [];
      keys.forEach((k, i) => {
        const [err, hash] = results[i] ?? [null, null];
        if (err || !hash) return;
        const list = parseHash(hash as Record<string, string>);
        if (list.length) fresh.set(k.slice(this.keyPrefix.length), list);
      });
    } while (cursor !== '0');
    // AORs changed here while the load ran keep their local (newer) state.
    const started = new Map(this.generation);
    for (const aor of this.cache.keys())
      if (!fresh.has(aor) && this.generation.get(aor) === started.get(aor)) this.cache.delete(aor);
    for (const [aor, list] of fresh) this.cache.set(aor, list);
    return fresh.size;
  }

  private setCache(aor: string, list: Binding[]): void {
    if (list.length) this.cache.set(aor, list);
    else this.cache.delete(aor);
  }

  private write(aor: string, removed: string[], changed: Binding[], announce: boolean): void {
    if (this.closed) return;
    const args: (string | number)[] = [
      Date.now(),
      announce ? this.channel : '',
      JSON.stringify({ n: this.opts.node, a: aor } satisfies Announcement),
      removed.length,
      ...removed,
    ];
    for (const b of changed) args.push(b.contact, JSON.stringify(b));
    const run = (this.redis as unknown as { nimbusLocStore: StoreCommand }).nimbusLocStore;
    run.call(this.redis, this.keyPrefix + aor, ...args).catch((e: unknown) => this.fail(e, 'location write'));
  }

  private onAnnouncement(text: string): void {
    let msg: Announcement;
    try {
      msg = JSON.parse(text) as Announcement;
    } catch {
      return;
    }
    if (msg.n === this.opts.node || typeof msg.a !== 'string') return;
    this.reread(msg.a, 0);
  }

  /** Replaces the cached AOR with Redis's copy, unless this node changed it meanwhile (then reads again). */
  private reread(aor: string, attempt: number): void {
    if (this.closed) return;
    const gen = this.generation.get(aor) ?? 0;
    this.redis
      .hgetall(this.keyPrefix + aor)
      .then((hash) => {
        if ((this.generation.get(aor) ?? 0) !== gen) {
          // Our own write went out after this read: read again so both changes are seen.
          if (attempt < 3) this.reread(aor, attempt + 1);
          return;
        }
        this.setCache(aor, parseHash(hash));
        this.onRemoteChange?.(aor);
      })
      .catch((e: unknown) => this.fail(e, 'location read'));
  }

  private fail(err: unknown, what: string): void {
    if (!this.closed) this.opts.onError?.(err, what);
  }
}

function parseHash(hash: Record<string, string>): Binding[] {
  const out: Binding[] = [];
  for (const text of Object.values(hash)) {
    try {
      const b = JSON.parse(text) as Binding;
      if (typeof b.contact === 'string' && typeof b.expiresAt === 'number') out.push(b);
    } catch {
      // A field another version wrote in a shape this one cannot read is skipped, not fatal.
    }
  }
  return out;
}
