/** The REST API end to end through fastify.inject(): auth, CRUD, lists, audit, API keys, 2FA. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../../src/util/totp.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

describe.each(backends())('REST API on %s', (backend) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture(backend);
  });
  afterAll(async () => fx?.close());

  describe('sign-in', () => {
    it('signs in, tells who I am, and signs out', async () => {
      const res = await fx.api.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'ADMIN@A.test', password: 'correct horse battery' },
      });
      expect(res.statusCode).toBe(200);
      const cookie = res.cookies.find((c) => c.name === 'nimbus_session')!;
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe('Lax');
      const as = { ...fx.A.admin, cookie: `nimbus_session=${cookie.value}` };
      const me = await fx.call('GET', '/api/v1/auth/me', { as });
      expect(me.json).toMatchObject({
        kind: 'user',
        role: 'tenant_admin',
        tenantId: fx.A.id,
        user: { email: 'admin@a.test' },
      });
      expect(me.json.user.passwordHash).toBeUndefined();
      expect((await fx.call('POST', '/api/v1/auth/logout', { as })).status).toBe(204);
      expect((await fx.call('GET', '/api/v1/auth/me', { as })).status).toBe(401);
    });

    it('answers an unknown account and a wrong password the same way', async () => {
      const a = await fx.call('POST', '/api/v1/auth/login', {
        body: { email: 'nobody@x.test', password: 'whatever1' },
      });
      const b = await fx.call('POST', '/api/v1/auth/login', {
        body: { email: 'admin@a.test', password: 'whatever1' },
      });
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
      expect({ ...a.json, instance: null }).toEqual({ ...b.json, instance: null });
    });

    it('records sign-ins and failures in the audit log', async () => {
      const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/audit-log?action=auth.loginFailed`, {
        as: fx.A.admin,
      });
      expect(res.json.items.length).toBeGreaterThan(0);
      expect(res.json.items[0]).toMatchObject({ action: 'auth.loginFailed', resourceType: 'user' });
    });

    it('throttles password guessing per account', async () => {
      const body = { email: 'supervisor@b.test', password: 'wrong-password' };
      for (let i = 0; i < 10; i++)
        expect((await fx.call('POST', '/api/v1/auth/login', { body })).status).toBe(401);
      const locked = await fx.call('POST', '/api/v1/auth/login', {
        body: { ...body, password: 'correct horse battery' },
      });
      expect(locked.status).toBe(429);
      expect(locked.json.code).toBe('RATE_LIMITED');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('refuses a forged or malformed bearer token', async () => {
      const forged = `${fx.A.apiKey.token.slice(0, -4)}AAAA`;
      expect((await fx.call('GET', '/api/v1/auth/me', { token: forged })).status).toBe(401);
      expect((await fx.call('GET', '/api/v1/auth/me', { token: 'nonsense' })).status).toBe(401);
    });
  });

  describe('tenants', () => {
    it('creates a tenant with its first admin, who can then sign in', async () => {
      const res = await fx.call('POST', '/api/v1/tenants', {
        as: fx.operator,
        body: {
          name: 'Horns & Hooves',
          sipDomain: 'HH.example.test',
          timeZone: 'Asia/Yekaterinburg',
          admin: { email: 'boss@hh.test' },
        },
      });
      expect(res.status).toBe(201);
      expect(res.json.tenant).toMatchObject({
        sipDomain: 'hh.example.test',
        language: 'ru',
        country: 'RU',
        limits: { maxExtensions: 100 },
      });
      expect(res.json.generatedPassword).toMatch(/^\S{14}$/);
      const login = await fx.call('POST', '/api/v1/auth/login', {
        body: { email: 'boss@hh.test', password: res.json.generatedPassword },
      });
      expect(login.status).toBe(200);
      expect(login.json.user.role).toBe('tenant_admin');
    });

    it('refuses a duplicate SIP domain, an unknown time zone and an unknown country', async () => {
      const dup = await fx.call('POST', '/api/v1/tenants', {
        as: fx.operator,
        body: { name: 'X', sipDomain: 'a.example.test' },
      });
      expect(dup.status).toBe(409);
      expect(dup.json).toMatchObject({ code: 'CONFLICT', field: 'sipDomain' });
      const tz = await fx.call('POST', '/api/v1/tenants', {
        as: fx.operator,
        body: { name: 'X', sipDomain: 'x1.test', timeZone: 'Mars/Olympus' },
      });
      expect(tz.json).toMatchObject({ status: 400, field: 'timeZone' });
      const cc = await fx.call('POST', '/api/v1/tenants', {
        as: fx.operator,
        body: { name: 'X', sipDomain: 'x2.test', country: 'ZZ' },
      });
      expect(cc.json).toMatchObject({ status: 400, field: 'country' });
    });

    it('lets a tenant admin rename the tenant but not change its limits', async () => {
      const ok = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}`, {
        as: fx.A.admin,
        body: { name: 'Tenant A Ltd' },
      });
      expect(ok.status).toBe(200);
      expect(ok.json.name).toBe('Tenant A Ltd');
      const no = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}`, {
        as: fx.A.admin,
        body: { limits: { maxExtensions: 9999 } },
      });
      expect(no.status).toBe(403);
      expect(no.json).toMatchObject({ code: 'FIELD_FORBIDDEN', field: 'limits' });
    });

    it('stops a disabled tenant from signing in', async () => {
      const t = await fx.call('POST', '/api/v1/tenants', {
        as: fx.operator,
        body: {
          name: 'Off',
          sipDomain: 'off.test',
          admin: { email: 'x@off.test', password: 'password-123' },
        },
      });
      await fx.call('PATCH', `/api/v1/tenants/${t.json.tenant.id}`, {
        as: fx.operator,
        body: { enabled: false },
      });
      const login = await fx.call('POST', '/api/v1/auth/login', {
        body: { email: 'x@off.test', password: 'password-123' },
      });
      expect(login.status).toBe(401);
    });
  });

  describe('extensions', () => {
    it('creates with a generated secret shown once, never in reads', async () => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
        as: fx.A.admin,
        body: { number: '200', displayName: 'Anna', voicemailPin: '4321' },
      });
      expect(res.status).toBe(201);
      expect(res.json.sipSecret).toMatch(/^\S{16}$/);
      expect(res.json).toMatchObject({
        number: '200',
        hasVoicemailPin: true,
        callClass: 'national',
        dnd: false,
      });
      const read = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions/${res.json.id}`, {
        as: fx.A.admin,
      });
      expect(read.json.sipSecret).toBeUndefined();
      expect(read.json.voicemailPin).toBeUndefined();
      expect(read.text).not.toContain(res.json.sipSecret);
    });

    it('accepts a given SIP secret and resets it', async () => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
        as: fx.A.admin,
        body: { number: '201', sipSecret: 'MyOwnSecret!42' },
      });
      expect(res.json.sipSecret).toBe('MyOwnSecret!42');
      const stored = await fx.store.tenant(fx.A.id).extensions.get(res.json.id);
      expect(stored?.sipSecret).toBe('MyOwnSecret!42');
      const reset = await fx.call(
        'POST',
        `/api/v1/tenants/${fx.A.id}/extensions/${res.json.id}/reset-secret`,
        { as: fx.A.admin },
      );
      expect(reset.status, reset.text).toBe(200);
      expect(reset.json.sipSecret).not.toBe('MyOwnSecret!42');
      expect((await fx.store.tenant(fx.A.id).extensions.get(res.json.id))?.sipSecret).toBe(
        reset.json.sipSecret,
      );
    });

    it('lets a user set DND and forwarding on their own extension only', async () => {
      const own = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.ownExtensionId}`, {
        as: fx.A.user,
        body: { dnd: true, forwarding: { busy: { enabled: true, target: '+79161234567' } } },
      });
      expect(own.status).toBe(200);
      expect(own.json.dnd).toBe(true);
      expect(own.json.forwarding.busy).toEqual({ enabled: true, target: '+79161234567' });
      expect(own.json.forwarding.always).toEqual({ enabled: false, target: '' });
      const other = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.otherExtensionId}`, {
        as: fx.A.user,
        body: { dnd: true },
      });
      expect(other.status).toBe(403);
      const field = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.ownExtensionId}`, {
        as: fx.A.user,
        body: { callClass: 'international' },
      });
      expect(field.json).toMatchObject({ status: 403, code: 'FIELD_FORBIDDEN', field: 'callClass' });
    });

    it('refuses a form saved over a change made meanwhile (ETag / If-Match), and takes a current one', async () => {
      const url = `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.otherExtensionId}`;
      const read = await fx.call('GET', url, { as: fx.A.admin });
      const etag = read.headers.etag as string;
      expect(etag).toMatch(/^"\d+"$/);
      // DND is dialled on the phone meanwhile (a change through another path).
      await new Promise((r) => setTimeout(r, 5));
      await fx.store.tenant(fx.A.id).extensions.update(fx.A.otherExtensionId, { dnd: true });
      const stale = await fx.call('PATCH', url, {
        as: fx.A.admin,
        headers: { 'if-match': etag },
        body: { dnd: false, ringTimeoutSec: 30 },
      });
      expect(stale.json).toMatchObject({ status: 412, code: 'PRECONDITION_FAILED' });
      expect((await fx.store.tenant(fx.A.id).extensions.get(fx.A.otherExtensionId))?.dnd).toBe(true);
      const fresh = await fx.call('GET', url, { as: fx.A.admin });
      const ok = await fx.call('PATCH', url, {
        as: fx.A.admin,
        headers: { 'if-match': fresh.headers.etag as string },
        body: { ringTimeoutSec: 30 },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.etag).not.toBe(fresh.headers.etag);
      // Without If-Match the change is simply made (API clients that do not care).
      expect((await fx.call('PATCH', url, { as: fx.A.admin, body: { dnd: false } })).status).toBe(200);
    });

    it('refuses an enabled forwarding rule without a target', async () => {
      const res = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.ownExtensionId}`, {
        as: fx.A.admin,
        body: { forwarding: { noAnswer: { enabled: true, target: '' } } },
      });
      expect(res.json).toMatchObject({ status: 400, field: 'forwarding.noAnswer.target' });
    });

    it('refuses an owner from another tenant', async () => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
        as: fx.A.admin,
        body: { number: '299', userId: fx.B.user.userId },
      });
      expect(res.json).toMatchObject({ status: 400, field: 'userId' });
      expect(await fx.store.tenant(fx.A.id).extensions.getByNumber('299')).toBeUndefined();
    });

    it('enforces the tenant limit on extensions', async () => {
      const t = await fx.call('POST', '/api/v1/tenants', {
        as: fx.operator,
        body: { name: 'Tiny', sipDomain: 'tiny.test', limits: { maxExtensions: 1 } },
      });
      const id = t.json.tenant.id;
      expect(
        (
          await fx.call('POST', `/api/v1/tenants/${id}/extensions`, {
            as: fx.operator,
            body: { number: '10' },
          })
        ).status,
      ).toBe(201);
      const over = await fx.call('POST', `/api/v1/tenants/${id}/extensions`, {
        as: fx.operator,
        body: { number: '11' },
      });
      expect(over.status).toBe(409);
      expect(over.json.code).toBe('LIMIT_REACHED');
    });

    it('paginates, filters, searches and sorts numerically', async () => {
      for (const n of ['30', '1000', '300', '31']) {
        await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
          as: fx.A.admin,
          body: { number: n, displayName: `Sorted ${n}` },
        });
      }
      const page = await fx.call(
        'GET',
        `/api/v1/tenants/${fx.A.id}/extensions?q=Sorted&sort=number&limit=3`,
        { as: fx.A.admin },
      );
      expect(page.json.total).toBe(4);
      expect(page.json.items.map((e: { number: string }) => e.number)).toEqual(['30', '31', '300']);
      const next = await fx.call(
        'GET',
        `/api/v1/tenants/${fx.A.id}/extensions?q=Sorted&sort=number&limit=3&offset=3`,
        { as: fx.A.admin },
      );
      expect(next.json.items.map((e: { number: string }) => e.number)).toEqual(['1000']);
      const desc = await fx.call(
        'GET',
        `/api/v1/tenants/${fx.A.id}/extensions?q=Sorted&sort=-number&limit=1`,
        { as: fx.A.admin },
      );
      expect(desc.json.items[0].number).toBe('1000');
      const mine = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions?userId=${fx.A.user.userId}`, {
        as: fx.A.admin,
      });
      expect(mine.json.items.map((e: { number: string }) => e.number)).toEqual(['101']);
      const literal = await fx.call(
        'GET',
        `/api/v1/tenants/${fx.A.id}/extensions?q=${encodeURIComponent('%')}`,
        { as: fx.A.admin },
      );
      expect(literal.json.total).toBe(0);
    });

    it('deletes, and the audit log tells who changed what from what to what', async () => {
      const created = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
        as: fx.A.admin,
        body: { number: '400', displayName: 'Old' },
      });
      await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${created.json.id}`, {
        as: fx.A.admin,
        body: { displayName: 'New' },
      });
      expect(
        (
          await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/extensions/${created.json.id}`, {
            as: fx.A.admin,
          })
        ).status,
      ).toBe(204);
      expect(
        (await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions/${created.json.id}`, { as: fx.A.admin }))
          .status,
      ).toBe(404);
      const log = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/audit-log?resourceId=${created.json.id}`, {
        as: fx.A.admin,
      });
      expect(log.json.items.map((e: { action: string }) => e.action)).toEqual([
        'extension.delete',
        'extension.update',
        'extension.create',
      ]);
      const update = log.json.items[1];
      expect(update.actor).toMatchObject({ type: 'user', id: fx.A.admin.userId, label: 'admin@a.test' });
      expect(update.before.displayName).toBe('Old');
      expect(update.after.displayName).toBe('New');
      const secret = (await fx.store.tenant(fx.A.id).extensions.getByNumber('101'))?.sipSecret;
      const all = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/audit-log?limit=200`, { as: fx.A.admin });
      expect(all.text).not.toContain(created.json.sipSecret);
      expect(all.text).not.toContain(secret);
      expect(all.text).not.toContain('$argon2');
    });
  });

  describe('users', () => {
    it('creates a user with a generated password, changes the role, and keeps the last admin', async () => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/users`, {
        as: fx.A.admin,
        body: { email: 'New.Person@A.test', role: 'supervisor' },
      });
      expect(res.status).toBe(201);
      expect(res.json.user.email).toBe('new.person@a.test');
      expect(res.json.user.passwordHash).toBeUndefined();
      const dup = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/users`, {
        as: fx.A.admin,
        body: { email: 'new.person@a.test', role: 'user' },
      });
      expect(dup.json).toMatchObject({ status: 409, field: 'email' });
      const demote = await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/users/${fx.A.admin.userId}`, {
        as: fx.A.admin,
        body: { role: 'user' },
      });
      expect(demote.json).toMatchObject({ status: 409, code: 'LAST_ADMIN' });
      const del = await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/users/${fx.A.admin.userId}`, {
        as: fx.A.admin,
      });
      expect(del.json.code).toBe('LAST_ADMIN');
    });

    it('signs a user out everywhere when disabled', async () => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.B.id}/users`, {
        as: fx.B.admin,
        body: { email: 'leaver@b.test', role: 'user', password: 'leaver-pass-1' },
      });
      const login = await fx.api.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'leaver@b.test', password: 'leaver-pass-1' },
      });
      const cookie = `nimbus_session=${login.cookies[0]!.value}`;
      const as = { ...fx.B.user, cookie };
      expect((await fx.call('GET', '/api/v1/auth/me', { as })).status).toBe(200);
      await fx.call('PATCH', `/api/v1/tenants/${fx.B.id}/users/${res.json.user.id}`, {
        as: fx.B.admin,
        body: { disabled: true },
      });
      expect((await fx.call('GET', '/api/v1/auth/me', { as })).status).toBe(401);
    });
  });

  describe('API keys', () => {
    it('creates a key whose token works once shown, and revokes it', async () => {
      const res = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/api-keys`, {
        as: fx.A.admin,
        body: { name: 'CRM', role: 'supervisor' },
      });
      expect(res.status).toBe(201);
      expect(res.json.token).toMatch(/^nmb_[A-Za-z0-9]{12}_/);
      const list = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/api-keys`, { as: fx.A.admin });
      expect(list.text).not.toContain(res.json.token);
      const me = await fx.call('GET', '/api/v1/auth/me', { token: res.json.token });
      expect(me.json).toMatchObject({ kind: 'apiKey', role: 'supervisor', tenantId: fx.A.id });
      expect(
        (
          await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
            token: res.json.token,
            body: { number: '555' },
          })
        ).status,
      ).toBe(403);
      expect(
        (await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/api-keys/${res.json.id}`, { as: fx.A.admin }))
          .status,
      ).toBe(204);
      expect((await fx.call('GET', '/api/v1/auth/me', { token: res.json.token })).status).toBe(401);
    });

    it('refuses an expired key', async () => {
      const res = await fx.call('POST', '/api/v1/api-keys', {
        as: fx.operator,
        body: { name: 'short', role: 'operator', expiresAt: new Date(Date.now() + 1500).toISOString() },
      });
      expect((await fx.call('GET', '/api/v1/tenants', { token: res.json.token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1600));
      expect((await fx.call('GET', '/api/v1/tenants', { token: res.json.token })).status).toBe(401);
    });
  });

  describe('two-factor sign-in', () => {
    it('refuses to turn on TOTP with a wrong code', async () => {
      const as = fx.B.admin;
      const setup = await fx.call('POST', '/api/v1/auth/totp/setup', { as });
      expect(setup.json.otpauthUri).toMatch(/^otpauth:\/\/totp\/Nimbus%20PBX%3Aadmin%40b\.test\?secret=/);
      const wrong = totp(setup.json.secret) === '000000' ? '111111' : '000000';
      const bad = await fx.call('POST', '/api/v1/auth/totp/enable', { as, body: { code: wrong } });
      expect(bad.json).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'code' });
      expect((await fx.call('GET', '/api/v1/auth/me', { as })).json.user.totpEnabled).toBe(false);
    });

    it('signs in with password and code', async () => {
      const email = 'twofa@a.test';
      const created = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/users`, {
        as: fx.A.admin,
        body: { email, role: 'user', password: 'twofa-pass-1' },
      });
      expect(created.status).toBe(201);
      const login = await fx.api.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password: 'twofa-pass-1' },
      });
      const as = { ...fx.A.user, cookie: `nimbus_session=${login.cookies[0]!.value}` };
      const setup = await fx.call('POST', '/api/v1/auth/totp/setup', { as });
      await fx.call('POST', '/api/v1/auth/totp/enable', { as, body: { code: totp(setup.json.secret) } });
      const noCode = await fx.call('POST', '/api/v1/auth/login', {
        body: { email, password: 'twofa-pass-1' },
      });
      expect(noCode.json).toMatchObject({ status: 401, code: 'TOTP_REQUIRED', field: 'totpCode' });
      // The code used to turn 2FA on is spent; the next one (one step of drift is allowed) works once.
      const spent = await fx.call('POST', '/api/v1/auth/login', {
        body: { email, password: 'twofa-pass-1', totpCode: totp(setup.json.secret) },
      });
      expect(spent.json.code).toBe('INVALID_TOTP');
      const next = totp(setup.json.secret, Date.now() + 30_000);
      const withCode = await fx.call('POST', '/api/v1/auth/login', {
        body: { email, password: 'twofa-pass-1', totpCode: next },
      });
      expect(withCode.status).toBe(200);
      const replay = await fx.call('POST', '/api/v1/auth/login', {
        body: { email, password: 'twofa-pass-1', totpCode: next },
      });
      expect(replay.json).toMatchObject({ status: 401, code: 'INVALID_TOTP' });
    });
  });

  describe('call history and provisioning', () => {
    it("shows admins every call and a user only their own extensions' calls", async () => {
      const log = fx.store.callLog;
      const start = (caller: string, callee: string) =>
        log.open({
          tenantId: fx.A.id,
          sipCallId: `${caller}-${callee}@t`,
          caller,
          callerName: '',
          callee,
          direction: 'internal',
          node: 't',
        });
      const mine = start('101', '102');
      const theirs = start('102', '103');
      const incoming = start('104', '101');
      await Promise.all([mine.written, theirs.written, incoming.written]);
      const url = `/api/v1/tenants/${fx.A.id}/calls`;
      const all = await fx.call('GET', url, { as: fx.A.admin });
      expect(all.json.items.map((c: { id: string }) => c.id)).toEqual(
        expect.arrayContaining([mine.id, theirs.id, incoming.id]),
      );
      const own = await fx.call('GET', url, { as: fx.A.user });
      expect(own.status).toBe(200);
      expect(own.json.items.map((c: { id: string }) => c.id).sort()).toEqual([mine.id, incoming.id].sort());
      expect((await fx.call('GET', `${url}/${mine.id}`, { as: fx.A.user })).status).toBe(200);
      expect((await fx.call('GET', `${url}/${theirs.id}`, { as: fx.A.user })).status).toBe(404);
      // B's user owns B's 101: A's calls with the same numbers are not theirs.
      expect(
        (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/calls`, { as: fx.B.user })).json.items,
      ).toEqual([]);
    });

    it('gives the browser softphone short-lived credentials for my own extensions only', async () => {
      const res = await fx.call('GET', '/api/v1/auth/softphone', { as: fx.A.user });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json.sipDomain).toBe(fx.A.domain);
      expect(res.json.server).toBeNull(); // NIMBUS_SOFTPHONE_WS_URL unset: this server's /sip
      expect(res.json.extensions).toHaveLength(1);
      const [ext] = res.json.extensions;
      expect(ext).toMatchObject({ number: '101', username: expect.stringMatching(/^101~\d+$/) });
      expect(ext.password).not.toBe('secret-A-101'); // never the extension's own secret
      const ttl = Date.parse(ext.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(11 * 3600_000); // the session's 12 hours, not more
      expect(ttl).toBeLessThanOrEqual(12 * 3600_000 + 1000);
      expect((await fx.call('GET', '/api/v1/auth/softphone', { as: fx.A.admin })).json.extensions).toEqual(
        [],
      );
      const none = { server: null, sipDomain: null, extensions: [] };
      expect((await fx.call('GET', '/api/v1/auth/softphone', { token: fx.A.apiKey.token })).json).toEqual(
        none,
      );
      expect((await fx.call('GET', '/api/v1/auth/softphone', { as: fx.operator })).json).toEqual(none);
    });

    it("tells a tenant's phones where to register, without secrets", async () => {
      const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/provisioning`, { as: fx.A.user });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ sipDomain: fx.A.domain, host: '127.0.0.1', transports: [] });
      expect(
        (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/provisioning`, { as: fx.A.admin })).status,
      ).toBe(404);
    });
  });

  describe('documents and health', () => {
    it('serves an OpenAPI document naming every route', async () => {
      const res = await fx.call('GET', '/api/docs/json');
      expect(res.status).toBe(200);
      expect(res.json.openapi).toMatch(/^3\./);
      for (const r of fx.api.routes) {
        const path = r.url.replace(/:(\w+)/g, '{$1}');
        expect(res.json.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path}`).toBeDefined();
      }
      expect((await fx.api.app.inject({ method: 'GET', url: '/api/docs/' })).statusCode).toBe(200);
    });

    it("shows the operator this node's health, and nobody else", async () => {
      const res = await fx.call('GET', '/api/v1/platform/health', { as: fx.operator });
      expect(res.status).toBe(200);
      expect(res.json.node).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), redis: false });
      expect(res.json.checks[0]).toMatchObject({ name: 'database', ok: true });
      expect(res.json.process.rssMB).toBeGreaterThan(10);
      expect(res.json.tenants.total).toBeGreaterThanOrEqual(2);
      expect((await fx.call('GET', '/api/v1/platform/health', { as: fx.A.admin })).status).toBe(403);
    });

    it('answers /healthz, /readyz and /metrics', async () => {
      expect((await fx.call('GET', '/healthz')).json).toEqual({ status: 'ok' });
      const ready = await fx.call('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.json.checks[0]).toMatchObject({ name: 'database', ok: true });
      const metrics = await fx.call('GET', '/metrics');
      expect(metrics.text).toContain('nimbus_http_requests_total');
      expect(metrics.text).toContain('process_cpu_user_seconds_total');
    });

    it('answers an unknown route with problem+json 404', async () => {
      const res = await fx.call('GET', '/api/v1/nope');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json.code).toBe('NOT_FOUND');
    });
  });
});

describe.each(backends())('rights that change under load on %s', (backend) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture(backend);
  });
  afterAll(async () => fx?.close());

  it('never leaves a tenant without an admin, even when two admins are demoted at once', async () => {
    const second = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/users`, {
      as: fx.A.admin,
      body: { email: 'admin2@a.test', role: 'tenant_admin', password: 'admin2-password' },
    });
    const results = await Promise.all([
      fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/users/${fx.A.admin.userId}`, {
        as: fx.operator,
        body: { role: 'user' },
      }),
      fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/users/${second.json.user.id}`, {
        as: fx.operator,
        body: { role: 'user' },
      }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const admins = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/users?role=tenant_admin&disabled=false`, {
      as: fx.operator,
    });
    expect(admins.json.total).toBe(1);
  });

  it('revokes the API keys of an admin who is disabled', async () => {
    await fx.call('POST', `/api/v1/tenants/${fx.B.id}/users`, {
      as: fx.B.admin,
      body: { email: 'keymaker@b.test', role: 'tenant_admin', password: 'keymaker-pass' },
    });
    const login = await fx.api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'keymaker@b.test', password: 'keymaker-pass' },
    });
    const as = { ...fx.B.admin, cookie: `nimbus_session=${login.cookies[0]!.value}` };
    const key = await fx.call('POST', `/api/v1/tenants/${fx.B.id}/api-keys`, {
      as,
      body: { name: 'k', role: 'tenant_admin' },
    });
    expect((await fx.call('GET', '/api/v1/auth/me', { token: key.json.token })).status).toBe(200);
    const me = await fx.call('GET', '/api/v1/auth/me', { as });
    await fx.call('PATCH', `/api/v1/tenants/${fx.B.id}/users/${me.json.user.id}`, {
      as: fx.B.admin,
      body: { disabled: true },
    });
    expect((await fx.call('GET', '/api/v1/auth/me', { token: key.json.token })).status).toBe(401);
    const log = await fx.call('GET', `/api/v1/tenants/${fx.B.id}/audit-log?action=apiKey.revoke`, {
      as: fx.B.admin,
    });
    expect(log.json.total).toBe(1);
  });

  it('locks out a guessing address, not the account', async () => {
    const body = { email: 'op@platform.test', password: 'wrong-password' };
    const from = (remoteAddress: string, payload: object) =>
      fx.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, remoteAddress });
    for (let i = 0; i < 10; i++) expect((await from('10.9.9.9', body)).statusCode).toBe(401);
    expect((await from('10.9.9.9', { ...body, password: 'correct horse battery' })).statusCode).toBe(429);
    expect((await from('10.8.8.8', { ...body, password: 'correct horse battery' })).statusCode).toBe(200);
  });
});
