/**
 * The Redis-backed location service against a real Redis: two nodes' caches converge
 * through pub/sub, concurrent registrations of one extension through two nodes both
 * survive, expiry is kept by the key's TTL and the sweep, a late node loads the set,
 * and a node's view rings only the bindings it can reach.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisLocation } from '../../src/cluster/location.js';
import { connectRedis } from '../../src/cluster/redis.js';
import { type Binding, NodeLocationView } from '../../src/pbx/location.js';
import type { TransportName } from '../../src/sip/transaction/types.js';

const url = process.env.REDIS_URL;

function binding(
  contact: string,
  expiresAt: number,
  transport: TransportName = 'UDP',
  path: string[] = [],
): Binding {
  return {
    contact,
    expiresAt,
    callId: `cid-${contact}`,
    cseq: 1,
    source: { transport, host: '127.0.0.1', port: 5070, ...(transport === 'UDP' ? {} : { flowId: 'f1' }) },
    path,
    userAgent: 'test',
    q: 1,
  };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.runIf(url)('RedisLocation', () => {
  let redisA: Redis;
  let redisB: Redis;
  let prefix = '';
  const opened: RedisLocation[] = [];

  async function node(
    redis: Redis,
    id: string,
    onRemoteChange?: (aor: string) => void,
  ): Promise<RedisLocation> {
    const loc = await RedisLocation.open(redis, {
      prefix,
      node: id,
      onError: (e) => {
        throw e;
      },
    });
    if (onRemoteChange) loc.onRemoteChange = onRemoteChange;
    opened.push(loc);
    return loc;
  }

  beforeAll(async () => {
    redisA = await connectRedis(url!);
    redisB = await connectRedis(url!);
  });

  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    const keys = await redisA.keys(`${prefix}*`);
    if (keys.length) await redisA.del(...keys);
  });

  afterAll(async () => {
    await redisA?.quit();
    await redisB?.quit();
  });

  const fresh = () => {
    prefix = `nimbus-test:${randomBytes(6).toString('hex')}:`;
  };

  it('a registration through node A is found by node B, and its removal too', async () => {
    fresh();
    const changed: string[] = [];
    const a = await node(redisA, 'a');
    const b = await node(redisB, 'b', (aor) => changed.push(aor));
    const now = Date.now();
    a.store('t1:201', [binding('sip:201@10.0.0.1:5060', now + 60_000)]);
    // The cache answers at once on the node that stored (no round trip on the SIP path).
    expect(a.lookup('t1:201', now)).toHaveLength(1);
    await until(() => b.lookup('t1:201', Date.now()).length === 1);
    const seen = b.lookup('t1:201', Date.now())[0]!;
    expect(seen.contact).toBe('sip:201@10.0.0.1:5060');
    expect(seen.node).toBe('a');
    expect(seen.source).toEqual({ transport: 'UDP', host: '127.0.0.1', port: 5070 });
    expect(changed).toEqual(['t1:201']);
    a.remove('t1:201', 'sip:201@10.0.0.1:5060');
    await until(() => b.lookup('t1:201', Date.now()).length === 0);
    expect(await redisA.exists(`${prefix}loc:t1:201`)).toBe(0);
  });

  it('two phones of one extension registering through two nodes at once both survive', async () => {
    fresh();
    const a = await node(redisA, 'a');
    const b = await node(redisB, 'b');
    const now = Date.now();
    // Each node's registrar saw an empty AOR and stored only its own phone.
    a.store('t1:202', [binding('sip:202@10.0.0.1', now + 60_000)]);
    b.store('t1:202', [binding('sip:202@10.0.0.2', now + 60_000)]);
    await until(
      () => a.lookup('t1:202', Date.now()).length === 2 && b.lookup('t1:202', Date.now()).length === 2,
    );
    expect(Object.keys(await redisA.hgetall(`${prefix}loc:t1:202`)).sort()).toEqual([
      'sip:202@10.0.0.1',
      'sip:202@10.0.0.2',
    ]);
    expect(
      a
        .lookup('t1:202', Date.now())
        .map((x) => x.node)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it("keeps Redis's TTL at the latest contact's expiry and drops expired contacts", async () => {
    fresh();
    const a = await node(redisA, 'a');
    const b = await node(redisB, 'b');
    const now = Date.now();
    a.store('t1:203', [binding('sip:203@short', now + 300), binding('sip:203@long', now + 40_000)]);
    await until(() => b.lookup('t1:203', Date.now()).length === 2);
    const pttl = await redisA.pttl(`${prefix}loc:t1:203`);
    expect(pttl).toBeGreaterThan(35_000);
    expect(pttl).toBeLessThanOrEqual(40_000);
    await new Promise((r) => setTimeout(r, 400));
    // Lookups filter by expiry before any sweep; the sweep drops it from the cache and Redis.
    expect(b.lookup('t1:203', Date.now()).map((x) => x.contact)).toEqual(['sip:203@long']);
    expect(b.sweep(Date.now())).toBe(1);
    expect(a.sweep(Date.now())).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(Object.keys(await redisA.hgetall(`${prefix}loc:t1:203`))).toEqual(['sip:203@long']);
    // An AOR whose only contact expires leaves Redis by its TTL, with no node to sweep it.
    a.store('t1:204', [binding('sip:204@gone', Date.now() + 200)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await redisA.exists(`${prefix}loc:t1:204`)).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await redisA.exists(`${prefix}loc:t1:204`)).toBe(0);
  });

  it('a node started later loads every live binding', async () => {
    fresh();
    const a = await node(redisA, 'a');
    const now = Date.now();
    for (let i = 0; i < 50; i++) a.store(`t2:${300 + i}`, [binding(`sip:${300 + i}@10.0.1.1`, now + 60_000)]);
    await redisA.ping(); // the writes went before this on the same connection
    const late = await node(redisB, 'late');
    expect(late.size).toBe(50);
    expect(late.lookup('t2:349', Date.now())[0]?.node).toBe('a');
  });

  it("a node's view rings reachable bindings only and qualifies its own", async () => {
    fresh();
    const a = await node(redisA, 'a');
    const b = await node(redisB, 'b');
    const now = Date.now();
    a.store('t3:401', [
      binding('sip:401@udp', now + 60_000, 'UDP'),
      binding('sip:401@tcp', now + 60_000, 'TCP'),
      binding('sip:401@ws-path', now + 60_000, 'WS', ['<sip:127.0.0.9;lr>']),
    ]);
    await until(() => b.lookup('t3:401', Date.now()).length === 3);
    const viewA = new NodeLocationView(a, 'a');
    const viewB = new NodeLocationView(b, 'b');
    expect(viewA.lookup('t3:401', Date.now())).toHaveLength(3);
    // Node B holds no TCP connection to the phone: that contact is not rung from B.
    expect(
      viewB
        .lookup('t3:401', Date.now())
        .map((x) => x.contact)
        .sort(),
    ).toEqual(['sip:401@udp', 'sip:401@ws-path']);
    expect(viewA.entries(Date.now())).toHaveLength(3);
    expect(viewB.entries(Date.now())).toHaveLength(0);
  });
});
