/**
 * GET /api/v1/auth/softphone: what the portal's browser softphone registers
 * with — the signed-in user's own extensions, each with short-lived SIP
 * credentials (src/util/softphone-credentials.ts) instead of the extension's
 * real secret, valid no longer than the portal session. Never cached.
 */
import Type from 'typebox';
import {
  issueSoftphoneCredential,
  newSoftphoneSecret,
  SOFTPHONE_SECRET,
} from '../../util/softphone-credentials.js';
import type { Api, ApiDeps } from '../context.js';
import { principalOf } from '../context.js';
import { ApiError } from '../errors.js';

const SoftphoneSchema = Type.Object({
  sipDomain: Type.Union([Type.String(), Type.Null()], {
    description: 'null for operators and API keys: they have no extensions',
  }),
  extensions: Type.Array(
    Type.Object({
      id: Type.String(),
      number: Type.String(),
      displayName: Type.String(),
      /** Digest user name; the SIP URI user stays `number`. */
      username: Type.String(),
      password: Type.String(),
      expiresAt: Type.String({ format: 'date-time' }),
    }),
  ),
});

export async function softphoneRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  let secret: Promise<string> | null = null;

  app.get(
    '/api/v1/auth/softphone',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'SIP registration for the browser softphone: my extensions with short-lived credentials',
        response: { 200: SoftphoneSchema },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      reply.header('cache-control', 'no-store');
      // Operators and API keys own no extensions: nothing to register.
      if (p.kind !== 'user' || !p.userId || !p.tenantId) return { sipDomain: null, extensions: [] };
      const tenant = await store.tenants.get(p.tenantId);
      if (!tenant) throw new ApiError('UNAUTHENTICATED');
      secret ??= store.platformSecret(SOFTPHONE_SECRET, newSoftphoneSecret);
      const key = await secret.catch((e: unknown) => {
        secret = null; // a database hiccup must not stick
        throw e;
      });
      const own = await store
        .tenant(tenant.id)
        .extensions.list({ userId: p.userId, limit: 100, offset: 0, sort: 'number' });
      // No longer than the session that asked, at most a day.
      const session = p.sessionId ? await store.sessions.findLive(p.sessionId, now()) : null;
      const until = Math.min(session?.expiresAt.getTime() ?? 0, now().getTime() + 24 * 3600_000);
      const ttlSec = Math.max(60, Math.floor((until - now().getTime()) / 1000));
      return {
        sipDomain: tenant.sipDomain,
        extensions: own.items.map((e) => {
          const c = issueSoftphoneCredential(key, tenant.id, e.number, ttlSec, now());
          return {
            id: e.id,
            number: e.number,
            displayName: e.displayName,
            username: c.username,
            password: c.password,
            expiresAt: c.expiresAt.toISOString(),
          };
        }),
      };
    },
  );
}
