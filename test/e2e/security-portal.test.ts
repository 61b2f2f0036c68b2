/**
 * The Security page, end to end (Debian's Chromium against a node started
 * in-process): password guessing over real SIP (UDP) against the demo tenant — one
 * of the user names a piece of HTML — shows up for the operator with the ban in
 * force, reached from the main menu; the tenant's admin sees its domain's events,
 * in Russian. The hostile name is shown as text, never run.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';
import { ask, udpClient } from '../helpers/raw-sip.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe.runIf(browserTests)('the Security page', { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, open, settled, goTo } = portalSession(() => ({ portal, browser, adminCookie }));

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    const domain = portal.node.config.publicAddress; // the demo tenant's SIP domain
    const client = await udpClient(portal.node.sipPorts.udp, '127.0.0.1');
    try {
      await ask(
        'REGISTER',
        { user: '102', authUser: HOSTILE, target: '', domain, password: 'guess' },
        client,
      );
      for (let i = 0; i < 10; i++)
        await ask('REGISTER', { user: '101', target: '', domain, password: `guess-${i}` }, client);
    } finally {
      client.close();
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('shows the operator every failure and the ban in force, the hostile name as text', async (t) => {
    const { page } = await open(t, { as: portal.operator, viewport: { width: 1400, height: 1000 } });
    let alerted = false;
    page.on('dialog', async (d) => {
      alerted = true;
      await d.dismiss();
    });
    await page.goto('/health');
    await settled(page, 'Platform health');
    await goTo(page, 'Security', 'SIP security events');
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(12); // 11 failures and the ban
    // Newest first: the ban came with the tenth wrong password.
    expect(await rows.first().textContent()).toContain('Ban');
    expect(await rows.nth(1).textContent()).toContain('wrong password');
    const hostile = page.getByRole('cell', { name: HOSTILE, exact: true });
    expect(await hostile.count()).toBe(1);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(alerted).toBe(false);
    const bans = page.getByText('Bans in force').locator('..');
    expect(await bans.textContent()).toContain('127.0.0.1 · 101 · until');
    await page.getByText('Ban', { exact: true }).first().click(); // the kind filter
    await expect.poll(() => rows.count()).toBe(1);
    await screenshot(page, 'security-events');
  });

  it("shows the tenant's admin its domain's events, in Russian", async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU' });
    await page.goto('/security');
    await settled(page, 'События безопасности SIP');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(12);
    expect(await page.locator('tbody').textContent()).toContain('Неудачный вход');
    expect(await page.locator('tbody').textContent()).toContain('неверный пароль');
    // The bans of the whole node are the operator's to see.
    expect(await page.getByText('Действующие блокировки').count()).toBe(0);
  });
});
