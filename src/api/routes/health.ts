/** Liveness, readiness and Prometheus metrics: public, outside /api/v1, for load balancers and monitoring. */
import type { Registry } from 'prom-client';
import Type from 'typebox';
import type { Api, ApiDeps } from '../context.js';

export async function healthRoutes(app: Api, deps: ApiDeps, metrics: Registry): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'The process is alive',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const Check = Type.Object({ name: Type.String(), ok: Type.Boolean() });
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Ready to serve: SIP is listening and the database (and Redis, when configured) answer',
        response: {
          200: Type.Object({ status: Type.String(), checks: Type.Array(Check) }),
          503: Type.Object({ status: Type.String(), checks: Type.Array(Check) }),
        },
      },
    },
    async (_req, reply) => {
      const list = [{ name: 'database', check: () => deps.store.ping() }, ...(deps.readiness ?? [])];
      const checks = await Promise.all(
        list.map(async (c) => {
          try {
            await withTimeout(c.check(), 2000);
            return { name: c.name, ok: true };
          } catch (e) {
            // The cause goes to the log, not to an anonymous caller.
            if (!c.quiet) app.log.warn({ err: e, check: c.name }, 'readiness check failed');
            return { name: c.name, ok: false };
          }
        }),
      );
      const ok = checks.every((c) => c.ok);
      reply.code(ok ? 200 : 503);
      return { status: ok ? 'ready' : 'not ready', checks };
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
