/**
 * Security events of the SIP side (failed authentications, bans, scanners, floods):
 * the operator's view of all of them with the bans in force
 * (/platform/security-events), and a company's view of the events that named its
 * SIP domain (/tenants/{tenantId}/security-events). This node's, newest first; the
 * same events are lines in the log (docs/security.md).
 */
import Type from 'typebox';
import type { SecurityEvent } from '../../pbx/security-events.js';
import type { Api, ApiDeps } from '../context.js';
import { TenantParams } from '../schemas.js';

const Kind = Type.Union([
  Type.Literal('auth-failure'),
  Type.Literal('ban'),
  Type.Literal('scanner'),
  Type.Literal('flood'),
]);

export const SecurityEventSchema = Type.Object({
  id: Type.Integer({ description: 'Increasing on this node' }),
  at: Type.String({ format: 'date-time' }),
  kind: Kind,
  ip: Type.String({ description: 'Source address of the request' }),
  user: Type.Union([Type.String(), Type.Null()], { description: 'Digest user name tried (as sent)' }),
  realm: Type.Union([Type.String(), Type.Null()]),
  method: Type.Union([Type.String(), Type.Null()]),
  transport: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], {
    description:
      'auth-failure: unknown-domain, unknown-user, wrong-password or banned; scanner: its User-Agent; flood: the limit passed. Never shown to the caller.',
  }),
  until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'ban, flood: when it ends',
  }),
});

const BanSchema = Type.Object({
  ip: Type.String(),
  user: Type.Union([Type.String(), Type.Null()], { description: 'null: the whole address' }),
  until: Type.String({ format: 'date-time' }),
});

const Query = Type.Object(
  {
    kind: Type.Optional(Kind),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 200 })),
  },
  { additionalProperties: false },
);

function view(e: SecurityEvent) {
  return {
    id: e.id,
    at: e.at.toISOString(),
    kind: e.kind,
    ip: e.ip,
    user: e.user,
    realm: e.realm,
    method: e.method,
    transport: e.transport,
    reason: e.reason,
    until: e.until ? e.until.toISOString() : null,
  };
}

export async function securityRoutes(app: Api, deps: ApiDeps): Promise<void> {
  app.get(
    '/api/v1/platform/security-events',
    {
      config: { permission: 'platform.read' },
      schema: {
        tags: ['platform'],
        summary:
          "This node's SIP security events (failed authentications, bans, scanners), newest first, and bans in force",
        querystring: Query,
        response: {
          200: Type.Object({ items: Type.Array(SecurityEventSchema), bans: Type.Array(BanSchema) }),
        },
      },
    },
    async (req) => {
      const src = deps.security;
      const filter = { limit: req.query.limit ?? 200, ...(req.query.kind ? { kind: req.query.kind } : {}) };
      return {
        items: (src?.events(filter) ?? []).map(view),
        bans: (src?.bans() ?? []).map((b) => ({ ip: b.ip, user: b.user, until: b.until.toISOString() })),
      };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/security-events',
    {
      config: { permission: 'security.read' },
      schema: {
        tags: ['security'],
        summary: "SIP security events that named the tenant's SIP domain (this node's), newest first",
        params: TenantParams,
        querystring: Query,
        response: { 200: Type.Object({ items: Type.Array(SecurityEventSchema) }) },
      },
    },
    async (req) => {
      const filter = {
        tenantId: req.params.tenantId,
        limit: req.query.limit ?? 200,
        ...(req.query.kind ? { kind: req.query.kind } : {}),
      };
      return { items: (deps.security?.events(filter) ?? []).map(view) };
    },
  );
}
