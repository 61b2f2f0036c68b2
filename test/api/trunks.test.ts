/**
 * The public network through the API: an operator's trunks (the password is
 * never read back; a registration trunk needs an account; ranges must be
 * addresses), the number pool given out to tenants (blocks, clashes, each tenant
 * sees only its own), a tenant's outbound routes (patterns that compile, trunks
 * that exist and serve the tenant, a caller ID it owns), the plan a number would
 * take, the operator-only limits, and an extension's caller ID and fraud block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

describe.each(backends())('trunks, numbers and outbound routes API on %s', (backend) => {
  let fx: Fixture;
  let trunkId = '';
  let privateTrunkId = '';
  const op = () => ({ as: fx.operator });
  const admin = () => ({ as: fx.A.admin });
  const route = (over: object = {}) => ({
    name: 'Russia',
    priority: 10,
    patterns: [
      { match: '_8XXXXXXXXXX', strip: 0, prepend: '' },
      { match: '_810X.', strip: 0, prepend: '' },
    ],
    trunkIds: [trunkId],
    callerId: null,
    ...over,
  });

  beforeAll(async () => {
    fx = await createFixture(backend);
  });
  afterAll(async () => fx?.close());

  it('an operator adds trunks; the password is kept but never shown; bad settings name their field', async () => {
    const created = await fx.call('POST', '/api/v1/platform/trunks', {
      ...op(),
      body: {
        name: 'Carrier One',
        kind: 'register',
        host: 'sip.carrier.test',
        username: 'acct',
        password: 'very-secret',
        addresses: ['198.51.100.0/24'],
        maxChannels: 30,
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'Carrier One',
      hasPassword: true,
      transport: 'UDP',
      port: null,
    });
    expect(JSON.stringify(created.json)).not.toContain('very-secret');
    trunkId = created.json.id;

    const noAccount = await fx.call('POST', '/api/v1/platform/trunks', {
      ...op(),
      body: { name: 'X', kind: 'register', host: 'x.test' },
    });
    expect(noAccount.status).toBe(400);
    expect(noAccount.json.field).toBe('username');
    const badRange = await fx.call('POST', '/api/v1/platform/trunks', {
      ...op(),
      body: { name: 'Y', kind: 'ip', host: '192.0.2.1', addresses: ['192.0.2.0/33'] },
    });
    expect(badRange.status).toBe(400);
    expect(badRange.json.field).toBe('addresses.0');
    for (const [range, why] of [
      ['0.0.0.0/0', 'too wide'],
      ['::ffff:10.0.0.0/104', 'as an IPv4'],
    ]) {
      const res = await fx.call('POST', '/api/v1/platform/trunks', {
        ...op(),
        body: { name: 'Z', kind: 'ip', host: '192.0.2.1', addresses: [range] },
      });
      expect(res.status).toBe(400);
      expect(res.json.detail).toContain(why);
    }
    const clash = await fx.call('POST', '/api/v1/platform/trunks', {
      ...op(),
      body: { name: 'Carrier One', kind: 'ip', host: '192.0.2.1' },
    });
    expect(clash.status).toBe(409);

    // A trunk only tenant B may use.
    const only = await fx.call('POST', '/api/v1/platform/trunks', {
      ...op(),
      body: { name: 'B only', kind: 'ip', host: '192.0.2.7', tenantIds: [fx.B.id] },
    });
    expect(only.status).toBe(201);
    privateTrunkId = only.json.id;

    // Changing it keeps the password unless one is given.
    const patched = await fx.call('PATCH', `/api/v1/platform/trunks/${trunkId}`, {
      ...op(),
      body: { maxChannels: 10 },
    });
    expect(patched.json).toMatchObject({ maxChannels: 10, hasPassword: true });
    expect((await fx.store.trunks.get(trunkId))?.password).toBe('very-secret');
    // Tenants cannot see the platform's trunks.
    expect((await fx.call('GET', '/api/v1/platform/trunks', admin())).status).toBe(403);
  });

  it('the pool takes a block of numbers and gives them to tenants; each tenant sees only its own', async () => {
    const block = await fx.call('POST', '/api/v1/platform/numbers', {
      ...op(),
      body: { number: '+74951110000', count: 3, trunkId },
    });
    expect(block.status).toBe(201);
    expect(block.json.items.map((n: { number: string }) => n.number)).toEqual([
      '+74951110000',
      '+74951110001',
      '+74951110002',
    ]);
    const again = await fx.call('POST', '/api/v1/platform/numbers', {
      ...op(),
      body: { number: '+74951110002' },
    });
    expect(again.status).toBe(409);
    const [n0, n1, n2] = block.json.items as { id: string }[];
    for (const [n, tenant] of [
      [n0, fx.A.id],
      [n1, fx.A.id],
      [n2, fx.B.id],
    ] as const)
      expect(
        (await fx.call('PATCH', `/api/v1/platform/numbers/${n!.id}`, { ...op(), body: { tenantId: tenant } }))
          .status,
      ).toBe(200);
    const mine = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/numbers`, admin());
    expect(mine.json.map((n: { number: string }) => n.number)).toEqual(['+74951110000', '+74951110001']);
    const free = await fx.call('GET', '/api/v1/platform/numbers?unassigned=true', op());
    expect(free.json.total).toBe(0);
    // A tenant's trunk list leaves out the one it may not use.
    const trunks = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/trunks`, admin());
    expect(trunks.json.map((t: { name: string }) => t.name)).toEqual(['Carrier One']);
  });

  it('outbound routes are checked at save: patterns, trunks the tenant may use, its own caller ID', async () => {
    const bad = async (body: object, field: string) => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/outbound-routes`, { ...admin(), body });
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.field).toBe(field);
    };
    await bad(route({ patterns: [{ match: '_8[X', strip: 0, prepend: '' }] }), 'patterns.0.match');
    await bad(route({ patterns: [{ match: '/(a+)+$/', strip: 0, prepend: '' }] }), 'patterns.0.match');
    await bad(route({ trunkIds: ['00000000-0000-4000-8000-000000000009'] }), 'trunkIds.0');
    await bad(route({ trunkIds: [privateTrunkId] }), 'trunkIds.0');
    await bad(route({ callerId: '+74951110002' }), 'callerId'); // tenant B's number
    const ok = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/outbound-routes`, {
      ...admin(),
      body: route({ callerId: '+74951110001' }),
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ name: 'Russia', priority: 10, callerId: '+74951110001' });
    // A trunk in use cannot be removed.
    const del = await fx.call('DELETE', `/api/v1/platform/trunks/${trunkId}`, op());
    expect(del.status).toBe(409);
    expect(del.json.detail).toContain('Russia');
  });

  it('the plan says which route and trunk a number takes, and refuses what the class forbids', async () => {
    const plan = (q: string) => fx.call('GET', `/api/v1/tenants/${fx.A.id}/outbound-plan?${q}`, admin());
    const national = await plan('number=84957654321');
    expect(national.json).toMatchObject({
      allowed: true,
      route: { name: 'Russia' },
      number: '+74957654321',
      numberClass: 'national',
      allowedClass: 'national',
      callerId: '+74951110001',
    });
    expect(national.json.trunks).toEqual([
      expect.objectContaining({ name: 'Carrier One', sends: '+74957654321', usable: true }),
    ]);
    // International is off for a tenant until the operator allows it.
    const abroad = await plan('number=810441234567890');
    expect(abroad.json).toMatchObject({ allowed: false, status: 403 });
    expect((await plan('number=5551234')).json).toMatchObject({ allowed: false, status: 404 });
    // An emergency number needs no route: any trunk the tenant may use takes it.
    expect((await plan('number=112')).json).toMatchObject({
      allowed: true,
      numberClass: 'emergency',
      route: { name: 'emergency (any trunk)' },
      trunks: [expect.objectContaining({ name: 'Carrier One' })],
    });
    // Emergency numbers pass whatever the class, and a route that matches them is used.
    await fx.call('POST', `/api/v1/tenants/${fx.A.id}/outbound-routes`, {
      ...admin(),
      // A route that would rewrite it (here into a premium number) does not: 112 goes as 112.
      body: route({
        name: 'Emergency',
        priority: 1,
        patterns: [{ match: '112', strip: 3, prepend: '+882123456' }],
      }),
    });
    const ext = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.otherExtensionId}`, {
      ...admin(),
      body: { callClass: 'internal' },
    });
    expect(ext.status).toBe(200);
    expect((await plan(`number=112&extension=102`)).json).toMatchObject({
      allowed: true,
      numberClass: 'emergency',
      route: { name: 'Emergency' },
      number: '112',
    });
    expect((await plan(`number=84957654321&extension=102`)).json).toMatchObject({
      allowed: false,
      status: 403,
    });
  });

  it('the rate deck prices numbers by prefix; the spend cap is the operator’s; usage shows today against the caps', async () => {
    const moscow = await fx.call('POST', '/api/v1/platform/rates', {
      ...op(),
      body: { prefix: '+7495', pricePerMinute: 150, description: 'Moscow' },
    });
    expect(moscow.status).toBe(201);
    expect(moscow.json).toMatchObject({ prefix: '+7495', pricePerMinute: 150, description: 'Moscow' });
    expect(
      (
        await fx.call('POST', '/api/v1/platform/rates', {
          ...op(),
          body: { prefix: '+7', pricePerMinute: 100 },
        })
      ).status,
    ).toBe(201);
    const twice = await fx.call('POST', '/api/v1/platform/rates', {
      ...op(),
      body: { prefix: '+7495', pricePerMinute: 1 },
    });
    expect(twice.status).toBe(409);
    expect(twice.json.field).toBe('prefix');
    for (const [body, field] of [
      [{ prefix: '7495', pricePerMinute: 1 }, 'prefix'],
      [{ prefix: '+7812', pricePerMinute: -1 }, 'pricePerMinute'],
      [{ prefix: '+7812', pricePerMinute: 1.5 }, 'pricePerMinute'],
    ] as const) {
      const bad = await fx.call('POST', '/api/v1/platform/rates', { ...op(), body });
      expect(bad.status).toBe(400);
      expect(bad.json.field).toBe(field);
    }
    expect((await fx.call('GET', '/api/v1/platform/rates', admin())).status).toBe(403);
    const list = await fx.call('GET', '/api/v1/platform/rates?q=moscow', op());
    expect(list.json.items.map((r: { prefix: string }) => r.prefix)).toEqual(['+7495']);
    const changed = await fx.call('PATCH', `/api/v1/platform/rates/${moscow.json.id}`, {
      ...op(),
      body: { pricePerMinute: 175 },
    });
    expect(changed.json.pricePerMinute).toBe(175);
    const audit = await fx.store.platform.audit.list({ limit: 5, offset: 0, resourceId: moscow.json.id });
    expect(audit.items.map((a) => a.action).sort()).toEqual(['rate.create', 'rate.update']);
    expect((await fx.call('DELETE', `/api/v1/platform/rates/${moscow.json.id}`, op())).status).toBe(204);
    expect((await fx.call('DELETE', `/api/v1/platform/rates/${moscow.json.id}`, op())).status).toBe(404);

    const tenant = `/api/v1/tenants/${fx.A.id}`;
    const byAdmin = await fx.call('PATCH', tenant, { ...admin(), body: { limits: { dailySpendCap: 1 } } });
    expect(byAdmin.status).toBe(403);
    const capped = await fx.call('PATCH', tenant, {
      ...op(),
      body: { limits: { dailySpendCap: 50_000, spendAlertPercent: 90 } },
    });
    expect(capped.json.limits).toMatchObject({ dailySpendCap: 50_000, spendAlertPercent: 90 });
    const over = await fx.call('PATCH', tenant, { ...op(), body: { limits: { spendAlertPercent: 0 } } });
    expect(over.status).toBe(400);
    const usage = await fx.call('GET', `${tenant}/external-usage`, admin());
    expect(usage.status).toBe(200);
    expect(usage.json).toMatchObject({
      spent: 0,
      dailySpendCap: 50_000,
      spendAlertPercent: 90,
      activeCalls: 0,
    });
    expect((await fx.call('GET', `${tenant}/external-usage`, { as: fx.A.user })).status).toBe(403);
    await fx.call('PATCH', tenant, { ...op(), body: { limits: { dailySpendCap: null } } });
  });

  it('limits are the operator’s; caller IDs must be the tenant’s; an admin clears a fraud block', async () => {
    const tenant = `/api/v1/tenants/${fx.A.id}`;
    const byAdmin = await fx.call('PATCH', tenant, {
      ...admin(),
      body: { limits: { maxCallClass: 'international' } },
    });
    expect(byAdmin.status).toBe(403);
    const byOperator = await fx.call('PATCH', tenant, {
      ...op(),
      body: { limits: { maxCallClass: 'international', maxExternalCalls: 4, dailyExternalMinutes: 600 } },
    });
    expect(byOperator.json.limits).toMatchObject({
      maxCallClass: 'international',
      maxExternalCalls: 4,
      dailyExternalMinutes: 600,
    });
    const settings = await fx.call('PATCH', tenant, {
      ...admin(),
      body: { localPrefixes: ['+7495'], defaultCallerId: '+74951110000' },
    });
    expect(settings.json).toMatchObject({ localPrefixes: ['+7495'], defaultCallerId: '+74951110000' });
    // A "local" prefix abroad would make international calls local; the country is the operator's.
    const abroad = await fx.call('PATCH', tenant, { ...admin(), body: { localPrefixes: ['+7495', '+44'] } });
    expect(abroad.status).toBe(400);
    expect(abroad.json.field).toBe('localPrefixes.1');
    const moved = await fx.call('PATCH', tenant, { ...admin(), body: { country: 'GB' } });
    expect(moved.status).toBe(403);
    expect((await fx.call('PATCH', tenant, { ...admin(), body: { country: 'RU' } })).status).toBe(200);
    const notOurs = await fx.call('PATCH', tenant, { ...admin(), body: { defaultCallerId: '+74951110002' } });
    expect(notOurs.status).toBe(400);
    expect(notOurs.json.field).toBe('defaultCallerId');

    const ext = `${tenant}/extensions/${fx.A.ownExtensionId}`;
    const cid = await fx.call('PATCH', ext, { ...admin(), body: { outboundCallerId: '+74951110002' } });
    expect(cid.status).toBe(400);
    expect(cid.json.field).toBe('outboundCallerId');
    expect(
      (await fx.call('PATCH', ext, { ...admin(), body: { outboundCallerId: 'anonymous' } })).json
        .outboundCallerId,
    ).toBe('anonymous');
    // The user may not lift a block on their own extension; the admin may.
    await fx.store.tenant(fx.A.id).extensions.update(fx.A.ownExtensionId, { externalBlocked: 'fraud rule' });
    expect((await fx.call('PATCH', ext, { as: fx.A.user, body: { externalBlocked: null } })).status).toBe(
      403,
    );
    const cleared = await fx.call('PATCH', ext, { ...admin(), body: { externalBlocked: null } });
    expect(cleared.json.externalBlocked).toBeNull();
  });
});
