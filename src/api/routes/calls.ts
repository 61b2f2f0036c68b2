/** /api/v1/tenants/{tenantId}/calls: call detail records, newest first. */
import { PassThrough, Readable } from 'node:stream';
import Type from 'typebox';
import { CALL_DIRECTIONS, type CallFilter, DISPOSITIONS } from '../../store/repositories/calls.js';
import type { CallRecord } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
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

/** A comma-separated list of allowed words (a link can carry it: `direction=inbound,internal`). */
const wordList = (words: readonly string[], description: string) =>
  Type.String({ pattern: `^(${words.join('|')})(,(${words.join('|')}))*$`, maxLength: 200, description });

/** The CDR search: the calls list and its exports take the same filters. */
const Search = {
  status: Type.Optional(Status),
  tag: Type.Optional(Type.String({ maxLength: 40, description: 'Only calls with this tag' })),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  number: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'A number on the side numberSide says' }),
  ),
  numberSide: Type.Optional(
    Type.Union([Type.Literal('caller'), Type.Literal('callee'), Type.Literal('any')], {
      description: 'caller, callee, or any (also a leg rung on the way); default any',
    }),
  ),
  numberMatch: Type.Optional(
    Type.Union([Type.Literal('contains'), Type.Literal('exact')], { description: 'default contains' }),
  ),
  extension: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 20,
      description: 'Calls the extension made, took, or was rung for on the way',
    }),
  ),
  direction: Type.Optional(wordList(CALL_DIRECTIONS, 'Any of: internal, inbound, outbound')),
  disposition: Type.Optional(
    wordList(
      DISPOSITIONS,
      'Any of: answered, unanswered, missed, abandoned, busy, failed (docs/reports.md defines them)',
    ),
  ),
  trunk: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The trunk name' })),
  weekday: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 7, description: "ISO weekday of the start, tenant's zone" }),
  ),
  hour: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 23, description: "Hour of the start, tenant's zone" }),
  ),
};

interface SearchQuery {
  q?: string | undefined;
  status?: CallFilter['status'];
  tag?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  number?: string | undefined;
  numberSide?: CallFilter['numberSide'];
  numberMatch?: CallFilter['numberMatch'];
  extension?: string | undefined;
  direction?: string | undefined;
  disposition?: string | undefined;
  trunk?: string | undefined;
  weekday?: number | undefined;
  hour?: number | undefined;
}

/** The validated query as the repository's filter (the lists were checked by their pattern). */
async function searchFilter(
  store: Store,
  tenantId: string,
  q: SearchQuery,
): Promise<Omit<CallFilter, 'limit' | 'offset'>> {
  const local = q.weekday !== undefined || q.hour !== undefined;
  const timeZone = local ? (await store.tenants.get(tenantId))?.timeZone : undefined;
  return {
    q: q.q,
    status: q.status,
    tag: q.tag,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    number: q.number,
    numberSide: q.numberSide,
    numberMatch: q.numberMatch,
    extension: q.extension,
    direction: q.direction?.split(',') as CallFilter['direction'],
    disposition: q.disposition?.split(',') as CallFilter['disposition'],
    trunk: q.trunk,
    weekday: q.weekday,
    hour: q.hour,
    timeZone,
  };
}

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
        querystring: listQuery(['startedAt'], Search),
        response: { 200: pageOf(CallSchema) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.tenant(req.params.tenantId).calls.list({
        ...(await searchFilter(store, req.params.tenantId, q)),
        ...toListQuery(q),
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
          { q: Type.Optional(Type.String({ maxLength: 100 })), ...Search },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const parties = await ownNumbers(store, req, req.params.tenantId);
      const rows = store
        .tenant(req.params.tenantId)
        .calls.stream({ ...(await searchFilter(store, req.params.tenantId, q)), parties });
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
