/**
 * GET /api/v1/auth/softphone: what the portal's browser softphone registers
 * with — the signed-in user's own extensions, each with short-lived SIP
 * credentials (src/util/softphone-credentials.ts) instead of the extension's
 * real secret, valid no longer than the portal session. Never cached.
 */
import Type from 'typebox';
import { vapidKeysOf } from '../../pbx/push-notifier.js';
import {
  issueSoftphoneCredential,
  newSoftphoneSecret,
  SOFTPHONE_SECRET,
} from '../../util/softphone-credentials.js';
import type { Api, ApiDeps } from '../context.js';
import { principalOf } from '../context.js';
import { ApiError } from '../errors.js';

const SoftphoneSchema = Type.Object({
  server: Type.Union([Type.String(), Type.Null()], {
    description:
      "The SIP over WebSocket URL to register to (NIMBUS_SOFTPHONE_WS_URL, e.g. Kamailio in front of a cluster); null: this server's own /sip",
  }),
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
      const server = deps.config.softphoneWsUrl ?? null;
      if (p.kind !== 'user' || !p.userId || !p.tenantId) return { server, sipDomain: null, extensions: [] };
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
        server,
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

const Base64Url = (bytes: number) =>
  Type.String({
    pattern: '^[A-Za-z0-9_-]+={0,2}$',
    minLength: Math.floor((bytes * 4) / 3),
    maxLength: Math.ceil((bytes * 4) / 3) + 2,
  });

const Subscription = Type.Object(
  {
    endpoint: Type.String({
      format: 'uri',
      pattern: '^https://',
      maxLength: 1000,
      description: 'The push service URL the browser gave (PushSubscription.endpoint); always https',
    }),
    keys: Type.Object({ p256dh: Base64Url(65), auth: Base64Url(16) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

/** Notifications while the portal is closed: the VAPID key to subscribe with, and the user's subscriptions. */
export async function pushRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  app.get(
    '/api/v1/auth/push',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: "Web Push: the server's VAPID public key (PushManager.subscribe applicationServerKey)",
        response: { 200: Type.Object({ publicKey: Type.String() }) },
      },
    },
    async () => ({ publicKey: (await vapidKeysOf(store)).publicKey }),
  );

  app.put(
    '/api/v1/auth/push-subscriptions',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Register this browser for incoming-call notifications while the portal is closed',
        body: Subscription,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind !== 'user' || !p.userId)
        throw new ApiError('FORBIDDEN', 'Only a signed-in user has notifications');
      await store.pushSubscriptions.save({
        endpoint: req.body.endpoint,
        userId: p.userId,
        p256dh: req.body.keys.p256dh,
        auth: req.body.keys.auth,
        userAgent: req.headers['user-agent']?.slice(0, 300) ?? null,
      });
      reply.code(204);
      return null;
    },
  );

  app.delete(
    '/api/v1/auth/push-subscriptions',
    {
      config: { permission: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'Stop notifications to this browser',
        body: Type.Object({ endpoint: Type.String({ maxLength: 1000 }) }, { additionalProperties: false }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.userId) await store.pushSubscriptions.remove(req.body.endpoint, p.userId);
      reply.code(204);
      return null;
    },
  );
}
