/**
 * Webhooks and click-to-call in the web portal end to end: Debian's Chromium
 * (playwright-core) against a whole node started in-process (webhooks may reach
 * loopback here: NIMBUS_WEBHOOK_ALLOW_PRIVATE=true), serving web/dist, with an
 * HTTP receiver of the test's own on loopback.
 * A tenant admin adds a webhook for two event types — no event, then an ftp://
 * URL, show their errors at the field first — reveals and copies its secret, and
 * sends a test: the receiver gets the ping, signed with that secret, and the
 * delivery log (a drawer) shows it delivered with its body. A ping the receiver
 * refuses stays pending with its HTTP status and next try (the status filter shows
 * it alone); sent again from the log, it arrives with the same event id. The
 * secret is rotated after a question (the next ping is signed with the new one),
 * the webhook switched off and on, and another one deleted after a question.
 * In the call history the admin calls the other party back from extension 101,
 * which the portal's own softphone registers: an outside number with no outbound
 * route is refused (the server's answer as a notification); another extension is
 * accepted and the softphone rings (declined); with a second extension (102, no
 * phone) the admin picks which one rings, and the 409 shows as a notification; a
 * supervisor with no extension gets no button. Every result is checked through the REST API
 * too; the pages are checked in Russian. Screenshots go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserTests,
  ensureWebBuilt,
  launchBrowser,
  type PortalNode,
  screenshot,
  startPortalNode,
} from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

const SUPERVISOR = { email: 'supervisor@webhooks.test', password: 'webhooks-super-pw-1' };

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  secret: string;
}
interface Delivery {
  id: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  nextAttemptAt: string | null;
  payload: { id: string; type: string; data: unknown };
}
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * A webhook receiver: answers 200, except that `failNext` deliveries (by their
 * X-Nimbus-Delivery) are refused with 500 on every try, so a retry of one never
 * gets through while a replay (a new delivery) does.
 */
async function startReceiver() {
  const got: Received[] = [];
  const refused = new Set<string>();
  const state = { failNext: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery = String(req.headers['x-nimbus-delivery'] ?? '');
      if (state.failNext > 0 && !refused.has(delivery)) {
        state.failNext--;
        refused.add(delivery);
      }
      const answered = refused.has(delivery) ? 500 : 200;
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/nimbus-hook`, got, state };
}

/** Whether a request the receiver got is signed with `secret` as docs/webhooks.md says. */
function signedWith(r: Received, secret: string): boolean {
  const ts = String(r.headers['x-nimbus-timestamp']);
  const expected = `v1=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
  return r.headers['x-nimbus-signature'] === expected;
}

describe.runIf(browserTests)('webhooks and click-to-call in the web portal', { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const { signInCookie, rest, open, settled, goTo } = portalSession(() => ({ portal, browser, adminCookie }));

  const webhooks = async () => (await rest<{ items: Webhook[] }>('/webhooks')).body.items;
  const deliveries = async (id: string) =>
    (await rest<{ items: Delivery[] }>(`/webhooks/${id}/deliveries?limit=100`)).body.items;

  /** The error text an input points at with aria-describedby. */
  async function errorOf(scope: Locator, input: Locator): Promise<string | null> {
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    const id = (await input.getAttribute('aria-describedby'))?.split(' ').find((i) => i.includes('error'));
    return id ? scope.locator(`[id="${id}"]`).textContent() : null;
  }

  beforeAll(async () => {
    const [node, chromium, hook] = await Promise.allSettled([
      ensureWebBuilt().then(() => startPortalNode({ env: { NIMBUS_WEBHOOK_ALLOW_PRIVATE: 'true' } })),
      launchBrowser(),
      startReceiver(),
    ]);
    if (node.status === 'fulfilled') portal = node.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    if (hook.status === 'fulfilled') receiver = hook.value;
    for (const r of [node, chromium, hook]) if (r.status === 'rejected') throw r.reason;
    adminCookie = await signInCookie(portal.admin);
    const supervisor = await rest('/users', {
      method: 'POST',
      body: { ...SUPERVISOR, displayName: 'Sofia Supervisor', role: 'supervisor', language: 'en' },
    });
    expect(supervisor.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    await new Promise((r) => receiver?.server.close(r));
  });

  // First, while no other page of the admin's has registered 101 (the PBX rings one browser of an
  // extension, and a closed page's registration lingers until it expires).
  it('click-to-call from the call history: refusals as notifications, the portal’s own phone rings, a choice of extension', async (t) => {
    // Calls in the history: from outside and from 103 to 101 (the admin's), and between two others.
    const log = portal.node.store.callLog;
    const record = async (caller: string, callee: string) => {
      const at = Date.now() - 120_000;
      const direction = caller.startsWith('+') ? 'inbound' : 'internal';
      const { id } = log.open(
        {
          tenantId: portal.tenantId,
          sipCallId: `c2c-${caller}-${callee}`,
          caller,
          callerName: '',
          callee,
          direction,
          node: 'local',
        },
        new Date(at),
      );
      await log.answered(id, new Date(at + 2000));
      await log.close(id, new Date(at + 32_000), {
        cause: 'normal',
        sipStatus: 200,
        hangupBy: 'caller',
        legs: [],
        direction,
        trunk: null,
        cost: null,
      });
    };
    await record('+74951234567', '101');
    await record('103', '101');
    await record('104', '105');
    await log.drain();
    const row = (page: Page, caller: string) => page.locator(`tr[data-caller="${caller}"]`);

    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/calls');
    await settled(page, 'Call history');
    // The portal's softphone registers the admin's extension 101 (over WebSocket).
    await expect
      .poll(
        () =>
          portal.node.sip.live
            .snapshot(portal.tenantId)
            .registrations.some((r) => r.extension === '101' && r.devices.length > 0),
        { timeout: 15_000 },
      )
      .toBe(true);
    const outside = row(page, '+74951234567').getByRole('button', { name: 'Call back +74951234567' });
    // Between two others: the caller is called back.
    expect(await row(page, '104').getByRole('button', { name: 'Call back 104' }).count()).toBe(1);

    const clickToCall = (r: { url(): string; method(): string }) =>
      r.url().endsWith('/calls/click-to-call') && r.method() === 'POST';
    const notices = page.getByRole('region', { name: 'Call-back notices' });
    // The outside number: the tenant has no outbound route, and the server's refusal shows.
    let request = page.waitForRequest(clickToCall);
    await outside.click();
    expect((await request).postDataJSON()).toEqual({ from: '101', to: '+74951234567' });
    expect((await (await request).response())?.status()).toBe(404);
    const noRoute = notices.getByRole('alert').filter({ hasText: 'Could not call +74951234567' });
    await noRoute.waitFor();
    expect(await noRoute.textContent()).toContain('No Route');
    await noRoute.getByRole('button', { name: 'Close' }).click();
    await noRoute.waitFor({ state: 'detached' });

    // 103: accepted; the admin's own phone (the portal's softphone) rings, and is declined.
    request = page.waitForRequest(clickToCall);
    await row(page, '103').getByRole('button', { name: 'Call back 103' }).click();
    expect((await request).postDataJSON()).toEqual({ from: '101', to: '103' });
    expect((await (await request).response())?.status()).toBe(202);
    const calling = notices.getByRole('status').filter({ hasText: 'Calling' });
    await calling.waitFor();
    expect(await calling.textContent()).toContain('Your phone 101 is ringing: answer it, and 103 is called.');
    const ringing = page.getByRole('alertdialog', { name: 'Incoming call' });
    await ringing.waitFor();
    await screenshot(page, 'en-click-to-call-ringing');
    await ringing.getByRole('button', { name: 'Decline' }).click();
    await ringing.waitFor({ state: 'detached' });

    // With a second extension the admin picks which one rings; 102 has no phone: 409, shown.
    const me = await fetch(`${portal.url}/api/v1/auth/me`, {
      headers: { cookie: `nimbus_session=${adminCookie}` },
    });
    const adminId = ((await me.json()) as { user: { id: string } }).user.id;
    const { body: exts } = await rest<{ items: { id: string; number: string }[] }>('/extensions?limit=200');
    const ext102 = exts.items.find((e) => e.number === '102')!;
    const owned = await rest(`/extensions/${ext102.id}`, { method: 'PATCH', body: { userId: adminId } });
    expect(owned.status).toBe(200);
    await page.reload();
    await settled(page, 'Call history');
    await outside.click();
    const menu = page.getByRole('menu');
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual([
      'Extension 101 Reception',
      'Extension 102 Sales',
    ]);
    await screenshot(page, 'en-click-to-call-choice');
    request = page.waitForRequest(clickToCall);
    await menu.getByRole('menuitem', { name: /^Extension 102/ }).click();
    expect((await request).postDataJSON()).toEqual({ from: '102', to: '+74951234567' });
    expect((await (await request).response())?.status()).toBe(409);
    const refusal = notices.getByRole('alert').filter({ hasText: 'Could not call +74951234567' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Extension 102 has no registered phone');
    await screenshot(page, 'en-click-to-call-refused');

    // A supervisor with no extension of their own gets no button.
    const supervisor = await open(t, { as: SUPERVISOR });
    await supervisor.page.goto('/calls');
    await settled(supervisor.page, 'Call history');
    await row(supervisor.page, '+74951234567').waitFor();
    expect(await supervisor.page.getByRole('button', { name: /^Call back/ }).count()).toBe(0);
  });

  it('an admin adds a webhook, sends a test that arrives signed, follows the log, sends a delivery again and rotates the secret', async (t) => {
    const { context, page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portal.url });
    await page.goto('/api-keys');
    await settled(page, 'API keys');
    await goTo(page, 'Webhooks');
    await page.getByText('No webhooks yet.').waitFor();
    await page.getByText('X-Nimbus-Signature: v1=hex(HMAC-SHA256(secret, timestamp + "." + body))').waitFor();

    await page.getByRole('button', { name: 'New webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    const url = dialog.getByRole('textbox', { name: 'URL' });
    await url.fill('ftp://x');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('CRM');
    // No event chosen: said under the events, nothing sent.
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.getByText('Choose at least one event').waitFor();
    expect(await webhooks()).toEqual([]);
    // Every event type has its line of help.
    expect(await dialog.getByRole('checkbox').count()).toBe(14);
    expect(await dialog.getByText('A call ends (its record is ready)').count()).toBe(1);
    await dialog.getByRole('checkbox', { name: 'call.ended' }).check();
    await dialog.getByRole('checkbox', { name: 'call.started' }).check();
    await dialog.getByText('2 of 14 chosen').waitFor();
    // ftp:// is refused by the server, at the URL.
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    expect(await errorOf(dialog, url)).toBe('Only http and https URLs');
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'en-webhook-error');
    await url.fill(receiver.url);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    const card = page.getByRole('region', { name: receiver.url });
    await card.waitFor();
    expect(await card.locator('[data-event]').allTextContents()).toEqual(['call.started', 'call.ended']);
    expect(await card.getByTestId('webhook-description').textContent()).toBe('CRM');
    expect(await card.getByRole('switch', { name: `Enabled: ${receiver.url}` }).isChecked()).toBe(true);
    const [hook] = await webhooks();
    expect(hook).toMatchObject({
      url: receiver.url,
      events: ['call.started', 'call.ended'],
      description: 'CRM',
      enabled: true,
      secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/),
    });

    // The secret: masked, shown on demand, copied.
    const secret = card.getByTestId('webhook-secret');
    expect(await secret.textContent()).not.toContain(hook!.secret.slice(6));
    await card.getByRole('button', { name: `Show the secret of ${receiver.url}` }).click();
    expect(await secret.textContent()).toBe(hook!.secret);
    await card.getByRole('button', { name: `Copy the secret of ${receiver.url}` }).click();
    await card.getByText('Copied', { exact: true }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(hook!.secret);
    await screenshot(page, 'en-webhooks');

    // A test: the ping arrives signed with that secret, and the log shows it delivered.
    await card.getByRole('button', { name: `Send a test to ${receiver.url}` }).click();
    const drawer = page.getByRole('dialog', { name: `Deliveries to ${receiver.url}` });
    await drawer.waitFor();
    const rows = drawer.locator('tr[data-delivery]');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => rows.first().getAttribute('data-status'), { timeout: 15_000 }).toBe('delivered');
    const first = rows.first();
    expect(await first.getAttribute('data-event')).toBe('ping');
    expect(await first.getByTestId('delivery-status').textContent()).toBe('Delivered');
    expect(await first.getByTestId('delivery-attempts').textContent()).toBe('1');
    expect(await first.getByTestId('delivery-answer').textContent()).toBe('HTTP 200');
    expect(await first.getByTestId('delivery-next').textContent()).toBe('—');
    expect(receiver.got).toHaveLength(1);
    const ping = receiver.got[0]!;
    expect(ping.headers['x-nimbus-event']).toBe('ping');
    expect(signedWith(ping, hook!.secret)).toBe(true);
    // Its body, as sent.
    await first.getByRole('button', { name: /^Body of the ping delivery of / }).click();
    const body = JSON.parse((await drawer.getByTestId('delivery-body').textContent()) ?? '');
    expect(body).toEqual(JSON.parse(ping.body));
    expect(body).toMatchObject({ type: 'ping', tenantId: portal.tenantId });
    await screenshot(page, 'en-webhook-log');

    // A ping the receiver refuses: pending, with its answer and the next try.
    receiver.state.failNext = 1;
    await drawer.getByRole('button', { name: `Send a test to ${receiver.url}` }).click();
    await expect.poll(() => rows.count()).toBe(2);
    const refused = drawer.locator('tr[data-delivery][data-event="ping"]').first();
    await expect
      .poll(() => refused.getByTestId('delivery-answer').textContent(), { timeout: 15_000 })
      .toBe('HTTP 500');
    expect(await refused.getAttribute('data-status')).toBe('pending');
    expect(await refused.getByTestId('delivery-status').textContent()).toBe('Pending');
    expect(await refused.getByTestId('delivery-next').textContent()).not.toBe('—');
    const refusedId = (await refused.getAttribute('data-delivery'))!;
    const pending = (await deliveries(hook!.id)).find((d) => d.id === refusedId)!;
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    expect(pending.nextAttemptAt).not.toBeNull();
    // The filter: the pending one alone; nothing has failed for good.
    const filter = drawer.getByRole('radiogroup', { name: 'Show' });
    await filter.getByText('Pending', { exact: true }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-delivery')).toBe(refusedId);
    await screenshot(page, 'en-webhook-log-pending');
    await filter.getByText('Failed', { exact: true }).click();
    await drawer.getByText('No deliveries with this status.').waitFor();
    await filter.getByText('Pending', { exact: true }).click();
    await expect.poll(() => rows.count()).toBe(1);

    // Sent again: a new delivery of the same event, which gets through.
    const before = receiver.got.length;
    await rows
      .first()
      .getByRole('button', { name: /^Send the ping delivery of .* again$/ })
      .click();
    await filter.getByText('All', { exact: true }).click();
    await expect.poll(() => rows.count()).toBe(3);
    await expect.poll(() => rows.first().getAttribute('data-status'), { timeout: 15_000 }).toBe('delivered');
    const all = await deliveries(hook!.id);
    expect(all[0]).toMatchObject({ status: 'delivered', eventType: 'ping' });
    expect(all[0]!.payload.id).toBe(pending.payload.id);
    expect(all[0]!.id).not.toBe(refusedId);
    const replayed = receiver.got.slice(before).find((r) => r.answered === 200)!;
    expect(JSON.parse(replayed.body).id).toBe(pending.payload.id);
    expect(replayed.headers['x-nimbus-delivery']).toBe(all[0]!.id);
    await drawer.getByRole('button', { name: 'Close' }).click();
    await drawer.waitFor({ state: 'detached' });

    // A new secret after a question: shown at once, and the next ping is signed with it.
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    const rotate = page.getByRole('dialog', { name: `A new secret for ${receiver.url}?` });
    await rotate.getByRole('button', { name: 'Rotate secret' }).click();
    await rotate.waitFor({ state: 'detached' });
    await card.getByRole('status').filter({ hasText: 'The new secret is in use' }).waitFor();
    const [rotated] = await webhooks();
    expect(rotated!.secret).not.toBe(hook!.secret);
    expect(await secret.textContent()).toBe(rotated!.secret);
    await screenshot(page, 'en-webhook-rotated');
    const sent = receiver.got.length;
    await card.getByRole('button', { name: `Send a test to ${receiver.url}` }).click();
    await expect.poll(() => receiver.got.length, { timeout: 15_000 }).toBeGreaterThan(sent);
    const latest = receiver.got.at(-1)!;
    expect(signedWith(latest, rotated!.secret)).toBe(true);
    expect(signedWith(latest, hook!.secret)).toBe(false);
    await page
      .getByRole('dialog', { name: `Deliveries to ${receiver.url}` })
      .getByRole('button', { name: 'Close' })
      .click();

    // Off and on again from the list.
    const enabled = card.getByRole('switch', { name: `Enabled: ${receiver.url}` });
    await enabled.click();
    await expect.poll(async () => (await webhooks())[0]!.enabled).toBe(false);
    expect(await enabled.isChecked()).toBe(false);
    await enabled.click();
    await expect.poll(async () => (await webhooks())[0]!.enabled).toBe(true);

    // Its events changed in the editor.
    await card.getByRole('button', { name: `Edit ${receiver.url}` }).click();
    const edit = page.getByRole('dialog', { name: `Webhook ${receiver.url}` });
    expect(await edit.getByRole('checkbox', { name: 'call.ended' }).isChecked()).toBe(true);
    await edit.getByRole('checkbox', { name: 'call.started' }).uncheck();
    await edit.getByRole('checkbox', { name: 'voicemail.new' }).check();
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await edit.waitFor({ state: 'detached' });
    await expect
      .poll(() => card.locator('[data-event]').allTextContents())
      .toEqual(['call.ended', 'voicemail.new']);
    expect((await webhooks())[0]!.events).toEqual(['call.ended', 'voicemail.new']);

    // Another one, deleted after a question.
    const other = await rest<Webhook>('/webhooks', {
      method: 'POST',
      body: { url: 'https://crm.example.com/hooks/nimbus', events: ['call.ended'] },
    });
    expect(other.status).toBe(201);
    await page.reload();
    await settled(page, 'Webhooks');
    await page.getByRole('button', { name: 'Delete https://crm.example.com/hooks/nimbus' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete https://crm.example.com/hooks/nimbus?' });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.waitFor({ state: 'detached' });
    await page
      .getByRole('region', { name: 'https://crm.example.com/hooks/nimbus' })
      .waitFor({ state: 'detached' });
    expect((await webhooks()).map((w) => w.url)).toEqual([receiver.url]);
  });

  it('the pages in Russian', async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU', viewport: { width: 1280, height: 900 } });
    await page.goto('/webhooks');
    await settled(page, 'Веб-хуки');
    const card = page.getByRole('region', { name: receiver.url });
    await card.getByRole('button', { name: `Показать секрет ${receiver.url}` }).waitFor();
    expect(await card.getByRole('switch', { name: `Включён: ${receiver.url}` }).isChecked()).toBe(true);
    await page.getByText('Как проверить, что запрос пришёл от нас').waitFor();
    await screenshot(page, 'ru-webhooks');
    await card.getByRole('button', { name: `Журнал отправок ${receiver.url}` }).click();
    const drawer = page.getByRole('dialog', { name: `Отправки на ${receiver.url}` });
    const delivered = drawer.locator('tr[data-status="delivered"]').first();
    await delivered.waitFor();
    expect(await delivered.getByTestId('delivery-status').textContent()).toBe('Доставлено');
    await drawer.getByRole('radiogroup', { name: 'Показать' }).getByText('Ожидает', { exact: true }).click();
    await expect
      .poll(() => drawer.locator('tr[data-delivery]').first().getByTestId('delivery-status').textContent())
      .toBe('Ожидает');
    await screenshot(page, 'ru-webhook-log');
    await drawer.getByRole('button', { name: 'Закрыть' }).click();
    await page.getByRole('button', { name: 'Новый веб-хук' }).click();
    const dialog = page.getByRole('dialog', { name: 'Новый веб-хук' });
    await dialog.getByText('Вызов завершён (его запись готова)').waitFor();
    await screenshot(page, 'ru-webhook-new');
    await dialog.getByRole('button', { name: 'Отмена' }).click();

    await page.goto('/calls');
    await settled(page, 'История звонков');
    await page
      .locator('tr[data-caller="+74951234567"]')
      .getByRole('button', { name: 'Перезвонить на +74951234567' })
      .click();
    await page
      .getByRole('menu')
      .getByRole('menuitem', { name: /^Номер 102/ })
      .click();
    const refusal = page
      .getByRole('region', { name: 'Уведомления об обратных звонках' })
      .getByRole('alert')
      .filter({ hasText: 'Не удалось позвонить на +74951234567' });
    await refusal.waitFor();
    await screenshot(page, 'ru-click-to-call');
  });
});
