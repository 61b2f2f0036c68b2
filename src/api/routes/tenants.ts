/** /api/v1/tenants: companies on the platform (operators), and a tenant's own settings. */
import Type from 'typebox';
import {
  clashes,
  effectiveCodes,
  FEATURE_CODE_PATTERN,
  FEATURE_NAMES,
  FEATURES,
  type Feature,
} from '../../pbx/feature-codes.js';
import { ownLocalPrefixes } from '../../pbx/routing/external.js';
import { ConflictError } from '../../store/errors.js';
import { MEDIA_CODECS, type User } from '../../store/schema.js';
import { hashPassword } from '../../util/password-hash.js';
import { generatePassword } from '../../util/secrets.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf, principalOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import {
  CallClassSchema,
  Email,
  LanguageSchema,
  listQuery,
  Name,
  Password,
  pageOf,
  TenantParams,
  TenantSchema,
  toListQuery,
  UserSchema,
} from '../schemas.js';
import { assertCountry, assertOwnNumber, assertTimeZone } from '../validate.js';
import { auditSnapshot, tenantView, userView } from '../views.js';

const SipDomain = Type.String({
  pattern:
    '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
  description: 'Domain phones register to (host name or IPv4 address)',
});
const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone, e.g. Europe/Moscow',
});
const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country, e.g. RU' });
const Limits = Type.Object(
  {
    maxExtensions: Type.Integer({ minimum: 0, maximum: 100_000 }),
    maxConcurrentCalls: Type.Integer({ minimum: 0, maximum: 100_000 }),
    maxExternalCalls: Type.Integer({ minimum: 0, maximum: 100_000 }),
    maxCallClass: CallClassSchema,
    dailyExternalMinutes: Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()]),
    dailySpendCap: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()], {
        description:
          "Spend on external calls a day by the rate deck, minor units of the operator's currency (null: no cap)",
      }),
    ),
    spendAlertPercent: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'Warn the tenant when this share of the cap is spent',
      }),
    ),
    clearCallsAtCap: Type.Optional(
      Type.Boolean({
        description:
          'At the daily minutes or spend cap, cut off external calls already running (counting their minutes so far), not only refuse new ones',
      }),
    ),
    sipRequestsPerSecond: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()], {
        description:
          "SIP requests a second naming the tenant's domain, per budget (its phones, strangers); 0: no limit; null: the platform's NIMBUS_SIP_TENANT_RATE_LIMIT",
      }),
    ),
  },
  { additionalProperties: false },
);

const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{1,14}$', description: 'E.164 number with the plus' });
const LocalPrefixes = Type.Array(Type.String({ pattern: '^\\+[1-9][0-9]{0,14}$' }), {
  maxItems: 50,
  uniqueItems: true,
  description: "E.164 prefixes that are local calls for the tenant ('+7495')",
});

const Codecs = Type.Array(Type.Union(MEDIA_CODECS.map((c) => Type.Literal(c))), {
  minItems: 1,
  maxItems: MEDIA_CODECS.length,
  uniqueItems: true,
  description: "Codecs for the tenant's phones, most preferred first (the relay transcodes between them)",
});

const CreateTenant = Type.Object(
  {
    name: Name,
    sipDomain: SipDomain,
    timeZone: Type.Optional(TimeZone),
    language: Type.Optional(LanguageSchema),
    country: Type.Optional(Country),
    limits: Type.Optional(Type.Partial(Limits, { additionalProperties: false })),
    codecs: Type.Optional(Codecs),
    enabled: Type.Optional(Type.Boolean()),
    admin: Type.Optional(
      Type.Object(
        {
          email: Email,
          displayName: Type.Optional(Type.String({ maxLength: 100 })),
          password: Type.Optional(Password),
        },
        { additionalProperties: false, description: "The tenant's first administrator" },
      ),
    ),
  },
  { additionalProperties: false },
);

const PatchTenant = Type.Object(
  {
    name: Type.Optional(Name),
    sipDomain: Type.Optional(SipDomain),
    timeZone: Type.Optional(TimeZone),
    language: Type.Optional(LanguageSchema),
    country: Type.Optional(Country),
    limits: Type.Optional(Type.Partial(Limits, { additionalProperties: false })),
    codecs: Type.Optional(Codecs),
    localPrefixes: Type.Optional(LocalPrefixes),
    defaultCallerId: Type.Optional(Type.Union([E164, Type.Null()])),
    featureCodes: Type.Optional(
      Type.Object(
        Object.fromEntries(
          FEATURE_NAMES.map((f) => [
            f,
            Type.Optional(Type.Union([Type.String({ pattern: FEATURE_CODE_PATTERN }), Type.Null()])),
          ]),
        ),
        { additionalProperties: false, description: 'Codes to change (null: back to the default)' },
      ),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Fields only an operator may change: they are what the customer pays for. */
const OPERATOR_ONLY = ['sipDomain', 'limits', 'enabled'] as const;

export const TENANT_DEFAULTS = {
  timeZone: 'Europe/Moscow',
  language: 'ru',
  country: 'RU',
  maxExtensions: 100,
  maxConcurrentCalls: 30,
} as const;

/** The tenant's own codes after a change; refused when two features would clash. */
function ownCodes(
  before: Record<string, string>,
  patch: Record<string, string | null | undefined>,
): Record<string, string> {
  const own = { ...before };
  for (const [f, code] of Object.entries(patch)) {
    if (code === null || code === FEATURES[f as Feature].code) delete own[f];
    else if (code !== undefined) own[f] = code;
  }
  const clash = clashes(effectiveCodes(own))[0];
  if (clash)
    throw new ApiError(
      'VALIDATION_FAILED',
      clash.message,
      `featureCodes.${clash.feature}`,
      `featureCodes.${clash.with}`,
    );
  return own;
}

export async function tenantRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  app.get(
    '/api/v1/tenants',
    {
      config: { permission: 'tenants.list' },
      schema: {
        tags: ['tenants'],
        summary: 'List tenants',
        querystring: listQuery(['name', 'sipDomain', 'createdAt'], {
          enabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: pageOf(TenantSchema) },
      },
    },
    async (req) => {
      const page = await store.tenants.list({ ...toListQuery(req.query), enabled: req.query.enabled });
      return { ...page, items: page.items.map(tenantView) };
    },
  );

  app.post(
    '/api/v1/tenants',
    {
      config: { permission: 'tenants.create' },
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant, optionally with its first administrator',
        body: CreateTenant,
        response: {
          201: Type.Object({
            tenant: TenantSchema,
            admin: Type.Optional(UserSchema),
            generatedPassword: Type.Optional(Type.String({ description: 'Shown once' })),
          }),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.timeZone) assertTimeZone(b.timeZone);
      if (b.country) assertCountry(b.country);
      const generated = b.admin && !b.admin.password ? generatePassword() : undefined;
      const passwordHash = b.admin ? await hashPassword(b.admin.password ?? generated!) : '';
      const result = await store.transaction(async (tx) => {
        if (await tx.tenants.findByDomain(b.sipDomain)) {
          throw new ConflictError('sipDomain', 'A tenant with this SIP domain already exists');
        }
        const tenant = await tx.tenants.create({
          name: b.name,
          sipDomain: b.sipDomain.toLowerCase(),
          timeZone: b.timeZone ?? TENANT_DEFAULTS.timeZone,
          language: b.language ?? TENANT_DEFAULTS.language,
          country: b.country ?? TENANT_DEFAULTS.country,
          maxExtensions: b.limits?.maxExtensions ?? TENANT_DEFAULTS.maxExtensions,
          maxConcurrentCalls: b.limits?.maxConcurrentCalls ?? TENANT_DEFAULTS.maxConcurrentCalls,
          ...(b.codecs ? { codecs: JSON.stringify(b.codecs) } : {}),
          enabled: b.enabled ?? true,
        });
        const actor = actorOf(req);
        await tx.platform.audit.record(actor, {
          action: 'tenant.create',
          resourceType: 'tenant',
          resourceId: tenant.id,
          after: auditSnapshot(tenantView(tenant)),
        });
        let admin: User | undefined;
        if (b.admin) {
          const scope = tx.tenant(tenant.id);
          admin = await scope.users.create({
            email: b.admin.email,
            displayName: b.admin.displayName ?? '',
            passwordHash,
            role: 'tenant_admin',
          });
          await scope.audit.record(actor, {
            action: 'user.create',
            resourceType: 'user',
            resourceId: admin.id,
            after: auditSnapshot(userView(admin)),
          });
        }
        return { tenant, admin };
      });
      reply.code(201);
      return {
        tenant: tenantView(result.tenant),
        ...(result.admin ? { admin: userView(result.admin) } : {}),
        ...(generated ? { generatedPassword: generated } : {}),
      };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId',
    {
      config: { permission: 'tenants.read' },
      schema: {
        tags: ['tenants'],
        summary: 'Get a tenant',
        params: TenantParams,
        response: { 200: TenantSchema },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      return tenantView(tenant);
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/feature-codes',
    {
      config: { permission: 'tenants.read' },
      schema: {
        tags: ['tenants'],
        summary: "Every feature code: the tenant's code, the default, what follows it, what it does",
        params: TenantParams,
        response: {
          200: Type.Array(
            Type.Object({
              feature: Type.String(),
              code: Type.String(),
              defaultCode: Type.String(),
              changed: Type.Boolean({ description: 'The tenant set its own code' }),
              arg: Type.Union([Type.Literal('none'), Type.Literal('optional'), Type.Literal('required')], {
                description: 'Digits dialled after the code',
              }),
              label: Type.String(),
            }),
          ),
        },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const codes = effectiveCodes(tenant.featureCodes);
      return FEATURE_NAMES.map((f) => ({
        feature: f,
        code: codes[f],
        defaultCode: FEATURES[f].code,
        changed: codes[f] !== FEATURES[f].code,
        arg: FEATURES[f].arg,
        label: FEATURES[f].label,
      }));
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId',
    {
      config: { permission: 'tenants.update' },
      schema: {
        tags: ['tenants'],
        summary: 'Change a tenant (SIP domain, limits and enabled: operators only)',
        params: TenantParams,
        body: PatchTenant,
        response: { 200: TenantSchema },
      },
    },
    async (req) => {
      const b = req.body;
      if (principalOf(req).role !== 'operator') {
        for (const f of OPERATOR_ONLY) {
          if (b[f] !== undefined)
            throw new ApiError('FIELD_FORBIDDEN', `Only an operator may change ${f}`, f);
        }
      }
      if (b.timeZone) assertTimeZone(b.timeZone);
      if (b.country) assertCountry(b.country);
      const { limits, codecs, featureCodes, localPrefixes, defaultCallerId, ...rest } = b;
      return store.transaction(async (tx) => {
        const before = await tx.tenants.getForUpdate(req.params.tenantId);
        if (!before) throw notFound('Tenant');
        if (b.sipDomain) {
          const other = await tx.tenants.findByDomain(b.sipDomain);
          if (other && other.id !== before.id) {
            throw new ConflictError('sipDomain', 'A tenant with this SIP domain already exists');
          }
        }
        const codes = featureCodes ? ownCodes(before.featureCodes, featureCodes) : null;
        if (defaultCallerId) await assertOwnNumber(tx, before.id, defaultCallerId, 'defaultCallerId');
        // The country decides what is a national call: moving it would move the operator's call class.
        if (b.country && b.country !== before.country && principalOf(req).role !== 'operator')
          throw new ApiError('FIELD_FORBIDDEN', 'Only an operator may change country', 'country');
        const country = b.country ?? before.country;
        if (localPrefixes) {
          const inside = ownLocalPrefixes(country, localPrefixes);
          const i = localPrefixes.findIndex((p) => !inside.includes(p));
          if (i >= 0)
            throw new ApiError(
              'VALIDATION_FAILED',
              `${localPrefixes[i]} is not a prefix inside ${country}: local calls are in the tenant's own country`,
              `localPrefixes.${i}`,
            );
        }
        const after = await tx.tenants.update(before.id, {
          ...rest,
          ...(codecs ? { codecs: JSON.stringify(codecs) } : {}),
          ...(codes ? { featureCodes: JSON.stringify(codes) } : {}),
          ...(b.sipDomain ? { sipDomain: b.sipDomain.toLowerCase() } : {}),
          ...(limits?.maxExtensions !== undefined ? { maxExtensions: limits.maxExtensions } : {}),
          ...(limits?.maxConcurrentCalls !== undefined
            ? { maxConcurrentCalls: limits.maxConcurrentCalls }
            : {}),
          ...(limits?.maxExternalCalls !== undefined ? { maxExternalCalls: limits.maxExternalCalls } : {}),
          ...(limits?.maxCallClass !== undefined ? { maxCallClass: limits.maxCallClass } : {}),
          ...(limits?.dailyExternalMinutes !== undefined
            ? { dailyExternalMinutes: limits.dailyExternalMinutes }
            : {}),
          ...(limits?.dailySpendCap !== undefined ? { dailySpendCap: limits.dailySpendCap } : {}),
          ...(limits?.spendAlertPercent !== undefined ? { spendAlertPercent: limits.spendAlertPercent } : {}),
          ...(limits?.clearCallsAtCap !== undefined ? { clearCallsAtCap: limits.clearCallsAtCap } : {}),
          ...(limits?.sipRequestsPerSecond !== undefined
            ? { sipRequestsPerSecond: limits.sipRequestsPerSecond }
            : {}),
          ...(localPrefixes ? { localPrefixes: JSON.stringify(localPrefixes) } : {}),
          ...(defaultCallerId !== undefined ? { defaultCallerId } : {}),
        });
        if (!after) throw notFound('Tenant');
        await tx.tenant(before.id).audit.record(actorOf(req), {
          action: 'tenant.update',
          resourceType: 'tenant',
          resourceId: before.id,
          before: auditSnapshot(tenantView(before)),
          after: auditSnapshot(tenantView(after)),
        });
        return tenantView(after);
      });
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId',
    {
      config: { permission: 'tenants.delete' },
      schema: {
        tags: ['tenants'],
        summary: 'Delete a tenant and everything it owns (its audit trail stays)',
        params: TenantParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const before = await tx.tenants.get(req.params.tenantId);
        if (!before || !(await tx.tenants.delete(before.id))) throw notFound('Tenant');
        await tx.platform.audit.record(actorOf(req), {
          action: 'tenant.delete',
          resourceType: 'tenant',
          resourceId: before.id,
          before: auditSnapshot(tenantView(before)),
        });
      });
      reply.code(204);
      return null;
    },
  );
}
