import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, ensureWebBuilt, launchBrowser, type PortalNode, startPortalNode } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

describe.runIf(browserTests)('scratch', { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled } = portalSession(() => ({ portal, browser, adminCookie }));
  beforeAll(async () => {
    await ensureWebBuilt();
    portal = await startPortalNode({ env: { NIMBUS_LOG_LEVEL: 'debug' } });
    browser = await launchBrowser();
    adminCookie = await signInCookie(portal.admin);
  }, 120_000);
  afterAll(async () => { await browser?.close(); await portal?.close(); });
  it('c2c', async (t) => {
    const { page } = await open(t, { as: 'admin' });
    page.on('websocket', (ws) => { ws.on('framereceived', (f) => { const s = String(f.payload); if (!s.startsWith('{')) console.log('WS<', s.slice(0, 40)); }); ws.on('framesent', (f) => { const s = String(f.payload); if (!s.startsWith('{')) console.log('WS>', s.slice(0, 40)); }); });
    page.on('console', (m) => console.log('CONSOLE', m.text()));
    await page.goto('/calls');
    await settled(page, 'Call history');
    await expect.poll(() => portal.node.sip.live.snapshot(portal.tenantId).registrations.some((r) => r.extension === '101' && r.devices.length > 0), { timeout: 15_000 }).toBe(true);
    console.log('REGS', JSON.stringify(portal.node.sip.live.snapshot(portal.tenantId).registrations));
    const r = await rest('/calls/click-to-call', { method: 'POST', body: { from: '101', to: '103' } });
    console.log('C2C', r.status, JSON.stringify(r.body));
    await page.waitForTimeout(2000);
    console.log('BANNER', await page.getByRole('alertdialog').count(), await page.locator('[role=alertdialog]').count());
    const { screenshot } = await import('../helpers/browser.js');
    await screenshot(page, 'scratch-c2c');
  });
});
