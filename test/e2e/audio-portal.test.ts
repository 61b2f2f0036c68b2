/**
 * The tenant's audio files in the web portal end to end: Debian's Chromium
 * (playwright-core) against a whole node started in-process, serving web/dist.
 * In the IVR editor an admin uploads a WAV (made here: a PCM16 header and a sine)
 * as a new menu's greeting, listens to it, sees a non-audio file refused beside
 * the upload button, and records the "no key" prompt with Chromium's fake
 * microphone; the tree names the file, and the REST API shows the menu's
 * `greeting.fileId` and `timeoutAudio.fileId`. On the Audio files page a file is
 * recorded and saved under a name, renamed and deleted; deleting the greeting's
 * file is refused with the menu named in the dialog. Screenshots in English and
 * Russian, and at a phone's width, go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

interface Audio {
  fileId?: string | null;
  prompts: string[];
  text: string | null;
  lang: string | null;
}
interface IvrMenu {
  id: string;
  name: string;
  greeting: Audio;
  invalidAudio: Audio | null;
  timeoutAudio: Audio | null;
}
interface AudioFile {
  id: string;
  name: string;
  durationMs: number;
  sizeBytes: number;
}

/** A mono PCM16 WAV of a 440 Hz sine: the 44-byte header, then the samples. */
function sineWav(rate: number, ms: number): Buffer {
  const n = Math.round((rate * ms) / 1000);
  const wav = Buffer.alloc(44 + n * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + n * 2, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    wav.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return wav;
}

/** An audio element's length in seconds once known (0 before). */
const durationOf = (el: { duration: number }) => (Number.isFinite(el.duration) ? el.duration : 0);

describe.runIf(browserTests)('audio files in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, goTo } = portalSession(() => ({ portal, browser, adminCookie }));

  async function files(): Promise<AudioFile[]> {
    const { status, body } = await rest<AudioFile[]>('/audio');
    expect(status).toBe(200);
    return body;
  }
  async function fileNamed(name: string): Promise<AudioFile> {
    const found = (await files()).filter((f) => f.name === name);
    expect(found, `audio file named ${name}`).toHaveLength(1);
    return found[0]!;
  }
  async function menuNamed(name: string): Promise<IvrMenu> {
    const { body } = await rest<{ items: IvrMenu[] }>('/ivr-menus?limit=200');
    const found = body.items.filter((m) => m.name === name);
    expect(found, `menu named ${name}`).toHaveLength(1);
    return found[0]!;
  }

  /** Waits for a dialog's opening transition, for a screenshot. */
  const still = (page: Page) => page.waitForTimeout(300);

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('in the IVR editor a WAV is uploaded as the greeting, a non-audio file is refused beside the button, a prompt is recorded', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 1400 } });
    await page.goto('/dashboard');
    await settled(page, 'Dashboard');
    await goTo(page, 'IVR menus');
    await page.getByRole('button', { name: 'New menu' }).click();
    const dialog = page.getByRole('dialog', { name: 'New menu' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Front desk');
    await dialog.getByRole('textbox', { name: 'Number', exact: true }).fill('600');

    // The greeting: an audio file, uploaded from here; it is chosen once saved.
    const greeting = dialog.getByRole('group', { name: 'Greeting', exact: true });
    await greeting.getByRole('radio', { name: 'Audio file (upload or record)' }).check();
    const picker = greeting.getByRole('combobox', { name: 'Audio file for “Greeting”' });
    await picker.waitFor();
    expect(await picker.inputValue()).toBe('');
    await greeting.locator('input[type=file]').setInputFiles({
      name: 'welcome.wav',
      mimeType: 'audio/wav',
      buffer: sineWav(16000, 1500),
    });
    await greeting.getByText('“welcome” is saved in the audio files').waitFor();
    await expect.poll(() => picker.inputValue()).toBe('welcome (0:01)');
    const welcome = await fileNamed('welcome');
    expect(welcome.durationMs).toBeGreaterThanOrEqual(1400);
    expect(welcome.durationMs).toBeLessThanOrEqual(1600);

    // Listened to as stored (8 kHz WAV, streamed from the server).
    await greeting.getByRole('button', { name: 'Listen to “welcome”' }).click();
    const player = greeting.getByLabel('Audio file “welcome”');
    await player.waitFor();
    expect(await player.getAttribute('src')).toBe(`/api/v1/tenants/${portal.tenantId}/audio/${welcome.id}`);
    await expect.poll(() => player.evaluate(durationOf)).toBeGreaterThan(1.3);

    // The draft's tree names the file.
    const tree = dialog.getByRole('region', { name: 'Menu tree of 600 Front desk' });
    await tree.getByText('Greeting: File “welcome”').waitFor();

    // Not audio, for the wrong-key prompt: the server's reason beside the upload button, which points at it.
    const invalid = dialog.getByRole('group', { name: 'After a wrong key', exact: true });
    await invalid.getByRole('radio', { name: 'Audio file (upload or record)' }).check();
    await invalid.locator('input[type=file]').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('This is not a sound file at all.\n'.repeat(20)),
    });
    const error = invalid.locator('[data-field-error]');
    await error.waitFor();
    expect(await error.textContent()).toContain('The audio file is not WAV, MP3 or Ogg Vorbis');
    const upload = invalid.getByRole('button', { name: 'Upload an audio file for “After a wrong key”' });
    expect(await upload.getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
    expect(await upload.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByRole('alert').count()).toBe(0);
    expect((await files()).map((f) => f.name)).toEqual(['welcome']);
    await screenshot(page, 'en-audio-ivr-upload');
    // Back to the standard prompt: nothing of the file stays.
    await invalid.getByRole('radio', { name: 'The standard prompt' }).check();

    // The no-key prompt, recorded with the (fake) microphone and saved under a name.
    const noKey = dialog.getByRole('group', { name: 'When no key is pressed', exact: true });
    await noKey.getByRole('radio', { name: 'Audio file (upload or record)' }).check();
    await noKey.getByRole('button', { name: 'Record “When no key is pressed” with the microphone' }).click();
    await noKey.getByText(/Recording… 0:01/).waitFor();
    await noKey.getByRole('button', { name: /Stop/ }).click();
    await noKey.getByText(/New recording, 0:0[1-3]/).waitFor();
    await noKey.getByRole('textbox', { name: 'Name of the recording' }).fill('Try again');
    await noKey.getByRole('button', { name: 'Save to the library' }).click();
    await noKey.getByText('“Try again” is saved in the audio files').waitFor();
    const picked = noKey.getByRole('combobox', { name: 'Audio file for “When no key is pressed”' });
    await expect.poll(() => picked.inputValue()).toMatch(/^Try again \(0:0[1-3]\)$/);
    await tree.getByText('No key: File “Try again”').waitFor();
    const tryAgain = await fileNamed('Try again');
    expect(tryAgain.durationMs).toBeGreaterThan(800);

    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const menu = await menuNamed('Front desk');
    expect(menu.greeting.fileId).toBe(welcome.id);
    expect(menu.timeoutAudio?.fileId).toBe(tryAgain.id);
    expect(menu.invalidAudio).toBeNull();
    // The list names the greeting's file.
    expect(await page.getByRole('row', { name: /Front desk/ }).textContent()).toContain('File “welcome”');

    // Opened again: the file is chosen; choosing text to speech clears it.
    await page.getByRole('button', { name: 'Edit Front desk' }).click();
    const editor = page.getByRole('dialog', { name: 'Menu Front desk' });
    const saved = editor.getByRole('group', { name: 'Greeting', exact: true });
    expect(await saved.getByRole('radio', { name: 'Audio file (upload or record)' }).isChecked()).toBe(true);
    await expect
      .poll(() => saved.getByRole('combobox', { name: 'Audio file for “Greeting”' }).inputValue())
      .toBe('welcome (0:01)');
    await screenshot(page, 'en-audio-ivr-editor');
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
  });

  it('the Audio files page records, renames and deletes; a file a menu plays is not deleted and the menu is named', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 1000 } });
    await page.goto('/ivr-menus');
    await settled(page, 'IVR menus');
    await goTo(page, 'Audio files');
    await page.getByRole('article', { name: 'Audio file welcome' }).waitFor();
    await page.getByRole('article', { name: 'Audio file Try again' }).waitFor();

    // Recorded here and saved under a name.
    await page.getByRole('button', { name: 'Record with the microphone' }).click();
    await page.getByText(/Recording… 0:01/).waitFor();
    await page.getByRole('button', { name: /Stop/ }).click();
    await page.getByText(/New recording, 0:0[1-3]/).waitFor();
    await page.getByRole('textbox', { name: 'Name of the recording' }).fill('Hold on');
    await page.getByRole('button', { name: 'Save to the library' }).click();
    const hold = page.getByRole('article', { name: 'Audio file Hold on' });
    await hold.waitFor();
    expect((await fileNamed('Hold on')).durationMs).toBeGreaterThan(800);

    // Listened to.
    await hold.getByRole('button', { name: 'Listen to “Hold on”' }).click();
    await expect.poll(() => hold.locator('audio').evaluate(durationOf)).toBeGreaterThan(0.8);

    // Renamed.
    await hold.getByRole('button', { name: 'Rename “Hold on”' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename “Hold on”' });
    await rename.getByRole('textbox', { name: 'Name' }).fill('Please hold');
    await rename.getByRole('button', { name: 'Save', exact: true }).click();
    await rename.waitFor({ state: 'detached' });
    const holdId = (await fileNamed('Please hold')).id;
    await page.getByRole('article', { name: 'Audio file Please hold' }).waitFor();
    await screenshot(page, 'en-audio-files');

    // The greeting of "Front desk": refused, and the dialog says which menu plays it.
    await page
      .getByRole('article', { name: 'Audio file welcome' })
      .getByRole('button', { name: 'Delete “welcome”' })
      .click();
    const refuse = page.getByRole('dialog', { name: 'Delete welcome?' });
    await refuse.getByRole('button', { name: 'Delete', exact: true }).click();
    const alert = refuse.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Front desk');
    await still(page);
    await screenshot(page, 'en-audio-delete-refused');
    await refuse.getByRole('button', { name: 'Cancel' }).click();
    await refuse.waitFor({ state: 'detached' });
    expect((await files()).map((f) => f.name)).toContain('welcome');

    // A file no menu plays goes.
    await page
      .getByRole('article', { name: 'Audio file Please hold' })
      .getByRole('button', { name: 'Delete “Please hold”' })
      .click();
    const remove = page.getByRole('dialog', { name: 'Delete Please hold?' });
    await remove.getByRole('button', { name: 'Delete', exact: true }).click();
    await remove.waitFor({ state: 'detached' });
    await page.getByRole('article', { name: 'Audio file Please hold' }).waitFor({ state: 'detached' });
    expect((await files()).some((f) => f.id === holdId)).toBe(false);
  });

  it('renders in Russian', async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU', viewport: { width: 1280, height: 1000 } });
    await page.goto('/audio-files');
    await settled(page, 'Аудиофайлы');
    await page.getByRole('button', { name: /Загрузить/ }).waitFor();
    await page.getByRole('button', { name: 'Записать с микрофона' }).waitFor();
    await page.getByRole('article', { name: 'Аудиофайл welcome' }).waitFor();
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
    await screenshot(page, 'ru-audio-files');

    await page.goto('/ivr-menus');
    await settled(page, 'Голосовые меню');
    expect(await page.getByRole('row', { name: /Front desk/ }).textContent()).toContain('Файл «welcome»');
    await page.getByRole('button', { name: 'Изменить Front desk' }).click();
    const dialog = page.getByRole('dialog');
    const greeting = dialog.getByRole('group', { name: 'Приветствие', exact: true });
    expect(await greeting.getByRole('radio', { name: 'Аудиофайл (загрузка или запись)' }).isChecked()).toBe(
      true,
    );
    await greeting.getByRole('button', { name: 'Записать с микрофона: «Приветствие»' }).waitFor();
    await dialog.getByText('Приветствие: Файл «welcome»').waitFor();
    await still(page);
    await screenshot(page, 'ru-audio-ivr-editor');
    await page.keyboard.press('Escape');
  });

  it('on a phone the audio files and the editor with a file greeting fit the screen', async (t) => {
    const { page } = await open(t, {
      as: 'admin',
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/audio-files');
    await settled(page, 'Audio files');
    const welcome = page.getByRole('article', { name: 'Audio file welcome' });
    await welcome.getByRole('button', { name: 'Listen to “welcome”' }).click();
    await welcome.locator('audio').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    const box = await welcome.boundingBox();
    expect(box!.x + box!.width, 'the file runs off the screen').toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-audio-files');

    await page.goto('/ivr-menus');
    await settled(page, 'IVR menus');
    await page.getByRole('button', { name: 'Edit Front desk' }).click();
    const dialog = page.getByRole('dialog', { name: 'Menu Front desk' });
    const greeting = dialog.getByRole('group', { name: 'Greeting', exact: true });
    await greeting.getByRole('button', { name: 'Listen to “welcome”' }).click();
    await greeting.locator('audio').waitFor();
    await still(page);
    const wide = await page.evaluate<number>(`(() => {
      const el = document.querySelector('[role="dialog"] .mantine-Modal-body');
      return el ? el.scrollWidth - el.clientWidth : -1;
    })()`);
    expect(wide, 'the editor scrolls sideways').toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-en-audio-ivr-editor');
  });
});
