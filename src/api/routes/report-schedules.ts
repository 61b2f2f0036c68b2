/**
 * /api/v1/tenants/{tenantId}/report-schedules: reports emailed on a schedule
 * (daily, weekly, monthly at a time in the tenant's zone) as an Excel workbook or a PDF;
 * the sending is src/api/report-mailer.ts. Managers (reports.read) keep them.
 */
import Type from 'typebox';
import {
  REPORT_FORMATS,
  REPORT_FREQUENCIES,
  type ReportSchedule,
  SCHEDULED_REPORTS,
} from '../../store/report-tables.js';
import { MAX_SCHEDULES } from '../../store/repositories/report-schedules.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { nextRunAt, type ScheduleTiming } from '../report-schedule.js';
import { TenantIdParams, TenantParams, Timestamp, Uuid } from '../schemas.js';

/** A union of words whose static type is the words themselves. */
const literals = <T extends readonly string[]>(values: T, description: string) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      { description },
    ),
  );

const Email = Type.String({ maxLength: 254, pattern: '^[^\\s@,;<>]+@[^\\s@,;<>]+\\.[^\\s@,;<>]+$' });
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  report: literals(SCHEDULED_REPORTS, 'Which report: calls, queues or trunks'),
  frequency: literals(
    REPORT_FREQUENCIES,
    'daily (the day before), weekly (the 7 days before), monthly (the month before)',
  ),
  timeOfDay: Type.String({
    pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
    description: "HH:MM in the tenant's zone",
  }),
  weekday: Type.Union([Type.Integer({ minimum: 1, maximum: 7 }), Type.Null()], {
    description: 'Weekly: ISO weekday (1 = Monday)',
  }),
  dayOfMonth: Type.Union([Type.Integer({ minimum: 1, maximum: 28 }), Type.Null()], {
    description: 'Monthly: day of the month (1–28)',
  }),
  recipients: Type.Array(Email, { minItems: 1, maxItems: 20, uniqueItems: true }),
  format: literals(REPORT_FORMATS, 'xlsx (an Excel workbook) or pdf (tables and charts to read)'),
  enabled: Type.Boolean(),
};

const ScheduleSchema = Type.Object({
  id: Uuid,
  ...Fields,
  nextRunAt: Timestamp,
  lastRunAt: Type.Union([Timestamp, Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last run was not sent' }),
});

function view(s: ReportSchedule) {
  return {
    id: s.id,
    name: s.name,
    report: s.report,
    frequency: s.frequency,
    timeOfDay: s.timeOfDay,
    weekday: s.weekday,
    dayOfMonth: s.dayOfMonth,
    recipients: s.recipients,
    format: s.format,
    enabled: s.enabled,
    nextRunAt: s.nextRunAt.toISOString(),
    lastRunAt: s.lastRunAt?.toISOString() ?? null,
    lastError: s.lastError,
  };
}

/** The day a weekly or monthly schedule needs is given (the other is cleared). */
function timing(t: ScheduleTiming): ScheduleTiming {
  if (t.frequency === 'weekly' && t.weekday == null)
    throw new ApiError('VALIDATION_FAILED', 'A weekly report needs its weekday', 'weekday');
  if (t.frequency === 'monthly' && t.dayOfMonth == null)
    throw new ApiError('VALIDATION_FAILED', 'A monthly report needs its day of the month', 'dayOfMonth');
  return {
    frequency: t.frequency,
    timeOfDay: t.timeOfDay,
    weekday: t.frequency === 'weekly' ? t.weekday : null,
    dayOfMonth: t.frequency === 'monthly' ? t.dayOfMonth : null,
  };
}

export async function reportScheduleRoutes(app: Api, { store }: ApiDeps): Promise<void> {
  const base = '/api/v1/tenants/:tenantId/report-schedules';
  const tags = ['reports'];
  const zoneOf = async (tenantId: string) => {
    const tenant = await store.tenants.get(tenantId);
    if (!tenant) throw notFound('Tenant');
    return tenant.timeZone;
  };

  app.get(
    base,
    {
      config: { permission: 'reports.read' },
      schema: {
        tags,
        summary: "The tenant's scheduled email reports",
        params: TenantParams,
        response: { 200: Type.Object({ items: Type.Array(ScheduleSchema) }) },
      },
    },
    async (req) => ({ items: (await store.tenant(req.params.tenantId).reportSchedules.list()).map(view) }),
  );

  app.post(
    base,
    {
      config: { permission: 'reports.read' },
      schema: {
        tags,
        summary: 'Schedule a report to be emailed',
        params: TenantParams,
        body: Type.Object(
          {
            ...Fields,
            weekday: Type.Optional(Fields.weekday),
            dayOfMonth: Type.Optional(Fields.dayOfMonth),
            format: Type.Optional(Fields.format),
            enabled: Type.Optional(Fields.enabled),
          },
          { additionalProperties: false },
        ),
        response: { 201: ScheduleSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const t = timing({
        frequency: b.frequency,
        timeOfDay: b.timeOfDay,
        weekday: b.weekday ?? null,
        dayOfMonth: b.dayOfMonth ?? null,
      });
      const zone = await zoneOf(req.params.tenantId);
      const created = await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        if ((await scope.reportSchedules.count()) >= MAX_SCHEDULES)
          throw new ApiError('LIMIT_REACHED', `At most ${MAX_SCHEDULES} scheduled reports`);
        const s = await scope.reportSchedules.create({
          name: b.name,
          report: b.report,
          ...t,
          recipients: b.recipients,
          format: b.format ?? 'xlsx',
          enabled: b.enabled ?? true,
          nextRunAt: nextRunAt(t, zone, new Date()),
        });
        await scope.audit.record(actorOf(req), {
          action: 'report-schedule.create',
          resourceType: 'report-schedule',
          resourceId: s.id,
          after: view(s),
        });
        return s;
      });
      reply.code(201);
      return view(created);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: { permission: 'reports.read' },
      schema: {
        tags,
        summary: 'Change a scheduled report',
        params: TenantIdParams,
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false }),
        response: { 200: ScheduleSchema },
      },
    },
    async (req) => {
      const zone = await zoneOf(req.params.tenantId);
      const updated = await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.reportSchedules.get(req.params.id);
        if (!before) throw notFound('Report schedule');
        const b = req.body;
        const t = timing({
          frequency: b.frequency ?? before.frequency,
          timeOfDay: b.timeOfDay ?? before.timeOfDay,
          weekday: b.weekday !== undefined ? b.weekday : before.weekday,
          dayOfMonth: b.dayOfMonth !== undefined ? b.dayOfMonth : before.dayOfMonth,
        });
        const after = await scope.reportSchedules.update(before.id, {
          ...b,
          ...t,
          // From now: an unchanged timing gives the same next run, a changed one takes effect at once.
          nextRunAt: nextRunAt(t, zone, new Date()),
        });
        if (!after) throw notFound('Report schedule');
        await scope.audit.record(actorOf(req), {
          action: 'report-schedule.update',
          resourceType: 'report-schedule',
          resourceId: before.id,
          before: view(before),
          after: view(after),
        });
        return after;
      });
      return view(updated);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: { permission: 'reports.read' },
      schema: {
        tags,
        summary: 'Delete a scheduled report',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.reportSchedules.get(req.params.id);
        if (!before) throw notFound('Report schedule');
        await scope.reportSchedules.delete(before.id);
        await scope.audit.record(actorOf(req), {
          action: 'report-schedule.delete',
          resourceType: 'report-schedule',
          resourceId: before.id,
          before: view(before),
        });
      });
      reply.code(204);
      return reply.send(null);
    },
  );
}
