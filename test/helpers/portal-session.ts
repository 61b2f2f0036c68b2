/**
 * What the portal's Playwright tests share once a node and a browser are up:
 * signing in (as a cookie, or through the form), the node's REST API as the demo
 * admin (to check what the UI did), pages that know when they have settled (no
 * request in flight, no loader), navigation by the main menu, and Mantine selects.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page, Request } from 'playwright-core';
import type { TestContext } from 'vitest';
import { type PortalNode, screenshot } from './browser.js';

export interface Account {
  email: string;
  password: string;
}

export function portalSession(
  state: () => { portal: PortalNode; browser: Browser; adminCookie: string },
  opts: {
    /** How a failed test's page is photographed (default: the screenshot helper as is). */
    failShot?: (page: Page, name: string) => Promise<void>;
  } = {},
) {
  /** Requests of each page still waiting for their answer. */
  const inflight = new WeakMap<Page, Set<Request>>();

  async function signInCookie(who: Account): Promise<string> {
    const { portal } = state();
    const res = await fetch(`${portal.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(who),
    });
    const cookie = /nimbus_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (res.status !== 200 || !cookie) throw new Error(`sign-in of ${who.email}: ${res.status}`);
    return cookie;
  }

  /** The node's REST API as the demo admin: status and JSON body. */
  async function rest<T = Record<string, unknown>>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const { portal, adminCookie } = state();
    const res = await fetch(`${portal.url}/api/v1/tenants/${portal.tenantId}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        cookie: `nimbus_session=${adminCookie}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
  }

  /** A context of its own (signed in as `as`), whose page counts its requests; closed when the test ends. */
  async function open(
    t: TestContext,
    { as, ...options }: BrowserContextOptions & { as?: Account | 'admin' } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const { portal, browser, adminCookie } = state();
    const context = await browser.newContext({ baseURL: portal.url, locale: 'en-US', ...options });
    context.setDefaultTimeout(15_000);
    if (as) {
      const value = as === 'admin' ? adminCookie : await signInCookie(as);
      await context.addCookies([{ name: 'nimbus_session', value, url: portal.url }]);
    }
    const page = await context.newPage();
    const pending = new Set<Request>();
    inflight.set(page, pending);
    page.on('request', (r) => pending.add(r));
    page.on('requestfinished', (r) => pending.delete(r));
    page.on('requestfailed', (r) => pending.delete(r));
    t.onTestFinished(async (done) => {
      if (done.task.result?.state === 'fail')
        await (opts.failShot ?? screenshot)(page, `FAILED-${done.task.name}`).catch(() => undefined);
      await context.close();
    });
    return { context, page };
  }

  /** The page shows `heading`, has had no request in flight for 300 ms and shows no loader. */
  async function settled(page: Page, heading: string): Promise<void> {
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    const pending = inflight.get(page)!;
    const deadline = Date.now() + 15_000;
    let quietSince = Date.now();
    while (Date.now() - quietSince < 300) {
      // A calendar's open/closed badge polls; a WebSocket is not a request.
      if ([...pending].some((r) => !r.url().includes('/state'))) quietSince = Date.now();
      if (Date.now() > deadline)
        throw new Error(`still loading: ${[...pending].map((r) => r.url()).join(' ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.locator('.mantine-Loader-root').waitFor({ state: 'detached' });
  }

  async function fillSignIn(page: Page, who: Account): Promise<void> {
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill(who.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** Follows the main menu's link `label` and waits for the page titled `heading`. */
  async function goTo(page: Page, label: string, heading = label, exact = true): Promise<void> {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: label, exact })
      .click();
    await settled(page, heading);
  }

  /** Picks `option` in the select named `name` inside `scope`. */
  async function choose(page: Page, scope: Locator | Page, name: string, option: string): Promise<void> {
    await scope.getByRole('combobox', { name, exact: true }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }

  return { signInCookie, rest, open, settled, fillSignIn, goTo, choose };
}
