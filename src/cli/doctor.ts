/**
 * `nimbus doctor`: checks what a node needs and says in plain words what is wrong.
 * Every check runs even when an earlier one fails, so one run shows everything.
 */
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { connectRedis, redactUrl } from '../cluster/redis.js';
import type { Config } from '../config.js';
import { openDatabase } from '../store/connect.js';
import { DataDirBusyError } from '../store/data-dir-lock.js';
import { pendingMigrations } from '../store/migrator.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

function tcpFree(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ host, port }, () => srv.close(() => resolve(null)));
  });
}

function udpFree(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      resolve(e.code ?? e.message);
    });
    s.bind(port, () => s.close(() => resolve(null)));
  });
}

function portProblem(code: string, what: string, port: number, envName: string): string {
  if (code === 'EADDRINUSE')
    return `${what} port ${port} is already in use by another program; stop it or set ${envName}`;
  if (code === 'EACCES')
    return `${what} port ${port} needs more privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE); set ${envName}`;
  return `${what} port ${port} cannot be opened (${code}); set ${envName}`;
}

export async function runDoctor(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (name: string, ok: boolean, detail: string) => results.push({ name, ok, detail });

  const [major, minor] = process.versions.node.split('.').map(Number);
  const nodeOk = major! > 20 || (major === 20 && minor! >= 19);
  add(
    'Node.js',
    nodeOk,
    nodeOk
      ? `version ${process.versions.node}`
      : `version ${process.versions.node} is too old; install Node.js 20.19 or newer`,
  );

  if (!config.databaseUrl) {
    try {
      mkdirSync(config.dataDir, { recursive: true });
      accessSync(config.dataDir, constants.W_OK);
      add('Data directory', true, `${config.dataDir} is writable`);
    } catch (e) {
      add(
        'Data directory',
        false,
        `${config.dataDir} cannot be written (${(e as Error).message}); set NIMBUS_DATA_DIR to a writable folder`,
      );
    }
  }

  const http = await tcpFree(config.httpHost, config.httpPort);
  add(
    'HTTP port',
    http === null,
    http === null
      ? `${config.httpHost}:${config.httpPort} is free`
      : portProblem(http, 'HTTP', config.httpPort, 'NIMBUS_HTTP_PORT'),
  );
  const sipUdp = await udpFree(config.sipPort);
  add(
    'SIP UDP port',
    sipUdp === null,
    sipUdp === null
      ? `${config.sipPort}/udp is free`
      : portProblem(sipUdp, 'SIP UDP', config.sipPort, 'NIMBUS_SIP_PORT'),
  );
  const sipTcp = await tcpFree('0.0.0.0', config.sipPort);
  add(
    'SIP TCP port',
    sipTcp === null,
    sipTcp === null
      ? `${config.sipPort}/tcp is free`
      : portProblem(sipTcp, 'SIP TCP', config.sipPort, 'NIMBUS_SIP_PORT'),
  );

  const dbName = config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}` : 'embedded database';
  try {
    const h = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const pending = await pendingMigrations(h.db);
      add(
        'Database',
        true,
        pending.length === 0
          ? `${dbName} answers; schema is up to date`
          : `${dbName} answers; ${pending.length} migration(s) pending (applied at start or by \`nimbus migrate\`)`,
      );
    } finally {
      await h.close();
    }
  } catch (e) {
    if (e instanceof DataDirBusyError) {
      add(
        'Database',
        true,
        `embedded database is in use by the running node (pid ${e.pid}); left alone to keep it safe`,
      );
    } else {
      const msg = (e as Error).message;
      const hint = config.databaseUrl
        ? 'check that PostgreSQL runs, the URL (host, port, user, password, database) is right, and the user may connect'
        : 'another Nimbus may be running on the same NIMBUS_DATA_DIR, or the folder is damaged';
      add('Database', false, `${dbName} cannot be used: ${msg}; ${hint}`);
    }
  }

  if (config.redisUrl) {
    try {
      const r = await connectRedis(config.redisUrl);
      r.disconnect();
      add('Redis', true, `${redactUrl(config.redisUrl)} answers`);
    } catch (e) {
      add(
        'Redis',
        false,
        `${(e as Error).message}; check that Redis runs and REDIS_URL is right, or unset REDIS_URL for a single node`,
      );
    }
  } else {
    add('Redis', true, 'not configured (single node; set REDIS_URL to run several nodes)');
  }
  return results;
}
