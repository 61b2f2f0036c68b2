/**
 * Interop, issue 11 ("a node dies"): Kamailio (deploy/kamailio/nimbus.cfg) in front of two
 * Nimbus processes on PostgreSQL and Redis, SIPp phones, and one node SIGKILLed under load.
 *
 * 100 callees register through Kamailio (digest auth; the hash of each REGISTER's Call-ID
 * picks its node). A SIPp callee answers them; SIPp callers place 20 authenticated calls a
 * second, each held 3 s, through Kamailio, while 40 more phones register. Eight seconds in,
 * the node carrying more calls is SIGKILLed. Counted and asserted:
 * - registrations lost: 0. After the load every phone registered before or during it (each
 *   REGISTER answered 200) is called once through the survivor, without registering again,
 *   and every one of these calls is answered; some of them were taken by the dead node.
 * - CDRs lost: 0. Every call a node rang or answered (SIPp saw its 180 or 200) has a row in
 *   PostgreSQL; once the survivor took over the dead node, no row is left open, and the dead
 *   node's open rows are `interrupted`. Every completed call has an `ended` row, except
 *   calls hung up in the last moments before the kill whose end the dead node had not
 *   written yet: those rows are `interrupted` (counted and printed).
 * - failed calls: printed. Calls on the dead node fail (their media and dialogs were there),
 *   and calls sent to it before Kamailio noticed wait for its 4 s timeout and then go on to
 *   the survivor. Asserted: no call failed that started more than a hold time before the
 *   kill, and the calls started after Kamailio marked the node down succeed (at most 1 %
 *   lost on a loaded machine) without waiting for the dead node.
 * - Kamailio marks the dead node down within 12 s (its own INVITE timeout does at ~4 s, the
 *   OPTIONS probes at 8-11 s), and it stays down (a probe's own timeout once counted as an
 *   answer and put it back every few seconds).
 *
 * Runs with kamailio and sipp installed (or fails under NIMBUS_REQUIRE_INTEROP=1 without
 * them), and needs DATABASE_URL (a database of its own is created on that server) and REDIS_URL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, haveKamailio, type NimbusCluster, startCluster } from '../helpers/kamailio.js';
import {
  auth,
  type CallFate,
  type LoadScenarios,
  loadScenarios,
  readSippLog,
  runSipp,
  startUas,
  writeCsv,
} from '../helpers/sipp-load.js';

const haveSipp = spawnSync('sipp', ['-v']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const DOMAIN = 'kamload.example.test';

const CALLERS = Array.from({ length: 10 }, (_, i) => String(1000 + i));
const CALLEES = Array.from({ length: 100 }, (_, i) => String(2000 + i));
/** Phones that register while the load runs (and the node dies). */
const LATE = Array.from({ length: 40 }, (_, i) => String(3000 + i));
const RATE = 20;
const CALLS = 480;
const HOLD_MS = 3000;
/** How long into the load the node is killed. */
const KILL_AFTER_CALLS = 8 * RATE;

const secretOf = (n: string) => `load-secret-${n}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(((haveKamailio && haveSipp) || required) && databaseUrl && redisUrl)(
  'a node SIGKILLed under SIPp load through Kamailio',
  () => {
    let cluster: NimbusCluster;
    let tenantId = '';
    let scenarios: LoadScenarios;
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-kamload-'));

    beforeAll(async () => {
      if (!haveKamailio)
        throw new Error('kamailio is not installed (apt-get install kamailio) and NIMBUS_REQUIRE_INTEROP=1');
      if (!haveSipp)
        throw new Error('sipp is not installed (apt-get install sip-tester) and NIMBUS_REQUIRE_INTEROP=1');
      cluster = await startCluster({
        name: 'kamload',
        nodes: 2,
        // RTP ranges no other test uses (they run in parallel).
        rtpBase: 50_000,
        // Every phone here is SIPp on 127.0.0.1: no per-address limits in the way of the load.
        nodeEnv: { NIMBUS_SIP_RATE_LIMIT: '0' },
        kamailioDefines: ['PIKE_DENSITY=1000000'],
      });
      const secrets = Object.fromEntries([...CALLERS, ...CALLEES, ...LATE].map((n) => [n, secretOf(n)]));
      tenantId = await cluster.createTenant(DOMAIN, secrets, {
        maxExtensions: 1000,
        maxConcurrentCalls: 1000,
      });
      scenarios = loadScenarios(dir);
    }, 180_000);

    afterAll(async () => {
      await cluster?.close();
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('loses no registration and no CDR; only calls on the dead node fail', async () => {
      const kamailio = `127.0.0.1:${cluster.kamPort}`;
      const db = new pg.Client({ connectionString: cluster.dbUrl });
      await db.connect();
      const redis = new Redis(redisUrl!);
      const uases: { stop(): Promise<void> }[] = [];
      const register = (users: string[], port: number, rate: number, name: string) =>
        runSipp(
          [
            '-sf',
            scenarios.register,
            '-inf',
            writeCsv(
              join(dir, `${name}.csv`),
              users.map((u) => [u, auth(u, secretOf(u)), DOMAIN]),
            ),
            '-m',
            String(users.length),
            '-r',
            String(rate),
            '-p',
            String(port),
            '-recv_timeout',
            '15000',
            kamailio,
          ],
          join(dir, `${name}.log`),
          60,
          dir,
        );
      /** Which node took each user's binding (from Redis, where the registrar wrote it). */
      const bindingNodes = async (users: string[]) => {
        const out = new Map<string, string>();
        for (const u of users) {
          const hash = await redis.hgetall(`${cluster.prefix}loc:${tenantId}:${u}`);
          const b = Object.values(hash)[0];
          if (b) out.set(u, (JSON.parse(b) as { node: string }).node);
        }
        return out;
      };
      const count = (values: Iterable<string>) => {
        const c: Record<string, number> = {};
        for (const v of values) c[v] = (c[v] ?? 0) + 1;
        return c;
      };
      try {
        // 1. The callees register from the port their SIPp callee will answer on (Kamailio's
        //    Path names the REGISTER's source, and calls to them go there).
        const calleePort = await freePort();
        const reg = await register(CALLEES, calleePort, 50, 'register');
        expect(readSippLog(join(dir, 'register.log')).registered.length, reg.out).toBe(CALLEES.length);
        const before = await bindingNodes(CALLEES);
        expect(before.size).toBe(CALLEES.length);
        const byNode = count(before.values());
        expect(Object.keys(byNode).length, JSON.stringify(byNode)).toBe(2);
        uases.push(startUas(scenarios.uas, calleePort, dir));
        await sleep(300);

        // 2. The load, and 40 more phones registering meanwhile.
        const latePort = await freePort();
        const lateRun = register(LATE, latePort, 4, 'late');
        const rows = Array.from({ length: CALLEES.length }, (_, i) => {
          const caller = CALLERS[i % CALLERS.length]!;
          return [caller, auth(caller, secretOf(caller)), DOMAIN, CALLEES[i]!];
        });
        const loadLog = join(dir, 'load.log');
        const loadRun = runSipp(
          [
            '-sf',
            scenarios.uac,
            '-inf',
            writeCsv(join(dir, 'calls.csv'), rows),
            '-m',
            String(CALLS),
            '-r',
            String(RATE),
            '-l',
            String(RATE * 10),
            '-d',
            String(HOLD_MS),
            '-p',
            '0',
            '-recv_timeout',
            '10000',
            '-trace_err',
            '-error_file',
            join(dir, 'load-errors.log'),
            kamailio,
          ],
          loadLog,
          120,
          dir,
        );

        // 3. Mid-load, the node carrying more open calls dies.
        const waitStarted = Date.now();
        while (readSippLog(loadLog).calls.length < KILL_AFTER_CALLS) {
          if (Date.now() - waitStarted > 60_000) throw new Error('the load did not start');
          await sleep(100);
        }
        const open = (
          await db.query<{ node: string; n: string }>(
            `select node, count(*) as n from calls where status in ('ringing', 'answered') group by node`,
          )
        ).rows;
        const openOn = (id: string) => Number(open.find((r) => r.node === id)?.n ?? 0);
        const victimIndex = openOn(cluster.nodes[0]!.id) >= openOn(cluster.nodes[1]!.id) ? 0 : 1;
        const victim = cluster.nodes[victimIndex]!;
        const survivor = cluster.nodes[1 - victimIndex]!;
        victim.proc.p.kill('SIGKILL');
        const killedAt = Date.now();
        // When the survivor has closed the dead node's open rows (its heartbeat expires after 10 s).
        const takeover = (async () => {
          for (;;) {
            const n = Number(
              (
                await db.query<{ n: string }>(
                  `select count(*) as n from calls where node = $1 and status in ('ringing', 'answered')`,
                  [victim.id],
                )
              ).rows[0]!.n,
            );
            if (n === 0) return Date.now();
            if (Date.now() - killedAt > 60_000) return null;
            await sleep(200);
          }
        })();
        await cluster.waitDispatcher(
          cluster.nodes.map((_, i) => i !== victimIndex),
          30_000,
        );
        const noticedAt = Date.now();
        // Kamailio's view of the dead node from then on, every half second: it must stay down.
        const flagsLog: string[] = [];
        let polling = true;
        const poller = (async () => {
          while (polling) {
            const out = (await cluster.kamcmd('dispatcher.list')).out;
            const m = new RegExp(`sip:127\\.0\\.0\\.1:${victim.sip}\\s+FLAGS: (\\w+)`).exec(out);
            flagsLog.push(m?.[1] ?? '?');
            await sleep(500);
          }
        })();

        const [load, late] = await Promise.all([loadRun, lateRun]);
        polling = false;
        await poller;
        const { calls } = readSippLog(loadLog);
        const lateRegistered = readSippLog(join(dir, 'late.log')).registered;

        // 4. The dead node's open rows closed by the survivor, the survivor's own closed by it.
        const closedAt = await takeover;
        let left = -1;
        for (let i = 0; i < 400 && left !== 0; i++) {
          if (i) await sleep(100);
          left = Number(
            (
              await db.query<{ n: string }>(
                `select count(*) as n from calls where status in ('ringing', 'answered')`,
              )
            ).rows[0]!.n,
          );
        }
        const cdrs = (
          await db.query<{ sip_call_id: string; node: string; status: string; cause: string | null }>(
            'select sip_call_id, node, status, cause from calls where tenant_id = $1',
            [tenantId],
          )
        ).rows;

        // 5. Registrations: every phone registered (before or during the kill) is called
        //    through the survivor without registering again.
        uases.push(startUas(scenarios.uas, latePort, dir));
        await sleep(300);
        const everyone = [...CALLEES, ...lateRegistered];
        const lateNodes = await bindingNodes(lateRegistered);
        const reachLog = join(dir, 'reach.log');
        const reach = await runSipp(
          [
            '-sf',
            scenarios.uac,
            '-inf',
            writeCsv(
              join(dir, 'reach.csv'),
              everyone.map((u) => [CALLERS[0]!, auth(CALLERS[0]!, secretOf(CALLERS[0]!)), DOMAIN, u]),
            ),
            '-m',
            String(everyone.length),
            '-r',
            '25',
            '-d',
            '200',
            '-p',
            '0',
            '-recv_timeout',
            '10000',
            kamailio,
          ],
          reachLog,
          60,
          dir,
        );
        const reached = readSippLog(reachLog).calls;

        // The figures, whatever the assertions below say.
        const failed = calls.filter((c) => !c.done);
        const phase = (c: CallFate) =>
          c.start < killedAt - HOLD_MS - 1000
            ? 'before'
            : c.start < killedAt
              ? 'around'
              : c.start < noticedAt + 1000
                ? 'undetected'
                : 'after';
        const byPhase = (list: CallFate[]) => count(list.map(phase));
        const setup: Record<string, string> = {};
        for (const p of ['before', 'around', 'undetected', 'after']) {
          const t = calls
            .filter((c) => phase(c) === p && c.answer)
            .map((c) => c.answer! - c.start)
            .sort((a, b) => a - b);
          if (t.length) setup[p] = `${t[Math.floor(t.length / 2)]}/${t.at(-1)}`;
        }
        const seen = calls.filter((c) => c.ring || c.answer);
        const rowsById = new Map<string, typeof cdrs>();
        for (const r of cdrs) rowsById.set(r.sip_call_id, [...(rowsById.get(r.sip_call_id) ?? []), r]);
        const cdrLost = seen.filter((c) => !rowsById.has(c.callId));
        // Completed calls whose end the dead node had not written yet (the close waits for the
        // relay's figures and the call log's batch): their rows are there, closed as interrupted.
        const endLost = calls.filter(
          (c) => c.done && !rowsById.get(c.callId)?.some((r) => r.status === 'ended'),
        );
        const twice = [...rowsById.values()].filter((r) => r.length > 1);
        const odd = calls.filter(
          (c) =>
            (!c.done && phase(c) !== 'around') ||
            endLost.includes(c) ||
            rowsById.get(c.callId)?.some((r) => r.status === 'ringing' || r.status === 'answered'),
        );
        const victimBindings = [...before.values(), ...lateNodes.values()].filter(
          (n) => n === victim.id,
        ).length;
        const unreached = everyone.length - reached.filter((c) => c.done).length;
        console.log(
          [
            `killed ${victim.id} after ${KILL_AFTER_CALLS} calls (open calls: ${JSON.stringify(open)});`,
            `Kamailio marked it down after ${((noticedAt - killedAt) / 1000).toFixed(1)} s (its flags then: ${[...new Set(flagsLog)].join(', ')}),`,
            `its open CDRs were closed ${closedAt ? `${((closedAt - killedAt) / 1000).toFixed(1)} s after the kill` : 'never'}`,
            `call set-up (first INVITE to 200) per phase, median/max ms: ${JSON.stringify(setup)}`,
            `calls: ${calls.length} started, ${calls.length - failed.length} completed, ${failed.length} failed`,
            `  started per phase: ${JSON.stringify(byPhase(calls))}; failed per phase: ${JSON.stringify(byPhase(failed))}`,
            `  (before = ended before the kill, around = in progress at it, undetected = until Kamailio marked the node down + 1 s)`,
            `CDRs: ${cdrs.length} rows ${JSON.stringify(count(cdrs.map((r) => `${r.node}:${r.status}`)))};`,
            `  lost: ${cdrLost.length} of ${seen.length} calls a node rang or answered; completed calls whose end was not written before the kill: ${endLost.length}`,
            `  calls with more than one row: ${JSON.stringify(twice.map((r) => r.map((x) => `${x.node}:${x.status}`)))}`,
            // Anything odd, call by call (times from the kill, ms): what SIPp saw and the rows.
            ...odd.map(
              (c) =>
                `  odd: ${c.callId} ${phase(c)} start ${c.start - killedAt} ring ${c.ring ? c.ring - killedAt : '-'} answer ${c.answer ? c.answer - killedAt : '-'} done ${c.done ? c.done - killedAt : '-'} rows ${JSON.stringify(rowsById.get(c.callId) ?? [])}`,
            ),
            `registrations: callees ${JSON.stringify(byNode)}, during the load ${JSON.stringify(count(lateNodes.values()))}`,
            `  (${lateRegistered.length} of ${LATE.length} answered 200); ${victimBindings} taken by the dead node;`,
            `  lost: ${unreached} of ${everyone.length} not reachable through the survivor`,
          ].join('\n'),
        );

        if (odd.length && existsSync(join(dir, 'load-errors.log')))
          console.log(
            readFileSync(join(dir, 'load-errors.log'), 'utf8')
              .split('\n')
              .filter((l) => odd.some((c) => l.includes(c.callId.split('@')[0]!)))
              .slice(0, 40)
              .join('\n'),
          );
        expect(calls.length, load.out).toBe(CALLS);
        // Registrations lost: 0, and the check means something (the dead node had taken some).
        expect(late.status, late.out).toBe(0);
        expect(lateRegistered.length).toBe(LATE.length);
        expect(victimBindings).toBeGreaterThan(0);
        expect(reached.length, reach.out).toBe(everyone.length);
        expect(unreached, reach.out).toBe(0);
        // CDRs lost: 0; nothing left open; the dead node's open rows closed as interrupted.
        expect(cdrLost.map((c) => c.callId)).toEqual([]);
        for (const c of endLost) {
          expect(rowsById.get(c.callId), c.callId).toContainEqual(
            expect.objectContaining({ node: victim.id, status: 'interrupted' }),
          );
          // Only calls hung up in the last moments before the kill.
          expect(killedAt - c.done!, c.callId).toBeLessThan(2000);
        }
        expect(closedAt).not.toBeNull();
        expect(left).toBe(0);
        const interrupted = cdrs.filter((r) => r.status === 'interrupted');
        expect(interrupted.length).toBeGreaterThan(0);
        expect(new Set(interrupted.map((r) => r.node))).toEqual(new Set([victim.id]));
        expect(interrupted.every((r) => r.cause === 'interrupted')).toBe(true);
        expect(cdrs.filter((r) => r.node === survivor.id && r.status !== 'ended')).toEqual([]);
        // Failed calls: only those the dead node carried or held up.
        expect(noticedAt - killedAt).toBeLessThan(12_000);
        expect(flagsLog.filter((f) => f.startsWith('A'))).toEqual([]);
        expect(byPhase(failed).before ?? 0).toBe(0);
        const after = calls.filter((c) => phase(c) === 'after');
        const afterFailed = after.filter((c) => !c.done).length;
        expect(after.length).toBeGreaterThan(RATE);
        expect(afterFailed).toBeLessThanOrEqual(Math.floor(after.length / 100));
        // ...and go straight to the survivor: none waits for the dead node's 4 s timeout.
        const slow = after.filter((c) => c.answer && c.answer - c.start > 3500).length;
        expect(slow).toBeLessThanOrEqual(Math.floor(after.length / 20));
        // Each failed call was one the dead node had (a row there) or one sent to it in the dark.
        for (const c of failed.filter((f) => phase(f) !== 'after'))
          expect(
            phase(c) === 'undetected' || rowsById.get(c.callId)?.some((r) => r.node === victim.id),
            `${c.callId} (${phase(c)})`,
          ).toBe(true);
      } finally {
        for (const u of uases) await u.stop();
        await db.end();
        await redis.quit();
      }
    }, 240_000);
  },
);
