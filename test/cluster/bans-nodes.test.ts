/**
 * Bans across two whole nodes sharing PostgreSQL and Redis: a source guessing a
 * password through node A is refused by node B as well (from B's own table: no Redis
 * round trip on its SIP path), and the operator lifting the ban through node B's API
 * lifts it on node A. Runs where both DATABASE_URL and REDIS_URL are set (CI).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NimbusNode, startNode } from '../../src/app.js';
import { closeCluster, clusterNodeConfig, clusterReady, signInOperator } from '../helpers/cluster-nodes.js';
import { uniqueSchema } from '../helpers/db.js';
import { ask, udpClient } from '../helpers/raw-sip.js';

const ready = clusterReady;

const config = (dir: string, node: string, rtp: number) =>
  clusterNodeConfig(dir, node, rtp, { NIMBUS_DEMO: 'false', NIMBUS_SIP_BAN_USER_FAILURES: '3' }, 100);

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

describe.runIf(ready)('bans on two nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-bans-'));
  const schema = uniqueSchema();
  const prefix = `nimbus-test:${schema}:`;
  let a: NimbusNode;
  let b: NimbusNode;

  beforeAll(async () => {
    a = await startNode(config(dir, 'bans-a', 43400), { schema, redisPrefix: prefix });
    b = await startNode(config(dir, 'bans-b', 43500), { schema, redisPrefix: prefix });
  }, 60_000);

  afterAll(async () => {
    await closeCluster([a, b], { schema, prefix, dir });
  });

  it('applies a ban decided on node A on node B, and a lift through B on A', async () => {
    const phone = await udpClient(a.sipPorts.udp, '127.0.0.1');
    try {
      for (let i = 0; i < 3; i++)
        expect(
          (
            await ask(
              'REGISTER',
              { user: '101', target: '', domain: 'bans.test', password: `guess-${i}` },
              phone,
            )
          ).status,
        ).toBe(403);
    } finally {
      phone.close();
    }
    expect(a.sip.guard.refused('127.0.0.1', '101')).toBe(true);
    expect(await until(() => b.sip.guard.refused('127.0.0.1', '101'))).toBe(true);
    // The event is the deciding node's; B only applies the ban.
    expect(a.sip.securityLog.list({ kind: 'ban' })).toHaveLength(1);
    expect(b.sip.securityLog.list({ kind: 'ban' })).toHaveLength(0);

    const cookie = await signInOperator(b);
    const lifted = await fetch(`${b.httpUrl}/api/v1/platform/security/bans/127.0.0.1?user=101`, {
      method: 'DELETE',
      headers: { cookie },
    });
    expect(lifted.status).toBe(200);
    expect(b.sip.guard.refused('127.0.0.1', '101')).toBe(false);
    expect(await until(() => !a.sip.guard.refused('127.0.0.1', '101'))).toBe(true);
    expect(b.sip.securityLog.list({ kind: 'unban' })).toEqual([
      expect.objectContaining({ ip: '127.0.0.1', user: '101', reason: 'root@example.com' }),
    ]);
  }, 60_000);
});
