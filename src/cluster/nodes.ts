/**
 * Node identity and heartbeat. Each node holds `<prefix>node:<id>` in Redis, rewritten every
 * `intervalMs` with a TTL of `ttlMs`: a node that dies (SIGKILL, power) disappears from the
 * list of live nodes within the TTL, with nothing needed from it. The value names a random
 * instance, so two processes started with the same NIMBUS_NODE_ID are caught at start
 * instead of silently sharing CDRs and flows. Every node that joined is also in the set
 * `<prefix>members` until it leaves cleanly, so a member without a heartbeat is a dead node.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface NodeInfo {
  id: string;
  /** Random per process: tells a restarted node (or an impostor) from the one before. */
  instance: string;
  startedAt: string;
  lastSeenAt: string;
  /** Where the node's SIP (UDP/TCP) listens, `host:port`, once bound. */
  sip: string | null;
  /** Its HTTP API, `host:port`, once bound. */
  http: string | null;
}

export interface NodeRegistryOptions {
  prefix: string;
  node: string;
  ttlMs?: number;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

/** SET the heartbeat only while the key is absent or ours (KEYS[1]; ARGV: instance, value, ttl). */
const BEAT_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, v = pcall(cjson.decode, cur)
  if ok and v.instance ~= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

type BeatCommand = (key: string, instance: string, value: string, ttl: number) => Promise<number>;

export class NodeIdInUseError extends Error {
  constructor(id: string, other: NodeInfo) {
    super(
      `Node id "${id}" is in use by a running node (started ${other.startedAt}, SIP ${other.sip ?? 'unknown'}): give each node its own NIMBUS_NODE_ID.`,
    );
    this.name = 'NodeIdInUseError';
  }
}

export class NodeRegistry {
  readonly info: NodeInfo;
  private readonly key: string;
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastBeatOk = false;

  private constructor(
    private readonly redis: Redis,
    private readonly opts: NodeRegistryOptions,
  ) {
    this.key = `${opts.prefix}node:${opts.node}`;
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.intervalMs = opts.intervalMs ?? Math.max(100, Math.floor(this.ttlMs / 3));
    const now = new Date().toISOString();
    this.info = {
      id: opts.node,
      instance: randomBytes(8).toString('hex'),
      startedAt: now,
      lastSeenAt: now,
      sip: null,
      http: null,
    };
    redis.defineCommand('nimbusNodeBeat', { numberOfKeys: 1, lua: BEAT_SCRIPT });
  }

  /**
   * Claims the id and starts beating. When the key is held by another instance, waits one
   * TTL: a node restarted after a crash finds its previous self's key, which then expires;
   * a key still being renewed belongs to a live node, and start-up fails.
   */
  static async join(redis: Redis, opts: NodeRegistryOptions): Promise<NodeRegistry> {
    const reg = new NodeRegistry(redis, opts);
    const deadline = Date.now() + reg.ttlMs + 1000;
    let seen: string | null = null;
    let renewed = false;
    for (;;) {
      if (await reg.beat()) break;
      const cur = await redis.get(reg.key);
      if (cur !== null && seen !== null && cur !== seen) renewed = true;
      if (cur !== null) seen = cur;
      if (renewed || Date.now() > deadline) {
        const other = seen ? (JSON.parse(seen) as NodeInfo) : reg.info;
        throw new NodeIdInUseError(opts.node, other);
      }
      await new Promise((r) => setTimeout(r, Math.min(500, reg.intervalMs)));
    }
    // A member until it leaves cleanly: a member without a heartbeat has died (src/cluster/failover.ts).
    // A takeover of this id's previous run that is still claimed is over: this run is alive.
    await redis
      .multi()
      .sadd(`${opts.prefix}members`, opts.node)
      .del(`${opts.prefix}takeover:${opts.node}`)
      .exec();
    reg.timer = setInterval(
      () => void reg.beat().catch((e: unknown) => reg.opts.onError?.(e)),
      reg.intervalMs,
    );
    reg.timer.unref();
    return reg;
  }

  /** Fills in the addresses once the node has bound its ports, and says so at once. */
  async describe(addresses: { sip: string; http: string }): Promise<void> {
    this.info.sip = addresses.sip;
    this.info.http = addresses.http;
    await this.beat();
  }

  /** Writes the heartbeat; false when another instance holds the id. */
  async beat(): Promise<boolean> {
    this.info.lastSeenAt = new Date().toISOString();
    const run = (this.redis as unknown as { nimbusNodeBeat: BeatCommand }).nimbusNodeBeat;
    const ok =
      (await run.call(this.redis, this.key, this.info.instance, JSON.stringify(this.info), this.ttlMs)) === 1;
    this.lastBeatOk = ok;
    return ok;
  }

  /** Readiness: the heartbeat is ours and Redis takes it now. */
  async check(): Promise<void> {
    if (!(await this.beat())) throw new Error(`node id ${this.opts.node} is held by another process`);
  }

  get healthy(): boolean {
    return this.lastBeatOk;
  }

  /** Nodes whose heartbeat has not expired, by id. */
  async live(): Promise<NodeInfo[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${this.opts.prefix}node:*`, 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (!keys.length) return [];
    const values = await this.redis.mget(...keys);
    const out: NodeInfo[] = [];
    for (const v of values) {
      if (!v) continue;
      try {
        out.push(JSON.parse(v) as NodeInfo);
      } catch {
        // A value this version cannot read is left out of the list.
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Stops beating and leaves the list at once (a clean shutdown; a crash leaves by TTL). */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const cur = await this.redis.get(this.key).catch(() => null);
    if (cur && (JSON.parse(cur) as NodeInfo).instance === this.info.instance)
      await this.redis.multi().del(this.key).srem(`${this.opts.prefix}members`, this.opts.node).exec();
  }

  /** Ids that joined and never left cleanly (live ones included). */
  async members(): Promise<string[]> {
    return this.redis.smembers(`${this.opts.prefix}members`);
  }

  get id(): string {
    return this.opts.node;
  }

  get heartbeatMs(): number {
    return this.intervalMs;
  }
}
