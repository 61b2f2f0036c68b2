/**
 * Tenant isolation, generic over the route table: every route with {tenantId}
 * is called by each of tenant A's principals with tenant B's ids and must answer
 * 404, and B's data must be unchanged afterwards. Then the same with A's own
 * tenant id but B's object ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture, type TenantFixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';
import { queueConfig } from '../helpers/queues.js';

/** Tenant B's contact (made before the tests): the isolation checks aim at a real row. */
let contactOfB = '00000000-0000-4000-8000-000000000001';
/** Tenant B's call recording, likewise. */
let recordingOfB = '00000000-0000-4000-8000-000000000001';
/** Tenant B's CRM integration, likewise. */
let integrationOfB = '00000000-0000-4000-8000-000000000001';

/** The id of one of B's objects for the resource a route's {id} names; unknown resources get a random id. */
function objectId(url: string, t: TenantFixture): string {
  const resource = /\/([a-z-]+)\/:id/.exec(url)?.[1];
  switch (resource) {
    case 'extensions':
      return t.otherExtensionId;
    case 'users':
      return t.user.userId;
    case 'api-keys':
      return t.apiKey.id;
    case 'contacts':
      return contactOfB;
    case 'integrations':
      return integrationOfB;
    case 'recordings':
      return recordingOfB;
    default:
      return '00000000-0000-4000-8000-000000000001';
  }
}

/** A body that passes validation where the route takes one, so the handler itself is reached. */
function validBody(method: string, url: string): unknown {
  if (method === 'GET' || method === 'DELETE') return undefined;
  if (url.endsWith('/extensions')) return { number: '777' };
  if (url.endsWith('/extensions/:id')) return { dnd: true };
  if (url.endsWith('/users')) return { email: 'intruder@x.test', role: 'user' };
  if (url.endsWith('/users/:id')) return { displayName: 'pwned' };
  if (url.endsWith('/api-keys')) return { name: 'intruder', role: 'tenant_admin' };
  if (url.endsWith('/:tenantId')) return { name: 'pwned' };
  const hangup = { kind: 'hangup', cause: 'busy' };
  if (url.endsWith('/override')) return { state: 'open' };
  if (url.endsWith('/webhooks')) return { url: 'http://93.184.216.34/hook', events: ['call.started'] };
  if (url.endsWith('/webhooks/:id')) return { enabled: false };
  if (url.endsWith('/recordings/erase')) return { number: '+74950000000' };
  if (url.endsWith('/recording-settings')) return { announce: false, mode: 'mixed', retentionDays: 1 };
  if (/\/contacts(\/:id)?$/.test(url)) return { name: 'pwned' };
  if (url.endsWith('/integrations'))
    return { kind: 'ticket', name: 'pwned', config: { url: 'http://93.184.216.34/t', bodyTemplate: '{}' } };
  if (url.endsWith('/integrations/:id')) return { enabled: false };
  if (url.endsWith('/integrations/:id/lookup')) return { number: '+74950000000' };
  if (url.endsWith('/contacts/import')) return { csv: 'name,number\npwned,+74950000000', mode: 'replace' };
  // The voicemail email link's form post: the message's key is the permission (a guess here).
  if (url.startsWith('/api/v1/voicemail-actions/')) return { key: 'guessed-key', action: 'delete' };
  if (url.endsWith('/holidays/import')) return { ics: 'BEGIN:VCALENDAR' };
  if (url.endsWith('/calls/originate'))
    return { to: '+74950000000', destination: { kind: 'queue', id: '00000000-0000-4000-8000-000000000001' } };
  if (url.endsWith('/calls/:id/transfer')) return { side: 'caller', destination: '102' };
  if (url.endsWith('/report-schedules'))
    return {
      name: 'pwned',
      report: 'calls',
      frequency: 'daily',
      timeOfDay: '08:00',
      recipients: ['x@pwned.test'],
    };
  if (url.endsWith('/report-schedules/:id')) return { name: 'pwned' };
  if (/\/calendars(\/:id)?$/.test(url))
    return { name: 'pwned', weekly: [], holidays: [], productionCalendar: null, override: null };
  if (/\/time-conditions(\/:id)?$/.test(url))
    return {
      name: 'pwned',
      calendarId: '00000000-0000-4000-8000-000000000001',
      whenOpen: hangup,
      whenClosed: hangup,
    };
  if (/\/ring-groups(\/:id)?$/.test(url))
    return {
      name: 'pwned',
      number: null,
      strategy: 'simultaneous',
      members: [{ number: '777', delaySec: 0, timeoutSec: 20 }],
      ringTimeoutSec: 30,
      skipBusy: false,
      callerIdPrefix: '',
      timeoutDestination: null,
    };
  if (/\/queues(\/:id)?$/.test(url)) return { ...queueConfig(), name: 'pwned', number: null };
  if (url.endsWith('/queue-agents/:number')) return { paused: true };
  if (url.endsWith('/speech-preview')) return { text: 'pwned', lang: 'en' };
  if (url.endsWith('/audio/:id')) return { name: 'pwned' };
  if (url.endsWith('/voicemail/boxes')) return { number: '7770' };
  if (url.endsWith('/voicemail/boxes/:id')) return { quota: 5 };
  if (url.endsWith('/voicemail/messages/:id')) return { heard: true };
  if (/\/ivr-menus(\/:id)?$/.test(url))
    return {
      name: 'pwned',
      number: null,
      greeting: { prompts: ['main-menu'], text: null, lang: null },
      options: [],
      directDial: { enabled: false, allow: [] },
      interDigitMs: 2000,
      timeoutSec: 5,
      retries: 1,
      invalidAudio: null,
      timeoutAudio: null,
      fallback: null,
      calendar: null,
      tag: null,
    };
  if (/\/outbound-routes(\/:id)?$/.test(url))
    return {
      name: 'pwned',
      priority: 1,
      patterns: [{ match: '_X.', strip: 0, prepend: '' }],
      trunkIds: ['00000000-0000-4000-8000-000000000001'],
      callerId: null,
    };
  if (/\/inbound-routes(\/:id)?$/.test(url))
    return { name: 'pwned', number: '+74951234567', callerRules: [], destination: hangup };
  return {};
}

describe.each(backends())('tenant isolation on %s', (backend) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture(backend);
    recordingOfB = crypto.randomUUID();
    await fx.store.recordingLog.open({
      id: recordingOfB,
      tenantId: fx.B.id,
      callId: crypto.randomUUID(),
      node: 'test',
      trigger: 'policy',
      mode: 'stereo',
      storage: 'disk',
      key: `${fx.B.id}/2026/12/07/${recordingOfB}.wav`,
      caller: '+74950000000',
      callee: '102',
      parties: ['102'],
      startedAt: new Date(),
    });
    await fx.store.recordingLog.stored(recordingOfB, {
      endedAt: new Date(),
      durationMs: 1000,
      pausedMs: 0,
      bytes: 16044,
      storage: 'disk',
      key: `${fx.B.id}/2026/12/07/${recordingOfB}.wav`,
    });
    contactOfB = (await fx.store.tenant(fx.B.id).contacts.create({ name: 'B only', numbers: [] })).id;
    integrationOfB = (
      await fx.store.tenant(fx.B.id).integrations.create({
        kind: 'crmWebhook',
        name: 'B only',
        enabled: true,
        config: { lookup: true, url: 'http://93.184.216.34/lookup' },
        secrets: '',
      })
    ).id;
  });
  afterAll(async () => fx?.close());

  async function snapshotB() {
    const scope = fx.store.tenant(fx.B.id);
    const page = { limit: 200, offset: 0 };
    return JSON.stringify({
      tenant: await fx.store.tenants.get(fx.B.id),
      users: (await scope.users.list(page)).items,
      extensions: (await scope.extensions.list(page)).items,
      keys: (await scope.apiKeys.list(page)).items,
      routing: await scope.routing.all(),
      contacts: (await scope.contacts.list(page)).items,
      integrations: await scope.integrations.list(),
      recordings: (await scope.recordings.list(page)).items,
    });
  }

  it('covers the tenant-scoped routes', () => {
    expect(fx.api.routes.filter((r) => r.url.includes(':tenantId')).length).toBeGreaterThanOrEqual(15);
  });

  it("answers 404 to tenant A's principals on every route with tenant B's ids", async () => {
    const before = await snapshotB();
    const principals = [
      { name: 'admin', as: fx.A.admin },
      { name: 'supervisor', as: fx.A.supervisor },
      { name: 'user', as: fx.A.user },
      { name: 'api key', token: fx.A.apiKey.token },
    ];
    for (const r of fx.api.routes.filter((x) => x.url.includes(':tenantId'))) {
      for (const p of principals) {
        const url = r.url
          .replace(':tenantId', fx.B.id)
          .replace(':id', objectId(r.url, fx.B))
          .replace(':deliveryId', objectId(r.url, fx.B));
        const res = await fx.call(r.method, url, { ...p, body: validBody(r.method, r.url) });
        expect(res.status, `${r.method} ${url} as A ${p.name}: ${res.text}`).toBe(404);
        // The voicemail email link's page answers a browser: its 404 is a page, not problem+json.
        if (r.url.startsWith('/api/v1/voicemail-actions/')) expect(res.text).toContain('<!doctype html>');
        else expect(res.json.code).toBe('NOT_FOUND');
      }
    }
    expect(await snapshotB()).toBe(before);
  });

  it("answers 404 (or 403 before any lookup) on A's own tenant with B's object ids", async () => {
    const before = await snapshotB();
    for (const r of fx.api.routes.filter((x) => x.url.includes(':tenantId') && x.url.includes(':id'))) {
      for (const as of [fx.A.admin, fx.A.supervisor, fx.A.user]) {
        const url = r.url
          .replace(':tenantId', fx.A.id)
          .replace(':id', objectId(r.url, fx.B))
          .replace(':deliveryId', objectId(r.url, fx.B));
        const res = await fx.call(r.method, url, { as, body: validBody(r.method, r.url) });
        expect([403, 404], `${r.method} ${url} as ${as.role}: ${res.text}`).toContain(res.status);
      }
    }
    expect(await snapshotB()).toBe(before);
  });

  it("lists only the caller's own tenant", async () => {
    const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions`, { as: fx.A.admin });
    expect(res.status).toBe(200);
    expect(res.json.items.map((e: { tenantId: string }) => e.tenantId)).toEqual([fx.A.id, fx.A.id]);
    const audit = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/audit-log`, { as: fx.A.admin });
    expect(audit.json.items.every((e: { tenantId: string }) => e.tenantId === fx.A.id)).toBe(true);
  });

  it('keeps an API key of tenant A out of tenant B', async () => {
    const res = await fx.call('GET', `/api/v1/tenants/${fx.B.id}/users`, { token: fx.A.apiKey.token });
    expect(res.status).toBe(404);
  });
});
