/**
 * The call reports page end to end: Debian's Chromium (playwright-core) against a
 * whole node started in-process, serving web/dist. Four calls of the demo tenant
 * (in UTC, like the browser) are written straight into the node's store ten days
 * ago: "Last 7 days" shows the empty text, "Last 30 days" the totals, the
 * weekday × hour cell of the calls, each extension's load and the caller nobody
 * called back. A supervisor sees the page; a plain user has no menu entry; the
 * page renders in Russian. Screenshots go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

const SUPERVISOR = { email: 'reports-supervisor@demo.test', password: 'reports-super-pw-1' };
const USER = { email: 'reports-user@demo.test', password: 'reports-user-pw-1' };
const MISSED_CALLER = '+79164445566';

describe.runIf(browserTests)('call reports in the web portal', { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  /** 10:15 UTC ten days ago: the seeded calls' hour. */
  let base = new Date();
  const { signInCookie, rest, open, settled } = portalSession(() => ({ portal, browser, adminCookie }));

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    for (const [who, role] of [
      [SUPERVISOR, 'supervisor'],
      [USER, 'user'],
    ] as const) {
      const res = await rest('/users', {
        method: 'POST',
        body: { ...who, displayName: `Reports ${role}`, role, language: 'en' },
      });
      expect(res.status).toBe(201);
    }
    // Days and hours in UTC, as the browser's (timezoneId below).
    const store = portal.node.store;
    await store.tenants.update(portal.tenantId, { timeZone: 'UTC' });
    const today = new Date();
    base = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 10, 10, 15));
    const at = (plusSec: number) => new Date(base.getTime() + plusSec * 1000);
    let n = 0;
    const call = (
      startSec: number,
      o: {
        caller: string;
        callee: string;
        direction: 'inbound' | 'outbound' | 'internal';
        answerAfter?: number;
        talk?: number;
        legs?: string[];
      },
    ) => ({
      tenantId: portal.tenantId,
      sipCallId: `report-${++n}`,
      caller: o.caller,
      callerName: '',
      callee: o.callee,
      direction: o.direction,
      status: 'ended' as const,
      startedAt: at(startSec),
      answeredAt: o.answerAfter === undefined ? null : at(startSec + o.answerAfter),
      endedAt: at(startSec + (o.answerAfter ?? 0) + (o.talk ?? 20)),
      cause: o.answerAfter === undefined ? 'no-answer' : 'normal',
      sipStatus: o.answerAfter === undefined ? 480 : 200,
      hangupBy: 'caller' as const,
      // Legs as the call log writes them (the call history shows them whole).
      legs: JSON.stringify(
        (o.legs ?? []).map((number) => ({
          number,
          target: `sip:${number}@device.test`,
          startedAt: at(startSec).toISOString(),
          answeredAt: null,
          endedAt: null,
          sipStatus: 487,
        })),
      ),
      node: 'test',
    });
    await store.db
      .insertInto('calls')
      .values([
        call(0, { caller: '+79161112233', callee: '101', direction: 'inbound', answerAfter: 4, talk: 90 }),
        call(300, { caller: MISSED_CALLER, callee: '600', direction: 'inbound', legs: ['101', '102'] }),
        call(1200, {
          caller: '101',
          callee: '+79161112233',
          direction: 'outbound',
          answerAfter: 6,
          talk: 60,
        }),
        // The next day, 14:00.
        call(86_400 + 13_500, {
          caller: '102',
          callee: '101',
          direction: 'internal',
          answerAfter: 2,
          talk: 30,
        }),
      ])
      .execute();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  const weekday = (lang: string) =>
    new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(base);
  const cellsOf = (row: Locator) => row.locator('th, td').allTextContents();
  /** A totals card's figure and its share, if any: "3 75%". */
  async function stat(page: Page, name: string): Promise<string> {
    const card = page.getByRole('group', { name, exact: true });
    const texts = await card
      .locator('[data-testid="stat-value"], [data-testid="stat-note"]')
      .allTextContents();
    return texts.join(' ');
  }

  async function pickPreset(page: Page, name: string, heading: string): Promise<void> {
    await page.getByRole('button', { name, exact: true }).click();
    expect(await page.getByRole('button', { name, exact: true }).getAttribute('aria-pressed')).toBe('true');
    await settled(page, heading);
  }

  it('shows the seeded calls over the last 30 days to the admin', async (t) => {
    const { page } = await open(t, {
      as: 'admin',
      timezoneId: 'UTC',
      viewport: { width: 1400, height: 1600 },
    });
    await page.goto('/');
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Reports' })
      .click();
    await settled(page, 'Reports');
    // The last 7 days hold none of them.
    await page.getByText('No calls in this period.').waitFor();
    expect(await stat(page, 'Calls')).toBe('0');

    await pickPreset(page, 'Last 30 days', 'Reports');
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
    expect(await page.getByText('No calls in this period.').count()).toBe(0);
    expect(await stat(page, 'Calls')).toBe('4');
    expect(await stat(page, 'Answered')).toBe('3 75%');
    expect(await stat(page, 'Missed')).toBe('1 25%');
    expect(await stat(page, 'Talk time')).toBe('0:03');
    expect(await stat(page, 'Average time to answer')).toBe('4 s');

    // A day's bar offers that day's calls as CSV (the browser's day, in UTC here).
    await page.locator('.recharts-bar-rectangle path').first().click();
    const day = page.getByTestId('day-csv');
    const dayStart = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate()));
    const href = new URL((await day.getAttribute('href'))!, portal.url);
    expect(href.pathname).toBe(`/api/v1/tenants/${portal.tenantId}/calls/export.csv`);
    expect(href.searchParams.get('from')).toBe(dayStart.toISOString());
    expect(href.searchParams.get('to')).toBe(new Date(dayStart.getTime() + 86_400_000).toISOString());

    // Three calls in the 10 o'clock hour of that weekday, one of them missed.
    const cell = page.getByRole('cell', { name: `${weekday('en-US')} 10:00–11:00: 3 calls, 1 missed` });
    expect(await cell.textContent()).toBe('3');
    expect(await cell.getAttribute('title')).toBe(`${weekday('en-US')} 10:00–11:00: 3 calls, 1 missed`);
    const heatmap = page.getByRole('table', { name: 'Calls by weekday and hour' });
    expect(await heatmap.getByRole('row').count()).toBe(8);
    expect(await heatmap.getByRole('rowheader').first().textContent()).toBe('Monday');

    const load = page.getByRole('table', { name: 'Load by extension' });
    const rows = load.getByRole('row');
    // The header, 101 (busiest first), 102.
    expect(await rows.count()).toBe(3);
    expect(await cellsOf(rows.nth(1))).toEqual(['101', '4', '3', '1', '0:03']);
    expect(await cellsOf(rows.nth(2))).toEqual(['102', '2', '1', '1', '0:01']);

    const missed = page.getByRole('table', { name: 'Missed calls not returned' });
    const row = missed.getByRole('row', { name: new RegExp(MISSED_CALLER.replace('+', '\\+')) });
    const [number, count, last] = await cellsOf(row);
    expect([number, count]).toEqual([MISSED_CALLER, '1']);
    const missedAt = new Date(base.getTime() + 300_000);
    expect(last).toContain(
      new Intl.DateTimeFormat('en-US', { dateStyle: 'short', timeZone: 'UTC' }).format(missedAt),
    );
    expect(last).toContain('10:20');
    // The caller who was called back does not show.
    expect(await missed.getByRole('row').count()).toBe(2);
    await screenshot(page, 'en-reports');

    // Drill-down: the heatmap cell opens the call history filtered to its three calls.
    await cell.getByRole('link').click();
    await page.waitForURL(/\/calls\?/);
    const drill = new URL(page.url());
    expect([drill.searchParams.get('weekday'), drill.searchParams.get('hour')]).toEqual([
      String(((base.getUTCDay() + 6) % 7) + 1),
      '10',
    ]);
    await page.getByTestId('cell-filter').waitFor();
    await expect.poll(() => page.getByRole('main').getByRole('table').getByRole('row').count()).toBe(4);
    // The missed total opens the unanswered inbound and internal calls: one.
    await page.goBack();
    await settled(page, 'Reports');
    await pickPreset(page, 'Last 30 days', 'Reports');
    await page.getByRole('group', { name: 'Missed', exact: true }).getByRole('link').click();
    await page.waitForURL(/disposition=unanswered/);
    await expect.poll(() => page.getByRole('main').getByRole('table').getByRole('row').count()).toBe(2);
  });

  it('is there for a supervisor, and not in a plain user’s menu', async (t) => {
    const supervisor = await open(t, { as: SUPERVISOR, timezoneId: 'UTC' });
    await supervisor.page.goto('/');
    const nav = supervisor.page.getByRole('navigation', { name: 'Main navigation' });
    await nav.getByRole('link', { name: 'Reports' }).click();
    await settled(supervisor.page, 'Reports');
    await pickPreset(supervisor.page, 'Last 30 days', 'Reports');
    expect(await stat(supervisor.page, 'Calls')).toBe('4');

    const user = await open(t, { as: USER });
    await user.page.goto('/');
    const userNav = user.page.getByRole('navigation', { name: 'Main navigation' });
    await userNav.getByRole('link', { name: 'Call history' }).waitFor();
    expect(await userNav.getByRole('link', { name: 'Reports' }).count()).toBe(0);
  });

  it('renders in Russian', async (t) => {
    const { page } = await open(t, {
      as: 'admin',
      locale: 'ru-RU',
      timezoneId: 'UTC',
      viewport: { width: 1400, height: 1600 },
    });
    await page.goto('/reports');
    await settled(page, 'Отчёты');
    await page.getByText('За этот период звонков нет.').waitFor();
    await pickPreset(page, 'Последние 30 дней', 'Отчёты');
    expect(await stat(page, 'Отвеченные')).toBe('3 75 %');
    const label = `${weekday('ru-RU')} 10:00–11:00: звонков 3, пропущено 1`;
    expect(await page.getByRole('cell', { name: label }).textContent()).toBe('3');
    await page.getByRole('table', { name: 'Нагрузка по внутренним номерам' }).waitFor();
    await page.getByRole('table', { name: 'Пропущенные без перезвона' }).waitFor();
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
    await screenshot(page, 'ru-reports');
  });
});
