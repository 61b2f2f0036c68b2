/**
 * Trunk registrations in a cluster (issue 11, "its trunk registrations are taken over"): two
 * nodes sharing PostgreSQL and Redis, and carriers played by our test UA. Node A is a real
 * process (`nimbus start`) so that its death is a real SIGKILL; node B runs in this process.
 *
 * Shown: a carrier sees one registration per trunk, not one per node (both for a trunk that
 * existed before the second node started and for one added while both run); after A is
 * SIGKILLed (no un-REGISTER, its lease left to expire) the carrier gets B's REGISTER, with
 * B's Contact, within the lease time plus two rounds; a call from the carrier to B's Contact
 * then rings a phone. Runs where DATABASE_URL and REDIS_URL are set (CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NimbusNode, startNode } from '../../src/app.js';
import { type DemoTenant, seedDemo } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { contactFor } from '../../src/sip/dialog.js';
import { formatUri, parseNameAddr, type SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { openDatabase } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { Store } from '../../src/store/store.js';
import { freePort } from '../helpers/kamailio.js';
import { PHONE_SDP } from '../helpers/phones.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
/** The default heartbeat TTL, which the trunk leases share; renewed every third of it. */
const LEASE_MS = 10_000;
const ROUND_MS = Math.floor(LEASE_MS / 3);
const DID = '+74951110077';

interface Seen {
  at: number;
  contact: string;
  expires: number;
}

/** A carrier's registrar: takes every REGISTER (no challenge) and keeps what it was asked. */
async function carrier(name: string, address: string, wire: Wire) {
  const ua = await udpUa(name, wire, systemClock, address);
  const registers: Seen[] = [];
  ua.on('REGISTER', (req, tx) => {
    if (!tx) return;
    const contact = parseNameAddr(req.headers.get('Contact') ?? '');
    const expires = Number(req.headers.get('Expires') ?? '3600');
    const uri = contact ? formatUri(contact.uri) : null;
    if (uri) registers.push({ at: Date.now(), contact: uri, expires });
    tx.respond(ua.response(req, 200, uri ? [['Contact', `<${uri}>;expires=${expires}`]] : []));
  });
  return Object.assign(ua, { registers });
}

/** The Contacts holding a binding now, by the carrier's own account of REGISTERs. */
function bound(registers: Seen[]): string[] {
  const last = new Map<string, Seen>();
  for (const r of registers) last.set(r.contact, r);
  return [...last.values()].filter((r) => r.expires > 0).map((r) => r.contact);
}

describe.runIf(databaseUrl && redisUrl)('trunk registrations shared by two nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-trunk-takeover-'));
  const dbName = `nimbus_trunks_${randomBytes(5).toString('hex')}`;
  const prefix = `nimbus-test:${dbName}:`;
  const wire = new Wire();
  let nodeDbUrl = '';
  let child: ChildProcess | null = null;
  const childOut: string[] = [];
  let aSip = 0;
  let b: NimbusNode | null = null;
  let carrier1: Awaited<ReturnType<typeof carrier>>;
  let carrier2: Awaited<ReturnType<typeof carrier>>;
  let phone: (TestUa & { close(): void }) | null = null;
  let store: Store;
  let closeDb: () => Promise<void> = async () => {};
  let trunk1 = '';
  let demo: DemoTenant;

  const admin = async () => {
    const u = new URL(databaseUrl!);
    u.pathname = '/postgres';
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    const c = await admin();
    await c.query(`create database ${dbName}`);
    await c.end();
    const u = new URL(databaseUrl!);
    u.pathname = `/${dbName}`;
    nodeDbUrl = u.toString();
    const handle = await openDatabase({ databaseUrl: nodeDbUrl, dataDir: null });
    closeDb = () => handle.close();
    await migrateToLatest(handle.db);
    store = new Store(handle.db);
    // The tenant whose phone the carrier's call rings (what the first start makes on a new platform).
    const seeded = await seedDemo(store, 'trunks.example.test');
    if (!seeded) throw new Error('the demo tenant was not made');
    demo = seeded;

    carrier1 = await carrier('carrier1', '127.0.0.5', wire);
    carrier2 = await carrier('carrier2', '127.0.0.6', wire);
    trunk1 = (
      await store.trunks.create(
        trunkInput('Carrier one', '127.0.0.5', carrier1.local.port, {
          kind: 'register',
          username: 'acct-1',
          password: 'secret-1',
          contactUser: 'pbx-in',
          didSource: 'to',
        }),
      )
    ).id;

    // Node A alone first: the trunk is its to register.
    aSip = await freePort();
    const http = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: nodeDbUrl,
        REDIS_URL: redisUrl,
        NIMBUS_REDIS_PREFIX: prefix,
        NIMBUS_NODE_ID: 'trunk-a',
        NIMBUS_DATA_DIR: join(dir, 'a'),
        NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
        NIMBUS_HTTP_HOST: '127.0.0.1',
        NIMBUS_HTTP_PORT: String(http),
        NIMBUS_HTTPS_PORT: '0',
        NIMBUS_SIP_HOST: '127.0.0.1',
        NIMBUS_SIP_PORT: String(aSip),
        NIMBUS_SIP_TLS_PORT: '0',
        // RTP ranges no other test uses (they run in parallel).
        NIMBUS_RTP_PORT_MIN: '42400',
        NIMBUS_RTP_PORT_MAX: '42599',
        NIMBUS_MEDIA_WORKERS: '1',
        NIMBUS_DEMO: 'false',
        NIMBUS_ADMIN_EMAIL: 'ops@example.com',
        NIMBUS_ADMIN_PASSWORD: 'trunk-operator-1',
        NIMBUS_LOG_LEVEL: 'warn',
      },
    });
    child.stdout?.on('data', (d) => childOut.push(String(d)));
    child.stderr?.on('data', (d) => childOut.push(String(d)));
    await until(() => carrier1.registers.length > 0, 60_000).catch(() => {
      throw new Error(`node A never registered the trunk:\n${childOut.join('')}`);
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
          NIMBUS_RTP_PORT_MIN: '42600',
          NIMBUS_RTP_PORT_MAX: '42799',
          NIMBUS_NODE_ID: 'trunk-b',
          NIMBUS_ADMIN_EMAIL: 'ops@example.com',
          NIMBUS_ADMIN_PASSWORD: 'trunk-operator-1',
          DATABASE_URL: nodeDbUrl,
          REDIS_URL: redisUrl ?? '',
          NIMBUS_REDIS_PREFIX: prefix,
        },
        configFile: null,
      }),
    );
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    phone?.close();
    await b?.close();
    carrier1?.close();
    carrier2?.close();
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

  it('one registration per trunk; a SIGKILLed owner is taken over and its calls come to the survivor', async () => {
    const nodeB = b!;
    const aContact = `sip:pbx-in@127.0.0.1:${aSip}`;
    const bContact = `sip:pbx-in@127.0.0.1:${nodeB.sipPorts.udp}`;

    // Two rounds with both nodes up: the trunk stays with A; B keeps it ready and shows A's registration.
    await new Promise((r) => setTimeout(r, 2 * ROUND_MS + 500));
    expect(bound(carrier1.registers)).toEqual([aContact]);
    const s1 = nodeB.sip.carriers.trunks.status().find((s) => s.id === trunk1)!;
    expect(s1.registeredBy).toBe('trunk-a');
    expect(s1.registration?.state).toBe('registered');
    expect(s1.registration?.expiresAt?.getTime()).toBeGreaterThan(Date.now());

    // A trunk added while both run (B announces the change): still exactly one REGISTER source.
    const trunk2 = await store.trunks.create(
      trunkInput('Carrier two', '127.0.0.6', carrier2.local.port, {
        kind: 'register',
        username: 'acct-2',
        password: 'secret-2',
        contactUser: 'pbx-two',
      }),
    );
    await nodeB.sip.tenantChanged(null);
    await until(() => carrier2.registers.length > 0, 3 * ROUND_MS);
    await new Promise((r) => setTimeout(r, 2 * ROUND_MS + 500));
    expect(bound(carrier2.registers)).toHaveLength(1);
    expect(new Set(carrier2.registers.map((r) => r.contact)).size).toBe(1);
    const s2 = nodeB.sip.carriers.trunks.status().find((s) => s.id === trunk2.id)!;
    expect(s2.registeredBy).toMatch(/^trunk-[ab]$/);
    expect(s2.registration?.state).toBe('registered');

    // The number and a phone on node B for the call afterwards.
    const ext = await store.tenant(demo.tenantId).extensions.getByNumber('101');
    await store.numbers.create({ number: DID, tenantId: demo.tenantId, trunkId: trunk1, note: 'main' });
    await store.tenant(demo.tenantId).routing.create('inboundRoute', {
      name: 'Main number',
      number: DID,
      config: { callerRules: [], destination: { kind: 'extension', id: ext!.id } },
    });
    await nodeB.sip.tenantChanged(null);
    phone = await udpUa('101', wire, systemClock);
    phone.credentials = {
      username: '101',
      password: demo.extensions.find((e) => e.number === '101')!.sipSecret,
    };
    const rung: SipRequest[] = [];
    const ph = phone;
    ph.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      rung.push(req);
      ph.accept(tx, source, PHONE_SDP);
    });
    const toB: Destination = { transport: 'UDP', host: '127.0.0.1', port: nodeB.sipPorts.udp };
    const reg = ph.buildRequest('REGISTER', `sip:${demo.sipDomain}`, {
      from: `<sip:101@${demo.sipDomain}>`,
      to: `<sip:101@${demo.sipDomain}>`,
      headers: [
        ['Contact', contactFor(ph.local, '101')],
        ['Expires', '300'],
      ],
    });
    expect((await ph.send(reg, toB).done())?.status).toBe(200);

    // A dies: no un-REGISTER, no lease given back.
    const before = carrier1.registers.length;
    const killedAt = Date.now();
    child!.kill('SIGKILL');
    await until(() => child!.exitCode !== null || child!.signalCode !== null, 5000);
    const taken = await until(
      () => carrier1.registers.slice(before).find((r) => r.contact === bContact),
      LEASE_MS + 3 * ROUND_MS + 2000,
    );
    const takeoverMs = taken.at - killedAt;
    console.log(`trunk registration taken over ${takeoverMs} ms after SIGKILL (lease ${LEASE_MS} ms)`);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2 * ROUND_MS + 1000);
    // Nothing but B's REGISTER since (A unregistered nothing: it was killed).
    expect(carrier1.registers.slice(before).every((r) => r.contact === bContact && r.expires > 0)).toBe(true);
    // B counts itself registered once the carrier's 200 is back (a moment after the REGISTER was seen).
    await until(
      () =>
        nodeB.sip.carriers.trunks.status().find((s) => s.id === trunk1)?.registration?.state === 'registered',
      5000,
    );
    const after = nodeB.sip.carriers.trunks.status().find((s) => s.id === trunk1)!;
    expect(after.registeredBy).toBe('trunk-b');
    expect(after.registration?.state).toBe('registered');
    // Trunk two, if A had it, moved to B as well.
    await until(
      () => nodeB.sip.carriers.trunks.status().find((s) => s.id === trunk2.id)?.registeredBy === 'trunk-b',
      LEASE_MS + 3 * ROUND_MS,
    );

    // The carrier calls our number at the Contact it now has: B takes it and rings the phone.
    const invite = carrier1.buildRequest('INVITE', bContact, {
      from: '<sip:74957654321@127.0.0.5>',
      to: `<sip:${DID.slice(1)}@127.0.0.5>`,
      body: PHONE_SDP,
    });
    const answer = await carrier1.send(invite, toB).done();
    expect(answer?.status).toBe(200);
    expect(rung).toHaveLength(1);
    const dialog = [...carrier1.dialogs.values()][0]!;
    expect((await carrier1.inDialog('BYE', { dialog }).done())?.status).toBe(200);
    await until(() => nodeB.sip.calls.size === 0);
    await nodeB.store.callLog.drain();
    const row = await store.db
      .selectFrom('calls')
      .select(['direction', 'trunk', 'node'])
      .where('callee', '=', DID)
      .executeTakeFirst();
    expect(row).toMatchObject({ direction: 'inbound', trunk: 'Carrier one', node: 'trunk-b' });
  }, 90_000);
});
