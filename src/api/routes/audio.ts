/**
 * /api/v1/tenants/{tenantId}/audio: a tenant's own audio — uploads and browser
 * recordings used as IVR greetings and prompts. An upload is the file itself
 * (WAV, MP3 or Ogg Vorbis), converted to 8 kHz mono WAV; listening honours Range.
 * A file a menu plays cannot be deleted (409 naming the menus).
 */
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Type from 'typebox';
import type { AudioFile } from '../../store/schema.js';
import { AUDIO_TYPES, convertUpload, MAX_UPLOAD, sendWav, storeWav } from '../audio-files.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { audioUsers, loadWorld } from '../routing-checks.js';
import { TenantIdParams, TenantParams, Timestamp, Uuid } from '../schemas.js';

const AudioFileSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  durationMs: Type.Integer(),
  sizeBytes: Type.Integer(),
  createdAt: Timestamp,
});

const Name = Type.String({ minLength: 1, maxLength: 100 });

function view(f: AudioFile) {
  return {
    id: f.id,
    name: f.name,
    durationMs: f.durationMs,
    sizeBytes: f.sizeBytes,
    createdAt: f.createdAt.toISOString(),
  };
}

export async function audioRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const tags = ['routing'];
  const pathOf = (tenantId: string, id: string) => {
    if (!deps.audioDir) throw new ApiError('AUDIO_STORAGE_UNAVAILABLE');
    return join(deps.audioDir, tenantId, `${id}.wav`);
  };
  if (!app.hasContentTypeParser('audio/wav'))
    app.addContentTypeParser(AUDIO_TYPES, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD }, (_req, body, done) =>
      done(null, body),
    );

  app.get(
    '/api/v1/tenants/:tenantId/audio',
    {
      config: { permission: 'routing.read' },
      schema: {
        tags,
        summary: "The tenant's audio files",
        params: TenantParams,
        response: { 200: Type.Array(AudioFileSchema) },
      },
    },
    async (req) => (await store.tenant(req.params.tenantId).audioFiles.list()).map(view),
  );

  app.post(
    '/api/v1/tenants/:tenantId/audio',
    {
      config: { permission: 'routing.write' },
      schema: {
        tags,
        summary:
          'Upload audio (body: the file, WAV, MP3 or Ogg Vorbis; converted to 8 kHz mono WAV), named by ?name=',
        params: TenantParams,
        querystring: Type.Object({ name: Name }),
        response: { 201: AudioFileSchema },
      },
    },
    async (req, reply) => {
      const { wav, durationMs } = await convertUpload(req.body);
      const id = randomUUID();
      const path = pathOf(req.params.tenantId, id);
      // The file first, then its row: a row never names a file that is not there.
      await storeWav(path, wav);
      const scope = store.tenant(req.params.tenantId);
      const f = await scope.audioFiles
        .create({ id, name: req.query.name, durationMs, sizeBytes: (await stat(path)).size })
        .catch(async (e: unknown) => {
          await rm(path, { force: true });
          throw e;
        });
      await scope.audit.record(actorOf(req), {
        action: 'audio.create',
        resourceType: 'audio',
        resourceId: f.id,
        after: view(f),
      });
      reply.code(201);
      return view(f);
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/audio/:id',
    {
      config: { permission: 'routing.read' },
      schema: {
        tags,
        summary: 'Listen to an audio file (audio/wav; honours Range)',
        params: TenantIdParams,
      },
    },
    async (req, reply) => {
      const f = await store.tenant(req.params.tenantId).audioFiles.get(req.params.id);
      if (!f) throw notFound('Audio file');
      return sendWav(req, reply, pathOf(req.params.tenantId, f.id), 'Audio file');
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/audio/:id',
    {
      config: { permission: 'routing.write' },
      schema: {
        tags,
        summary: 'Rename an audio file',
        params: TenantIdParams,
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 200: AudioFileSchema },
      },
    },
    async (req) => {
      const f = await store.tenant(req.params.tenantId).audioFiles.rename(req.params.id, req.body.name);
      if (!f) throw notFound('Audio file');
      return view(f);
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/audio/:id',
    {
      config: { permission: 'routing.write' },
      schema: {
        tags,
        summary: 'Delete an audio file no menu plays',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const scope = store.tenant(req.params.tenantId);
      const f = await scope.audioFiles.get(req.params.id);
      if (!f) throw notFound('Audio file');
      const tenant = await store.tenants.get(req.params.tenantId);
      if (!tenant) throw notFound('Tenant');
      const users = audioUsers(await loadWorld(scope, tenant), f.id);
      if (users.length) throw new ApiError('CONFLICT', `Played by ${users.join(', ')}`);
      await scope.audioFiles.delete(f.id);
      await rm(pathOf(req.params.tenantId, f.id), { force: true });
      await scope.audit.record(actorOf(req), {
        action: 'audio.delete',
        resourceType: 'audio',
        resourceId: f.id,
        before: view(f),
      });
      reply.code(204);
      return null;
    },
  );
}
