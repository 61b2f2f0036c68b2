/**
 * Two whole nodes in this process sharing one PostgreSQL schema and one Redis prefix: a
 * phone registered on node A is called by a phone whose INVITE reaches node B, and the
 * call is answered; node B's INVITE to the phone comes from node B. Runs where both
 * DATABASE_URL and REDIS_URL are set (CI).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type NimbusNode, startNode } from '../../src/app.js';
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { closeCluster, clusterNodeConfig, clusterReady, signInOperator } from '../helpers/cluster-nodes.js';
import { uniqueSchema } from '../helpers/db.js';
import { PHONE_SDP } from '../helpers/phones.js';
import { udpUa, until, Wire } from '../helpers/test-ua.js';

const ready = clusterReady;

const config = (dir: string, node: string, rtp: number) =>
  clusterNodeConfig(dir, node, rtp, { NIMBUS_WEBHOOK_ALLOW_PRIVATE: 'true' });

describe.runIf(ready)('two nodes sharing PostgreSQL and Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-cluster-'));
  const schema = uniqueSchema();
  const prefix = `nimbus-test:${schema}:`;
  let a: NimbusNode;
  let b: NimbusNode;

  beforeAll(async () => {
    a = await startNode(config(dir, 'node-a', 42000), { schema, redisPrefix: prefix });
    b = await startNode(config(dir, 'node-b', 42200), { schema, redisPrefix: prefix });
  }, 60_000);

  afterAll(async () => {
    await closeCluster([a, b], { schema, prefix, dir });
  });

  it('each node beats, is listed to the operator and is ready only with its heartbeat', async () => {
    const ready = (await (await fetch(`${b.httpUrl}/readyz`)).json()) as { checks: { name: string }[] };
    expect(ready.checks).toEqual(
      expect.arrayContaining([
        { name: 'redis', ok: true },
        { name: 'cluster', ok: true },
      ]),
    );
    const cookie = await signInOperator(b);
    const health = (await (
      await fetch(`${b.httpUrl}/api/v1/platform/health`, { headers: { cookie } })
    ).json()) as { cluster: { node: string; nodes: { id: string; sip: string }[] } };
    expect(health.cluster.node).toBe('node-b');
    expect(health.cluster.nodes.map((n) => [n.id, n.sip])).toEqual([
      ['node-a', `127.0.0.1:${a.sipPorts.udp}`],
      ['node-b', `127.0.0.1:${b.sipPorts.udp}`],
    ]);
  });

  it('a change saved through node A reaches node B before the next call', async () => {
    const tenantId = a.demo!.tenantId;
    expect(b.sip.directory.tenantById(tenantId)?.extensions.has('150')).toBe(false);
    const res = await fetch(`${a.httpUrl}/api/v1/tenants/${tenantId}/extensions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: await signInOperator(a) },
      body: JSON.stringify({ number: '150' }),
    });
    expect(res.status).toBe(201);
    expect(a.sip.directory.tenantById(tenantId)?.extensions.has('150')).toBe(true);
    // Node B hears the announcement and rebuilds the tenant's snapshot from PostgreSQL.
    await until(() => b.sip.directory.tenantById(tenantId)?.extensions.has('150'));
  });

  it("a dead node's open calls are closed as interrupted by a survivor, once", async () => {
    // "ghost" joined the cluster, had a call up and died: no heartbeat, still a member.
    const tenantId = a.demo!.tenantId;
    const ghostCall = await sql<{ id: string }>`insert into calls (tenant_id, sip_call_id, caller, callee,
        direction, status, node) values (${tenantId}, 'ghost-1', '101', '102', 'internal', 'answered', 'ghost')
        returning id`.execute(a.store.db);
    const liveCall = await sql<{ id: string }>`insert into calls (tenant_id, sip_call_id, caller, callee,
        direction, status, node) values (${tenantId}, 'alive-1', '101', '103', 'internal', 'answered', 'node-a')
        returning id`.execute(a.store.db);
    const redis = new Redis(process.env.REDIS_URL!);
    // Portals on both nodes are told the call ended, whichever node took the ghost over.
    const heard: { node: string; e: { type: string; cause?: string; call?: { id: string } } }[] = [];
    const sockets = await Promise.all(
      [a, b].map(async (n) => {
        const ws = new WebSocket(`ws://127.0.0.1:${n.httpPort}/api/v1/events?tenantId=${tenantId}`, {
          headers: { cookie: await signInOperator(n) },
        });
        ws.on('message', (d) => heard.push({ node: n.config.nodeId ?? '', e: JSON.parse(String(d)) }));
        return ws;
      }),
    );
    try {
      await until(() => heard.filter((h) => h.e.type === 'hello').length === 2);
      await redis.sadd(`${prefix}members`, 'ghost');
      const status = async (id: string) =>
        (
          await sql<{
            status: string;
            cause: string | null;
          }>`select status, cause from calls where id = ${id}`.execute(a.store.db)
        ).rows[0];
      const end = Date.now() + 10_000;
      while ((await status(ghostCall.rows[0]!.id))?.status !== 'interrupted' && Date.now() < end)
        await new Promise((r) => setTimeout(r, 100));
      expect(await status(ghostCall.rows[0]!.id)).toEqual({ status: 'interrupted', cause: 'interrupted' });
      // The living node's call is untouched, the dead one leaves the members, claimed by one survivor.
      expect((await status(liveCall.rows[0]!.id))?.status).toBe('answered');
      await new Promise((r) => setTimeout(r, 200));
      expect(await redis.sismember(`${prefix}members`, 'ghost')).toBe(0);
      expect(['node-a', 'node-b']).toContain(await redis.get(`${prefix}takeover:ghost`));
      expect((await redis.smembers(`${prefix}members`)).sort()).toEqual(['node-a', 'node-b']);
      const ended = () =>
        heard.filter((h) => h.e.type === 'call.ended' && h.e.call?.id === ghostCall.rows[0]!.id);
      await until(() => ended().length === 2);
      expect(
        ended()
          .map((h) => [h.node, h.e.cause])
          .sort(),
      ).toEqual([
        ['node-a', 'interrupted'],
        ['node-b', 'interrupted'],
      ]);
    } finally {
      for (const ws of sockets) ws.close();
      await sql`delete from calls where id in (${ghostCall.rows[0]!.id}, ${liveCall.rows[0]!.id})`.execute(
        a.store.db,
      );
      await redis.quit();
    }
  }, 20_000);

  it('a phone registered on node A is called through node B', async () => {
    // The portal on node A follows the call on node B; a webhook gets it once, not once per node.
    const tenantId = a.demo!.tenantId;
    const cookieA = await signInOperator(a);
    const hook = await fetch(`${a.httpUrl}/api/v1/tenants/${tenantId}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookieA },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['call.started'] }),
    });
    expect(hook.status).toBe(201);
    const ws = new WebSocket(`ws://127.0.0.1:${a.httpPort}/api/v1/events?tenantId=${tenantId}`, {
      headers: { cookie: cookieA },
    });
    const heard: { type: string }[] = [];
    ws.on('message', (d) => heard.push(JSON.parse(String(d)) as { type: string }));
    await until(() => heard.length > 0);

    const demo = a.demo!;
    expect(b.demo).toBeNull(); // the second node found the tenant already made
    const domain = demo.sipDomain;
    const secret = (n: string) => demo.extensions.find((e) => e.number === n)!.sipSecret;
    const wire = new Wire();
    const callee = await udpUa('101', wire, systemClock);
    const caller = await udpUa('102', wire, systemClock);
    try {
      callee.credentials = { username: '101', password: secret('101') };
      caller.credentials = { username: '102', password: secret('102') };
      const offered: { req: SipRequest; source: Destination }[] = [];
      callee.on('INVITE', (req, tx, source) => {
        if (!tx) return;
        offered.push({ req, source });
        callee.accept(tx, source, PHONE_SDP);
      });
      const nodeA: Destination = { transport: 'UDP', host: '127.0.0.1', port: a.sipPorts.udp };
      const nodeB: Destination = { transport: 'UDP', host: '127.0.0.1', port: b.sipPorts.udp };
      const reg = callee.buildRequest('REGISTER', `sip:${domain}`, {
        from: `<sip:101@${domain}>`,
        to: `<sip:101@${domain}>`,
        headers: [
          ['Contact', contactFor(callee.local, '101')],
          ['Expires', '300'],
        ],
      });
      expect((await callee.send(reg, nodeA).done())?.status).toBe(200);
      // Node B learns the binding through Redis, stamped with the node holding it.
      const seen = await until(() => b.sip.location.lookup(`${demo.tenantId}:101`, Date.now())[0]);
      expect(seen.node).toBe('node-a');

      const invite = caller.buildRequest('INVITE', `sip:101@${domain}`, {
        from: `<sip:102@${domain}>`,
        body: PHONE_SDP,
      });
      const answer = await caller.send(invite, nodeB).done();
      expect(answer?.status).toBe(200);
      expect(offered).toHaveLength(1);
      expect(offered[0]!.source.port).toBe(b.sipPorts.udp); // rung by node B, not node A
      expect(b.sip.calls.size).toBe(1);
      expect(a.sip.calls.size).toBe(0);
      await until(() => heard.some((e) => e.type === 'call.answered'));
      expect(heard.map((e) => e.type)).toContain('call.started');
      const dialog = [...caller.dialogs.values()][0]!;
      expect((await caller.inDialog('BYE', { dialog }).done())?.status).toBe(200);
      await until(() => b.sip.calls.size === 0);
      await until(() => heard.some((e) => e.type === 'call.ended'));
      // Both nodes run the webhook outbox; the event was queued by node B alone.
      await new Promise((r) => setTimeout(r, 300));
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from webhook_deliveries`.execute(
        a.store.db,
      );
      expect(rows[0]?.n).toBe(1);
    } finally {
      ws.close();
      callee.close();
      caller.close();
    }
  }, 30_000);
});
