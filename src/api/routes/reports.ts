/**
 * Reports for managers: how many calls, answered and missed, by day and by the
 * hour of the week (a heatmap), each extension's load, and callers whose missed
 * calls nobody returned — over a period, in the tenant's time zone.
 */
import Type from 'typebox';
import type { Api, ApiDeps } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { TenantParams, Timestamp } from '../schemas.js';

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

export async function reportRoutes(app: Api, { store }: ApiDeps): Promise<void> {
  app.get(
    '/api/v1/tenants/:tenantId/reports/calls',
    {
      config: { permission: 'reports.read' },
      schema: {
        tags: ['reports'],
        summary:
          "Calls over a period in the tenant's time zone: totals, by day, weekday × hour, per extension, missed calls not returned",
        params: TenantParams,
        querystring: Type.Object({ from: Timestamp, to: Timestamp }, { additionalProperties: false }),
        response: { 200: ReportSchema },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      if (!(to > from)) throw new ApiError('VALIDATION_FAILED', '`to` must be after `from`', 'to');
      if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000)
        throw new ApiError('VALIDATION_FAILED', `At most ${MAX_DAYS} days at once`, 'to');
      const scope = store.tenant(tenant.id);
      const extensions = (await scope.extensions.list({ limit: 10_000, offset: 0 })).items.map(
        (e) => e.number,
      );
      const report = await scope.callReports.report(from, to, tenant.timeZone, extensions);
      return { from: from.toISOString(), to: to.toISOString(), timeZone: tenant.timeZone, ...report };
    },
  );
}
