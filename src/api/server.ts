/**
 * Builds the HTTP server: REST API under /api/v1, OpenAPI at /api/docs,
 * health at /healthz and /readyz, Prometheus metrics at /metrics.
 */
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { LogController, type RouteOptions } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { authHook } from './auth.js';
import type { Api, ApiDeps } from './context.js';
import { ApiError } from './errors.js';
import { lazyCompilers } from './lazy-compilers.js';
import { toApiError } from './problem-mapping.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { audioRoutes } from './routes/audio.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { callControlExtraRoutes, callControlRoutes } from './routes/call-control.js';
import { callRoutes } from './routes/calls.js';
import { contactRoutes } from './routes/contacts.js';
import { extensionRoutes } from './routes/extensions.js';
import { healthRoutes } from './routes/health.js';
import { integrationRoutes } from './routes/integrations.js';
import { liveRoutes } from './routes/live.js';
import { platformRoutes } from './routes/platform.js';
import { provisioningRoutes } from './routes/provisioning.js';
import { queueRoutes } from './routes/queues.js';
import { rateRoutes } from './routes/rates.js';
import { recordingRoutes } from './routes/recordings.js';
import { reportRoutes } from './routes/reports.js';
import { routingRoutes } from './routes/routing.js';
import { securityRoutes } from './routes/security.js';
import { pushRoutes, softphoneRoutes } from './routes/softphone.js';
import { speechRoutes } from './routes/speech.js';
import { tenantRoutes } from './routes/tenants.js';
import { trunkRoutes } from './routes/trunks.js';
import { userRoutes } from './routes/users.js';
import { voicemailRoutes } from './routes/voicemail.js';
import { voicemailActionRoutes } from './routes/voicemail-actions.js';
import { webhookRoutes } from './routes/webhooks.js';
import { isPortalPage, sendPortal, webRoutes } from './web.js';
import { crossSiteWrite, portalCsp, securityHeaders } from './web-security.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

export interface RouteInfo {
  method: string;
  url: string;
  permission: string | null;
  public: boolean;
  /** The route validates a JSON body. */
  hasBody: boolean;
}

export interface ApiServer {
  app: Api;
  /** Every /api/v1 route with its permission: the generic permission and isolation tests walk this. */
  routes: RouteInfo[];
  metrics: Registry;
  /** Compiles every route schema now (they compile on first use otherwise); throws on a broken one. */
  compileSchemas(): void;
}

function makeAjv(coerce: boolean): Ajv {
  // Bodies are validated exactly as sent: no type coercion, no silently dropped unknown fields.
  // Query strings arrive as text, so they are coerced ("20" -> 20, "true" -> true).
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

export async function buildApi(deps: ApiDeps): Promise<ApiServer> {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({
    loggerInstance: deps.logger,
    // Requests are counted in /metrics; logging each one would drown the SIP logs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  }).withTypeProvider<TypeBoxTypeProvider>() as Api;

  const compilers = lazyCompilers(makeAjv(false), makeAjv(true));
  app.setValidatorCompiler(compilers.validatorCompiler);
  app.setSerializerCompiler(compilers.serializerCompiler);

  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/v1/')) return;
    const config = (route.config ?? {}) as { permission?: string; public?: boolean };
    if (!config.public && !config.permission) {
      throw new Error(`Route ${route.method} ${route.url} declares no permission`);
    }
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url: route.url,
        permission: config.permission ?? null,
        public: config.public === true,
        hasBody: route.schema?.body !== undefined,
      });
    }
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const requests = new Counter({
    name: 'nimbus_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
  });
  const duration = new Histogram({
    name: 'nimbus_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });
  // The SIP side's security counters, read as /metrics is scraped.
  const security = deps.security;
  new Counter({
    name: 'nimbus_sip_security_events_total',
    help: 'SIP security events since start by kind (auth-failure, ban, scanner, flood)',
    labelNames: ['kind'],
    registers: [metrics],
    collect() {
      const c = security?.counts?.();
      if (!c) return;
      this.reset();
      for (const [kind, n] of Object.entries(c.events)) this.inc({ kind }, n);
    },
  });
  new Counter({
    name: 'nimbus_sip_dropped_requests_total',
    help: 'SIP requests dropped unanswered since start: known scanners, addresses over the rate limit',
    labelNames: ['reason'],
    registers: [metrics],
    collect() {
      const c = security?.counts?.();
      if (!c) return;
      this.reset();
      this.inc({ reason: 'scanner' }, c.dropped.scanner);
      this.inc({ reason: 'flood' }, c.dropped.flood);
      if (c.dropped.tenant !== undefined) this.inc({ reason: 'tenant-rate' }, c.dropped.tenant);
    },
  });
  new Counter({
    name: 'nimbus_sip_refused_total',
    help: 'SIP work refused since start: requests answered 503 past the tenant rate or a bound (transactions, calls, subscriptions), connections over the per-address cap or closed silent',
    labelNames: ['reason'],
    registers: [metrics],
    collect() {
      const c = security?.counts?.();
      if (!c?.refused) return;
      this.reset();
      for (const [reason, n] of Object.entries(c.refused)) this.inc({ reason }, n);
    },
  });
  // How full each bounded table is: an alert well before `max` says a bound is about to refuse work.
  const tableGauge = (name: string, help: string, figure: 'size' | 'max') =>
    new Gauge({
      name,
      help,
      labelNames: ['table'],
      registers: [metrics],
      collect() {
        const c = security?.counts?.();
        if (!c?.tables) return;
        this.reset();
        for (const [table, t] of Object.entries(c.tables)) this.set({ table }, t[figure]);
      },
    });
  tableGauge(
    'nimbus_sip_table_entries',
    'Entries held in each bounded SIP table (transactions, calls, subscriptions, nonce records, rate-limit and ban tables)',
    'size',
  );
  tableGauge(
    'nimbus_sip_table_capacity',
    'The most entries each bounded SIP table holds (configured bounds)',
    'max',
  );
  // A configuration change reaches the SIP side before the client hears it succeeded:
  // the next call after a 2xx already follows it.
  app.addHook('onSend', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (
      deps.onTenantChange &&
      req.method !== 'GET' &&
      reply.statusCode < 400 &&
      (route.startsWith('/api/v1/tenants') ||
        route.startsWith('/api/v1/platform/trunks') ||
        route.startsWith('/api/v1/platform/numbers') ||
        route.startsWith('/api/v1/platform/rates'))
    ) {
      const tenantId = (req.params as { tenantId?: string }).tenantId;
      await deps.onTenantChange(tenantId ?? null);
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (err, req, reply) => {
    const { error, unexpected } = toApiError(err);
    if (unexpected) req.log.error({ err, url: req.url }, 'request failed');
    if (error.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="nimbus"');
    return reply.status(error.status).type('application/problem+json').send(error.toProblem(req.url));
  });
  let portalBuilt = false;
  app.setNotFoundHandler(async (req, reply) => {
    if (isPortalPage(req)) {
      if (portalBuilt) return sendPortal(reply);
      return reply
        .status(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Nimbus PBX</title><p>The web portal is not built: run <code>npm run build</code>.</p>',
        );
    }
    const error = new ApiError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).type('application/problem+json').send(error.toProblem(req.url));
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Nimbus PBX API',
        version: '1',
        description:
          'Multi-tenant cloud PBX. Authenticate with the session cookie from POST /api/v1/auth/login or with `Authorization: Bearer <API key>`. Errors are application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'nimbus_session' },
          apiKey: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  // Before authentication: a forged request learns nothing, not even whether its cookie was good.
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/v1/') && crossSiteWrite(req.raw))
      throw new ApiError(
        'FORBIDDEN',
        `Refused a request from another site (Origin ${req.headers.origin ?? 'absent'}): the portal's sign-in is accepted from its own pages only; programs sign with an API key`,
      );
  });
  const csp = portalCsp(deps.config.softphoneWsUrl ?? null);
  app.addHook('onSend', async (req, reply) => {
    reply.headers(securityHeaders(req.url, String(reply.getHeader('content-type') ?? ''), csp));
  });
  app.addHook('onRequest', authHook(deps.store, now));

  await healthRoutes(app, deps, metrics);
  await authRoutes(app, deps);
  await tenantRoutes(app, deps);
  await userRoutes(app, deps);
  await extensionRoutes(app, deps);
  await routingRoutes(app, deps);
  await trunkRoutes(app, deps);
  await rateRoutes(app, deps);
  await queueRoutes(app, deps);
  await speechRoutes(app);
  await audioRoutes(app, deps);
  await voicemailRoutes(app, deps);
  await voicemailActionRoutes(app, deps);
  await apiKeyRoutes(app, deps);
  await webhookRoutes(app, deps);
  await integrationRoutes(app, deps);
  await contactRoutes(app, deps);
  await auditRoutes(app, deps);
  await callRoutes(app, deps);
  await callControlRoutes(app, deps);
  await callControlExtraRoutes(app, deps);
  await recordingRoutes(app, deps);
  await reportRoutes(app, deps);
  await provisioningRoutes(app, deps);
  await liveRoutes(app, deps);
  await platformRoutes(app, deps);
  await securityRoutes(app, deps);
  await softphoneRoutes(app, deps);
  await pushRoutes(app, deps);
  portalBuilt = (await webRoutes(app, deps.webRoot)).built;

  await app.ready();
  return { app, routes, metrics, compileSchemas: compilers.compileAll };
}
