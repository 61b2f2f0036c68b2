/**
 * Kamailio in front of Nimbus nodes in tests: a free SIP port, the command line for
 * deploy/kamailio/nimbus.cfg, and a whole cluster (nodes as processes on PostgreSQL and
 * Redis, Kamailio dispatching to them) for the interop tests and bench/cluster.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type RunResult, runCommand } from './process.js';

export const KAMAILIO = '/usr/sbin/kamailio';
/** Kamailio with its websocket module: deploy/kamailio/nimbus.cfg loads it (browsers over WS). */
export const haveKamailio =
  existsSync(KAMAILIO) &&
  readdirSync('/usr/lib', { withFileTypes: true }).some(
    (d) => d.isDirectory() && existsSync(join('/usr/lib', d.name, 'kamailio/modules/websocket.so')),
  );
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

/** A port free for both UDP and TCP on loopback (SIP listens on both). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const u = createSocket('udp4');
      u.once('error', () => res(false));
      u.bind(port, '127.0.0.1', () => u.close(() => res(true)));
    });
    if (udpFree) return port;
  }
}

/**
 * Arguments running the deployed config in the foreground on 127.0.0.1: SIP on `ports.sip`
 * (UDP and TCP), SIP over WebSocket on `ports.ws` (a port of its own: the config's default,
 * 8080, would collide between tests running in parallel), with its working files, dispatcher
 * list and control socket in `dir`, and `extra` -A defines.
 */
export function kamailioArgs(
  dir: string,
  ports: { sip: number; ws: number },
  dispatcherList: string,
  extra: string[] = [],
): string[] {
  const port = ports.sip;
  return [
    '-f',
    join(ROOT, 'deploy/kamailio/nimbus.cfg'),
    '-DD',
    '-E',
    '-w',
    dir,
    '-Y',
    dir,
    '-A',
    `LISTEN_ADDR=udp:127.0.0.1:${port}`,
    '-A',
    `LISTEN_TCP=tcp:127.0.0.1:${port}`,
    '-A',
    `LISTEN_WS=tcp:127.0.0.1:${ports.ws}`,
    '-A',
    `DISPATCHER_LIST="${dispatcherList}"`,
    '-A',
    'CHILDREN=2',
    '-A',
    `CTL_SOCKET="unix:${join(dir, 'kamailio_ctl')}"`,
    ...extra.flatMap((d) => ['-A', d]),
  ];
}

/** A child process with the tail of its output kept for error messages. */
export interface LoggedProcess {
  p: ChildProcess;
  out: string[];
}

export function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv): LoggedProcess {
  const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const keep = (d: Buffer) => {
    out.push(String(d));
    if (out.length > 200) out.shift();
  };
  p.stdout?.on('data', keep);
  p.stderr?.on('data', keep);
  return { p, out };
}

async function waitReady(httpPort: number, proc: LoggedProcess, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.p.exitCode !== null) throw new Error(`node exited ${proc.p.exitCode}:\n${proc.out.join('')}`);
    const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`node on ${httpPort} not ready:\n${proc.out.join('')}`);
}

export interface ClusterNode {
  id: string;
  sip: number;
  http: number;
  proc: LoggedProcess;
}

export interface ClusterOptions {
  /** Short tag in the node ids, the database name and the Redis prefix. */
  name: string;
  nodes: number;
  /** First RTP port: node i gets `rtpPorts` ports from rtpBase + i * rtpPorts (tests run in parallel). */
  rtpBase: number;
  /** RTP ports per node (default 400). */
  rtpPorts?: number;
  /** Settings added to every node's environment. */
  nodeEnv?: NodeJS.ProcessEnv;
  /** -A defines for Kamailio (e.g. `PIKE_DENSITY=100000` for a load test from one address). */
  kamailioDefines?: string[];
  /** Kamailio's shared memory in MB (its default, 64 MB, runs out at a few hundred calls/s). */
  kamailioShmMb?: number;
}

/**
 * Nimbus nodes (`nimbus start` processes) sharing a database of their own on DATABASE_URL's
 * server and a Redis prefix of their own, behind Kamailio running deploy/kamailio/nimbus.cfg.
 */
export interface NimbusCluster {
  dir: string;
  dbUrl: string;
  /** The Redis key prefix of this cluster. */
  prefix: string;
  kamPort: number;
  /** Kamailio's SIP over WebSocket port (ws://127.0.0.1:kamWsPort). */
  kamWsPort: number;
  nodes: ClusterNode[];
  kamailio: LoggedProcess;
  /** kamcmd on this Kamailio's control socket. */
  kamcmd(...args: string[]): Promise<RunResult>;
  /** Polls `dispatcher.list` until each node's line reads as `alive` says (true: active). */
  waitDispatcher(alive: boolean[], ms?: number): Promise<string>;
  /** Writes the dispatcher list with these nodes only and has Kamailio reload it. */
  dispatchTo(nodes: ClusterNode[]): Promise<void>;
  /**
   * A tenant with these extensions (number -> SIP secret), made through node `via`'s API (by
   * default the last node: the others learn it by announcement); `limits` as the API takes them.
   */
  createTenant(
    domain: string,
    secrets: Record<string, string>,
    limits?: Record<string, number>,
    via?: number,
  ): Promise<string>;
  close(): Promise<void>;
}

const OPERATOR = { email: 'ops@example.com', password: 'cluster-operator-1' };

function adminUrl(databaseUrl: string, db: string): string {
  const u = new URL(databaseUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function startCluster(opts: ClusterOptions): Promise<NimbusCluster> {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) throw new Error('a cluster needs DATABASE_URL and REDIS_URL');
  const dir = mkdtempSync(join(tmpdir(), `nimbus-${opts.name}-`));
  const tag = randomBytes(5).toString('hex');
  const dbName = `nimbus_${opts.name.replace(/\W/g, '_')}_${tag}`;
  const prefix = `nimbus-test:${opts.name}-${tag}:`;
  const dbUrl = adminUrl(databaseUrl, dbName);
  const nodes: ClusterNode[] = [];
  const procs: LoggedProcess[] = [];
  let created = false;
  const admin = async () => {
    const c = new pg.Client({ connectionString: adminUrl(databaseUrl, 'postgres') });
    await c.connect();
    return c;
  };
  const ctl = `unix:${join(dir, 'kamailio_ctl')}`;
  const listFile = join(dir, 'dispatcher.list');
  const writeList = (list: ClusterNode[]) =>
    writeFileSync(listFile, list.map((n) => `1 sip:127.0.0.1:${n.sip} 0 0 node=${n.id}\n`).join(''));

  const close = async () => {
    for (const { p } of [...procs].reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      p.kill('SIGTERM');
      await Promise.race([
        new Promise((r) => p.once('exit', r)),
        new Promise((r) => setTimeout(r, 5000)).then(() => p.kill('SIGKILL')),
      ]);
    }
    if (created) {
      const c = await admin();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    }
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const c = await admin();
    await c.query(`create database ${dbName}`);
    await c.end();
    created = true;
    const span = opts.rtpPorts ?? 400;
    const startNode = async (i: number) => {
      const id = `${opts.name}-${i + 1}`;
      const sip = await freePort();
      const http = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: dbUrl,
        REDIS_URL: redisUrl,
        NIMBUS_REDIS_PREFIX: prefix,
        NIMBUS_NODE_ID: id,
        NIMBUS_DATA_DIR: join(dir, id),
        NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
        NIMBUS_HTTP_HOST: '127.0.0.1',
        NIMBUS_HTTP_PORT: String(http),
        NIMBUS_HTTPS_PORT: '0',
        NIMBUS_SIP_HOST: '127.0.0.1',
        NIMBUS_SIP_PORT: String(sip),
        NIMBUS_SIP_TLS_PORT: '0',
        NIMBUS_RTP_PORT_MIN: String(opts.rtpBase + i * span),
        NIMBUS_RTP_PORT_MAX: String(opts.rtpBase + (i + 1) * span - 1),
        NIMBUS_MEDIA_WORKERS: '1',
        NIMBUS_DEMO: 'false',
        NIMBUS_ADMIN_EMAIL: OPERATOR.email,
        NIMBUS_ADMIN_PASSWORD: OPERATOR.password,
        NIMBUS_LOG_LEVEL: 'warn',
        ...opts.nodeEnv,
      };
      const proc = spawnLogged(process.execPath, ['--import', 'tsx', MAIN, 'start'], env);
      procs.push(proc);
      await waitReady(http, proc);
      nodes[i] = { id, sip, http, proc };
    };
    // The first node migrates the new database and creates the operator; the rest start together.
    await startNode(0);
    await Promise.all(Array.from({ length: opts.nodes - 1 }, (_, i) => startNode(i + 1)));

    const kamPort = await freePort();
    const kamWsPort = await freePort();
    writeList(nodes);
    const kamailio = spawnLogged(
      KAMAILIO,
      [
        ...kamailioArgs(dir, { sip: kamPort, ws: kamWsPort }, listFile, opts.kamailioDefines),
        ...(opts.kamailioShmMb ? ['-m', String(opts.kamailioShmMb)] : []),
      ],
      process.env,
    );
    procs.push(kamailio);
    const kamcmd = (...args: string[]) => runCommand('kamcmd', ['-s', ctl, ...args]);
    const waitDispatcher = async (alive: boolean[], ms = 20_000) => {
      const end = Date.now() + ms;
      let out = '';
      for (;;) {
        if (kamailio.p.exitCode !== null) throw new Error(`kamailio exited:\n${kamailio.out.join('')}`);
        out = (await kamcmd('dispatcher.list')).out;
        // FLAGS: AP = active and probing; IP/TP = inactive or trying (down), D = disabled.
        const ok = alive.every((a, i) => {
          const m = new RegExp(`sip:127\\.0\\.0\\.1:${nodes[i]!.sip}\\s+FLAGS: (\\w+)`).exec(out);
          return a ? m?.[1]?.startsWith('A') : !m || !m[1]!.startsWith('A');
        });
        if (ok) return out;
        if (Date.now() > end) throw new Error(`dispatcher not as expected (${alive.join()}):\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    // Ready once Kamailio's probes found every node alive.
    await waitDispatcher(nodes.map(() => true));

    let cookie = '';
    const post = async (via: number, path: string, body: unknown) => {
      const base = `http://127.0.0.1:${nodes[via]!.http}`;
      if (!cookie) {
        const login = await fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(OPERATOR),
        });
        if (login.status !== 200) throw new Error(`operator login: ${login.status}`);
        cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      }
      const r = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify(body),
      });
      const json = (await r.json()) as { id: string; tenant?: { id: string } };
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };

    return {
      dir,
      dbUrl,
      prefix,
      kamPort,
      kamWsPort,
      nodes,
      kamailio,
      kamcmd,
      waitDispatcher,
      dispatchTo: async (list) => {
        writeList(list);
        const r = await kamcmd('dispatcher.reload');
        if (r.status !== 0) throw new Error(`dispatcher.reload: ${r.out}`);
      },
      createTenant: async (domain, secrets, limits, via = nodes.length - 1) => {
        const tenant = { name: `${opts.name} ${domain}`, sipDomain: domain, ...(limits ? { limits } : {}) };
        const tenantId = (await post(via, '/api/v1/tenants', tenant)).tenant!.id;
        const all = Object.entries(secrets);
        // A few at a time: hundreds of extensions one by one would take much of a test's time.
        for (let i = 0; i < all.length; i += 8)
          await Promise.all(
            all
              .slice(i, i + 8)
              .map(([number, sipSecret]) =>
                post(via, `/api/v1/tenants/${tenantId}/extensions`, { number, sipSecret }),
              ),
          );
        return tenantId;
      },
      close,
    };
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
}
