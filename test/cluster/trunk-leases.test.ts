/**
 * Trunk registration leases (src/cluster/trunk-leases.ts) in a real Redis, with a short TTL:
 * every trunk has exactly one holder and trunks spread over the nodes; a node that stops
 * renewing (as after SIGKILL) loses its trunks to the survivor within the TTL and two rounds;
 * a node whose Redis stops answering stops registering once its leases may have expired; a
 * clean close gives the leases back at once.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRegistry } from '../../src/cluster/nodes.js';
import { connectRedis } from '../../src/cluster/redis.js';
import { preferredNode, TrunkLeases } from '../../src/cluster/trunk-leases.js';
import { until } from '../helpers/test-ua.js';

const url = process.env.REDIS_URL;
const ttlMs = 900;
const roundMs = 300;

describe('preferredNode', () => {
  it('is the same whatever the order of the nodes, and spreads trunks', () => {
    const nodes = ['a', 'b', 'c'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const p = preferredNode(`trunk-${i}`, nodes)!;
      expect(preferredNode(`trunk-${i}`, [...nodes].reverse())).toBe(p);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    for (const n of nodes) expect(counts.get(n)).toBeGreaterThan(60);
    expect(preferredNode('x', [])).toBeNull();
  });
});

describe.runIf(url)('TrunkLeases', () => {
  let redis: Redis;
  const prefix = `nimbus-test:${randomBytes(6).toString('hex')}:`;
  const trunks = Array.from({ length: 12 }, (_, i) => `trunk-${i}`);

  beforeAll(async () => {
    redis = await connectRedis(url!);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** A node joined; its leases start with go(), so a test can have several nodes up first. */
  async function node(id: string, p: string, conn: Redis = redis) {
    const reg = await NodeRegistry.join(conn, { prefix: p, node: id, ttlMs, intervalMs: roundMs });
    const leases = new TrunkLeases(conn, reg, { prefix: p, ttlMs, intervalMs: roundMs });
    const state = { owned: new Set<string>() as ReadonlySet<string> };
    const go = () =>
      leases.start(
        () => trunks,
        (owned) => {
          state.owned = owned;
        },
        () => null,
      );
    return { reg, leases, state, go };
  }

  it('one holder per trunk, spread; a dead holder is taken over; a clean close gives back', async () => {
    const p = `${prefix}one:`;
    const a = await node('a', p);
    const b = await node('b', p);
    a.go();
    b.go();
    // Both running a few rounds: each trunk is held by exactly one of them, and both hold some
    // (trunks appearing while both are up spread by rendezvous hashing).
    await new Promise((r) => setTimeout(r, 4 * roundMs));
    const held = () => trunks.map((t) => Number(a.state.owned.has(t)) + Number(b.state.owned.has(t)));
    expect(held()).toEqual(trunks.map(() => 1));
    expect(a.state.owned.size).toBeGreaterThan(0);
    expect(b.state.owned.size).toBeGreaterThan(0);
    for (const t of trunks)
      expect(await redis.get(`${p}trunk-reg:${t}`)).toBe(a.state.owned.has(t) ? 'a' : 'b');

    // "a" dies: it renews nothing more, gives nothing back.
    const lost = [...a.state.owned];
    a.leases.abandon();
    (a.reg as unknown as { timer: NodeJS.Timeout }).timer.close();
    const t0 = Date.now();
    await until(() => b.state.owned.size === trunks.length, ttlMs + 4 * roundMs);
    expect(Date.now() - t0).toBeLessThanOrEqual(ttlMs + 2 * roundMs + 500);
    expect(lost.every((t) => b.state.owned.has(t))).toBe(true);

    // A clean close: the leases are gone at once, for the next node to take without waiting.
    await b.leases.close();
    for (const t of trunks) expect(await redis.exists(`${p}trunk-reg:${t}`)).toBe(0);
    await b.reg.leave();
  }, 20_000);

  it('a holder whose Redis stops answering stops registering once its leases may have expired', async () => {
    const own = await connectRedis(url!);
    const c = await node('c', `${prefix}two:`, own);
    c.go();
    await until(() => c.state.owned.size === trunks.length, 3000);
    // Its Redis connection is gone; rounds fail from now on.
    own.disconnect();
    const t0 = Date.now();
    await until(() => c.state.owned.size === 0, ttlMs + 3 * roundMs);
    const gaveUp = Date.now() - t0;
    expect(gaveUp).toBeLessThanOrEqual(ttlMs + roundMs + 500);
    c.leases.abandon();
    (c.reg as unknown as { timer: NodeJS.Timeout }).timer.close();
  }, 20_000);
});
