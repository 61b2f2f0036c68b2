/**
 * A tenant's webhooks: endpoints with the events they want and a signing secret
 * (shown to administrators, rotated on demand), a test delivery, and the log of
 * deliveries with their tries, from which any one can be sent again. Sending is
 * the outbox's (src/api/webhook-outbox.ts); changes reach it before the answer.
 */
import Type from 'typebox';
import { newWebhookSecret } from '../../store/repositories/webhooks.js';
import type { Webhook, WebhookDelivery } from '../../store/schema.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { listQuery, pageOf, TenantIdParams, TenantParams, Timestamp, toListQuery, Uuid } from '../schemas.js';
import { urlProblem, WEBHOOK_EVENTS } from '../webhook-outbox.js';

const tags = ['webhooks'];

const Events = Type.Array(Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e))), {
  minItems: 1,
  maxItems: WEBHOOK_EVENTS.length,
  uniqueItems: true,
  description: 'The event types sent to it',
});
const Url = Type.String({ maxLength: 2000, description: 'Where events are POSTed (http or https)' });

const WebhookSchema = Type.Object({
  id: Uuid,
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  enabled: Type.Boolean(),
  secret: Type.String({
    description:
      'Signs each delivery: X-Nimbus-Signature = v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))',
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const DeliverySchema = Type.Object({
  id: Uuid,
  eventType: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last try' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()], {
    description: 'When it is tried again (pending only)',
  }),
  deliveredAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  payload: Type.Unknown({ description: 'The body sent' }),
});

function webhookView(w: Webhook) {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    enabled: w.enabled,
    secret: w.secret,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    payload: d.payload,
  };
}

/** The audit entry's view: never the secret. */
function audited(w: Webhook) {
  const { secret: _secret, ...rest } = webhookView(w);
  return rest;
}

export async function webhookRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const allowPrivate = deps.webhooks?.allowPrivate ?? false;
  const checkUrl = async (url: string) => {
    const problem = await urlProblem(url, allowPrivate);
    if (problem) throw new ApiError('VALIDATION_FAILED', problem, 'url');
  };
  const changed = () => deps.webhooks?.reload();
  const base = '/api/v1/tenants/:tenantId/webhooks';

  app.get(
    base,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: "The tenant's webhooks",
        params: TenantParams,
        response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }) },
      },
    },
    async (req) => ({ items: (await store.tenant(req.params.tenantId).webhooks.list()).map(webhookView) }),
  );

  app.post(
    base,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: 'Add a webhook: its secret is made here and shown with it',
        params: TenantParams,
        body: Type.Object(
          {
            url: Url,
            events: Events,
            description: Type.Optional(Type.String({ maxLength: 200 })),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: WebhookSchema },
      },
    },
    async (req, reply) => {
      await checkUrl(req.body.url);
      const w = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const created = await t.webhooks.create({
          url: req.body.url,
          events: req.body.events,
          description: req.body.description ?? '',
          enabled: req.body.enabled ?? true,
        });
        await t.audit.record(actorOf(req), {
          action: 'webhook.create',
          resourceType: 'webhook',
          resourceId: created.id,
          after: audited(created),
        });
        return created;
      });
      await changed();
      reply.code(201);
      return webhookView(w);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: 'Change a webhook (URL, events, description, on/off)',
        params: TenantIdParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Events),
            description: Type.Optional(Type.String({ maxLength: 200 })),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: WebhookSchema },
      },
    },
    async (req) => {
      if (req.body.url !== undefined) await checkUrl(req.body.url);
      const w = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const before = await t.webhooks.get(req.params.id);
        if (!before) throw notFound('Webhook');
        const after = await t.webhooks.update(before.id, req.body);
        if (!after) throw notFound('Webhook');
        await t.audit.record(actorOf(req), {
          action: 'webhook.update',
          resourceType: 'webhook',
          resourceId: before.id,
          before: audited(before),
          after: audited(after),
        });
        return after;
      });
      await changed();
      return webhookView(w);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: 'Remove a webhook and its delivery log',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const before = await t.webhooks.get(req.params.id);
        if (!before || !(await t.webhooks.delete(before.id))) throw notFound('Webhook');
        await t.audit.record(actorOf(req), {
          action: 'webhook.delete',
          resourceType: 'webhook',
          resourceId: before.id,
          before: audited(before),
        });
      });
      await changed();
      reply.code(204);
      return null;
    },
  );

  app.post(
    `${base}/:id/rotate-secret`,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: 'Give the webhook a new secret (deliveries from now on are signed with it)',
        params: TenantIdParams,
        response: { 200: WebhookSchema },
      },
    },
    async (req) => {
      const w = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const after = await t.webhooks.update(req.params.id, { secret: newWebhookSecret() });
        if (!after) throw notFound('Webhook');
        await t.audit.record(actorOf(req), {
          action: 'webhook.rotateSecret',
          resourceType: 'webhook',
          resourceId: after.id,
        });
        return after;
      });
      return webhookView(w);
    },
  );

  app.post(
    `${base}/:id/test`,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: 'Send a "ping" event to the webhook now (see its log for the outcome)',
        params: TenantIdParams,
        response: { 202: Type.Null() },
      },
    },
    async (req, reply) => {
      const w = await store.tenant(req.params.tenantId).webhooks.get(req.params.id);
      if (!w) throw notFound('Webhook');
      if (!deps.webhooks) throw new ApiError('WEBHOOKS_UNAVAILABLE');
      await deps.webhooks.ping(w.tenantId, w.id);
      reply.code(202);
      return null;
    },
  );

  app.get(
    `${base}/:id/deliveries`,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: "The webhook's deliveries, newest first: what was sent, how each try went",
        params: TenantIdParams,
        querystring: listQuery(['createdAt'], {
          status: Type.Optional(
            Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
          ),
        }),
        response: { 200: pageOf(DeliverySchema) },
      },
    },
    async (req) => {
      const t = store.tenant(req.params.tenantId);
      if (!(await t.webhooks.get(req.params.id))) throw notFound('Webhook');
      const page = await t.webhooks.deliveries(req.params.id, {
        ...toListQuery(req.query),
        status: req.query.status,
      });
      return { ...page, items: page.items.map(deliveryView) };
    },
  );

  app.post(
    `${base}/:id/deliveries/:deliveryId/replay`,
    {
      config: { permission: 'webhooks.manage' },
      schema: {
        tags,
        summary: 'Send a delivery again (a new delivery with the same event id and body)',
        params: Type.Object({ tenantId: Uuid, id: Uuid, deliveryId: Uuid }),
        response: { 202: Type.Null() },
      },
    },
    async (req, reply) => {
      const t = store.tenant(req.params.tenantId);
      const d = await t.webhooks.delivery(req.params.deliveryId);
      if (!d || d.webhookId !== req.params.id) throw notFound('Delivery');
      await store.webhookOutbox.replay(d);
      deps.webhooks?.kick();
      reply.code(202);
      return null;
    },
  );
}
