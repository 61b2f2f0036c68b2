/**
 * The tenant's present and its day: calls in progress and registered devices
 * (from the SIP service's live state), and today's calls by hour in the tenant's
 * time zone for the dashboard's charts. A user sees only their own extensions.
 */
import Type from 'typebox';
import type { Api, ApiDeps } from '../context.js';
import { notFound } from '../errors.js';
import { ownNumbers } from '../own.js';
import { TenantParams } from '../schemas.js';

const LiveCallSchema = Type.Object({
  id: Type.String(),
  caller: Type.String(),
  callerName: Type.String(),
  callee: Type.String(),
  state: Type.Union([Type.Literal('ringing'), Type.Literal('answered')]),
  startedAt: Type.String(),
  answeredAt: Type.Union([Type.String(), Type.Null()]),
});

const RegistrationSchema = Type.Object({
  extension: Type.String(),
  devices: Type.Array(
    Type.Object({
      contact: Type.String(),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      transport: Type.String(),
      address: Type.String(),
      expiresAt: Type.String(),
    }),
  ),
});

const TodaySchema = Type.Object({
  timeZone: Type.String(),
  from: Type.String({ description: "Midnight of today in the tenant's time zone" }),
  total: Type.Integer(),
  answered: Type.Integer(),
  missed: Type.Integer(),
  averageTalkSeconds: Type.Number(),
  hours: Type.Array(Type.Object({ hour: Type.Integer(), answered: Type.Integer(), missed: Type.Integer() }), {
    description: '24 entries, hour 0-23 of the local day',
  }),
});

/** The local wall-clock parts of `at` in `timeZone`. */
function localParts(at: Date, timeZone: string): { y: number; m: number; d: number; h: number; min: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), min: get('minute') };
}

/** The instant of local midnight of the day `at` falls on, in `timeZone`. */
export function localMidnight(at: Date, timeZone: string): Date {
  const p = localParts(at, timeZone);
  // The zone's offset now, applied to the local midnight (a DST change exactly at midnight is rare).
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min);
  const offset = asUtc - Math.floor(at.getTime() / 60_000) * 60_000;
  return new Date(Date.UTC(p.y, p.m - 1, p.d) - offset);
}

export async function liveRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());

  app.get(
    '/api/v1/tenants/:tenantId/live',
    {
      config: { permission: 'live.read' },
      schema: {
        tags: ['calls'],
        summary: 'Calls in progress and registered devices, now',
        params: TenantParams,
        response: {
          200: Type.Object({
            calls: Type.Array(LiveCallSchema),
            registrations: Type.Array(RegistrationSchema),
          }),
        },
      },
    },
    async (req) => {
      const snap = deps.live?.snapshot(req.params.tenantId) ?? { calls: [], registrations: [] };
      const own = await ownNumbers(store, req, req.params.tenantId);
      if (!own) return snap;
      return {
        calls: snap.calls.filter((c) => own.includes(c.caller) || own.includes(c.callee)),
        registrations: snap.registrations.filter((r) => own.includes(r.extension)),
      };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/stats/today',
    {
      config: { permission: 'live.read' },
      schema: {
        tags: ['calls'],
        summary: "Today's calls in the tenant's time zone: totals and answered/missed per hour",
        params: TenantParams,
        response: { 200: TodaySchema },
      },
    },
    async (req) => {
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const at = now();
      const from = localMidnight(at, tenant.timeZone);
      const to = new Date(from.getTime() + 26 * 3600_000); // covers a 25-hour DST day
      const own = await ownNumbers(store, req, req.params.tenantId);
      const rows = await store.tenant(tenant.id).calls.timesBetween(from, to, own);
      const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, answered: 0, missed: 0 }));
      let answered = 0;
      let talk = 0;
      let talked = 0;
      for (const r of rows) {
        const h = hours[localParts(r.startedAt, tenant.timeZone).h]!;
        if (r.answeredAt) {
          h.answered++;
          answered++;
          if (r.endedAt) {
            talk += (r.endedAt.getTime() - r.answeredAt.getTime()) / 1000;
            talked++;
          }
        } else if (r.endedAt) h.missed++;
      }
      const ended = rows.filter((r) => r.answeredAt || r.endedAt).length;
      return {
        timeZone: tenant.timeZone,
        from: from.toISOString(),
        total: rows.length,
        answered,
        missed: ended - answered,
        averageTalkSeconds: talked ? Math.round(talk / talked) : 0,
        hours,
      };
    },
  );
}
