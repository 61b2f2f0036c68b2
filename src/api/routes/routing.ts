/**
 * /api/v1/tenants/{tenantId}/{calendars,time-conditions,ring-groups,queues,ivr-menus,inbound-routes}:
 * the routing objects of a tenant, each kind with the same five routes (list, get,
 * create, replace, delete), checked at save by routing-checks.ts. Calendars also
 * answer "open now?", take a manual override and import holidays from iCal.
 */
import Type, { type TSchema } from 'typebox';
import { calendarState, nextChange } from '../../pbx/calendar/engine.js';
import { importIcs } from '../../pbx/calendar/ical.js';
import type { CalendarSpec } from '../../pbx/calendar/types.js';
import type { RoutingKind, RoutingObject } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { checkRoutingObject, loadWorld, type RoutingBody, referrersOf } from '../routing-checks.js';
import {
  CalendarFields,
  InboundRouteFields,
  IvrFields,
  OutboundRouteFields,
  QueueFields,
  RingGroupFields,
  routingSchemas,
  TimeConditionFields,
} from '../routing-schemas.js';
import { listQuery, pageOf, TenantIdParams, TenantParams, Timestamp, toListQuery } from '../schemas.js';

interface KindRoutes {
  kind: RoutingKind;
  /** Who may read them (calendars: everyone, so a user's own status-by-calendar names its calendar). */
  read?: 'routing.read' | 'calendars.read';
  path: string;
  label: string;
  body: TSchema;
  view: TSchema;
}

const KINDS: KindRoutes[] = [
  {
    kind: 'calendar',
    path: 'calendars',
    label: 'Calendar',
    read: 'calendars.read',
    ...routingSchemas(CalendarFields, null),
  },
  {
    kind: 'timeCondition',
    path: 'time-conditions',
    label: 'Time condition',
    ...routingSchemas(TimeConditionFields, null),
  },
  {
    kind: 'ringGroup',
    path: 'ring-groups',
    label: 'Ring group',
    ...routingSchemas(RingGroupFields, 'internal'),
  },
  { kind: 'queue', path: 'queues', label: 'Queue', ...routingSchemas(QueueFields, 'internal') },
  { kind: 'ivr', path: 'ivr-menus', label: 'IVR menu', ...routingSchemas(IvrFields, 'internal') },
  {
    kind: 'outboundRoute',
    path: 'outbound-routes',
    label: 'Outbound route',
    ...routingSchemas(OutboundRouteFields, null),
  },
  {
    kind: 'inboundRoute',
    path: 'inbound-routes',
    label: 'Inbound route',
    ...routingSchemas(InboundRouteFields, 'did'),
  },
];

/** What the checks read; outbound routes also see the platform's trunks and the tenant's numbers. */
async function worldFor(tx: Store, kind: RoutingKind, tenantId: string) {
  const world = await loadWorld(tx.tenant(tenantId), await tenantOf(tx, tenantId));
  if (kind === 'outboundRoute') {
    world.trunks = await tx.trunks.all();
    world.numbers = (await tx.numbers.list({ tenantId, limit: 1000, offset: 0 })).items.map((n) => n.number);
  }
  return world;
}

/** The API shape: the settings flattened next to name and number. */
export function routingView(o: RoutingObject): Record<string, unknown> {
  return {
    id: o.id,
    tenantId: o.tenantId,
    name: o.name,
    number: o.number,
    ...(o.config as Record<string, unknown>),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

async function tenantOf(store: Store, tenantId: string) {
  const tenant = await store.tenants.get(tenantId);
  if (!tenant) throw notFound('Tenant');
  return tenant;
}

export async function routingRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  for (const k of KINDS) {
    const base = `/api/v1/tenants/:tenantId/${k.path}`;
    const tags = ['routing'];

    app.get(
      base,
      {
        config: { permission: k.read ?? 'routing.read' },
        schema: {
          tags,
          summary: `List the tenant's ${k.label.toLowerCase()}s`,
          params: TenantParams,
          querystring: listQuery(['name', 'number', 'createdAt']),
          response: { 200: pageOf(k.view) },
        },
      },
      async (req) => {
        const page = await store.tenant(req.params.tenantId).routing.list(k.kind, toListQuery(req.query));
        return { ...page, items: page.items.map(routingView) };
      },
    );

    app.get(
      `${base}/:id`,
      {
        config: { permission: k.read ?? 'routing.read' },
        schema: {
          tags,
          summary: `Get a ${k.label.toLowerCase()}`,
          params: TenantIdParams,
          response: { 200: k.view },
        },
      },
      async (req) => {
        const o = await store.tenant(req.params.tenantId).routing.get(k.kind, req.params.id);
        if (!o) throw notFound(k.label);
        return routingView(o);
      },
    );

    app.post(
      base,
      {
        config: { permission: 'routing.write' },
        schema: {
          tags,
          summary: `Create a ${k.label.toLowerCase()}`,
          params: TenantParams,
          body: k.body,
          response: { 201: k.view },
        },
      },
      async (req, reply) => {
        const created = await store.transaction(async (tx) => {
          const scope = tx.tenant(req.params.tenantId);
          const world = await worldFor(tx, k.kind, req.params.tenantId);
          const input = checkRoutingObject(world, k.kind, null, req.body as RoutingBody);
          const o = await scope.routing.create(k.kind, input);
          await scope.audit.record(actorOf(req), {
            action: `${k.kind}.create`,
            resourceType: k.kind,
            resourceId: o.id,
            after: routingView(o),
          });
          return o;
        });
        reply.code(201);
        return routingView(created);
      },
    );

    app.put(
      `${base}/:id`,
      {
        config: { permission: 'routing.write' },
        schema: {
          tags,
          summary: `Replace a ${k.label.toLowerCase()}'s settings`,
          params: TenantIdParams,
          body: k.body,
          response: { 200: k.view },
        },
      },
      async (req) => {
        const after = await store.transaction(async (tx) => {
          const scope = tx.tenant(req.params.tenantId);
          const before = await scope.routing.get(k.kind, req.params.id);
          if (!before) throw notFound(k.label);
          const world = await worldFor(tx, k.kind, req.params.tenantId);
          const input = checkRoutingObject(world, k.kind, before.id, req.body as RoutingBody);
          // A group that changes its number must not leave destinations dialling the old one.
          if (before.number !== null && input.number !== before.number) {
            const users = referrersOf(world, { id: '', number: before.number });
            if (users.length)
              throw new ApiError(
                'CONFLICT',
                `${before.number} is still dialled by ${users.join(', ')}`,
                'number',
              );
          }
          const o = await scope.routing.update(k.kind, before.id, input);
          if (!o) throw notFound(k.label);
          await scope.audit.record(actorOf(req), {
            action: `${k.kind}.update`,
            resourceType: k.kind,
            resourceId: o.id,
            before: routingView(before),
            after: routingView(o),
          });
          return o;
        });
        return routingView(after);
      },
    );

    app.delete(
      `${base}/:id`,
      {
        config: { permission: 'routing.write' },
        schema: {
          tags,
          summary: `Delete a ${k.label.toLowerCase()} no other routing uses`,
          params: TenantIdParams,
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await store.transaction(async (tx) => {
          const scope = tx.tenant(req.params.tenantId);
          const before = await scope.routing.get(k.kind, req.params.id);
          if (!before) throw notFound(k.label);
          const world = await loadWorld(scope, await tenantOf(tx, req.params.tenantId));
          const users = referrersOf(world, before);
          if (users.length) throw new ApiError('CONFLICT', `${k.label} is used by ${users.join(', ')}`);
          await scope.routing.delete(k.kind, before.id);
          await scope.audit.record(actorOf(req), {
            action: `${k.kind}.delete`,
            resourceType: k.kind,
            resourceId: before.id,
            before: routingView(before),
          });
        });
        reply.code(204);
        return null;
      },
    );
  }

  const CalendarState = Type.Object({
    open: Type.Boolean(),
    reason: Type.String({
      description: 'Which rule decided: override, holiday, production-*, weekly, outside-hours',
    }),
    label: Type.Optional(Type.String()),
    labelEn: Type.Optional(Type.String()),
    estimated: Type.Optional(Type.Boolean()),
    nextChange: Type.Union([Timestamp, Type.Null()], {
      description: 'When open/closed flips next (14 days ahead)',
    }),
  });
  const calendarPath = '/api/v1/tenants/:tenantId/calendars/:id';

  app.get(
    `${calendarPath}/state`,
    {
      config: { permission: 'calendars.read' },
      schema: {
        tags: ['routing'],
        summary: 'Whether the calendar is open now, why, and when that changes',
        params: TenantIdParams,
        response: { 200: CalendarState },
      },
    },
    async (req) => {
      const o = await store.tenant(req.params.tenantId).routing.get('calendar', req.params.id);
      if (!o) throw notFound('Calendar');
      const spec = o.config as CalendarSpec;
      const now = new Date();
      return { ...calendarState(spec, now), nextChange: nextChange(spec, now)?.toISOString() ?? null };
    },
  );

  app.put(
    `${calendarPath}/override`,
    {
      config: { permission: 'routing.override' },
      schema: {
        tags: ['routing'],
        summary: 'Force the calendar open or closed (state null: follow the schedule again)',
        params: TenantIdParams,
        body: Type.Object(
          {
            state: Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Null()]),
            until: Type.Optional(Type.Union([Timestamp, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: CalendarState },
      },
    },
    async (req) => {
      const b = req.body;
      const now = new Date();
      if (b.until && new Date(b.until) <= now)
        throw new ApiError('VALIDATION_FAILED', 'The override would end before it starts', 'until');
      const spec = await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.routing.get('calendar', req.params.id);
        if (!before) throw notFound('Calendar');
        const next: CalendarSpec = {
          ...(before.config as CalendarSpec),
          override: b.state === null ? null : { state: b.state, until: b.until ?? null },
        };
        const o = await scope.routing.update('calendar', before.id, {
          name: before.name,
          number: null,
          config: next,
        });
        if (!o) throw notFound('Calendar');
        await scope.audit.record(actorOf(req), {
          action: 'calendar.override',
          resourceType: 'calendar',
          resourceId: o.id,
          before: { override: (before.config as CalendarSpec).override },
          after: { override: next.override },
        });
        return next;
      });
      return { ...calendarState(spec, now), nextChange: nextChange(spec, now)?.toISOString() ?? null };
    },
  );

  app.post(
    `${calendarPath}/holidays/import`,
    {
      config: { permission: 'routing.write' },
      bodyLimit: 1024 * 1024 + 4096,
      schema: {
        tags: ['routing'],
        summary: 'Add the all-day events of an iCal (.ics) file to the calendar as holidays',
        params: TenantIdParams,
        body: Type.Object(
          {
            ics: Type.String({ minLength: 1, maxLength: 1024 * 1024, description: 'The .ics file text' }),
            replace: Type.Optional(Type.Boolean({ description: 'Drop the existing holidays first' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            imported: Type.Integer(),
            errors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() })),
            calendar: KINDS[0]!.view,
          }),
        },
      },
    },
    async (req) => {
      return store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.routing.get('calendar', req.params.id);
        if (!before) throw notFound('Calendar');
        const spec = before.config as CalendarSpec;
        const result = importIcs(req.body.ics, spec.timeZone);
        if (result.holidays.length === 0)
          throw new ApiError(
            'VALIDATION_FAILED',
            `No holidays found in the file${result.errors[0] ? `: line ${result.errors[0].line}: ${result.errors[0].message}` : ''}`,
            'ics',
          );
        const next: CalendarSpec = {
          ...spec,
          holidays: [...(req.body.replace ? [] : spec.holidays), ...result.holidays],
        };
        const world = await loadWorld(scope, await tenantOf(tx, req.params.tenantId));
        const input = checkRoutingObject(world, 'calendar', before.id, {
          ...(next as unknown as Record<string, unknown>),
          name: before.name,
        });
        const o = await scope.routing.update('calendar', before.id, input);
        if (!o) throw notFound('Calendar');
        await scope.audit.record(actorOf(req), {
          action: 'calendar.importIcs',
          resourceType: 'calendar',
          resourceId: o.id,
          after: { imported: result.holidays.length, replaced: req.body.replace ?? false },
        });
        return { imported: result.holidays.length, errors: result.errors, calendar: routingView(o) };
      });
    },
  );
}
