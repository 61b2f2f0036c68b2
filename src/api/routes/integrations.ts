/**
 * A tenant's integrations (issue 10, items 8 and 9): ticket systems fed by missed
 * calls and voicemail, and CRMs (our lookup/call-log contract, Bitrix24,
 * amoCRM). Secrets are written here sealed and never read back: the view says
 * which secret headers exist and whether a token is set. Sending, lookups and
 * contact sync are the hub's (src/api/integrations/hub.ts).
 */
import Type, { type Static } from 'typebox';
import {
  HTTP_METHODS,
  INTEGRATION_KINDS,
  type Integration,
  type IntegrationConfig,
  type IntegrationDelivery,
  type IntegrationSecrets,
} from '../../store/integration-tables.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { crmContractDocument } from '../integrations/crm-contract.js';
import { TICKET_EXAMPLES } from '../integrations/examples.js';
import { openSecrets, sealKey, sealSecrets } from '../integrations/hub.js';
import {
  escapingFor,
  PLACEHOLDERS,
  renderTemplate,
  sampleContext,
  unknownPlaceholders,
} from '../integrations/template.js';
import { listQuery, pageOf, TenantIdParams, TenantParams, Timestamp, toListQuery, Uuid } from '../schemas.js';
import { urlProblem } from '../webhook-outbox.js';

const tags = ['integrations'];
/** A string enum that infers as the union of its values (TypeBox cannot infer a mapped array). */
const lit = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

const HeaderMap = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9-]{1,100}$' }),
  Type.String({ maxLength: 4000 }),
  {
    maxProperties: 30,
  },
);
const Url = Type.String({ maxLength: 2000 });

const ConfigSchema = Type.Object(
  {
    onMissedCall: Type.Optional(Type.Boolean({ description: 'ticket: open a ticket for a missed call' })),
    onVoicemail: Type.Optional(Type.Boolean({ description: 'ticket: open a ticket for a new voicemail' })),
    method: Type.Optional(lit(HTTP_METHODS)),
    url: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'ticket: request URL; crmWebhook: lookup URL; amocrm: account address (https://x.amocrm.ru)',
      }),
    ),
    contentType: Type.Optional(Type.String({ maxLength: 200 })),
    bodyTemplate: Type.Optional(Type.String({ maxLength: 20_000, description: 'With {{placeholders}}' })),
    headers: Type.Optional(HeaderMap),
    minSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
    lookup: Type.Optional(Type.Boolean({ description: "CRMs: look callers' names up" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 5000 })),
    cacheTtlSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    negativeTtlSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    logCalls: Type.Optional(Type.Boolean({ description: 'CRMs: log each outside call when it ends' })),
    callLogUrl: Type.Optional(Url),
    userMap: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 254 }), Type.String({ pattern: '^[0-9]{2,10}$' }), {
        maxProperties: 1000,
        description: 'CRM user (id, or email) -> extension number',
      }),
    ),
    defaultUserId: Type.Optional(Type.String({ maxLength: 50 })),
    createLeads: Type.Optional(Type.Boolean()),
    syncContactsHours: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 168,
        description:
          "bitrix24, amocrm: copy the CRM's contacts into the phonebook every this many hours (0: only when asked)",
      }),
    ),
  },
  { additionalProperties: false },
);

const SecretsInput = Type.Object(
  {
    headers: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9-]{1,100}$' }),
        Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
        { maxProperties: 30, description: 'Secret headers to set (a string) or remove (null); others stay' },
      ),
    ),
    token: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    webhookUrl: Type.Optional(Type.Union([Url, Type.Null()])),
  },
  { additionalProperties: false },
);

const IntegrationSchema = Type.Object({
  id: Uuid,
  kind: lit(INTEGRATION_KINDS),
  name: Type.String(),
  enabled: Type.Boolean(),
  config: ConfigSchema,
  secretHeaders: Type.Array(Type.String(), {
    description: 'Names of the secret headers set (values are never shown)',
  }),
  hasToken: Type.Boolean(),
  webhookHost: Type.Union([Type.String(), Type.Null()], {
    description: "bitrix24: the incoming webhook's host (the URL carries its key and is not shown)",
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const DeliveryStatus = lit(['pending', 'delivered', 'failed'] as const);
const DeliverySchema = Type.Object({
  id: Uuid,
  eventType: Type.String({ description: 'missedCall, voicemail, callLog or test' }),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastRequest: Type.Unknown({ description: 'The last request sent: method, URL, body (never headers)' }),
  lastResponse: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  deliveredAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  payload: Type.Unknown(),
});

const LookupAnswerSchema = Type.Object({
  found: Type.Boolean(),
  name: Type.String(),
  company: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'As the CRM gave it' }),
  ownerExtension: Type.Union([Type.String(), Type.Null()], { description: 'The extension it maps to' }),
  contactUrl: Type.Union([Type.String(), Type.Null()]),
  ms: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
});

function view(i: Integration, secrets: IntegrationSecrets) {
  let webhookHost: string | null = null;
  try {
    webhookHost = secrets.webhookUrl ? new URL(secrets.webhookUrl).host : null;
  } catch {
    webhookHost = null;
  }
  return {
    id: i.id,
    kind: i.kind,
    name: i.name,
    enabled: i.enabled,
    config: i.config,
    secretHeaders: Object.keys(secrets.headers ?? {}),
    hasToken: !!secrets.token,
    webhookHost,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

function deliveryView(d: IntegrationDelivery) {
  return {
    id: d.id,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    lastRequest: d.lastRequest,
    lastResponse: d.lastResponse,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    payload: d.payload,
  };
}

/** The secrets after a change: headers merged (null removes), token and URL replaced when given. */
function mergeSecrets(
  old: IntegrationSecrets,
  input: Static<typeof SecretsInput> | undefined,
): IntegrationSecrets {
  if (!input) return old;
  const headers = { ...(old.headers ?? {}) };
  for (const [k, v] of Object.entries(input.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  const out: IntegrationSecrets = { headers };
  const token = input.token === undefined ? old.token : input.token;
  const webhookUrl = input.webhookUrl === undefined ? old.webhookUrl : input.webhookUrl;
  if (token) out.token = token;
  if (webhookUrl) out.webhookUrl = webhookUrl;
  return out;
}

export async function integrationRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const allowPrivate = deps.integrations?.allowPrivate ?? deps.webhooks?.allowPrivate ?? false;
  const portal = `https://${deps.config.publicAddress}`;
  const base = '/api/v1/tenants/:tenantId/integrations';
  const changed = () => deps.integrations?.reload();

  // The contract a CRM of one's own implements, as OpenAPI 3.1 webhooks: public, like the API docs.
  const contract = crmContractDocument();
  app.get(
    '/api/v1/integrations/crm-contract',
    {
      config: { public: true },
      schema: {
        tags: ['integrations'],
        summary:
          'The CRM webhook contract (caller lookup, call log) as an OpenAPI 3.1 document of webhooks; no sign-in',
      },
    },
    async () => contract,
  );

  const checkUrl = async (url: string | undefined, field: string, required: boolean) => {
    if (!url) {
      if (required) throw new ApiError('VALIDATION_FAILED', 'A URL is required', field);
      return;
    }
    const problem = await urlProblem(url, allowPrivate);
    if (problem) throw new ApiError('VALIDATION_FAILED', problem, field);
  };

  /** Refuses a configuration its kind cannot work with, naming the field. */
  const check = async (kind: Integration['kind'], c: IntegrationConfig, s: IntegrationSecrets) => {
    if (c.syncContactsHours && kind !== 'bitrix24' && kind !== 'amocrm')
      throw new ApiError(
        'VALIDATION_FAILED',
        'Only Bitrix24 and amoCRM have contacts to copy into the phonebook',
        'config.syncContactsHours',
      );
    for (const [k, v] of Object.entries({ ...(c.headers ?? {}), ...(s.headers ?? {}) }))
      if (/[\r\n]/.test(v))
        throw new ApiError('VALIDATION_FAILED', `Header ${k} has a line break`, 'headers');
    if (kind === 'ticket') {
      await checkUrl(c.url, 'config.url', true);
      const template = c.bodyTemplate ?? '';
      const unknown = unknownPlaceholders(template);
      if (unknown.length)
        throw new ApiError(
          'VALIDATION_FAILED',
          `Unknown placeholders: ${unknown.join(', ')}`,
          'config.bodyTemplate',
        );
      const how = escapingFor(c.contentType || 'application/json');
      if (how === 'json' && (c.method ?? 'POST') !== 'GET') {
        try {
          JSON.parse(renderTemplate(template, sampleContext(portal, { name: 'x', domain: 'x' }), how));
        } catch {
          throw new ApiError(
            'VALIDATION_FAILED',
            'The body is not JSON once filled in',
            'config.bodyTemplate',
          );
        }
      }
    } else if (kind === 'crmWebhook') {
      await checkUrl(c.url, 'config.url', !!c.lookup);
      await checkUrl(c.callLogUrl, 'config.callLogUrl', !!c.logCalls);
    } else if (kind === 'bitrix24') {
      await checkUrl(s.webhookUrl, 'secrets.webhookUrl', true);
    } else if (kind === 'amocrm') {
      await checkUrl(c.url, 'config.url', true);
      if (!s.token)
        throw new ApiError('VALIDATION_FAILED', 'The long-lived token is required', 'secrets.token');
    }
  };

  const load = async (tenantId: string, id: string) => {
    const i = await store.tenant(tenantId).integrations.get(id);
    if (!i) throw notFound('Integration');
    return i;
  };

  app.get(
    `${base}/templates`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: 'Placeholders of ticket templates, and ready-made templates for common ticket systems',
        params: TenantParams,
        response: {
          200: Type.Object({
            placeholders: Type.Record(Type.String(), Type.String()),
            examples: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                method: lit(HTTP_METHODS),
                url: Type.String(),
                contentType: Type.String(),
                headers: Type.Record(Type.String(), Type.String()),
                secretHeaders: Type.Record(Type.String(), Type.String()),
                bodyTemplate: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ placeholders: PLACEHOLDERS, examples: TICKET_EXAMPLES }),
  );

  app.get(
    base,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: "The tenant's ticket systems and CRMs",
        params: TenantParams,
        response: { 200: Type.Object({ items: Type.Array(IntegrationSchema) }) },
      },
    },
    async (req) => {
      const key = await sealKey(store);
      const items = await store.tenant(req.params.tenantId).integrations.list();
      return { items: items.map((i) => view(i, openSecrets(key, i.secrets))) };
    },
  );

  app.post(
    base,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: 'Add a ticket system or CRM',
        params: TenantParams,
        body: Type.Object(
          {
            kind: lit(INTEGRATION_KINDS),
            name: Type.String({ minLength: 1, maxLength: 100 }),
            enabled: Type.Optional(Type.Boolean()),
            config: ConfigSchema,
            secrets: Type.Optional(SecretsInput),
          },
          { additionalProperties: false },
        ),
        response: { 201: IntegrationSchema },
      },
    },
    async (req, reply) => {
      const key = await sealKey(store);
      const secrets = mergeSecrets({}, req.body.secrets);
      await check(req.body.kind, req.body.config, secrets);
      const created = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const i = await t.integrations.create({
          kind: req.body.kind,
          name: req.body.name,
          enabled: req.body.enabled ?? true,
          config: req.body.config,
          secrets: sealSecrets(key, secrets),
        });
        await t.audit.record(actorOf(req), {
          action: 'integration.create',
          resourceType: 'integration',
          resourceId: i.id,
          after: { kind: i.kind, name: i.name, enabled: i.enabled, config: i.config },
        });
        return i;
      });
      await changed();
      reply.code(201);
      return view(created, secrets);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: 'Change an integration (the config is replaced; secrets are merged)',
        params: TenantIdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            enabled: Type.Optional(Type.Boolean()),
            config: Type.Optional(ConfigSchema),
            secrets: Type.Optional(SecretsInput),
          },
          { additionalProperties: false },
        ),
        response: { 200: IntegrationSchema },
      },
    },
    async (req) => {
      const key = await sealKey(store);
      const before = await load(req.params.tenantId, req.params.id);
      const secrets = mergeSecrets(openSecrets(key, before.secrets), req.body.secrets);
      const config = req.body.config ?? before.config;
      await check(before.kind, config, secrets);
      const after = await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const updated = await t.integrations.update(before.id, {
          ...(req.body.name !== undefined ? { name: req.body.name } : {}),
          ...(req.body.enabled !== undefined ? { enabled: req.body.enabled } : {}),
          config,
          secrets: sealSecrets(key, secrets),
        });
        if (!updated) throw notFound('Integration');
        await t.audit.record(actorOf(req), {
          action: 'integration.update',
          resourceType: 'integration',
          resourceId: before.id,
          before: { name: before.name, enabled: before.enabled, config: before.config },
          after: {
            name: updated.name,
            enabled: updated.enabled,
            config: updated.config,
            ...(req.body.secrets ? { secretsChanged: true } : {}),
          },
        });
        return updated;
      });
      await changed();
      return view(after, secrets);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: 'Remove an integration and its delivery log',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const t = tx.tenant(req.params.tenantId);
        const before = await t.integrations.get(req.params.id);
        if (!before || !(await t.integrations.delete(before.id))) throw notFound('Integration');
        await t.audit.record(actorOf(req), {
          action: 'integration.delete',
          resourceType: 'integration',
          resourceId: before.id,
          before: { kind: before.kind, name: before.name },
        });
      });
      await changed();
      reply.code(204);
      return null;
    },
  );

  app.post(
    `${base}/:id/test`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary:
          'Send a sample now: a ticket from sample values, or a sample call log to a CRM (see the log)',
        params: TenantIdParams,
        response: { 202: Type.Null() },
      },
    },
    async (req, reply) => {
      const i = await load(req.params.tenantId, req.params.id);
      // Our contract's sample is a call log: without its URL there is nothing to send (Test lookup asks).
      if (i.kind === 'crmWebhook' && !i.config.callLogUrl)
        throw new ApiError('VALIDATION_FAILED', 'Set the call log URL first', 'config.callLogUrl');
      if (!deps.integrations) throw new ApiError('INTEGRATIONS_UNAVAILABLE');
      await deps.integrations.test(i.tenantId, i.id);
      reply.code(202);
      return null;
    },
  );

  app.post(
    `${base}/:id/lookup`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: 'Ask the CRM about a number now (no cache) and show its answer',
        params: TenantIdParams,
        body: Type.Object(
          { number: Type.String({ minLength: 1, maxLength: 40, pattern: '^\\+?[0-9]+$' }) },
          { additionalProperties: false },
        ),
        response: { 200: LookupAnswerSchema },
      },
    },
    async (req) => {
      const i = await load(req.params.tenantId, req.params.id);
      if (i.kind === 'ticket')
        throw new ApiError('VALIDATION_FAILED', 'A ticket system does not look numbers up', 'kind');
      const hub = deps.integrations;
      if (!hub) throw new ApiError('INTEGRATIONS_UNAVAILABLE');
      const r = await hub.resolve(i);
      const started = Date.now();
      try {
        const a = await hub.ask(r, req.body.number);
        return {
          found: a !== null,
          name: a?.name ?? '',
          company: a?.company ?? '',
          owner: a?.owner ?? null,
          ownerExtension: a ? await hub.ownerExtension(r, a.owner) : null,
          contactUrl: a?.contactUrl ?? null,
          ms: Date.now() - started,
          error: null,
        };
      } catch (e) {
        return {
          found: false,
          name: '',
          company: '',
          owner: null,
          ownerExtension: null,
          contactUrl: null,
          ms: Date.now() - started,
          error: e instanceof Error ? e.message : String(e),
        };
      }
    },
  );

  app.post(
    `${base}/:id/sync`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: "Copy the CRM's contacts into the phonebook (Bitrix24, amoCRM)",
        params: TenantIdParams,
        response: {
          200: Type.Object({ created: Type.Integer(), updated: Type.Integer(), removed: Type.Integer() }),
        },
      },
    },
    async (req) => {
      const i = await load(req.params.tenantId, req.params.id);
      if (i.kind !== 'bitrix24' && i.kind !== 'amocrm')
        throw new ApiError('VALIDATION_FAILED', 'Only Bitrix24 and amoCRM contacts are synchronised', 'kind');
      const hub = deps.integrations;
      if (!hub) throw new ApiError('INTEGRATIONS_UNAVAILABLE');
      try {
        return await hub.syncContacts(await hub.resolve(i));
      } catch (e) {
        throw new ApiError('INTEGRATION_FAILED', e instanceof Error ? e.message : String(e));
      }
    },
  );

  app.get(
    `${base}/:id/deliveries`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: "The integration's deliveries (tickets, call logs, tests), newest first",
        params: TenantIdParams,
        querystring: listQuery(['createdAt'], { status: Type.Optional(DeliveryStatus) }),
        response: { 200: pageOf(DeliverySchema) },
      },
    },
    async (req) => {
      const t = store.tenant(req.params.tenantId);
      await load(req.params.tenantId, req.params.id);
      const page = await t.integrations.deliveries(req.params.id, {
        ...toListQuery(req.query),
        status: req.query.status,
      });
      return { ...page, items: page.items.map(deliveryView) };
    },
  );

  app.post(
    `${base}/:id/deliveries/:deliveryId/replay`,
    {
      config: { permission: 'integrations.manage' },
      schema: {
        tags,
        summary: 'Send a delivery again (a new delivery with the same content)',
        params: Type.Object({ tenantId: Uuid, id: Uuid, deliveryId: Uuid }),
        response: { 202: Type.Null() },
      },
    },
    async (req, reply) => {
      const d = await store.tenant(req.params.tenantId).integrations.delivery(req.params.deliveryId);
      if (!d || d.integrationId !== req.params.id) throw notFound('Delivery');
      await store.integrationOutbox.replay(d);
      deps.integrations?.kick();
      reply.code(202);
      return null;
    },
  );
}
