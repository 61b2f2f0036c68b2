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

  it('compiles every route schema (they compile on first use at run time)', () => {
    // A broken validator or response schema must fail here, not at a customer's first request.
    expect(() => fx.api.compileSchemas()).not.toThrow();
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

/**
 * What each route is meant to require, written out by hand: the walk above checks
 * the server obeys its own route config; this table checks the config says what we
 * mean. A new route fails here until its intended permission is added.
 */
const INTENDED: Record<string, string | 'public'> = {
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/logout': 'public',
  'GET /api/v1/auth/me': 'self',
  'PATCH /api/v1/auth/me': 'self',
  'GET /api/v1/auth/softphone': 'self',
  'GET /api/v1/auth/push': 'self',
  'PUT /api/v1/auth/push-subscriptions': 'self',
  'DELETE /api/v1/auth/push-subscriptions': 'self',
  'POST /api/v1/auth/password': 'self',
  'POST /api/v1/auth/totp/setup': 'self',
  'POST /api/v1/auth/totp/enable': 'self',
  'POST /api/v1/auth/totp/disable': 'self',
  'GET /api/v1/tenants': 'tenants.list',
  'POST /api/v1/tenants': 'tenants.create',
  'GET /api/v1/tenants/:tenantId': 'tenants.read',
  'PATCH /api/v1/tenants/:tenantId': 'tenants.update',
  'GET /api/v1/tenants/:tenantId/feature-codes': 'tenants.read',
  'DELETE /api/v1/tenants/:tenantId': 'tenants.delete',
  'GET /api/v1/tenants/:tenantId/users': 'users.read',
  'GET /api/v1/tenants/:tenantId/users/:id': 'users.read',
  'POST /api/v1/tenants/:tenantId/users': 'users.write',
  'PATCH /api/v1/tenants/:tenantId/users/:id': 'users.write',
  'DELETE /api/v1/tenants/:tenantId/users/:id': 'users.write',
  'GET /api/v1/tenants/:tenantId/extensions': 'extensions.read',
  'GET /api/v1/tenants/:tenantId/extensions/:id': 'extensions.read',
  'POST /api/v1/tenants/:tenantId/extensions': 'extensions.create',
  'PATCH /api/v1/tenants/:tenantId/extensions/:id': 'extensions.update',
  'POST /api/v1/tenants/:tenantId/extensions/:id/reset-secret': 'extensions.resetSecret',
  'DELETE /api/v1/tenants/:tenantId/extensions/:id': 'extensions.delete',
  'GET /api/v1/tenants/:tenantId/api-keys': 'apiKeys.manage',
  'POST /api/v1/tenants/:tenantId/api-keys': 'apiKeys.manage',
  'DELETE /api/v1/tenants/:tenantId/api-keys/:id': 'apiKeys.manage',
  'GET /api/v1/api-keys': 'platformApiKeys.manage',
  'POST /api/v1/api-keys': 'platformApiKeys.manage',
  'DELETE /api/v1/api-keys/:id': 'platformApiKeys.manage',
  'GET /api/v1/tenants/:tenantId/audit-log': 'audit.read',
  'GET /api/v1/audit-log': 'platformAudit.read',
  'GET /api/v1/tenants/:tenantId/calls': 'calls.read',
  'GET /api/v1/tenants/:tenantId/calls/:id': 'calls.read',
  'GET /api/v1/tenants/:tenantId/provisioning': 'tenants.read',
  'GET /api/v1/tenants/:tenantId/live': 'live.read',
  'GET /api/v1/tenants/:tenantId/stats/today': 'live.read',
  'GET /api/v1/platform/health': 'platform.read',
  'GET /api/v1/platform/security-events': 'platform.read',
  'GET /api/v1/tenants/:tenantId/security-events': 'security.read',
  'DELETE /api/v1/platform/security/bans/:ip': 'platform.security',
  'GET /api/v1/platform/security/allow': 'platform.security',
  'POST /api/v1/platform/security/allow': 'platform.security',
  'DELETE /api/v1/platform/security/allow/:id': 'platform.security',
  'DELETE /api/v1/tenants/:tenantId/security/bans/:ip': 'security.manage',
  'GET /api/v1/tenants/:tenantId/calendars': 'calendars.read',
  'GET /api/v1/tenants/:tenantId/calendars/:id': 'calendars.read',
  'POST /api/v1/tenants/:tenantId/calendars': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/calendars/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/calendars/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/time-conditions': 'routing.read',
  'GET /api/v1/tenants/:tenantId/time-conditions/:id': 'routing.read',
  'POST /api/v1/tenants/:tenantId/time-conditions': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/time-conditions/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/time-conditions/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/ring-groups': 'routing.read',
  'GET /api/v1/tenants/:tenantId/ring-groups/:id': 'routing.read',
  'POST /api/v1/tenants/:tenantId/ring-groups': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/ring-groups/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/ring-groups/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/queues': 'routing.read',
  'GET /api/v1/tenants/:tenantId/queues/:id': 'routing.read',
  'POST /api/v1/tenants/:tenantId/queues': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/queues/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/queues/:id': 'routing.write',
  'POST /api/v1/tenants/:tenantId/speech-preview': 'routing.write',
  'GET /api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind': 'voicemail.read',
  'GET /api/v1/tenants/:tenantId/audio': 'routing.read',
  'POST /api/v1/tenants/:tenantId/audio': 'routing.write',
  'GET /api/v1/tenants/:tenantId/audio/:id': 'routing.read',
  'PATCH /api/v1/tenants/:tenantId/audio/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/audio/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/ivr-menus': 'routing.read',
  'GET /api/v1/tenants/:tenantId/ivr-menus/:id': 'routing.read',
  'POST /api/v1/tenants/:tenantId/ivr-menus': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/ivr-menus/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/ivr-menus/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/queues-live': 'queues.monitor',
  'GET /api/v1/tenants/:tenantId/queues/:id/live': 'queues.monitor',
  'GET /api/v1/tenants/:tenantId/queue-agents/:number': 'queues.agents',
  'PATCH /api/v1/tenants/:tenantId/queue-agents/:number': 'queues.agents',
  'GET /api/v1/tenants/:tenantId/queue-stats': 'queues.stats',
  'GET /api/v1/tenants/:tenantId/inbound-routes': 'routing.read',
  'GET /api/v1/tenants/:tenantId/inbound-routes/:id': 'routing.read',
  'POST /api/v1/tenants/:tenantId/inbound-routes': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/inbound-routes/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/inbound-routes/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/calendars/:id/state': 'calendars.read',
  'PUT /api/v1/tenants/:tenantId/calendars/:id/override': 'routing.override',
  'POST /api/v1/tenants/:tenantId/calendars/:id/holidays/import': 'routing.write',
  'GET /api/v1/tenants/:tenantId/voicemail/boxes': 'voicemail.read',
  // The voicemail email's link: the message's own random key is the permission.
  'GET /api/v1/voicemail-actions/:tenantId/:id': 'public',
  'GET /api/v1/recording-links/:token': 'public',
  'GET /api/v1/integrations/crm-contract': 'public',
  'POST /api/v1/tenants/:tenantId/recordings/:id/link': 'recordings.read',
  'POST /api/v1/voicemail-actions/:tenantId/:id': 'public',
  'GET /api/v1/tenants/:tenantId/voicemail/boxes/:id': 'voicemail.read',
  'POST /api/v1/tenants/:tenantId/voicemail/boxes': 'voicemail.manage',
  'PATCH /api/v1/tenants/:tenantId/voicemail/boxes/:id': 'voicemail.write',
  'DELETE /api/v1/tenants/:tenantId/voicemail/boxes/:id': 'voicemail.manage',
  'PUT /api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind': 'voicemail.write',
  'DELETE /api/v1/tenants/:tenantId/voicemail/boxes/:id/greetings/:kind': 'voicemail.write',
  'GET /api/v1/tenants/:tenantId/voicemail/messages': 'voicemail.read',
  'GET /api/v1/tenants/:tenantId/voicemail/messages/:id': 'voicemail.read',
  'GET /api/v1/tenants/:tenantId/voicemail/messages/:id/audio': 'voicemail.read',
  'PATCH /api/v1/tenants/:tenantId/voicemail/messages/:id': 'voicemail.write',
  'DELETE /api/v1/tenants/:tenantId/voicemail/messages/:id': 'voicemail.write',
  'GET /api/v1/tenants/:tenantId/outbound-routes': 'routing.read',
  'GET /api/v1/tenants/:tenantId/outbound-routes/:id': 'routing.read',
  'POST /api/v1/tenants/:tenantId/outbound-routes': 'routing.write',
  'PUT /api/v1/tenants/:tenantId/outbound-routes/:id': 'routing.write',
  'DELETE /api/v1/tenants/:tenantId/outbound-routes/:id': 'routing.write',
  'GET /api/v1/tenants/:tenantId/outbound-plan': 'routing.read',
  'GET /api/v1/tenants/:tenantId/numbers': 'routing.read',
  'GET /api/v1/tenants/:tenantId/trunks': 'routing.read',
  'GET /api/v1/platform/trunks': 'trunks.manage',
  'GET /api/v1/platform/trunks/:id': 'trunks.manage',
  'POST /api/v1/platform/trunks': 'trunks.manage',
  'PATCH /api/v1/platform/trunks/:id': 'trunks.manage',
  'DELETE /api/v1/platform/trunks/:id': 'trunks.manage',
  'POST /api/v1/tenants/:tenantId/calls/click-to-call': 'calls.originate',
  'POST /api/v1/tenants/:tenantId/calls/originate': 'calls.originate',
  'POST /api/v1/tenants/:tenantId/calls/:id/hangup': 'calls.control',
  'POST /api/v1/tenants/:tenantId/calls/:id/transfer': 'calls.control',
  'GET /api/v1/tenants/:tenantId/reports/calls': 'reports.read',
  'GET /api/v1/tenants/:tenantId/reports/queues': 'reports.read',
  'GET /api/v1/tenants/:tenantId/reports/trunks': 'reports.read',
  'GET /api/v1/platform/reports/trunks': 'trunks.manage',
  'GET /api/v1/tenants/:tenantId/report-schedules': 'reports.read',
  'POST /api/v1/tenants/:tenantId/report-schedules': 'reports.read',
  'PATCH /api/v1/tenants/:tenantId/report-schedules/:id': 'reports.read',
  'DELETE /api/v1/tenants/:tenantId/report-schedules/:id': 'reports.read',
  'GET /api/v1/tenants/:tenantId/calls/export.:format': 'calls.read',
  'GET /api/v1/tenants/:tenantId/recordings': 'recordings.read',
  'GET /api/v1/tenants/:tenantId/recordings/:id': 'recordings.read',
  'GET /api/v1/tenants/:tenantId/recordings/:id/audio': 'recordings.read',
  'DELETE /api/v1/tenants/:tenantId/recordings/:id': 'recordings.delete',
  'POST /api/v1/tenants/:tenantId/recordings/erase': 'recordings.delete',
  'GET /api/v1/tenants/:tenantId/recording-settings': 'tenants.read',
  'PUT /api/v1/tenants/:tenantId/recording-settings': 'recordings.manage',
  'GET /api/v1/tenants/:tenantId/webhooks': 'webhooks.manage',
  'POST /api/v1/tenants/:tenantId/webhooks': 'webhooks.manage',
  'PATCH /api/v1/tenants/:tenantId/webhooks/:id': 'webhooks.manage',
  'DELETE /api/v1/tenants/:tenantId/webhooks/:id': 'webhooks.manage',
  'POST /api/v1/tenants/:tenantId/webhooks/:id/rotate-secret': 'webhooks.manage',
  'POST /api/v1/tenants/:tenantId/webhooks/:id/test': 'webhooks.manage',
  'GET /api/v1/tenants/:tenantId/webhooks/:id/deliveries': 'webhooks.manage',
  'POST /api/v1/tenants/:tenantId/webhooks/:id/deliveries/:deliveryId/replay': 'webhooks.manage',
  'GET /api/v1/tenants/:tenantId/integrations/templates': 'integrations.manage',
  'GET /api/v1/tenants/:tenantId/integrations': 'integrations.manage',
  'POST /api/v1/tenants/:tenantId/integrations': 'integrations.manage',
  'PATCH /api/v1/tenants/:tenantId/integrations/:id': 'integrations.manage',
  'DELETE /api/v1/tenants/:tenantId/integrations/:id': 'integrations.manage',
  'POST /api/v1/tenants/:tenantId/integrations/:id/test': 'integrations.manage',
  'POST /api/v1/tenants/:tenantId/integrations/:id/lookup': 'integrations.manage',
  'POST /api/v1/tenants/:tenantId/integrations/:id/sync': 'integrations.manage',
  'GET /api/v1/tenants/:tenantId/integrations/:id/deliveries': 'integrations.manage',
  'POST /api/v1/tenants/:tenantId/integrations/:id/deliveries/:deliveryId/replay': 'integrations.manage',
  'GET /api/v1/tenants/:tenantId/contacts': 'contacts.read',
  'GET /api/v1/tenants/:tenantId/contacts/:id': 'contacts.read',
  'POST /api/v1/tenants/:tenantId/contacts': 'contacts.manage',
  'PATCH /api/v1/tenants/:tenantId/contacts/:id': 'contacts.manage',
  'DELETE /api/v1/tenants/:tenantId/contacts/:id': 'contacts.manage',
  'GET /api/v1/tenants/:tenantId/contacts/export.csv': 'contacts.manage',
  'POST /api/v1/tenants/:tenantId/contacts/import': 'contacts.manage',
  'GET /api/v1/platform/rates': 'trunks.manage',
  'POST /api/v1/platform/rates': 'trunks.manage',
  'PATCH /api/v1/platform/rates/:id': 'trunks.manage',
  'DELETE /api/v1/platform/rates/:id': 'trunks.manage',
  'GET /api/v1/tenants/:tenantId/external-usage': 'routing.read',
  'GET /api/v1/platform/numbers': 'trunks.manage',
  'POST /api/v1/platform/numbers': 'trunks.manage',
  'PATCH /api/v1/platform/numbers/:id': 'trunks.manage',
  'DELETE /api/v1/platform/numbers/:id': 'trunks.manage',
};

describe('intended permissions', () => {
  it('every route requires the permission we meant, and no route is unaccounted for', async () => {
    const fx = await createFixture('pglite');
    try {
      const actual = Object.fromEntries(
        fx.api.routes.map((r) => [`${r.method} ${r.url}`, r.public ? 'public' : r.permission]),
      );
      expect(actual).toEqual(INTENDED);
    } finally {
      await fx.close();
    }
  });

  it('the matrix keeps writes away from supervisors and users', () => {
    for (const p of [
      'users.write',
      'extensions.create',
      'extensions.delete',
      'apiKeys.manage',
      'tenants.delete',
    ] as const) {
      expect(accessFor(p, 'supervisor'), p).toBeNull();
      expect(accessFor(p, 'user'), p).toBeNull();
    }
    expect(accessFor('extensions.update', 'user')).toBe('own');
  });
});
