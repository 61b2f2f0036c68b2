/**
 * Call records as CSV: every matching row (more than one batch of the stream),
 * newest first, the header and a byte-order mark, fields quoted where RFC 4180
 * needs it, a caller name that a spreadsheet would run as a formula defused, the
 * list's filters, and a user's export holding only their own calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('call records export', () => {
  let fx: Fixture;
  const url = () => `/api/v1/tenants/${fx.A.id}/calls/export.csv`;
  let own = '';
  const base = Date.parse('2026-12-01T09:00:00Z');

  beforeAll(async () => {
    fx = await createFixture('pglite');
    own = (await fx.store.tenant(fx.A.id).extensions.get(fx.A.ownExtensionId))!.number;
    const row = (i: number, over: Record<string, unknown> = {}) => ({
      tenantId: fx.A.id,
      sipCallId: `c${i}@test`,
      caller: `+7495000${String(i).padStart(4, '0')}`,
      callerName: '',
      callee: '555',
      direction: 'inbound' as const,
      status: 'ended' as const,
      startedAt: new Date(base + i * 1000),
      answeredAt: new Date(base + i * 1000 + 4000),
      endedAt: new Date(base + i * 1000 + 64_000),
      cause: 'normal',
      sipStatus: 200,
      hangupBy: 'caller' as const,
      legs: JSON.stringify([]),
      node: 'test',
      ...over,
    });
    const rows = Array.from({ length: 2500 }, (_, i) => row(i));
    for (let i = 0; i < rows.length; i += 500)
      await fx.store.db
        .insertInto('calls')
        .values(rows.slice(i, i + 500))
        .execute();
    await fx.store.db
      .insertInto('calls')
      .values([
        row(3000, { callerName: '=HYPERLINK("http://evil.test","click")', caller: '+74951112233' }),
        row(3001, {
          callerName: 'Иванов, Пётр "Ltd"',
          caller: own,
          callee: '+74957654321',
          direction: 'outbound',
          cost: 250,
          tags: JSON.stringify(['sales', 'vip']),
        }),
      ])
      .execute();
    // Another tenant's call never shows.
    await fx.store.db
      .insertInto('calls')
      .values({ ...row(3002), tenantId: fx.B.id })
      .execute();
  });
  afterAll(async () => fx?.close());

  const parse = (text: string) =>
    text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');

  it('streams every matching call, newest first, as RFC 4180 CSV a spreadsheet opens safely', async () => {
    const res = await fx.call('GET', url(), { as: fx.A.admin });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="calls-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(res.text.startsWith('\uFEFFstarted_at,answered_at,ended_at,wait_s,talk_s,direction,caller,')).toBe(
      true,
    );
    const lines = parse(res.text);
    expect(lines).toHaveLength(1 + 2502);
    // Newest first across the stream's batches, no row twice.
    const started = lines.slice(1).map((l) => l.split(',')[0]!);
    expect([...started].sort().reverse()).toEqual(started);
    expect(new Set(lines.slice(1).map((l) => l.split(',').at(-1))).size).toBe(2502);
    const [newest, formula] = lines.slice(1, 3);
    expect(newest).toContain(
      `,outbound,${own},"Иванов, Пётр ""Ltd""",+74957654321,ended,normal,caller,,250,sales vip,,`,
    );
    expect(newest).toMatch(
      /^2026-12-01T09:50:01\.000Z,2026-12-01T09:50:05\.000Z,2026-12-01T09:51:05\.000Z,4,60,/,
    );
    // A name a spreadsheet would run as a formula is written as text; the phone number stays as it is.
    expect(formula).toContain(`,+74951112233,"'=HYPERLINK(""http://evil.test"",""click"")",555,`);
  });

  it('streams the same rows as an Excel workbook: real date cells, numbers, text that is only text', async () => {
    const res = await fx.api.app.inject({
      method: 'GET',
      url: `/api/v1/tenants/${fx.A.id}/calls/export.xlsx?q=7495`,
      headers: { cookie: fx.A.admin.cookie },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-disposition']).toMatch(/filename="calls-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const { default: ExcelJS } = await import('exceljs');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('Calls')!;
    // The header and every call matching "7495" (2,500 generated, the formula one and the priced one).
    expect(sheet.rowCount).toBe(1 + 2502);
    expect(sheet.getRow(1).getCell(1).value).toBe('started_at');
    const newest = sheet.getRow(2);
    expect(newest.getCell(1).value).toEqual(new Date('2026-12-01T09:50:01.000Z'));
    expect(newest.getCell(5).value).toBe(60);
    expect(newest.getCell(8).value).toBe('Иванов, Пётр "Ltd"');
    expect(newest.getCell(14).value).toBe(250);
    const formula = sheet.getRow(3).getCell(8);
    expect(formula.value).toBe('=HYPERLINK("http://evil.test","click")');
    expect(formula.type).toBe(ExcelJS.ValueType.String);
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.A.id}/calls/export.pdf`, { as: fx.A.admin })).status,
    ).toBe(400);
  });

  it("takes the list's filters, and gives a user only their own calls", async () => {
    const filtered = await fx.call('GET', `${url()}?q=74951112233`, { as: fx.A.admin });
    expect(parse(filtered.text)).toHaveLength(2);
    const range = await fx.call('GET', `${url()}?from=2026-12-01T09:00:10.000Z&to=2026-12-01T09:00:20.000Z`, {
      as: fx.A.admin,
    });
    expect(parse(range.text)).toHaveLength(11);
    const mine = await fx.call('GET', url(), { as: fx.A.user });
    expect(mine.status).toBe(200);
    const lines = parse(mine.text);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${own},`);
    expect((await fx.call('GET', `${url()}?limit=5`, { as: fx.A.admin })).status).toBe(400);
  });
});
