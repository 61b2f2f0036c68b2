/**
 * Bad input gets a clear problem+json answer naming the field, and nothing is
 * written: neither the row nor an audit entry.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

describe.each(backends())('bad input on %s', (backend) => {
  let fx: Fixture;
  let url: string;
  beforeAll(async () => {
    fx = await createFixture(backend);
    url = `/api/v1/tenants/${fx.A.id}/extensions`;
  });
  afterAll(async () => fx?.close());

  async function counts() {
    const db = fx.store.db;
    const ext = await db
      .selectFrom('extensions')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirst();
    const audit = await db
      .selectFrom('auditLog')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirst();
    return { extensions: ext?.n, audit: audit?.n };
  }

  const cases: {
    name: string;
    send: () => { body?: unknown; raw?: { payload: string; contentType: string } };
    status: number;
    code: string;
    field?: string;
  }[] = [
    {
      name: 'malformed JSON',
      send: () => ({ raw: { payload: '{"number": "300",', contentType: 'application/json' } }),
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'empty JSON body',
      send: () => ({ raw: { payload: '', contentType: 'application/json' } }),
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'a JSON array instead of an object',
      send: () => ({ body: [{ number: '300' }] }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'form-encoded body',
      send: () => ({ raw: { payload: 'number=300', contentType: 'application/x-www-form-urlencoded' } }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'missing required field',
      send: () => ({ body: { displayName: 'x' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'number',
    },
    {
      name: 'number as a JSON number',
      send: () => ({ body: { number: 300 } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'number',
    },
    {
      name: 'boolean as a string',
      send: () => ({ body: { number: '301', dnd: 'yes' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'dnd',
    },
    {
      name: 'unknown field',
      send: () => ({ body: { number: '302', colour: 'red' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'colour',
    },
    {
      name: 'unknown nested field',
      send: () => ({
        body: { number: '303', forwarding: { busy: { enabled: true, target: '5', extra: 1 } } },
      }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'forwarding.busy.extra',
    },
    {
      name: 'over-long display name',
      send: () => ({ body: { number: '304', displayName: 'x'.repeat(101) } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'displayName',
    },
    {
      name: 'letters in the number',
      send: () => ({ body: { number: '30a' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'number',
    },
    {
      name: 'weak SIP secret',
      send: () => ({ body: { number: '305', sipSecret: 'short' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'sipSecret',
    },
    {
      name: 'bad enum value',
      send: () => ({ body: { number: '306', callClass: 'galactic' } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'callClass',
    },
    {
      name: 'ring timeout out of range',
      send: () => ({ body: { number: '307', ringTimeoutSec: 1 } }),
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'ringTimeoutSec',
    },
    {
      name: 'duplicate extension number',
      send: () => ({ body: { number: '101' } }),
      status: 409,
      code: 'CONFLICT',
      field: 'number',
    },
    {
      name: 'a body over 1 MB',
      send: () => ({ body: { number: '308', displayName: 'x'.repeat(1_100_000) } }),
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
  ];

  for (const c of cases) {
    it(`answers ${c.name} with ${c.status} ${c.code} and writes nothing`, async () => {
      const before = await counts();
      const res = await fx.call('POST', url, { as: fx.A.admin, ...c.send() });
      expect(res.status, res.text).toBe(c.status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json).toMatchObject({
        status: c.status,
        code: c.code,
        type: expect.stringMatching(/^urn:nimbus:problem:/),
      });
      expect(res.json.detail).toEqual(expect.any(String));
      if (c.field) expect(res.json.field).toBe(c.field);
      expect(await counts()).toEqual(before);
    });
  }

  it('rejects bad query parameters by name', async () => {
    const res = await fx.call('GET', `${url}?limit=5000`, { as: fx.A.admin });
    expect(res.json).toMatchObject({ status: 400, field: 'limit' });
    const sort = await fx.call('GET', `${url}?sort=sipSecret`, { as: fx.A.admin });
    expect(sort.json).toMatchObject({ status: 400, field: 'sort' });
    const unknown = await fx.call('GET', `${url}?colour=red`, { as: fx.A.admin });
    expect(unknown.json).toMatchObject({ status: 400, field: 'colour' });
  });

  it('answers a malformed id with 400 or 404, never 500', async () => {
    const res = await fx.call('GET', `${url}/not-a-uuid`, { as: fx.A.admin });
    expect([400, 404]).toContain(res.status);
    const t = await fx.call('GET', '/api/v1/tenants/not-a-uuid', { as: fx.operator });
    expect([400, 404]).toContain(t.status);
  });

  it('answers 503 DATABASE_UNAVAILABLE when the database has gone away', async () => {
    const broken = await createFixture(backend);
    const cookie = broken.A.admin;
    await broken.db.handle.close();
    const res = await broken.call('GET', `/api/v1/tenants/${broken.A.id}/extensions`, { as: cookie });
    expect(res.status).toBe(503);
    expect(res.json.code).toBe('DATABASE_UNAVAILABLE');
    const write = await broken.call('POST', `/api/v1/tenants/${broken.A.id}/extensions`, {
      as: cookie,
      body: { number: '900' },
    });
    expect(write.status).toBe(503);
    const ready = await broken.call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json.checks[0]).toMatchObject({ name: 'database', ok: false });
    await broken.api.app.close();
    if (broken.db.schema) await sql`drop schema ${sql.id(broken.db.schema)} cascade`.execute(fx.store.db);
  });
});

describe.each(backends())('bad input on every writing route on %s', (backend) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture(backend);
  });
  afterAll(async () => fx?.close());

  async function rowCounts() {
    const out: Record<string, number> = {};
    for (const t of ['tenants', 'users', 'extensions', 'apiKeys', 'auditLog'] as const) {
      const r = await fx.store.db.selectFrom(t).select(sql<number>`count(*)::int`.as('n')).executeTakeFirst();
      out[t] = r?.n ?? -1;
    }
    return out;
  }

  it('refuses an unknown field, malformed JSON and an over-long string on every POST and PATCH, writing nothing', async () => {
    const writes = fx.api.routes.filter(
      (r) => (r.method === 'POST' || r.method === 'PATCH') && !r.public && r.hasBody,
    );
    expect(writes.length).toBeGreaterThan(10);
    // Writing routes without a body are deliberate, and few.
    expect(
      fx.api.routes
        .filter((r) => r.method !== 'GET' && r.method !== 'DELETE' && !r.hasBody)
        .map((r) => r.url),
    ).toEqual([
      '/api/v1/auth/logout',
      '/api/v1/auth/totp/setup',
      // Uploads' bodies are the audio file itself (tested in test/api/voicemail.test.ts, audio.test.ts).
      '/api/v1/tenants/:tenantId/audio',
      '/api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind',
      // Actions on a webhook that take nothing but the ids in the path.
      '/api/v1/tenants/:tenantId/webhooks/:id/rotate-secret',
      '/api/v1/tenants/:tenantId/webhooks/:id/test',
      '/api/v1/tenants/:tenantId/webhooks/:id/deliveries/:deliveryId/replay',
      // Likewise on an integration: a sample, a contact sync, a replay.
      '/api/v1/tenants/:tenantId/integrations/:id/test',
      '/api/v1/tenants/:tenantId/integrations/:id/sync',
      '/api/v1/tenants/:tenantId/integrations/:id/deliveries/:deliveryId/replay',
      // Ending a live call: the call is named in the path.
      '/api/v1/tenants/:tenantId/calls/:id/hangup',
      // A signed link to a recording: the recording is named in the path.
      '/api/v1/tenants/:tenantId/recordings/:id/link',
    ]);
    const before = await rowCounts();
    for (const r of writes) {
      const url = r.url
        .replace(':tenantId', fx.A.id)
        .replace(
          ':id',
          r.url.includes('/extensions/')
            ? fx.A.ownExtensionId
            : r.url.includes('/users/')
              ? fx.A.user.userId
              : fx.A.apiKey.id,
        );
      const as = r.url.startsWith('/api/v1/auth/') ? fx.A.admin : fx.operator;
      const unknown = await fx.call(r.method, url, { as, body: { surprise: 1 } });
      expect(unknown.status, `${r.method} ${r.url}: ${unknown.text}`).toBe(400);
      expect(unknown.json.code).toBe('VALIDATION_FAILED');
      const broken = await fx.call(r.method, url, {
        as,
        raw: { payload: '{"a":', contentType: 'application/json' },
      });
      expect(broken.status, `${r.method} ${r.url}`).toBe(400);
      expect(broken.json.code).toBe('MALFORMED_JSON');
      const long = await fx.call(r.method, url, {
        as,
        body: { name: 'x'.repeat(5000), displayName: 'x'.repeat(5000) },
      });
      expect(long.status, `${r.method} ${r.url}`).toBe(400);
    }
    expect(await rowCounts()).toEqual(before);
  });
});
