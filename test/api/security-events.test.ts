/**
 * The security events through the API: the operator sees every event and the
 * bans in force; a company's administrator sees only the events that named its
 * SIP domain; nobody else sees any. Real guard and event list, fed as the SIP
 * service feeds them.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthGuard } from '../../src/pbx/auth-guard.js';
import { ScannerFilter } from '../../src/pbx/scanner-filter.js';
import { SecurityLog } from '../../src/pbx/security-events.js';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('security events API', () => {
  let fx: Fixture;
  const domains = new Map<string, string>();
  const events = new SecurityLog(pino({ level: 'silent' }), {
    tenantOf: (realm) => domains.get(realm) ?? null,
  });
  const guard = new AuthGuard(events, { userFailures: 3 });
  const scanners = new ScannerFilter(events);

  beforeAll(async () => {
    fx = await createFixture('pglite', {
      security: {
        events: (f) => events.list(f),
        bans: () => guard.activeBans(),
        // As the SIP service lifts one (SipService.liftBan): the guard, then an unban event.
        lift: (ip, user, by) => {
          const ban = guard.banOf(ip, user);
          if (!ban) return null;
          guard.lift(ip, user);
          events.record({
            kind: 'unban',
            ip,
            user,
            realm: ban.realm,
            method: null,
            transport: null,
            reason: by,
            until: null,
          });
          return ban;
        },
        tenantOfRealm: (realm) => domains.get(realm) ?? null,
        settingsAllow: () => ['10.0.0.0/8'],
        // As app.ts does: the operator's list from the database into the guard.
        allowChanged: async () => {
          guard.setExtraAllow((await fx.store.sipAllow.all()).map((e) => e.cidr));
        },
        counts: () => ({
          events: { ...events.counts },
          dropped: { scanner: scanners.dropped, flood: 7, tenant: 3 },
          refused: { calls: 2 },
          tables: { nonces: { size: 5, max: 100 } },
        }),
      },
    });
    domains.set(fx.A.domain, fx.A.id);
    domains.set(fx.B.domain, fx.B.id);
    const fail = (realm: string, user: string) =>
      guard.failed({
        ip: '192.0.2.1',
        user,
        realm,
        method: 'REGISTER',
        transport: 'UDP',
        reason: 'wrong-password',
      });
    for (let i = 0; i < 3; i++) fail(fx.A.domain, '101');
    fail(fx.B.domain, '201');
    fail('198.51.100.1', '100');
    scanners.drop('friendly-scanner', { host: '203.0.113.5', transport: 'UDP' }, 'OPTIONS');
    scanners.drop('friendly-scanner', { host: '203.0.113.5', transport: 'UDP' }, 'OPTIONS');
  });
  afterAll(async () => fx?.close());

  it('shows the operator every event, newest first, and the bans in force', async () => {
    const res = await fx.call('GET', '/api/v1/platform/security-events', { as: fx.operator });
    expect(res.status).toBe(200);
    const kinds = res.json.items.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual([
      'scanner',
      'auth-failure',
      'auth-failure',
      'ban',
      'auth-failure',
      'auth-failure',
      'auth-failure',
    ]);
    expect(res.json.items[0]).toMatchObject({
      ip: '203.0.113.5',
      reason: 'friendly-scanner',
      method: 'OPTIONS',
    });
    expect(res.json.bans).toEqual([
      { ip: '192.0.2.1', user: '101', until: expect.any(String), realm: fx.A.domain },
    ]);
    const bans = await fx.call('GET', '/api/v1/platform/security-events?kind=ban&limit=5', {
      as: fx.operator,
    });
    expect(bans.json.items).toHaveLength(1);
    expect(bans.json.items[0]).toMatchObject({
      kind: 'ban',
      ip: '192.0.2.1',
      user: '101',
      realm: fx.A.domain,
    });
  });

  it("shows a company's administrator only the events that named its domain", async () => {
    const a = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/security-events`, { as: fx.A.admin });
    expect(a.status).toBe(200);
    expect(a.json.items).toHaveLength(4);
    expect(a.json.items.every((e: { realm: string }) => e.realm === fx.A.domain)).toBe(true);
    const b = await fx.call('GET', `/api/v1/tenants/${fx.B.id}/security-events`, { as: fx.B.admin });
    expect(b.json.items.map((e: { user: string }) => e.user)).toEqual(['201']);
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/security-events`, { as: fx.A.admin })).status,
    ).toBe(404);
  });

  it('counts them in /metrics', async () => {
    const res = await fx.call('GET', '/metrics');
    expect(res.text).toContain('nimbus_sip_security_events_total{kind="auth-failure"} 5');
    expect(res.text).toContain('nimbus_sip_security_events_total{kind="ban"} 1');
    expect(res.text).toContain('nimbus_sip_security_events_total{kind="scanner"} 1');
    expect(res.text).toContain('nimbus_sip_dropped_requests_total{reason="scanner"} 2');
    expect(res.text).toContain('nimbus_sip_dropped_requests_total{reason="flood"} 7');
    expect(res.text).toContain('nimbus_sip_dropped_requests_total{reason="tenant-rate"} 3');
    expect(res.text).toContain('nimbus_sip_refused_total{reason="calls"} 2');
    expect(res.text).toContain('nimbus_sip_table_entries{table="nonces"} 5');
    expect(res.text).toContain('nimbus_sip_table_capacity{table="nonces"} 100');
  });

  it("lifts a ban: a company's administrator only its own users', the operator any, audited", async () => {
    for (let i = 0; i < 3; i++)
      guard.failed({
        ip: '192.0.2.2',
        user: '201',
        realm: fx.B.domain,
        method: 'REGISTER',
        transport: 'UDP',
        reason: 'wrong-password',
      });
    const aView = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/security-events`, { as: fx.A.admin });
    expect(aView.json.bans).toEqual([
      { ip: '192.0.2.1', user: '101', until: expect.any(String), realm: fx.A.domain },
    ]);
    // B's user's ban is not A's to see or lift.
    const notMine = await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/security/bans/192.0.2.2?user=201`, {
      as: fx.A.admin,
    });
    expect(notMine.status).toBe(404);
    expect(guard.refused('192.0.2.2', '201')).toBe(true);
    const lifted = await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/security/bans/192.0.2.1?user=101`, {
      as: fx.A.admin,
    });
    expect(lifted.status).toBe(200);
    expect(lifted.json).toMatchObject({ ip: '192.0.2.1', user: '101', realm: fx.A.domain });
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
    expect(
      (
        await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/security/bans/192.0.2.1?user=101`, {
          as: fx.A.admin,
        })
      ).status,
    ).toBe(404);
    const audit = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/audit-log`, { as: fx.A.admin });
    expect(audit.json.items[0]).toMatchObject({
      action: 'sip-ban.lift',
      resourceType: 'sip-ban',
      resourceId: '192.0.2.1 101',
    });
    expect(events.list({ kind: 'unban' })[0]).toMatchObject({
      ip: '192.0.2.1',
      user: '101',
      realm: fx.A.domain,
    });

    // The operator lifts any ban; an address with none is 404, a malformed one 400.
    const op = await fx.call('DELETE', '/api/v1/platform/security/bans/192.0.2.2?user=201', {
      as: fx.operator,
    });
    expect(op.status).toBe(200);
    expect(guard.refused('192.0.2.2', '201')).toBe(false);
    expect(
      (await fx.call('DELETE', '/api/v1/platform/security/bans/192.0.2.2', { as: fx.operator })).status,
    ).toBe(404);
    expect(
      (await fx.call('DELETE', '/api/v1/platform/security/bans/not-an-ip', { as: fx.operator })).status,
    ).toBe(400);
    const platformAudit = await fx.call('GET', '/api/v1/audit-log', { as: fx.operator });
    expect(platformAudit.json.items[0]).toMatchObject({
      action: 'sip-ban.lift',
      resourceId: '192.0.2.2 201',
    });
    // Not a tenant admin's to call.
    expect(
      (await fx.call('DELETE', '/api/v1/platform/security/bans/192.0.2.2', { as: fx.A.admin })).status,
    ).toBe(403);
  });

  it("keeps the operator's allow-list: added and removed at once on the node, audited, the setting shown read-only", async () => {
    const url = '/api/v1/platform/security/allow';
    const empty = await fx.call('GET', url, { as: fx.operator });
    expect(empty.json).toEqual({ items: [], fromSettings: ['10.0.0.0/8'] });
    expect(guard.allowed('198.51.100.7')).toBe(false);
    const added = await fx.call('POST', url, {
      as: fx.operator,
      body: { cidr: '198.51.100.0/24', note: 'office' },
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ cidr: '198.51.100.0/24', note: 'office' });
    expect(guard.allowed('198.51.100.7')).toBe(true);
    // One spelling per entry: a /32 is the address itself, and a second copy is refused.
    const host = await fx.call('POST', url, { as: fx.operator, body: { cidr: '192.0.2.9/32' } });
    expect(host.json.cidr).toBe('192.0.2.9');
    const again = await fx.call('POST', url, { as: fx.operator, body: { cidr: '192.0.2.9' } });
    expect(again.status).toBe(409);
    const bad = await fx.call('POST', url, { as: fx.operator, body: { cidr: '198.51.100.0/33' } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: 'cidr' });
    expect(
      (await fx.call('GET', url, { as: fx.operator })).json.items.map((e: { cidr: string }) => e.cidr),
    ).toEqual(['198.51.100.0/24', '192.0.2.9']);
    expect((await fx.call('DELETE', `${url}/${added.json.id}`, { as: fx.operator })).status).toBe(204);
    expect(guard.allowed('198.51.100.7')).toBe(false);
    expect(guard.allowed('192.0.2.9')).toBe(true);
    expect((await fx.call('DELETE', `${url}/${added.json.id}`, { as: fx.operator })).status).toBe(404);
    const audit = await fx.store.platform.audit.list({ limit: 10, offset: 0, resourceType: 'sip-allow' });
    expect(audit.items.map((a) => a.action).sort()).toEqual([
      'sip-allow.create',
      'sip-allow.create',
      'sip-allow.delete',
    ]);
    expect((await fx.call('GET', url, { as: fx.A.admin })).status).toBe(403);
  });

  it('refuses everyone else', async () => {
    for (const as of [fx.A.admin, fx.A.supervisor, fx.A.user])
      expect((await fx.call('GET', '/api/v1/platform/security-events', { as })).status).toBe(403);
    for (const as of [fx.A.supervisor, fx.A.user])
      expect((await fx.call('GET', `/api/v1/tenants/${fx.A.id}/security-events`, { as })).status).toBe(403);
    const bad = await fx.call('GET', '/api/v1/platform/security-events?kind=nope', { as: fx.operator });
    expect(bad.status).toBe(400);
  });
});
