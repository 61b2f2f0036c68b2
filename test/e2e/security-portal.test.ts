/**
 * The Security page, end to end (Debian's Chromium against a node started
 * in-process): password guessing over real SIP (UDP) against the demo tenant — one
 * of the user names a piece of HTML — shows up for the operator with the ban in
 * force, reached from the main menu, and keeps the allow-list (an entry added and
 * removed through the page reaches the node's ban checks at once); the tenant's
 * admin sees its domain's events and its user's ban, in Russian, and lifts the ban
 * (the node stops refusing that user, and the lift is an event). The hostile name is
 * shown as text, never run.
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

    // The allow-list: an entry added on the page is in force on the node at once, and removed again.
    const guard = portal.node.sip.guard;
    expect(guard.allowed('192.0.2.5')).toBe(false);
    await page.getByLabel('Address or range').fill('192.0.2.0/24');
    await page.getByLabel('Note').fill('office');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => guard.allowed('192.0.2.5')).toBe(true);
    await expect.poll(() => page.getByText('192.0.2.0/24', { exact: true }).count()).toBe(1);
    expect((await portal.node.store.sipAllow.all()).map((e) => e.note)).toEqual(['office']);
    await screenshot(page, 'security-allow-list');
    await page.getByRole('button', { name: 'Remove 192.0.2.0/24 from the allow-list' }).click();
    await expect.poll(() => guard.allowed('192.0.2.5')).toBe(false);
    await expect.poll(() => page.getByText('192.0.2.0/24', { exact: true }).count()).toBe(0);
  });

  it("shows the tenant's admin its domain's events and lets it lift its user's ban, in Russian", async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU' });
    await page.goto('/security');
    await settled(page, 'События безопасности SIP');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(12);
    expect(await page.locator('tbody').textContent()).toContain('Неудачный вход');
    expect(await page.locator('tbody').textContent()).toContain('неверный пароль');
    // Its own user's ban (the whole node's are the operator's), and the allow-list is not its.
    const bans = page.getByText('Действующие блокировки ваших пользователей').locator('..');
    expect(await bans.textContent()).toContain('127.0.0.1 · 101 · до');
    expect(await page.getByText('Белый список').count()).toBe(0);
    expect(portal.node.sip.guard.refused('127.0.0.1', '101')).toBe(true);
    await page.getByRole('button', { name: 'Снять блокировку 101 с адреса 127.0.0.1' }).click();
    await expect.poll(() => portal.node.sip.guard.refused('127.0.0.1', '101')).toBe(false);
    await expect.poll(() => page.getByText('Сейчас ни один адрес не заблокирован.').count()).toBe(1);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(13);
    expect(await page.locator('tbody tr').first().textContent()).toContain('Блокировка снята');
    await screenshot(page, 'security-ban-lifted-ru');
  });
});
