/**
 * Call queues at work (issue 7; their settings are routing objects under
 * /queues): the live state of each queue for wallboards, agents logging in and
 * out and pausing (themselves from the softphone, or a supervisor for them), and
 * statistics per 15-minute interval, hour or day for reports.
 */
import Type from 'typebox';
import {
  type AgentFigures,
  addFigures,
  emptyAgentFigures,
  emptyQueueFigures,
  INTERVAL_MS,
  type QueueFigures,
} from '../../pbx/queue/stats.js';
import { AGENT_STATES } from '../../pbx/queue/types.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { ownNumbers } from '../own.js';
import { ExtensionNumber, TenantIdParams, TenantParams, Timestamp, Uuid } from '../schemas.js';

const literals = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

const AgentState = literals(AGENT_STATES);

const QueueFiguresSchema = Type.Object({
  offered: Type.Integer(),
  answered: Type.Integer(),
  abandoned: Type.Integer(),
  abandonWaitSec: Type.Number(),
  answerWaitSec: Type.Number(),
  talkSec: Type.Number(),
  handled: Type.Integer(),
  longestWaitSec: Type.Number(),
  answeredWithin: Type.Record(Type.String(), Type.Integer(), {
    description: 'Threshold (s) → answered within it',
  }),
  timedOut: Type.Integer(),
  full: Type.Integer(),
  noAgents: Type.Integer(),
  diverted: Type.Integer(),
  exitedByKey: Type.Integer(),
  callbacks: Type.Integer(),
  callbacksConnected: Type.Integer(),
  callbacksFailed: Type.Integer(),
  requeuedNodeFailure: Type.Integer({
    description: 'Callers whose node died while they waited, called back from a surviving node',
  }),
  lostNodeFailure: Type.Integer({
    description:
      'Callers whose node died while they waited and who could not be called back (also in abandoned)',
  }),
});

const AgentFiguresSchema = Type.Object({
  offered: Type.Integer(),
  answered: Type.Integer(),
  missed: Type.Integer(),
  talkSec: Type.Number(),
  wrapUpSec: Type.Number(),
  pauseSec: Type.Number(),
});

const QueueLiveSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  number: Type.Union([Type.String(), Type.Null()]),
  waiting: Type.Array(
    Type.Object({
      id: Type.String(),
      caller: Type.String(),
      callerName: Type.String(),
      priority: Type.Integer(),
      joinedAt: Timestamp,
      waitSec: Type.Integer(),
      ringing: Type.Boolean(),
      callback: Type.Boolean({ description: 'A callback request: the caller hung up and will be called' }),
    }),
  ),
  longestWaitSec: Type.Integer(),
  agents: Type.Array(
    Type.Object({
      number: Type.String(),
      name: Type.String(),
      state: AgentState,
      static: Type.Boolean(),
      pauseReason: Type.Union([Type.String(), Type.Null()]),
      callsToday: Type.Integer(),
      talkSecToday: Type.Integer(),
    }),
  ),
  today: Type.Intersect([
    QueueFiguresSchema,
    Type.Object({
      serviceLevel: Type.Array(
        Type.Object({ thresholdSec: Type.Integer(), percent: Type.Union([Type.Number(), Type.Null()]) }),
      ),
      asaSec: Type.Union([Type.Number(), Type.Null()]),
      ahtSec: Type.Union([Type.Number(), Type.Null()]),
      agents: Type.Record(Type.String(), AgentFiguresSchema),
    }),
  ]),
});

const AgentStatusSchema = Type.Object({
  number: Type.String(),
  paused: Type.Boolean(),
  pauseReason: Type.String(),
  queues: Type.Array(
    Type.Object({
      id: Uuid,
      name: Type.String(),
      number: Type.Union([Type.String(), Type.Null()]),
      static: Type.Boolean(),
      loggedIn: Type.Boolean(),
      state: AgentState,
    }),
  ),
});

const AgentChange = Type.Object(
  {
    loggedIn: Type.Optional(
      Type.Boolean({ description: 'Log in to (or out of) queues where the agent is a dynamic member' }),
    ),
    queues: Type.Optional(
      Type.Array(Uuid, {
        maxItems: 100,
        description: 'Only these queues (absent: every queue the agent is in)',
      }),
    ),
    paused: Type.Optional(Type.Boolean()),
    pauseReason: Type.Optional(Type.String({ maxLength: 60 })),
  },
  { additionalProperties: false },
);

const AgentParams = Type.Object({ tenantId: Uuid, number: ExtensionNumber });

const StatsQuery = Type.Object({
  from: Timestamp,
  to: Timestamp,
  queueId: Type.Optional(Uuid),
  granularity: Type.Optional(literals(['15m', 'hour', 'day'] as const)),
});

const StatsSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  granularity: Type.String(),
  intervals: Type.Array(
    Type.Object({
      start: Timestamp,
      queueId: Uuid,
      queue: QueueFiguresSchema,
      agents: Type.Record(Type.String(), AgentFiguresSchema),
    }),
  ),
  totals: Type.Array(
    Type.Object({
      queueId: Uuid,
      queue: QueueFiguresSchema,
      agents: Type.Record(Type.String(), AgentFiguresSchema),
    }),
  ),
});

const GRANULARITY_MS = { '15m': INTERVAL_MS, hour: 3_600_000, day: 86_400_000 } as const;

export async function queueRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const tags = ['queues'];
  const source = () => {
    if (!deps.queues) throw new ApiError('QUEUES_UNAVAILABLE');
    return deps.queues;
  };

  app.get(
    '/api/v1/tenants/:tenantId/queues-live',
    {
      config: { permission: 'queues.monitor' },
      schema: {
        tags,
        summary: 'Every queue now: waiting callers, agents, today so far (a user: the queues they answer)',
        params: TenantParams,
        response: { 200: Type.Array(QueueLiveSchema) },
      },
    },
    async (req) => {
      const own = await ownNumbers(store, req, req.params.tenantId);
      const all = source().all(req.params.tenantId);
      return own ? all.filter((q) => q.agents.some((a) => own.includes(a.number))) : all;
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/queues/:id/live',
    {
      config: { permission: 'queues.monitor' },
      schema: { tags, summary: 'One queue now', params: TenantIdParams, response: { 200: QueueLiveSchema } },
    },
    async (req) => {
      if (!(await store.tenant(req.params.tenantId).routing.get('queue', req.params.id)))
        throw notFound('Queue');
      const q = source().liveOf(req.params.tenantId, req.params.id);
      if (!q) throw notFound('Queue');
      const own = await ownNumbers(store, req, req.params.tenantId);
      if (own && !q.agents.some((a) => own.includes(a.number))) throw notFound('Queue');
      return q;
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/queue-agents/:number',
    {
      config: { permission: 'queues.agents' },
      schema: {
        tags,
        summary: "An agent's queues, logins and pause",
        params: AgentParams,
        response: { 200: AgentStatusSchema },
      },
    },
    async (req) => {
      await assertOwn(req.params.tenantId, req.params.number, req);
      const a = source().agent(req.params.tenantId, req.params.number);
      if (!a) throw notFound('Extension');
      return a;
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/queue-agents/:number',
    {
      config: { permission: 'queues.agents' },
      schema: {
        tags,
        summary: 'Log an agent in or out, pause or unpause',
        params: AgentParams,
        body: AgentChange,
        response: { 200: AgentStatusSchema },
      },
    },
    async (req) => {
      const { tenantId, number } = req.params;
      await assertOwn(tenantId, number, req);
      const q = source();
      const before = q.agent(tenantId, number);
      if (!before) throw notFound('Extension');
      const ids = req.body.queues ?? null;
      if (ids) {
        const memberOf = new Set(before.queues.map((m) => m.id));
        for (const [i, id] of ids.entries())
          if (!memberOf.has(id))
            throw new ApiError('VALIDATION_FAILED', 'The agent is not a member of this queue', `queues.${i}`);
      }
      if (req.body.pauseReason !== undefined && req.body.paused !== true)
        throw new ApiError('VALIDATION_FAILED', 'A pause reason goes with "paused": true', 'pauseReason');
      const after = q.change(tenantId, number, {
        ...(req.body.loggedIn !== undefined ? { loggedIn: req.body.loggedIn } : {}),
        queues: ids,
        ...(req.body.paused !== undefined ? { paused: req.body.paused } : {}),
        pauseReason: req.body.pauseReason ?? '',
      });
      if (!after) throw notFound('Extension');
      await store.tenant(tenantId).audit.record(actorOf(req), {
        action: 'queueAgent.update',
        resourceType: 'queueAgent',
        resourceId: null,
        before: { ...before },
        after: { ...after },
      });
      return after;
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/queue-stats',
    {
      config: { permission: 'queues.stats' },
      schema: {
        tags,
        summary: 'Queue and agent figures by interval (15 minutes, hour or day) and in total',
        params: TenantParams,
        querystring: StatsQuery,
        response: { 200: StatsSchema },
      },
    },
    async (req) => {
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      if (!(to > from)) throw new ApiError('VALIDATION_FAILED', '"to" must be after "from"', 'to');
      if (to.getTime() - from.getTime() > 400 * 86_400_000)
        throw new ApiError('VALIDATION_FAILED', 'At most 400 days at once', 'to');
      const granularity = req.query.granularity ?? 'hour';
      const step = GRANULARITY_MS[granularity];
      const rows = await store
        .tenant(req.params.tenantId)
        .queueAgents.stats({ from, to, ...(req.query.queueId ? { queueId: req.query.queueId } : {}) });
      type Sum = { queue: QueueFigures; agents: Record<string, AgentFigures> };
      const intervals = new Map<string, Sum & { start: number; queueId: string }>();
      const totals = new Map<string, Sum>();
      const add = (sum: Sum, agent: string, figures: Record<string, unknown>) => {
        if (agent === '')
          sum.queue = addFigures(sum.queue, {
            ...emptyQueueFigures(),
            ...(figures as Partial<QueueFigures>),
          });
        else
          sum.agents[agent] = addFigures(sum.agents[agent] ?? emptyAgentFigures(), {
            ...emptyAgentFigures(),
            ...(figures as Partial<AgentFigures>),
          });
      };
      for (const r of rows) {
        // Intervals are 15 minutes in UTC; hours and days are UTC too (a report in another zone asks for 15m).
        const start = Math.floor(r.intervalStart.getTime() / step) * step;
        const key = `${r.queueId}/${start}`;
        let i = intervals.get(key);
        if (!i) {
          i = { start, queueId: r.queueId, queue: emptyQueueFigures(), agents: {} };
          intervals.set(key, i);
        }
        add(i, r.agent, r.figures);
        let t = totals.get(r.queueId);
        if (!t) {
          t = { queue: emptyQueueFigures(), agents: {} };
          totals.set(r.queueId, t);
        }
        add(t, r.agent, r.figures);
      }
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        granularity,
        intervals: [...intervals.values()]
          .sort((a, b) => a.start - b.start || a.queueId.localeCompare(b.queueId))
          .map((i) => ({
            start: new Date(i.start).toISOString(),
            queueId: i.queueId,
            queue: i.queue,
            agents: i.agents,
          })),
        totals: [...totals].map(([queueId, t]) => ({ queueId, ...t })),
      };
    },
  );

  /** The extension exists in the tenant; a user acts on their own extensions only (a supervisor on anyone's). */
  async function assertOwn(tenantId: string, number: string, req: Parameters<typeof ownNumbers>[1]) {
    if (!(await store.tenant(tenantId).extensions.getByNumber(number))) throw notFound('Extension');
    const own = await ownNumbers(store, req, tenantId);
    if (own && !own.includes(number)) throw new ApiError('FORBIDDEN', 'Not your extension');
  }
}
