/**
 * Call handling and feature codes in the web portal end to end: Debian's Chromium
 * (playwright-core) against a whole node started in-process, serving web/dist.
 * A user sets their status to a business trip, builds two follow-me steps (with
 * the timeline of who rings when), sends trip calls to follow-me, adds a caller
 * who always rings and turns call waiting off; a bad save shows its error next to
 * the field. An admin opens the same editor for that extension from Extensions and
 * sets a secretary and a status calendar, and forwarding when busy (an enabled
 * rule without a number shows the server's error at that number). The admin
 * changes a feature code in place (its default shows beside it), a clash shows at
 * both rows, and a code goes back to its default; a supervisor reads the codes. Every result is checked through the REST API too.
 * Screenshots of every new page, in English and Russian, go to
 * test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

const USER = { email: 'user103@demo.test', password: 'call-handling-user-pw-1' };
const SUPERVISOR = { email: 'supervisor@demo.test', password: 'call-handling-super-pw-1' };

interface CallRules {
  followMe?: { ringDesk: boolean; steps: { numbers: string[]; ringSec: number }[] };
  profiles?: Record<string, { internal: { action: string; target?: string }; external: { action: string } }>;
  exceptions?: string[];
  statusByCalendar?: { calendarId: string; whenClosed: string } | null;
  secretary?: { number: string; mode: string; firstSec: number; direct: string[] } | null;
}
interface Extension {
  id: string;
  number: string;
  status: string;
  dnd: boolean;
  callWaiting: boolean;
  callRules: CallRules;
  forwarding: Record<'always' | 'busy' | 'noAnswer' | 'unreachable', { enabled: boolean; target: string }>;
}

describe.runIf(browserTests)('call handling and feature codes in the portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  let ext103 = '';
  let calendarId = '';
  const { signInCookie, rest, open, settled, fillSignIn, goTo, choose } = portalSession(
    () => ({ portal, browser, adminCookie }),
    { failShot: (page, name) => shot(page, name) },
  );

  const extension = async (id: string) => (await rest<Extension>(`/extensions/${id}`)).body;
  const featureCodes = async () =>
    (await rest<{ featureCodes: Record<string, string> }>('')).body.featureCodes;

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    // A user who owns extension 103, a supervisor, and a calendar for status by calendar.
    const user = await rest<{ user: { id: string } }>('/users', {
      method: 'POST',
      body: { ...USER, displayName: 'Boris User', role: 'user', language: 'en' },
    });
    expect(user.status).toBe(201);
    const { body } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    ext103 = body.items.find((e) => e.number === '103')!.id;
    expect(
      (await rest(`/extensions/${ext103}`, { method: 'PATCH', body: { userId: user.body.user.id } })).status,
    ).toBe(200);
    const supervisor = await rest('/users', {
      method: 'POST',
      body: { ...SUPERVISOR, displayName: 'Sofia Supervisor', role: 'supervisor', language: 'en' },
    });
    expect(supervisor.status).toBe(201);
    const calendar = await rest<{ id: string }>('/calendars', {
      method: 'POST',
      body: {
        name: 'Office hours',
        weekly: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }],
        holidays: [],
        productionCalendar: null,
        override: null,
      },
    });
    expect(calendar.body).toMatchObject({ name: 'Office hours' });
    expect(calendar.status).toBe(201);
    calendarId = calendar.body.id;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  /** Picks `options` in the multi-select named `name` inside `scope`, then closes its list. */
  async function chooseMany(page: Page, scope: Locator, name: string, options: string[]) {
    const input = scope.getByRole('combobox', { name, exact: true });
    for (const option of options) {
      await input.click();
      await page.getByRole('option', { name: option, exact: true }).click();
    }
    await input.press('Escape');
  }

  /** The error text an input points at with aria-describedby. */
  async function errorOf(scope: Locator, input: Locator): Promise<string | null> {
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    const id = (await input.getAttribute('aria-describedby'))?.split(' ').find((i) => i.includes('error'));
    return id ? scope.locator(`[id="${id}"]`).textContent() : null;
  }

  /** A screenshot of the whole page from its top (a long form scrolls to its Save button). */
  async function shot(page: Page, name: string) {
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, name);
  }

  /** The rows of a ring timeline, as their text. */
  const timeline = (scope: Locator) =>
    scope.getByRole('figure', { name: 'Who rings when' }).getByTestId('timeline-bar').allInnerTexts();

  it('a user goes on a business trip with follow-me, an exception and call waiting off; a bad save shows its error at the field', async (t) => {
    const { page } = await open(t, { viewport: { width: 1280, height: 900 } });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, USER);
    await goTo(page, 'Call handling');
    const main = page.getByRole('main');
    // A user may not read calendars: no status-by-calendar section until an admin sets one.
    expect(await main.getByRole('region', { name: 'Status by calendar' }).count()).toBe(0);
    expect(await main.getByRole('radio', { name: 'Available' }).getAttribute('aria-checked')).toBe('true');

    await main.getByRole('radio', { name: 'Business trip' }).click();
    const profiles = main.getByRole('table', { name: 'What each status does' });
    await choose(page, profiles, 'Business trip: Internal callers', 'Follow-me');
    await choose(page, profiles, 'Business trip: External callers', 'Follow-me');
    // No steps yet: the server refuses, and says so under the status's select, not in an alert.
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    const internal = profiles.getByRole('combobox', { name: 'Business trip: Internal callers' });
    expect(await errorOf(main, internal)).toBe('Set up follow-me steps before choosing follow-me');
    expect(await main.getByRole('alert').count()).toBe(0);
    await shot(page, 'en-call-handling-error');
    expect((await extension(ext103)).status).toBe('available');

    // Two steps: 102 and 104 together for 15 s, then 105 for 20 s; the desk phone throughout.
    const followMe = main.getByRole('region', { name: 'Follow-me' });
    await followMe.getByRole('button', { name: 'Add a step' }).click();
    const step1 = followMe.getByRole('group', { name: 'Step 1' });
    await chooseMany(page, step1, 'Extensions to ring', ['102 Sales', '104 Accounting']);
    await step1.getByRole('textbox', { name: 'Rings for, seconds' }).fill('15');
    await followMe.getByRole('button', { name: 'Add a step' }).click();
    const step2 = followMe.getByRole('group', { name: 'Step 2' });
    await chooseMany(page, step2, 'Extensions to ring', ['105 Director']);
    expect(await timeline(followMe)).toEqual([
      expect.stringMatching(/^Desk phone 103\s*0–35 s/),
      expect.stringMatching(/^Step 1: 102 Sales, 104 Accounting\s*0–15 s/),
      expect.stringMatching(/^Step 2: 105 Director\s*15–35 s/),
    ]);
    // Reordered, the timeline follows; and back.
    await followMe.getByRole('button', { name: 'Move Step 2 up' }).click();
    expect(await timeline(followMe)).toEqual([
      expect.stringMatching(/^Desk phone 103\s*0–35 s/),
      expect.stringMatching(/^Step 1: 105 Director\s*0–20 s/),
      expect.stringMatching(/^Step 2: 102 Sales, 104 Accounting\s*20–35 s/),
    ]);
    await followMe.getByRole('button', { name: 'Move Step 1 down' }).click();
    expect(await timeline(followMe)).toHaveLength(3);
    expect(await followMe.getByRole('figure').textContent()).toContain(
      'Not answered after 35 s: the caller hears “not available”.',
    );

    await main
      .getByRole('region', { name: 'Always ring for these callers' })
      .getByRole('textbox', { name: 'Caller numbers' })
      .fill('+7 916 111-22-33\n8495*');
    await main.getByRole('switch', { name: 'Call waiting' }).uncheck();
    await main.getByText('Unsaved changes').waitFor();
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await shot(page, 'en-call-handling-user');

    const saved = await extension(ext103);
    expect(saved).toMatchObject({ status: 'trip', dnd: false, callWaiting: false });
    expect(saved.callRules).toEqual({
      followMe: {
        ringDesk: true,
        confirmExternal: true,
        steps: [
          { numbers: ['102', '104'], ringSec: 15 },
          { numbers: ['105'], ringSec: 20 },
        ],
      },
      profiles: { trip: { internal: { action: 'followMe' }, external: { action: 'followMe' } } },
      exceptions: ['+79161112233', '8495*'],
      statusByCalendar: null,
      secretary: null,
    });

    // A caller number that is none: named in the field's error, in words.
    const exceptions = main.getByRole('textbox', { name: 'Caller numbers' });
    await exceptions.fill('+79161112233\nreception');
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    expect(await errorOf(main, exceptions)).toContain('“reception” is not a phone number');
    expect((await extension(ext103)).callRules.exceptions).toEqual(['+79161112233', '8495*']);

    // Do not disturb is one of the choices; the status underneath stays.
    await exceptions.fill('+79161112233\n8495*');
    await main.getByRole('radio', { name: 'Do not disturb' }).click();
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await extension(ext103)).toMatchObject({ status: 'trip', dnd: true });
    await main.getByRole('radio', { name: 'Business trip' }).click();
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await extension(ext103)).toMatchObject({ status: 'trip', dnd: false });
  });

  it('an admin opens the call handling of 103 from Extensions and sets a secretary and a status calendar', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/extensions');
    await settled(page, 'Extensions');
    const row = page.getByRole('row', { name: /^103 Support/ });
    expect(await row.textContent()).toContain('Business trip');
    await row.getByRole('link', { name: 'Call handling of 103' }).click();
    await settled(page, 'Call handling');
    const main = page.getByRole('main');
    await main.getByText('Status, follow-me, status rules and secretary of extension 103 Support.').waitFor();
    // The user's settings, as saved.
    expect(await main.getByRole('radio', { name: 'Business trip' }).getAttribute('aria-checked')).toBe(
      'true',
    );
    expect(await main.getByRole('switch', { name: 'Call waiting' }).isChecked()).toBe(false);

    const byCalendar = main.getByRole('region', { name: 'Status by calendar' });
    await byCalendar.getByRole('switch', { name: 'Set the status by a calendar' }).check();
    await choose(page, byCalendar, 'Calendar', 'Office hours');
    await choose(page, byCalendar, 'Status while closed', 'Lunch');
    await byCalendar.getByTestId('calendar-state').waitFor();

    const secretary = main.getByRole('region', { name: 'Secretary' });
    await secretary.getByRole('switch', { name: 'Calls go through a secretary' }).check();
    await choose(page, secretary, 'Secretary’s extension', '101 Reception');
    await secretary.getByRole('radio', { name: 'The secretary first, then this phone too' }).check();
    await secretary.getByRole('textbox', { name: 'This phone joins after, seconds' }).fill('10');
    await secretary.getByRole('textbox', { name: 'Callers put straight through' }).fill('105');
    // Ring time 25 s (the default): the secretary from 0, this phone from 10, both to 35.
    expect(await timeline(secretary)).toEqual([
      expect.stringMatching(/^Secretary 101\s*0–35 s/),
      expect.stringMatching(/^This phone 103\s*10–35 s/),
    ]);
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await shot(page, 'en-call-handling-admin');
    const saved = await extension(ext103);
    expect(saved.callRules).toMatchObject({
      statusByCalendar: { calendarId, whenClosed: 'lunch' },
      secretary: { number: '101', mode: 'secretaryFirst', firstSec: 10, direct: ['105'] },
      // What the user set stays: callRules is replaced as a whole.
      exceptions: ['+79161112233', '8495*'],
      profiles: { trip: { internal: { action: 'followMe' }, external: { action: 'followMe' } } },
    });
    expect(saved.callRules.followMe?.steps).toHaveLength(2);
  });

  it('the user sees the calendar an admin set read-only, and keeps it when saving', async (t) => {
    const { page } = await open(t, { as: USER });
    await page.goto('/call-handling');
    await settled(page, 'Call handling');
    const main = page.getByRole('main');
    const byCalendar = main.getByRole('region', { name: 'Status by calendar' });
    await byCalendar.getByText('Set by an administrator.').waitFor();
    expect(await byCalendar.getByRole('switch').count()).toBe(0);
    await main.getByRole('radio', { name: 'Available' }).click();
    await main
      .getByText('While the office calendar is closed, Available counts as “Lunch”.', { exact: true })
      .waitFor();
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const saved = await extension(ext103);
    expect(saved.status).toBe('available');
    expect(saved.callRules.statusByCalendar).toEqual({ calendarId, whenClosed: 'lunch' });
  });

  it('an admin sets forwarding when busy for 103 on its call handling page; a rule with no number shows the error at it', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto(`/extensions/${ext103}/call-handling`);
    await settled(page, 'Call handling');
    const main = page.getByRole('main');
    const forwarding = main.getByRole('region', { name: 'Call forwarding' });
    const busy = forwarding.getByRole('switch', { name: 'When busy', exact: true });
    expect(await busy.isChecked()).toBe(false);
    await busy.check();
    // Switched on without a number: the server refuses, and says so next to that number.
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    const target = forwarding.getByRole('textbox', { name: 'Forward to (When busy)', exact: true });
    expect(await errorOf(forwarding, target)).toBe('An enabled forwarding rule needs a target number');
    expect(await main.getByRole('alert').count()).toBe(0);
    expect((await extension(ext103)).forwarding.busy.enabled).toBe(false);

    await target.fill('+7 495 123-45-67');
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await shot(page, 'en-call-handling-forwarding');
    const saved = await extension(ext103);
    expect(saved.forwarding.busy).toEqual({ enabled: true, target: '+74951234567' });
    expect(saved.forwarding.always.enabled).toBe(false);
    // The rest of the call handling stays as it was.
    expect(saved.callRules.secretary).toMatchObject({ number: '101', mode: 'secretaryFirst' });

    // 103 turns DND on from its phone while the form is open: saving the stale form is refused,
    // the DND stays on, and the page loads the newer version.
    await page.reload();
    await settled(page, 'Call handling');
    await rest(`/extensions/${ext103}`, { method: 'PATCH', body: { dnd: true } });
    await forwarding
      .getByRole('textbox', { name: 'Forward to (When busy)', exact: true })
      .fill('+7 495 765-43-21');
    await main.getByRole('button', { name: 'Save', exact: true }).click();
    await main.getByRole('alert').filter({ hasText: 'changed meanwhile' }).waitFor();
    const kept = await extension(ext103);
    expect(kept.dnd).toBe(true);
    expect(kept.forwarding.busy.target).toBe('+74951234567');
    await rest(`/extensions/${ext103}`, { method: 'PATCH', body: { dnd: false } });
  });

  it('an admin changes a feature code in place; a clash shows at both rows; a code goes back to its default', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/dashboard');
    await goTo(page, 'Feature codes');
    const table = page.getByRole('table', { name: 'Feature codes' });
    const dndOn = table.getByRole('textbox', { name: 'Code for “Do not disturb on”' });
    expect(await dndOn.inputValue()).toBe('*78');
    const dndOnRow = table.getByRole('row', { name: /^Do not disturb on/ });
    expect(await dndOnRow.textContent()).toContain('Dial *78.');
    // A code as it came: its default beside it, nothing to reset.
    const resetDndOn = table.getByRole('button', { name: 'Reset “Do not disturb on” to its default code' });
    expect(await resetDndOn.count()).toBe(0);

    // Letters are not keys of a phone: only * # and digits stay.
    await dndOn.fill('*9a0');
    expect(await dndOn.inputValue()).toBe('*90');
    await dndOn.press('Enter');
    await dndOnRow.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await featureCodes()).dndOn).toBe('*90');
    expect(await dndOnRow.textContent()).toContain('Dial *90.');
    // Changed: the default still shows in its column, and the code may go back to it.
    const column = (await table.getByRole('columnheader').allInnerTexts()).indexOf('Default');
    expect(column).toBeGreaterThan(0);
    expect(
      await dndOnRow
        .getByRole('cell')
        .nth(column - 1)
        .textContent(),
    ).toBe('*78');
    await resetDndOn.waitFor();

    // The same code for "Do not disturb off": refused; the server names the row it clashes with.
    const dndOff = table.getByRole('textbox', { name: 'Code for “Do not disturb off”' });
    await dndOff.fill('*90');
    await table.getByRole('button', { name: 'Save the code for “Do not disturb off”' }).click();
    expect(await errorOf(table, dndOff)).toBe(
      '*90 is the code of both "Do not disturb off" and "Do not disturb on"',
    );
    await dndOnRow.getByText('Clashes with the code being saved for “Do not disturb off”.').waitFor();
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
    await shot(page, 'en-feature-codes-clash');
    expect((await featureCodes()).dndOff).toBe('*79');

    // A code swallowed by one that takes digits after it.
    const echo = table.getByRole('textbox', { name: 'Code for “Echo test”' });
    await echo.fill('*701');
    await echo.press('Enter');
    expect(await errorOf(table, echo)).toContain('*701 begins with *70');
    // Escape gives the row its saved code back.
    await echo.press('Escape');
    expect(await echo.inputValue()).toBe('*43');
    await dndOff.press('Escape');

    // Back to the default.
    await resetDndOn.click();
    await expect.poll(() => dndOn.inputValue()).toBe('*78');
    await expect.poll(() => resetDndOn.count()).toBe(0);
    expect((await featureCodes()).dndOn).toBe('*78');
    await shot(page, 'en-feature-codes');
  });

  it('a supervisor reads the feature codes and owns no extension to handle', async (t) => {
    const { page } = await open(t, { as: SUPERVISOR });
    await page.goto('/feature-codes');
    await settled(page, 'Feature codes');
    const table = page.getByRole('table', { name: 'Feature codes' });
    await table.getByRole('row', { name: /^My status\s*\*70/ }).waitFor();
    expect(await table.getByRole('textbox').count()).toBe(0);
    expect(await table.getByRole('button').count()).toBe(0);
    await page.getByText('Your role may see the codes but not change them.').waitFor();
    await goTo(page, 'Call handling');
    await page.getByText('No extension is assigned to you.').waitFor();
    // 103's call handling, read-only.
    await page.goto(`/extensions/${ext103}/call-handling`);
    await settled(page, 'Call handling');
    await page.getByText('Your role may see these settings but not change them').waitFor();
    expect(await page.getByRole('radio', { name: 'Available' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
  });

  for (const lang of ['en', 'ru'] as const) {
    it(`renders call handling and feature codes in ${lang === 'en' ? 'English' : 'Russian'}`, async (t) => {
      const { page } = await open(t, {
        as: 'admin',
        locale: lang === 'ru' ? 'ru-RU' : 'en-US',
        viewport: { width: 1280, height: 1800 },
      });
      const titles =
        lang === 'en'
          ? { handling: 'Call handling', codes: 'Feature codes' }
          : { handling: 'Обработка вызовов', codes: 'Коды функций' };
      for (const [path, title, name] of [
        ['/call-handling', titles.handling, 'call-handling'],
        [`/extensions/${ext103}/call-handling`, titles.handling, 'call-handling-103'],
        ['/feature-codes', titles.codes, 'feature-codes'],
      ] as const) {
        await page.goto(path);
        await settled(page, title);
        expect(await page.getByRole('main').getByRole('alert').count(), `${path}: an error is shown`).toBe(0);
        await shot(page, `${lang}-${name}-page`);
      }
      if (lang === 'ru') {
        const main = page.getByRole('main');
        await page.goto(`/extensions/${ext103}/call-handling`);
        await settled(page, titles.handling);
        for (const heading of ['Статус', 'Переадресация по шагам (follow-me)', 'Секретарь'])
          await main.getByRole('heading', { name: heading, exact: true }).waitFor();
        await main.getByRole('switch', { name: 'Ожидание вызова' }).waitFor();
        await main.getByRole('radio', { name: 'Командировка' }).waitFor();
      }
    });
  }

  it('on a phone the call handling page fits the screen', async (t) => {
    const { page } = await open(t, {
      as: USER,
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/call-handling');
    await settled(page, 'Call handling');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    // What each status does: a block per status instead of a table that scrolls sideways.
    const profiles = page.getByRole('region', { name: 'What each status does' });
    expect(await profiles.getByRole('table').count()).toBe(0);
    const trip = profiles.getByRole('group', { name: 'Business trip' });
    await trip.getByText('External callers', { exact: true }).waitFor();
    expect(await trip.getByRole('combobox', { name: 'Business trip: External callers' }).inputValue()).toBe(
      'Follow-me',
    );
    await shot(page, 'phone-en-call-handling');
  });
});
