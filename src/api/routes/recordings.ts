/**
 * /api/v1/tenants/{tenantId}/recordings: call recordings — listed, played with
 * HTTP Range, downloaded, deleted one by one or all of one customer's at once
 * (an erasure request under 152-FZ / GDPR); and the tenant's recording settings
 * (announcement, mono or stereo, retention). Managers reach every recording of
 * the tenant; a user reaches the recordings of calls their extensions were on.
 */

import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Recording, TenantRecording } from '../../store/schema.js';
import type { TenantScope } from '../../store/store.js';
import { sendAudio } from '../audio-files.js';
import { type Api, type ApiDeps, actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { ownNumbers } from '../own.js';
import { LINK_DAYS, RecordingLinks } from '../recording-links.js';
import { listQuery, pageOf, TenantIdParams, TenantParams, Timestamp, toListQuery, Uuid } from '../schemas.js';

const RecordingSchema = Type.Object({
  id: Uuid,
  callId: Uuid,
  status: Type.String({ description: 'recording (still being made) | stored' }),
  trigger: Type.String({
    description: 'policy (recorded from the answer) | onDemand (a party keyed the code)',
  }),
  mode: Type.String({ description: 'mixed (one channel) | stereo (caller left, callee right)' }),
  storage: Type.String({ description: 'disk | s3' }),
  caller: Type.String(),
  callee: Type.String(),
  parties: Type.Array(Type.String(), { description: "The tenant's extensions on the call" }),
  startedAt: Timestamp,
  endedAt: Type.Union([Timestamp, Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  pausedMs: Type.Integer({ description: 'Time paused, left out of the audio' }),
  bytes: Type.Union([Type.Integer(), Type.Null()]),
});

const SettingsSchema = Type.Object(
  {
    announce: Type.Boolean({
      description: 'Parties hear "this call may be recorded" when a recording by policy starts',
    }),
    mode: Type.Union([Type.Literal('mixed'), Type.Literal('stereo')], {
      description: 'One mixed channel, or stereo with the caller left and the callee right',
    }),
    retentionDays: Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()], {
      description: 'Recordings older than this are deleted (null: kept until deleted)',
    }),
  },
  { additionalProperties: false },
);

function view(r: Recording) {
  return {
    id: r.id,
    callId: r.callId,
    status: r.status,
    trigger: r.trigger,
    mode: r.mode,
    storage: r.storage,
    caller: r.caller,
    callee: r.callee,
    parties: r.parties,
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    durationMs: r.durationMs,
    pausedMs: r.pausedMs,
    bytes: r.bytes === null ? null : Number(r.bytes),
  };
}

export async function recordingRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const base = '/api/v1/tenants/:tenantId/recordings';
  const links = deps.recordingLinks ?? new RecordingLinks(store, `https://${deps.config.publicAddress}`);
  const tags = ['recordings'];

  /** A recording the caller may reach (a user: only calls of their own extensions). */
  async function recordingOf(req: FastifyRequest, scope: TenantScope, id: string): Promise<Recording> {
    const r = await scope.recordings.get(id);
    if (!r || r.status === 'deleted' || r.status === 'failed') throw notFound('Recording');
    const own = await ownNumbers(store, req, scope.tenantId);
    if (own && !r.parties.some((p) => own.includes(p))) throw notFound('Recording');
    return r;
  }

  /** Deletes the audio, then marks the row, with an audit entry; false when already gone. */
  async function erase(
    req: FastifyRequest,
    scope: TenantScope,
    r: Recording,
    reason: string,
  ): Promise<boolean> {
    const storage = deps.recordings;
    if (!storage) throw new ApiError('RECORDINGS_UNAVAILABLE');
    await storage.remove(r.key);
    return store.transaction(async (tx) => {
      const t = tx.tenant(scope.tenantId);
      if (!(await t.recordings.markDeleted(r.id, actorOf(req).label))) return false;
      await t.audit.record(actorOf(req), {
        action: 'recording.delete',
        resourceType: 'recording',
        resourceId: r.id,
        before: { callId: r.callId, caller: r.caller, callee: r.callee, startedAt: r.startedAt, reason },
      });
      return true;
    });
  }

  app.get(
    base,
    {
      config: { permission: 'recordings.read' },
      schema: {
        tags,
        summary:
          "Call recordings, newest first; q searches the numbers. A user sees the recordings of their extensions' calls.",
        params: TenantParams,
        querystring: listQuery(['startedAt', 'durationMs'], {
          callId: Type.Optional(Uuid),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
        }),
        response: { 200: pageOf(RecordingSchema) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.tenant(req.params.tenantId).recordings.list({
        ...toListQuery(q),
        callId: q.callId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        parties: await ownNumbers(store, req, req.params.tenantId),
      });
      return { ...page, items: page.items.map(view) };
    },
  );

  app.get(
    `${base}/:id`,
    {
      config: { permission: 'recordings.read' },
      schema: { tags, summary: 'A recording', params: TenantIdParams, response: { 200: RecordingSchema } },
    },
    async (req) => view(await recordingOf(req, store.tenant(req.params.tenantId), req.params.id)),
  );

  app.get(
    `${base}/:id/audio`,
    {
      config: { permission: 'recordings.read' },
      schema: {
        tags,
        summary: 'The audio (audio/wav); honours Range for seeking; ?download=true saves it as a file',
        params: TenantIdParams,
        querystring: Type.Object(
          { download: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const r = await recordingOf(req, store.tenant(req.params.tenantId), req.params.id);
      const storage = deps.recordings;
      if (!storage) throw new ApiError('RECORDINGS_UNAVAILABLE');
      if (r.status !== 'stored') throw new ApiError('RECORDING_IN_PROGRESS');
      const size = await storage.size(r.key);
      if (size === null) throw notFound('Recording audio');
      const name = `call-${r.startedAt.toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${r.caller}-${r.callee}.wav`;
      return sendAudio(
        req,
        reply,
        size,
        async (range) => (await storage.read(r.key, range)).body,
        req.query.download ? name.replace(/[^\w.+-]/g, '_') : null,
      );
    },
  );

  app.post(
    `${base}/:id/link`,
    {
      config: { permission: 'recordings.read' },
      schema: {
        tags,
        summary: `A link to the audio that works without signing in for ${LINK_DAYS} days (for a CRM, a ticket or a colleague)`,
        params: TenantIdParams,
        response: { 200: Type.Object({ url: Type.String(), expiresAt: Timestamp }) },
      },
    },
    async (req) => {
      const r = await recordingOf(req, store.tenant(req.params.tenantId), req.params.id);
      const now = new Date();
      return {
        url: await links.url(r.id, now),
        expiresAt: new Date(now.getTime() + LINK_DAYS * 86400_000).toISOString(),
      };
    },
  );

  app.get(
    '/api/v1/recording-links/:token',
    {
      config: { public: true },
      schema: {
        tags,
        summary:
          'The audio a signed recording link names (audio/wav, honours Range); 404 once expired or deleted',
        params: Type.Object({ token: Type.String({ maxLength: 200 }) }),
      },
    },
    async (req, reply) => {
      const id = await links.verify(req.params.token);
      const r = id ? await store.recordingLog.byId(id) : undefined;
      // A forged or expired link and a deleted recording look the same.
      if (!r || (r.status !== 'stored' && r.status !== 'recording')) throw notFound('Recording');
      if (r.status !== 'stored') throw new ApiError('RECORDING_IN_PROGRESS');
      const storage = deps.recordings;
      if (!storage) throw new ApiError('RECORDINGS_UNAVAILABLE');
      const size = await storage.size(r.key);
      if (size === null) throw notFound('Recording');
      return sendAudio(req, reply, size, async (range) => (await storage.read(r.key, range)).body);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: { permission: 'recordings.delete' },
      schema: {
        tags,
        summary: 'Delete a recording (its audio is removed at once; the audit log keeps who and when)',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const scope = store.tenant(req.params.tenantId);
      const r = await recordingOf(req, scope, req.params.id);
      if (r.status !== 'stored') throw new ApiError('RECORDING_IN_PROGRESS');
      if (!(await erase(req, scope, r, 'deleted by hand'))) throw notFound('Recording');
      reply.code(204);
      return null;
    },
  );

  app.post(
    `${base}/erase`,
    {
      config: { permission: 'recordings.delete' },
      schema: {
        tags,
        summary:
          "Delete every stored recording of calls with an outside number (a customer's erasure request, 152-FZ / GDPR)",
        params: TenantParams,
        body: Type.Object(
          { number: Type.String({ minLength: 2, maxLength: 40, pattern: '^\\+?[0-9*#]+$' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ deleted: Type.Integer() }) },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      let deleted = 0;
      for (;;) {
        const batch = await scope.recordings.storedWithNumber(req.body.number, 100);
        for (const r of batch)
          if (await erase(req, scope, r, `erasure request for ${req.body.number}`)) deleted++;
        if (batch.length < 100) return { deleted };
      }
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/recording-settings',
    {
      config: { permission: 'tenants.read' },
      schema: {
        tags,
        summary:
          "The tenant's recording settings (who is recorded is set per extension, queue and inbound route)",
        params: TenantParams,
        response: { 200: SettingsSchema },
      },
    },
    async (req) => {
      const t = await store.tenants.get(req.params.tenantId);
      if (!t) throw notFound('Tenant');
      return t.recording;
    },
  );

  app.put(
    '/api/v1/tenants/:tenantId/recording-settings',
    {
      config: { permission: 'recordings.manage' },
      schema: {
        tags,
        summary:
          'Change the announcement, the file layout (mixed or stereo) and how long recordings are kept',
        params: TenantParams,
        body: SettingsSchema,
        response: { 200: SettingsSchema },
      },
    },
    async (req) => {
      const after: TenantRecording = req.body;
      await store.transaction(async (tx) => {
        const before = await tx.tenants.get(req.params.tenantId);
        if (!before) throw notFound('Tenant');
        await tx.tenants.setRecording(req.params.tenantId, after);
        await tx.tenant(req.params.tenantId).audit.record(actorOf(req), {
          action: 'tenant.recording',
          resourceType: 'tenant',
          resourceId: req.params.tenantId,
          before: { ...before.recording },
          after: { ...after },
        });
      });
      await deps.onTenantChange?.(req.params.tenantId);
      return after;
    },
  );
}
