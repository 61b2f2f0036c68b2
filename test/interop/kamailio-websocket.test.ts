/**
 * Interop: browser softphones behind Kamailio (deploy/kamailio/nimbus.cfg fronting SIP over
 * WebSocket) in front of two Nimbus processes sharing PostgreSQL and Redis. A SIP.js UA in
 * Node registers over Kamailio's WS port (its REGISTER lands on one node, with a Path whose
 * `received` is its WebSocket connection); calls are placed through Kamailio until one is
 * handled by the node that did NOT take the REGISTER, and that call must ring the SIP.js UA
 * over its connection to Kamailio, be answered and be hung up normally.
 *
 * The negative control is the old way, a UA registered straight to node A's /sip: a call
 * handled by node B cannot ring it (B holds no connection to it), which is what fronting
 * WebSocket with Kamailio fixes.
 *
 * The softphone answers with WebRTC (werift standing in for a browser): behind Kamailio a node
 * sees only Kamailio's UDP, and must still know the contact is a browser (its Contact's
 * transport=ws, src/pbx/location.ts) and offer it WebRTC from its gateway, not plain RTP.
 *
 * The same over WSS (Kamailio's tls module, WITH_WSS), when kamailio-tls-modules is installed.
 *
 * Runs with kamailio and its websocket module installed (or fails under
 * NIMBUS_REQUIRE_INTEROP=1 without them), and needs DATABASE_URL and REDIS_URL.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent } from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCertificate } from '../../src/pbx/tls-certificate.js';
import { contactFor } from '../../src/sip/dialog.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { freePort, haveKamailio, type NimbusCluster, startCluster } from '../helpers/kamailio.js';
import { PHONE_SDP } from '../helpers/phones.js';
import { until } from '../helpers/sipjs.js';
import { udpUa, Wire } from '../helpers/test-ua.js';
import { WeriftSdh } from '../helpers/werift-sdh.js';

const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const DOMAIN = 'kamws.example.test';
/** Kamailio's tls module (Debian's kamailio-tls-modules), for WSS. */
const haveTls = readdirSync('/usr/lib', { withFileTypes: true }).some(
  (d) => d.isDirectory() && existsSync(join('/usr/lib', d.name, 'kamailio/modules/tls.so')),
);

interface StoredBinding {
  node: string;
  path: string[];
  source: Destination;
  contact: string;
}

describe.runIf((haveKamailio || required) && databaseUrl && redisUrl)(
  'Kamailio fronting SIP over WebSocket for two Nimbus nodes',
  () => {
    let cluster: NimbusCluster;
    let tenantId = '';
    const agents: UserAgent[] = [];
    const secrets = {
      '301': 'kamws-secret-301',
      '302': 'kamws-secret-302',
      '303': 'kamws-secret-303',
      '304': 'kamws-secret-304',
      '305': 'kamws-secret-305',
      '306': 'kamws-secret-306',
    };
    let wssPort = 0;
    let certDir = '';

    beforeAll(async () => {
      if (!haveKamailio)
        throw new Error(
          'kamailio or its websocket module is not installed (apt-get install kamailio kamailio-websocket-modules) and NIMBUS_REQUIRE_INTEROP=1',
        );
      // WSS with a self-signed certificate (SIP.js here skips verification, test/helpers/sipjs.ts).
      const wss: string[] = [];
      if (haveTls) {
        certDir = mkdtempSync(join(tmpdir(), 'nimbus-kamws-tls-'));
        await loadOrCreateCertificate({
          certFile: null,
          keyFile: null,
          dataDir: certDir,
          hostName: '127.0.0.1',
        });
        wssPort = await freePort();
        wss.push(
          'WITH_WSS',
          `WSS_CERT="${join(certDir, 'tls/self-signed.crt')}"`,
          `WSS_KEY="${join(certDir, 'tls/self-signed.key')}"`,
          `LISTEN_WSS=tls:127.0.0.1:${wssPort}`,
        );
      }
      // RTP 46200-46599, a range no other test uses (they run in parallel; sipp-dtmf has 46000-46099).
      cluster = await startCluster({
        name: 'kamws',
        nodes: 2,
        rtpBase: 46_200,
        rtpPorts: 200,
        kamailioDefines: wss,
      });
      tenantId = await cluster.createTenant(DOMAIN, secrets);
    }, 120_000);

    afterAll(async () => {
      for (const ua of agents) await ua.stop().catch(() => {});
      await cluster?.close();
      if (certDir) rmSync(certDir, { recursive: true, force: true });
    }, 30_000);

    /** A SIP.js UA registered over `server`; its incoming calls go to `onInvite`. */
    async function register(
      number: keyof typeof secrets,
      server: string,
      onInvite: (inv: Invitation) => void,
    ): Promise<UserAgent> {
      const ua = new UserAgent({
        uri: UserAgent.makeURI(`sip:${number}@${DOMAIN}`)!,
        authorizationUsername: number,
        authorizationPassword: secrets[number],
        transportOptions: { server },
        sessionDescriptionHandlerFactory: () => new WeriftSdh(),
        logLevel: 'error',
        delegate: { onInvite },
      });
      agents.push(ua);
      await ua.start();
      const reg = new Registerer(ua);
      await reg.register();
      await until(() => reg.state === RegistererState.Registered, 10_000, `${number} registered`);
      return ua;
    }

    /** The one binding of `number` in Redis (the node writes it there just after its 200: polled). */
    async function bindingOf(redis: Redis, number: string): Promise<StoredBinding> {
      let all: StoredBinding[] = [];
      for (let i = 0; i < 100 && all.length === 0; i++) {
        if (i) await new Promise((r) => setTimeout(r, 50));
        const hash = await redis.hgetall(`${cluster.prefix}loc:${tenantId}:${number}`);
        all = Object.values(hash).map((v) => JSON.parse(v) as StoredBinding);
      }
      expect(all.length, `bindings of ${number}`).toBe(1);
      return all[0]!;
    }

    /**
     * Calls `number` through Kamailio from a UDP phone until a call is handled by a node other
     * than `notOn` (Kamailio spreads calls by a hash of their Call-ID: one chance in two each).
     * Answered calls are hung up by the caller. Returns every call's node and final status.
     */
    async function callUntilOtherNode(
      db: pg.Client,
      number: string,
      notOn: string,
    ): Promise<{ node: string; status: number; cause: string | null }[]> {
      const kamailio: Destination = { transport: 'UDP', host: '127.0.0.1', port: cluster.kamPort };
      const caller = await udpUa('303', new Wire(), systemClock);
      caller.credentials = { username: '303', password: secrets['303'] };
      const calls: { node: string; status: number; cause: string | null }[] = [];
      try {
        for (let attempt = 0; attempt < 20 && !calls.some((c) => c.node !== notOn); attempt++) {
          const invite = caller.buildRequest('INVITE', `sip:${number}@${DOMAIN}`, {
            from: `<sip:303@${DOMAIN}>`,
            body: PHONE_SDP,
          });
          const answer = await caller.send(invite, kamailio).done();
          const status = answer?.status ?? 0;
          if (status === 200) {
            const dialog = [...caller.dialogs.values()].at(-1)!;
            expect((await caller.inDialog('BYE', { dialog }).done())?.status).toBe(200);
            caller.dialogs.clear();
          }
          // The CDR says which node handled the call; it is closed shortly after the call ends.
          const callId = invite.headers.get('Call-ID');
          let row: { node: string; status: string; cause: string | null } | undefined;
          for (
            let i = 0;
            i < 200 && !(row?.status === 'ended' || row?.status === 'missed' || row?.status === 'failed');
            i++
          ) {
            if (i) await new Promise((r) => setTimeout(r, 50));
            row = (
              await db.query<{ node: string; status: string; cause: string | null }>(
                'select node, status, cause from calls where sip_call_id = $1',
                [callId],
              )
            ).rows[0];
          }
          if (!row) throw new Error(`call ${attempt + 1} (${status}): no CDR`);
          calls.push({ node: row.node, status, cause: row.cause });
        }
      } finally {
        caller.close();
      }
      return calls;
    }

    /**
     * Registers `number` over `server` (Kamailio's WS or WSS port) and calls it through
     * Kamailio until a call is handled by the node that did not take the REGISTER.
     */
    async function ringThroughKamailio(number: keyof typeof secrets, server: string): Promise<void> {
      const db = new pg.Client({ connectionString: cluster.dbUrl });
      await db.connect();
      const redis = new Redis(redisUrl!);
      try {
        const invitations: Invitation[] = [];
        await register(number, server, (inv) => {
          invitations.push(inv);
          void inv.accept();
        });
        // The node that took the REGISTER stored Kamailio's Path, whose `received` is the
        // softphone's WebSocket connection to Kamailio; the node itself only saw Kamailio (UDP).
        const binding = await bindingOf(redis, number);
        expect(cluster.nodes.map((n) => n.id)).toContain(binding.node);
        expect(binding.source).toMatchObject({ transport: 'UDP', port: cluster.kamPort });
        expect(binding.path).toHaveLength(1);
        expect(decodeURIComponent(binding.path[0]!)).toMatch(/received=sip:127\.0\.0\.1:\d+;transport=wss?/i);

        await cluster.waitDispatcher([true, true]);
        const calls = await callUntilOtherNode(db, number, binding.node);
        const other = calls.find((c) => c.node !== binding.node);
        expect(other, `calls were handled by ${calls.map((c) => c.node).join(', ')}`).toBeDefined();
        // Every call, on either node, rang the softphone over Kamailio and was answered and
        // hung up normally.
        for (const c of calls) expect(c).toMatchObject({ status: 200, cause: 'normal' });
        expect(invitations).toHaveLength(calls.length);
        const last = invitations.at(-1)!;
        await until(() => last.state === SessionState.Terminated, 5000, 'softphone saw the BYE');
        // Whichever node placed it, the call was offered as WebRTC from that node's gateway:
        // the node knew a browser was behind Kamailio.
        for (const inv of invitations) {
          expect(inv.request.body).toMatch(/m=audio \d+ UDP\/TLS\/RTP\/SAVPF /);
          expect(inv.request.body).toMatch(/a=fingerprint:sha-256 /);
        }
      } finally {
        await db.end();
        await redis.quit();
      }
    }

    it('a softphone registered over Kamailio WS is rung by the node that did not take its REGISTER', async () => {
      await ringThroughKamailio('301', `ws://127.0.0.1:${cluster.kamWsPort}`);
    }, 90_000);

    it.runIf(haveTls || required)(
      'the same over WSS (WITH_WSS: the tls module on LISTEN_WSS)',
      async () => {
        if (!haveTls) throw new Error('kamailio-tls-modules is not installed and NIMBUS_REQUIRE_INTEROP=1');
        await ringThroughKamailio('304', `wss://127.0.0.1:${wssPort}`);
      },
      90_000,
    );

    it('a softphone behind Kamailio calls a desk phone; the desk phone hangs up, and the BYE finds the softphone', async () => {
      const kamailio: Destination = { transport: 'UDP', host: '127.0.0.1', port: cluster.kamPort };
      const desk = await udpUa('305', new Wire(), systemClock);
      try {
        desk.credentials = { username: '305', password: secrets['305'] };
        const offers: string[] = [];
        desk.on('INVITE', (req, tx, source) => {
          if (!tx) return;
          offers.push(req.body.toString());
          desk.accept(tx, source, PHONE_SDP);
        });
        desk.on('ACK', () => {});
        const reg = desk.buildRequest('REGISTER', `sip:${DOMAIN}`, {
          from: `<sip:305@${DOMAIN}>`,
          to: `<sip:305@${DOMAIN}>`,
          headers: [
            ['Contact', contactFor(desk.local, '305')],
            ['Expires', '300'],
          ],
        });
        expect((await desk.send(reg, kamailio).done())?.status).toBe(200);

        const ua = await register('306', `ws://127.0.0.1:${cluster.kamWsPort}`, () => {});
        const inviter = new Inviter(ua, UserAgent.makeURI(`sip:305@${DOMAIN}`)!);
        await inviter.invite();
        await until(
          () => inviter.state === SessionState.Established,
          10_000,
          'call from the softphone established',
        );
        // The node answered the browser with WebRTC and offered the desk phone plain RTP.
        const answer = (inviter.sessionDescriptionHandler as WeriftSdh).pc.remoteDescription?.sdp ?? '';
        expect(answer).toMatch(/UDP\/TLS\/RTP\/SAVPF/);
        expect(offers[0]).toMatch(/m=audio \d+ RTP\/AVP /);
        // The desk phone hangs up: the node's BYE goes to the softphone's Contact, which
        // Kamailio marked with the alias of its WebSocket connection (handle_ruri_alias).
        await until(() => desk.dialogs.size === 1, 5000, 'desk phone in the dialog');
        const dialog = [...desk.dialogs.values()][0]!;
        expect((await desk.inDialog('BYE', { dialog }).done())?.status).toBe(200);
        await until(() => inviter.state === SessionState.Terminated, 20_000, 'softphone got the BYE');
      } finally {
        desk.close();
      }
    }, 60_000);

    it('without Kamailio in front, a softphone on node A cannot be rung by node B', async () => {
      const db = new pg.Client({ connectionString: cluster.dbUrl });
      await db.connect();
      const redis = new Redis(redisUrl!);
      try {
        const [a] = cluster.nodes;
        const invitations: Invitation[] = [];
        await register('302', `ws://127.0.0.1:${a!.http}/sip`, (inv) => {
          invitations.push(inv);
          void inv.accept();
        });
        const binding = await bindingOf(redis, '302');
        expect(binding).toMatchObject({ node: a!.id, path: [] });
        expect(binding.source.transport).toBe('WS');

        const calls = await callUntilOtherNode(db, '302', a!.id);
        const onB = calls.find((c) => c.node !== a!.id);
        expect(onB, `calls were handled by ${calls.map((c) => c.node).join(', ')}`).toBeDefined();
        // Node A rings it over its own connection; node B has none and cannot.
        expect(onB!.status).not.toBe(200);
        for (const c of calls.filter((x) => x.node === a!.id)) expect(c.status).toBe(200);
        expect(invitations).toHaveLength(calls.filter((c) => c.node === a!.id).length);
      } finally {
        await db.end();
        await redis.quit();
      }
    }, 90_000);
  },
);
