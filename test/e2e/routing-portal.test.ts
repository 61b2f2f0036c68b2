/**
 * The call-routing pages of the web portal end to end: Debian's Chromium
 * (playwright-core) against a whole node started in-process, serving web/dist.
 * An admin builds a calendar (week grid, holiday, iCal import, forced closed and
 * back), a ring group of two members, a time condition that sends open-hours calls
 * to it and an inbound route with a caller rule; a bad save and a refused delete
 * show their errors where they belong; a supervisor reads routing and may only
 * force a calendar; a user sets their own forwarding. Every result is checked
 * through the REST API as well, so nothing passes on what the page shows alone.
 * Screenshots of every new page, in English and Russian, go to
 * test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

const USER = { email: 'user103@demo.test', password: 'routing-user-pw-1' };
const SUPERVISOR = { email: 'supervisor@demo.test', password: 'routing-super-pw-1' };

/** Titles of the new pages (web/src/i18n/routing.ts). */
const PAGES = {
  en: {
    '/ring-groups': 'Ring groups',
    '/calendars': 'Calendars',
    '/time-conditions': 'Time conditions',
    '/inbound-routes': 'Inbound routes',
  },
  ru: {
    '/ring-groups': 'Группы обзвона',
    '/calendars': 'Календари',
    '/time-conditions': 'Условия по времени',
    '/inbound-routes': 'Входящие маршруты',
  },
} as const;

/** Two all-day events and one that covers part of a day (which the import reports, line 17). */
const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Nimbus test//EN',
  'BEGIN:VEVENT',
  'UID:1@nimbus.test',
  'DTSTART;VALUE=DATE:20270107',
  'DTEND;VALUE=DATE:20270108',
  'SUMMARY:Christmas',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:2@nimbus.test',
  'DTSTART;VALUE=DATE:20270308',
  'DTEND;VALUE=DATE:20270309',
  'SUMMARY:Women’s Day',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART:20270310T100000Z',
  'DTEND:20270310T120000Z',
  'UID:3@nimbus.test',
  'SUMMARY:Team meeting',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

interface Calendar {
  id: string;
  name: string;
  timeZone: string;
  weekly: { days: number[]; from: string; to: string }[];
  holidays: { name: string; date?: string; from?: string; to?: string }[];
  override: { state: string; until: string | null } | null;
}
interface Destination {
  kind: string;
  id?: string;
  number?: string;
  cause?: string;
}

describe.runIf(browserTests)('call routing in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, fillSignIn, choose, ...nav } = portalSession(() => ({
    portal,
    browser,
    adminCookie,
  }));
  // The routing pages' menu links are matched by a part of their name, as they were.
  const goTo = (page: Page, label: string) => nav.goTo(page, label, label, false);

  /** The one routing object of a kind with this name, as the API has it. */
  async function byName<T extends { name: string }>(kind: string, name: string): Promise<T> {
    const { status, body } = await rest<{ items: T[] }>(`/${kind}?limit=200`);
    expect(status).toBe(200);
    const found = body.items.filter((o) => o.name === name);
    expect(found, `${kind} named ${name}`).toHaveLength(1);
    return found[0]!;
  }

  async function extensionId(number: string): Promise<string> {
    const { body } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    return body.items.find((e) => e.number === number)!.id;
  }

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    // A user who owns extension 103, and a supervisor.
    const user = await rest<{ user: { id: string } }>('/users', {
      method: 'POST',
      body: { ...USER, displayName: 'Boris User', role: 'user', language: 'en' },
    });
    expect(user.status).toBe(201);
    const owned = await rest(`/extensions/${await extensionId('103')}`, {
      method: 'PATCH',
      body: { userId: user.body.user.id },
    });
    expect(owned.status).toBe(200);
    const supervisor = await rest('/users', {
      method: 'POST',
      body: { ...SUPERVISOR, displayName: 'Sofia Supervisor', role: 'supervisor', language: 'en' },
    });
    expect(supervisor.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('an admin creates a calendar: week grid, a holiday, the open badge, an iCal import, forced closed and back', async (t) => {
    const { page } = await open(t);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, portal.admin);
    await goTo(page, 'Calendars');
    await page.getByText('No calendars yet.').waitFor();

    await page.getByRole('button', { name: 'New calendar' }).click();
    const dialog = page.getByRole('dialog', { name: 'New calendar' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Office hours');
    // The weekdays' range, typed as people type times.
    const range = dialog.getByRole('group', { name: 'Range 1' });
    for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])
      expect(await range.getByRole('checkbox', { name: day }).isChecked(), day).toBe(true);
    for (const day of ['Sat', 'Sun'])
      expect(await range.getByRole('checkbox', { name: day }).isChecked(), day).toBe(false);
    const opens = range.getByRole('textbox', { name: 'Opens (Range 1)' });
    await opens.fill('9');
    await opens.blur();
    expect(await opens.inputValue()).toBe('09:00');
    await range.getByRole('textbox', { name: 'Closes (Range 1)' }).fill('18:00');

    // The week grid: 5 days × 9 hours shaded, and the same in words.
    const grid = dialog.getByRole('figure', { name: 'Week at a glance' });
    await grid.waitFor();
    const openCells = grid.locator('td[data-open="full"]');
    expect(await openCells.count()).toBe(45);
    expect(await grid.getByTestId('week-summary').textContent()).toBe('Mon–Fri 09:00–18:00');
    // Painting: Saturday 10:00 opens with a click and closes with another.
    const saturday10 = grid.locator('td[data-day="6"][data-hour="10"]');
    await saturday10.click();
    await expect.poll(() => openCells.count()).toBe(46);
    expect(await grid.getByTestId('week-summary').textContent()).toBe('Mon–Fri 09:00–18:00; Sat 10:00–11:00');
    await saturday10.click();
    await expect.poll(() => openCells.count()).toBe(45);
    expect(await dialog.getByRole('group', { name: 'Range 2' }).count()).toBe(0);

    // A holiday on one day.
    await dialog.getByRole('button', { name: 'Add a holiday' }).click();
    const holiday = dialog.getByRole('group', { name: 'Holiday 1' });
    await holiday.getByRole('textbox', { name: 'Name' }).fill('New Year');
    await holiday.getByLabel('Date', { exact: true }).fill('2027-01-01');
    await screenshot(page, 'en-calendar-new');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    const row = page.getByRole('row', { name: /Office hours/ });
    await row.waitFor();
    const calendar = await byName<Calendar>('calendars', 'Office hours');
    expect(calendar).toMatchObject({
      timeZone: 'Europe/Moscow',
      weekly: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }],
      holidays: [{ name: 'New Year', date: '2027-01-01' }],
      override: null,
    });
    // The badge says what the server says about now.
    const state = async () =>
      (await rest<{ open: boolean; reason: string }>(`/calendars/${calendar.id}/state`)).body;
    const badge = (scope: ReturnType<Page['getByRole']>) =>
      scope.getByTestId('calendar-state').locator('.mantine-Badge-root');
    await expect.poll(() => badge(row).textContent()).toBe((await state()).open ? 'Open now' : 'Closed');
    expect(await row.getByTestId('calendar-state').textContent()).toMatch(/(opens|closes) /);
    await screenshot(page, 'en-calendars');

    // Forced closed, then back to the schedule.
    await row.getByRole('button', { name: 'Edit Office hours' }).click();
    const editor = page.getByRole('dialog', { name: 'Calendar Office hours' });
    const override = editor.getByRole('region', { name: 'Open or closed by hand' });
    await override.getByText('Follows its schedule.').waitFor();
    await override.getByRole('button', { name: 'Force closed' }).click();
    await override.getByText('Forced closed until switched back.').waitFor();
    await expect.poll(() => badge(override).textContent()).toBe('Closed');
    expect((await byName<Calendar>('calendars', 'Office hours')).override).toEqual({
      state: 'closed',
      until: null,
    });
    expect(await state()).toMatchObject({ open: false, reason: 'override' });
    expect(await override.getByRole('button', { name: 'Force closed' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await screenshot(page, 'en-calendar-editor');
    await override.getByRole('button', { name: 'Follow schedule' }).click();
    await override.getByText('Follows its schedule.').waitFor();
    expect((await byName<Calendar>('calendars', 'Office hours')).override).toBeNull();
    expect((await state()).reason).not.toBe('override');

    // iCal: two holidays come in, the part-day event is reported by line.
    await editor.getByLabel('iCal file (.ics)').waitFor();
    await editor.locator('input[type="file"]').setInputFiles({
      name: 'holidays.ics',
      mimeType: 'text/calendar',
      buffer: Buffer.from(ICS),
    });
    await editor.getByRole('button', { name: 'Import', exact: true }).click();
    const result = editor.getByRole('status').filter({ hasText: 'Holidays imported: 2' });
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Line \d+: /);
    await editor.getByRole('group', { name: 'Holiday 3' }).waitFor();
    await screenshot(page, 'en-calendar-import');
    const imported = await byName<Calendar>('calendars', 'Office hours');
    expect(imported.holidays.map((h) => h.name)).toEqual(['New Year', 'Christmas', 'Women’s Day']);
    expect(imported.holidays[1]).toMatchObject({ date: '2027-01-07' });
    // Saving the editor keeps the imported holidays (and no override).
    await editor.getByRole('button', { name: 'Save', exact: true }).click();
    await editor.waitFor({ state: 'detached' });
    const saved = await byName<Calendar>('calendars', 'Office hours');
    expect(saved.holidays).toHaveLength(3);
    expect(saved.override).toBeNull();
  });

  it('an admin creates a ring group of two members, a time condition to it and an inbound route; errors show where they belong', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/ring-groups');
    await settled(page, 'Ring groups');

    await page.getByRole('button', { name: 'New ring group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ring group' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Sales team');
    // 101 is an extension's number: the server refuses it, and says so under the field.
    const number = dialog.getByRole('textbox', { name: 'Number', exact: true });
    await number.fill('101');
    await dialog.getByRole('radio', { name: 'One after another' }).check();
    await choose(page, dialog, 'Add a member', '102 Sales');
    await choose(page, dialog, 'Add a member', '103 Support');
    const members = dialog.getByRole('table', { name: 'Members' });
    await members.getByRole('row', { name: 'Member 2: 103 Support' }).waitFor();
    // 103 first; 102 rings 5 seconds late.
    await dialog.getByRole('button', { name: 'Move 103 Support up' }).click();
    await members.getByRole('row', { name: 'Member 1: 103 Support' }).waitFor();
    await dialog.getByRole('textbox', { name: 'Delay before 102 Sales rings, seconds' }).fill('5');
    await dialog.getByRole('textbox', { name: 'Group rings for, seconds' }).fill('45');
    await dialog.getByRole('textbox', { name: 'Caller-ID prefix' }).fill('Sales: ');
    // On by default: outside members confirm with 1. This group's members are all desk phones.
    const confirmSwitch = dialog.getByRole('switch', { name: 'Outside members press 1 to take the call' });
    expect(await confirmSwitch.isChecked()).toBe(true);
    await confirmSwitch.uncheck();
    const timeout = dialog.getByRole('group', { name: 'When nobody answers' });
    await choose(page, timeout, 'Send the call to', 'Extension');
    await choose(page, timeout, 'Which extension', '105 Director');

    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => number.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await number.getAttribute('aria-describedby'))
      ?.split(' ')
      .find((id) => id.includes('error'));
    expect(errorId).toBeTruthy();
    expect(await dialog.locator(`[id="${errorId}"]`).textContent()).toBe('101 is an extension');
    // Next to the field, not as an alert over the form.
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'en-ring-group-error');
    expect((await rest<{ total: number }>('/ring-groups')).body.total).toBe(0);

    await number.fill('600');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /Sales team/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('One after another');
    const group = await byName<{
      id: string;
      name: string;
      number: string;
      strategy: string;
      members: { number: string; delaySec: number; timeoutSec: number }[];
      ringTimeoutSec: number;
      skipBusy: boolean;
      confirmExternal: boolean;
      callerIdPrefix: string;
      timeoutDestination: Destination | null;
    }>('ring-groups', 'Sales team');
    expect(group).toMatchObject({
      number: '600',
      strategy: 'sequential',
      members: [
        { number: '103', delaySec: 0, timeoutSec: 20 },
        { number: '102', delaySec: 5, timeoutSec: 20 },
      ],
      ringTimeoutSec: 45,
      skipBusy: true,
      confirmExternal: false,
      callerIdPrefix: 'Sales: ',
      timeoutDestination: { kind: 'extension', id: await extensionId('105') },
    });
    await screenshot(page, 'en-ring-groups');

    // A time condition: open hours go to the group, closed hours to a hang-up.
    await goTo(page, 'Time conditions');
    await page.getByRole('button', { name: 'New time condition' }).click();
    const tc = page.getByRole('dialog', { name: 'New time condition' });
    await tc.getByRole('textbox', { name: 'Name', exact: true }).fill('Business hours');
    await choose(page, tc, 'Calendar', 'Office hours');
    const whenOpen = tc.getByRole('group', { name: 'While open' });
    await choose(page, whenOpen, 'Send the call to', 'Ring group');
    await choose(page, whenOpen, 'Which ring group', '600 Sales team');
    const whenClosed = tc.getByRole('group', { name: 'While closed' });
    await choose(page, whenClosed, 'The caller hears', 'Busy tone');
    await screenshot(page, 'en-time-condition-editor');
    await tc.getByRole('button', { name: 'Create', exact: true }).click();
    await tc.waitFor({ state: 'detached' });
    const tcRow = page.getByRole('row', { name: /Business hours/ });
    await tcRow.waitFor();
    expect(await tcRow.textContent()).toContain('Ring group 600 Sales team');
    const calendar = await byName<Calendar>('calendars', 'Office hours');
    const condition = await byName<{
      id: string;
      name: string;
      calendarId: string;
      whenOpen: Destination;
      whenClosed: Destination;
    }>('time-conditions', 'Business hours');
    expect(condition).toMatchObject({
      calendarId: calendar.id,
      whenOpen: { kind: 'ringGroup', id: group.id },
      whenClosed: { kind: 'hangup', cause: 'busy' },
    });
    await screenshot(page, 'en-time-conditions');

    // An inbound route: the DID in any format, a caller rule, then the time condition.
    await goTo(page, 'Inbound routes');
    await page.getByRole('button', { name: 'New inbound route' }).click();
    const ir = page.getByRole('dialog', { name: 'New inbound route' });
    await ir.getByRole('textbox', { name: 'Phone number (DID)' }).fill('+7 (495) 123-45-67');
    await ir.getByRole('textbox', { name: 'Name', exact: true }).fill('Main line');
    await ir.getByRole('button', { name: 'Add a caller rule' }).click();
    const rule = ir.getByRole('group', { name: 'Rule 1' });
    await rule.getByRole('textbox', { name: 'Rule name' }).fill('Blocked callers');
    await rule.getByText('From these numbers').click();
    await rule.getByRole('textbox', { name: 'Caller numbers' }).fill('+7 916 111-22-33\n8800*');
    const ruleTo = rule.getByRole('group', { name: 'Send these callers to' });
    await choose(page, ruleTo, 'Send the call to', 'Hang up');
    await choose(page, ruleTo, 'The caller hears', 'Call rejected');
    const main = ir.getByRole('group', { name: 'Destination' });
    await choose(page, main, 'Send the call to', 'Time condition');
    await choose(page, main, 'Which time condition', 'Business hours');
    await screenshot(page, 'en-inbound-route-editor');
    await ir.getByRole('button', { name: 'Create', exact: true }).click();
    await ir.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /\+74951234567 Main line/ }).waitFor();
    expect(await byName('inbound-routes', 'Main line')).toMatchObject({
      number: '+74951234567',
      callerRules: [
        {
          name: 'Blocked callers',
          match: { numbers: ['+79161112233', '8800*'] },
          destination: { kind: 'hangup', cause: 'rejected' },
        },
      ],
      destination: { kind: 'timeCondition', id: condition.id },
    });
    await screenshot(page, 'en-inbound-routes');

    // The group cannot go while the time condition sends calls to it: the server's answer says why.
    await goTo(page, 'Ring groups');
    await page.getByRole('button', { name: 'Delete Sales team' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Sales team?' });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    const refused = confirm.getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('Ring group is used by "Business hours"');
    expect(await refused.textContent()).toContain('Conflicts with existing data');
    await screenshot(page, 'en-ring-group-delete-refused');
    expect((await rest(`/ring-groups/${group.id}`)).status).toBe(200);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Sales team/ }).waitFor();
  });

  it('a supervisor sees routing read-only and may force a calendar open', async (t) => {
    const { page } = await open(t, { as: SUPERVISOR });
    await page.goto('/calendars');
    await settled(page, 'Calendars');
    expect(await page.getByRole('button', { name: 'New calendar' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete Office hours' }).count()).toBe(0);
    await page.getByRole('button', { name: 'View Office hours' }).click();
    const dialog = page.getByRole('dialog', { name: 'Calendar Office hours' });
    expect(await dialog.getByRole('textbox', { name: 'Name', exact: true }).first().isDisabled()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Save' }).count()).toBe(0);
    const override = dialog.getByRole('region', { name: 'Open or closed by hand' });
    await override.getByRole('button', { name: 'Force open' }).click();
    await override.getByText('Forced open until switched back.').waitFor();
    expect((await byName<Calendar>('calendars', 'Office hours')).override).toEqual({
      state: 'open',
      until: null,
    });
    await override.getByRole('button', { name: 'Follow schedule' }).click();
    await override.getByText('Follows its schedule.').waitFor();
    expect((await byName<Calendar>('calendars', 'Office hours')).override).toBeNull();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.goto('/ring-groups');
    await settled(page, 'Ring groups');
    expect(await page.getByRole('button', { name: 'New ring group' }).count()).toBe(0);
    await page.getByRole('button', { name: 'View Sales team' }).click();
    const group = page.getByRole('dialog', { name: 'Ring group Sales team' });
    expect(await group.getByRole('textbox', { name: 'Number', exact: true }).inputValue()).toBe('600');
    expect(await group.getByRole('textbox', { name: 'Number', exact: true }).isDisabled()).toBe(true);
    expect(await group.getByRole('button', { name: 'Create' }).count()).toBe(0);
  });

  it('a user sees no routing pages and forwards their own extension when not answered', async (t) => {
    const { page } = await open(t);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, USER);
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    await nav.getByRole('link', { name: 'My settings' }).waitFor();
    for (const label of ['Ring groups', 'Calendars', 'Time conditions', 'Inbound routes'])
      expect(await nav.getByRole('link', { name: label }).count(), label).toBe(0);
    await goTo(page, 'My settings');
    const ext = page.getByRole('article', { name: 'Extension 103' });
    await ext.getByRole('switch', { name: 'When not answered' }).check();
    await ext.getByRole('textbox', { name: 'Forward to (When not answered)' }).fill('+7 916 555-44-33');
    await ext.getByRole('textbox', { name: 'Ring time before “not answered”, seconds' }).fill('15');
    await ext.getByRole('button', { name: 'Save', exact: true }).click();
    await ext.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await screenshot(page, 'en-user-forwarding');
    const { body } = await rest<{
      forwarding: Record<
        'always' | 'busy' | 'noAnswer' | 'unreachable',
        { enabled: boolean; target: string }
      >;
      ringTimeoutSec: number;
    }>(`/extensions/${await extensionId('103')}`);
    expect(body.forwarding.noAnswer).toEqual({ enabled: true, target: '+79165554433' });
    expect(body.forwarding.always.enabled).toBe(false);
    expect(body.ringTimeoutSec).toBe(15);
  });

  for (const lang of ['en', 'ru'] as const) {
    it(`renders every routing page and its editor in ${lang === 'en' ? 'English' : 'Russian'}`, async (t) => {
      // Tall enough that a long editor shows whole in its screenshot.
      const { page } = await open(t, {
        as: 'admin',
        locale: lang === 'ru' ? 'ru-RU' : 'en-US',
        viewport: { width: 1280, height: 1800 },
      });
      const edit = lang === 'en' ? 'Edit' : 'Изменить';
      for (const [path, title] of Object.entries(PAGES[lang])) {
        await page.goto(path);
        await settled(page, title);
        expect(await page.getByRole('main').getByRole('alert').count(), `${path}: an error is shown`).toBe(0);
        await screenshot(page, `${lang}${path.replaceAll('/', '-')}`);
        // The editor of the first object of the page.
        await page
          .getByRole('main')
          .getByRole('button', { name: new RegExp(`^${edit} `) })
          .first()
          .click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        await page.waitForTimeout(300); // the dialog's transition, for the screenshot
        await screenshot(page, `${lang}${path.replaceAll('/', '-')}-editor`);
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      }
    });
  }

  it('on a phone the calendar editor and the ring groups fit the screen', async (t) => {
    const { page } = await open(t, {
      as: 'admin',
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/ring-groups');
    await settled(page, 'Ring groups');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-ring-groups');
    await page.goto('/calendars');
    await settled(page, 'Calendars');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.getByRole('button', { name: 'Edit Office hours' }).click();
    const dialog = page.getByRole('dialog', { name: 'Calendar Office hours' });
    await dialog.getByRole('figure', { name: 'Week at a glance' }).waitFor();
    await page.waitForTimeout(300);
    const wide = await dialog.evaluate((el) => {
      const body = el.querySelector('.mantine-Modal-body') ?? el;
      return body.scrollWidth - body.clientWidth;
    });
    expect(wide, 'the editor scrolls sideways').toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-en-calendar-editor');
    await dialog.getByRole('group', { name: 'Holiday 1' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'phone-en-calendar-holidays');
  });
});
