/**
 * Reports for managers: how many calls, answered and missed, by day and by the
 * hour of the week (a heatmap), each extension's load, and callers whose missed
 * calls nobody returned — over a period, in the tenant's time zone.
 */
import { IANAZone } from 'luxon';
import Type from 'typebox';
import { trunkReport } from '../../store/repositories/queue-trunk-reports.js';
import type { Api, ApiDeps } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { TenantParams, Timestamp } from '../schemas.js';
import { reportScheduleRoutes } from './report-schedules.js';

const Count = Type.Integer({ minimum: 0 });
const ReportSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  timeZone: Type.String(),
  totals: Type.Object({
    calls: Count,
    answered: Count,
    missed: Type.Integer({ description: 'Inbound or internal calls nobody answered' }),
    inbound: Count,
    outbound: Count,
    internal: Count,
    talkSec: Count,
    avgAnswerSec: Type.Union([Type.Number(), Type.Null()], { description: 'Mean seconds to answer' }),
  }),
  byDay: Type.Array(Type.Object({ date: Type.String(), calls: Count, answered: Count, missed: Count })),
  heatmap: Type.Array(
    Type.Object({
      weekday: Type.Integer({ minimum: 1, maximum: 7, description: 'ISO weekday, 1 = Monday' }),
      hour: Type.Integer({ minimum: 0, maximum: 23 }),
      calls: Count,
      missed: Count,
    }),
  ),
  byExtension: Type.Array(
    Type.Object({ number: Type.String(), calls: Count, answered: Count, missed: Count, talkSec: Count }),
  ),
  missedNotReturned: Type.Array(
    Type.Object({ number: Type.String(), missedCalls: Count, lastMissedAt: Timestamp }),
    { description: 'Outside callers with a missed call and no answered call with them since (at most 200)' },
  ),
});

const MAX_DAYS = 366;

const Ratio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);
const QueueReportSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  timeZone: Type.String(),
  queues: Type.Array(
    Type.Object({
      queueId: Type.String(),
      name: Type.String({ description: "The queue's name ('' when it has since been deleted)" }),
      offered: Count,
      answered: Count,
      abandoned: Count,
      lostToNodeFailure: Type.Integer({
        minimum: 0,
        description:
          'Of the abandoned: callers whose PBX node died while they waited and who could not be called back',
      }),
      handled: Type.Integer({ minimum: 0, description: 'Answered calls that have ended' }),
      serviceLevel: Type.Record(Type.String(), Ratio, {
        description: 'Per threshold in seconds: answered within it / offered',
      }),
      asaSec: Type.Union([Type.Number(), Type.Null()], { description: 'Mean wait of answered callers' }),
      ahtSec: Type.Union([Type.Number(), Type.Null()], { description: 'Mean talk time of handled calls' }),
      abandonRate: Ratio,
      longestWaitSec: Type.Number(),
      byDay: Type.Array(
        Type.Object({ date: Type.String(), offered: Count, answered: Count, abandoned: Count }),
      ),
      agents: Type.Array(
        Type.Object({
          agent: Type.String({ description: 'Extension number' }),
          offered: Count,
          answered: Count,
          missed: Count,
          talkSec: Count,
          wrapUpSec: Count,
          pauseSec: Count,
        }),
      ),
    }),
  ),
});

const TrunkReportSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  timeZone: Type.String(),
  trunks: Type.Array(
    Type.Object({
      trunk: Type.String(),
      calls: Count,
      answered: Count,
      minutes: Type.Number({ minimum: 0, description: 'Talk minutes, answer to end' }),
      peak: Type.Integer({ minimum: 0, description: 'Most channels busy at once in the period' }),
      byDay: Type.Array(
        Type.Object({ date: Type.String(), calls: Count, minutes: Type.Number(), peak: Count }),
      ),
      byHour: Type.Array(
        Type.Object({ hour: Type.String({ description: 'YYYY-MM-DD HH:00, local' }), peak: Count }),
        {
          description: 'Peak per local hour; only for periods of at most 31 days',
        },
      ),
    }),
  ),
});

const Period = Type.Object({ from: Timestamp, to: Timestamp }, { additionalProperties: false });

/** The period asked for, checked: `to` after `from`, at most a year. */
export function period(q: { from: string; to: string }): { from: Date; to: Date } {
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (!(to > from)) throw new ApiError('VALIDATION_FAILED', '`to` must be after `from`', 'to');
  if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000)
    throw new ApiError('VALIDATION_FAILED', `At most ${MAX_DAYS} days at once`, 'to');
  return { from, to };
}

export async function reportRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.get(
    '/api/v1/tenants/:tenantId/reports/calls',
    {
      config: { permission: 'reports.read' },
      schema: {
        tags: ['reports'],
        summary:
          "Calls over a period in the tenant's time zone: totals, by day, weekday × hour, per extension, missed calls not returned",
        params: TenantParams,
        querystring: Period,
        response: { 200: ReportSchema },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const { from, to } = period(req.query);
      const scope = store.tenant(tenant.id);
      const extensions = (await scope.extensions.list({ limit: 10_000, offset: 0 })).items.map(
        (e) => e.number,
      );
      const report = await scope.callReports.report(from, to, tenant.timeZone, extensions);
      return { from: from.toISOString(), to: to.toISOString(), timeZone: tenant.timeZone, ...report };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/reports/queues',
    {
      config: { permission: 'reports.read' },
      schema: {
        tags: ['reports'],
        summary:
          "Queues over a period in the tenant's time zone: service level per threshold, ASA, AHT, abandonment, calls by day, and each agent's figures",
        params: TenantParams,
        querystring: Period,
        response: { 200: QueueReportSchema },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const { from, to } = period(req.query);
      const queues = await store.tenant(tenant.id).callReports.queues(from, to, tenant.timeZone);
      return { from: from.toISOString(), to: to.toISOString(), timeZone: tenant.timeZone, queues };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/reports/trunks',
    {
      config: { permission: 'reports.read' },
      schema: {
        tags: ['reports'],
        summary:
          "The tenant's calls per trunk over a period: calls, minutes, and the peak of concurrent channels per day and hour",
        params: TenantParams,
        querystring: Period,
        response: { 200: TrunkReportSchema },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const { from, to } = period(req.query);
      const trunks = await store.tenant(tenant.id).callReports.trunks(from, to, tenant.timeZone);
      return { from: from.toISOString(), to: to.toISOString(), timeZone: tenant.timeZone, trunks };
    },
  );

  app.get(
    '/api/v1/platform/reports/trunks',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags: ['reports'],
        summary:
          "Every tenant's calls per trunk over a period (the operator's view): calls, minutes, peaks of concurrent channels",
        querystring: Type.Object(
          {
            from: Timestamp,
            to: Timestamp,
            timeZone: Type.Optional(
              Type.String({
                maxLength: 64,
                description: 'IANA zone days and hours are counted in; default UTC',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: TrunkReportSchema },
      },
    },
    async (req) => {
      const { from, to } = period(req.query);
      const timeZone = req.query.timeZone ?? 'UTC';
      if (!IANAZone.isValidZone(timeZone))
        throw new ApiError('VALIDATION_FAILED', 'Unknown time zone', 'timeZone');
      const trunks = await trunkReport(store.db, null, from, to, timeZone);
      return { from: from.toISOString(), to: to.toISOString(), timeZone, trunks };
    },
  );

  await reportScheduleRoutes(app, deps);
}
