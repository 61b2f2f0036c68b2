/**
 * The Integrations page end to end: Debian's Chromium (playwright-core) against a
 * whole node started in-process (integrations may reach loopback here), with an
 * HTTP receiver of the test's own acting as a Redmine and a CRM on our webhook
 * contract. A tenant admin adds a ticket system from the Redmine example (its API
 * key as a secret header), sends a test: the receiver gets the issue with the key,
 * and the delivery log shows it delivered with the request sent; the key is never
 * shown again. A CRM is added and "Test lookup" shows the CRM's name, company and
 * responsible extension. Checked through the REST API too, and the page in Russian.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserTests,
  ensureWebBuilt,
  launchBrowser,
  type PortalNode,
  screenshot,
  startPortalNode,
} from '../helpers/browser.js';
import { type Receiver, startReceiver } from '../helpers/http-receiver.js';
import { portalSession } from '../helpers/portal-session.js';

interface Integration {
  id: string;
  kind: string;
  name: string;
  secretHeaders: string[];
  config: Record<string, unknown>;
}

describe.runIf(browserTests)('integrations in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  let rx: Receiver;
  const { signInCookie, rest, open, settled, choose } = portalSession(() => ({
    portal,
    browser,
    adminCookie,
  }));
  const integrations = async () => (await rest<{ items: Integration[] }>('/integrations')).body.items;

  beforeAll(async () => {
    const [node, chromium, receiver] = await Promise.allSettled([
      ensureWebBuilt().then(() => startPortalNode({ env: { NIMBUS_WEBHOOK_ALLOW_PRIVATE: 'true' } })),
      launchBrowser(),
      startReceiver(),
    ]);
    if (node.status === 'fulfilled') portal = node.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    if (receiver.status === 'fulfilled') rx = receiver.value;
    for (const r of [node, chromium, receiver]) if (r.status === 'rejected') throw r.reason;
    adminCookie = await signInCookie(portal.admin);
    rx.handler = (r) => {
      const u = new URL(r.path, rx.url);
      if (u.pathname === '/lookup')
        return u.searchParams.get('number') === '+74951234567'
          ? { json: { name: 'Ivan Petrov', company: 'Romashka', owner: '102' } }
          : { status: 404 };
      return { status: 201, json: { issue: { id: 1 } } };
    };
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    await rx?.close();
  });

  it('a Redmine from the example sends a test issue with its secret key; a CRM answers a test lookup', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/integrations');
    await settled(page, 'Integrations');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Ticket system' }).click();
    const dialog = page.getByRole('dialog');
    await choose(page, dialog, 'Start from an example', 'Redmine');
    await dialog.getByRole('textbox', { name: 'URL' }).fill(`${rx.url}/issues.json`);
    await dialog
      .getByRole('textbox', { name: 'Secret headers' })
      .fill('X-Redmine-API-Key: 0123456789abcdef0123456789abcdef01234567');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [redmine] = await integrations();
    expect(redmine).toMatchObject({ kind: 'ticket', name: 'Redmine', secretHeaders: ['X-Redmine-API-Key'] });
    expect(redmine!.config).toMatchObject({ onMissedCall: true, url: `${rx.url}/issues.json` });

    await page.getByRole('button', { name: 'Send a test to Redmine' }).click();
    await expect.poll(() => rx.received.filter((r) => r.path === '/issues.json').length).toBe(1);
    const sent = rx.received.find((r) => r.path === '/issues.json')!;
    expect(sent.headers['x-redmine-api-key']).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(JSON.parse(sent.body).issue.subject).toBe('Missed call from Test "Caller" +74951234567');
    const drawer = page.getByRole('dialog', { name: 'Deliveries of Redmine' });
    await expect
      .poll(() => drawer.locator('tr[data-status="delivered"]').count(), { timeout: 15_000 })
      .toBe(1);
    await drawer.getByRole('button', { name: /^Request of the test at/ }).click();
    await expect.poll(() => drawer.locator('pre').first().textContent()).toContain('/issues.json');
    expect(await drawer.textContent()).not.toContain('0123456789abcdef');
    await screenshot(page, 'integrations-log');
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('menuitem', { name: 'CRM (our webhook contract)' }).click();
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Our CRM');
    await dialog.getByRole('textbox', { name: 'Lookup URL' }).fill(`${rx.url}/lookup`);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Test lookup with Our CRM' }).click();
    const ask = page.getByRole('dialog', { name: 'Look a number up in Our CRM' });
    await ask.getByRole('textbox', { name: 'Number' }).fill('+7 495 123-45-67');
    await ask.getByRole('button', { name: 'Ask' }).click();
    const answer = ask.getByTestId('lookup-answer');
    await expect.poll(() => answer.textContent()).toContain('Ivan Petrov');
    expect(await answer.textContent()).toContain('Romashka');
    expect(await answer.textContent()).toContain('Extension 102');
    await screenshot(page, 'integrations-lookup');
  });

  it('speaks Russian', async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU' });
    await page.addInitScript("localStorage.setItem('nimbus.language', 'ru')");
    await page.goto('/integrations');
    await settled(page, 'Интеграции');
    expect(await page.getByRole('button', { name: 'Отправить тест в Redmine' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Проверить поиск в Our CRM' }).count()).toBe(1);
  });
});
