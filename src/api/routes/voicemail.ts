/**
 * /api/v1/tenants/{tenantId}/voicemail: mailboxes (an extension's own, whose id
 * is the extension's, and shared group mailboxes), their settings and greetings,
 * and messages — listed, streamed with HTTP Range, downloaded, marked heard,
 * moved between folders, deleted. Users reach the mailboxes of their own
 * extensions and the group mailboxes they are members of; admins reach all.
 * Every change that moves a mailbox's counts updates its message-waiting lamp.
 */
import { rm } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { VoicemailFiles } from '../../pbx/voicemail/files.js';
import {
  GREETING_KINDS,
  type GreetingKind,
  VOICEMAIL_FOLDERS,
  type VoicemailBox,
  type VoicemailMessage,
} from '../../store/schema.js';
import type { TenantScope } from '../../store/store.js';
import { hashPassword } from '../../util/password-hash.js';
import { AUDIO_TYPES, convertUpload, MAX_UPLOAD, sendWav, storeWav } from '../audio-files.js';
import type { Api, ApiDeps } from '../context.js';
import { actorOf, principalOf } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import {
  ExtensionNumber,
  pageOf,
  TenantIdParams,
  TenantParams,
  Timestamp,
  Uuid,
  VoicemailPin,
} from '../schemas.js';

const Folder = Type.Union(
  VOICEMAIL_FOLDERS.map((f) => Type.Literal(f)),
  { description: 'inbox (new and heard) or saved' },
);

const settings = {
  email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()])),
  attachAudio: Type.Optional(Type.Boolean({ description: 'Attach the audio to the email' })),
  attachFormat: Type.Optional(
    Type.Union([Type.Literal('wav'), Type.Literal('mp3')], {
      description: 'The attached audio: WAV as recorded, or MP3 (about a tenth of the size)',
    }),
  ),
  deleteAfterEmail: Type.Optional(Type.Boolean({ description: 'Delete the message once emailed' })),
  maxMessageSec: Type.Optional(Type.Integer({ minimum: 10, maximum: 3600 })),
  quota: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'Most messages kept' })),
  greeting: Type.Optional(
    Type.Union([Type.Literal('recorded'), Type.Literal('generated')], {
      description: 'recorded: the recorded greeting where there is one; generated: always the spoken default',
    }),
  ),
  pin: Type.Optional(Type.Union([VoicemailPin, Type.Null()])),
};
const groupFields = {
  name: Type.Optional(Type.String({ maxLength: 100 })),
  members: Type.Optional(
    Type.Array(ExtensionNumber, { maxItems: 100, description: 'Extensions who may listen' }),
  ),
};

const BoxSchema = Type.Object({
  id: Uuid,
  tenantId: Uuid,
  kind: Type.Union([Type.Literal('extension'), Type.Literal('group')]),
  extensionId: Type.Union([Uuid, Type.Null()]),
  number: Type.String(),
  name: Type.String(),
  members: Type.Array(Type.String()),
  hasPin: Type.Boolean(),
  email: Type.Union([Type.String(), Type.Null()]),
  attachAudio: Type.Boolean(),
  attachFormat: Type.Union([Type.Literal('wav'), Type.Literal('mp3')]),
  deleteAfterEmail: Type.Boolean(),
  maxMessageSec: Type.Integer(),
  quota: Type.Integer(),
  greeting: Type.String(),
  greetings: Type.Object({
    unavailable: Type.Boolean(),
    busy: Type.Boolean(),
    temporary: Type.Boolean(),
    name: Type.Boolean(),
  }),
  newMessages: Type.Integer(),
  totalMessages: Type.Integer(),
});

const MessageSchema = Type.Object({
  id: Uuid,
  boxId: Uuid,
  caller: Type.String(),
  callerName: Type.String(),
  durationMs: Type.Integer(),
  sizeBytes: Type.Integer(),
  receivedAt: Timestamp,
  folder: Type.String(),
  heard: Type.Boolean(),
  transcript: Type.Union([Type.String(), Type.Null()], {
    description: 'The message as text, when transcribed',
  }),
  transcriptStatus: Type.String({ description: 'none | pending | done | failed' }),
});

const GreetingParams = Type.Object({
  tenantId: Uuid,
  id: Uuid,
  kind: Type.String({ description: 'unavailable, busy, temporary or name' }),
});

function messageView(m: VoicemailMessage) {
  return {
    id: m.id,
    boxId: m.boxId,
    caller: m.caller,
    callerName: m.callerName,
    durationMs: m.durationMs,
    sizeBytes: m.sizeBytes,
    receivedAt: m.receivedAt.toISOString(),
    folder: m.folder,
    heard: m.heard,
    transcript: m.transcript,
    transcriptStatus: m.transcriptStatus,
  };
}

export async function voicemailRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const files = deps.voicemail ? new VoicemailFiles(deps.voicemail.dir) : null;
  const needFiles = (): VoicemailFiles => {
    if (!files) throw new ApiError('VOICEMAIL_UNAVAILABLE');
    return files;
  };
  const lamp = (tenantId: string, boxId: string) => deps.voicemail?.changed(tenantId, boxId);

  if (!app.hasContentTypeParser('audio/wav'))
    app.addContentTypeParser(AUDIO_TYPES, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD }, (_req, body, done) =>
      done(null, body),
    );

  /** Who the request may see: null for everyone (admins), else its extensions' ids and numbers. */
  async function ownership(req: FastifyRequest, scope: TenantScope) {
    if (req.access !== 'own') return null;
    const userId = principalOf(req).userId;
    if (!userId) return { ids: new Set<string>(), numbers: new Set<string>() };
    const own = await scope.extensions.list({ userId, limit: 1000, offset: 0 });
    return { ids: new Set(own.items.map((e) => e.id)), numbers: new Set(own.items.map((e) => e.number)) };
  }

  function mayUse(own: Awaited<ReturnType<typeof ownership>>, box: VoicemailBox): boolean {
    if (!own) return true;
    if (box.extensionId) return own.ids.has(box.extensionId);
    return box.members.some((n) => own.numbers.has(n));
  }

  /** The mailbox `id` names (an extension's has the extension's id), if the request may use it; else 404. */
  async function boxOf(req: FastifyRequest, scope: TenantScope, id: string): Promise<VoicemailBox> {
    const box = await scope.voicemail.getBox(id);
    if (!box || !mayUse(await ownership(req, scope), box)) throw notFound('Mailbox');
    return box;
  }

  async function messageOf(req: FastifyRequest, scope: TenantScope, id: string): Promise<VoicemailMessage> {
    const m = await scope.voicemail.getMessage(id);
    const box = m && (await scope.voicemail.getBox(m.boxId));
    if (!m || !box || !mayUse(await ownership(req, scope), box)) throw notFound('Message');
    return m;
  }

  async function boxView(scope: TenantScope, box: VoicemailBox) {
    const ext = box.extensionId ? await scope.extensions.get(box.extensionId) : undefined;
    const c = await scope.voicemail.counts(box.id);
    return {
      id: box.id,
      tenantId: box.tenantId,
      kind: box.extensionId ? ('extension' as const) : ('group' as const),
      extensionId: box.extensionId,
      number: box.number ?? ext?.number ?? '',
      name: box.name || ext?.displayName || '',
      members: box.members,
      hasPin: box.pinHash !== null,
      email: box.email,
      attachAudio: box.attachAudio,
      attachFormat: box.attachFormat,
      deleteAfterEmail: box.deleteAfterEmail,
      maxMessageSec: box.maxMessageSec,
      quota: box.quota,
      greeting: box.greeting,
      greetings: {
        unavailable: !!box.greetings.unavailable,
        busy: !!box.greetings.busy,
        temporary: !!box.greetings.temporary,
        name: !!box.greetings.name,
      },
      newMessages: c.fresh,
      totalMessages: c.total,
    };
  }

  /** A group mailbox's number must be free, and its members extensions of the tenant. */
  async function checkGroup(
    scope: TenantScope,
    number: string | undefined,
    members: string[] | undefined,
    self: string | null,
  ) {
    if (number !== undefined) {
      if (await scope.extensions.getByNumber(number))
        throw new ApiError('CONFLICT', `${number} is an extension`, 'number');
      const taken = await scope.routing.byNumber(number);
      if (taken) throw new ApiError('CONFLICT', `${number} is taken by "${taken.name}"`, 'number');
      const other = await scope.voicemail.boxByNumber(number);
      if (other && other.id !== self)
        throw new ApiError('CONFLICT', `${number} is another mailbox`, 'number');
    }
    for (const [i, n] of (members ?? []).entries())
      if (!(await scope.extensions.getByNumber(n)))
        throw new ApiError('VALIDATION_FAILED', `${n} is not an extension of this tenant`, `members.${i}`);
  }

  app.get(
    '/api/v1/tenants/:tenantId/voicemail/boxes',
    {
      config: { permission: 'voicemail.read' },
      schema: {
        tags: ['voicemail'],
        summary: 'Mailboxes: every extension’s and the group mailboxes (users: their own)',
        params: TenantParams,
        response: { 200: Type.Object({ items: Type.Array(BoxSchema) }) },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      const own = await ownership(req, scope);
      const boxes = (await scope.voicemail.listBoxes()).filter((b) => mayUse(own, b));
      return { items: await Promise.all(boxes.map((b) => boxView(scope, b))) };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/voicemail/boxes/:id',
    {
      config: { permission: 'voicemail.read' },
      schema: {
        tags: ['voicemail'],
        summary: 'A mailbox (an extension’s has the extension’s id)',
        params: TenantIdParams,
        response: { 200: BoxSchema },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      return boxView(scope, await boxOf(req, scope, req.params.id));
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/voicemail/boxes',
    {
      config: { permission: 'voicemail.manage' },
      schema: {
        tags: ['voicemail'],
        summary: 'Create a shared group mailbox with its own number',
        params: TenantParams,
        body: Type.Object(
          { number: ExtensionNumber, ...groupFields, ...settings },
          { additionalProperties: false },
        ),
        response: { 201: BoxSchema },
      },
    },
    async (req, reply) => {
      const { pin, number, ...rest } = req.body;
      const pinHash = pin ? await hashPassword(pin) : null;
      const view = await store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        await checkGroup(scope, number, rest.members, null);
        const box = await scope.voicemail.createGroup(number, rest);
        if (pinHash) await scope.voicemail.setPinHash(box.id, pinHash);
        await scope.audit.record(actorOf(req), {
          action: 'voicemail.create',
          resourceType: 'voicemailBox',
          resourceId: box.id,
          after: { number, ...rest, pin: pinHash ? 'set' : null },
        });
        return boxView(scope, (await scope.voicemail.getBox(box.id)) ?? box);
      });
      reply.code(201);
      return view;
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/voicemail/boxes/:id',
    {
      config: { permission: 'voicemail.write' },
      schema: {
        tags: ['voicemail'],
        summary: 'Change a mailbox’s settings and PIN (users: their own; name, number and members: admins)',
        params: TenantIdParams,
        body: Type.Object(
          { number: Type.Optional(ExtensionNumber), ...groupFields, ...settings },
          { additionalProperties: false },
        ),
        response: { 200: BoxSchema },
      },
    },
    async (req) => {
      const { pin, ...rest } = req.body;
      const pinHash = pin ? await hashPassword(pin) : pin;
      return store.transaction(async (tx) => {
        const scope = tx.tenant(req.params.tenantId);
        const box = await boxOf(req, scope, req.params.id);
        for (const f of ['number', 'name', 'members'] as const) {
          if (rest[f] === undefined) continue;
          if (req.access === 'own')
            throw new ApiError('FIELD_FORBIDDEN', `Only an administrator may change ${f}`, f);
          if (box.extensionId && f !== 'name')
            throw new ApiError('VALIDATION_FAILED', `An extension's mailbox has no ${f} of its own`, f);
        }
        if (!box.extensionId) await checkGroup(scope, rest.number, rest.members, box.id);
        await scope.voicemail.updateBox(box.id, rest);
        if (pinHash !== undefined) await scope.voicemail.setPinHash(box.id, pinHash);
        await scope.audit.record(actorOf(req), {
          action: 'voicemail.update',
          resourceType: 'voicemailBox',
          resourceId: box.id,
          after: { ...rest, ...(pin !== undefined ? { pin: pin ? 'changed' : 'removed' } : {}) },
        });
        return boxView(scope, (await scope.voicemail.getBox(box.id)) ?? box);
      });
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/voicemail/boxes/:id',
    {
      config: { permission: 'voicemail.manage' },
      schema: {
        tags: ['voicemail'],
        summary: 'Delete a group mailbox and its messages (an extension’s goes with the extension)',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const scope = store.tenant(req.params.tenantId);
      const box = await scope.voicemail.getBox(req.params.id);
      if (!box) throw notFound('Mailbox');
      if (box.extensionId)
        throw new ApiError('CONFLICT', 'An extension’s mailbox is deleted with the extension');
      const routes = (await scope.routing.all()).filter((o) => JSON.stringify(o.config).includes(box.id));
      if (routes.length)
        throw new ApiError(
          'CONFLICT',
          `The mailbox is used by ${routes.map((o) => `"${o.name}"`).join(', ')}`,
        );
      await store.transaction(async (tx) => {
        const s = tx.tenant(req.params.tenantId);
        await s.voicemail.deleteBox(box.id);
        await s.audit.record(actorOf(req), {
          action: 'voicemail.delete',
          resourceType: 'voicemailBox',
          resourceId: box.id,
          before: { number: box.number, name: box.name },
        });
      });
      if (files) await rm(files.boxDir(req.params.tenantId, box.id), { recursive: true, force: true });
      reply.code(204);
      return null;
    },
  );

  const greetingKind = (kind: string): GreetingKind => {
    if (!(GREETING_KINDS as readonly string[]).includes(kind))
      throw new ApiError('VALIDATION_FAILED', `Greetings are ${GREETING_KINDS.join(', ')}`, 'kind');
    return kind as GreetingKind;
  };

  app.get(
    '/api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind',
    {
      config: { permission: 'voicemail.read' },
      schema: {
        tags: ['voicemail'],
        summary: 'Listen to a greeting as callers hear it (audio/wav; honours Range)',
        params: GreetingParams,
      },
    },
    async (req, reply) => {
      const scope = store.tenant(req.params.tenantId);
      const box = await boxOf(req, scope, req.params.id);
      const kind = greetingKind(req.params.kind);
      return sendWav(req, reply, needFiles().greetingPath(req.params.tenantId, box.id, kind), 'Greeting');
    },
  );

  app.put(
    '/api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind',
    {
      config: { permission: 'voicemail.write' },
      schema: {
        tags: ['voicemail'],
        summary:
          'Upload a greeting (body: the audio, WAV, MP3 or Ogg Vorbis; converted to 8 kHz mono WAV). The temporary greeting overrides the others while it exists',
        params: GreetingParams,
        response: { 200: BoxSchema },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      const box = await boxOf(req, scope, req.params.id);
      const kind = greetingKind(req.params.kind);
      const f = needFiles();
      const { wav } = await convertUpload(req.body);
      await storeWav(f.greetingPath(req.params.tenantId, box.id, kind), wav);
      const after = await scope.voicemail.setGreeting(box.id, kind, true);
      await scope.audit.record(actorOf(req), {
        action: 'voicemail.greeting',
        resourceType: 'voicemailBox',
        resourceId: box.id,
        after: { [kind]: 'uploaded' },
      });
      return boxView(scope, after ?? box);
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind',
    {
      config: { permission: 'voicemail.write' },
      schema: {
        tags: ['voicemail'],
        summary: 'Remove a greeting (callers hear the next one in line, or the spoken default)',
        params: GreetingParams,
        response: { 200: BoxSchema },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      const box = await boxOf(req, scope, req.params.id);
      const kind = greetingKind(req.params.kind);
      if (files) await rm(files.greetingPath(req.params.tenantId, box.id, kind), { force: true });
      const after = await scope.voicemail.setGreeting(box.id, kind, false);
      return boxView(scope, after ?? box);
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/voicemail/messages',
    {
      config: { permission: 'voicemail.read' },
      schema: {
        tags: ['voicemail'],
        summary: 'Messages, newest first (of one mailbox, or of every mailbox the caller may use)',
        params: TenantParams,
        querystring: Type.Object(
          {
            boxId: Type.Optional(Uuid),
            folder: Type.Optional(Folder),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(MessageSchema) },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      const own = await ownership(req, scope);
      const q = req.query;
      const boxIds = q.boxId
        ? [(await boxOf(req, scope, q.boxId)).id]
        : (await scope.voicemail.listBoxes()).filter((b) => mayUse(own, b)).map((b) => b.id);
      const page = await scope.voicemail.listMessages({
        boxIds,
        folder: q.folder,
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
      return { ...page, items: page.items.map(messageView) };
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/voicemail/messages/:id',
    {
      config: { permission: 'voicemail.read' },
      schema: {
        tags: ['voicemail'],
        summary: 'A message',
        params: TenantIdParams,
        response: { 200: MessageSchema },
      },
    },
    async (req) => messageView(await messageOf(req, store.tenant(req.params.tenantId), req.params.id)),
  );

  app.get(
    '/api/v1/tenants/:tenantId/voicemail/messages/:id/audio',
    {
      config: { permission: 'voicemail.read' },
      schema: {
        tags: ['voicemail'],
        summary:
          'The message’s audio (audio/wav); honours Range for seeking; ?download=true saves it as a file',
        params: TenantIdParams,
        querystring: Type.Object({ download: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req, reply) => {
      const m = await messageOf(req, store.tenant(req.params.tenantId), req.params.id);
      const path = needFiles().messagePath(req.params.tenantId, m.boxId, m.id);
      return sendWav(
        req,
        reply,
        path,
        'Message audio',
        req.query.download
          ? `voicemail-${m.receivedAt.toISOString().slice(0, 19).replace(/[-:T]/g, '')}.wav`
          : null,
      );
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/voicemail/messages/:id',
    {
      config: { permission: 'voicemail.write' },
      schema: {
        tags: ['voicemail'],
        summary: 'Mark a message heard or new, or move it between the inbox and saved',
        params: TenantIdParams,
        body: Type.Object(
          { heard: Type.Optional(Type.Boolean()), folder: Type.Optional(Folder) },
          { additionalProperties: false },
        ),
        response: { 200: MessageSchema },
      },
    },
    async (req) => {
      const scope = store.tenant(req.params.tenantId);
      const m = await messageOf(req, scope, req.params.id);
      const after = await scope.voicemail.updateMessage(m.id, req.body);
      if (!after) throw notFound('Message');
      lamp(req.params.tenantId, m.boxId);
      return messageView(after);
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/voicemail/messages/:id',
    {
      config: { permission: 'voicemail.write' },
      schema: {
        tags: ['voicemail'],
        summary: 'Delete a message and its audio',
        params: TenantIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const scope = store.tenant(req.params.tenantId);
      const m = await messageOf(req, scope, req.params.id);
      await scope.voicemail.deleteMessage(m.id);
      if (files) await files.remove(req.params.tenantId, m.boxId, m.id);
      lamp(req.params.tenantId, m.boxId);
      reply.code(204);
      return null;
    },
  );
}
