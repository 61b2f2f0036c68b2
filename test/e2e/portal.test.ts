/**
 * The web portal end to end: Debian's Chromium (playwright-core) against a whole
 * node started in-process, serving web/dist. One node and one browser for the
 * file; a fresh browser context (cookies, localStorage) per test. Screenshots of
 * every page, in English and Russian and on a phone, go to test-artifacts/screenshots/,
 * and a failing test leaves one of its page there too.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { gzipSync } from 'node:zlib';
import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  Page,
  Request,
  Response,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  browserTests,
  clearScreenshots,
  ensureWebBuilt,
  launchBrowser,
  type PortalNode,
  screenshot,
  startPortalNode,
} from '../helpers/browser.js';

/** Texts of the portal (web/src/i18n/en.ts and ru.ts) the tests look for. */
const TEXT = {
  en: {
    signIn: 'Sign in',
    submit: 'Sign in',
    email: 'Email',
    password: 'Password',
    nav: 'Main navigation',
    extensions: 'Extensions',
    calls: 'Call history',
    profile: 'My settings',
  },
  ru: {
    signIn: 'Вход',
    submit: 'Войти',
    email: 'Эл. почта',
    password: 'Пароль',
    nav: 'Главное меню',
    extensions: 'Внутренние номера',
    calls: 'История звонков',
    profile: 'Мои настройки',
  },
} as const;
type Lang = keyof typeof TEXT;

const SIGN_IN_JS_BUDGET = 300 * 1024;

// A page load takes a second or more on a busy 2-core CI box; give each test room.
describe.runIf(browserTests)('web portal in Chromium', { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;

  beforeAll(async () => {
    clearScreenshots();
    const [node, chromium] = await Promise.allSettled([
      ensureWebBuilt().then(() => startPortalNode()),
      launchBrowser(),
    ]);
    // Whatever started is kept, so afterAll stops it when the other failed.
    if (node.status === 'fulfilled') portal = node.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    for (const r of [node, chromium]) if (r.status === 'rejected') throw r.reason;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  /** The demo admin's session cookie, made once: signing in costs a password hash (about a second). */
  let adminSession: Promise<string> | null = null;
  async function adminCookie(): Promise<string> {
    adminSession ??= fetch(`${portal.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(portal.admin),
    }).then((res) => {
      const cookie = /nimbus_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
      if (res.status !== 200 || !cookie) throw new Error(`admin sign-in: ${res.status}`);
      return cookie;
    });
    return adminSession;
  }

  /**
   * A new browser context and page for this test (signed in as the demo admin with
   * `signedIn`), closed after it, with a screenshot of the page if the test failed.
   */
  async function open(
    t: TestContext,
    { signedIn = false, ...opts }: BrowserContextOptions & { signedIn?: boolean } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ baseURL: portal.url, locale: 'en-US', ...opts });
    context.setDefaultTimeout(15_000);
    if (signedIn) await signIn(context);
    const page = await context.newPage();
    trackRequests(page);
    t.onTestFinished(async (done) => {
      if (done.task.result?.state === 'fail')
        await screenshot(page, `FAILED-${done.task.name}`).catch(() => undefined);
      await context.close();
    });
    return { context, page };
  }

  /** The demo admin's account language (null: the browser's choice). */
  async function accountLanguage(): Promise<string | null> {
    const res = await fetch(`${portal.url}/api/v1/auth/me`, {
      headers: { cookie: `nimbus_session=${await adminCookie()}` },
    });
    return ((await res.json()) as { user: { language: string | null } }).user.language;
  }

  async function setAccountLanguage(language: string | null): Promise<void> {
    const res = await fetch(`${portal.url}/api/v1/auth/me`, {
      method: 'PATCH',
      headers: { cookie: `nimbus_session=${await adminCookie()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ language }),
    });
    expect(res.status).toBe(200);
  }

  /** Gives the context the demo admin's session (the sign-in form itself is tested once, below). */
  async function signIn(context: BrowserContext) {
    const value = await adminCookie();
    await context.addCookies([{ name: 'nimbus_session', value, url: portal.url }]);
  }

  async function fillSignIn(page: Page, who: { email: string; password: string }, lang: Lang = 'en') {
    await page.getByRole('textbox', { name: TEXT[lang].email, exact: true }).fill(who.email);
    await page.getByRole('textbox', { name: TEXT[lang].password, exact: true }).fill(who.password);
    await page.getByRole('button', { name: TEXT[lang].submit, exact: true }).click();
  }

  const htmlLang = (page: Page) => page.evaluate<string>('document.documentElement.lang');
  const pathOf = (page: Page) => new URL(page.url()).pathname;

  /** Requests of each page still waiting for their answer (WebSockets are not requests). */
  const inflight = new WeakMap<Page, Set<Request>>();
  /** API calls of each page that failed, "METHOD path status", but for the 401 of "who am I" before signing in; CSP violations. */
  const failedCalls = new WeakMap<Page, string[]>();
  function trackRequests(page: Page) {
    const pending = new Set<Request>();
    const failed: string[] = [];
    inflight.set(page, pending);
    failedCalls.set(page, failed);
    // Anything the portal's Content Security Policy blocks counts as a failure too.
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) failed.push(`CSP: ${m.text()}`);
    });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (
        r.status() >= 400 &&
        path.startsWith('/api/') &&
        !(r.status() === 401 && path === '/api/v1/auth/me')
      )
        failed.push(`${r.request().method()} ${path} ${r.status()}`);
    });
    page.on('request', (r) => pending.add(r));
    page.on('requestfinished', (r) => pending.delete(r));
    page.on('requestfailed', (r) => pending.delete(r));
  }

  /**
   * Waits until the page shows `heading` (any level-2 heading when null), has no
   * request in flight for 300 ms and shows no loader. (`networkidle` would not do:
   * it does not wait again after the app's own client-side navigation.)
   */
  async function settled(page: Page, heading: string | null) {
    await (heading === null
      ? page.getByRole('main').getByRole('heading', { level: 2 }).first()
      : page.getByRole('heading', { name: heading, exact: true })
    ).waitFor();
    const pending = inflight.get(page)!;
    const deadline = Date.now() + 15_000;
    let quietSince = Date.now();
    while (Date.now() - quietSince < 300) {
      if (pending.size > 0) quietSince = Date.now();
      if (Date.now() > deadline)
        throw new Error(`still loading: ${[...pending].map((r) => r.url()).join(' ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.locator('.mantine-Loader-root').waitFor({ state: 'detached' });
  }

  /** The main navigation's links, in order: [path, label]. */
  async function navLinks(page: Page, lang: Lang): Promise<[string, string][]> {
    const links = page.getByRole('navigation', { name: TEXT[lang].nav }).getByRole('link');
    await links.first().waitFor();
    const out: [string, string][] = [];
    for (const link of await links.all())
      out.push([(await link.getAttribute('href')) ?? '', ((await link.textContent()) ?? '').trim()]);
    return out;
  }

  it('a tenant admin signs in, creates extension 150 and gets its SIP password and QR code', async (t) => {
    const { context, page } = await open(t);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, portal.admin);
    // Signed in, the admin lands on the first page of their navigation; Extensions is one of them.
    const links = await navLinks(page, 'en');
    await page.waitForURL(`**${links[0]![0]}`);
    expect(links).toContainEqual(['/extensions', 'Extensions']);
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Extensions' })
      .click();
    await page.waitForURL('**/extensions');
    await settled(page, 'Extensions');

    // The owner of 101 by name (the page looks the users up).
    await page.getByRole('row', { name: /^101 Reception Demo Admin/ }).waitFor();
    expect(failedCalls.get(page)).toEqual([]);

    await page.getByRole('button', { name: 'New extension' }).click();
    const form = page.getByRole('dialog', { name: 'New extension' });
    await form.getByRole('textbox', { name: 'Number', exact: true }).fill('150');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Reception desk');
    await form.getByRole('button', { name: 'Create', exact: true }).click();

    const card = page.getByRole('dialog', { name: 'Provisioning for 150' });
    await card.waitFor();
    await expect.poll(() => card.getByRole('dialog', { name: 'New extension' }).count()).toBe(0);
    await card.getByRole('status').filter({ hasText: 'The SIP password is shown only now' }).waitFor();
    const secret = (await card.getByTestId('sip-secret').textContent())?.trim() ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(12);
    const qr = card.getByRole('img', { name: 'QR code with the account settings' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const decoded = (img: unknown) => {
      const { complete, naturalWidth } = img as { complete: boolean; naturalWidth: number };
      return complete && naturalWidth > 0;
    };
    expect(await qr.evaluate(decoded)).toBe(true);
    await screenshot(page, 'en-extension-created');

    // The password shown is the one phones must register with.
    const entry = portal.node.sip.directory.tenantByDomain('127.0.0.1')?.extensions.get('150');
    expect(entry?.sipSecret).toBe(secret);

    await page.keyboard.press('Escape');
    await card.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /^150 Reception desk/ }).waitFor();

    // The same session cookie works for the REST API, which has the extension too.
    const res = await context.request.get(`/api/v1/tenants/${portal.tenantId}/extensions?limit=200`);
    expect(res.status()).toBe(200);
    const body = (await res.json()) as { items: { number: string; displayName: string }[] };
    expect(body.items.find((e) => e.number === '150')).toMatchObject({ displayName: 'Reception desk' });
  });

  it('a wrong password shows an error and goes nowhere', async (t) => {
    const { page } = await open(t);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, { email: portal.admin.email, password: 'not-the-password' });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.trim()).not.toBe('');
    expect(pathOf(page)).toBe('/');
    expect(await page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.getByRole('navigation').count()).toBe(0);
    // The form keeps what was typed.
    expect(await page.getByRole('textbox', { name: 'Email', exact: true }).inputValue()).toBe(
      portal.admin.email,
    );
  });

  it('the language switch turns the portal Russian, and the choice survives a reload', async (t) => {
    const { context, page } = await open(t);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await htmlLang(page)).toBe('en');

    await page.getByRole('radiogroup', { name: 'Language' }).getByText('Русский').click();
    await page.getByRole('heading', { name: 'Вход' }).waitFor();
    expect(await htmlLang(page)).toBe('ru');
    expect(await page.evaluate<string | null>("localStorage.getItem('nimbus.language')")).toBe('ru');
    await page.getByRole('button', { name: 'Войти', exact: true }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Вход' }).waitFor();
    expect(await htmlLang(page)).toBe('ru');
    expect(await page.getByRole('radio', { name: 'Русский' }).isChecked()).toBe(true);

    // Signed in, the pages are Russian too. The header's switch also sets the account's
    // language (that of its voice prompts), which then wins in any browser.
    t.onTestFinished(() => setAccountLanguage(null));
    await signIn(context);
    await page.goto('/extensions');
    await settled(page, 'Внутренние номера');
    await page
      .getByRole('navigation', { name: 'Главное меню' })
      .getByRole('link', { name: 'История звонков' })
      .waitFor();
    await page.getByRole('radiogroup', { name: 'Язык' }).getByText('English').click();
    await page.getByRole('heading', { name: 'Extensions', exact: true }).waitFor();
    expect(await htmlLang(page)).toBe('en');
    await expect.poll(accountLanguage).toBe('en');
    await page.getByRole('radiogroup', { name: 'Language' }).getByText('Русский').click();
    await page.getByRole('heading', { name: 'Внутренние номера', exact: true }).waitFor();
    await expect.poll(accountLanguage).toBe('ru');

    const other = await open(t, { signedIn: true, locale: 'en-US' });
    await other.page.goto('/extensions');
    await settled(other.page, 'Внутренние номера');
    expect(await htmlLang(other.page)).toBe('ru');
  });

  for (const [lang, name] of [
    ['en', 'English'],
    ['ru', 'Russian'],
  ] as const) {
    it(`renders the sign-in page and every page of a tenant admin in ${name}`, async (t) => {
      const text = TEXT[lang];
      // The browser's language picks the portal's before any choice was made.
      const { context, page } = await open(t, { locale: lang === 'ru' ? 'ru-RU' : 'en-US' });
      await page.goto('/');
      await settled(page, text.signIn);
      expect(await htmlLang(page)).toBe(lang);
      await screenshot(page, `${lang}-sign-in`);

      await signIn(context);
      // Every page of the admin's navigation, reached through it; the required ones by their titles.
      await page.goto('/');
      const titles: Record<string, string> = {
        '/extensions': text.extensions,
        '/calls': text.calls,
        '/profile': text.profile,
      };
      const links = await navLinks(page, lang);
      expect(links.map(([path]) => path)).toEqual(expect.arrayContaining(Object.keys(titles)));
      for (const [path, label] of links) {
        await page
          .getByRole('navigation', { name: text.nav })
          .getByRole('link', { name: label, exact: true })
          .click();
        await page.waitForURL(`**${path}`);
        await settled(page, titles[path] ?? null);
        const heading = await page.getByRole('main').getByRole('heading', { level: 2 }).first().textContent();
        expect(heading, path).not.toBe(lang === 'en' ? 'Page not found' : 'Страница не найдена');
        expect(await page.getByRole('main').getByRole('alert').count(), `${path}: an error is shown`).toBe(0);
        await screenshot(page, `${lang}${path.replaceAll('/', '-')}`);
      }
      expect(failedCalls.get(page), 'API calls that failed').toEqual([]);
    });
  }

  it('on a phone the navigation folds behind the burger button', async (t) => {
    const { page } = await open(t, {
      signedIn: true,
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/extensions');
    await settled(page, 'Extensions');
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    const callsLink = nav.getByRole('link', { name: 'Call history' });
    const inView = () => callsLink.evaluate((el) => el.getBoundingClientRect().right > 0);
    expect(await inView()).toBe(false);
    // Nothing is wider than the screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-extensions');

    await page.getByRole('button', { name: 'Open navigation' }).click();
    await expect.poll(inView).toBe(true);
    await page.waitForTimeout(300); // the slide-in transition, for the screenshot
    await screenshot(page, 'phone-en-navigation');

    await callsLink.click();
    await page.waitForURL('**/calls');
    await settled(page, 'Call history');
    await expect.poll(inView).toBe(false);
    await screenshot(page, 'phone-en-calls');
  });

  it(`the sign-in page loads under ${SIGN_IN_JS_BUDGET / 1024} KB of gzipped JavaScript`, async (t) => {
    const { page } = await open(t);
    const scripts: Response[] = [];
    page.on('response', (r) => {
      if (/javascript/.test(r.headers()['content-type'] ?? '')) scripts.push(r);
    });
    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const loaded = [...scripts];
    let raw = 0;
    let gzipped = 0;
    for (const r of loaded) {
      const body = await r.body();
      raw += body.length;
      gzipped += gzipSync(body).length;
    }
    const files = loaded.map((r) => new URL(r.url()).pathname);
    console.log(
      `sign-in page JavaScript: ${files.length} files, ${(raw / 1024).toFixed(1)} KB, ` +
        `${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${SIGN_IN_JS_BUDGET / 1024} KB): ${files.join(' ')}`,
    );
    expect(files.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThan(SIGN_IN_JS_BUDGET);
    // The signed-in pages are loaded on demand, not with the sign-in page.
    const pages =
      /\/(Dashboard|Extensions|Users|ApiKeys|Audit|Calls|Profile|Tenants|RingGroups|Calendars|TimeConditions|InboundRoutes|CallHandling|FeatureCodes)-[^/]*\.js$/;
    expect(files.filter((f) => pages.test(f))).toEqual([]);
  });

  it('an operator signs in, sees Tenants and Platform health, not Extensions, in the navigation', async (t) => {
    const { page } = await open(t);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, portal.operator);
    await page.waitForURL('**/tenants');
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    await nav.getByRole('link', { name: 'Tenants', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Extensions' }).count()).toBe(0);
    await settled(page, 'Tenants');
    await screenshot(page, 'en-operator-tenants');
    // The platform's health: this node's database, media workers and SIP figures.
    await nav.getByRole('link', { name: 'Platform health', exact: true }).click();
    await settled(page, 'Platform health');
    await page.getByText('embedded (PGlite)').waitFor();
    await page.getByText(/worker threads, RTP ports/).waitFor();
    await screenshot(page, 'en-operator-health');
  });
});
