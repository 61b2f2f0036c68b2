/**
 * The Contacts page end to end: Debian's Chromium (playwright-core) against a
 * whole node started in-process, serving web/dist. The demo admin imports a CSV
 * file saved the way Excel saves it (BOM, ';' separated, a quoted company with a
 * quote in it): "Check" shows what would be created and the line skipped with its
 * field, and writes nothing; "Import" writes the rest. The search finds a contact
 * by company and by a part of its number; a contact is added by hand and deleted
 * after a question. The softphone's directory finds a contact and calls its number.
 * Every result is checked through the REST API too; the page is checked in Russian. Screenshots go to test-artifacts/screenshots/.
 *
 * Skipped without /usr/bin/chromium, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTests, type PortalNode, portalAndBrowser, screenshot } from '../helpers/browser.js';
import { portalSession } from '../helpers/portal-session.js';

const CSV = `\uFEFFИмя;Компания;Телефон;Email\r\nАнна Смирнова;"ООО ""Ромашка""";+7 495 000-00-01 (work);anna@example.test\r\n;Nameless Ltd;+7 495 000-00-02;\r\nBoris Petrov;Acme;8 916 000-00-03;\r\n`;

interface ContactPage {
  total: number;
  items: { id: string; name: string; company: string; numbers: { number: string; label: string }[] }[];
}

describe.runIf(browserTests)('contacts in the web portal', { timeout: 90_000 }, () => {
  let portal: PortalNode;
  let browser: Browser;
  let adminCookie = '';
  const { signInCookie, rest, open, settled, goTo } = portalSession(() => ({ portal, browser, adminCookie }));
  const contacts = async (q = '') =>
    (await rest<ContactPage>(`/contacts?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`)).body;

  beforeAll(async () => {
    ({ portal, browser } = await portalAndBrowser());
    adminCookie = await signInCookie(portal.admin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  it('imports a CSV after checking it, then finds contacts by company and number', async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1400, height: 1200 } });
    await page.goto('/');
    await goTo(page, 'Contacts');
    await page.getByText('No contacts yet.').waitFor();

    await page.getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import contacts from CSV' });
    await dialog.locator('input[type="file"]').setInputFiles({
      name: 'contacts.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(CSV, 'utf8'),
    });
    await dialog.getByRole('button', { name: 'Check' }).click();
    const preview = dialog.getByTestId('import-preview');
    await preview.getByText('3 rows: 2 new, 0 updated, 0 removed, 1 skipped').waitFor();
    const errors = preview.getByTestId('import-errors');
    expect(await errors.getByRole('row').nth(1).locator('td').allTextContents()).toEqual([
      '3',
      'Name',
      'Required, and empty',
    ]);
    // The check wrote nothing.
    expect((await contacts()).total).toBe(0);
    await screenshot(page, 'en-contacts-import-preview');

    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('Imported: 2 new, 0 updated, 0 removed, 1 skipped').waitFor();
    const all = await contacts();
    expect(all.items.map((c) => c.name).sort()).toEqual(['Boris Petrov', 'Анна Смирнова']);
    expect(all.items.find((c) => c.name === 'Анна Смирнова')).toMatchObject({
      company: 'ООО "Ромашка"',
      numbers: [{ number: '+7 495 000-00-01', label: 'work' }],
    });

    const table = page.getByTestId('contacts-table');
    await table.getByRole('cell', { name: 'Boris Petrov', exact: true }).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('ромашка');
    await settled(page, 'Contacts');
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    await table.getByRole('cell', { name: 'Анна Смирнова', exact: true }).waitFor();
    // A part of a number written another way ("8 916 …" is stored; "916000" finds it).
    await page.getByRole('searchbox', { name: 'Search' }).fill('916000');
    await table.getByRole('cell', { name: 'Boris Petrov', exact: true }).waitFor();
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    await screenshot(page, 'en-contacts-search');
  });

  it('adds a contact by hand and deletes one after a question', async (t) => {
    const { page } = await open(t, { as: 'admin' });
    await page.goto('/contacts');
    await settled(page, 'Contacts');
    await page.getByRole('button', { name: 'New contact' }).click();
    const dialog = page.getByRole('dialog', { name: 'New contact' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Clara Oswald');
    await dialog.getByRole('textbox', { name: 'Number' }).fill('+44 20 7946 0000');
    await dialog.getByRole('textbox', { name: 'Label' }).fill('office');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'Clara Oswald', exact: true }).waitFor();
    const clara = (await contacts('Clara')).items[0];
    expect(clara?.numbers).toEqual([{ number: '+44 20 7946 0000', label: 'office' }]);

    await page.getByRole('button', { name: 'Delete Clara Oswald' }).click();
    await page.getByRole('dialog', { name: 'Delete' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(async () => (await contacts('Clara')).total).toBe(0);
  });

  it("the softphone's directory finds a phonebook contact and calls its number", async (t) => {
    const { page } = await open(t, { as: 'admin', viewport: { width: 1280, height: 900 } });
    await page.goto('/phone');
    // The demo admin owns extension 101: the portal's softphone registers it.
    await page.getByText('Ready — extension 101').waitFor();
    await page.getByRole('textbox', { name: 'Search by name or number' }).fill('Смирнова');
    const call = page
      .getByTestId('directory-contacts')
      .getByRole('button', { name: 'Call Анна Смирнова on +7 495 000-00-01' });
    await call.waitFor();
    await screenshot(page, 'en-softphone-directory');
    await call.click();
    // The number is dialled as digits (the demo tenant has no way out, so the call is refused: it is
    // the attempt that counts here).
    await expect
      .poll(
        async () => {
          await portal.node.store.callLog.drain();
          const calls = await portal.node.store.tenant(portal.tenantId).calls.list({ limit: 5, offset: 0 });
          return calls.items.map((c) => `${c.caller}>${c.callee}`);
        },
        { timeout: 15_000 },
      )
      .toContain('101>+74950000001');
  });

  it('renders in Russian', async (t) => {
    const { page } = await open(t, { as: 'admin', locale: 'ru-RU' });
    await page.goto('/contacts');
    await settled(page, 'Контакты');
    await page.getByRole('button', { name: 'Импорт CSV' }).waitFor();
    await page.getByRole('button', { name: 'Новый контакт' }).waitFor();
    await screenshot(page, 'ru-contacts');
  });
});
