/**
 * The registry of live calls and queue callers (src/cluster/live-registry.ts) in a real Redis
 * with short rounds: another node's copy follows every change; a hash Redis lost is written
 * again by its node; an entry whose announcement was lost is found by the next re-read, and a
 * deletion heard is not undone by a re-read; a node taking a dead one over gets its entries
 * once and every copy drops them; a clean close removes a node's entries at once.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveRegistry } from '../../src/cluster/live-registry.js';
import { NodeRegistry } from '../../src/cluster/nodes.js';
import { connectRedis } from '../../src/cluster/redis.js';
import type { RemoteCall, RemoteWaiter } from '../../src/pbx/remote-activity.js';
import { until } from '../helpers/test-ua.js';

const url = process.env.REDIS_URL;
const roundMs = 200;

const callOf = (node: string, number: string, state: 'ringing' | 'answered' = 'answered'): RemoteCall => ({
  node,
  tenantId: 't1',
  recordId: `rec-${number}`,
  sipCallId: `call-${number}`,
  state,
  parties: [
    { number, side: 'A' },
    { number: '+15550100', side: 'B' },
  ],
  ringing: [],
  live: null,
});

const waiterOf = (node: string, id: string, offeredTo: string[] = []): RemoteWaiter => ({
  node,
  id,
  tenantId: 't1',
  queueId: 'q1',
  caller: `+1555000${id}`,
  callerName: '',
  priority: 0,
  joinedAt: new Date().toISOString(),
  offeredTo,
  callback: false,
});

describe.runIf(url)('LiveRegistry', () => {
  let redis: Redis;
  const prefix = `nimbus-test:${randomBytes(6).toString('hex')}:`;
  const open: { reg: NodeRegistry; live: LiveRegistry }[] = [];

  beforeAll(async () => {
    redis = await connectRedis(url!);
  });

  afterAll(async () => {
    for (const o of open) {
      await o.live.close();
      await o.reg.leave().catch(() => {});
    }
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  async function node(id: string) {
    const reg = await NodeRegistry.join(redis, { prefix, node: id, ttlMs: 3 * roundMs, intervalMs: roundMs });
    const { registry: live, leftovers } = await LiveRegistry.open(redis, reg, {
      prefix,
      node: id,
      ttlMs: 10 * roundMs,
      intervalMs: roundMs,
    });
    open.push({ reg, live });
    return { reg, live, leftovers };
  }

  it("follows another node's calls and callers, and answers the hot-path questions from memory", async () => {
    const { live: a } = await node('a');
    const { live: b } = await node('b');
    const changes: string[][] = [];
    b.onChange = (c) => changes.push(c.numbers);
    a.setCall('1', callOf('a', '101', 'ringing'));
    await until(() => b.callsTouching('t1', '101').length === 1);
    expect(b.answeredOn('t1', '101')).toBe(0);
    a.setCall('1', callOf('a', '101'));
    await until(() => b.answeredOn('t1', '101') === 1);
    expect(b.ownerOf('t1', 'rec-101')?.node).toBe('a');
    a.setLine('t1', 'q1', [waiterOf('a', '1', ['102']), waiterOf('a', '2')]);
    await until(() => b.waiting('t1', 'q1').length === 2);
    expect(b.offeredTo('t1', '102')).toBe(true);
    a.setLine('t1', 'q1', [waiterOf('a', '2')]);
    a.setCall('1', null);
    await until(() => b.waiting('t1', 'q1').length === 1 && b.answeredOn('t1', '101') === 0);
    expect(b.offeredTo('t1', '102')).toBe(false);
    expect(b.callsTouching('t1', '101')).toEqual([]);
    expect(changes.some((n) => n.includes('101'))).toBe(true);
    // Its own entries are not in its copy of the others'.
    expect(a.waiting('t1', 'q1')).toEqual([]);
    a.setLine('t1', 'q1', []);
    await until(() => b.waiting('t1', 'q1').length === 0);
  });

  it('writes a lost hash again, finds an entry whose announcement was lost, and keeps a heard deletion', async () => {
    const { live: a } = await node('c');
    const { live: b } = await node('d');
    a.setCall('1', callOf('c', '201'));
    await until(() => b.answeredOn('t1', '201') === 1);
    // Redis lost the hash (a flush, a failover to an empty replica): node c writes it again.
    await redis.del(`${prefix}live:c`);
    const end = Date.now() + 5000;
    while (!(await redis.hexists(`${prefix}live:c`, 'c:1')) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    expect(await redis.hexists(`${prefix}live:c`, 'c:1')).toBe(1);
    await until(() => b.answeredOn('t1', '201') === 1);
    // An entry written without its announcement reaches the other copy at the next re-read.
    await redis.hset(`${prefix}live:c`, 'c:9', JSON.stringify(callOf('c', '209')));
    await until(() => b.answeredOn('t1', '209') === 1);
    // A deletion announced while re-reads run stays deleted.
    a.setCall('1', null);
    await until(() => b.answeredOn('t1', '201') === 0);
    await new Promise((r) => setTimeout(r, 3 * roundMs));
    expect(b.answeredOn('t1', '201')).toBe(0);
  });

  it("gives a dead node's entries to the survivor once, drops them everywhere, and a clean close removes its own", async () => {
    const { reg: regE, live: e } = await node('e');
    const { live: f } = await node('f');
    const { live: g } = await node('g');
    e.setCall('1', callOf('e', '301'));
    e.setLine('t1', 'q1', [waiterOf('e', '7')]);
    await until(() => f.answeredOn('t1', '301') === 1 && g.waiting('t1', 'q1').length === 1);
    // e is killed: nothing more from it, its hash stays behind.
    e.abandon();
    await regE.leave();
    const left = await f.takeOver('e');
    expect(left.calls.map((c) => c.recordId)).toEqual(['rec-301']);
    expect(left.waiters.map((w) => w.id)).toEqual(['7']);
    expect((await g.takeOver('e')).waiters).toEqual([]);
    await until(() => g.answeredOn('t1', '301') === 0 && g.waiting('t1', 'q1').length === 0);
    expect(f.answeredOn('t1', '301')).toBe(0);
    expect(await redis.exists(`${prefix}live:e`)).toBe(0);

    g.setCall('1', callOf('g', '401'));
    await until(() => f.answeredOn('t1', '401') === 1);
    await g.close();
    await until(() => f.answeredOn('t1', '401') === 0);
    expect(await redis.exists(`${prefix}live:g`)).toBe(0);
  });

  it('hands a node id what its earlier run left when it starts again', async () => {
    const first = await node('h');
    first.live.setLine('t1', 'q1', [waiterOf('h', '9')]);
    await new Promise((r) => setTimeout(r, 2 * roundMs));
    first.live.abandon();
    await first.reg.leave();
    const again = await node('h');
    expect(again.leftovers.waiters.map((w) => w.id)).toEqual(['9']);
    expect(await redis.exists(`${prefix}live:h`)).toBe(0);
  });
});
