/**
 * IVR menus in the web portal end to end: Debian's Chromium (playwright-core)
 * against a whole node started in-process, serving web/dist.
 * An admin creates a sub-menu (system prompts) and a main menu (a greeting spoken by
 * the TTS in English, key 1 to an extension with a tag, key 2 to the sub-menu,
 * direct dial with an allow-list, a fallback); an empty greeting text shows its
 * error beside the field first, and the text is heard through the TTS preview. The menu tree shows the sub-menu under key 2, and,
 * once the sub-menu's key 0 leads back to the main menu, ends that branch with
 * "back to"; a sub-menu in the tree opens its editor (asking first when the open
 * menu has unsaved changes). Every result is checked through the REST API too.
 * Screenshots in English and Russian, and at a phone's width, go to
 * test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

interface Destination {
  kind: string;
  id?: string;
  number?: string;
  cause?: string;
}
interface Audio {
  prompts: string[];
  text: string | null;
  lang: string | null;
}
interface IvrMenu {
  id: string;
  name: string;
  number: string | null;
  greeting: Audio;
  options: { key: string; destination: Destination; tag: string | null }[];
  directDial: { enabled: boolean; allow: string[] };
  interDigitMs: number;
  timeoutSec: number;
  retries: number;
  invalidAudio: Audio | null;
  timeoutAudio: Audio | null;
  fallback: Destination | null;
  calendar: { calendarId: string; whenClosed: Destination } | null;
  tag: string | null;
}

const GREETING = 'Welcome to Acme. For sales press 1, for support press 2, or dial an extension.';

describe.runIf(browserTests)('IVR menus in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, goTo, choose } = portalSession(() => ({
    portal,
    browser,
    adminCookie,
  }));

  async function menuNamed(name: string): Promise<IvrMenu> {
    const { status, body } = await rest<{ items: IvrMenu[] }>('/ivr-menus?limit=200');
    expect(status).toBe(200);
    const found = body.items.filter((m) => m.name === name);
    expect(found, `menu named ${name}`).toHaveLength(1);
    return found[0]!;
  }

  async function extensionId(number: string): Promise<string> {
    const { body } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    return body.items.find((e) => e.number === number)!.id;
  }

  /** Waits for the dialog's opening transition, for a screenshot. */
  const still = (page: Page) => page.waitForTimeout(300);

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('an admin creates a sub-menu and a main menu linked to it; an empty greeting text shows beside the field', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 1000 } });
    await page.goto('/dashboard');
    await settled(page, 'Dashboard');
    await goTo(page, 'IVR menus');
    await page.getByText('No menus yet.').waitFor();

    // The sub-menu: a greeting of system prompts, key 1 to extension 103.
    await page.getByRole('button', { name: 'New menu' }).click();
    let dialog = page.getByRole('dialog', { name: 'New menu' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Support menu');
    await dialog.getByRole('textbox', { name: 'Number', exact: true }).fill('501');
    let greeting = dialog.getByRole('group', { name: 'Greeting', exact: true });
    await greeting.getByRole('radio', { name: 'System prompts' }).check();
    // An audio file (uploaded or recorded) may be chosen too: test/e2e/audio-portal.test.ts.
    expect(await greeting.getByRole('radio', { name: 'Audio file (upload or record)' }).isDisabled()).toBe(
      false,
    );
    await greeting.getByRole('combobox', { name: 'Prompts, in order' }).click();
    await page.getByRole('option', { name: 'Please enter the extension number', exact: true }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Add a key' }).click();
    let key = dialog.getByRole('group', { name: 'Key 1', exact: true });
    await choose(page, key, 'Send the call to', 'Extension');
    await choose(page, key, 'Which extension', '103 Support');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const sub = await menuNamed('Support menu');
    expect(sub).toMatchObject({
      number: '501',
      greeting: { prompts: ['enter-extension'], text: null, lang: null },
      options: [{ key: '1', destination: { kind: 'extension', id: await extensionId('103') }, tag: null }],
      directDial: { enabled: false, allow: [] },
      fallback: null,
      calendar: null,
      invalidAudio: null,
      timeoutAudio: null,
    });

    // The main menu: text to speech, keys 1 and 2, direct dial, a fallback.
    await page.getByRole('button', { name: 'New menu' }).click();
    dialog = page.getByRole('dialog', { name: 'New menu' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Main menu');
    await dialog.getByRole('textbox', { name: 'Number', exact: true }).fill('500');
    await dialog.getByRole('textbox', { name: 'Tag the call', exact: true }).fill('main');
    greeting = dialog.getByRole('group', { name: 'Greeting', exact: true });
    // A new menu's greeting is text to speech; its text is left empty for now.
    expect(await greeting.getByRole('radio', { name: 'Text to speech' }).isChecked()).toBe(true);
    const text = greeting.getByRole('textbox', { name: 'Text', exact: true });
    await choose(page, greeting, 'Language of the text', 'English');

    await dialog.getByRole('button', { name: 'Add a key' }).click();
    key = dialog.getByRole('group', { name: 'Key 1', exact: true });
    await choose(page, key, 'Send the call to', 'Extension');
    await choose(page, key, 'Which extension', '102 Sales');
    await key.getByRole('textbox', { name: 'Tag of key 1' }).fill('sales');
    await dialog.getByRole('button', { name: 'Add a key' }).click();
    key = dialog.getByRole('group', { name: 'Key 2', exact: true });
    await choose(page, key, 'Send the call to', 'IVR menu');
    await choose(page, key, 'Which menu', '501 Support menu');

    await dialog.getByRole('switch', { name: 'Callers may dial an extension from the menu' }).check();
    const allow = dialog.getByRole('combobox', { name: 'Allowed extensions' });
    await allow.fill('1*');
    await allow.press('Enter');
    await dialog.getByRole('textbox', { name: 'Wait for a key, seconds' }).fill('7');
    await dialog.getByRole('textbox', { name: 'Replays' }).fill('3');
    const fallback = dialog.getByRole('group', { name: 'When the caller chooses nothing' });
    await choose(page, fallback, 'Send the call to', 'Extension');
    await choose(page, fallback, 'Which extension', '101 Reception');

    // The tree of the draft shows the sub-menu under key 2, with its own key 1.
    const draftTree = dialog.getByRole('region', { name: 'Menu tree of 500 Main menu' });
    const branch2 = draftTree.locator('[data-branch="key-2"]');
    await branch2.locator(`[data-menu="${sub.id}"]`).waitFor();
    expect(await branch2.textContent()).toContain('103 Support');
    expect(
      await draftTree.locator('[data-menu="new"] > ul > [data-branch="direct-dial"]').textContent(),
    ).toContain('only 1*');
    expect(
      await draftTree.locator('[data-menu="new"] > ul > [data-branch="fallback"]').textContent(),
    ).toContain('Extension 101 Reception');

    // An empty text cannot be spoken: the server's answer shows under the text, not as an alert.
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => text.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await text.getAttribute('aria-describedby'))
      ?.split(' ')
      .find((id) => id.includes('error'));
    expect(errorId).toBeTruthy();
    expect(await dialog.locator(`[id="${errorId}"]`).textContent()).toContain('greeting.text');
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'en-ivr-error');
    expect((await rest<{ total: number }>('/ivr-menus')).body.total).toBe(1);

    await text.fill(GREETING);
    // The text as the PBX's voice says it (the speech-preview route): a WAV of a few seconds.
    await greeting.getByRole('button', { name: 'Listen to the text of Greeting' }).click();
    const player = greeting.locator('audio');
    await player.waitFor();
    expect(await player.getAttribute('src')).toMatch(/^blob:/);
    await expect
      .poll(() =>
        player.evaluate((el: { duration: number }) => (Number.isFinite(el.duration) ? el.duration : 0)),
      )
      .toBeGreaterThan(2);
    await screenshot(page, 'en-ivr-new');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const main = await menuNamed('Main menu');
    expect(main).toMatchObject({
      number: '500',
      tag: 'main',
      greeting: { prompts: [], text: GREETING, lang: 'en' },
      options: [
        { key: '1', destination: { kind: 'extension', id: await extensionId('102') }, tag: 'sales' },
        { key: '2', destination: { kind: 'ivr', id: sub.id }, tag: null },
      ],
      directDial: { enabled: true, allow: ['1*'] },
      interDigitMs: 2000,
      timeoutSec: 7,
      retries: 3,
      invalidAudio: null,
      timeoutAudio: null,
      fallback: { kind: 'extension', id: await extensionId('101') },
      calendar: null,
    });

    // The row's tree, and the editor shows what was saved.
    const row = page.getByRole('row', { name: /Main menu/ });
    expect(await row.textContent()).toContain('Welcome to Acme');
    await row.getByRole('button', { name: 'Menu tree of Main menu' }).click();
    const rowTree = page.getByRole('main').getByRole('region', { name: 'Menu tree of 500 Main menu' });
    await rowTree.locator(`[data-branch="key-2"] [data-menu="${sub.id}"]`).waitFor();
    await screenshot(page, 'en-ivr-menus');
    await row.getByRole('button', { name: 'Edit Main menu' }).click();
    const editor = page.getByRole('dialog', { name: 'Menu Main menu' });
    const saved = editor.getByRole('group', { name: 'Greeting', exact: true });
    expect(await saved.getByRole('textbox', { name: 'Text', exact: true }).inputValue()).toBe(GREETING);
    expect(
      await editor.getByRole('switch', { name: 'Callers may dial an extension from the menu' }).isChecked(),
    ).toBe(true);
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
  });

  it('the tree ends a cycle with "back to"; a sub-menu in the tree opens its editor', async (t) => {
    const main = await menuNamed('Main menu');
    const sub = await menuNamed('Support menu');
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 1400 } });
    await page.goto('/ivr-menus');
    await settled(page, 'IVR menus');

    // The sub-menu's key 0 goes back to the main menu.
    await page
      .getByRole('row', { name: /Support menu/ })
      .getByRole('button', { name: 'Edit Support menu' })
      .click();
    let dialog = page.getByRole('dialog', { name: 'Menu Support menu' });
    await dialog.getByRole('button', { name: 'Add a key' }).click();
    const key = dialog.getByRole('group', { name: 'Key 2', exact: true });
    await choose(page, key, 'Key', '0');
    await choose(page, key, 'Send the call to', 'IVR menu');
    await choose(page, key, 'Which menu', '500 Main menu');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await menuNamed('Support menu')).options).toEqual([
      expect.objectContaining({ key: '1' }),
      { key: '0', destination: { kind: 'ivr', id: main.id }, tag: null },
    ]);

    // In the main menu's tree: key 2 → the sub-menu, whose key 0 leads back, not round again.
    await page
      .getByRole('row', { name: /Main menu/ })
      .getByRole('button', { name: 'Edit Main menu' })
      .click();
    dialog = page.getByRole('dialog', { name: 'Menu Main menu' });
    const tree = dialog.getByRole('region', { name: 'Menu tree of 500 Main menu' });
    const back = tree.locator(`[data-branch="key-2"] [data-menu="${sub.id}"] [data-branch="key-0"]`);
    await back.waitFor();
    expect(await back.textContent()).toContain('↩ back to 500 Main menu');
    expect(await tree.locator(`[data-menu="${main.id}"]`).count()).toBe(1);
    await still(page);
    await screenshot(page, 'en-ivr-tree-cycle');

    // With a change not saved, opening the sub-menu asks first.
    await dialog.getByRole('textbox', { name: 'Tag the call', exact: true }).fill('reception');
    await tree.getByRole('button', { name: 'Open 501 Support menu' }).click();
    const unsaved = dialog
      .getByRole('alert')
      .filter({ hasText: 'This menu has changes that are not saved.' });
    await unsaved.waitFor();
    await unsaved.getByRole('button', { name: 'Stay here' }).click();
    await unsaved.waitFor({ state: 'detached' });
    expect(await dialog.getByRole('textbox', { name: 'Tag the call', exact: true }).inputValue()).toBe(
      'reception',
    );
    await tree.getByRole('button', { name: 'Open 501 Support menu' }).click();
    await dialog.getByRole('button', { name: 'Open Support menu without saving' }).click();
    const subEditor = page.getByRole('dialog', { name: 'Menu Support menu' });
    await subEditor.waitFor();
    // Its own tree: the main menu under key 0, whose key 2 leads back to the sub-menu.
    const subTree = subEditor.getByRole('region', { name: 'Menu tree of 501 Support menu' });
    const subBack = subTree.locator(`[data-branch="key-0"] [data-menu="${main.id}"] [data-branch="key-2"]`);
    expect(await subBack.textContent()).toContain('↩ back to 501 Support menu');
    // And back again, without changes: straight to the main menu's editor.
    await subTree.getByRole('button', { name: 'Open 500 Main menu' }).click();
    await page.getByRole('dialog', { name: 'Menu Main menu' }).waitFor();
    await page.keyboard.press('Escape');
    expect((await menuNamed('Main menu')).tag).toBe('main');
  });

  for (const lang of ['en', 'ru'] as const) {
    it(`renders the menus, the tree and the editor in ${lang === 'en' ? 'English' : 'Russian'}`, async (t) => {
      const { page } = await open(t, {
        as: 'admin',
        locale: lang === 'ru' ? 'ru-RU' : 'en-US',
        viewport: { width: 1280, height: 3000 },
      });
      const ru = lang === 'ru';
      await page.goto('/ivr-menus');
      await settled(page, ru ? 'Голосовые меню' : 'IVR menus');
      expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
      await page
        .getByRole('button', { name: ru ? 'Схема меню Main menu' : 'Menu tree of Main menu' })
        .click();
      await page.getByRole('main').getByRole('region').waitFor();
      await screenshot(page, `${lang}-ivr-menus-tree`);
      await page.getByRole('button', { name: ru ? 'Изменить Main menu' : 'Edit Main menu' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      if (ru)
        for (const legend of ['Приветствие', 'Клавиши', 'Набор внутреннего номера', 'Ожидание клавиш'])
          await dialog.getByRole('group', { name: legend, exact: true }).waitFor();
      await dialog.getByText(ru ? 'Межсимвольный интервал, мс' : 'Inter-digit timeout, ms').waitFor();
      await dialog.getByText(ru ? '↩ назад в 500 Main menu' : '↩ back to 500 Main menu').waitFor();
      await still(page);
      await screenshot(page, `${lang}-ivr-editor`);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });
  }

  it('on a phone the list, the tree and the editor fit the screen', async (t) => {
    const { page } = await open(t, {
      as: 'admin',
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/ivr-menus');
    await settled(page, 'IVR menus');
    await page.getByRole('button', { name: 'Menu tree of Main menu' }).click();
    const tree = page.getByRole('main').getByRole('region', { name: 'Menu tree of 500 Main menu' });
    await tree.waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    const box = await tree.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, 'the tree runs off the screen').toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-ivr-menus');

    await page.getByRole('button', { name: 'Edit Main menu' }).click();
    const dialog = page.getByRole('dialog', { name: 'Menu Main menu' });
    await dialog.getByRole('region', { name: 'Menu tree of 500 Main menu' }).waitFor();
    await still(page);
    const wide = await dialog.evaluate((el) => {
      const body = el.querySelector('.mantine-Modal-body') ?? el;
      return body.scrollWidth - body.clientWidth;
    });
    expect(wide, 'the editor scrolls sideways').toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-en-ivr-editor');
  });
});
