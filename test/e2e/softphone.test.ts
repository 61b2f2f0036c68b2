/**
 * The browser softphone end to end, as issue 5 asks: two users sign in in their
 * own Chromium contexts (fake microphones playing a beep), both softphones
 * register over the PBX's WebSocket, one calls the other, the second answers,
 * audio flows both ways through the PBX (WebRTC gateway + relay: measured by the
 * received RTP and audio energy each browser reports), hold and resume, hang up,
 * and the call shows in the caller's history; the callee transfers a call to a
 * third softphone (blind REFER) and the caller and the target then talk.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserTests,
  ensureWebBuilt,
  launchBrowser,
  type PortalNode,
  screenshot,
  startPortalNode,
} from '../helpers/browser.js';

interface AudioStats {
  packetsReceived: number;
  packetsSent: number;
  totalAudioEnergy: number;
}

const PASSWORD = 'softphone-user-pw-1';

describe.runIf(browserTests)('browser softphone in Chromium', { timeout: 120_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;

  async function api(path: string, init: { method?: string; body?: unknown; cookie: string }) {
    const res = await fetch(`${portal.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { cookie: init.cookie, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : ((await res.json()) as Record<string, unknown>);
  }

  /** A user of the demo tenant who owns extension `number`. */
  async function userWith(number: string, email: string, cookie: string): Promise<void> {
    const t = portal.tenantId;
    const created = (await api(`/api/v1/tenants/${t}/users`, {
      method: 'POST',
      cookie,
      body: { email, displayName: `User ${number}`, role: 'user', password: PASSWORD, language: 'en' },
    })) as { user: { id: string } };
    const list = (await api(`/api/v1/tenants/${t}/extensions?q=${number}`, { cookie })) as {
      items: { id: string; number: string }[];
    };
    const ext = list.items.find((e) => e.number === number)!;
    await api(`/api/v1/tenants/${t}/extensions/${ext.id}`, {
      method: 'PATCH',
      cookie,
      body: { userId: created.user.id },
    });
  }

  beforeAll(async () => {
    await ensureWebBuilt();
    [portal, browser] = await Promise.all([startPortalNode(), launchBrowser()]);
    const login = await fetch(`${portal.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(portal.admin),
    });
    const cookie = `nimbus_session=${/nimbus_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1]}`;
    await userWith('102', 'anna@demo.test', cookie);
    await userWith('103', 'boris@demo.test', cookie);
    await userWith('104', 'vera@demo.test', cookie);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  /** Signs `email` in through the form in a context of its own; lands on the phone. */
  async function phoneOf(email: string): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    await page.goto(portal.url);
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Phone' }).waitFor();
    return page;
  }

  const stats = (page: Page) =>
    page.evaluate<AudioStats | null>(
      'window.nimbusSoftphone ? window.nimbusSoftphone.audioStats() : Promise.resolve(null)',
    );

  /** Waits until this browser has received `packets` more RTP packets carrying sound. */
  async function hearing(page: Page, packets: number): Promise<AudioStats> {
    const start = (await stats(page)) ?? { packetsReceived: 0, packetsSent: 0, totalAudioEnergy: 0 };
    const deadline = Date.now() + 15_000;
    for (;;) {
      const now = await stats(page);
      if (
        now &&
        now.packetsReceived >= start.packetsReceived + packets &&
        now.totalAudioEnergy > start.totalAudioEnergy
      )
        return now;
      if (Date.now() > deadline) throw new Error(`no audio: ${JSON.stringify({ start, now })}`);
      await page.waitForTimeout(250);
    }
  }

  it('registers two softphones, calls, answers, carries audio both ways, holds, hangs up, logs the call', async () => {
    const anna = await phoneOf('anna@demo.test');
    const boris = await phoneOf('boris@demo.test');
    await anna.getByText('Ready — extension 102').waitFor();
    await boris.getByText('Ready — extension 103').waitFor();
    // The PBX sees both browsers registered over WebSocket.
    const live = portal.node.sip.live.snapshot(portal.tenantId).registrations;
    expect(
      live.filter((r) => ['102', '103'].includes(r.extension)).map((r) => r.devices[0]?.transport),
    ).toEqual(['WS', 'WS']);

    await anna.getByRole('textbox', { name: 'Number to call' }).fill('103');
    await anna.getByRole('button', { name: 'Call', exact: true }).click();
    await boris.getByTestId('call-status').filter({ hasText: 'Incoming call' }).waitFor();
    await expect(boris.getByTestId('call-panel').textContent()).resolves.toContain('102');
    await screenshot(boris, 'softphone-incoming');
    await boris.getByRole('button', { name: 'Answer' }).click();
    await anna.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();
    await boris.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();

    // Each fake microphone beeps; each browser must hear the other through the PBX.
    const annaHears = await hearing(anna, 50);
    const borisHears = await hearing(boris, 50);
    // Each side sent about as much as it heard (50 packets is a second of audio).
    // Each also sends: counted a moment after the received packets the check above waited for.
    for (const [page, heard] of [
      [anna, annaHears],
      [boris, borisHears],
    ] as const) {
      expect(heard.packetsSent).toBeGreaterThan(0);
      await expect
        .poll(async () => (await stats(page))?.packetsSent ?? 0, { timeout: 5000 })
        .toBeGreaterThanOrEqual(50);
    }
    await screenshot(anna, 'softphone-in-call');

    // Hold: the PBX answers Anna's re-INVITE itself; Boris keeps a stream (music on hold).
    await anna.getByRole('button', { name: 'Hold', exact: true }).click();
    await anna.getByTestId('call-status').filter({ hasText: 'On hold' }).waitFor();
    await hearing(boris, 25);
    await anna.getByRole('button', { name: 'Resume', exact: true }).click();
    await anna.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();
    await hearing(anna, 25);

    await anna.getByRole('button', { name: 'Hang up' }).click();
    await boris.getByTestId('call-status').filter({ hasText: 'Call ended' }).waitFor();

    await anna.getByRole('link', { name: 'Call history' }).click();
    await anna.getByRole('heading', { name: 'Call history' }).waitFor();
    // Caller 102, callee 103, answered: one row of the history table.
    const row = anna.getByRole('row').filter({ hasText: '102' }).filter({ hasText: '103' }).first();
    await row.waitFor();
    expect(await row.textContent()).toMatch(/answered|ended/);
    await screenshot(anna, 'softphone-history');
    // The history as a CSV file: the call is in it, with its talk time.
    const [download] = await Promise.all([
      anna.waitForEvent('download'),
      anna.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^calls-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFFstarted_at,')).toBe(true);
    expect(csv).toMatch(/,internal,102,[^,]*,103,ended,normal,/);
    await anna.context().close();
    await boris.context().close();
  });

  it('transfers a call from the softphone (blind REFER): the caller and the target talk, the transferor is let go', async () => {
    const anna = await phoneOf('anna@demo.test');
    const boris = await phoneOf('boris@demo.test');
    const vera = await phoneOf('vera@demo.test');
    await vera.getByText('Ready — extension 104').waitFor();
    await boris.getByText('Ready — extension 103').waitFor();
    await anna.getByText('Ready — extension 102').waitFor();
    await anna.getByRole('textbox', { name: 'Number to call' }).fill('103');
    await anna.getByRole('button', { name: 'Call', exact: true }).click();
    await boris.getByRole('button', { name: 'Answer' }).click();
    await boris.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();

    await boris.getByRole('button', { name: 'Transfer', exact: true }).click();
    await boris.getByRole('textbox', { name: 'Transfer to number' }).fill('104');
    await screenshot(boris, 'softphone-transfer');
    await boris.getByRole('button', { name: 'Transfer now' }).click();
    // The target's browser was offered no SDP: it offers in its answer, the PBX answers in the ACK.
    await vera.getByTestId('call-status').filter({ hasText: 'Incoming call' }).waitFor();
    await expect(vera.getByTestId('call-panel').textContent()).resolves.toContain('102');
    await vera.getByRole('button', { name: 'Answer' }).click();
    await boris.getByTestId('call-status').filter({ hasText: 'Call ended' }).waitFor();
    await vera.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();
    await hearing(anna, 50);
    await hearing(vera, 50);
    // The transferor's leg is gone once its BYE is through (on a loaded machine a moment after its page says so).
    await expect
      .poll(() => [...portal.node.sip.calls].map((c) => [c.caller.number, c.callee.number]), {
        timeout: 5000,
      })
      .toEqual([['102', '104']]);
    await vera.getByRole('button', { name: 'Hang up' }).click();
    await anna.getByTestId('call-status').filter({ hasText: 'Call ended' }).waitFor();
    for (const p of [anna, boris, vera]) await p.context().close();
  });
});
