/**
 * The API server serving the portal (src/api/web.ts): index.html for any page the
 * browser asks for as HTML (so a reload on /extensions works), hashed assets cached
 * for a year, everything else revalidated; API, SIP and monitoring paths keep their
 * problem+json 404s; without a build, a page says how to make one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, buildApi } from '../../src/api/server.js';
import { ensureWebBuilt, WEB_DIST } from '../helpers/browser.js';
import { openTestDb, type TestDb } from '../helpers/db.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let db: TestDb;
let built: ApiServer;
let unbuilt: ApiServer;
let indexHtml = '';
let entryScript = '';

beforeAll(async () => {
  await ensureWebBuilt();
  indexHtml = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  entryScript = /<script type="module"[^>]* src="([^"]+)"/.exec(indexHtml)?.[1] ?? '';
  db = await openTestDb('pglite');
  const deps = {
    store: db.store,
    config: { sessionHours: 12, publicAddress: '127.0.0.1' },
    logger: pino({ level: 'silent' }),
  };
  built = await buildApi(deps);
  unbuilt = await buildApi({ ...deps, webRoot: '/nonexistent/' });
});

afterAll(async () => {
  await built?.app.close();
  await unbuilt?.app.close();
  await db?.close();
});

const get = (api: ApiServer, url: string, accept = HTML, method: 'GET' | 'HEAD' | 'POST' = 'GET') =>
  api.app.inject({ method, url, headers: { accept } });

describe('portal served by the API server', () => {
  it('answers a portal page asked for as HTML with index.html, revalidated every time', async () => {
    for (const url of ['/', '/extensions', '/calls?page=2', '/tenants/abc/extensions']) {
      const res = await get(built, url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.body, url).toBe(indexHtml);
    }
    const head = await get(built, '/extensions', HTML, 'HEAD');
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/html/);
  });

  it('serves hashed assets with a year of immutable caching, other files revalidated', async () => {
    expect(entryScript).toMatch(/^\/assets\/.+\.js$/);
    const js = await get(built, entryScript, '*/*');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe(readFileSync(join(WEB_DIST, entryScript), 'utf8'));

    const icon = await get(built, '/icon.svg', 'image/*');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('keeps problem+json 404s for API, SIP and monitoring paths even when HTML is accepted', async () => {
    for (const url of [
      '/api/v1/nope',
      '/api/v1/nope?x=1',
      '/api',
      '/sip/nope',
      '/metrics/nope',
      '/healthz/x',
    ]) {
      const res = await get(built, url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(res.json().code, url).toBe('NOT_FOUND');
    }
  });

  it('answers HTML only to GET/HEAD requests that accept it', async () => {
    const post = await get(built, '/extensions', HTML, 'POST');
    expect(post.statusCode).toBe(404);
    expect(post.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(post.body).not.toContain('<!doctype');

    const json = await get(built, '/extensions', 'application/json');
    expect(json.statusCode).toBe(404);
    expect(json.headers['content-type']).toMatch(/^application\/problem\+json/);

    // A missing asset is a 404, not the app shell parsed as JavaScript.
    const missing = await get(built, '/assets/missing-0000.js', '*/*');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('serves nothing outside web/dist', async () => {
    for (const url of [
      '/../package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
    ]) {
      const res = await get(built, url, '*/*');
      expect(res.statusCode, url).not.toBe(200);
      expect(res.body, url).not.toContain('"nimbus-pbx"');
    }
  });

  it('without a build, a portal page answers 503 saying to run npm run build; the API still works', async () => {
    const res = await get(unbuilt, '/extensions');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('npm run build');

    const api = await get(unbuilt, '/api/v1/nope');
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await get(unbuilt, '/healthz', 'application/json')).statusCode).toBe(200);
  });
});
