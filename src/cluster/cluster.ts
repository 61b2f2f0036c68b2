/**
 * A node's membership of a cluster: the shared state every node of one installation keeps
 * in Redis (REDIS_URL). Opened by app.ts when Redis is configured; a single node without
 * Redis has none of this and keeps everything in memory.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { ClusterBus } from './bus.js';
import { DeadNodeWatcher } from './failover.js';
import { type Leftovers, LiveRegistry } from './live-registry.js';
import { RedisLocation } from './location.js';
import { NodeRegistry } from './nodes.js';
import { TrunkLeases } from './trunk-leases.js';

export interface ClusterOptions {
  /** Key and channel prefix (NIMBUS_REDIS_PREFIX). */
  prefix: string;
  /** This node's id (NIMBUS_NODE_ID, or defaultNodeId()). */
  node: string;
  log: Logger;
  /** How long a silent node stays in the list of live nodes (default 10 s; tests shorten it). */
  heartbeatTtlMs?: number;
}

export interface Cluster {
  readonly node: string;
  readonly prefix: string;
  readonly location: RedisLocation;
  /** This node's heartbeat and the list of live nodes. */
  readonly nodes: NodeRegistry;
  /** Configuration changes and live events between nodes. */
  readonly bus: ClusterBus;
  /** Which node registers each registration trunk (one per trunk, taken over when it dies). */
  readonly trunkLeases: TrunkLeases;
  /** Every node's live calls and queue callers (src/cluster/live-registry.ts). */
  readonly live: LiveRegistry;
  /** What an earlier run of this node id left in the registry (it crashed and came back first). */
  readonly leftovers: Leftovers;
  /**
   * The digest-nonce secret every node signs with: a phone challenged by one node may send
   * its answer through Kamailio to another, which must accept that nonce.
   */
  readonly secret: Buffer;
  /** Starts looking for dead nodes; `handler` is this survivor's takeover of one (src/cluster/failover.ts). */
  watchDeadNodes(handler: (node: string) => Promise<void>): void;
  close(): Promise<void>;
}

/**
 * A node id when none is configured: the host name and SIP port, stable across restarts (a
 * restarted node then closes its own calls left open). With port 0 (tests) a random suffix
 * keeps two nodes of one host apart.
 */
export function defaultNodeId(sipPort: number): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 48) || 'node';
  return sipPort > 0 ? `${host}:${sipPort}` : `${host}:${Math.random().toString(36).slice(2, 8)}`;
}

export async function openCluster(redis: Redis, opts: ClusterOptions): Promise<Cluster> {
  // The first node to start makes the secret; the rest read it (SET NX then GET, no race).
  const secretKey = `${opts.prefix}nonce-secret`;
  await redis.set(secretKey, randomBytes(32).toString('base64'), 'NX');
  const shared = await redis.get(secretKey);
  if (!shared) throw new Error('Redis lost the cluster nonce secret just written');
  // The id is claimed first: a second process with the same id stops here, before it touches anything.
  const nodes = await NodeRegistry.join(redis, {
    prefix: opts.prefix,
    node: opts.node,
    ...(opts.heartbeatTtlMs ? { ttlMs: opts.heartbeatTtlMs } : {}),
    onError: (err) => opts.log.warn({ err }, 'heartbeat failed'),
  });
  const location = await RedisLocation.open(redis, {
    prefix: opts.prefix,
    node: opts.node,
    onError: (err, what) => opts.log.warn({ err }, `${what} failed`),
  }).catch(async (e: unknown) => {
    await nodes.leave().catch(() => {});
    throw e;
  });
  const bus = await ClusterBus.open(redis, {
    prefix: opts.prefix,
    node: opts.node,
    onError: (err, what) => opts.log.warn({ err }, `cluster bus: ${what} failed`),
  }).catch(async (e: unknown) => {
    await Promise.all([location.close(), nodes.leave().catch(() => {})]);
    throw e;
  });
  // Kept three heartbeat TTLs: the survivor that takes a dead node over still finds its callers.
  const ttlMs = opts.heartbeatTtlMs ?? 10_000;
  const { registry: live, leftovers } = await LiveRegistry.open(redis, nodes, {
    prefix: opts.prefix,
    node: opts.node,
    ttlMs: ttlMs * 3,
    intervalMs: nodes.heartbeatMs,
    onError: (err, what) => opts.log.warn({ err }, `${what} failed`),
  }).catch(async (e: unknown) => {
    await Promise.all([location.close(), bus.close(), nodes.leave().catch(() => {})]);
    throw e;
  });
  let takeover: (node: string) => Promise<void> = async () => {};
  const watcher = new DeadNodeWatcher(redis, nodes, {
    prefix: opts.prefix,
    onDead: (node) => takeover(node),
    onError: (err) => opts.log.warn({ err }, 'dead-node check failed'),
  });
  // A dead node's leases expire with its heartbeat: same TTL, renewed at the same pace.
  const trunkLeases = new TrunkLeases(redis, nodes, {
    prefix: opts.prefix,
    ttlMs,
    intervalMs: nodes.heartbeatMs,
    onError: (err) => opts.log.warn({ err }, 'trunk registration lease failed'),
  });
  let closed: Promise<void> | null = null;
  return {
    node: opts.node,
    prefix: opts.prefix,
    location,
    nodes,
    bus,
    trunkLeases,
    live,
    leftovers,
    secret: Buffer.from(shared, 'base64'),
    watchDeadNodes: (handler) => {
      takeover = handler;
      watcher.start();
    },
    close: () => {
      watcher.stop();
      closed ??= Promise.all([
        location.close(),
        bus.close(),
        trunkLeases.close(),
        live.close(),
        nodes.leave().catch(() => {}),
      ]).then(() => {});
      return closed;
    },
  };
}
