/**
 * API keys for integrations: per tenant (/tenants/{tenantId}/api-keys) and, for
 * operators' automation, platform-wide (/api-keys). The token is shown once;
 * only its prefix and a SHA-256 of the secret part are stored.
 */
import Type from 'typebox';
import type { Role } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { randomToken, readableSecret, sha256Hex } from '../../util/secrets.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf, principalOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import {
  ApiKeySchema,
  listQuery,
  Name,
  pageOf,
  TenantParams,
  Timestamp,
  toListQuery,
  Uuid,
} from '../schemas.js';
import { apiKeyView, auditSnapshot } from '../views.js';

const KeyRole = Type.Union([Type.Literal('tenant_admin'), Type.Literal('supervisor')], {
  description: 'What the key may do: tenant_admin (full) or supervisor (read and reports)',
});
const Created = Type.Intersect([
  ApiKeySchema,
  Type.Object({ token: Type.String({ description: 'Shown only now' }) }),
]);

export function newApiToken(): { prefix: string; token: string; secretHash: string } {
  const prefix = readableSecret(12).replace(/[^A-Za-z0-9]/g, 'x');
  const secret = randomToken(32);
  return { prefix, token: `nmb_${prefix}_${secret}`, secretHash: sha256Hex(secret) };
}

interface Variant {
  base: string;
  permission: 'apiKeys.manage' | 'platformApiKeys.manage';
  params: typeof TenantParams | null;
  scope: (store: Store, params: Record<string, string>) => ReturnType<Store['tenant']> | Store['platform'];
  roleSchema: typeof KeyRole | ReturnType<typeof Type.Literal<'operator'>>;
}

export async function apiKeyRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const variants: Variant[] = [
    {
      base: '/api/v1/tenants/:tenantId/api-keys',
      permission: 'apiKeys.manage',
      params: TenantParams,
      scope: (store, p) => store.tenant(p.tenantId!),
      roleSchema: KeyRole,
    },
    {
      base: '/api/v1/api-keys',
      permission: 'platformApiKeys.manage',
      params: null,
      scope: (store) => store.platform,
      roleSchema: Type.Literal('operator'),
    },
  ];
  for (const v of variants) register(app, deps, v);
}

function register(app: Api, { store }: ApiDeps, v: Variant): void {
  const params = v.params ?? Type.Object({});
  const idParams = v.params ? Type.Object({ tenantId: Uuid, id: Uuid }) : Type.Object({ id: Uuid });
  const tag = v.params ? 'api keys' : 'platform';

  app.get(
    v.base,
    {
      config: { permission: v.permission },
      schema: {
        tags: [tag],
        summary: 'List API keys',
        params,
        querystring: listQuery(['name', 'createdAt', 'lastUsedAt']),
        response: { 200: pageOf(ApiKeySchema) },
      },
    },
    async (req) => {
      const page = await v
        .scope(store, req.params as Record<string, string>)
        .apiKeys.list(toListQuery(req.query));
      return { ...page, items: page.items.map(apiKeyView) };
    },
  );

  app.post(
    v.base,
    {
      config: { permission: v.permission },
      schema: {
        tags: [tag],
        summary: 'Create an API key; the token is returned once',
        params,
        body: Type.Object(
          { name: Name, role: v.roleSchema, expiresAt: Type.Optional(Type.Union([Timestamp, Type.Null()])) },
          { additionalProperties: false },
        ),
        response: { 201: Created },
      },
    },
    async (req, reply) => {
      const body = req.body as { name: string; role: Role; expiresAt?: string | null };
      const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= Date.now()) {
        throw new ApiError('VALIDATION_FAILED', 'expiresAt must be in the future', 'expiresAt');
      }
      const { prefix, token, secretHash } = newApiToken();
      const key = await store.transaction(async (tx) => {
        const scope = v.scope(tx, req.params as Record<string, string>);
        const created = await scope.apiKeys.create({
          name: body.name,
          prefix,
          secretHash,
          role: body.role,
          createdBy: principalOf(req).userId,
          expiresAt,
        });
        await scope.audit.record(actorOf(req), {
          action: 'apiKey.create',
          resourceType: 'apiKey',
          resourceId: created.id,
          after: auditSnapshot(apiKeyView(created)),
        });
        return created;
      });
      reply.code(201);
      return { ...apiKeyView(key), token };
    },
  );

  app.delete(
    `${v.base}/:id`,
    {
      config: { permission: v.permission },
      schema: { tags: [tag], summary: 'Revoke an API key', params: idParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const p = req.params as Record<string, string>;
      await store.transaction(async (tx) => {
        const scope = v.scope(tx, p);
        const before = await scope.apiKeys.get(p.id!);
        if (!before || !(await scope.apiKeys.delete(before.id))) throw notFound('API key');
        await scope.audit.record(actorOf(req), {
          action: 'apiKey.delete',
          resourceType: 'apiKey',
          resourceId: before.id,
          before: auditSnapshot(apiKeyView(before)),
        });
      });
      reply.code(204);
      return null;
    },
  );
}
