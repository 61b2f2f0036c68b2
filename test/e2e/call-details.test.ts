/**
 * A call's details in the call history, end to end (Debian's Chromium against a
 * node started in-process): a call that came in on a trunk, went through an
 * inbound route and a menu to a queue whose agents rang, is opened from its row
 * and from a `?call=` link (what tickets and CRMs carry), and shows its tree of
 * steps with the phones each rang and what they did; also in Russian.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

describe.runIf(browserTests)("a call's details in the call history", { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  let callId = '';
  const { signInCookie, open, settled } = portalSession(() => ({ portal, browser, adminCookie }));

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    const t0 = Date.now() - 3600_000;
    const at = (sec: number) => new Date(t0 + sec * 1000);
    const iso = (sec: number) => at(sec).toISOString();
    const leg = (number: string, from: number, to: number, answered: boolean, sipStatus: number) => ({
      number,
      target: `sip:${number}@device.test`,
      startedAt: iso(from),
      answeredAt: answered ? iso(to) : null,
      endedAt: iso(answered ? to + 60 : to),
      sipStatus,
    });
    const row = await portal.node.store.db
      .insertInto('calls')
      .values({
        tenantId: portal.tenantId,
        sipCallId: 'details-1',
        caller: '+79161234567',
        callerName: 'Ivan Petrov',
        callee: '+74951112233',
        direction: 'inbound',
        status: 'ended',
        startedAt: at(0),
        answeredAt: at(0),
        endedAt: at(80),
        cause: 'normal',
        sipStatus: 200,
        hangupBy: 'caller',
        trunk: 'Carrier',
        tags: JSON.stringify(['sales']),
        trail: JSON.stringify([
          { at: iso(0), kind: 'trunk', id: null, name: 'Carrier', outcome: 'called +74951112233' },
          {
            at: iso(0),
            kind: 'inboundRoute',
            id: null,
            name: 'Main (+74951112233)',
            outcome: 'default destination',
          },
          { at: iso(6), kind: 'ivr', id: null, name: 'Main menu', outcome: 'key 1' },
          {
            at: iso(18),
            kind: 'queue',
            id: null,
            name: 'Sales (600)',
            outcome: 'answered by 101 after 11 s',
          },
        ]),
        legs: JSON.stringify([
          leg('101', 7, 18, true, 200),
          leg('102', 7, 18, false, 487),
          leg('103', 7, 9, false, 486),
        ]),
        node: 'test',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    callId = row.id;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('opens from the row and shows the steps with the phones each rang', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1400, height: 1000 } });
    await page.goto('/calls');
    await settled(page, 'Call history');
    await page.locator(`tr[data-caller="+79161234567"]`).getByTestId('call-open').click();
    const details = page.getByTestId('call-details');
    await details.waitFor();
    expect(page.url()).toContain(`call=${callId}`);
    await expect.poll(() => details.textContent()).toContain('Ivan Petrov');
    const tree = details.getByTestId('call-tree');
    const steps = tree.locator(':scope > ol > li');
    expect(await steps.count()).toBe(4);
    const queue = steps.nth(3);
    expect(await queue.textContent()).toContain('Queue');
    expect(await queue.textContent()).toContain('Sales (600)');
    const legs = await queue.locator('li').allTextContents();
    expect(legs.map((l) => l.replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/^101\s?answered/),
      expect.stringMatching(/^102\s?stopped ringing/),
      expect.stringMatching(/^103\s?busy/),
    ]);
    expect(await details.textContent()).toContain('sales');
    await screenshot(page, 'call-details');
    await page.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => page.url()).not.toContain('call=');
  });

  it('opens from a ?call= link, in Russian', async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU' });
    await page.goto(`/calls?call=${callId}`);
    const details = page.getByTestId('call-details');
    await details.waitFor();
    await page.getByRole('dialog', { name: 'Подробности звонка' }).waitFor();
    await expect.poll(() => details.textContent()).toContain('входящий извне');
    expect(await details.getByTestId('call-tree').textContent()).toContain('Очередь');
    expect(await details.getByTestId('call-tree').textContent()).toContain('занято');
  });
});
