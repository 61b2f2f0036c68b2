/**
 * A node SIGKILLed with callers waiting in its queue (issue 11: "its queued callers are
 * re-queued where possible and the rest reported honestly"). Node C runs as a child process
 * (`nimbus start`) so that its death is real; node B runs in this process. While C is up, B's
 * live API and wall-board show C's callers and calls (from the registry in Redis), and a pause
 * made through B keeps C's queue from ringing the agent. Once C is killed, B takes it over:
 * the caller whose phone the PBX can ring gets a callback request in the queue and is then
 * really called back (agent first, then the caller), the caller it cannot ring is counted
 * lost, both are reported (queue.leave with reason nodeFailure, the tenant's audit log), and
 * C's registry entries are gone. Runs where DATABASE_URL and REDIS_URL are set (CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NimbusNode, startNode } from '../../src/app.js';
import { type DemoTenant, seedDemo } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { openDatabase } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { Store } from '../../src/store/store.js';
import { freePort } from '../helpers/kamailio.js';
import { PHONE_SDP } from '../helpers/phones.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

type Phone = TestUa & { close(): void };

/** Polls an asynchronous condition (an API read) until it holds. */
async function poll<T>(fn: () => Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(databaseUrl && redisUrl)('a node killed with callers waiting in its queue', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-queue-failover-'));
  const dbName = `nimbus_qfail_${randomBytes(5).toString('hex')}`;
  const prefix = `nimbus-test:${dbName}:`;
  const wire = new Wire();
  const phones = new Map<string, Phone>();
  let child: ChildProcess | null = null;
  const childOut: string[] = [];
  let b: NimbusNode | null = null;
  let store: Store;
  let closeDb: () => Promise<void> = async () => {};
  let demo: DemoTenant;
  let cHttp = '';
  let nodeC: Destination;
  let nodeB: Destination;
  let cookie = '';
  let queueId = '';

  const admin = async () => {
    const u = new URL(databaseUrl!);
    u.pathname = '/postgres';
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    return c;
  };

  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1/tenants/${demo.tenantId}${path}`, {
      method,
      headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const wallboard = async (base: string) =>
    (await api(base, 'GET', `/queues/${queueId}/live`)).json as {
      waiting?: { caller: string; callback: boolean }[];
      agents?: { number: string; state: string }[];
    };

  async function phone(number: string, register: boolean): Promise<Phone> {
    const p = await udpUa(number, wire, systemClock);
    p.credentials = {
      username: number,
      password: demo.extensions.find((e) => e.number === number)!.sipSecret,
    };
    p.on('BYE', (req, tx) => tx?.respond(p.response(req, 200)));
    phones.set(number, p);
    if (!register) return p;
    const reg = p.buildRequest('REGISTER', `sip:${demo.sipDomain}`, {
      from: `<sip:${number}@${demo.sipDomain}>`,
      to: `<sip:${number}@${demo.sipDomain}>`,
      headers: [
        ['Contact', contactFor(p.local, number)],
        ['Expires', '600'],
      ],
    });
    expect((await p.send(reg, nodeB).done())?.status).toBe(200);
    return p;
  }

  beforeAll(async () => {
    const c = await admin();
    await c.query(`create database ${dbName}`);
    await c.end();
    const u = new URL(databaseUrl!);
    u.pathname = `/${dbName}`;
    const nodeDbUrl = u.toString();
    const handle = await openDatabase({ databaseUrl: nodeDbUrl, dataDir: null });
    closeDb = () => handle.close();
    await migrateToLatest(handle.db);
    store = new Store(handle.db);
    const seeded = await seedDemo(store, 'queues.example.test');
    if (!seeded) throw new Error('the demo tenant was not made');
    demo = seeded;

    const cSip = await freePort();
    const cHttpPort = await freePort();
    cHttp = `http://127.0.0.1:${cHttpPort}`;
    nodeC = { transport: 'UDP', host: '127.0.0.1', port: cSip };
    child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: nodeDbUrl,
        REDIS_URL: redisUrl,
        NIMBUS_REDIS_PREFIX: prefix,
        NIMBUS_NODE_ID: 'kill-c',
        NIMBUS_DATA_DIR: join(dir, 'c'),
        NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
        NIMBUS_HTTP_HOST: '127.0.0.1',
        NIMBUS_HTTP_PORT: String(cHttpPort),
        NIMBUS_HTTPS_PORT: '0',
        NIMBUS_SIP_HOST: '127.0.0.1',
        NIMBUS_SIP_PORT: String(cSip),
        NIMBUS_SIP_TLS_PORT: '0',
        // RTP ranges no other test uses (they run in parallel).
        NIMBUS_RTP_PORT_MIN: '43400',
        NIMBUS_RTP_PORT_MAX: '43599',
        NIMBUS_MEDIA_WORKERS: '1',
        NIMBUS_DEMO: 'false',
        NIMBUS_ADMIN_EMAIL: 'ops@example.com',
        NIMBUS_ADMIN_PASSWORD: 'queue-operator-1',
        NIMBUS_LOG_LEVEL: 'warn',
      },
    });
    child.stdout?.on('data', (d) => childOut.push(String(d)));
    child.stderr?.on('data', (d) => childOut.push(String(d)));
    await poll(async () => (await fetch(`${cHttp}/readyz`)).ok, 60_000).catch(() => {
      throw new Error(`node C never became ready:\n${childOut.join('')}`);
    });

    b = await startNode(
      loadConfig({
        env: {
          NIMBUS_HTTP_PORT: '0',
          NIMBUS_HTTP_HOST: '127.0.0.1',
          NIMBUS_SIP_HOST: '127.0.0.1',
          NIMBUS_SIP_PORT: '0',
          NIMBUS_SIP_TLS_PORT: '0',
          NIMBUS_HTTPS_PORT: '0',
          NIMBUS_DATA_DIR: join(dir, 'b'),
          NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
          NIMBUS_LOG_LEVEL: 'silent',
          NIMBUS_MEDIA_WORKERS: '1',
          NIMBUS_RTP_PORT_MIN: '43600',
          NIMBUS_RTP_PORT_MAX: '43799',
          NIMBUS_NODE_ID: 'kill-b',
          NIMBUS_ADMIN_EMAIL: 'ops@example.com',
          NIMBUS_ADMIN_PASSWORD: 'queue-operator-1',
          DATABASE_URL: nodeDbUrl,
          REDIS_URL: redisUrl ?? '',
          NIMBUS_REDIS_PREFIX: prefix,
        },
        configFile: null,
      }),
    );
    nodeB = { transport: 'UDP', host: '127.0.0.1', port: b.sipPorts.udp };
    const login = await fetch(`${b.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@example.com', password: 'queue-operator-1' }),
    });
    expect(login.status).toBe(200);
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const p of phones.values()) p.close();
    await b?.close();
    await closeDb();
    const c = await admin();
    await c.query(`drop database if exists ${dbName} with (force)`);
    await c.end();
    const redis = new Redis(redisUrl!);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('re-queues the caller it can call back (and calls them), reports the other lost, and cleans the registry', async () => {
    const nodeBNode = b!;
    // A queue with a callback key, saved through node B (node C hears of it over the bus).
    const created = await api(nodeBNode.httpUrl, 'POST', '/queues', {
      name: 'Support',
      number: '700',
      ...queueConfig({
        members: [queueMember('101')],
        agentRingSec: 20,
        keys: [{ key: '5', action: 'callback', destination: null }],
        callback: { maxPerAgent: 0, attempts: 2, retryDelaySec: 60, ringSec: 20 },
      }),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    queueId = String(created.json.id);
    await poll(async () => (await api(cHttp, 'GET', `/queues/${queueId}/live`)).status === 200, 10_000);

    // The agent's phone rings and answers; the agent pauses through node B.
    const agentInvites: { req: SipRequest; source: Destination }[] = [];
    const agent = await phone('101', true);
    agent.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      agentInvites.push({ req, source });
      agent.accept(tx, source, PHONE_SDP);
    });
    expect((await api(nodeBNode.httpUrl, 'PATCH', '/queue-agents/101', { paused: true })).status).toBe(200);
    await poll(async () => (await wallboard(cHttp)).agents?.[0]?.state === 'paused', 5000);

    // 103 (a registered phone) and 105 (a phone that never registered) call the queue through node C.
    const callerInvites: { req: SipRequest; source: Destination }[] = [];
    const p103 = await phone('103', true);
    p103.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      callerInvites.push({ req, source });
      p103.accept(tx, source, PHONE_SDP);
    });
    const p105 = await phone('105', false);
    const invite = (p: Phone) =>
      p.send(
        p.buildRequest('INVITE', `sip:700@${demo.sipDomain}`, {
          from: `<sip:${p.name}@${demo.sipDomain}>`,
          body: PHONE_SDP,
        }),
        nodeC,
      );
    expect((await invite(p103).done())?.status).toBe(200);
    expect((await invite(p105).done())?.status).toBe(200);

    // Node B sees C's callers on its wall-board and C's calls in its live API.
    await poll(async () => (await wallboard(nodeBNode.httpUrl)).waiting?.length === 2, 5000);
    expect(((await wallboard(nodeBNode.httpUrl)).waiting ?? []).map((w) => [w.caller, w.callback])).toEqual([
      ['103', false],
      ['105', false],
    ]);
    const liveOnB = async () =>
      (
        (await api(nodeBNode.httpUrl, 'GET', '/live')).json.calls as { caller: string; callee: string }[]
      ).filter((c) => c.callee === '700');
    expect((await liveOnB()).map((c) => c.caller).sort()).toEqual(['103', '105']);
    // The pause made through B holds on C: its queue rings nobody.
    await new Promise((r) => setTimeout(r, 1500));
    expect(agentInvites).toHaveLength(0);

    const heard: PbxEvent[] = [];
    nodeBNode.sip.events.on((e) => heard.push(e));
    const redis = new Redis(redisUrl!);
    try {
      expect(await redis.exists(`${prefix}live:kill-c`)).toBe(1);
      child!.kill('SIGKILL');
      // Heartbeat TTL (10 s) and a round of the dead-node watch: B takes C over.
      await until(() => heard.filter((e) => e.type === 'queue.leave').length === 2, 25_000);
      const leaves = heard.filter(
        (e): e is Extract<PbxEvent, { type: 'queue.leave' }> => e.type === 'queue.leave',
      );
      expect(leaves.map((e) => [e.waiter.caller, e.reason]).sort()).toEqual([
        ['103', 'nodeFailure'],
        ['105', 'nodeFailure'],
      ]);
      expect(await redis.exists(`${prefix}live:kill-c`)).toBe(0);
      await poll(async () => (await liveOnB()).length === 0, 5000);
      // 103 waits again, as a callback request; 105 is gone and counted lost.
      const board = await wallboard(nodeBNode.httpUrl);
      expect((board.waiting ?? []).map((w) => [w.caller, w.callback])).toEqual([['103', true]]);
      const audit = await sql<{
        after: { node: string; callers: { caller: string; outcome: string; why?: string }[] };
      }>`
        select after from audit_log where action = 'queue.node-failure'`.execute(nodeBNode.store.db);
      expect(audit.rows).toHaveLength(1);
      expect(audit.rows[0]!.after.node).toBe('kill-c');
      expect(audit.rows[0]!.after.callers.map((c) => [c.caller, c.outcome, c.why ?? null]).sort()).toEqual([
        ['103', 'requeued', null],
        ['105', 'lost', 'no phone to dial back'],
      ]);
      const today = (await api(nodeBNode.httpUrl, 'GET', `/queues/${queueId}/live`)).json.today as Record<
        string,
        number
      >;
      expect([today.requeuedNodeFailure, today.lostNodeFailure]).toEqual([1, 1]);

      // The agent comes back: node B rings the agent, then calls 103 back.
      expect((await api(nodeBNode.httpUrl, 'PATCH', '/queue-agents/101', { paused: false })).status).toBe(
        200,
      );
      const toAgent = await until(() => agentInvites[0], 10_000);
      expect(toAgent.source.port).toBe(nodeBNode.sipPorts.udp);
      const toCaller = await until(() => callerInvites[0], 10_000);
      expect(toCaller.source.port).toBe(nodeBNode.sipPorts.udp);
      await poll(async () => (await wallboard(nodeBNode.httpUrl)).waiting?.length === 0, 5000);
    } finally {
      await redis.quit();
    }
  }, 90_000);
});
