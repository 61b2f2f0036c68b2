/**
 * The operator's rate deck (price per minute by E.164 prefix; the longest prefix
 * prices a call) and a tenant's external usage today against its caps. Prices
 * and spend are integers in minor units (kopecks, cents) of the operator's
 * currency; calls are billed by the second.
 */
import Type from 'typebox';
import type { Rate } from '../../store/schema.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { IdParams, listQuery, pageOf, TenantParams, Timestamp, toListQuery, Uuid } from '../schemas.js';

const tags = ['trunks'];

const Prefix = Type.String({
  pattern: '^\\+[0-9]{1,15}$',
  description: 'E.164 prefix with the plus: "+7" (Russia), "+7495" (Moscow), "+44"',
});
const Price = Type.Integer({
  minimum: 0,
  maximum: 100_000_000,
  description: "Price per minute in minor units of the operator's currency (kopecks, cents)",
});

const RateSchema = Type.Object({
  id: Uuid,
  prefix: Type.String(),
  pricePerMinute: Type.Integer(),
  description: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

function rateView(r: Rate) {
  return { ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

const UsageSchema = Type.Object({
  answeredMinutes: Type.Number({ description: 'Answered external minutes today, in the tenant’s day' }),
  dailyExternalMinutes: Type.Union([Type.Integer(), Type.Null()]),
  spent: Type.Integer({ description: 'Spend today by the rate deck, minor units' }),
  dailySpendCap: Type.Union([Type.Integer(), Type.Null()]),
  spendAlertPercent: Type.Integer(),
  activeCalls: Type.Integer({ description: 'External calls now' }),
  maxExternalCalls: Type.Integer(),
});

export async function rateRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  app.get(
    '/api/v1/platform/rates',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'The rate deck: price per minute by number prefix',
        querystring: listQuery(['prefix', 'pricePerMinute']),
        response: { 200: pageOf(RateSchema) },
      },
    },
    async (req) => {
      const page = await store.rates.list(toListQuery(req.query));
      return { ...page, items: page.items.map(rateView) };
    },
  );

  app.post(
    '/api/v1/platform/rates',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Price the numbers under a prefix',
        body: Type.Object(
          {
            prefix: Prefix,
            pricePerMinute: Price,
            description: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: RateSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const rate = await store.transaction(async (tx) => {
        if (await tx.rates.byPrefix(b.prefix))
          throw new ApiError('CONFLICT', `${b.prefix} has a price already`, 'prefix');
        const created = await tx.rates.create({
          prefix: b.prefix,
          pricePerMinute: b.pricePerMinute,
          description: b.description ?? '',
        });
        await tx.platform.audit.record(actorOf(req), {
          action: 'rate.create',
          resourceType: 'rate',
          resourceId: created.id,
          after: rateView(created),
        });
        return created;
      });
      reply.code(201);
      return rateView(rate);
    },
  );

  app.patch(
    '/api/v1/platform/rates/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Change a price, or its prefix or description',
        params: IdParams,
        body: Type.Object(
          {
            prefix: Type.Optional(Prefix),
            pricePerMinute: Type.Optional(Price),
            description: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: RateSchema },
      },
    },
    async (req) => {
      const rate = await store.transaction(async (tx) => {
        const before = await tx.rates.get(req.params.id);
        if (!before) throw notFound('Rate');
        const prefix = req.body.prefix;
        if (prefix && prefix !== before.prefix && (await tx.rates.byPrefix(prefix)))
          throw new ApiError('CONFLICT', `${prefix} has a price already`, 'prefix');
        const after = await tx.rates.update(before.id, req.body);
        if (!after) throw notFound('Rate');
        await tx.platform.audit.record(actorOf(req), {
          action: 'rate.update',
          resourceType: 'rate',
          resourceId: before.id,
          before: rateView(before),
          after: rateView(after),
        });
        return after;
      });
      return rateView(rate);
    },
  );

  app.delete(
    '/api/v1/platform/rates/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: { tags, summary: 'Remove a price', params: IdParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const before = await tx.rates.get(req.params.id);
        if (!before || !(await tx.rates.delete(before.id))) throw notFound('Rate');
        await tx.platform.audit.record(actorOf(req), {
          action: 'rate.delete',
          resourceType: 'rate',
          resourceId: before.id,
          before: rateView(before),
        });
      });
      reply.code(204);
      return null;
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/external-usage',
    {
      config: { permission: 'routing.read' },
      schema: {
        tags,
        summary: "The tenant's external minutes and spend today against its caps, and its external calls now",
        params: TenantParams,
        response: { 200: UsageSchema },
      },
    },
    async (req) => {
      const t = await store.tenants.get(req.params.tenantId);
      if (!t) throw notFound('Tenant');
      const u = deps.trunks?.usage?.(t.id) ?? null;
      return {
        answeredMinutes: Math.round(((u?.answeredSeconds ?? 0) / 60) * 10) / 10,
        dailyExternalMinutes: t.dailyExternalMinutes,
        spent: Math.round(u?.spent ?? 0),
        dailySpendCap: t.dailySpendCap,
        spendAlertPercent: t.spendAlertPercent,
        activeCalls: u?.activeCalls ?? 0,
        maxExternalCalls: t.maxExternalCalls,
      };
    },
  );
}
