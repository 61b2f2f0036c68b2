/**
 * GET /api/v1/platform/health: the operator's view of this node — version and
 * uptime, database and Redis with how long each takes to answer, process memory
 * and event-loop delay, SIP registrations, calls and connections, media workers
 * and their load, tenants, and (in a cluster) the live nodes by their heartbeats.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Type from 'typebox';
import type { Api, ApiDeps } from '../context.js';

/** package.json's version, from src/api/routes and dist/api/routes alike. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const Check = Type.Object({ name: Type.String(), ok: Type.Boolean(), ms: Type.Number() });

export const PlatformHealthSchema = Type.Object({
  node: Type.Object({
    version: Type.String(),
    startedAt: Type.String(),
    uptimeSec: Type.Integer(),
    database: Type.Union([Type.Literal('embedded'), Type.Literal('postgresql')]),
    redis: Type.Boolean(),
  }),
  checks: Type.Array(Check),
  process: Type.Object({
    rssMB: Type.Number(),
    heapUsedMB: Type.Number(),
    eventLoopDelayP99Ms: Type.Number({ description: 'Over the last minute' }),
    cpuPercent: Type.Number({ description: 'Of one core, since the previous request (or start)' }),
  }),
  sip: Type.Object({
    registrations: Type.Integer(),
    activeCalls: Type.Integer(),
    connections: Type.Integer(),
  }),
  media: Type.Union([
    Type.Object({
      workers: Type.Integer(),
      endpointsPerWorker: Type.Array(Type.Integer()),
      portMin: Type.Integer(),
      portMax: Type.Integer(),
    }),
    Type.Null(),
  ]),
  tenants: Type.Object({ total: Type.Integer() }),
  cluster: Type.Union(
    [
      Type.Object({
        node: Type.String({ description: 'This node’s id (NIMBUS_NODE_ID)' }),
        nodes: Type.Array(
          Type.Object({
            id: Type.String(),
            startedAt: Type.String(),
            lastSeenAt: Type.String({
              description: 'Its last heartbeat; a node silent for 10 s leaves the list',
            }),
            sip: Type.Union([Type.String(), Type.Null()]),
            http: Type.Union([Type.String(), Type.Null()]),
          }),
        ),
      }),
      Type.Null(),
    ],
    { description: 'With REDIS_URL: the live nodes of the cluster; null for a single node' },
  ),
});

export async function platformRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  // Minute windows: the figure says how the node is doing now, not since start.
  const reset = setInterval(() => loop.reset(), 60_000);
  reset.unref();
  app.addHook('onClose', async () => {
    clearInterval(reset);
    loop.disable();
  });
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();

  app.get(
    '/api/v1/platform/health',
    {
      config: { permission: 'platform.read' },
      schema: {
        tags: ['platform'],
        summary: "This node's health: database, Redis, process, SIP, media workers, tenants",
        response: { 200: PlatformHealthSchema },
      },
    },
    async () => {
      const timed = async (name: string, check: () => Promise<unknown>) => {
        const t0 = performance.now();
        try {
          await Promise.race([
            check(),
            new Promise((_, no) => setTimeout(() => no(new Error('timeout')), 2000)),
          ]);
          return { name, ok: true, ms: Math.round((performance.now() - t0) * 10) / 10 };
        } catch {
          return { name, ok: false, ms: Math.round(performance.now() - t0) };
        }
      };
      const checks = await Promise.all([
        timed('database', () => deps.store.ping()),
        ...(deps.readiness ?? []).map((c) => timed(c.name, c.check)),
      ]);
      const status = deps.platform?.() ?? null;
      const cpu = process.cpuUsage(lastCpu);
      const now = performance.now();
      const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, now - lastAt)) * 1000) / 10;
      lastCpu = process.cpuUsage();
      lastAt = now;
      const mem = process.memoryUsage();
      const started = status?.startedAt ?? new Date(Date.now() - process.uptime() * 1000);
      return {
        node: {
          version: VERSION,
          startedAt: started.toISOString(),
          uptimeSec: Math.floor((Date.now() - started.getTime()) / 1000),
          database: status?.database ?? 'embedded',
          redis: status?.redis ?? false,
        },
        checks,
        process: {
          rssMB: Math.round(mem.rss / 1048576),
          heapUsedMB: Math.round(mem.heapUsed / 1048576),
          eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
          cpuPercent,
        },
        sip: status?.sip ?? { registrations: 0, activeCalls: 0, connections: 0 },
        media: status?.media ?? null,
        tenants: { total: await deps.store.tenants.count() },
        cluster: deps.cluster
          ? {
              node: deps.cluster.node,
              nodes: (await deps.cluster.nodes().catch(() => [])).map((n) => ({
                id: n.id,
                startedAt: n.startedAt,
                lastSeenAt: n.lastSeenAt,
                sip: n.sip,
                http: n.http,
              })),
            }
          : null,
      };
    },
  );
}
