/**
 * Browser-facing protections of the HTTP server: a signed-in browser cannot be
 * made to change anything by another site (the Origin / Fetch Metadata check),
 * and every answer carries the security headers, the portal's pages a CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_CSP } from '../../src/api/web-security.js';
import { createFixture, type Fixture } from '../helpers/api.js';

const HOST = 'pbx.example.com:8080';

describe('web security', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture('pglite');
  });
  afterAll(async () => fx?.close());

  const create = (number: string, headers: Record<string, string>, token?: string) =>
    fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
      ...(token ? { token, as: null } : { as: fx.A.admin }),
      body: { number, displayName: 'Forged?' },
      headers: { host: HOST, ...headers },
    });

  const exists = async (number: string) => {
    const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions?limit=100`, { as: fx.A.admin });
    return (res.json.items as { number: string }[]).some((e) => e.number === number);
  };

  it('refuses a cookie-signed write whose Origin is another site, and changes nothing', async () => {
    const res = await create('701', { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('FORBIDDEN');
    expect(res.json.detail).toContain('another site');
    expect(await exists('701')).toBe(false);
  });

  it('refuses one that Fetch Metadata marks cross-site when no Origin is sent', async () => {
    const res = await create('702', { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(await exists('702')).toBe(false);
  });

  it('refuses a malformed Origin', async () => {
    expect((await create('703', { origin: 'null' })).status).toBe(403);
  });

  it("accepts the portal's own pages, and programs that send no Origin", async () => {
    expect((await create('704', { origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' })).status).toBe(
      201,
    );
    expect((await create('705', {})).status).toBe(201);
    expect(await exists('704')).toBe(true);
  });

  it('accepts an API key from anywhere: it is not an ambient browser credential', async () => {
    const res = await create('706', { origin: 'https://crm.example' }, fx.A.apiKey.token);
    expect(res.status).toBe(201);
  });

  it('refuses a sign-in posted by another site (login CSRF)', async () => {
    const res = await fx.call('POST', '/api/v1/auth/login', {
      as: null,
      body: { email: fx.A.admin.email, password: 'whatever-it-is' },
      headers: { host: HOST, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
  });

  it('lets reads through from anywhere (they change nothing; CORS keeps their answers from other sites)', async () => {
    const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions`, {
      as: fx.A.admin,
      headers: { host: HOST, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends the security headers with API answers and errors', async () => {
    for (const res of [
      await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions`, { as: fx.A.admin }),
      await fx.call('GET', '/api/v1/nowhere', { as: null }),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['permissions-policy']).toContain('microphone=(self)');
      expect(res.headers['content-security-policy']).toBeUndefined(); // JSON needs none
    }
  });

  it("gives the portal's pages a CSP without inline or foreign scripts, and leaves the API docs theirs", async () => {
    const page = await fx.call('GET', '/calls', { as: null, headers: { accept: 'text/html' } });
    expect(String(page.headers['content-type'])).toContain('text/html');
    expect(page.headers['content-security-policy']).toBe(PORTAL_CSP);
    expect(PORTAL_CSP).toContain("script-src 'self'");
    expect(PORTAL_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(PORTAL_CSP).toContain("frame-ancestors 'none'");
    const docs = await fx.call('GET', '/api/docs/', { as: null });
    expect(docs.headers['content-security-policy']).toBeUndefined();
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
  });
});
