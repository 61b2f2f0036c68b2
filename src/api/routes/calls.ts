/** /api/v1/tenants/{tenantId}/calls: call detail records, newest first. */
import { PassThrough, Readable } from 'node:stream';
import Type from 'typebox';
import type { CallRecord } from '../../store/schema.js';
import { callCsv, writeCallXlsx } from '../call-export.js';
import type { Api, ApiDeps } from '../context.js';
import { notFound } from '../errors.js';
import { ownNumbers } from '../own.js';
import { listQuery, pageOf, TenantIdParams, TenantParams, Timestamp, toListQuery, Uuid } from '../schemas.js';

const Leg = Type.Object({
  number: Type.Optional(Type.String({ description: 'The extension this leg rang' })),
  target: Type.String({ description: 'The contact (device) it rang' }),
  startedAt: Type.String(),
  answeredAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  sipStatus: Type.Union([Type.Integer(), Type.Null()]),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const LegQuality = Type.Object(
  {
    packetsReceived: Type.Integer(),
    packetsSent: Type.Integer(),
    packetsLost: Type.Integer(),
    lossRatio: Type.Number({ description: 'Lost / expected over the leg, 0..1' }),
    jitterMs: Type.Number(),
    rttMs: Nullable(Type.Number()),
    remoteLossRatio: Nullable(Type.Number({ description: "The phone's own report of loss (RTCP)" })),
    mos: Type.Number({ description: 'Estimated listening quality, 1..4.5 (E-model, ITU-T G.107)' }),
  },
  { description: 'Media quality of one leg as the relay measured it' },
);

const CallSchema = Type.Object({
  id: Uuid,
  tenantId: Uuid,
  sipCallId: Type.String(),
  caller: Type.String(),
  callerName: Type.String(),
  callee: Type.String(),
  direction: Type.String(),
  status: Type.String({ description: 'ringing | answered | ended | interrupted' }),
  startedAt: Timestamp,
  answeredAt: Type.Union([Timestamp, Type.Null()]),
  endedAt: Type.Union([Timestamp, Type.Null()]),
  cause: Type.Union([Type.String(), Type.Null()]),
  sipStatus: Type.Union([Type.Integer(), Type.Null()]),
  hangupBy: Type.Union([Type.String(), Type.Null()]),
  legs: Type.Array(Leg),
  trail: Type.Array(
    Type.Object({
      at: Timestamp,
      kind: Type.String(),
      id: Type.Union([Type.String(), Type.Null()]),
      name: Type.String(),
      outcome: Type.String(),
    }),
    { description: 'The routing steps the call went through, in order' },
  ),
  tags: Type.Array(Type.String(), { description: 'Tags from IVR menus and choices' }),
  quality: Nullable(Type.Object({ caller: Nullable(LegQuality), callee: Nullable(LegQuality) })),
  mos: Nullable(Type.Number({ description: "The worse leg's MOS" })),
  trunk: Nullable(Type.String({ description: 'The trunk an external call came in on or went out through' })),
  cost: Nullable(
    Type.Integer({
      description: "What it cost by the operator's rate deck, minor units (null: nothing priced)",
    }),
  ),
});

const Status = Type.Union([
  Type.Literal('ringing'),
  Type.Literal('answered'),
  Type.Literal('ended'),
  Type.Literal('interrupted'),
]);

function callView(c: CallRecord) {
  return {
    ...c,
    startedAt: c.startedAt.toISOString(),
    answeredAt: c.answeredAt?.toISOString() ?? null,
    endedAt: c.endedAt?.toISOString() ?? null,
  };
}

export async function callRoutes(app: Api, { store }: ApiDeps): Promise<void> {
  app.get(
    '/api/v1/tenants/:tenantId/calls',
    {
      config: { permission: 'calls.read' },
      schema: {
        tags: ['calls'],
        summary:
          "Call records, newest first; q searches caller, callee and caller name. A user sees their own extensions' calls.",
        params: TenantParams,
        querystring: listQuery(['startedAt'], {
          status: Type.Optional(Status),
          tag: Type.Optional(Type.String({ maxLength: 40, description: 'Only calls with this tag' })),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
        }),
        response: { 200: pageOf(CallSchema) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.tenant(req.params.tenantId).calls.list({
        ...toListQuery(q),
        status: q.status,
        tag: q.tag,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        parties: await ownNumbers(store, req, req.params.tenantId),
      });
      return { ...page, items: page.items.map(callView) };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/calls/export.:format',
    {
      config: { permission: 'calls.read' },
      schema: {
        tags: ['calls'],
        summary:
          'The call records the filters match, newest first, as CSV (export.csv) or an Excel workbook (export.xlsx), streamed: any range. A user gets their own calls.',
        params: Type.Object({
          tenantId: Uuid,
          format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { description: 'csv or xlsx' }),
        }),
        querystring: Type.Object(
          {
            q: Type.Optional(Type.String({ maxLength: 100 })),
            status: Type.Optional(Status),
            tag: Type.Optional(Type.String({ maxLength: 40 })),
            from: Type.Optional(Timestamp),
            to: Type.Optional(Timestamp),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const parties = await ownNumbers(store, req, req.params.tenantId);
      const rows = store.tenant(req.params.tenantId).calls.stream({
        q: q.q,
        status: q.status,
        tag: q.tag,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        parties,
      });
      const day = new Date().toISOString().slice(0, 10);
      const { format } = req.params;
      reply
        .header('content-disposition', `attachment; filename="calls-${day}.${format}"`)
        .header('cache-control', 'no-store');
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(Readable.from(callCsv(rows)));
      const out = new PassThrough();
      writeCallXlsx(rows, out).catch((err: unknown) => {
        req.log.error({ err }, 'call export failed');
        out.destroy(err instanceof Error ? err : new Error(String(err)));
      });
      return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(out);
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/calls/:id',
    {
      config: { permission: 'calls.read' },
      schema: {
        tags: ['calls'],
        summary: 'One call record',
        params: TenantIdParams,
        response: { 200: CallSchema },
      },
    },
    async (req) => {
      const call = await store.tenant(req.params.tenantId).calls.get(req.params.id);
      const parties = await ownNumbers(store, req, req.params.tenantId);
      // Someone else's call is as absent to a user as a call that does not exist.
      if (!call || (parties && !parties.includes(call.caller) && !parties.includes(call.callee)))
        throw notFound('Call');
      return callView(call);
    },
  );
}
