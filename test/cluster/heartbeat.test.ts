/**
 * Node heartbeats in a real Redis: live nodes are listed, a node that stops beating (as
 * after SIGKILL) leaves the list by TTL alone, its id can be taken again after that, and a
 * second process with the id of a live node is refused.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadNodeWatcher } from '../../src/cluster/failover.js';
import { NodeIdInUseError, NodeRegistry } from '../../src/cluster/nodes.js';
import { connectRedis } from '../../src/cluster/redis.js';

const url = process.env.REDIS_URL;

describe.runIf(url)('node heartbeats', () => {
  let redis: Redis;
  const prefix = `nimbus-test:${randomBytes(6).toString('hex')}:`;
  const ttlMs = 600;

  beforeAll(async () => {
    redis = await connectRedis(url!);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('lists live nodes, drops a silent one by TTL and refuses a duplicate id', async () => {
    const a = await NodeRegistry.join(redis, { prefix, node: 'a', ttlMs });
    const b = await NodeRegistry.join(redis, { prefix, node: 'b', ttlMs });
    await a.describe({ sip: '127.0.0.1:5060', http: '127.0.0.1:8080' });
    const live = await a.live();
    expect(live.map((n) => n.id)).toEqual(['a', 'b']);
    expect(live[0]).toMatchObject({ sip: '127.0.0.1:5060', http: '127.0.0.1:8080' });
    await a.check();

    // A second process claiming "a" while "a" keeps beating is refused within one TTL.
    const t0 = Date.now();
    await expect(NodeRegistry.join(redis, { prefix, node: 'a', ttlMs })).rejects.toBeInstanceOf(
      NodeIdInUseError,
    );
    expect(Date.now() - t0).toBeLessThan(ttlMs + 1500);

    // "b" dies without a word: its timer stops, nothing deletes its key.
    (b as unknown as { timer: NodeJS.Timeout }).timer.close();
    await new Promise((r) => setTimeout(r, ttlMs + 300));
    expect((await a.live()).map((n) => n.id)).toEqual(['a']);

    // Restarted with the same id right after a crash, "b" waits out its old key and joins.
    await b.beat(); // its ghost wrote one last time
    const b2 = await NodeRegistry.join(redis, { prefix, node: 'b', ttlMs });
    expect(b2.info.instance).not.toBe(b.info.instance);
    expect((await a.live()).map((n) => n.id)).toEqual(['a', 'b']);
    // A clean shutdown leaves at once.
    await b2.leave();
    expect((await a.live()).map((n) => n.id)).toEqual(['a']);
    await a.leave();
  }, 20_000);

  it('a dead member is taken over by exactly one survivor; a clean leave is no death', async () => {
    const p2 = `${prefix}w:`;
    const a = await NodeRegistry.join(redis, { prefix: p2, node: 'a', ttlMs });
    const b = await NodeRegistry.join(redis, { prefix: p2, node: 'b', ttlMs });
    const c = await NodeRegistry.join(redis, { prefix: p2, node: 'c', ttlMs });
    const d = await NodeRegistry.join(redis, { prefix: p2, node: 'd', ttlMs });
    const took: string[] = [];
    const watcher = (r: NodeRegistry) =>
      new DeadNodeWatcher(redis, r, {
        prefix: p2,
        onDead: async (node) => void took.push(`${r.id} took ${node}`),
      });
    const wa = watcher(a);
    const wb = watcher(b);
    expect(await Promise.all([wa.scan(), wb.scan()])).toEqual([[], []]);
    await d.leave(); // shut down cleanly: not a death
    (c as unknown as { timer: NodeJS.Timeout }).timer.close(); // SIGKILL
    await new Promise((r) => setTimeout(r, ttlMs + 300));
    await Promise.all([wa.scan(), wb.scan()]);
    await Promise.all([wa.scan(), wb.scan()]);
    expect(took).toHaveLength(1);
    expect(took[0]).toMatch(/^[ab] took c$/);
    expect((await a.members()).sort()).toEqual(['a', 'b']);
    await a.leave();
    await b.leave();
  }, 20_000);
});
