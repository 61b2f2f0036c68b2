/**
 * Walks every /api/v1 route (from the server's own route table, so routes added
 * later are covered with no new test code) for every role, and checks the
 * answer against the permission matrix: allowed -> anything but 401/403,
 * refused -> 403. Then checks every route refuses the anonymous caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor, type Permission } from '../../src/api/permissions.js';
import { ROLES } from '../../src/store/schema.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

const RANDOM_ID = '00000000-0000-4000-8000-000000000000';

describe.each(backends())('permissions on %s', (backend) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture(backend);
  });
  afterAll(async () => fx?.close());

  it('has a non-trivial route table', () => {
    expect(fx.api.routes.filter((r) => !r.public).length).toBeGreaterThan(20);
  });

  it('refuses every protected route to an anonymous caller with 401', async () => {
    for (const r of fx.api.routes.filter((x) => !x.public)) {
      const url = r.url.replace(':tenantId', fx.A.id).replace(':id', RANDOM_ID);
      const res = await fx.call(r.method, url, {
        body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
      });
      expect(res.status, `${r.method} ${r.url}`).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('answers every route x role as the permission matrix says', async () => {
    const outcomes: string[] = [];
    for (const r of fx.api.routes.filter((x) => !x.public)) {
      for (const role of ROLES) {
        const as =
          role === 'operator'
            ? fx.operator
            : role === 'tenant_admin'
              ? fx.A.admin
              : role === 'supervisor'
                ? fx.A.supervisor
                : fx.A.user;
        // Operators act on a scratch tenant, so a permitted DELETE cannot remove tenant A mid-walk.
        let tenantId = fx.A.id;
        if (role === 'operator' && r.url.includes(':tenantId')) {
          const scratch = await fx.store.tenants.create({
            name: 'scratch',
            sipDomain: `scratch-${Math.random().toString(36).slice(2)}.test`,
            timeZone: 'UTC',
            language: 'en',
            country: 'RU',
            maxExtensions: 5,
            maxConcurrentCalls: 1,
          });
          tenantId = scratch.id;
        }
        const url = r.url.replace(':tenantId', tenantId).replace(':id', RANDOM_ID);
        const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
        const res = await fx.call(r.method, url, { as, body });
        const allowed = accessFor(r.permission as Permission, role) !== null;
        outcomes.push(`${r.method} ${r.url} ${role} -> ${res.status}`);
        if (allowed)
          expect([401, 403], `${r.method} ${r.url} as ${role}: ${res.text}`).not.toContain(res.status);
        else {
          expect(res.status, `${r.method} ${r.url} as ${role}: ${res.text}`).toBe(403);
          expect(res.json.code).toBe('FORBIDDEN');
        }
      }
    }
    expect(outcomes.length).toBe(fx.api.routes.filter((x) => !x.public).length * ROLES.length);
  });

  it('applies the matrix to API keys by their role', async () => {
    // A tenant_admin key of tenant A may list extensions but not touch the platform.
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions`, { token: fx.A.apiKey.token })).status,
    ).toBe(200);
    expect((await fx.call('GET', '/api/v1/tenants', { token: fx.A.apiKey.token })).status).toBe(403);
    expect((await fx.call('GET', '/api/v1/audit-log', { token: fx.A.apiKey.token })).status).toBe(403);
  });
});
