/**
 * The public network (issue 9). Operators: /api/v1/platform/trunks (carriers'
 * trunks with their live registration, health and channels) and
 * /api/v1/platform/numbers (the pool of public numbers, each given to a tenant).
 * Tenants: their own numbers, the trunks their outbound routes may use, and the
 * outbound plan for a number ("which route and trunk would this take?").
 */
import { isIP } from 'node:net';
import Type from 'typebox';
import { type PlanExtension, planOutbound, trunkServes } from '../../pbx/routing/external.js';
import { formatForTrunk } from '../../pbx/trunks/dial-plan.js';
import type { TrunkStatus } from '../../pbx/trunks/trunk-set.js';
import type { TrunkInput } from '../../store/repositories/trunks.js';
import {
  CALLER_ID_HEADERS,
  DID_SOURCES,
  MEDIA_CODECS,
  NUMBER_FORMATS,
  type PoolNumber,
  TRUNK_KINDS,
  TRUNK_TRANSPORTS,
  type Trunk,
} from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import {
  CallClassSchema,
  IdParams,
  listQuery,
  pageOf,
  TenantParams,
  Timestamp,
  toListQuery,
  Uuid,
} from '../schemas.js';
import { assertCountry } from '../validate.js';

const literals = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      description ? { description } : {},
    ),
  );

const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern:
    '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])$',
  description: 'Carrier host: a DNS name (NAPTR/SRV/A) or an IP address',
});
const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{1,14}$', description: 'E.164 number with the plus' });

const trunkFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  enabled: Type.Boolean(),
  kind: literals(TRUNK_KINDS, 'register: we register to the carrier; ip: the carrier knows us by address'),
  host: Host,
  port: Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()], {
    description: 'Null: from DNS SRV, else 5060 (5061 for TLS)',
  }),
  transport: literals(TRUNK_TRANSPORTS),
  username: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]),
  authUsername: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()], {
    description: 'Digest user when it differs from username',
  }),
  realm: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
    description:
      'Digest realm the carrier challenges with; when set, challenges in any other realm get no credentials',
  }),
  expirySec: Type.Integer({ minimum: 60, maximum: 86_400, description: 'Registration expiry asked for' }),
  contactUser: Type.Union([Type.String({ pattern: '^[A-Za-z0-9._+-]{1,64}$' }), Type.Null()], {
    description: 'Our Contact user in REGISTER (default: username)',
  }),
  addresses: Type.Array(Type.String({ maxLength: 50 }), {
    maxItems: 100,
    description: 'Addresses or CIDR ranges its calls come from (its host’s addresses count too)',
  }),
  codecs: Type.Array(literals(MEDIA_CODECS), {
    minItems: 1,
    maxItems: MEDIA_CODECS.length,
    uniqueItems: true,
  }),
  maxChannels: Type.Union([Type.Integer({ minimum: 0, maximum: 100_000 }), Type.Null()], {
    description: 'Calls at once, both ways (null: no limit)',
  }),
  numberFormat: literals(NUMBER_FORMATS, 'How numbers are written toward the carrier'),
  country: Type.String({ pattern: '^[A-Z]{2}$' }),
  areaCode: Type.Union([Type.String({ pattern: '^[0-9]{1,6}$' }), Type.Null()]),
  callerIdHeader: literals(
    CALLER_ID_HEADERS,
    'Where the caller ID goes: P-Asserted-Identity, Remote-Party-ID or From only',
  ),
  didSource: literals(DID_SOURCES, 'Where the called number of an inbound call is read'),
  optionsIntervalSec: Type.Union([Type.Integer({ minimum: 5, maximum: 3600 }), Type.Null()], {
    description: 'OPTIONS health checks every so many seconds (null: none)',
  }),
  tenantIds: Type.Union([Type.Array(Uuid, { maxItems: 10_000, uniqueItems: true }), Type.Null()], {
    description: 'Tenants whose calls may go out through it (null: every tenant)',
  }),
};

const CreateTrunk = Type.Object(
  {
    name: trunkFields.name,
    kind: trunkFields.kind,
    host: trunkFields.host,
    password: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    ...Object.fromEntries(
      Object.entries(trunkFields)
        .filter(([k]) => !['name', 'kind', 'host'].includes(k))
        .map(([k, v]) => [k, Type.Optional(v)]),
    ),
  },
  { additionalProperties: false },
);
const PatchTrunk = Type.Object(
  {
    ...Object.fromEntries(Object.entries(trunkFields).map(([k, v]) => [k, Type.Optional(v)])),
    password: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const RegistrationSchema = Type.Object({
  state: Type.String({ description: 'registering, registered, failed or stopped' }),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  registeredAt: Type.Union([Timestamp, Type.Null()]),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  failures: Type.Integer(),
  destination: Type.Union([Type.String(), Type.Null()]),
});
const TrunkStatusSchema = Type.Object({
  registration: Type.Union([RegistrationSchema, Type.Null()], {
    description:
      "Its registration: this node's, or in a cluster the registering node's (as of that node's last heartbeat round)",
  }),
  registeredBy: Type.Union([Type.String(), Type.Null()], {
    description: 'In a cluster: the node registering the trunk (null on a single node, or none yet)',
  }),
  health: Type.Object({
    state: Type.String({ description: 'up, down or unknown' }),
    checkedAt: Type.Union([Timestamp, Type.Null()]),
    rttMs: Type.Union([Type.Number(), Type.Null()]),
  }),
  channels: Type.Integer({ description: 'Calls using it now' }),
});
export const TrunkSchema = Type.Object({
  id: Uuid,
  ...trunkFields,
  hasPassword: Type.Boolean(),
  status: Type.Union([TrunkStatusSchema, Type.Null()], { description: 'Live, from this node' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const NumberSchema = Type.Object({
  id: Uuid,
  number: Type.String(),
  tenantId: Type.Union([Uuid, Type.Null()]),
  trunkId: Type.Union([Uuid, Type.Null()]),
  note: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function statusView(s: TrunkStatus | undefined) {
  if (!s) return null;
  const r = s.registration;
  return {
    registration: r
      ? {
          ...r,
          registeredAt: iso(r.registeredAt),
          expiresAt: iso(r.expiresAt),
          nextAttemptAt: iso(r.nextAttemptAt),
        }
      : null,
    registeredBy: s.registeredBy,
    health: { ...s.health, checkedAt: iso(s.health.checkedAt) },
    channels: s.channels,
  };
}

export function trunkView(t: Trunk, status?: TrunkStatus) {
  const { password, createdAt, updatedAt, ...rest } = t;
  return {
    ...rest,
    hasPassword: password !== null && password !== '',
    status: statusView(status),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}

function numberView(n: PoolNumber) {
  return { ...n, createdAt: n.createdAt.toISOString(), updatedAt: n.updatedAt.toISOString() };
}

const invalid = (detail: string, field: string) => new ApiError('VALIDATION_FAILED', detail, field);

/** What a schema cannot check: a registration needs an account, ranges must be addresses, tenants must exist. */
async function checkTrunk(store: Store, t: TrunkInput): Promise<void> {
  if (t.kind === 'register' && (!t.username || !t.password))
    throw invalid(
      'A registration trunk needs a username and a password',
      t.username ? 'password' : 'username',
    );
  t.addresses.forEach((a, i) => {
    const [addr, bits, extra] = a.split('/');
    const family = isIP(addr ?? '');
    const max = family === 6 ? 128 : 32;
    const n = bits === undefined ? max : Number(bits);
    if (!family || extra !== undefined || !Number.isInteger(n) || n < 0 || n > max)
      throw invalid(`"${a}" is not an IP address or CIDR range`, `addresses.${i}`);
    if (family === 6 && /^::ffff:/i.test(addr ?? ''))
      throw invalid(`Write "${a}" as an IPv4 address or range`, `addresses.${i}`);
    // Calls from these addresses skip authentication: a range this wide would let anyone in.
    if (n < (family === 6 ? 32 : 16))
      throw invalid(
        `"${a}" is too wide a range for a carrier (at most /16 for IPv4, /32 for IPv6)`,
        `addresses.${i}`,
      );
  });
  assertCountry(t.country);
  for (const [i, id] of (t.tenantIds ?? []).entries())
    if (!(await store.tenants.get(id))) throw invalid('No tenant with this id', `tenantIds.${i}`);
}

const TRUNK_DEFAULTS = {
  enabled: true,
  port: null,
  transport: 'UDP',
  username: null,
  authUsername: null,
  realm: null,
  password: null,
  expirySec: 300,
  contactUser: null,
  addresses: [],
  codecs: ['PCMA', 'PCMU'],
  maxChannels: null,
  numberFormat: 'e164',
  country: 'RU',
  areaCode: null,
  callerIdHeader: 'pai',
  didSource: 'requestUri',
  optionsIntervalSec: 60,
  tenantIds: null,
} as const satisfies Omit<TrunkInput, 'name' | 'kind' | 'host'>;

function inputOf(t: Trunk): TrunkInput {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = t;
  return rest;
}

export async function trunkRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const statusOf = (): Map<string, TrunkStatus> =>
    new Map((deps.trunks?.status() ?? []).map((s) => [s.id, s]));
  const tags = ['trunks'];

  app.get(
    '/api/v1/platform/trunks',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'List trunks with their live registration, health and channels',
        querystring: listQuery(['name', 'createdAt']),
        response: { 200: pageOf(TrunkSchema) },
      },
    },
    async (req) => {
      const page = await store.trunks.list(toListQuery(req.query));
      const status = statusOf();
      return { ...page, items: page.items.map((t) => trunkView(t, status.get(t.id))) };
    },
  );

  app.get(
    '/api/v1/platform/trunks/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: { tags, summary: 'Get a trunk', params: IdParams, response: { 200: TrunkSchema } },
    },
    async (req) => {
      const t = await store.trunks.get(req.params.id);
      if (!t) throw notFound('Trunk');
      return trunkView(t, statusOf().get(t.id));
    },
  );

  app.post(
    '/api/v1/platform/trunks',
    {
      config: { permission: 'trunks.manage' },
      schema: { tags, summary: 'Add a trunk', body: CreateTrunk, response: { 201: TrunkSchema } },
    },
    async (req, reply) => {
      const input = { ...TRUNK_DEFAULTS, ...req.body } as TrunkInput;
      await checkTrunk(store, input);
      const t = await store.transaction(async (tx) => {
        if (
          (await tx.trunks.list({ limit: 1, offset: 0, q: input.name })).items.some(
            (o) => o.name === input.name,
          )
        )
          throw new ApiError('CONFLICT', `A trunk named "${input.name}" exists`, 'name');
        const created = await tx.trunks.create(input);
        await tx.platform.audit.record(actorOf(req), {
          action: 'trunk.create',
          resourceType: 'trunk',
          resourceId: created.id,
          after: trunkView(created),
        });
        return created;
      });
      reply.code(201);
      return trunkView(t);
    },
  );

  app.patch(
    '/api/v1/platform/trunks/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Change a trunk (a password given replaces the old; it is never shown)',
        params: IdParams,
        body: PatchTrunk,
        response: { 200: TrunkSchema },
      },
    },
    async (req) => {
      const t = await store.transaction(async (tx) => {
        const before = await tx.trunks.get(req.params.id);
        if (!before) throw notFound('Trunk');
        const input = { ...inputOf(before), ...req.body } as TrunkInput;
        await checkTrunk(tx, input);
        const after = await tx.trunks.update(before.id, req.body as Partial<TrunkInput>);
        if (!after) throw notFound('Trunk');
        await tx.platform.audit.record(actorOf(req), {
          action: 'trunk.update',
          resourceType: 'trunk',
          resourceId: before.id,
          before: trunkView(before),
          after: trunkView(after),
        });
        return after;
      });
      return trunkView(t, statusOf().get(t.id));
    },
  );

  app.delete(
    '/api/v1/platform/trunks/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Remove a trunk no outbound route uses',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const before = await tx.trunks.get(req.params.id);
        if (!before) throw notFound('Trunk');
        const users = await tx.db
          .selectFrom('routingObjects')
          .innerJoin('tenants', 'tenants.id', 'routingObjects.tenantId')
          .select(['routingObjects.name as route', 'tenants.name as tenant'])
          .where('routingObjects.kind', '=', 'outboundRoute')
          .where((eb) =>
            eb(eb.ref('routingObjects.config'), '@>', JSON.stringify({ trunkIds: [before.id] }) as never),
          )
          .execute();
        if (users.length)
          throw new ApiError(
            'CONFLICT',
            `Used by ${users.map((u) => `outbound route "${u.route}" of ${u.tenant}`).join(', ')}`,
          );
        await tx.trunks.delete(before.id);
        await tx.platform.audit.record(actorOf(req), {
          action: 'trunk.delete',
          resourceType: 'trunk',
          resourceId: before.id,
          before: trunkView(before),
        });
      });
      reply.code(204);
      return null;
    },
  );

  app.get(
    '/api/v1/platform/numbers',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'The public number pool',
        querystring: listQuery(['number', 'createdAt'], {
          tenantId: Type.Optional(Uuid),
          unassigned: Type.Optional(Type.Boolean({ description: 'Only numbers given to no tenant' })),
          trunkId: Type.Optional(Uuid),
        }),
        response: { 200: pageOf(NumberSchema) },
      },
    },
    async (req) => {
      const { tenantId, unassigned, trunkId } = req.query;
      const page = await store.numbers.list({
        ...toListQuery(req.query),
        tenantId: unassigned ? null : tenantId,
        trunkId,
      });
      return { ...page, items: page.items.map(numberView) };
    },
  );

  const NumberRefs = {
    tenantId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'The tenant it is given to' })),
    trunkId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'The trunk it arrives on' })),
    note: Type.Optional(Type.String({ maxLength: 200 })),
  };
  const checkRefs = async (tx: Store, b: { tenantId?: string | null; trunkId?: string | null }) => {
    if (b.tenantId && !(await tx.tenants.get(b.tenantId)))
      throw invalid('No tenant with this id', 'tenantId');
    if (b.trunkId && !(await tx.trunks.get(b.trunkId))) throw invalid('No trunk with this id', 'trunkId');
  };

  app.post(
    '/api/v1/platform/numbers',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Add numbers to the pool: one, or a block of consecutive numbers',
        body: Type.Object(
          {
            number: E164,
            count: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 1000, description: 'Consecutive numbers from `number`' }),
            ),
            ...NumberRefs,
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ items: Type.Array(NumberSchema) }) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const count = b.count ?? 1;
      const first = BigInt(b.number.slice(1));
      const numbers = Array.from({ length: count }, (_, i) => `+${(first + BigInt(i)).toString()}`);
      if (numbers.some((n) => n.length > 16)) throw invalid('The block runs past 15 digits', 'count');
      const created = await store.transaction(async (tx) => {
        await checkRefs(tx, b);
        const out: PoolNumber[] = [];
        for (const n of numbers) {
          if (await tx.numbers.byNumber(n))
            throw new ApiError('CONFLICT', `${n} is in the pool already`, 'number');
          out.push(
            await tx.numbers.create({
              number: n,
              tenantId: b.tenantId ?? null,
              trunkId: b.trunkId ?? null,
              note: b.note ?? '',
            }),
          );
        }
        await tx.platform.audit.record(actorOf(req), {
          action: 'number.create',
          resourceType: 'number',
          resourceId: out[0]?.id ?? null,
          after: { numbers, tenantId: b.tenantId ?? null, trunkId: b.trunkId ?? null },
        });
        return out;
      });
      reply.code(201);
      return { items: created.map(numberView) };
    },
  );

  app.patch(
    '/api/v1/platform/numbers/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Give a number to a tenant (or take it back), set its trunk or note',
        params: IdParams,
        body: Type.Object(NumberRefs, { additionalProperties: false }),
        response: { 200: NumberSchema },
      },
    },
    async (req) => {
      const n = await store.transaction(async (tx) => {
        const before = await tx.numbers.get(req.params.id);
        if (!before) throw notFound('Number');
        await checkRefs(tx, req.body);
        const after = await tx.numbers.update(before.id, req.body);
        if (!after) throw notFound('Number');
        await tx.platform.audit.record(actorOf(req), {
          action: 'number.update',
          resourceType: 'number',
          resourceId: before.id,
          before: numberView(before),
          after: numberView(after),
        });
        return after;
      });
      return numberView(n);
    },
  );

  app.delete(
    '/api/v1/platform/numbers/:id',
    {
      config: { permission: 'trunks.manage' },
      schema: {
        tags,
        summary: 'Remove a number from the pool',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const before = await tx.numbers.get(req.params.id);
        if (!before || !(await tx.numbers.delete(before.id))) throw notFound('Number');
        await tx.platform.audit.record(actorOf(req), {
          action: 'number.delete',
          resourceType: 'number',
          resourceId: before.id,
          before: numberView(before),
        });
      });
      reply.code(204);
      return null;
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/numbers',
    {
      config: { permission: 'routing.read' },
      schema: {
        tags,
        summary: "The tenant's public numbers and the inbound route each goes to",
        params: TenantParams,
        response: {
          200: Type.Array(
            Type.Object({
              number: Type.String(),
              inboundRoute: Type.Union([Type.Object({ id: Uuid, name: Type.String() }), Type.Null()]),
            }),
          ),
        },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      const numbers = await store.numbers.list({ tenantId: req.params.tenantId, limit: 1000, offset: 0 });
      const routes = (await scope.routing.all()).filter((o) => o.kind === 'inboundRoute');
      return numbers.items.map((n) => {
        const r = routes.find((o) => o.number === n.number);
        return { number: n.number, inboundRoute: r ? { id: r.id, name: r.name } : null };
      });
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/trunks',
    {
      config: { permission: 'routing.read' },
      schema: {
        tags,
        summary: "Trunks the tenant's outbound routes may use, and how they are doing",
        params: TenantParams,
        response: {
          200: Type.Array(
            Type.Object({
              id: Uuid,
              name: Type.String(),
              enabled: Type.Boolean(),
              state: Type.String({ description: 'registered, failed, up, down, unknown…' }),
            }),
          ),
        },
      },
    },
    async (req) => {
      const status = statusOf();
      return (await store.trunks.all())
        .filter((t) => trunkServes({ ...t, enabled: true }, req.params.tenantId))
        .map((t) => {
          const s = status.get(t.id);
          return {
            id: t.id,
            name: t.name,
            enabled: t.enabled,
            state: !t.enabled ? 'disabled' : (s?.registration?.state ?? s?.health.state ?? 'unknown'),
          };
        });
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/outbound-plan',
    {
      config: { permission: 'routing.read' },
      schema: {
        tags,
        summary: 'Which route and trunks a number would take, from an extension or from the tenant',
        params: TenantParams,
        querystring: Type.Object(
          {
            number: Type.String({ pattern: '^\\+?[0-9*#]{1,32}$' }),
            extension: Type.Optional(
              Type.String({ maxLength: 20, description: "Whose call class applies (default: the tenant's)" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            allowed: Type.Boolean(),
            status: Type.Union([Type.Integer(), Type.Null()], {
              description: 'The SIP status a refused call gets',
            }),
            reason: Type.Union([Type.String(), Type.Null()]),
            route: Type.Union([
              Type.Object({
                id: Type.Union([Uuid, Type.Null()], {
                  description: 'Null: an emergency number no route matches',
                }),
                name: Type.String(),
              }),
              Type.Null(),
            ]),
            number: Type.Union([Type.String(), Type.Null()], { description: 'As the route sends it' }),
            numberClass: Type.Union([Type.String(), Type.Null()]),
            allowedClass: Type.Union([CallClassSchema, Type.Null()]),
            callerId: Type.Union([Type.String(), Type.Null()]),
            trunks: Type.Array(
              Type.Object({
                id: Uuid,
                name: Type.String(),
                usable: Type.Boolean(),
                state: Type.String(),
                sends: Type.String({ description: 'The number in the trunk’s format' }),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const { tenantId } = req.params;
      const tenant = await store.tenants.get(tenantId);
      if (!tenant) throw notFound('Tenant');
      const scope = store.tenant(tenantId);
      let ext: PlanExtension | null = null;
      if (req.query.extension) {
        const e = await scope.extensions.getByNumber(req.query.extension);
        if (!e) throw invalid('No such extension', 'extension');
        ext = e;
      }
      const routing = new Map(
        (await scope.routing.all()).map((o) => [
          o.id,
          { id: o.id, kind: o.kind, name: o.name, number: o.number, config: o.config },
        ]),
      );
      const numbers = (await store.numbers.list({ tenantId, limit: 1000, offset: 0 })).items.map(
        (n) => n.number,
      );
      const trunks = await store.trunks.all();
      const serving = trunks.filter((t) => trunkServes(t, tenantId)).map((t) => t.id);
      const plan = planOutbound({ ...tenant, numbers, routing }, req.query.number, ext, serving);
      if (!plan.ok)
        return {
          allowed: false,
          status: plan.status,
          reason: plan.reason,
          route: null,
          number: null,
          numberClass: null,
          allowedClass: null,
          callerId: null,
          trunks: [],
        };
      const status = statusOf();
      return {
        allowed: true,
        status: null,
        reason: null,
        route: plan.route,
        number: plan.number,
        numberClass: plan.numberClass,
        allowedClass: plan.allowed,
        callerId: plan.callerId,
        trunks: plan.trunkIds.flatMap((id) => {
          const t = trunks.find((x) => x.id === id);
          if (!t) return [];
          const s = status.get(id);
          const state = !t.enabled ? 'disabled' : (s?.registration?.state ?? s?.health.state ?? 'unknown');
          return [
            {
              id,
              name: t.name,
              usable: trunkServes(t, tenantId) && s?.health.state !== 'down',
              state,
              sends: sendsAs(plan.number, t),
            },
          ];
        }),
      };
    },
  );
}

/** The number as a trunk would be sent it (the tester shows it); short codes go as they are. */
function sendsAs(number: string, t: Trunk): string {
  return /^\+[1-9]\d{1,14}$/.test(number) ? formatForTrunk(number, t.numberFormat, t) : number;
}
