/**
 * Voicemail in the web portal end to end: Debian's Chromium (playwright-core)
 * against a whole node started in-process, serving web/dist.
 * Messages are put into a mailbox the way the deposit leaves them (the WAV in the
 * mailbox's folder under the node's data dir, then the row through the store).
 * A user sees the new message with its caller, plays it (the waveform canvas is
 * drawn from the WAV, the audio streams with Range, a click on the waveform
 * seeks), and it is heard; they move it to saved and delete it. They upload a WAV
 * greeting, see a non-audio file refused beside the control, record one with the
 * (fake) microphone, change the PIN and the email; an admin creates a group
 * mailbox the user then finds in their list. Every result is checked through the
 * REST API too. Screenshots in English, Russian and at a phone's width go to
 * test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

/** Owns extension 102; the portal in English. */
const USER_102 = { email: 'vm102@demo.test', password: 'voicemail-pw-102' };
/** Owns extension 103; the portal in Russian. */
const USER_103 = { email: 'vm103@demo.test', password: 'voicemail-pw-103' };

interface Box {
  id: string;
  kind: string;
  number: string;
  name: string;
  members: string[];
  hasPin: boolean;
  email: string | null;
  greetings: Record<string, boolean>;
  newMessages: number;
  totalMessages: number;
}
interface Message {
  id: string;
  boxId: string;
  caller: string;
  callerName: string;
  folder: string;
  heard: boolean;
}

/** A tone whose loudness swells and fades like a voice: a waveform with a shape. */
function voice(rate: number, ms: number): Buffer {
  const n = Math.round((rate * ms) / 1000);
  const samples = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const env = 0.15 + 0.85 * Math.abs(Math.sin((Math.PI * 3 * i) / n));
    samples[i] = Math.round(12000 * env * Math.sin((2 * Math.PI * 330 * i) / rate));
  }
  return encodeWav({ encoding: 'pcm16', sampleRate: rate, channels: 1 }, samples);
}

/** Pixels of the first drawn waveform canvas that are not transparent (a string: no DOM types here). */
const INKED = `(() => {
  const c = document.querySelector('canvas[data-waveform][data-drawn="true"]');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
})()`;

describe.runIf(browserTests)('voicemail in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, goTo } = portalSession(() => ({ portal, browser, adminCookie }));
  const ext: Record<string, string> = {};

  async function user(
    who: { email: string; password: string },
    name: string,
    number: string,
    language: string,
  ) {
    const created = await rest<{ user: { id: string } }>('/users', {
      method: 'POST',
      body: { ...who, displayName: name, role: 'user', language },
    });
    expect(created.status).toBe(201);
    const owned = await rest(`/extensions/${ext[number]}`, {
      method: 'PATCH',
      body: { userId: created.body.user.id },
    });
    expect(owned.status).toBe(200);
  }

  /** A message as the deposit leaves it: the file in the mailbox's folder, then the row. */
  async function deposit(number: string, caller: string, callerName: string, ms = 3000): Promise<string> {
    const boxId = ext[number]!;
    const store = portal.node.store.tenant(portal.tenantId).voicemail;
    await store.ensureForExtension(boxId);
    const id = randomUUID();
    const wav = voice(8000, ms);
    const dir = join(portal.node.config.dataDir, 'voicemail', portal.tenantId, boxId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${id}.wav`), wav);
    await store.insertMessage({
      id,
      boxId,
      caller,
      callerName,
      durationMs: ms,
      sizeBytes: wav.length,
      receivedAt: new Date(),
    });
    return id;
  }

  const message = (id: string) => rest<Message>(`/voicemail/messages/${id}`);
  const box = async (number: string) => (await rest<Box>(`/voicemail/boxes/${ext[number]}`)).body;

  /** The section of a greeting kind, by its title. */
  const greeting = (page: Page, title: string) => page.getByRole('region', { name: title, exact: true });

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    const { body } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    for (const e of body.items) ext[e.number] = e.id;
    await user(USER_102, 'Anna Voicemail', '102', 'en');
    await user(USER_103, 'Борис Почтов', '103', 'ru');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('a user plays a new message on its waveform (heard), moves it to saved and deletes it', async (t) => {
    const id = await deposit('102', '+74951234567', 'Ivan Petrov');
    const { page } = await open(t, { as: USER_102, viewport: { width: 1280, height: 900 } });
    const ranges: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith(`/messages/${id}/audio`) && r.headers().range) ranges.push(r.headers().range!);
    });
    await page.goto('/profile');
    await settled(page, 'My settings');
    await goTo(page, 'Voicemail');
    // A user's only mailbox opens by itself: no mailbox to choose.
    expect(await page.getByRole('combobox', { name: 'Mailbox' }).count()).toBe(0);
    const card = page.getByRole('article', { name: 'Message from Ivan Petrov (+74951234567)' });
    await card.waitFor();
    expect(await card.getByText('New', { exact: true }).count()).toBe(1);
    expect(await card.getByText('0:03', { exact: true }).count()).toBe(1);
    expect(await page.getByRole('radio', { name: 'Inbox (1)' }).isChecked()).toBe(true);
    expect((await box('102')).newMessages).toBe(1);

    await card.getByRole('button', { name: 'Listen to the message from Ivan Petrov (+74951234567)' }).click();
    // The waveform is drawn from the WAV: some pixels are inked.
    await expect.poll(() => page.evaluate<number>(INKED), { timeout: 10_000 }).toBeGreaterThan(100);
    // Playing marks it heard (on the server, and so the lamp).
    await expect.poll(async () => (await message(id)).body.heard, { timeout: 10_000 }).toBe(true);
    await card.getByText('Heard', { exact: true }).waitFor();
    expect((await box('102')).newMessages).toBe(0);
    // The audio element streams the message itself, with Range.
    expect(ranges.length).toBeGreaterThan(0);

    // Pause, then a click at three quarters of the waveform seeks there.
    const pause = card.getByRole('button', { name: 'Pause', exact: true });
    if (await pause.count()) await pause.click();
    await card.getByRole('button', { name: 'Play', exact: true }).waitFor();
    const slider = card.getByRole('slider', { name: 'Position in the message' });
    const frame = (await slider.boundingBox())!;
    await slider.click({ position: { x: frame.width * 0.75, y: frame.height / 2 } });
    await expect.poll(async () => Number(await slider.getAttribute('aria-valuenow'))).toBe(2);
    expect(await slider.getAttribute('aria-valuetext')).toBe('0:02 of 0:03');
    await screenshot(page, 'en-voicemail-player');

    await card.getByRole('button', { name: 'Move to saved' }).click();
    await expect.poll(async () => (await message(id)).body.folder).toBe('saved');
    await card.waitFor({ state: 'detached' });
    await page.getByText('No messages in the inbox.').waitFor();
    await page.getByText('Saved', { exact: true }).click();
    await card.waitFor();
    await card.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the message from Ivan Petrov (+74951234567)?' });
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.waitFor({ state: 'detached' });
    expect((await message(id)).status).toBe(404);
    expect((await box('102')).totalMessages).toBe(0);
  });

  it('a user uploads a WAV greeting, sees a non-audio file refused beside the control, and records one', async (t) => {
    const { page } = await open(t, { as: USER_102, viewport: { width: 1280, height: 1400 } });
    await page.goto('/voicemail');
    await settled(page, 'Voicemail');
    await page.getByRole('tab', { name: 'Greetings' }).click();

    const busy = greeting(page, 'When you are busy');
    await busy.locator('input[type=file]').setInputFiles({
      name: 'busy.wav',
      mimeType: 'audio/wav',
      buffer: voice(16000, 1500),
    });
    await busy.getByText('Greeting saved').waitFor();
    await busy.getByText('Recorded', { exact: true }).waitFor();
    expect((await box('102')).greetings).toMatchObject({ busy: true, unavailable: false });
    // What was just saved can be listened to.
    await busy.locator('audio').waitFor();

    // Not audio: the server's reason beside the upload button, which points at it.
    const away = greeting(page, 'When you do not answer');
    await away.locator('input[type=file]').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('This is not a sound file at all.\n'.repeat(20)),
    });
    const error = away.locator('[data-field-error]');
    await error.waitFor();
    expect(await error.textContent()).toContain('The audio file is not WAV, MP3 or Ogg Vorbis');
    const button = away.getByRole('button', { name: 'Upload a file for “When you do not answer”' });
    expect(await button.getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
    expect((await box('102')).greetings.unavailable).toBe(false);
    await screenshot(page, 'en-voicemail-greetings');

    // Recorded in the browser (Chromium's fake microphone beeps), encoded to WAV, saved.
    const temporary = greeting(page, 'Temporary (replaces the others)');
    await temporary
      .getByRole('button', { name: 'Record “Temporary (replaces the others)” with the microphone' })
      .click();
    await temporary.getByText(/Recording… 0:01/).waitFor();
    await temporary.getByRole('button', { name: /Stop/ }).click();
    await temporary.getByText(/New recording, 0:0[1-3]/).waitFor();
    await temporary.getByRole('button', { name: 'Save as the greeting' }).click();
    await temporary.getByText('Greeting saved').waitFor();
    expect((await box('102')).greetings.temporary).toBe(true);

    // Deleted again, after asking.
    await temporary.getByRole('button', { name: 'Delete “Temporary (replaces the others)”' }).click();
    const dialog = page.getByRole('dialog', {
      name: 'Delete the greeting “Temporary (replaces the others)”?',
    });
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await temporary.getByText('Not recorded', { exact: true }).waitFor();
    expect((await box('102')).greetings.temporary).toBe(false);
  });

  it('a user sets the PIN (never shown back) and the email of their mailbox', async (t) => {
    expect((await box('102')).hasPin).toBe(false);
    const { page } = await open(t, { as: USER_102, viewport: { width: 1280, height: 1200 } });
    await page.goto('/voicemail?tab=settings');
    await settled(page, 'Voicemail');
    await page.getByText('No PIN yet: the mailbox cannot be opened by phone.').waitFor();
    const pin = page.getByRole('textbox', { name: 'PIN', exact: true });
    await pin.fill('12');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Digits only, 4 to 10 of them').waitFor();
    expect((await box('102')).hasPin).toBe(false);

    await pin.fill('4826');
    await page.getByRole('textbox', { name: 'Email for new messages' }).fill('anna@demo.test');
    // The recording goes as MP3 (smaller) rather than the WAV.
    await page.getByText('MP3 (smaller)').click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const after = await box('102');
    expect(after).toMatchObject({ hasPin: true, email: 'anna@demo.test', attachFormat: 'mp3' });
    expect(await pin.inputValue()).toBe('');
    await page.getByText('A PIN is set. Type a new one to change it.').waitFor();
    expect(JSON.stringify(after)).not.toContain('4826');
    await screenshot(page, 'en-voicemail-settings');
  });

  it('an admin creates a group mailbox; its member finds it in their list', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/voicemail');
    await settled(page, 'Voicemail');
    // An admin chooses among every mailbox.
    await page.getByRole('combobox', { name: 'Mailbox' }).waitFor();
    await page.getByRole('tab', { name: 'Group mailboxes' }).click();
    await page.getByText('No group mailboxes yet.').waitFor();
    await page.getByRole('button', { name: 'New group mailbox' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group mailbox' });
    const number = dialog.getByRole('textbox', { name: 'Number' });
    await number.fill('102');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Sales team');
    await dialog.getByRole('combobox', { name: 'Members', exact: true }).click();
    await page.getByRole('option', { name: /^102 / }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    // An extension's number: refused beside the field.
    await expect.poll(() => number.getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('102 is an extension').waitFor();
    await number.fill('801');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('article', { name: '801 Sales team' }).waitFor();
    const { body } = await rest<{ items: Box[] }>('/voicemail/boxes');
    expect(body.items.filter((b) => b.kind === 'group')).toMatchObject([
      { number: '801', name: 'Sales team', members: ['102'] },
    ]);
    await screenshot(page, 'en-voicemail-groups');

    const { page: member } = await open(t, { as: USER_102 });
    await member.goto('/voicemail');
    await settled(member, 'Voicemail');
    await member.getByRole('combobox', { name: 'Mailbox' }).click();
    await member.getByRole('option', { name: '801 Sales team (group)' }).waitFor();
  });

  it('renders in Russian', async (t) => {
    await deposit('103', '+74957654321', 'Ольга Смирнова', 5000);
    const { page } = await open(t, { as: USER_103, locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    await page.goto('/voicemail');
    await settled(page, 'Голосовая почта');
    expect(await page.getByRole('radio', { name: 'Входящие (1)' }).isChecked()).toBe(true);
    await page.getByText('Сохранённые', { exact: true }).waitFor();
    const card = page.getByRole('article', { name: 'Сообщение от Ольга Смирнова (+74957654321)' });
    await card.getByText('Новое', { exact: true }).waitFor();
    await card.getByRole('button', { name: /^Прослушать сообщение/ }).click();
    await expect.poll(() => page.evaluate<number>(INKED), { timeout: 10_000 }).toBeGreaterThan(100);
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
    await screenshot(page, 'ru-voicemail');
    await page.getByRole('tab', { name: 'Приветствия' }).click();
    await page.getByRole('region', { name: 'Приветствие, когда вы заняты' }).waitFor();
    await screenshot(page, 'ru-voicemail-greetings');
    await page.getByRole('tab', { name: 'Настройки' }).click();
    await page.getByRole('textbox', { name: 'Пин-код', exact: true }).waitFor();
    await screenshot(page, 'ru-voicemail-settings');
  });

  it('on a phone the inbox, the player and the greetings fit the screen', async (t) => {
    await deposit('102', '+79161234567', 'A caller with a rather long name indeed', 4000);
    const { page } = await open(t, {
      as: USER_102,
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto('/voicemail');
    await settled(page, 'Voicemail');
    const card = page.getByRole('article', { name: /^Message from A caller/ });
    await card.getByRole('button', { name: /^Listen to the message/ }).click();
    await expect.poll(() => page.evaluate<number>(INKED), { timeout: 10_000 }).toBeGreaterThan(50);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-voicemail');
    await page.getByRole('tab', { name: 'Greetings' }).click();
    await greeting(page, 'When you are busy').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('textbox', { name: 'PIN', exact: true }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(page, 'phone-en-voicemail-settings');
  });
});
