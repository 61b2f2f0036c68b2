/** /api/v1/tenants/{tenantId}/extensions: internal numbers, their SIP credentials and call settings. */
import { rm } from 'node:fs/promises';
import Type from 'typebox';
import { VoicemailFiles } from '../../pbx/voicemail/files.js';
import { NO_FORWARDING } from '../../store/repositories/extensions.js';
import type { Extension, Forwarding } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { hashPassword } from '../../util/password-hash.js';
import { generateSipSecret } from '../../util/secrets.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf, principalOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { assertNoLoop, checkCallRules, loadWorld, referrersOf } from '../routing-checks.js';
import {
  CallClassSchema,
  CallRulesSchema,
  DisplayName,
  ExtensionNumber,
  ExtensionRecordingSchema,
  ExtensionSchema,
  ForwardingPatchSchema,
  listQuery,
  PresenceStatusSchema,
  pageOf,
  SipSecret,
  TenantIdParams,
  TenantParams,
  toListQuery,
  Uuid,
  VoicemailPin,
} from '../schemas.js';
import { assertForwarding, assertOwnNumber } from '../validate.js';
import { auditSnapshot, extensionView } from '../views.js';

const RingTimeout = Type.Integer({
  minimum: 5,
  maximum: 300,
  description: 'Seconds to ring before no-answer',
});

const settable = {
  displayName: Type.Optional(DisplayName),
  userId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Owning portal user' })),
  voicemailEnabled: Type.Optional(Type.Boolean()),
  voicemailPin: Type.Optional(Type.Union([VoicemailPin, Type.Null()])),
  callClass: Type.Optional(CallClassSchema),
  dnd: Type.Optional(Type.Boolean({ description: 'Do not disturb' })),
  ringTimeoutSec: Type.Optional(RingTimeout),
  forwarding: Type.Optional(ForwardingPatchSchema),
  status: Type.Optional(PresenceStatusSchema),
  callWaiting: Type.Optional(Type.Boolean({ description: 'A second call rings while on the phone' })),
  callRules: Type.Optional(CallRulesSchema),
  outboundCallerId: Type.Optional(
    Type.Union([Type.String({ pattern: '^(\\+[1-9][0-9]{1,14}|anonymous)$' }), Type.Null()], {
      description: "One of the tenant's numbers, or 'anonymous' to withhold it (null: the tenant's default)",
    }),
  ),
  maxExternalCalls: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1000 }), Type.Null()])),
  recording: Type.Optional(ExtensionRecordingSchema),
  externalBlocked: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
      description:
        "Stops the extension's external calls, saying why (null clears it, and the fraud rule's block)",
    }),
  ),
};

const CreateExtension = Type.Object(
  { number: ExtensionNumber, sipSecret: Type.Optional(SipSecret), ...settable },
  { additionalProperties: false },
);
const PatchExtension = Type.Object(
  { number: Type.Optional(ExtensionNumber), ...settable },
  { additionalProperties: false },
);

/** What a user may change on their own extension. */
const OWNER_FIELDS = new Set([
  'dnd',
  'forwarding',
  'voicemailPin',
  'voicemailEnabled',
  'ringTimeoutSec',
  'status',
  'callWaiting',
  'callRules',
]);

const WithSecret = Type.Intersect([
  ExtensionSchema,
  Type.Object({ sipSecret: Type.String({ description: 'SIP password: shown only now' }) }),
]);

/** The version of an extension a client holds (RFC 9110 §8.8.3): its last change, to the millisecond. */
export function etagOf(e: { updatedAt: Date }): string {
  return `"${e.updatedAt.getTime()}"`;
}

function mergeForwarding(base: Forwarding, patch: Partial<Forwarding> | undefined): Forwarding {
  const merged = { ...base, ...(patch ?? {}) };
  assertForwarding(merged);
  return merged;
}

/**
 * After an extension changed (inside the transaction): its new number must be free,
 * its old one not still dialled by routing, and its forwarding must not make a loop.
 */
async function assertRoutingStillHolds(
  tx: Store,
  tenantId: string,
  before: Extension,
  after: Extension,
): Promise<void> {
  const tenant = await tx.tenants.get(tenantId);
  if (!tenant) throw notFound('Tenant');
  const scope = tx.tenant(tenantId);
  const world = await loadWorld(scope, tenant);
  if (after.number !== before.number) {
    const taken = await scope.routing.byNumber(after.number);
    if (taken) throw new ApiError('CONFLICT', `${after.number} is taken by "${taken.name}"`, 'number');
    const users = referrersOf(world, { id: '', number: before.number });
    if (users.length)
      throw new ApiError('CONFLICT', `${before.number} is still dialled by ${users.join(', ')}`, 'number');
  }
  assertNoLoop(world, {
    kind: 'extension',
    id: after.id,
    name: after.number,
    number: after.number,
    config: null,
  });
  checkCallRules(world, after);
}

export async function extensionRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const voicemailFiles = deps.voicemail ? new VoicemailFiles(deps.voicemail.dir) : null;
  const { store } = deps;

  app.get(
    '/api/v1/tenants/:tenantId/extensions',
    {
      config: { permission: 'extensions.read' },
      schema: {
        tags: ['extensions'],
        summary: "List the tenant's extensions",
        params: TenantParams,
        querystring: listQuery(['number', 'displayName', 'createdAt'], {
          userId: Type.Optional(Uuid),
          dnd: Type.Optional(Type.Boolean()),
          callClass: Type.Optional(CallClassSchema),
        }),
        response: { 200: pageOf(ExtensionSchema) },
      },
    },
    async (req) => {
      const { userId, dnd, callClass } = req.query;
      const page = await store
        .tenant(req.params.tenantId)
        .extensions.list({ ...toListQuery(req.query), userId, dnd, callClass });
      return { ...page, items: page.items.map(extensionView) };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/extensions/:id',
    {
      config: { permission: 'extensions.read' },
      schema: {
        tags: ['extensions'],
        summary: 'Get an extension',
        params: TenantIdParams,
        response: { 200: ExtensionSchema },
      },
    },
    async (req, reply) => {
      const ext = await store.tenant(req.params.tenantId).extensions.get(req.params.id);
      if (!ext) throw notFound('Extension');
      reply.header('etag', etagOf(ext));
      return extensionView(ext);
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/extensions',
    {
      config: { permission: 'extensions.create' },
      schema: {
        tags: ['extensions'],
        summary: 'Create an extension with a given SIP secret or a generated one (returned once)',
        params: TenantParams,
        body: CreateExtension,
        response: { 201: WithSecret },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const forwarding = mergeForwarding(NO_FORWARDING, b.forwarding);
      const sipSecret = b.sipSecret ?? generateSipSecret();
      // The voicemail PIN is kept as a hash, on the extension's mailbox (and mirrored here).
      const pinHash = b.voicemailPin ? await hashPassword(b.voicemailPin) : null;
      const ext = await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const taken = await scope.routing.byNumber(b.number);
        if (taken) throw new ApiError('CONFLICT', `${b.number} is taken by "${taken.name}"`, 'number');
        if (b.outboundCallerId && b.outboundCallerId !== 'anonymous')
          await assertOwnNumber(tx, req.params.tenantId, b.outboundCallerId, 'outboundCallerId');
        const created = await scope.extensions.create({
          number: b.number,
          displayName: b.displayName ?? '',
          userId: b.userId ?? null,
          sipSecret,
          voicemailEnabled: b.voicemailEnabled ?? true,
          voicemailPin: pinHash,
          callClass: b.callClass ?? 'national',
          dnd: b.dnd ?? false,
          ringTimeoutSec: b.ringTimeoutSec ?? 25,
          forwarding,
          ...(b.status ? { status: b.status } : {}),
          ...(b.callWaiting !== undefined ? { callWaiting: b.callWaiting } : {}),
          ...(b.callRules ? { callRules: b.callRules } : {}),
          ...(b.outboundCallerId !== undefined ? { outboundCallerId: b.outboundCallerId } : {}),
          ...(b.maxExternalCalls !== undefined ? { maxExternalCalls: b.maxExternalCalls } : {}),
          ...(b.recording ? { recording: b.recording } : {}),
        });
        await scope.voicemail.ensureForExtension(created.id);
        if (pinHash) await scope.voicemail.setPinHash(created.id, pinHash);
        if (b.callRules) {
          const tenant = await tx.tenants.get(req.params.tenantId);
          if (tenant) checkCallRules(await loadWorld(scope, tenant), created);
        }
        await scope.audit.record(actorOf(req), {
          action: 'extension.create',
          resourceType: 'extension',
          resourceId: created.id,
          after: auditSnapshot(extensionView(created)),
        });
        return created;
      });
      reply.code(201);
      return { ...extensionView(ext), sipSecret };
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/extensions/:id',
    {
      config: { permission: 'extensions.update' },
      schema: {
        tags: ['extensions'],
        summary: 'Change an extension (users: DND, forwarding and voicemail of their own)',
        params: TenantIdParams,
        body: PatchExtension,
        response: { 200: ExtensionSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const principal = principalOf(req);
      const pinHash = b.voicemailPin ? await hashPassword(b.voicemailPin) : b.voicemailPin;
      return store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.extensions.get(req.params.id);
        if (!before) throw notFound('Extension');
        // A form saved over a change made meanwhile (DND dialled on the phone, another admin) is refused.
        const ifMatch = req.headers['if-match'];
        if (
          ifMatch !== undefined &&
          ifMatch !== '*' &&
          !ifMatch
            .split(',')
            .map((t) => t.trim())
            .includes(etagOf(before))
        )
          throw new ApiError('PRECONDITION_FAILED', 'The extension was changed meanwhile');
        if (req.access === 'own') {
          if (before.userId === null || before.userId !== principal.userId) {
            throw new ApiError('FORBIDDEN', 'You may change only your own extension');
          }
          const denied = Object.keys(b).find((k) => !OWNER_FIELDS.has(k));
          if (denied)
            throw new ApiError('FIELD_FORBIDDEN', `Only an administrator may change ${denied}`, denied);
        }
        const { forwarding, voicemailPin: _pin, ...rest } = b;
        if (b.outboundCallerId && b.outboundCallerId !== 'anonymous')
          await assertOwnNumber(tx, req.params.tenantId, b.outboundCallerId, 'outboundCallerId');
        if (pinHash !== undefined) {
          await scope.voicemail.ensureForExtension(before.id);
          await scope.voicemail.setPinHash(before.id, pinHash);
        }
        const after = await scope.extensions.update(before.id, {
          ...rest,
          ...(forwarding ? { forwarding: mergeForwarding(before.forwarding, forwarding) } : {}),
        });
        if (!after) throw notFound('Extension');
        await assertRoutingStillHolds(tx, req.params.tenantId, before, after);
        await scope.audit.record(actorOf(req), {
          action: 'extension.update',
          resourceType: 'extension',
          resourceId: before.id,
          before: auditSnapshot(extensionView(before)),
          after: auditSnapshot(extensionView(after)),
        });
        reply.header('etag', etagOf(after));
        return extensionView(after);
      });
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/extensions/:id/reset-secret',
    {
      config: { permission: 'extensions.resetSecret' },
      // The body is optional: none (or {}) means "generate one".
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        tags: ['extensions'],
        summary: 'Set a new SIP secret (given, or generated and returned once)',
        params: TenantIdParams,
        body: Type.Object({ sipSecret: Type.Optional(SipSecret) }, { additionalProperties: false }),
        response: { 200: WithSecret },
      },
    },
    async (req) => {
      const sipSecret = req.body.sipSecret ?? generateSipSecret();
      return store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const after = await scope.extensions.update(req.params.id, { sipSecret });
        if (!after) throw notFound('Extension');
        await scope.audit.record(actorOf(req), {
          action: 'extension.resetSecret',
          resourceType: 'extension',
          resourceId: after.id,
          after: { sipSecretChanged: true },
        });
        return { ...extensionView(after), sipSecret };
      });
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/extensions/:id',
    {
      config: { permission: 'extensions.delete' },
      schema: {
        tags: ['extensions'],
        summary: 'Delete an extension',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const before = await scope.extensions.get(req.params.id);
        if (!before) throw notFound('Extension');
        const tenant = await tx.tenants.get(req.params.tenantId);
        const users = tenant ? referrersOf(await loadWorld(scope, tenant), before) : [];
        if (users.length)
          throw new ApiError('CONFLICT', `Extension ${before.number} is used by ${users.join(', ')}`);
        if (!(await scope.extensions.delete(before.id))) throw notFound('Extension');
        await scope.audit.record(actorOf(req), {
          action: 'extension.delete',
          resourceType: 'extension',
          resourceId: req.params.id,
          before: auditSnapshot(extensionView(before)),
        });
      });
      // Its mailbox went with it (cascade): its messages and greetings on disk go too.
      if (voicemailFiles)
        await rm(voicemailFiles.boxDir(req.params.tenantId, req.params.id), { recursive: true, force: true });
      reply.code(204);
      return null;
    },
  );
}
