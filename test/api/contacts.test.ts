/**
 * The phonebook through the API and its repository: add, search, change, remove;
 * who may do what; CSV import as spreadsheets write it (BOM, ';', quotes, line
 * breaks in a field), bad rows reported by line and field, a dry run that writes
 * nothing, merge by number and replace; the export read back by the import; a
 * CRM-style upsert by external id; numbers found whatever way they were written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContactsCsv } from '../../src/api/contacts-csv.js';
import { contactNumberKey } from '../../src/store/repositories/contacts.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

describe.each(backends())('contacts on %s', (backend) => {
  let fx: Fixture;
  const changes: string[] = [];
  const base = () => `/api/v1/tenants/${fx.A.id}/contacts`;
  beforeAll(async () => {
    fx = await createFixture(backend, { contactsChanged: (t) => void changes.push(t) });
    // The fixture's tenants are Russian: numbers are read by Russia's plan.
    await fx.store.tenants.update(fx.A.id, { country: 'RU' });
  });
  afterAll(async () => fx?.close());

  const search = async (q: string, as = fx.A.user) =>
    (await fx.call('GET', `${base()}?q=${encodeURIComponent(q)}`, { as })).json as {
      items: { id: string; name: string; numbers: { number: string; label: string }[]; company: string }[];
      total: number;
    };

  it('normalises numbers by the tenant country', () => {
    expect(contactNumberKey('8 (495) 123-45-67', 'RU')).toBe('+74951234567');
    expect(contactNumberKey('+7 495 123 45 67', 'RU')).toBe('+74951234567');
    expect(contactNumberKey('101', 'RU')).toBe('101');
  });

  it('adds, finds, changes and removes a contact; users read, only managers write', async () => {
    const created = await fx.call('POST', base(), {
      as: fx.A.supervisor,
      body: {
        name: 'Ivan Petrov',
        company: 'Roga i Kopyta',
        numbers: [{ number: '8 (495) 123-45-67', label: 'work' }],
        email: 'ivan@roga.test',
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(changes).toContain(fx.A.id);
    const id = created.json.id as string;
    expect((await search('petrov')).items.map((c) => c.id)).toEqual([id]);
    expect((await search('4951234')).items.map((c) => c.id)).toEqual([id]);
    expect((await search('roga')).total).toBe(1);
    const found = await fx.store.tenant(fx.A.id).contacts.byNumber('+74951234567');
    expect(found.map((c) => c.id)).toEqual([id]);

    const refused = await fx.call('POST', base(), { as: fx.A.user, body: { name: 'X' } });
    expect(refused.status).toBe(403);
    const badEmail = await fx.call('POST', base(), { as: fx.A.admin, body: { name: 'X', email: 'nope' } });
    expect(badEmail.status).toBe(400);
    expect(badEmail.json.field).toBe('email');
    const blank = await fx.call('POST', base(), { as: fx.A.admin, body: { name: '   ' } });
    expect(blank.json.field).toBe('name');

    const patched = await fx.call('PATCH', `${base()}/${id}`, {
      as: fx.A.admin,
      body: { numbers: [{ number: '+79161112233', label: 'mobile' }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.name).toBe('Ivan Petrov');
    expect(await fx.store.tenant(fx.A.id).contacts.byNumber('84951234567')).toEqual([]);
    expect((await fx.store.tenant(fx.A.id).contacts.byNumber('8 916 111-22-33')).length).toBe(1);
    // Tenant B sees nothing of it.
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.A.id}/contacts/${id}`, { as: fx.B.admin })).status,
    ).toBe(404);
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/contacts/${id}`, { as: fx.B.admin })).status,
    ).toBe(404);
    expect((await fx.call('DELETE', `${base()}/${id}`, { as: fx.A.admin })).status).toBe(204);
    expect((await fx.call('GET', `${base()}/${id}`, { as: fx.A.user })).status).toBe(404);
  });

  it('reads spreadsheet CSV: BOM, semicolons, quotes, line breaks, Russian headers', () => {
    const csv =
      '\uFEFFИмя;Компания;Телефон;Email;Заметки\r\n' +
      'Анна Смирнова;"ООО ""Ромашка""";+7 495 000-00-01 (work), 8 916 000 00 02 (mobile);anna@x.test;"line one\r\nline two"\r\n' +
      '\r\n' +
      'Boris;;;;\r\n';
    const parsed = readContactsCsv(csv, 100);
    expect(parsed.problems).toEqual([]);
    expect(parsed.total).toBe(2);
    expect(parsed.rows[0]?.line).toBe(2);
    expect(parsed.rows[0]?.contact).toMatchObject({
      name: 'Анна Смирнова',
      company: 'ООО "Ромашка"',
      numbers: [
        { number: '+7 495 000-00-01', label: 'work' },
        { number: '8 916 000 00 02', label: 'mobile' },
      ],
      notes: 'line one\r\nline two',
    });
    // Anna's notes take lines 2 and 3, line 4 is blank: Boris is on line 5 of the file.
    expect(parsed.rows[1]?.line).toBe(5);
  });

  it('reports bad rows by line and field; a dry run writes nothing', async () => {
    const csv = [
      'name,company,number,email,notes',
      'Good One,ACME,+7 812 555-01-01,,',
      ',NoName Inc,+7 812 555-01-02,,',
      'Bad Number,,call me maybe,,',
      'Bad Mail,,+7 812 555-01-03,not-an-email,',
      'Good Two,,+7 812 555-01-04,two@x.test,',
    ].join('\n');
    const before = await fx.store.tenant(fx.A.id).contacts.count();
    const dry = await fx.call('POST', `${base()}/import`, { as: fx.A.admin, body: { csv, dryRun: true } });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, total: 5, created: 2, updated: 0, skipped: 3 });
    expect(dry.json.errors).toEqual([
      { line: 3, field: 'name', code: 'required', value: '', message: 'A name is required' },
      {
        line: 4,
        field: 'numbers',
        code: 'notNumber',
        value: 'call me maybe',
        message: 'Not a phone number: call me maybe',
      },
      {
        line: 5,
        field: 'email',
        code: 'notEmail',
        value: 'not-an-email',
        message: 'Not an email address: not-an-email',
      },
    ]);
    expect(dry.json.preview.map((p: { line: number; action: string }) => [p.line, p.action])).toEqual([
      [2, 'create'],
      [6, 'create'],
    ]);
    expect(await fx.store.tenant(fx.A.id).contacts.count()).toBe(before);

    const real = await fx.call('POST', `${base()}/import`, { as: fx.A.admin, body: { csv } });
    expect(real.json).toMatchObject({ dryRun: false, created: 2, skipped: 3 });
    expect(await fx.store.tenant(fx.A.id).contacts.count()).toBe(before + 2);
    // A user may not import.
    expect((await fx.call('POST', `${base()}/import`, { as: fx.A.user, body: { csv } })).status).toBe(403);
    // A file without a name column is refused as a whole.
    const headless = await fx.call('POST', `${base()}/import`, {
      as: fx.A.admin,
      body: { csv: 'foo,bar\n1,2' },
    });
    expect(headless.status).toBe(400);
    expect(headless.json.field).toBe('csv');
  });

  it('merges by number (8… and +7… are one number), then replaces', async () => {
    const csv = 'name;number;notes\nGood One Renamed;8 812 555-01-01;vip\nNew Person;+7 812 555-09-09;\n';
    const r = await fx.call('POST', `${base()}/import`, { as: fx.A.admin, body: { csv, mode: 'merge' } });
    expect(r.json).toMatchObject({ created: 1, updated: 1 });
    const merged = (await search('Renamed')).items;
    expect(merged).toHaveLength(1);
    expect(merged[0]?.numbers).toHaveLength(1);
    expect((await search('Good One')).total).toBe(1);

    await fx.store
      .tenant(fx.A.id)
      .contacts.upsertFromSource('crm:test', [
        { externalId: 'c1', name: 'From CRM', numbers: [{ number: '+74990000001', label: '' }] },
      ]);
    const replaced = await fx.call('POST', `${base()}/import`, {
      as: fx.A.admin,
      body: { csv: 'name,number\nOnly One,+7 812 555-07-07\n', mode: 'replace' },
    });
    expect(replaced.json).toMatchObject({ created: 1, removed: 3 });
    const all = (await fx.call('GET', `${base()}?limit=200`, { as: fx.A.admin })).json.items.map(
      (c: { name: string }) => c.name,
    );
    expect(all.sort()).toEqual(['From CRM', 'Only One']);
  });

  it('exports CSV that reads back, with formula cells defused', async () => {
    await fx.call('POST', base(), {
      as: fx.A.admin,
      body: {
        name: '=HYPERLINK("http://evil")',
        company: 'Comma, Inc',
        numbers: [
          { number: '+7 495 777-00-01', label: 'work' },
          { number: '+7 916 777-00-02', label: 'mobile' },
        ],
        notes: '@note',
      },
    });
    const res = await fx.call('GET', `${base()}/export.csv`, { as: fx.A.supervisor });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.text.startsWith('\uFEFFname,company,numbers,email,notes\r\n')).toBe(true);
    expect(res.text).toContain(`"'=HYPERLINK(""http://evil"")","Comma, Inc"`);
    expect(res.text).toContain(`'@note`);
    expect((await fx.call('GET', `${base()}/export.csv`, { as: fx.A.user })).status).toBe(403);

    const back = readContactsCsv(res.text, 100);
    expect(back.problems).toEqual([]);
    const evil = back.rows.find((r) => r.contact.name.includes('HYPERLINK'))?.contact;
    expect(evil).toMatchObject({
      name: '=HYPERLINK("http://evil")',
      company: 'Comma, Inc',
      notes: '@note',
      numbers: [
        { number: '+7 495 777-00-01', label: 'work' },
        { number: '+7 916 777-00-02', label: 'mobile' },
      ],
    });
  });

  it("takes dial by name ('directory') as a destination, with no id", async () => {
    const base = `/api/v1/tenants/${fx.A.id}`;
    const cal = await fx.call('POST', `${base}/calendars`, {
      as: fx.A.admin,
      body: { name: 'Hours', weekly: [], holidays: [], productionCalendar: null, override: null },
    });
    expect(cal.status, cal.text).toBe(201);
    const body = (whenOpen: unknown) => ({
      name: 'Directory by day',
      calendarId: cal.json.id,
      whenOpen,
      whenClosed: { kind: 'hangup', cause: 'busy' },
    });
    const ok = await fx.call('POST', `${base}/time-conditions`, {
      as: fx.A.admin,
      body: body({ kind: 'directory' }),
    });
    expect(ok.status, ok.text).toBe(201);
    const withId = await fx.call('POST', `${base}/time-conditions`, {
      as: fx.A.admin,
      body: body({ kind: 'directory', id: fx.A.ownExtensionId }),
    });
    expect(withId.json).toMatchObject({ status: 400, field: 'whenOpen.id' });
  });

  it('upserts a source by external id and removes what it no longer has', async () => {
    const repo = fx.store.tenant(fx.A.id).contacts;
    const first = await repo.upsertFromSource('crm:amo', [
      { externalId: '1', name: 'Alpha', numbers: [{ number: '+74951110001', label: '' }] },
      { externalId: '2', name: 'Beta', numbers: [] },
    ]);
    expect(first).toEqual({ created: 2, updated: 0, removed: 0 });
    const second = await repo.upsertFromSource(
      'crm:amo',
      [{ externalId: '1', name: 'Alpha Renamed', numbers: [{ number: '+74951110001', label: '' }] }],
      { removeMissing: true },
    );
    expect(second).toEqual({ created: 0, updated: 1, removed: 1 });
    expect((await repo.byNumber('84951110001'))[0]?.name).toBe('Alpha Renamed');
    // Another tenant's repository sees none of it.
    expect(await fx.store.tenant(fx.B.id).contacts.byNumber('+74951110001')).toEqual([]);
  });
});
