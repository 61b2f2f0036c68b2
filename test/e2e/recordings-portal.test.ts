/**
 * Call recordings in the web portal end to end: Debian's Chromium (playwright-core)
 * against a whole node started in-process, serving web/dist.
 * Recordings are put where the recorder leaves them: the WAV in the node's
 * DiskStorage (<dataDir>/recordings/<tenant>/yyyy/mm/dd/<id>.wav), the row opened
 * and then marked stored through store.recordingLog; their calls through the call log.
 * The admin follows a call's recording link from the call history to the
 * recordings page filtered to that call, where the player's audio element streams
 * the file (HTTP 206 to its Range request) and the waveform is drawn; searches the
 * list by number and by date; changes the tenant's recording settings; sets an
 * extension's and an inbound route's recording choices; deletes a recording and
 * erases a customer's. A user sees only their own extensions' recordings, and
 * cannot delete. Every result is checked through the REST API too. Screenshots in
 * English, Russian and at a phone's width go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

/** Owns extension 102; the portal in English. */
const USER_102 = { email: 'rec102@demo.test', password: 'recordings-pw-102' };

interface Recording {
  id: string;
  callId: string;
  status: string;
  caller: string;
  callee: string;
}
interface Settings {
  announce: boolean;
  mode: 'mixed' | 'stereo';
  retentionDays: number | null;
}

/** Two voices, one per channel (caller left, callee right), swelling and fading: a waveform with a shape. */
function conversation(ms: number): Buffer {
  const rate = 8000;
  const n = Math.round((rate * ms) / 1000);
  const samples = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    const env = Math.abs(Math.sin((Math.PI * 4 * i) / n));
    samples[2 * i] = Math.round(11000 * env * Math.sin((2 * Math.PI * 300 * i) / rate));
    samples[2 * i + 1] = Math.round(9000 * (1 - env) * Math.sin((2 * Math.PI * 440 * i) / rate));
  }
  return encodeWav({ encoding: 'pcm16', sampleRate: rate, channels: 2 }, samples);
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

describe.runIf(browserTests)('call recordings in the web portal', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, goTo, choose } = portalSession(() => ({
    portal,
    browser,
    adminCookie,
  }));
  const ext: Record<string, string> = {};

  /** The file where DiskStorage keeps a recording's audio. */
  const fileOf = (key: string) => join(portal.node.config.dataDir, 'recordings', key);

  /**
   * A finished call with a recording of it, as a call and the recorder leave them:
   * the call's record, the WAV under its key, the row opened and then stored.
   */
  async function recorded(
    caller: string,
    callee: string,
    opts: { ms?: number; agoMs?: number; trigger?: 'policy' | 'onDemand' } = {},
  ): Promise<{ id: string; callId: string; key: string }> {
    const ms = opts.ms ?? 6000;
    const answeredAt = new Date(Date.now() - (opts.agoMs ?? 120_000));
    const log = portal.node.store.callLog;
    const direction = caller.startsWith('+') ? 'inbound' : callee.startsWith('+') ? 'outbound' : 'internal';
    const { id: callId } = log.open(
      {
        tenantId: portal.tenantId,
        sipCallId: `rec-${randomUUID()}`,
        caller,
        callerName: '',
        callee,
        direction,
        node: 'local',
      },
      new Date(answeredAt.getTime() - 4000),
    );
    await log.answered(callId, answeredAt);
    await log.close(callId, new Date(answeredAt.getTime() + ms + 500), {
      cause: 'normal',
      sipStatus: 200,
      hangupBy: 'caller',
      legs: [],
      direction,
      trunk: null,
      cost: null,
    });
    await log.drain();

    const id = randomUUID();
    const startedAt = new Date(answeredAt.getTime() + 200);
    const day = startedAt.toISOString().slice(0, 10).replaceAll('-', '/');
    const key = `${portal.tenantId}/${day}/${id}.wav`;
    const wav = conversation(ms);
    await mkdir(dirname(fileOf(key)), { recursive: true });
    await writeFile(fileOf(key), wav);
    const rec = portal.node.store.recordingLog;
    await rec.open({
      id,
      tenantId: portal.tenantId,
      callId,
      node: 'local',
      trigger: opts.trigger ?? 'policy',
      mode: 'stereo',
      storage: 'disk',
      key,
      caller,
      callee,
      parties: [caller, callee].filter((n) => ext[n] !== undefined),
      startedAt,
    });
    await rec.stored(id, {
      endedAt: new Date(startedAt.getTime() + ms),
      durationMs: ms,
      pausedMs: 0,
      bytes: wav.length,
      storage: 'disk',
      key,
    });
    return { id, callId, key };
  }

  const recording = (id: string) => rest<Recording>(`/recordings/${id}`);
  const row = (page: Page, id: string) => page.locator(`tr[data-recording="${id}"]`);

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
    const { body } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    for (const e of body.items) ext[e.number] = e.id;
    const created = await rest<{ user: { id: string } }>('/users', {
      method: 'POST',
      body: { ...USER_102, displayName: 'Rita Recorded', role: 'user', language: 'en' },
    });
    expect(created.status).toBe(201);
    const owned = await rest(`/extensions/${ext['102']}`, {
      method: 'PATCH',
      body: { userId: created.body.user.id },
    });
    expect(owned.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('from the call history to the call’s recording: it streams with Range and seeks on its waveform', async (t) => {
    const { id, callId } = await recorded('+74951112233', '101', { ms: 6000 });
    await recorded('103', '104', { agoMs: 600_000, trigger: 'onDemand' });
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    const audio: { status: number; range: string | undefined }[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.endsWith(`/recordings/${id}/audio`))
        audio.push({ status: r.status(), range: r.request().headers().range });
    });
    await page.goto('/calls');
    await settled(page, 'Call history');
    // Only the call that has a recording links to it.
    const call = page.locator('tr[data-caller="+74951112233"]');
    const link = call.getByRole('link', { name: 'Listen to the recording of this call' });
    await link.waitFor();
    expect(await page.getByTestId('call-recording').count()).toBe(2);
    await screenshot(page, 'en-calls-recording-link');
    await link.click();
    await settled(page, 'Call recordings');
    expect(new URL(page.url()).searchParams.get('callId')).toBe(callId);
    await page.getByText('Showing the recordings of one call.').waitFor();
    expect(await page.locator('tr[data-recording]').count()).toBe(1);
    const r = row(page, id);
    expect(await r.getByText('+74951112233', { exact: true }).count()).toBe(1);
    expect(await r.getByText('0:06', { exact: true }).count()).toBe(1);
    expect(await r.getByText('Policy', { exact: true }).count()).toBe(1);

    // The player is open: the audio element has the recording as its source, fetched by Range (206).
    const src = await page.getByRole('main').locator('audio').getAttribute('src');
    expect(src).toBe(`/api/v1/tenants/${portal.tenantId}/recordings/${id}/audio`);
    await expect.poll(() => page.evaluate<number>(INKED), { timeout: 10_000 }).toBeGreaterThan(100);
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect
      .poll(() => audio.some((a) => a.status === 206 && a.range?.startsWith('bytes=')), { timeout: 10_000 })
      .toBe(true);
    await expect
      .poll(() => page.evaluate<number>("document.querySelector('main audio').duration"), { timeout: 10_000 })
      .toBeCloseTo(6, 0);
    // Pause, then a click at half of the waveform seeks there.
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    if (await pause.count()) await pause.click();
    await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
    const slider = page.getByRole('slider', { name: 'Position in the recording' });
    const frame = (await slider.boundingBox())!;
    await slider.click({ position: { x: frame.width * 0.5, y: frame.height / 2 } });
    await expect.poll(async () => Number(await slider.getAttribute('aria-valuenow'))).toBe(3);
    await screenshot(page, 'en-recordings-player');

    // Download: the same audio as an attachment.
    const download = await fetch(`${portal.url}${src}?download=true`, {
      headers: { cookie: `nimbus_session=${adminCookie}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/attachment/);
    expect(
      await row(page, id)
        .getByRole('link', { name: 'Download the call +74951112233 → 101' })
        .getAttribute('href'),
    ).toBe(`${src}?download=true`);

    // Every recording again.
    await page.getByRole('button', { name: 'Show all recordings' }).click();
    await expect.poll(() => page.locator('tr[data-recording]').count()).toBe(2);
    expect(await page.getByText('On demand (*1)', { exact: true }).count()).toBe(1);
  });

  it('the list is searched by number and narrowed to days', async (t) => {
    const old = await recorded('+78005550000', '105', { agoMs: 3 * 86_400_000 });
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/recordings');
    await settled(page, 'Call recordings');
    await row(page, old.id).waitFor();
    const all = await page.locator('tr[data-recording]').count();
    expect(all).toBeGreaterThanOrEqual(3);

    await page.getByRole('searchbox', { name: 'Number' }).fill('555');
    await expect.poll(() => page.locator('tr[data-recording]').count()).toBe(1);
    await row(page, old.id).waitFor();
    await page.getByRole('searchbox', { name: 'Number' }).fill('');
    await expect.poll(() => page.locator('tr[data-recording]').count()).toBe(all);

    // Today only: the one of three days ago is left out; up to three days ago: only it.
    const ymd = (d: Date) =>
      `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const today = ymd(new Date());
    const then = ymd(new Date(Date.now() - 3 * 86_400_000));
    await page.getByLabel('From', { exact: true }).fill(today);
    await expect.poll(() => page.locator('tr[data-recording]').count()).toBe(all - 1);
    expect(await row(page, old.id).count()).toBe(0);
    await page.getByLabel('From', { exact: true }).fill(then);
    await page.getByLabel('To', { exact: true }).fill(then);
    await expect.poll(() => page.locator('tr[data-recording]').count()).toBe(1);
    await row(page, old.id).waitFor();
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await expect.poll(() => page.locator('tr[data-recording]').count()).toBe(all);
  });

  it('gives a link that plays the recording without signing in', async (t) => {
    const { id } = await recorded('+74957778899', '102', { ms: 2000 });
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/recordings');
    await settled(page, 'Call recordings');
    await row(page, id)
      .getByRole('button', { name: 'A link to the call +74957778899 → 102 that plays without signing in' })
      .click();
    const field = page.getByTestId('recording-link');
    await expect.poll(() => field.inputValue()).toMatch(/\/api\/v1\/recording-links\//);
    await page.getByText(/^Works until /).waitFor();
    // The link names the node's public address; its path plays here with no cookie at all.
    const path = new URL(await field.inputValue()).pathname;
    const res = await fetch(`${portal.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
  });

  it('an admin changes the recording settings', async (t) => {
    expect((await rest<Settings>('/recording-settings')).body).toEqual({
      announce: true,
      mode: 'stereo',
      retentionDays: 90,
    });
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 1100 } });
    await page.goto('/recordings');
    await settled(page, 'Call recordings');
    const card = page.getByRole('region', { name: 'Recording settings' });
    await card.getByRole('switch', { name: 'Announce recordings' }).click({ force: true });
    await card.getByRole('radio', { name: 'Mono: both voices mixed' }).check();
    const days = card.getByRole('textbox', { name: 'Days' });
    await days.fill('30');
    await card.getByRole('button', { name: 'Save', exact: true }).click();
    await card.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await rest<Settings>('/recording-settings')).body).toEqual({
      announce: false,
      mode: 'mixed',
      retentionDays: 30,
    });
    await card.getByRole('radio', { name: 'Until deleted' }).check();
    expect(await days.count()).toBe(0);
    await card.getByRole('button', { name: 'Save', exact: true }).click();
    await card.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await rest<Settings>('/recording-settings')).body.retentionDays).toBeNull();
    await screenshot(page, 'en-recordings-settings');

    // Reopened: the form shows what was saved.
    await page.reload();
    await settled(page, 'Call recordings');
    expect(await card.getByRole('switch', { name: 'Announce recordings' }).isChecked()).toBe(false);
    expect(await card.getByRole('radio', { name: 'Until deleted' }).isChecked()).toBe(true);
    expect(await card.getByRole('radio', { name: 'Mono: both voices mixed' }).isChecked()).toBe(true);
  });

  it('an admin sets who is recorded: an extension’s choices and an inbound route’s', async (t) => {
    const before = await rest<{ recording: Record<string, string> }>(`/extensions/${ext['102']}`);
    expect(before.body.recording).toEqual({
      inboundExternal: 'onDemand',
      inboundInternal: 'onDemand',
      outboundExternal: 'onDemand',
      outboundInternal: 'onDemand',
    });
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 1000 } });
    await page.goto('/extensions');
    await settled(page, 'Extensions');
    await page.getByRole('button', { name: 'Edit 102', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Extension 102' });
    const section = dialog.getByRole('group', { name: 'Call recording' });
    await section.getByText(/\*1 starts recording/).waitFor();
    await choose(page, section, 'Calls from outside', 'Always');
    await choose(page, section, 'Calls to colleagues', 'Never');
    await screenshot(page, 'en-extension-recording');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    const after = await rest<{ recording: Record<string, string> }>(`/extensions/${ext['102']}`);
    expect(after.body.recording).toEqual({
      inboundExternal: 'always',
      inboundInternal: 'onDemand',
      outboundExternal: 'onDemand',
      outboundInternal: 'never',
    });
    // Opened again, the editor shows the saved choices.
    await page.getByRole('button', { name: 'Edit 102', exact: true }).click();
    const again = page.getByRole('dialog', { name: 'Extension 102' });
    expect(await again.getByRole('combobox', { name: 'Calls from outside' }).inputValue()).toBe('Always');
    expect(await again.getByRole('combobox', { name: 'Calls to colleagues' }).inputValue()).toBe('Never');
    await page.keyboard.press('Escape');

    // An inbound route records every call that comes its way; "extensions decide" again leaves it out.
    const created = await rest<{ id: string }>('/inbound-routes', {
      method: 'POST',
      body: {
        name: 'Main line',
        number: '+74950001122',
        destination: { kind: 'extension', id: ext['101'] },
        callerRules: [],
      },
    });
    expect(created.status).toBe(201);
    await page.goto('/inbound-routes');
    await settled(page, 'Inbound routes');
    await page.getByRole('button', { name: 'Edit +74950001122', exact: true }).click();
    const form = page.getByRole('dialog');
    await choose(page, form, 'Record calls', 'Always');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await form.waitFor({ state: 'detached' });
    await expect
      .poll(
        async () => (await rest<{ recording?: string }>(`/inbound-routes/${created.body.id}`)).body.recording,
      )
      .toBe('always');
  });

  it('an admin deletes a recording after asking, and erases a customer’s recordings', async (t) => {
    const doomed = await recorded('+74957778899', '103');
    const customer = [await recorded('+79990001234', '101'), await recorded('104', '+79990001234')];
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/recordings');
    await settled(page, 'Call recordings');
    await row(page, doomed.id).getByRole('button', { name: 'Delete the call +74957778899 → 103' }).click();
    const dialog = page.getByRole('dialog', { name: /^Delete the recording of \+74957778899 → 103/ });
    await dialog.getByText('Its audio is deleted for good.', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(page, doomed.id).waitFor({ state: 'detached' });
    expect((await recording(doomed.id)).status).toBe(404);
    expect(existsSync(fileOf(doomed.key))).toBe(false);

    await page.getByRole('button', { name: 'Erase a customer’s recordings' }).click();
    const erase = page.getByRole('dialog', { name: 'Erase every recording of a customer' });
    const number = erase.getByRole('textbox', { name: 'Customer’s number' });
    await number.fill('not a number');
    await erase.getByRole('button', { name: 'Erase the recordings' }).click();
    await erase.getByText('Digits, optionally with a leading +').waitFor();
    await number.fill('+7 999 000-12-34');
    await erase.getByRole('button', { name: 'Erase the recordings' }).click();
    await erase.getByRole('status').filter({ hasText: 'Recordings deleted: 2.' }).waitFor();
    await screenshot(page, 'en-recordings-erase');
    for (const c of customer) {
      expect((await recording(c.id)).status).toBe(404);
      expect(existsSync(fileOf(c.key))).toBe(false);
    }
    await erase.getByRole('button', { name: 'Close', exact: true }).last().click();
    await erase.waitFor({ state: 'detached' });
    for (const c of customer) expect(await row(page, c.id).count()).toBe(0);
  });

  it('a user hears only their own extensions’ recordings and deletes none', async (t) => {
    const mine = await recorded('+74953334455', '102');
    const other = await recorded('+74953334466', '105');
    const { page } = await open(t, { as: USER_102, viewport: { width: 1280, height: 900 } });
    await page.goto('/profile');
    await settled(page, 'My settings');
    await goTo(page, 'Call recordings');
    await row(page, mine.id).waitFor();
    expect(await row(page, other.id).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Erase a customer’s recordings' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Recording settings' }).count()).toBe(0);
    await row(page, mine.id).getByRole('button', { name: 'Listen to the call +74953334455 → 102' }).click();
    await expect.poll(() => page.evaluate<number>(INKED), { timeout: 10_000 }).toBeGreaterThan(100);
    expect(await page.getByRole('main').getByRole('alert').count()).toBe(0);
  });

  it('renders in Russian and fits a phone’s screen', async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    await page.goto('/recordings');
    await settled(page, 'Записи разговоров');
    await page.getByRole('region', { name: 'Настройки записи' }).waitFor();
    await page.getByRole('button', { name: 'Удалить записи клиента' }).waitFor();
    await screenshot(page, 'ru-recordings');

    const { page: phone } = await open(t, {
      as: USER_102,
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    await phone.goto('/recordings');
    await settled(phone, 'Call recordings');
    // Cards rather than a table, the player as wide as the screen.
    const card = phone.getByRole('article', { name: '+74953334455 → 102' });
    await card.getByRole('button', { name: 'Listen to the call +74953334455 → 102' }).click();
    await expect.poll(() => phone.evaluate<number>(INKED), { timeout: 10_000 }).toBeGreaterThan(50);
    expect(await phone.locator('tr[data-recording]').count()).toBe(0);
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(phone, 'phone-en-recordings');
  });
});
