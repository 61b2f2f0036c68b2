/** A whole node started in-process: first-start data, HTTP on a real port, Redis when configured. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startNode } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { uniqueSchema } from './helpers/db.js';

/** A data directory of this file's own (the node writes its TLS certificate there). */
const TMP = mkdtempSync(join(tmpdir(), 'nimbus-app-'));

function config(extra: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      NIMBUS_HTTP_PORT: '0',
      NIMBUS_HTTP_HOST: '127.0.0.1',
      NIMBUS_SIP_HOST: '127.0.0.1',
      NIMBUS_SIP_PORT: '0',
      NIMBUS_SIP_TLS_PORT: '0',
      NIMBUS_HTTPS_PORT: '0',
      NIMBUS_DATA_DIR: TMP,
      NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
      NIMBUS_LOG_LEVEL: 'silent',
      ...extra,
    },
    configFile: null,
  });
}

describe('node start-up', () => {
  it('fixes the first operator from NIMBUS_ADMIN_EMAIL / NIMBUS_ADMIN_PASSWORD and serves HTTP', async () => {
    const node = await startNode(
      config({ NIMBUS_ADMIN_EMAIL: 'Root@Example.com', NIMBUS_ADMIN_PASSWORD: 'fixed-password-1' }),
      { inMemory: true },
    );
    try {
      expect(node.firstOperator).toEqual({ email: 'root@example.com', password: null });
      expect(node.demo?.extensions.map((e) => e.number)).toEqual(['101', '102', '103', '104', '105']);
      const res = await fetch(`http://127.0.0.1:${node.httpPort}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'root@example.com', password: 'fixed-password-1' }),
      });
      expect(res.status).toBe(200);
      // The operator's health page sees this node's SIP and media side.
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const health = await fetch(`http://127.0.0.1:${node.httpPort}/api/v1/platform/health`, {
        headers: { cookie },
      });
      const h = (await health.json()) as {
        node: { database: string };
        media: { workers: number } | null;
        sip: object;
      };
      expect(h.node.database).toBe('embedded');
      expect(h.media?.workers).toBeGreaterThan(0);
      expect(h.sip).toEqual({ registrations: 0, activeCalls: 0, connections: 0 });
    } finally {
      await node.close();
    }
  });

  it('starts SIP, and an extension created through the API can register at once', async () => {
    const node = await startNode(config({ NIMBUS_ADMIN_PASSWORD: 'fixed-password-1' }), { inMemory: true });
    try {
      expect(node.sipPorts.udp).toBeGreaterThan(0);
      const login = await fetch(`http://127.0.0.1:${node.httpPort}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@nimbus.local', password: 'fixed-password-1' }),
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      const res = await fetch(
        `http://127.0.0.1:${node.httpPort}/api/v1/tenants/${node.demo!.tenantId}/extensions`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie },
          body: JSON.stringify({ number: '150' }),
        },
      );
      expect(res.status).toBe(201);
      for (let i = 0; i < 50 && !node.sip.directory.tenantByDomain('127.0.0.1')?.extensions.has('150'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(node.sip.directory.tenantByDomain('127.0.0.1')?.extensions.has('150')).toBe(true);
    } finally {
      await node.close();
    }
  });

  it('skips the demo tenant when NIMBUS_DEMO=false', async () => {
    const node = await startNode(config({ NIMBUS_DEMO: 'false' }), { inMemory: true });
    try {
      expect(node.demo).toBeNull();
      expect(await node.store.tenants.count()).toBe(0);
    } finally {
      await node.close();
    }
  });

  it('refuses to start when the configured Redis does not answer, naming it', async () => {
    await expect(startNode(config({ REDIS_URL: 'redis://127.0.0.1:1' }), { inMemory: true })).rejects.toThrow(
      /Redis at redis:\/\/127\.0\.0\.1:1 does not answer/,
    );
  });

  it.runIf(process.env.REDIS_URL)('reports Redis in /readyz when REDIS_URL is set', async () => {
    const node = await startNode(config({ REDIS_URL: process.env.REDIS_URL!, NIMBUS_DEMO: 'false' }), {
      inMemory: true,
    });
    try {
      const ready = (await (await fetch(`http://127.0.0.1:${node.httpPort}/readyz`)).json()) as {
        checks: unknown[];
      };
      // SIP listening, the database and Redis (and, in a cluster, the heartbeat) all answer.
      expect(ready.checks).toEqual(
        expect.arrayContaining([
          { name: 'database', ok: true },
          { name: 'sip', ok: true },
          { name: 'redis', ok: true },
        ]),
      );
      expect(ready.checks.every((c) => (c as { ok: boolean }).ok)).toBe(true);
    } finally {
      await node.close();
    }
  });
});

describe.runIf(process.env.DATABASE_URL)('node start-up on PostgreSQL', () => {
  it('first start seeds, a restart keeps everything, and a platform emptied of tenants gets no new demo', async () => {
    const schema = uniqueSchema();
    const cfg = config({
      DATABASE_URL: process.env.DATABASE_URL!,
      NIMBUS_ADMIN_PASSWORD: 'pg-operator-pass',
    });
    const first = await startNode(cfg, { schema });
    try {
      expect(first.engine).toBe('postgres');
      expect(first.demo?.extensions).toHaveLength(5);
      await first.store.tenants.delete(first.demo!.tenantId);
    } finally {
      await first.close();
    }
    const second = await startNode(cfg, { schema });
    try {
      expect(second.firstOperator).toBeNull();
      expect(second.demo).toBeNull();
      expect(await second.store.tenants.count()).toBe(0);
      expect(await second.store.accounts.findByEmail('admin@nimbus.local')).toBeDefined();
    } finally {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(second.store.db);
      await second.close();
    }
  });
});
