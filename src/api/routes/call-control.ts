/**
 * Call control for integrations (docs/call-control.md): click-to-call — a CRM or
 * the portal asks the PBX to ring an extension and, once it answers, the number
 * to call; originate — the PBX dials a customer and routes them to a queue, a
 * menu, a group, an extension or a number once they answer; and hang-up and
 * blind transfer of live calls named by their record id. A user may start calls
 * from (or to) their own extensions only, and control calls their extensions are
 * on. The call's outcome is on its record (and in the events) like any other call's.
 */
import type { FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import type { ControlDestination, ControlRefusal } from '../../pbx/call-control.js';
import type { Api, ApiDeps } from '../context.js';
import { principalOf } from '../context.js';
import { ApiError, type ErrorCode } from '../errors.js';
import { ownNumbers } from '../own.js';
import { TenantIdParams, TenantParams, Uuid } from '../schemas.js';

/** A string enum that infers as the union of its values (as schemas.ts has it). */
const literals = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      description ? { description } : {},
    ),
  );

const Number_ = Type.String({
  pattern: '^\\+?[0-9*#]{2,20}$',
  description: 'An extension, or an outside number as the extension would dial it',
});

export async function callControlRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.post(
    '/api/v1/tenants/:tenantId/calls/click-to-call',
    {
      config: { permission: 'calls.originate' },
      schema: {
        tags: ['calls'],
        summary:
          "Ring an extension's phone; once it answers, call the number and join them (the extension's own call: its class and limits)",
        params: TenantParams,
        body: Type.Object(
          {
            from: Type.String({ pattern: '^[0-9]{2,10}$', description: 'The extension that makes the call' }),
            to: Number_,
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ from: Type.String(), to: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { tenantId } = req.params;
      const { from, to } = req.body;
      if (req.access === 'own') {
        const userId = principalOf(req).userId;
        const ext = await store.tenant(tenantId).extensions.getByNumber(from);
        if (!ext || !userId || ext.userId !== userId)
          throw new ApiError('FORBIDDEN', 'Calls are started from your own extensions only', 'from');
      }
      if (!deps.callControl) throw new ApiError('CALLS_UNAVAILABLE');
      const r = deps.callControl.clickToCall(tenantId, from, to);
      if (!r.ok) {
        if (r.status === 404) throw new ApiError('NOT_FOUND', r.reason, 'from');
        if (r.status === 409) throw new ApiError('CONFLICT', r.reason, 'from');
        if (r.status === 503) throw new ApiError('CALLS_UNAVAILABLE', r.reason);
        if (r.status === 403) throw new ApiError('FORBIDDEN', r.reason, 'to');
        throw new ApiError('VALIDATION_FAILED', r.reason, 'to');
      }
      reply.code(202);
      return { from, to };
    },
  );
}

const CONTROL_KINDS = [
  'extension',
  'ringGroup',
  'queue',
  'ivr',
  'timeCondition',
  'voicemail',
  'number',
] as const;

/** One object for every kind (as routing's destinations): `id` for objects, `number` for a number. */
const ControlDestinationSchema = Type.Object(
  {
    kind: literals(CONTROL_KINDS, 'What the party is sent to'),
    id: Type.Optional(Uuid),
    number: Type.Optional(Number_),
  },
  {
    additionalProperties: false,
    description: 'Where the party goes: `{kind, id}`, or `{kind: "number", number}`',
  },
);
type ControlDestinationBody = Static<typeof ControlDestinationSchema>;

/** The body's destination as the PBX takes it; a missing or extra field is named. */
function destinationOf(d: ControlDestinationBody, field: string): ControlDestination {
  if (d.kind === 'number') {
    if (d.number === undefined)
      throw new ApiError('VALIDATION_FAILED', 'A number destination needs "number"', `${field}.number`);
    if (d.id !== undefined)
      throw new ApiError('VALIDATION_FAILED', 'A number destination has no "id"', `${field}.id`);
    return { kind: 'number', number: d.number };
  }
  if (d.id === undefined)
    throw new ApiError('VALIDATION_FAILED', `A ${d.kind} destination needs "id"`, `${field}.id`);
  if (d.number !== undefined)
    throw new ApiError('VALIDATION_FAILED', `A ${d.kind} destination has no "number"`, `${field}.number`);
  return { kind: d.kind, id: d.id };
}

/** The PBX's refusal as a problem naming the field it concerns. */
function refusal(r: ControlRefusal, field?: string): ApiError {
  // The tenant's limits (calls at once, trunk channels, minutes, spend) are not the node's fault.
  const limit = ['external-limit', 'channel-limit', 'minutes-cap', 'spend-cap'].includes(r.code);
  const code: ErrorCode = limit
    ? 'LIMIT_REACHED'
    : r.status === 404
      ? r.code === 'not-live'
        ? 'CALL_NOT_LIVE'
        : 'NOT_FOUND'
      : r.status === 403
        ? 'FORBIDDEN'
        : r.status === 409 || r.status === 480 || r.status === 486
          ? 'CONFLICT'
          : r.status >= 500
            ? 'CALLS_UNAVAILABLE'
            : 'VALIDATION_FAILED';
  return new ApiError(code, r.reason, r.field ?? field);
}

const CallParams = TenantIdParams;

export async function callControlExtraRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  /** For 'own' access: the call must have one of the user's extensions on it; returns them (undefined: any). */
  async function checkOwnCall(
    req: FastifyRequest,
    tenantId: string,
    id: string,
  ): Promise<string[] | undefined> {
    const own = await ownNumbers(store, req, tenantId);
    if (own === undefined) return undefined;
    const on = deps.callControl?.numbersOn?.(tenantId, id);
    // A call not live reads the same to everyone: nothing is told about other people's calls.
    if (!on) throw new ApiError('CALL_NOT_LIVE');
    if (!on.some((n) => own.includes(n)))
      throw new ApiError('FORBIDDEN', 'You may control calls your own extensions are on');
    return own;
  }

  app.post(
    '/api/v1/tenants/:tenantId/calls/originate',
    {
      config: { permission: 'calls.originate' },
      schema: {
        tags: ['calls'],
        summary:
          'Dial a customer; once they answer, route them to a queue, IVR menu, ring group, extension or number as if they had called in',
        params: TenantParams,
        body: Type.Object(
          {
            to: Number_,
            destination: ControlDestinationSchema,
            callerId: Type.Optional(
              Type.String({
                pattern: '^(\\+[1-9][0-9]{1,14}|anonymous)$',
                description:
                  "One of the company's numbers (E.164) or 'anonymous'; absent: the outbound route's",
              }),
            ),
            ringSec: Type.Optional(
              Type.Integer({
                minimum: 5,
                maximum: 120,
                description: "Seconds the customer's phone rings (45)",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            id: Type.String({
              description: "The call's record id: live views, events, hang-up and transfer use it",
            }),
            to: Type.String(),
          }),
        },
      },
    },
    async (req, reply) => {
      const { tenantId } = req.params;
      const { to, callerId, ringSec } = req.body;
      const destination = destinationOf(req.body.destination, 'destination');
      let onBehalfOf: string | undefined;
      if (req.access === 'own') {
        // A user routes customers to themselves only: the call is their own (their class and limits).
        const userId = principalOf(req).userId;
        const ext =
          destination.kind === 'extension'
            ? await store.tenant(tenantId).extensions.get(destination.id)
            : null;
        if (!ext || !userId || ext.userId !== userId)
          throw new ApiError(
            'FORBIDDEN',
            'Customers are put through to your own extensions only',
            'destination',
          );
        onBehalfOf = ext.id;
      }
      const originate = deps.callControl?.originate;
      if (!originate) throw new ApiError('CALLS_UNAVAILABLE');
      const r = await originate({ tenantId, to, destination, callerId, onBehalfOf, ringSec });
      if (!r.ok) throw refusal(r, 'to');
      reply.code(202);
      return { id: r.id, to };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/calls/:id/hangup',
    {
      config: { permission: 'calls.control' },
      schema: {
        tags: ['calls'],
        summary: 'End a live call: both parties get BYE (a caller still ringing gets its call refused)',
        params: CallParams,
        response: { 202: Type.Object({ id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { tenantId, id } = req.params;
      // A node that carries no calls has none live to end.
      const hangup = deps.callControl?.hangup;
      if (!hangup) throw new ApiError('CALL_NOT_LIVE');
      await checkOwnCall(req, tenantId, id);
      const r = await hangup(tenantId, id);
      if (r === false) throw new ApiError('CALL_NOT_LIVE');
      if (r !== true) throw refusal(r);
      reply.code(202);
      return { id };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/calls/:id/transfer',
    {
      config: { permission: 'calls.control' },
      schema: {
        tags: ['calls'],
        summary:
          'Blind-transfer one party of a live call to a number or a destination; the other party is hung up',
        params: CallParams,
        body: Type.Object(
          {
            side: literals(['caller', 'callee'] as const, 'The party that is sent on'),
            destination: Type.Union([Number_, ControlDestinationSchema], {
              description: 'A number as a phone would dial it, or `{kind, id}`',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ id: Type.String(), side: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { tenantId, id } = req.params;
      const { side } = req.body;
      const raw = req.body.destination;
      const to =
        typeof raw === 'string' ? { number: raw } : { destination: destinationOf(raw, 'destination') };
      const transfer = deps.callControl?.transfer;
      if (!transfer) throw new ApiError('CALL_NOT_LIVE');
      // A user's own extensions: an outside number is called in the name of the one let go.
      const own = await checkOwnCall(req, tenantId, id);
      const r = await transfer(tenantId, id, side, to, own);
      if (!r.ok) throw refusal(r);
      reply.code(202);
      return { id, side };
    },
  );
}
