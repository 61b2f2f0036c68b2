/**
 * The registry of live calls and queue callers across two whole nodes in this process
 * (shared PostgreSQL schema, shared Redis prefix): a call carried by node B is listed by node
 * A's live API, lights a busy lamp subscribed through node A and is hung up through node A's
 * API (forwarded to B over the bus); an agent on a call on node B is busy for node A's queue
 * until that call ends, and node B's wall-board shows the caller waiting on node A; a node
 * that died with callers waiting (its heartbeat gone, its registry hash left behind as a
 * SIGKILL leaves it) has them re-queued as callbacks where possible and the rest reported
 * lost, and its registry entries removed. Runs where DATABASE_URL and REDIS_URL are set (CI).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NimbusNode, startNode } from '../../src/app.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import type { RemoteCall, RemoteWaiter } from '../../src/pbx/remote-activity.js';
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { closeCluster, clusterNodeConfig, clusterReady, signInOperator } from '../helpers/cluster-nodes.js';
import { uniqueSchema } from '../helpers/db.js';
import { PHONE_SDP } from '../helpers/phones.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';

const ready = clusterReady;

const config = (dir: string, node: string, rtp: number) => clusterNodeConfig(dir, node, rtp);

type Phone = TestUa & { close(): void };

/** Polls an asynchronous condition (an API read) until it holds. */
async function poll<T>(fn: () => Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(ready)('live calls and queue callers across two nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-live-calls-'));
  const schema = uniqueSchema();
  const prefix = `nimbus-test:${schema}:`;
  const wire = new Wire();
  const phones = new Map<string, Phone>();
  let a: NimbusNode;
  let b: NimbusNode;
  let cookie = '';
  let tenantId = '';
  let domain = '';
  let queueId = '';
  let nodeA: Destination;
  let nodeB: Destination;
  /** What extension 101 does with a new INVITE. */
  let agent101: 'answer' | 'ring' = 'answer';
  const invitesTo101: { req: SipRequest; source: Destination }[] = [];

  const api = async (node: NimbusNode, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node.httpUrl}/api/v1/tenants/${tenantId}${path}`, {
      method,
      headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  async function phone(number: string, at: Destination): Promise<Phone> {
    const p = await udpUa(number, wire, systemClock);
    const secret = a.demo!.extensions.find((e) => e.number === number)!.sipSecret;
    p.credentials = { username: number, password: secret };
    p.on('BYE', (req, tx) => tx?.respond(p.response(req, 200)));
    p.on('NOTIFY', (req, tx) => tx?.respond(p.response(req, 200)));
    const reg = p.buildRequest('REGISTER', `sip:${domain}`, {
      from: `<sip:${number}@${domain}>`,
      to: `<sip:${number}@${domain}>`,
      headers: [
        ['Contact', contactFor(p.local, number)],
        ['Expires', '600'],
      ],
    });
    expect((await p.send(reg, at).done())?.status).toBe(200);
    phones.set(number, p);
    return p;
  }

  const call = (from: Phone, to: string, at: Destination) =>
    from.send(
      from.buildRequest('INVITE', `sip:${to}@${domain}`, {
        from: `<sip:${from.name}@${domain}>`,
        body: PHONE_SDP,
      }),
      at,
    );

  const queueLive = async (node: NimbusNode) =>
    (await api(node, 'GET', `/queues/${queueId}/live`)).json as {
      waiting: { caller: string; callback: boolean }[];
      agents: { number: string; state: string }[];
      today: { lostNodeFailure: number; requeuedNodeFailure: number; abandoned: number };
    };

  beforeAll(async () => {
    a = await startNode(config(dir, 'live-a', 43000), { schema, redisPrefix: prefix });
    b = await startNode(config(dir, 'live-b', 43200), { schema, redisPrefix: prefix });
    tenantId = a.demo!.tenantId;
    domain = a.demo!.sipDomain;
    nodeA = { transport: 'UDP', host: '127.0.0.1', port: a.sipPorts.udp };
    nodeB = { transport: 'UDP', host: '127.0.0.1', port: b.sipPorts.udp };
    cookie = await signInOperator(a);
    const created = await api(a, 'POST', '/queues', {
      name: 'Support',
      number: '700',
      ...queueConfig({
        members: [queueMember('101')],
        agentRingSec: 30,
        keys: [{ key: '5', action: 'callback', destination: null }],
      }),
    });
    expect(created.status).toBe(201);
    queueId = String(created.json.id);
    // Node B hears of the new queue through the bus.
    await until(() => b.sip.directory.tenantById(tenantId)?.routing.has(queueId), 5000);
    const p101 = await phone('101', nodeA);
    p101.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      invitesTo101.push({ req, source });
      tx.respond(p101.response(req, 180));
      if (agent101 === 'answer') p101.accept(tx, source, PHONE_SDP);
    });
    await phone('102', nodeB);
    await phone('103', nodeA);
    await phone('104', nodeA);
  }, 60_000);

  afterAll(async () => {
    for (const p of phones.values()) p.close();
    await closeCluster([a, b], { schema, prefix, dir });
  });

  it("node A lists node B's call, lights a lamp for it, and hangs it up through node B", async () => {
    const watcher = phones.get('103')!;
    const notifies: string[] = [];
    watcher.on('NOTIFY', (req, tx) => {
      notifies.push(req.body.toString());
      tx?.respond(watcher.response(req, 200));
    });
    // The lamp of 101 is watched through node A.
    const sub = watcher.send(
      watcher.buildRequest('SUBSCRIBE', `sip:101@${domain}`, {
        from: `<sip:103@${domain}>`,
        headers: [
          ['Event', 'dialog'],
          ['Accept', 'application/dialog-info+xml'],
          ['Expires', '600'],
        ],
      }),
      nodeA,
    );
    expect((await sub.done())?.status).toBe(200);
    await until(() => notifies.length >= 1);
    expect(notifies[0]).not.toContain('<dialog ');

    const caller = phones.get('102')!;
    const ringing = invitesTo101.length;
    expect((await call(caller, '101', nodeB).done())?.status).toBe(200);
    expect(invitesTo101[ringing]!.source.port).toBe(b.sipPorts.udp);
    expect(a.sip.calls.size).toBe(0);
    // Node A's lamp NOTIFY shows the call node B carries.
    await until(() => notifies.at(-1)?.includes('<state>confirmed</state>'), 5000);
    expect(notifies.at(-1)).toContain('direction="recipient"');

    // Node A's live API lists it.
    const listed = await poll(async () => {
      const live = (await api(a, 'GET', '/live')).json as {
        calls: { id: string; caller: string; callee: string; state: string }[];
      };
      return live.calls.find((c) => c.caller === '102' && c.callee === '101' && c.state === 'answered');
    }, 5000);
    expect(listed).toBeTruthy();
    const id = listed.id;

    // Hung up through node A's API: node B ends it (both phones get BYE), the lamp goes dark.
    const hangup = await api(a, 'POST', `/calls/${id}/hangup`);
    expect(hangup.status).toBe(202);
    await until(() => b.sip.calls.size === 0, 5000);
    await until(() => notifies.length > 0 && !notifies.at(-1)!.includes('<dialog '), 5000);
    await poll(async () => ((await api(a, 'GET', '/live')).json.calls as unknown[]).length === 0, 5000);
    // A call no node carries reads as not live.
    expect((await api(a, 'POST', `/calls/${id}/hangup`)).status).toBe(404);
  }, 30_000);

  it("transfers a party of node B's call through node A's API; a node that does not answer is named", async () => {
    agent101 = 'answer';
    const p104 = phones.get('104')!;
    const toTransferee: { req: SipRequest; source: Destination }[] = [];
    p104.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      toTransferee.push({ req, source });
      p104.accept(tx, source, PHONE_SDP);
    });
    expect((await call(phones.get('102')!, '101', nodeB).done())?.status).toBe(200);
    const listed = await poll(async () => {
      const live = (await api(a, 'GET', '/live')).json as {
        calls: { id: string; callee: string; state: string }[];
      };
      return live.calls.find((c) => c.callee === '101' && c.state === 'answered');
    });
    // The caller (102) is sent to 104 by node B, which carries the call; 101 is hung up.
    const moved = await api(a, 'POST', `/calls/${listed.id}/transfer`, {
      side: 'caller',
      destination: '104',
    });
    expect(moved.status, JSON.stringify(moved.json)).toBe(202);
    const rung = await until(() => toTransferee[0], 5000);
    expect(rung.source.port).toBe(b.sipPorts.udp);
    await until(
      () => b.sip.calls.size === 1 && b.sip.calls.values().next().value?.state === 'answered',
      5000,
    );
    for (const p of [phones.get('102')!, p104]) {
      const d = [...p.dialogs.values()].at(-1);
      if (d) await p.inDialog('BYE', { dialog: d }).done();
    }
    await until(() => b.sip.calls.size === 0, 5000);

    // A call announced by a node that then stops answering: the API says which node, after 3 s.
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const silent: RemoteCall = {
        node: 'silent',
        tenantId,
        recordId: '00000000-0000-4000-8000-00000000beef',
        sipCallId: 'silent-call',
        state: 'answered',
        parties: [{ number: '105', side: 'A' }],
        ringing: [],
        live: null,
      };
      await redis.publish(
        `${prefix}live`,
        JSON.stringify({ n: 'silent', s: { 'c:1': JSON.stringify(silent) } }),
      );
      await until(() => a.sip.remote?.answeredOn(tenantId, '105') === 1);
      const started = Date.now();
      const res = await api(a, 'POST', `/calls/${silent.recordId}/hangup`);
      expect(res.status).toBe(503);
      expect(res.json.code).toBe('CALLS_UNAVAILABLE');
      expect(String(res.json.detail)).toContain('silent');
      expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
      // The next re-read of the members' hashes forgets it (the node never joined).
      await until(
        () => !a.sip.remote?.answeredOn(tenantId, '105') && !b.sip.remote?.answeredOn(tenantId, '105'),
        8000,
      );
    } finally {
      await redis.quit();
    }
  }, 30_000);

  it("a queue on node A does not offer an agent busy on node B's call; B's wall-board shows A's caller", async () => {
    agent101 = 'answer';
    const agent = phones.get('101')!;
    const before = invitesTo101.length;
    expect((await call(phones.get('102')!, '101', nodeB).done())?.status).toBe(200);
    expect(invitesTo101).toHaveLength(before + 1);
    await until(() => a.sip.remote?.answeredOn(tenantId, '101') === 1, 5000);
    expect((await queueLive(a)).agents).toEqual([expect.objectContaining({ number: '101', state: 'busy' })]);

    // 104 calls the queue through node A and waits.
    const waiting = call(phones.get('104')!, '700', nodeA);
    await poll(async () => (await queueLive(b)).waiting.some((w) => w.caller === '104'), 5000);
    expect((await queueLive(a)).waiting.map((w) => w.caller)).toEqual(['104']);
    // Two matching rounds (once a second) pass: 101 is not rung while busy on node B.
    await new Promise((r) => setTimeout(r, 2200));
    expect(invitesTo101).toHaveLength(before + 1);

    // The call on node B ends: node A offers its caller to 101 at once.
    const dialog = [...phones.get('102')!.dialogs.values()].at(-1)!;
    expect((await phones.get('102')!.inDialog('BYE', { dialog }).done())?.status).toBe(200);
    const offer = await until(() => invitesTo101[before + 1], 5000);
    expect(offer.source.port).toBe(a.sipPorts.udp);
    expect(offer.req.headers.get('From')).toContain('Support');
    await waiting.done();
    // The agent hangs up the queue call; nobody waits any more on either node.
    const queueCall = [...agent.dialogs.values()].at(-1)!;
    await agent.inDialog('BYE', { dialog: queueCall }).done();
    await until(() => a.sip.calls.size === 0 && b.sip.calls.size === 0, 5000);
    await poll(async () => (await queueLive(b)).waiting.length === 0, 5000);
  }, 30_000);

  it("a dead node's callers are called back where possible, the rest reported lost; its entries go", async () => {
    agent101 = 'ring';
    const redis = new Redis(process.env.REDIS_URL!);
    const heard: PbxEvent[] = [];
    const offs = [a, b].map((n) => n.sip.events.on((e) => heard.push(e)));
    try {
      // "ghost" had a call up and two callers waiting in the queue when it was killed: its
      // heartbeat is gone, its membership and its registry hash are what SIGKILL leaves.
      const joinedAt = new Date(Date.now() - 40_000).toISOString();
      const waiter = (id: string, caller: string): RemoteWaiter => ({
        node: 'ghost',
        id,
        tenantId,
        queueId,
        caller,
        callerName: '',
        priority: 0,
        joinedAt,
        offeredTo: [],
        callback: false,
      });
      const ghostCall: RemoteCall = {
        node: 'ghost',
        tenantId,
        recordId: '00000000-0000-4000-8000-00000000abcd',
        sipCallId: 'ghost-call',
        state: 'answered',
        parties: [
          { number: '105', side: 'A' },
          { number: '+15550100', side: 'B' },
        ],
        ringing: [],
        live: null,
      };
      await redis.hset(`${prefix}live:ghost`, {
        [`w:${tenantId}/${queueId}/g1`]: JSON.stringify(waiter('g1', '103')),
        [`w:${tenantId}/${queueId}/g2`]: JSON.stringify(waiter('g2', 'anonymous')),
        'c:1': JSON.stringify(ghostCall),
      });
      await redis.sadd(`${prefix}members`, 'ghost');

      // One survivor takes it over: the hash is deleted and no node counts 105 busy any more.
      await poll(async () => {
        const left = await redis.exists(`${prefix}live:ghost`);
        return left === 0 && heard.filter((e) => e.type === 'queue.leave').length === 2;
      }, 15_000);
      await until(
        () => !a.sip.remote?.answeredOn(tenantId, '105') && !b.sip.remote?.answeredOn(tenantId, '105'),
      );
      const leaves = heard.filter((e) => e.type === 'queue.leave');
      expect(
        leaves.map((e) => e.type === 'queue.leave' && [e.waiter.caller, e.reason, e.waitedSec >= 40]).sort(),
      ).toEqual([
        ['103', 'nodeFailure', true],
        ['anonymous', 'nodeFailure', true],
      ]);
      // 103 (a phone the PBX can ring) waits again as a callback request; the anonymous caller is lost.
      await poll(
        async () => (await queueLive(a)).waiting.some((w) => w.caller === '103' && w.callback),
        5000,
      );
      const figures = [await queueLive(a), await queueLive(b)].map((q) => q.today);
      expect(figures.reduce((n, f) => n + f.requeuedNodeFailure, 0)).toBe(1);
      expect(figures.reduce((n, f) => n + f.lostNodeFailure, 0)).toBe(1);
      expect(figures.reduce((n, f) => n + f.abandoned, 0)).toBe(1);
      // The report is in the tenant's audit log, by the survivor.
      const audit = await sql<{
        actorLabel: string;
        after: { node: string; callers: { caller: string; outcome: string }[] };
      }>`
        select actor_label as "actorLabel", after from audit_log where action = 'queue.node-failure'`.execute(
        a.store.db,
      );
      expect(audit.rows).toHaveLength(1);
      expect(['node live-a', 'node live-b']).toContain(audit.rows[0]!.actorLabel);
      expect(audit.rows[0]!.after.node).toBe('ghost');
      expect(audit.rows[0]!.after.callers.map((c) => [c.caller, c.outcome]).sort()).toEqual([
        ['103', 'requeued'],
        ['anonymous', 'lost'],
      ]);
    } finally {
      for (const off of offs) off();
      await redis.quit();
    }
  }, 30_000);
});
