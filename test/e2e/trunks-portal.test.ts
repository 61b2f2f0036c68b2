/**
 * Trunks, numbers and outbound calling in the web portal end to end: Debian's
 * Chromium (playwright-core) against a whole node started in-process, serving
 * web/dist, and a carrier's registrar on loopback (a few lines of UDP here that
 * answer REGISTER and OPTIONS with 200).
 * An operator adds a registration trunk (a missing password shows at its field
 * first) and sees it register live in the list; adds a block of numbers, gives
 * one to the demo tenant (and gives another and takes it back) in place, and sets
 * the tenant's external-call limits. The tenant's admin creates an outbound route
 * with two patterns and that trunk (a bad pattern shows at its field first), tests
 * numbers against it — one that matches shows the route, the trunk and the number
 * the trunk is sent; one that does not shows "no route"; an international number
 * from an extension of class "national" is refused — and sets an extension's
 * outbound caller ID. The fraud rule blocks an extension while the admin has the
 * portal open: a notification, the blocked list; the admin unblocks it there, and
 * another one (blocked through the API) from the extension's editor; the operator
 * may not delete the trunk the route uses. The operator prices calls by prefix
 * (a prefix priced twice shows at its field, an empty price too), changes, finds
 * and deletes a rate, and caps the tenant's spend a day; the admin watches the
 * day's minutes, spend and calls against the caps, and gets the warning at the
 * cap's share, then the caps reached, as alerts; the call history shows a call's
 * cost. Every result is checked through the REST API too. Screenshots in English
 * and Russian go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { createSocket, type Socket } from 'node:dgram';
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

interface Trunk {
  id: string;
  name: string;
  kind: string;
  host: string;
  port: number | null;
  username: string | null;
  hasPassword: boolean;
  addresses: string[];
  maxChannels: number | null;
  numberFormat: string;
  tenantIds: string[] | null;
  status: { registration: { state: string } | null; health: { state: string }; channels: number } | null;
  [field: string]: unknown;
}
interface PoolNumber {
  id: string;
  number: string;
  tenantId: string | null;
  trunkId: string | null;
}
interface Plan {
  allowed: boolean;
  status: number | null;
  reason: string | null;
  route: { id: string; name: string } | null;
  number: string | null;
  numberClass: string | null;
  trunks: { id: string; name: string; usable: boolean; sends: string }[];
}
interface Rate {
  id: string;
  prefix: string;
  pricePerMinute: number;
  description: string;
}
interface Usage {
  answeredMinutes: number;
  dailyExternalMinutes: number | null;
  spent: number;
  dailySpendCap: number | null;
  spendAlertPercent: number;
  activeCalls: number;
  maxExternalCalls: number;
}
interface Extension {
  id: string;
  number: string;
  outboundCallerId: string | null;
  maxExternalCalls: number | null;
  externalBlocked: string | null;
}

/** A carrier's registrar and OPTIONS responder: every request gets 200 OK (the REGISTER with Expires: 300). */
async function startCarrier(): Promise<{ socket: Socket; port: number; methods: string[] }> {
  const socket = createSocket('udp4');
  const methods: string[] = [];
  socket.on('message', (msg, from) => {
    const [head = ''] = msg.toString('utf8').split('\r\n\r\n');
    const [first = '', ...lines] = head.split('\r\n');
    const method = first.split(' ')[0] ?? '';
    if (method === '' || method.startsWith('SIP/')) return;
    methods.push(method);
    const copied = lines
      .filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq|contact|m)\s*:/i.test(l))
      .map((l) => (/^(to|t)\s*:/i.test(l) && !/;\s*tag=/i.test(l) ? `${l};tag=carrier` : l));
    const reply = [
      'SIP/2.0 200 OK',
      ...copied,
      ...(method === 'REGISTER' ? ['Expires: 300'] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok));
  return { socket, port: socket.address().port, methods };
}

describe.runIf(browserTests)(
  'trunks, numbers and outbound calling in the web portal',
  { timeout: 60_000 },
  () => {
    let portal: PortalNode;
    let browser: Browser;
    let adminCookie = '';
    let operatorCookie = '';
    let carrier: Awaited<ReturnType<typeof startCarrier>>;
    const { signInCookie, rest, open, settled, goTo, choose } = portalSession(() => ({
      portal,
      browser,
      adminCookie,
    }));

    /** The platform's REST API as the operator. */
    async function platform<T>(path: string): Promise<T> {
      const res = await fetch(`${portal.url}/api/v1${path}`, {
        headers: { cookie: `nimbus_session=${operatorCookie}` },
      });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    }

    const trunkNamed = async (name: string) =>
      (await platform<{ items: Trunk[] }>('/platform/trunks?limit=200')).items.find((x) => x.name === name)!;

    async function extension(number: string): Promise<Extension> {
      const { body } = await rest<{ items: Extension[] }>('/extensions?limit=200');
      return body.items.find((e) => e.number === number)!;
    }

    const plan = async (query: string) => (await rest<Plan>(`/outbound-plan?${query}`)).body;

    /** The error text under an input (Mantine points at it with aria-describedby). */
    async function errorOf(scope: Locator, input: Locator): Promise<string | null> {
      const errorId = async () =>
        (await input.getAttribute('aria-describedby'))?.split(' ').find((x) => x.includes('error'));
      await expect.poll(errorId).toBeTruthy();
      const id = await errorId();
      return id ? scope.locator(`[id="${id}"]`).textContent() : null;
    }

    beforeAll(async () => {
      const [node, chromium, registrar] = await Promise.allSettled([
        ensureWebBuilt().then(() => startPortalNode()),
        launchBrowser(),
        startCarrier(),
      ]);
      if (node.status === 'fulfilled') portal = node.value;
      if (chromium.status === 'fulfilled') browser = chromium.value;
      if (registrar.status === 'fulfilled') carrier = registrar.value;
      for (const r of [node, chromium, registrar]) if (r.status === 'rejected') throw r.reason;
      [adminCookie, operatorCookie] = await Promise.all([
        signInCookie(portal.admin),
        signInCookie(portal.operator),
      ]);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await portal?.close();
      carrier?.socket.close();
    });

    it('an operator adds a trunk that registers live, a block of numbers given to the tenant in place, and its limits', async (t) => {
      const { page } = await open(t, { as: portal.operator, viewport: { width: 1280, height: 900 } });
      await page.goto('/tenants');
      await settled(page, 'Tenants');
      await goTo(page, 'Trunks');
      await page.getByText('No trunks yet.').waitFor();

      await page.getByRole('button', { name: 'New trunk' }).click();
      const dialog = page.getByRole('dialog', { name: 'New trunk' });
      await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Carrier One');
      expect(await dialog.getByRole('radio', { name: 'Registration' }).isChecked()).toBe(true);
      await dialog.getByRole('textbox', { name: 'Host' }).fill('127.0.0.1');
      await dialog.getByRole('textbox', { name: 'Port' }).fill(String(carrier.port));
      await dialog.getByRole('textbox', { name: 'User name', exact: true }).fill('nimbus-demo');
      await dialog.getByRole('textbox', { name: 'Channels at most' }).fill('10');
      await choose(page, dialog, 'Numbers are sent as', 'National (84951234567)');
      await dialog.getByRole('textbox', { name: 'Addresses the carrier calls from' }).fill('192.0.2.0/24');
      await dialog.getByRole('radio', { name: 'Only the chosen tenants' }).check();
      await dialog.getByRole('combobox', { name: 'Tenants allowed' }).click();
      await page.getByRole('option', { name: 'Demo Company', exact: true }).click();
      // No password: the server refuses, and says so under the password field.
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      // (PasswordInput's field has no role of its own: textbox is for visible text.)
      const password = dialog.locator('input[type="password"]');
      expect(await errorOf(dialog, password)).toBe('A registration trunk needs a username and a password');
      expect(await dialog.getByRole('alert').count()).toBe(0);
      await screenshot(page, 'en-trunk-error');
      await password.fill('carrier-secret');
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });

      // The list follows the registration as it happens: the carrier answers, the badge turns.
      const row = page.getByRole('row', { name: /Carrier One/ });
      const badges = row.getByTestId('trunk-state').locator('[data-state]');
      await expect.poll(() => badges.first().textContent(), { timeout: 15_000 }).toBe('Registered');
      await expect.poll(() => badges.nth(1).textContent(), { timeout: 15_000 }).toMatch(/^Up · \d+ ms$/);
      expect(await row.getByTestId('trunk-channels').textContent()).toBe('0 of 10');
      expect(await row.textContent()).toContain('Demo Company');
      expect(carrier.methods).toContain('REGISTER');
      const trunk = await trunkNamed('Carrier One');
      expect(trunk).toMatchObject({
        kind: 'register',
        host: '127.0.0.1',
        port: carrier.port,
        username: 'nimbus-demo',
        hasPassword: true,
        addresses: ['192.0.2.0/24'],
        maxChannels: 10,
        numberFormat: 'national',
        tenantIds: [portal.tenantId],
        status: { registration: { state: 'registered' }, health: { state: 'up' }, channels: 0 },
      });
      expect(trunk).not.toHaveProperty('password');
      await screenshot(page, 'en-trunks');

      // A block of five numbers on the trunk; one to the tenant, another given and taken back.
      await goTo(page, 'Numbers', 'Number pool');
      await page.getByText('No numbers in the pool yet.').waitFor();
      await page.getByRole('button', { name: 'Add numbers' }).click();
      const add = page.getByRole('dialog', { name: 'Add numbers' });
      await add.getByRole('textbox', { name: 'Number' }).fill('+74951230000');
      await add.getByRole('textbox', { name: 'How many' }).fill('5');
      await choose(page, add, 'Trunk', 'Carrier One');
      await add.getByRole('button', { name: 'Add numbers' }).click();
      await add.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'Numbers added: 5' }).waitFor();
      const pool = page.getByRole('table', { name: 'Number pool' });
      await expect.poll(() => pool.locator('tbody tr').count()).toBe(5);

      const numberRow = (n: string) => pool.locator(`tr[data-number="${n}"]`);
      await choose(page, pool, 'Tenant of +74951230001', 'Demo Company');
      await numberRow('+74951230001').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      await choose(page, pool, 'Tenant of +74951230002', 'Demo Company');
      await numberRow('+74951230002').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      await choose(page, pool, 'Tenant of +74951230002', 'Not given to anyone');
      await expect
        .poll(
          async () =>
            (await platform<{ items: PoolNumber[] }>('/platform/numbers?unassigned=true')).items.length,
        )
        .toBe(4);
      const given = await platform<{ items: PoolNumber[] }>(`/platform/numbers?tenantId=${portal.tenantId}`);
      expect(given.items).toEqual([
        expect.objectContaining({ number: '+74951230001', tenantId: portal.tenantId, trunkId: trunk.id }),
      ]);
      await page.getByText('Unassigned', { exact: true }).click();
      await expect.poll(() => pool.locator('tbody tr').count()).toBe(4);
      expect(await numberRow('+74951230001').count()).toBe(0);
      await screenshot(page, 'en-number-pool');

      // The tenant's limits on external calls: international allowed, 5 at once, 600 minutes a day.
      await goTo(page, 'Tenants');
      await page.getByRole('button', { name: 'Edit Demo Company' }).click();
      const edit = page.getByRole('dialog', { name: 'Tenant Demo Company' });
      await edit.getByRole('textbox', { name: 'External calls at once' }).fill('5');
      await choose(page, edit, 'Most expensive calls allowed', 'International');
      await edit.getByRole('textbox', { name: 'External minutes a day' }).fill('600');
      await screenshot(page, 'en-tenant-limits');
      await edit.getByRole('button', { name: 'Save', exact: true }).click();
      await edit.waitFor({ state: 'detached' });
      const tenant = await platform<{ limits: Record<string, unknown> }>(`/tenants/${portal.tenantId}`);
      expect(tenant.limits).toMatchObject({
        maxExternalCalls: 5,
        maxCallClass: 'international',
        dailyExternalMinutes: 600,
      });
    });

    it('a tenant admin creates an outbound route, tests numbers against it and sets an extension’s caller ID', async (t) => {
      const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
      await page.goto('/inbound-routes');
      await settled(page, 'Inbound routes');
      await goTo(page, 'Outbound routes');
      await page.getByText('No outbound routes yet.').waitFor();
      await page.getByText('No extension is blocked.').waitFor();

      await page.getByRole('button', { name: 'New outbound route' }).click();
      const dialog = page.getByRole('dialog', { name: 'New outbound route' });
      await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Moscow carrier');
      await dialog.getByRole('textbox', { name: 'Priority' }).fill('10');
      const national = dialog.getByRole('group', { name: 'Pattern 1' });
      await national.getByRole('textbox', { name: 'Pattern' }).fill('_8XXXXXXXXXX');
      await national.getByRole('textbox', { name: 'Strip' }).fill('1');
      await national.getByRole('textbox', { name: 'Prepend' }).fill('+7');
      await dialog.getByRole('button', { name: 'Add a pattern' }).click();
      const abroad = dialog.getByRole('group', { name: 'Pattern 2' });
      const abroadMatch = abroad.getByRole('textbox', { name: 'Pattern' });
      await abroadMatch.fill('_810Q.');
      await abroad.getByRole('textbox', { name: 'Strip' }).fill('3');
      await abroad.getByRole('textbox', { name: 'Prepend' }).fill('+');
      await choose(page, dialog, 'Add a trunk', 'Carrier One');
      const trunkRow = dialog.getByRole('row', { name: 'Trunk 1: Carrier One' });
      await expect.poll(() => trunkRow.locator('[data-state]').textContent()).toBe('Registered');
      await choose(page, dialog, 'Caller ID on these calls', '+74951230001');
      // Q is no pattern letter: the server says so under that pattern.
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      expect(await errorOf(dialog, abroadMatch)).toMatch(/^'Q' at position 5 is not allowed in a pattern/);
      await screenshot(page, 'en-outbound-route-error');
      await abroadMatch.fill('_810X.');
      await dialog.getByRole('button', { name: 'Create', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });

      const row = page.getByRole('row', { name: /Moscow carrier/ });
      await row.waitFor();
      expect(await row.textContent()).toContain('Carrier One');
      const trunk = await trunkNamed('Carrier One');
      const { body: routes } = await rest<{ items: Record<string, unknown>[] }>('/outbound-routes');
      expect(routes.items).toEqual([
        expect.objectContaining({
          name: 'Moscow carrier',
          priority: 10,
          patterns: [
            { match: '_8XXXXXXXXXX', strip: 1, prepend: '+7' },
            { match: '_810X.', strip: 3, prepend: '+' },
          ],
          trunkIds: [trunk.id],
          callerId: '+74951230001',
        }),
      ]);

      // The tester: a national number takes the route and the trunk, which is sent it in national form.
      const tester = page.getByRole('region', { name: 'Pattern tester' });
      const test = async (number: string, expectDialled: string) => {
        await tester.getByRole('textbox', { name: 'Number to dial' }).fill(number);
        await tester.getByRole('button', { name: 'Test', exact: true }).click();
        const figure = tester.getByRole('figure', { name: 'How the call goes' });
        await figure.and(page.locator(`[data-number="${expectDialled}"]`)).waitFor();
        return figure;
      };
      let figure = await test('8 495 123-45-67', '84951234567');
      const local = await plan('number=84951234567');
      expect(local).toMatchObject({
        allowed: true,
        route: { name: 'Moscow carrier' },
        number: '+74951234567',
        numberClass: 'national',
        trunks: [{ name: 'Carrier One', usable: true, sends: '84951234567' }],
      });
      expect(await figure.getByTestId('plan-route').textContent()).toContain('Moscow carrier');
      expect(await figure.getByTestId('plan-trunk').textContent()).toContain('Carrier One');
      expect(await figure.getByTestId('plan-sends').textContent()).toBe('sends 84951234567');
      expect(await figure.getByTestId('plan-class').textContent()).toMatch(
        /Call class: National.*International/,
      );
      await screenshot(page, 'en-pattern-tester');

      // A number no pattern matches.
      figure = await test('5551234', '5551234');
      expect(await figure.getByTestId('plan-refused').textContent()).toContain('No route');
      expect(await plan('number=5551234')).toMatchObject({ allowed: false, status: 404, reason: 'No Route' });

      // An international number: the tenant may call abroad, extension 102 (class national) may not.
      figure = await test('810 49 30 1234567', '81049301234567');
      expect(await figure.getByTestId('plan-sends').textContent()).toBe(
        `sends ${(await plan('number=81049301234567')).trunks[0]!.sends}`,
      );
      await choose(page, tester, 'Dialled from', '102 Sales');
      await tester.getByRole('button', { name: 'Test', exact: true }).click();
      const refused = tester.locator('figure[data-extension="102"]').getByTestId('plan-refused');
      await refused.waitFor();
      expect(await refused.textContent()).toContain('International calls are not allowed');
      expect(await refused.getByTestId('plan-class').textContent()).toBe(
        'Call class: International(allowed up to: National)',
      );
      expect(await plan('number=81049301234567&extension=102')).toMatchObject({
        allowed: false,
        status: 403,
        reason: 'international calls not allowed',
      });
      await screenshot(page, 'en-pattern-tester-refused');

      // Extension 102 shows the tenant's number on its external calls, two at a time at most.
      await goTo(page, 'Extensions');
      await page.getByRole('button', { name: 'Edit 102' }).click();
      const editor = page.getByRole('dialog', { name: 'Extension 102' });
      await editor.getByText('External calls are allowed.').waitFor();
      await choose(page, editor, 'Caller ID on external calls', '+74951230001');
      await editor.getByRole('textbox', { name: 'External calls at once' }).fill('2');
      await screenshot(page, 'en-extension-editor');
      await editor.getByRole('button', { name: 'Save', exact: true }).click();
      await editor.waitFor({ state: 'detached' });
      expect(await extension('102')).toMatchObject({
        outboundCallerId: '+74951230001',
        maxExternalCalls: 2,
        externalBlocked: null,
      });

      // The tenant's numbers: +74951230001 is not routed yet; the link opens a new inbound route for it.
      await goTo(page, 'Phone numbers');
      const numbers = page.getByRole('table', { name: 'Phone numbers' });
      expect(await numbers.locator('tbody tr').count()).toBe(1);
      expect(await numbers.getByRole('row', { name: /\+74951230001/ }).textContent()).toContain('Not routed');
      // Its calling settings: the default caller ID, and Moscow numbers are local calls.
      const settings = page.getByRole('region', { name: 'Outbound calling' });
      await choose(page, settings, 'Default caller ID', '+74951230001');
      await settings.getByRole('textbox', { name: 'Local prefixes' }).fill('+7 495');
      await settings.getByRole('button', { name: 'Save', exact: true }).click();
      await settings.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      expect(await settings.getByRole('textbox', { name: 'Local prefixes' }).inputValue()).toBe('+7495');
      const { body: tenant } = await rest<{ localPrefixes: string[]; defaultCallerId: string | null }>('');
      expect(tenant).toMatchObject({ localPrefixes: ['+7495'], defaultCallerId: '+74951230001' });
      expect((await plan('number=84951234567')).numberClass).toBe('local');
      await screenshot(page, 'en-tenant-numbers');
      await page.getByRole('link', { name: 'Create an inbound route for +74951230001' }).click();
      const inbound = page.getByRole('dialog', { name: 'New inbound route' });
      expect(await inbound.getByRole('textbox', { name: 'Phone number (DID)' }).inputValue()).toBe(
        '+74951230001',
      );
      await inbound.getByRole('button', { name: 'Cancel' }).click();
    });

    it('the fraud rule blocks an extension while the admin watches; the admin unblocks it and another one', async (t) => {
      // 103 is blocked by hand, through the API.
      const blocked = await rest(`/extensions/${(await extension('103')).id}`, {
        method: 'PATCH',
        body: { externalBlocked: 'Blocked by hand for the test' },
      });
      expect(blocked.status).toBe(200);
      const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
      await page.goto('/outbound-routes');
      await settled(page, 'Outbound routes');
      const list = page.getByRole('table', { name: 'Blocked extensions' });
      await list.locator('tr[data-extension="103"]').waitFor();

      // Five short international calls from 104 trip the fraud rule (its counters, as the router keeps them).
      const limits = portal.node.sip.carriers.limits;
      const owner = {
        tenantId: portal.tenantId,
        timeZone: 'Europe/Moscow',
        maxExternalCalls: 5,
        dailyExternalMinutes: null,
        dailySpendCap: null,
        spendAlertPercent: 80,
        extension: { number: '104', maxExternalCalls: null },
      };
      const start = Date.now();
      for (let i = 0; i < 5; i++) limits.take(owner, true, start).end(start + 2000);
      const alert = page.getByRole('region', { name: 'Fraud alerts' }).getByRole('alert');
      await alert.filter({ hasText: 'Extension 104: external calls blocked' }).waitFor();
      expect(await alert.textContent()).toContain('international calls shorter than 30 s');
      await list.locator('tr[data-extension="104"]').waitFor();
      expect((await extension('104')).externalBlocked).toMatch(/^5 international calls shorter than 30 s/);
      await screenshot(page, 'en-fraud-alert');

      await list.getByRole('button', { name: 'Unblock 104' }).click();
      await list.locator('tr[data-extension="104"]').waitFor({ state: 'detached' });
      expect((await extension('104')).externalBlocked).toBeNull();

      // 103 from its editor: the red alert, then Unblock; blocked again by hand, and unblocked from the list.
      await goTo(page, 'Extensions');
      const row = page.getByRole('row', { name: /^103 / });
      expect(await row.getByTestId('external-blocked').textContent()).toBe(
        'External calls blocked: Blocked by hand for the test',
      );
      await screenshot(page, 'en-extensions-blocked');
      await row.getByRole('button', { name: 'Edit 103' }).click();
      const editor = page.getByRole('dialog', { name: 'Extension 103' });
      const red = editor.getByTestId('external-blocked');
      expect(await red.textContent()).toContain('Blocked by hand for the test');
      await screenshot(page, 'en-extension-blocked-editor');
      await red.getByRole('button', { name: 'Unblock 103' }).click();
      await editor.getByText('External calls are allowed.').waitFor();
      expect((await extension('103')).externalBlocked).toBeNull();
      await editor
        .getByRole('textbox', { name: 'Why (shown to other administrators)' })
        .fill('Left the company');
      await editor.getByRole('button', { name: 'Block external calls' }).click();
      await red.waitFor();
      expect((await extension('103')).externalBlocked).toBe('Left the company');
      await editor.getByRole('button', { name: 'Cancel' }).click();
      await expect
        .poll(() => row.getByTestId('external-blocked').textContent())
        .toContain('Left the company');
      await row.getByRole('button', { name: 'Unblock 103' }).click();
      await row.getByTestId('external-blocked').waitFor({ state: 'detached' });
      expect((await extension('103')).externalBlocked).toBeNull();

      // The operator may not delete the trunk the route uses: the server's answer names the route.
      const operator = await open(t, { as: portal.operator });
      await operator.page.goto('/trunks');
      await settled(operator.page, 'Trunks');
      await operator.page.getByRole('button', { name: 'Delete Carrier One' }).click();
      const confirm = operator.page.getByRole('dialog', { name: 'Delete Carrier One?' });
      await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
      expect(await confirm.getByRole('alert').textContent()).toContain(
        'Used by outbound route "Moscow carrier" of Demo Company',
      );
      expect(await trunkNamed('Carrier One')).toBeTruthy();
    });

    it('an operator prices calls by prefix and caps the tenant’s spend; the admin follows the day’s spend', async (t) => {
      const { page } = await open(t, { as: portal.operator, viewport: { width: 1280, height: 900 } });
      await page.goto('/number-pool');
      await settled(page, 'Number pool');
      await goTo(page, 'Rates', 'Call rates');
      await page.getByText('No rates yet: external calls are not priced.').waitFor();

      /** Fills the "New rate" dialog and presses Create; the dialog stays open when the server refuses. */
      const addRate = async (prefix: string, price: string, description: string) => {
        await page.getByRole('button', { name: 'New rate' }).click();
        const dialog = page.getByRole('dialog', { name: 'New rate' });
        await dialog.getByRole('textbox', { name: 'Prefix' }).fill(prefix);
        await dialog.getByRole('textbox', { name: 'Price per minute' }).fill(price);
        await dialog.getByRole('textbox', { name: 'Description' }).fill(description);
        await dialog.getByRole('button', { name: 'Create', exact: true }).click();
        return dialog;
      };
      await (await addRate('+7 495', '1.5', 'Moscow')).waitFor({ state: 'detached' });
      await (await addRate('+7', '0.90', 'Russia')).waitFor({ state: 'detached' });
      const table = page.getByRole('table', { name: 'Call rates' });
      const priceOf = (prefix: string) =>
        table.locator(`tr[data-prefix="${prefix}"]`).getByTestId('rate-price').textContent();
      await expect.poll(() => priceOf('+7495')).toBe('1.50');
      expect(await priceOf('+7')).toBe('0.90');

      // Moscow again: the server refuses, and says so under the prefix.
      const twice = await addRate('+7495', '2', 'Moscow again');
      const prefix = twice.getByRole('textbox', { name: 'Prefix' });
      expect(await errorOf(twice, prefix)).toBe('+7495 has a price already');
      expect(await twice.getByRole('alert').count()).toBe(0);
      await screenshot(page, 'en-rate-error');
      await prefix.fill('+7812');
      await twice.getByRole('textbox', { name: 'Description' }).fill('Saint Petersburg');
      await twice.getByRole('button', { name: 'Create', exact: true }).click();
      await twice.waitFor({ state: 'detached' });
      // No price: said at the price, nothing is sent.
      const free = await addRate('+44', '', 'United Kingdom');
      const price = free.getByRole('textbox', { name: 'Price per minute' });
      expect(await errorOf(free, price)).toBe('Enter the price per minute');
      await price.fill('0.05');
      await free.getByRole('button', { name: 'Create', exact: true }).click();
      await free.waitFor({ state: 'detached' });
      await expect.poll(() => priceOf('+44')).toBe('0.05');

      // Moscow gets dearer.
      await table.getByRole('button', { name: 'Edit +7495' }).click();
      const edit = page.getByRole('dialog', { name: 'Rate +7495' });
      const editPrice = edit.getByRole('textbox', { name: 'Price per minute' });
      expect(await editPrice.inputValue()).toBe('1.5');
      await editPrice.fill('1.75');
      await edit.getByRole('button', { name: 'Save', exact: true }).click();
      await edit.waitFor({ state: 'detached' });
      await expect.poll(() => priceOf('+7495')).toBe('1.75');
      const deck = async () =>
        (await platform<{ items: Rate[] }>('/platform/rates?limit=200&sort=prefix')).items.map((r) => [
          r.prefix,
          r.pricePerMinute,
          r.description,
        ]);
      expect(await deck()).toEqual([
        ['+44', 5, 'United Kingdom'],
        ['+7', 90, 'Russia'],
        ['+7495', 175, 'Moscow'],
        ['+7812', 200, 'Saint Petersburg'],
      ]);
      await screenshot(page, 'en-rates');

      // Found by its description; the United Kingdom is deleted after a question.
      const search = page.getByRole('searchbox', { name: 'Search' });
      await search.fill('moscow');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      expect(await table.locator('tbody tr').getAttribute('data-prefix')).toBe('+7495');
      await search.fill('');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(4);
      await table.getByRole('button', { name: 'Delete +44' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete +44?' });
      await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
      await confirm.waitFor({ state: 'detached' });
      await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
      expect((await deck()).map(([p]) => p)).toEqual(['+7', '+7495', '+7812']);

      // The tenant may spend 1000.00 a day; its admins are warned at 85 %.
      await goTo(page, 'Tenants');
      await page.getByRole('button', { name: 'Edit Demo Company' }).click();
      const tenantEdit = page.getByRole('dialog', { name: 'Tenant Demo Company' });
      const cap = tenantEdit.getByRole('textbox', { name: 'Daily spend cap' });
      const warnAt = tenantEdit.getByRole('textbox', { name: 'Warn at, % of the cap' });
      expect(await cap.inputValue()).toBe('');
      expect(await warnAt.inputValue()).toBe('80');
      await cap.fill('1000');
      await warnAt.fill('85');
      await screenshot(page, 'en-tenant-spend-cap');
      await tenantEdit.getByRole('button', { name: 'Save', exact: true }).click();
      await tenantEdit.waitFor({ state: 'detached' });
      const tenant = await platform<{ limits: Record<string, unknown> }>(`/tenants/${portal.tenantId}`);
      expect(tenant.limits).toMatchObject({
        dailySpendCap: 100_000,
        spendAlertPercent: 85,
        // The other limits stay as they were.
        maxExternalCalls: 5,
        dailyExternalMinutes: 600,
      });

      // The admin's outbound page while an external call is talking (17.00 a minute, counted by the router's counters).
      const limits = portal.node.sip.carriers.limits;
      const owner = {
        tenantId: portal.tenantId,
        timeZone: 'Europe/Moscow',
        maxExternalCalls: 5,
        dailyExternalMinutes: 600,
        dailySpendCap: 100_000,
        spendAlertPercent: 85,
        extension: { number: '101', maxExternalCalls: null },
      };
      const start = Date.now();
      const talking = limits.take(owner, false, start, 1700);
      talking.answered(start);
      const admin = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
      // Alerts come over the events socket: wait for its hello before anything happens.
      const hello = admin.page
        .waitForEvent('websocket', { predicate: (ws) => ws.url().includes('/api/v1/events') })
        .then((ws) =>
          ws.waitForEvent('framereceived', { predicate: (f) => String(f.payload).includes('hello') }),
        );
      await admin.page.goto('/outbound-routes');
      await settled(admin.page, 'Outbound routes');
      await hello;
      const card = admin.page.getByRole('region', { name: 'External calls today' });
      const figure = (what: string) => card.getByTestId(`usage-${what}-value`).textContent();
      const bar = (name: string) => card.getByRole('progressbar', { name }).getAttribute('aria-valuenow');
      expect(await figure('minutes')).toBe('0 of 600');
      expect(await figure('spend')).toBe('0.00 of 1000.00');
      expect(await figure('calls')).toBe('1 of 5');
      expect(await bar('Spend today against the cap')).toBe('0');
      expect(await bar('External calls now against the limit')).toBe('20');
      expect(await card.getByText('Warning at 85 %').count()).toBe(1);
      const usage = async () => (await rest<Usage>('/external-usage')).body;
      expect(await usage()).toEqual({
        answeredMinutes: 0,
        dailyExternalMinutes: 600,
        spent: 0,
        dailySpendCap: 100_000,
        spendAlertPercent: 85,
        activeCalls: 1,
        maxExternalCalls: 5,
      });
      await screenshot(admin.page, 'en-external-usage');

      // The call ends after 50 minutes: 850.00, 85 % of the cap. The warning, and the card at once.
      talking.end(start + 50 * 60_000);
      const alerts = admin.page.getByRole('region', { name: 'Limit alerts' }).getByRole('alert');
      const warning = alerts.filter({ hasText: 'Daily spend cap nearly reached' });
      await warning.waitFor();
      expect(await warning.textContent()).toContain(
        'Spend today reached 85 % of the daily cap (850.00 of 1000.00)',
      );
      await expect.poll(() => figure('spend')).toBe('850.00 of 1000.00');
      expect(await figure('minutes')).toBe('50 of 600');
      expect(await figure('calls')).toBe('0 of 5');
      expect(await bar('Spend today against the cap')).toBe('85');
      expect(await card.getByTestId('usage-spend').getAttribute('data-level')).toBe('orange');
      expect(await usage()).toMatchObject({ answeredMinutes: 50, spent: 85_000, activeCalls: 0 });

      // Ten minutes more: 1020.00, the cap is reached and external calls are refused.
      const later = Date.now();
      const another = limits.take(owner, false, later, 1700);
      another.answered(later);
      another.end(later + 10 * 60_000);
      const reached = alerts.filter({ hasText: 'Daily spend cap reached' });
      await reached.waitFor();
      expect(await reached.textContent()).toContain(
        'The daily spend cap of 1000.00 is reached: external calls are refused until midnight',
      );
      await expect.poll(() => figure('spend')).toBe('1020.00 of 1000.00');
      expect(await bar('Spend today against the cap')).toBe('100');
      expect(await card.getByTestId('usage-spend').getAttribute('data-level')).toBe('red');
      expect(await card.getByTestId('usage-refused').textContent()).toBe(
        'The spend cap is reached: external calls are refused until midnight.',
      );
      expect(limits.check(owner)).toMatchObject({ status: 403, cause: 'spend-cap' });
      // The minutes cap the same way (as the router tells it when a call finds 60 minutes used up).
      expect(limits.check({ ...owner, dailySpendCap: null, dailyExternalMinutes: 60 })).toMatchObject({
        status: 403,
        cause: 'minutes-cap',
      });
      const minutes = alerts.filter({ hasText: 'Daily external minutes used up' });
      await minutes.waitFor();
      expect(await minutes.textContent()).toContain(
        'The daily cap of 60 external minutes is reached: external calls are refused until midnight',
      );
      expect(await alerts.count()).toBe(3);
      await screenshot(admin.page, 'en-limit-alerts');
      await warning.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => alerts.count()).toBe(2);
      for (const left of [reached, minutes]) await left.getByRole('button', { name: 'Close' }).click();
      await admin.page.getByRole('region', { name: 'Limit alerts' }).waitFor({ state: 'detached' });

      // The call history shows what a priced call cost, and nothing for one that was not priced.
      const log = portal.node.store.callLog;
      const record = async (callee: string, cost: number | null) => {
        const at = Date.now() - 120_000;
        const { id } = log.open(
          {
            tenantId: portal.tenantId,
            sipCallId: `priced-${callee}`,
            caller: '101',
            callerName: '',
            callee,
            direction: 'outbound',
            node: 'local',
          },
          new Date(at),
        );
        await log.answered(id, new Date(at + 2000));
        await log.close(id, new Date(at + 62_000), {
          cause: 'normal',
          sipStatus: 200,
          hangupBy: 'caller',
          legs: [],
          direction: 'outbound',
          trunk: 'Carrier One',
          cost,
        });
      };
      await record('+74951234567', 175);
      await record('+15551234567', null);
      await log.drain();
      await goTo(admin.page, 'Call history');
      const costOf = (callee: string) =>
        admin.page.locator(`tr[data-callee="${callee}"]`).getByTestId('call-cost').textContent();
      expect(await costOf('+74951234567')).toBe('1.75');
      expect(await costOf('+15551234567')).toBe('—');
      const { body: calls } = await rest<{ items: { callee: string; cost: number | null }[] }>(
        '/calls?limit=50',
      );
      expect(calls.items.filter((c) => c.callee.startsWith('+')).map((c) => [c.callee, c.cost])).toEqual(
        expect.arrayContaining([
          ['+74951234567', 175],
          ['+15551234567', null],
        ]),
      );
      await screenshot(admin.page, 'en-call-cost');
    });

    it('the new pages in Russian', async (t) => {
      const pages: [Page, string, string][] = [];
      const operator = await open(t, { as: portal.operator, locale: 'ru-RU' });
      const admin = await open(t, { as: 'admin', locale: 'ru-RU' });
      pages.push(
        [operator.page, '/trunks', 'Транки'],
        [operator.page, '/number-pool', 'Пул номеров'],
        [operator.page, '/rates', 'Тарифы на звонки'],
        [admin.page, '/outbound-routes', 'Исходящие маршруты'],
        [admin.page, '/numbers', 'Телефонные номера'],
      );
      for (const [page, path, title] of pages) {
        await page.goto(path);
        await settled(page, title);
        await screenshot(page, `ru${path.replaceAll('/', '-')}`);
      }
      await operator.page.goto('/trunks');
      await settled(operator.page, 'Транки');
      await expect
        .poll(() => operator.page.locator('[data-state="registered"]').first().textContent())
        .toBe('Зарегистрирован');
      // Money in Russian: a decimal comma.
      await operator.page.goto('/rates');
      await settled(operator.page, 'Тарифы на звонки');
      expect(
        await operator.page.locator('tr[data-prefix="+7495"]').getByTestId('rate-price').textContent(),
      ).toBe('1,75');
      await admin.page.goto('/outbound-routes');
      await settled(admin.page, 'Исходящие маршруты');
      const card = admin.page.getByRole('region', { name: 'Внешние звонки сегодня' });
      expect(await card.getByTestId('usage-spend-value').textContent()).toBe('1020,00 из 1000,00');
      expect(await card.getByTestId('usage-refused').textContent()).toBe(
        'Лимит расходов исчерпан: внешние звонки запрещены до полуночи.',
      );
      await screenshot(admin.page, 'ru-external-usage');
    });
  },
);
