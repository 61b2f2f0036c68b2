/**
 * Scale-out (issue 11): the same SIPp load through Kamailio (deploy/kamailio/nimbus.cfg) to one
 * Nimbus node, then to two, in the same run on the same machine, alternately. The nodes are
 * `nimbus start` processes on PostgreSQL and Redis (as deployed), set up by the interop
 * tests' startCluster; Kamailio's dispatcher list is rewritten and reloaded between phases,
 * so both phases use the same processes, database and registrations.
 *
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npx tsx bench/cluster.ts [calls] [rate] [registrations] [regRate] [rounds]
 *
 * Each phase: `registrations` authenticated REGISTERs (1,000 users re-registering) at
 * `regRate`, then `calls` authenticated calls at `rate` (INVITE, 407, INVITE, 180, 200, ACK,
 * 500 ms, BYE) to SIPp callees registered through Kamailio, media anchored on the node that
 * takes the call. Rate = completed / wall time of the SIPp run. Also printed: how the calls
 * spread over the nodes (CDR rows), the CPU seconds each node used, and the machine's idle share.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type ClusterNode, freePort, type NimbusCluster, startCluster } from '../test/helpers/kamailio.js';
import { auth, loadScenarios, readSippLog, runSipp, startUas, writeCsv } from '../test/helpers/sipp-load.js';

const CALLS = Number(process.argv[2] ?? 6000);
const RATE = Number(process.argv[3] ?? 200);
const REGS = Number(process.argv[4] ?? 20_000);
const REG_RATE = Number(process.argv[5] ?? 2000);
const ROUNDS = Number(process.argv[6] ?? 2);
const DOMAIN = 'cluster.bench.test';
const CALLERS = Array.from({ length: 20 }, (_, i) => String(1000 + i));
const CALLEES = Array.from({ length: 200 }, (_, i) => String(2000 + i));
const REGISTRANTS = Array.from({ length: 1000 }, (_, i) => String(10_000 + i));
const secretOf = (n: string) => `bench-${n}`;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The machine's idle and total jiffies so far (all cores). */
function machineTimes(): { idle: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: cpu[3]! + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
}

interface Figures {
  rate: number;
  ok: number;
  failed: number;
  seconds: number;
  detail: string;
}

async function phase(
  cluster: NimbusCluster,
  nodes: ClusterNode[],
  run: (tag: string) => Promise<Figures>,
  tag: string,
): Promise<string> {
  await cluster.dispatchTo(nodes);
  await cluster.waitDispatcher(cluster.nodes.map((n) => nodes.includes(n)));
  const cpu0 = cluster.nodes.map((n) => cpuSeconds(n.proc.p.pid));
  const m0 = machineTimes();
  const f = await run(tag);
  for (const n of cluster.nodes)
    if (n.proc.p.exitCode !== null || n.proc.p.signalCode !== null)
      throw new Error(
        `${n.id} exited (${n.proc.p.exitCode ?? n.proc.p.signalCode}):\n${n.proc.out.join('')}`,
      );
  const m1 = machineTimes();
  const cpu = cluster.nodes.map((n, i) => (cpuSeconds(n.proc.p.pid) - cpu0[i]!).toFixed(1)).join(' + ');
  const idle = ((100 * (m1.idle - m0.idle)) / Math.max(1, m1.total - m0.total)).toFixed(0);
  return `${Math.round(f.rate).toLocaleString('en')}/s (${f.ok} ok, ${f.failed} failed, ${f.seconds.toFixed(1)} s${f.detail}); node CPU ${cpu} s; machine idle ${idle} %`;
}

const cluster = await startCluster({
  name: 'bench',
  nodes: 2,
  rtpBase: 52_000,
  // Two relay endpoints per call, hundreds of calls at once on a node.
  rtpPorts: 4000,
  // One address (SIPp) sends everything, to one tenant: no per-address or per-tenant limits.
  nodeEnv: { NIMBUS_SIP_RATE_LIMIT: '0', NIMBUS_SIP_TENANT_RATE_LIMIT: '0', NIMBUS_LOG_LEVEL: 'error' },
  kamailioDefines: ['PIKE_DENSITY=100000000'],
  kamailioShmMb: 512,
});
const dir = cluster.dir;
const db = new pg.Client({ connectionString: cluster.dbUrl });
let uas: { stop(): Promise<void> } | null = null;
try {
  await db.connect();
  const secrets = Object.fromEntries([...CALLERS, ...CALLEES, ...REGISTRANTS].map((n) => [n, secretOf(n)]));
  const tenantId = await cluster.createTenant(DOMAIN, secrets, {
    maxExtensions: 5000,
    maxConcurrentCalls: 100_000,
  });
  const scenarios = loadScenarios(dir);
  const kamailio = `127.0.0.1:${cluster.kamPort}`;

  // The callees register from the port their SIPp callee answers on (through both nodes).
  const calleePort = await freePort();
  await runSipp(
    [
      '-sf',
      scenarios.register,
      '-inf',
      writeCsv(
        join(dir, 'callees.csv'),
        CALLEES.map((u) => [u, auth(u, secretOf(u)), DOMAIN]),
      ),
      '-m',
      String(CALLEES.length),
      '-r',
      '200',
      '-p',
      String(calleePort),
      '-recv_timeout',
      '10000',
      kamailio,
    ],
    join(dir, 'callees.log'),
    60,
    dir,
  );
  const registered = readSippLog(join(dir, 'callees.log')).registered.length;
  if (registered !== CALLEES.length) throw new Error(`only ${registered} callees registered`);
  uas = startUas(scenarios.uas, calleePort, dir);
  writeCsv(
    join(dir, 'registrants.csv'),
    REGISTRANTS.map((u) => [u, auth(u, secretOf(u)), DOMAIN]),
  );
  writeCsv(
    join(dir, 'calls.csv'),
    CALLEES.map((c, i) => [
      CALLERS[i % CALLERS.length]!,
      auth(CALLERS[i % CALLERS.length]!, secretOf(CALLERS[i % CALLERS.length]!)),
      DOMAIN,
      c,
    ]),
  );

  // The same source port every phase: each REGISTER refreshes its user's one binding (a new
  // port would be a new Contact, and bindings would pile up phase after phase).
  const registrantPort = await freePort();
  const registrations = async (tag: string): Promise<Figures> => {
    const log = join(dir, `reg-${tag}.log`);
    const t0 = performance.now();
    const r = await runSipp(
      [
        '-sf',
        scenarios.register,
        '-inf',
        join(dir, 'registrants.csv'),
        '-m',
        String(REGS),
        '-r',
        String(REG_RATE),
        '-l',
        String(REG_RATE * 2),
        '-p',
        String(registrantPort),
        '-recv_timeout',
        '10000',
        kamailio,
      ],
      log,
      600,
      dir,
    );
    const seconds = (performance.now() - t0) / 1000;
    const ok = readSippLog(log).registered.length;
    rmSync(log, { force: true });
    if (process.env.BENCH_DEBUG) console.log(r.out);
    return { rate: ok / seconds, ok, failed: REGS - ok, seconds, detail: '' };
  };

  const calls = async (tag: string): Promise<Figures> => {
    const log = join(dir, `calls-${tag}.log`);
    const before = await db.query<{ node: string; n: string }>(
      'select node, count(*) as n from calls where tenant_id = $1 group by node',
      [tenantId],
    );
    const t0 = performance.now();
    const r = await runSipp(
      [
        '-sf',
        scenarios.uac,
        '-inf',
        join(dir, 'calls.csv'),
        '-m',
        String(CALLS),
        '-r',
        String(RATE),
        '-l',
        String(RATE * 5),
        '-d',
        '500',
        '-p',
        '0',
        '-recv_timeout',
        '10000',
        kamailio,
      ],
      log,
      600,
      dir,
    );
    const seconds = (performance.now() - t0) / 1000;
    if (process.env.BENCH_DEBUG) console.log(r.out);
    const fates = readSippLog(log).calls;
    rmSync(log, { force: true });
    const ok = fates.filter((c) => c.done).length;
    const setup = fates
      .filter((c) => c.answer)
      .map((c) => c.answer! - c.start)
      .sort((a, b) => a - b);
    const at = (p: number) => setup[Math.min(setup.length - 1, Math.floor(p * setup.length))] ?? 0;
    const after = await db.query<{ node: string; n: string }>(
      'select node, count(*) as n from calls where tenant_id = $1 group by node',
      [tenantId],
    );
    const spread = after.rows
      .map((row) => {
        const was = Number(before.rows.find((b) => b.node === row.node)?.n ?? 0);
        return `${row.node} ${Number(row.n) - was}`;
      })
      .join(', ');
    return {
      rate: ok / seconds,
      ok,
      failed: CALLS - ok,
      seconds,
      detail: `, setup p50 ${at(0.5)} ms, p99 ${at(0.99)} ms; rows: ${spread}`,
    };
  };

  const one = [cluster.nodes[0]!];
  const two = cluster.nodes;
  console.log(
    `offered per phase: ${REGS} REGISTERs at ${REG_RATE}/s (1,000 users), ${CALLS} calls at ${RATE}/s (500 ms each)`,
  );
  // A warm-up through both nodes (the JIT, connection pools), not counted.
  await phase(cluster, two, registrations, 'warm');
  await phase(cluster, two, calls, 'warm');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [label, nodes] of [
      ['one node ', one],
      ['two nodes', two],
    ] as const) {
      console.log(
        `round ${round}, ${label}: REGISTER ${await phase(cluster, nodes, registrations, `${round}${nodes.length}`)}`,
      );
      console.log(
        `round ${round}, ${label}: calls    ${await phase(cluster, nodes, calls, `${round}${nodes.length}`)}`,
      );
    }
  }
} finally {
  await uas?.stop();
  await db.end().catch(() => {});
  await cluster.close();
}
