/**
 * SIP bans shared through a real Redis: a ban decided on one node refuses the
 * source on another at once (from its local table: the check itself never asks
 * Redis), a node that starts later loads the bans in force, a lift on any node
 * lifts it everywhere, and Redis forgets a ban when it ends.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedBans } from '../../src/cluster/bans.js';
import { connectRedis } from '../../src/cluster/redis.js';
import { AuthGuard } from '../../src/pbx/auth-guard.js';
import { SecurityLog } from '../../src/pbx/security-events.js';

const url = process.env.REDIS_URL;

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

describe.runIf(url)('bans shared between nodes', () => {
  let redis: Redis;
  const prefix = `nimbus-test:${randomBytes(6).toString('hex')}:`;
  const opened: SharedBans[] = [];

  const node = async (name: string, banMs = 60_000) => {
    const log = new SecurityLog(pino({ level: 'silent' }));
    const guard = new AuthGuard(log, { userFailures: 2, ipFailures: 3, banMs });
    const shared = await SharedBans.open(redis, guard, { prefix, node: name });
    opened.push(shared);
    const fail = (ip: string, user: string) =>
      guard.failed({
        ip,
        user,
        realm: 'c.test',
        method: 'REGISTER',
        transport: 'UDP',
        reason: 'wrong-password',
      });
    return { guard, log, fail };
  };

  beforeAll(async () => {
    redis = await connectRedis(url!);
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('applies a ban decided on one node on the others, loads it at start, and lifts it everywhere', async () => {
    const a = await node('a');
    const b = await node('b');
    for (let i = 0; i < 3; i++) a.fail('198.51.100.7', `u${i}`);
    expect(a.guard.refused('198.51.100.7', 'anyone')).toBe(true);
    expect(await until(() => b.guard.refused('198.51.100.7', 'anyone'))).toBe(true);
    // The ban event is the deciding node's alone.
    expect(b.log.list({ kind: 'ban' })).toHaveLength(0);
    expect(b.guard.banOf('198.51.100.7')).toMatchObject({ realm: 'c.test', user: null });

    // A user's ban from one address travels the same way.
    b.fail('203.0.113.9', '101');
    b.fail('203.0.113.9', '101');
    expect(await until(() => a.guard.refused('203.0.113.9', '101'))).toBe(true);
    expect(a.guard.refused('203.0.113.9', '102')).toBe(false);

    // A node started later finds both in Redis.
    const c = await node('c');
    expect(c.guard.refused('198.51.100.7', 'x')).toBe(true);
    expect(c.guard.refused('203.0.113.9', '101')).toBe(true);

    // Lifted on c: gone on a and b, and from Redis (a fourth node would not load it).
    expect(c.guard.lift('198.51.100.7')).toBe(true);
    expect(
      await until(() => !a.guard.refused('198.51.100.7', 'x') && !b.guard.refused('198.51.100.7', 'x')),
    ).toBe(true);
    const d = await node('d');
    expect(d.guard.refused('198.51.100.7', 'x')).toBe(false);
    expect(d.guard.refused('203.0.113.9', '101')).toBe(true);
  });

  it('lets Redis forget a ban when it ends', async () => {
    const a = await node('e', 300);
    a.fail('192.0.2.44', '101');
    a.fail('192.0.2.44', '101');
    expect(await redis.exists(`${prefix}ban:192.0.2.44 101`)).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await redis.exists(`${prefix}ban:192.0.2.44 101`)).toBe(0);
    expect(a.guard.refused('192.0.2.44', '101')).toBe(false);
  });
});
