/**
 * Whole nodes in this process, sharing the test's PostgreSQL (a schema of their own) and
 * Redis (a key prefix of their own), as the cluster tests start them: the configuration of
 * one node, the operator's sign-in, and the clean-up of everything they shared.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { NimbusNode } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';

/** Both shared services are there (otherwise the cluster tests are skipped). */
export const clusterReady = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

const OPERATOR = { email: 'root@example.com', password: 'cluster-operator-1' };

/**
 * Node `node` with its data under `dir`, RTP ports from `rtp` (`rtpPorts` of them; the
 * ranges of the nodes of one test must not overlap), and `extra` settings on top.
 */
export function clusterNodeConfig(
  dir: string,
  node: string,
  rtp: number,
  extra: Record<string, string> = {},
  rtpPorts = 200,
): Config {
  return loadConfig({
    env: {
      NIMBUS_HTTP_PORT: '0',
      NIMBUS_HTTP_HOST: '127.0.0.1',
      NIMBUS_SIP_HOST: '127.0.0.1',
      NIMBUS_SIP_PORT: '0',
      NIMBUS_SIP_TLS_PORT: '0',
      NIMBUS_HTTPS_PORT: '0',
      NIMBUS_DATA_DIR: join(dir, node),
      NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
      NIMBUS_LOG_LEVEL: 'silent',
      NIMBUS_MEDIA_WORKERS: '1',
      NIMBUS_RTP_PORT_MIN: String(rtp),
      NIMBUS_RTP_PORT_MAX: String(rtp + rtpPorts - 1),
      NIMBUS_NODE_ID: node,
      NIMBUS_ADMIN_EMAIL: OPERATOR.email,
      NIMBUS_ADMIN_PASSWORD: OPERATOR.password,
      DATABASE_URL: process.env.DATABASE_URL ?? '',
      REDIS_URL: process.env.REDIS_URL ?? '',
      ...extra,
    },
    configFile: null,
  });
}

/** The operator's session cookie on `node`. */
export async function signInOperator(node: NimbusNode): Promise<string> {
  const login = await fetch(`${node.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(OPERATOR),
  });
  if (login.status !== 200) throw new Error(`operator sign-in on ${node.httpUrl}: ${login.status}`);
  const cookie = login.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

/**
 * Closes the nodes (the first last: its store drops the shared schema), deletes the Redis
 * keys under `prefix` and the data directory.
 */
export async function closeCluster(
  nodes: (NimbusNode | undefined)[],
  shared: { schema: string; prefix: string; dir: string },
): Promise<void> {
  const [first, ...others] = nodes;
  for (const n of others) await n?.close();
  if (first) {
    await sql`drop schema if exists ${sql.id(shared.schema)} cascade`.execute(first.store.db);
    await first.close();
  }
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const keys = await redis.keys(`${shared.prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  rmSync(shared.dir, { recursive: true, force: true });
}
