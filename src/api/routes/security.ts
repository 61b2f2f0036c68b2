/**
 * Security events of the SIP side (failed authentications, bans, scanners, floods):
 * the operator's view of all of them with the bans in force
 * (/platform/security-events), and a company's view of the events that named its
 * SIP domain (/tenants/{tenantId}/security-events). This node's, newest first; the
 * same events are lines in the log (docs/security.md).
 *
 * Bans can be lifted early: any ban by the operator, a ban of one of its users by a
 * company's administrator (a whole address may carry other companies' phones: the
 * operator's call). Lifting is audited and recorded as an `unban` event; in a
 * cluster it applies on every node.
 */
import Type from 'typebox';
import { type Ban, parseCidr } from '../../pbx/auth-guard.js';
import type { SecurityEvent } from '../../pbx/security-events.js';
import { type Api, type ApiDeps, actorOf } from '../context.js';
import { ApiError } from '../errors.js';
import { TenantParams } from '../schemas.js';

const Kind = Type.Union([
  Type.Literal('auth-failure'),
  Type.Literal('ban'),
  Type.Literal('scanner'),
  Type.Literal('flood'),
  Type.Literal('connection-limit'),
  Type.Literal('tenant-flood'),
  Type.Literal('overload'),
  Type.Literal('unban'),
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
      'auth-failure: unknown-domain, unknown-user, wrong-password or banned; scanner: its User-Agent; flood, tenant-flood, connection-limit: the limit passed and how many were refused since the last such event; overload: the bound reached; unban: who lifted it. Never shown to the caller.',
  }),
  until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'ban, flood: when it ends',
  }),
});

const BanSchema = Type.Object({
  ip: Type.String(),
  user: Type.Union([Type.String(), Type.Null()], { description: 'null: the whole address' }),
  until: Type.String({ format: 'date-time' }),
  realm: Type.Union([Type.String(), Type.Null()], { description: 'The SIP domain the failures named' }),
});

const BanParams = Type.Object({
  ip: Type.String({ minLength: 2, maxLength: 64, pattern: '^[0-9A-Fa-f.:]+$' }),
});
const TenantBanParams = Type.Object({
  tenantId: TenantParams.properties.tenantId,
  ip: BanParams.properties.ip,
});
const BanQuery = Type.Object(
  {
    user: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'Lift the ban of this user from the address',
      }),
    ),
  },
  { additionalProperties: false },
);

const AllowEntrySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  cidr: Type.String({ description: 'An address or CIDR range' }),
  note: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
const AllowInput = Type.Object(
  {
    cidr: Type.String({
      minLength: 2,
      maxLength: 64,
      description: 'An address or CIDR range: 192.0.2.7, 10.0.0.0/8, 2001:db8::/32',
    }),
    note: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** `10.1.2.3/8` as `10.1.2.3/8`, `192.0.2.7/32` as `192.0.2.7`: one spelling per entry, so duplicates are found. */
function canonicalCidr(entry: string): string | null {
  const c = parseCidr(entry);
  if (!c) return null;
  const full = c.type === 'ipv4' ? 32 : 128;
  const address = c.address.toLowerCase();
  return c.prefix === full ? address : `${address}/${c.prefix}`;
}

function banView(b: Ban) {
  return { ip: b.ip, user: b.user, until: b.until.toISOString(), realm: b.realm };
}

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
        bans: (src?.bans() ?? []).map(banView),
      };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/security-events',
    {
      config: { permission: 'security.read' },
      schema: {
        tags: ['security'],
        summary:
          "SIP security events that named the tenant's SIP domain (this node's), newest first, and the bans in force on its users",
        params: TenantParams,
        querystring: Query,
        response: {
          200: Type.Object({ items: Type.Array(SecurityEventSchema), bans: Type.Array(BanSchema) }),
        },
      },
    },
    async (req) => {
      const filter = {
        tenantId: req.params.tenantId,
        limit: req.query.limit ?? 200,
        ...(req.query.kind ? { kind: req.query.kind } : {}),
      };
      return {
        items: (deps.security?.events(filter) ?? []).map(view),
        bans: tenantBans(req.params.tenantId).map(banView),
      };
    },
  );

  /** Bans of one user from an address that named the tenant's domain (whole addresses are the operator's). */
  function tenantBans(tenantId: string): Ban[] {
    const src = deps.security;
    if (!src?.tenantOfRealm) return [];
    return src
      .bans()
      .filter((b) => b.user !== null && b.realm !== null && src.tenantOfRealm!(b.realm) === tenantId);
  }

  app.delete(
    '/api/v1/platform/security/bans/:ip',
    {
      config: { permission: 'platform.security' },
      schema: {
        tags: ['platform'],
        summary: 'Lift a SIP ban early: the whole address, or with ?user= that user from it (every node)',
        params: BanParams,
        querystring: BanQuery,
        response: { 200: BanSchema },
      },
    },
    async (req) => {
      const user = req.query.user ?? null;
      const ban = deps.security?.lift?.(req.params.ip, user, actorOf(req).label) ?? null;
      if (!ban) throw new ApiError('NOT_FOUND', 'No such ban in force', user === null ? 'ip' : 'user');
      await deps.store.platform.audit.record(actorOf(req), {
        action: 'sip-ban.lift',
        resourceType: 'sip-ban',
        resourceId: user === null ? ban.ip : `${ban.ip} ${user}`,
        before: banView(ban),
      });
      return banView(ban);
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/security/bans/:ip',
    {
      config: { permission: 'security.manage' },
      schema: {
        tags: ['security'],
        summary: "Lift the SIP ban of one of the tenant's users from an address early (every node)",
        params: TenantBanParams,
        querystring: Type.Object(
          { user: Type.String({ minLength: 1, maxLength: 128 }) },
          { additionalProperties: false },
        ),
        response: { 200: BanSchema },
      },
    },
    async (req) => {
      const { tenantId, ip } = req.params;
      const user = req.query.user;
      // Only a ban this tenant can see: another company's, or a whole address, is not there for it.
      const mine = tenantBans(tenantId).find((b) => b.ip === ip && b.user === user);
      const ban = mine ? (deps.security?.lift?.(ip, user, actorOf(req).label) ?? null) : null;
      if (!ban) throw new ApiError('NOT_FOUND', 'No such ban in force', 'user');
      await deps.store.tenant(tenantId).audit.record(actorOf(req), {
        action: 'sip-ban.lift',
        resourceType: 'sip-ban',
        resourceId: `${ban.ip} ${user}`,
        before: banView(ban),
      });
      return banView(ban);
    },
  );

  app.get(
    '/api/v1/platform/security/allow',
    {
      config: { permission: 'platform.security' },
      schema: {
        tags: ['platform'],
        summary:
          "The SIP allow-list: the operator's entries (editable) and the node's NIMBUS_SIP_ALLOW (read-only). Never banned, rate-limited, capped or dropped as scanners",
        response: {
          200: Type.Object({ items: Type.Array(AllowEntrySchema), fromSettings: Type.Array(Type.String()) }),
        },
      },
    },
    async () => ({
      items: (await deps.store.sipAllow.all()).map(allowView),
      fromSettings: [...(deps.security?.settingsAllow?.() ?? [])],
    }),
  );

  app.post(
    '/api/v1/platform/security/allow',
    {
      config: { permission: 'platform.security' },
      schema: {
        tags: ['platform'],
        summary:
          'Add an address or CIDR range to the SIP allow-list (every node within 30 s, this one at once)',
        body: AllowInput,
        response: { 201: AllowEntrySchema },
      },
    },
    async (req, reply) => {
      const cidr = canonicalCidr(req.body.cidr);
      if (!cidr) throw new ApiError('VALIDATION_FAILED', 'Not an address or CIDR range', 'cidr');
      const created = await deps.store.transaction(async (tx) => {
        if (await tx.sipAllow.byCidr(cidr)) throw new ApiError('CONFLICT', `${cidr} is on the list`, 'cidr');
        const e = await tx.sipAllow.create({ cidr, note: req.body.note ?? '' });
        await tx.platform.audit.record(actorOf(req), {
          action: 'sip-allow.create',
          resourceType: 'sip-allow',
          resourceId: e.id,
          after: { cidr: e.cidr, note: e.note },
        });
        return e;
      });
      await deps.security?.allowChanged?.();
      reply.code(201);
      return allowView(created);
    },
  );

  app.delete(
    '/api/v1/platform/security/allow/:id',
    {
      config: { permission: 'platform.security' },
      schema: {
        tags: ['platform'],
        summary: 'Remove an entry from the SIP allow-list',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await deps.store.transaction(async (tx) => {
        const e = await tx.sipAllow.get(req.params.id);
        if (!e || !(await tx.sipAllow.delete(e.id))) throw new ApiError('NOT_FOUND', 'No such entry', 'id');
        await tx.platform.audit.record(actorOf(req), {
          action: 'sip-allow.delete',
          resourceType: 'sip-allow',
          resourceId: e.id,
          before: { cidr: e.cidr, note: e.note },
        });
      });
      await deps.security?.allowChanged?.();
      reply.code(204);
      return null;
    },
  );
}

function allowView(e: { id: string; cidr: string; note: string; createdAt: Date }) {
  return { id: e.id, cidr: e.cidr, note: e.note, createdAt: e.createdAt.toISOString() };
}
