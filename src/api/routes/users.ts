/** /api/v1/tenants/{tenantId}/users: a tenant's portal accounts. */
import Type from 'typebox';
import type { Actor } from '../../store/repositories/audit.js';
import type { User } from '../../store/schema.js';
import type { TenantScope } from '../../store/store.js';
import { hashPassword } from '../../util/password-hash.js';
import { generatePassword } from '../../util/secrets.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf, principalOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import {
  DisplayName,
  Email,
  LanguageSchema,
  listQuery,
  Password,
  pageOf,
  TenantIdParams,
  TenantParams,
  TenantRoleSchema,
  toListQuery,
  UserSchema,
} from '../schemas.js';
import { apiKeyView, auditSnapshot, userView } from '../views.js';

const CreateUser = Type.Object(
  {
    email: Email,
    displayName: Type.Optional(DisplayName),
    role: TenantRoleSchema,
    language: Type.Optional(Type.Union([LanguageSchema, Type.Null()])),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const PatchUser = Type.Object(
  {
    email: Type.Optional(Email),
    displayName: Type.Optional(DisplayName),
    role: Type.Optional(TenantRoleSchema),
    language: Type.Optional(Type.Union([LanguageSchema, Type.Null()])),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean()),
    resetTotp: Type.Optional(Type.Boolean({ description: 'Turn off two-factor sign-in (lost phone)' })),
  },
  { additionalProperties: false },
);

/**
 * A user who loses rights (disabled, role changed, deleted) loses the API keys they
 * created too: a key must never hold more than its creator may do.
 */
async function revokeKeysOf(scope: TenantScope, userId: string, actor: Actor): Promise<void> {
  for (const key of await scope.apiKeys.deleteByCreator(userId)) {
    await scope.audit.record(actor, {
      action: 'apiKey.revoke',
      resourceType: 'apiKey',
      resourceId: key.id,
      before: auditSnapshot(apiKeyView(key)),
    });
  }
}

/**
 * Refuses a change that would leave the tenant without an active administrator.
 * Callers lock the tenant row first, so two concurrent demotions cannot both pass.
 */
async function keepOneAdmin(
  scope: TenantScope,
  user: User,
  next: { role: string; disabled: boolean } | null,
) {
  const losesAdmin =
    user.role === 'tenant_admin' &&
    !user.disabled &&
    (next === null || next.role !== 'tenant_admin' || next.disabled);
  if (losesAdmin && (await scope.users.countByRole('tenant_admin')) <= 1) {
    throw new ApiError(
      'LAST_ADMIN',
      'The tenant must keep at least one active administrator',
      next ? 'role' : undefined,
    );
  }
}

export async function userRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  app.get(
    '/api/v1/tenants/:tenantId/users',
    {
      config: { permission: 'users.read' },
      schema: {
        tags: ['users'],
        summary: "List the tenant's portal users",
        params: TenantParams,
        querystring: listQuery(['email', 'displayName', 'role', 'createdAt'], {
          role: Type.Optional(TenantRoleSchema),
          disabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: pageOf(UserSchema) },
      },
    },
    async (req) => {
      const page = await store
        .tenant(req.params.tenantId)
        .users.list({ ...toListQuery(req.query), role: req.query.role, disabled: req.query.disabled });
      return { ...page, items: page.items.map(userView) };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/users/:id',
    {
      config: { permission: 'users.read' },
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        params: TenantIdParams,
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const user = await store.tenant(req.params.tenantId).users.get(req.params.id);
      if (!user) throw notFound('User');
      return userView(user);
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/users',
    {
      config: { permission: 'users.write' },
      schema: {
        tags: ['users'],
        summary: 'Create a user; without a password one is generated and returned once',
        params: TenantParams,
        body: CreateUser,
        response: {
          201: Type.Object({ user: UserSchema, generatedPassword: Type.Optional(Type.String()) }),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const generated = b.password ? undefined : generatePassword();
      const passwordHash = await hashPassword(b.password ?? generated!);
      const user = await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const created = await scope.users.create({
          email: b.email,
          displayName: b.displayName ?? '',
          passwordHash,
          role: b.role,
          language: b.language ?? null,
          disabled: b.disabled ?? false,
        });
        await scope.audit.record(actorOf(req), {
          action: 'user.create',
          resourceType: 'user',
          resourceId: created.id,
          after: auditSnapshot(userView(created)),
        });
        return created;
      });
      reply.code(201);
      return { user: userView(user), ...(generated ? { generatedPassword: generated } : {}) };
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/users/:id',
    {
      config: { permission: 'users.write' },
      schema: {
        tags: ['users'],
        summary: 'Change a user (a new password or disabling signs them out everywhere)',
        params: TenantIdParams,
        body: PatchUser,
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const { password, resetTotp, ...rest } = req.body;
      const passwordHash = password ? await hashPassword(password) : undefined;
      return store.transaction(async (tx) => {
        await tx.tenants.getForUpdate(req.params.tenantId);
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.users.get(req.params.id);
        if (!before) throw notFound('User');
        await keepOneAdmin(scope, before, {
          role: rest.role ?? before.role,
          disabled: rest.disabled ?? before.disabled,
        });
        const after = await scope.users.update(before.id, {
          ...rest,
          ...(passwordHash ? { passwordHash } : {}),
          ...(resetTotp ? { totpEnabled: false, totpSecret: null } : {}),
        });
        if (!after) throw notFound('User');
        if ((rest.disabled && !before.disabled) || (rest.role && rest.role !== before.role)) {
          await revokeKeysOf(scope, before.id, actorOf(req));
        }
        if (passwordHash || (rest.disabled && !before.disabled)) {
          const keep =
            principalOf(req).userId === before.id ? (principalOf(req).sessionId ?? undefined) : undefined;
          await tx.sessions.deleteForUser(before.id, keep);
        }
        await scope.audit.record(actorOf(req), {
          action: 'user.update',
          resourceType: 'user',
          resourceId: before.id,
          before: auditSnapshot(userView(before)),
          after: { ...auditSnapshot(userView(after)), ...(passwordHash ? { passwordChanged: true } : {}) },
        });
        return userView(after);
      });
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/users/:id',
    {
      config: { permission: 'users.write' },
      schema: {
        tags: ['users'],
        summary: 'Delete a user (extensions they owned stay, without an owner)',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        await tx.tenants.getForUpdate(req.params.tenantId);
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.users.get(req.params.id);
        if (!before) throw notFound('User');
        await keepOneAdmin(scope, before, null);
        await revokeKeysOf(scope, before.id, actorOf(req));
        await scope.users.delete(before.id);
        await scope.audit.record(actorOf(req), {
          action: 'user.delete',
          resourceType: 'user',
          resourceId: before.id,
          before: auditSnapshot(userView(before)),
        });
      });
      reply.code(204);
      return null;
    },
  );
}
