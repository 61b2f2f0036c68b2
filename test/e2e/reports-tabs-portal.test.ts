/**
 * The Queues, Trunks and Scheduled emails tabs of the Reports page end to end:
 * Debian's Chromium (playwright-core) against a whole node started in-process.
 * Ten days ago (in UTC, like the browser) a queue's statistics for two quarters
 * and two overlapping calls through a trunk are written into the node's store:
 * "Last 30 days" shows the queue's figures (SL per threshold, ASA, AHT) and its
 * agent, the trunk's calls, minutes and peak of two channels, worked out by hand
 * below. On the Scheduled tab a schedule is added through the form as a PDF, shows
 * in the list and is kept with that format; then changed back to Excel. Russian
 * labels render on the Scheduled tab. Screenshots go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';
import { queueConfig, queueMember } from '../helpers/queues.js';

describe.runIf(browserTests)(
  'queue, trunk and scheduled report tabs in the web portal',
  { timeout: 90_000 },
  () => {
    let portal: PortalNode;
    let browser: Browser;
    let adminCookie = '';
    const { signInCookie, rest, open, settled } = portalSession(() => ({ portal, browser, adminCookie }));

    beforeAll(async () => {
      ({ portal, browser } = await portalAndBrowser());
      adminCookie = await signInCookie(portal.admin);
      const store = portal.node.store;
      await store.tenants.update(portal.tenantId, { timeZone: 'UTC' });
      const today = new Date();
      // 10:15 UTC ten days ago.
      const base = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 10, 10, 15);
      const at = (sec: number) => new Date(base + sec * 1000);
      // A queue as the portal makes one (the node's queue engine reads its settings).
      const created = await rest<{ id: string }>('/queues', {
        method: 'POST',
        body: { name: 'Tab Sales', number: '790', ...queueConfig({ members: [queueMember('101')] }) },
      });
      expect(created.status).toBe(201);
      const queueId = created.body.id;
      const stat = (sec: number, agent: string, figures: object) => ({
        tenantId: portal.tenantId,
        queueId,
        intervalStart: at(sec),
        agent,
        source: 'test',
        figures: JSON.stringify(figures),
      });
      const queueFigures = { abandonWaitSec: 0 };
      await store.db
        .insertInto('queueStats')
        .values([
          stat(0, '', {
            ...queueFigures,
            offered: 10,
            answered: 8,
            abandoned: 2,
            answerWaitSec: 80,
            talkSec: 1200,
            handled: 8,
            longestWaitSec: 40,
            answeredWithin: { 20: 6, 30: 7 },
          }),
          stat(900, '', {
            ...queueFigures,
            offered: 5,
            answered: 4,
            abandoned: 1,
            answerWaitSec: 60,
            talkSec: 400,
            handled: 3,
            longestWaitSec: 70,
            answeredWithin: { 20: 2, 30: 4 },
          }),
          stat(0, '101', { offered: 6, answered: 5, missed: 1, talkSec: 900, wrapUpSec: 120, pauseSec: 300 }),
        ])
        .execute();
      // Two calls through one trunk, both on from +60 s to +125 s: a peak of two channels.
      const call = (
        n: number,
        startSec: number,
        answerSec: number,
        endSec: number,
        direction: 'inbound' | 'outbound',
      ) => ({
        tenantId: portal.tenantId,
        sipCallId: `tabs-${n}`,
        caller: direction === 'inbound' ? '+79161230000' : '101',
        callerName: '',
        callee: direction === 'inbound' ? '101' : '+79161230001',
        direction,
        status: 'ended' as const,
        startedAt: at(startSec),
        answeredAt: at(answerSec),
        endedAt: at(endSec),
        cause: 'normal',
        sipStatus: 200,
        hangupBy: 'caller' as const,
        legs: '[]',
        trunk: 'carrier-tabs',
        node: 'test',
      });
      // Talk 120 s and 60 s: 3 minutes.
      await store.db
        .insertInto('calls')
        .values([call(1, 0, 5, 125, 'inbound'), call(2, 60, 70, 130, 'outbound')])
        .execute();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await portal?.close();
    });

    const cellsOf = (row: Locator) => row.locator('th, td').allTextContents();

    async function last30(page: Page): Promise<void> {
      await page.getByRole('button', { name: 'Last 30 days', exact: true }).click();
      await settled(page, 'Reports');
    }

    it('shows a queue’s service level, ASA, AHT and agents, and a trunk’s peak', async (t) => {
      const { page } = await open(t, {
        as: 'admin',
        timezoneId: 'UTC',
        viewport: { width: 1400, height: 1400 },
      });
      await page.goto('/reports?tab=queues');
      await settled(page, 'Reports');
      await last30(page);
      const queues = page.getByRole('table', { name: 'Queues', exact: true });
      const head = await cellsOf(queues.getByRole('row').first());
      expect(head).toEqual([
        'Queue',
        'Offered',
        'Answered',
        'Abandoned',
        'Abandoned, %',
        'SL 20 s',
        'SL 30 s',
        'ASA',
        'AHT',
        'Longest wait',
      ]);
      // 15 offered, 12 answered, 3 abandoned (20%); within 20 s 8/15, within 30 s 11/15;
      // ASA 140 s / 12 = 11.7 s; AHT 1600 s / 11 handled = 145.5 s; the longest wait 70 s.
      expect(await cellsOf(queues.getByRole('row', { name: /Tab Sales/ }))).toEqual([
        'Tab Sales',
        '15',
        '12',
        '3',
        '20%',
        '53.3%',
        '73.3%',
        '12 s',
        '146 s',
        '70 s',
      ]);
      const agents = page.getByRole('table', { name: 'Tab Sales: agents', exact: true });
      expect(await cellsOf(agents.getByRole('row').nth(1))).toEqual([
        '101',
        '6',
        '5',
        '1',
        '0:15',
        '0:02',
        '0:05',
      ]);
      await page.getByRole('img', { name: 'Tab Sales: calls by day' }).waitFor();
      await screenshot(page, 'en-reports-queues');

      // The Trunks tab, the period kept.
      await page.getByText('Trunks', { exact: true }).click();
      await page.waitForURL(/tab=trunks/);
      await settled(page, 'Reports');
      const trunks = page.getByRole('table', { name: 'Trunks', exact: true });
      expect(await cellsOf(trunks.getByRole('row', { name: /carrier-tabs/ }))).toEqual([
        'carrier-tabs',
        '2',
        '2',
        '3',
        '2',
      ]);
      await page.getByRole('img', { name: 'Peak concurrent channels by hour' }).waitFor();
      // The calls figure drills down to the trunk's calls.
      await trunks.getByRole('link', { name: '2', exact: true }).click();
      await page.waitForURL(/\/calls\?.*trunk=carrier-tabs/);
      await expect.poll(() => page.getByRole('main').getByRole('table').getByRole('row').count()).toBe(3);
    });

    it('adds a scheduled report as a PDF through the form, and changes it back to Excel', async (t) => {
      const { page } = await open(t, {
        as: 'admin',
        timezoneId: 'UTC',
        viewport: { width: 1400, height: 1000 },
      });
      await page.goto('/reports?tab=schedules');
      await settled(page, 'Reports');
      await page.getByRole('button', { name: 'Schedule a report', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Schedule a report' });
      await dialog.getByRole('textbox', { name: 'Name' }).fill('Weekly PDF');
      await dialog.getByRole('textbox', { name: 'Recipients' }).fill('boss@example.test, ops@example.test');
      await dialog.getByRole('combobox', { name: 'Format', exact: true }).click();
      await page.getByRole('option', { name: 'PDF: tables and charts', exact: true }).click();
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = page.locator('tr[data-schedule="Weekly PDF"]');
      expect(await cellsOf(row)).toEqual([
        'Weekly PDF',
        'Calls',
        'Daily, 08:00',
        'boss@example.test, ops@example.test',
        'PDF: tables and charts',
        expect.any(String),
        '—',
        'Change the scheduled reportDelete',
      ]);
      const kept = await rest<{ items: { name: string; format: string; recipients: string[] }[] }>(
        '/report-schedules',
      );
      expect(kept.body.items.find((s) => s.name === 'Weekly PDF')).toMatchObject({
        format: 'pdf',
        recipients: ['boss@example.test', 'ops@example.test'],
      });
      await screenshot(page, 'en-reports-schedules');

      await row.getByRole('button', { name: 'Change the scheduled report', exact: true }).click();
      const edit = page.getByRole('dialog', { name: 'Change the scheduled report' });
      expect(await edit.getByRole('combobox', { name: 'Format', exact: true }).inputValue()).toBe(
        'PDF: tables and charts',
      );
      await edit.getByRole('combobox', { name: 'Format', exact: true }).click();
      await page.getByRole('option', { name: 'Excel (XLSX)', exact: true }).click();
      await edit.getByRole('button', { name: 'Save', exact: true }).click();
      await edit.waitFor({ state: 'detached' });
      await expect.poll(async () => (await cellsOf(row))[4]).toBe('Excel (XLSX)');
      const changed = await rest<{ items: { name: string; format: string }[] }>('/report-schedules');
      expect(changed.body.items.find((s) => s.name === 'Weekly PDF')?.format).toBe('xlsx');
    });

    it('renders the Scheduled tab’s form in Russian', async (t) => {
      const { page } = await open(t, { as: 'admin', locale: 'ru-RU', timezoneId: 'UTC' });
      await page.goto('/reports?tab=schedules');
      await settled(page, 'Отчёты');
      await page.getByRole('button', { name: 'Добавить рассылку', exact: true }).click();
      const format = page.getByRole('combobox', { name: 'Формат', exact: true });
      await format.click();
      await page.getByRole('option', { name: 'PDF: таблицы и графики', exact: true }).waitFor();
      await page.getByRole('option', { name: 'Excel (XLSX)', exact: true }).waitFor();
      await screenshot(page, 'ru-reports-schedules');
    });
  },
);
