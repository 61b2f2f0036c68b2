/**
 * Interop: Kamailio (deploy/kamailio/nimbus.cfg) in front of two Nimbus processes sharing a
 * PostgreSQL database and Redis. A phone registers through Kamailio (its REGISTER lands on
 * one node, which stores Kamailio's Path in Redis); another phone calls it through Kamailio,
 * which spreads calls by Call-ID, until an answered call was handled by the *other* node. That call must reach
 * the callee through Kamailio (routed by the Path) and be answered and hung up normally.
 * Then the node carrying an answered call is SIGKILLed: the survivor closes that call's CDR
 * as interrupted (by the dead node's expired heartbeat), and a new call to a phone that does
 * not register again is answered through the survivor.
 *
 * Runs with kamailio installed (or fails under NIMBUS_REQUIRE_INTEROP=1 without it), and
 * needs DATABASE_URL (a database of its own is created on that server) and REDIS_URL.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../src/sip/dialog.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { haveKamailio, type NimbusCluster, startCluster } from '../helpers/kamailio.js';
import { PHONE_SDP } from '../helpers/phones.js';
import { udpUa, Wire } from '../helpers/test-ua.js';

const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const DOMAIN = 'kam.example.test';

describe.runIf((haveKamailio || required) && databaseUrl && redisUrl)(
  'Kamailio in front of two Nimbus nodes (Path, dispatcher)',
  () => {
    let cluster: NimbusCluster;
    let nodes: NimbusCluster['nodes'] = [];
    let kamPort = 0;
    let nodeDbUrl = '';
    let prefix = '';
    let tenantId = '';
    const secrets = {
      '201': 'kam-secret-201',
      '202': 'kam-secret-202',
      '203': 'kam-secret-203',
      '204': 'kam-secret-204',
    };

    beforeAll(async () => {
      if (!haveKamailio)
        throw new Error('kamailio is not installed (apt-get install kamailio) and NIMBUS_REQUIRE_INTEROP=1');
      // RTP ranges no other test uses (they run in parallel).
      cluster = await startCluster({ name: 'kam', nodes: 2, rtpBase: 40_000 });
      ({ nodes, kamPort, dbUrl: nodeDbUrl, prefix } = cluster);
      // A tenant and four extensions, through node 2's API (node 1 learns them by announcement).
      tenantId = await cluster.createTenant(DOMAIN, secrets);
    }, 120_000);

    afterAll(async () => {
      await cluster?.close();
    }, 30_000);

    it('a phone registered through one node is called through the other, via Path', async () => {
      const kamailio: Destination = { transport: 'UDP', host: '127.0.0.1', port: kamPort };
      const wire = new Wire();
      const callee = await udpUa('201', wire, systemClock);
      const caller = await udpUa('202', wire, systemClock);
      const db = new pg.Client({ connectionString: nodeDbUrl });
      await db.connect();
      const redis = new Redis(redisUrl!);
      try {
        callee.credentials = { username: '201', password: secrets['201'] };
        caller.credentials = { username: '202', password: secrets['202'] };
        const offered: Destination[] = [];
        callee.on('INVITE', (_req, tx, source) => {
          if (!tx) return;
          offered.push(source);
          callee.accept(tx, source, PHONE_SDP);
        });
        callee.on('OPTIONS', (req, tx) => tx?.respond(callee.response(req, 200)));
        callee.on('BYE', (req, tx) => tx?.respond(callee.response(req, 200)));

        const reg = callee.buildRequest('REGISTER', `sip:${DOMAIN}`, {
          from: `<sip:201@${DOMAIN}>`,
          to: `<sip:201@${DOMAIN}>`,
          headers: [
            ['Contact', contactFor(callee.local, '201')],
            ['Expires', '300'],
          ],
        });
        const registered = await callee.send(reg, kamailio).done();
        expect(registered?.status).toBe(200);
        // The binding in Redis: which node took it, and Kamailio's Path with the phone's address.
        const hash = await redis.hgetall(`${prefix}loc:${tenantId}:201`);
        const binding = JSON.parse(Object.values(hash)[0]!) as {
          node: string;
          path: string[];
          source: Destination;
        };
        expect(nodes.map((n) => n.id)).toContain(binding.node);
        expect(binding.source.port).toBe(kamPort);
        expect(binding.path.join()).toContain(`received=sip:127.0.0.1:${callee.local.port}`);

        // Kamailio's OPTIONS probes find both nodes alive (flags A = active, P = probing).
        await cluster.waitDispatcher([true, true]);
        // Kamailio spreads calls by a hash of their Call-ID (both INVITEs of a call, the
        // challenged one and the one with credentials, go to the same node): call until one is
        // handled by the other node (each call has one chance in two).
        const handledBy: string[] = [];
        for (let attempt = 0; attempt < 20 && !handledBy.some((n) => n !== binding.node); attempt++) {
          const invite = caller.buildRequest('INVITE', `sip:201@${DOMAIN}`, {
            from: `<sip:202@${DOMAIN}>`,
            body: PHONE_SDP,
          });
          const answer = await caller.send(invite, kamailio).done();
          expect(answer?.status, `call ${attempt + 1}`).toBe(200);
          const dialog = [...caller.dialogs.values()].at(-1)!;
          const bye = await caller.inDialog('BYE', { dialog }).done();
          expect(bye?.status).toBe(200);
          caller.dialogs.clear();
          const callId = invite.headers.get('Call-ID');
          let row: { node: string; status: string } | undefined;
          for (let i = 0; i < 100 && row?.status !== 'ended'; i++) {
            if (i) await new Promise((r) => setTimeout(r, 50));
            const r = await db.query<{ node: string; status: string }>(
              `select node, status from calls where tenant_id = $1 order by started_at desc limit 1`,
              [tenantId],
            );
            row = r.rows[0];
          }
          if (row?.status !== 'ended')
            throw new Error(`call ${attempt + 1}: CDR not closed (${row?.status})`);
          expect(callId).toBeTruthy();
          handledBy.push(row.node);
        }
        const other = handledBy.find((n) => n !== binding.node);
        expect(other, `calls were handled by ${handledBy.join(', ')}`).toBeDefined();
        // Every INVITE to the callee came through Kamailio (the Path), never from a node directly.
        expect(offered.length).toBe(handledBy.length);
        for (const s of offered) expect(s.port).toBe(kamPort);
      } finally {
        callee.close();
        caller.close();
        await db.end();
        await redis.quit();
      }
    }, 60_000);

    it('SIGKILL of the node carrying a call: its CDR is closed by the survivor, the phone stays reachable', async () => {
      const kamailio: Destination = { transport: 'UDP', host: '127.0.0.1', port: kamPort };
      const wire = new Wire();
      const callee = await udpUa('203', wire, systemClock);
      const caller = await udpUa('204', wire, systemClock);
      const db = new pg.Client({ connectionString: nodeDbUrl });
      await db.connect();
      try {
        callee.credentials = { username: '203', password: secrets['203'] };
        caller.credentials = { username: '204', password: secrets['204'] };
        callee.on('INVITE', (_req, tx, source) => {
          if (tx) callee.accept(tx, source, PHONE_SDP);
        });
        callee.on('OPTIONS', (req, tx) => tx?.respond(callee.response(req, 200)));
        callee.on('BYE', (req, tx) => tx?.respond(callee.response(req, 200)));
        const reg = callee.buildRequest('REGISTER', `sip:${DOMAIN}`, {
          from: `<sip:203@${DOMAIN}>`,
          to: `<sip:203@${DOMAIN}>`,
          headers: [
            ['Contact', contactFor(callee.local, '203')],
            ['Expires', '300'],
          ],
        });
        expect((await callee.send(reg, kamailio).done())?.status).toBe(200);
        const call = () =>
          caller.send(
            caller.buildRequest('INVITE', `sip:203@${DOMAIN}`, {
              from: `<sip:204@${DOMAIN}>`,
              body: PHONE_SDP,
            }),
            kamailio,
          );
        const rowOf = async (callId: string) =>
          (
            await db.query<{ id: string; node: string; status: string; cause: string | null }>(
              'select id, node, status, cause from calls where sip_call_id = $1',
              [callId],
            )
          ).rows[0];

        // A call up, on whichever node Kamailio gave it to.
        const first = call();
        expect((await first.done())?.status).toBe(200);
        const firstId = first.request.headers.get('Call-ID')!;
        let row = await rowOf(firstId);
        for (let i = 0; i < 50 && row?.status !== 'answered'; i++) {
          await new Promise((r) => setTimeout(r, 50));
          row = await rowOf(firstId);
        }
        expect(row?.status).toBe('answered');
        const victim = nodes.findIndex((n) => n.id === row!.node);
        const survivor = nodes[1 - victim]!;
        nodes[victim]!.proc.p.kill('SIGKILL');
        const killedAt = Date.now();

        // The survivor notices the heartbeat gone (10 s TTL) and closes the call's record.
        for (let i = 0; i < 200 && row?.status !== 'interrupted'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          row = await rowOf(firstId);
        }
        expect(row).toMatchObject({ status: 'interrupted', cause: 'interrupted' });
        expect(Date.now() - killedAt).toBeLessThan(20_000);

        // A new call to the same phone, without it registering again: through the survivor
        // (Kamailio's failover or its probe took the dead node out).
        caller.dialogs.clear();
        const second = call();
        expect((await second.done())?.status).toBe(200);
        let secondRow = await rowOf(second.request.headers.get('Call-ID')!);
        for (let i = 0; i < 50 && !secondRow; i++) {
          await new Promise((r) => setTimeout(r, 50));
          secondRow = await rowOf(second.request.headers.get('Call-ID')!);
        }
        expect(secondRow?.node).toBe(survivor.id);
        const dialog = [...caller.dialogs.values()].at(-1)!;
        expect((await caller.inDialog('BYE', { dialog }).done())?.status).toBe(200);
      } finally {
        callee.close();
        caller.close();
        await db.end();
      }
    }, 90_000);
  },
);
