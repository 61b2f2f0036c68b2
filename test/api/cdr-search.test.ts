/**
 * CDR search: the calls list and its exports filter by number (caller, callee,
 * any leg; part or whole), extension, direction, disposition, tag, trunk, period
 * and a weekday × hour cell in the tenant's zone. Every figure of the call report
 * is reached by the filters its drill-down link carries: the list's total equals
 * the figure (checked over a generated month of calls).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';

interface Seed {
  caller: string;
  callee: string;
  direction: 'inbound' | 'outbound' | 'internal';
  start: string;
  answerAfter?: number;
  cause?: string;
  sipStatus?: number | null;
  hangupBy?: 'caller' | 'callee' | 'system';
  status?: 'ringing' | 'answered' | 'ended' | 'interrupted';
  legs?: string[];
  tags?: string[];
  trunk?: string | null;
}

describe('CDR search', () => {
  let fx: Fixture;
  const base = () => `/api/v1/tenants/${fx.A.id}/calls`;
  const list = async (query: string) => {
    const res = await fx.call('GET', `${base()}?limit=200&${query}`, { as: fx.A.admin });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json as { total: number; items: { sipCallId: string }[] };
  };
  const ids = async (query: string) => (await list(query)).items.map((c) => c.sipCallId).sort();

  const row = (tenantId: string, id: string, s: Seed) => {
    const start = new Date(s.start);
    const answered = s.answerAfter === undefined ? null : new Date(start.getTime() + s.answerAfter * 1000);
    return {
      tenantId,
      sipCallId: id,
      caller: s.caller,
      callerName: '',
      callee: s.callee,
      direction: s.direction,
      status: s.status ?? ('ended' as const),
      startedAt: start,
      answeredAt: answered,
      endedAt: s.status === 'ringing' ? null : new Date(start.getTime() + 60_000),
      cause: s.cause ?? (answered ? 'normal' : null),
      sipStatus: s.sipStatus ?? (answered ? 200 : null),
      hangupBy: s.hangupBy ?? ('caller' as const),
      legs: JSON.stringify(
        (s.legs ?? []).map((number) => ({
          number,
          target: `sip:${number}@device`,
          startedAt: start.toISOString(),
          answeredAt: null,
          endedAt: null,
          sipStatus: 487,
        })),
      ),
      tags: JSON.stringify(s.tags ?? []),
      trunk: s.trunk ?? null,
      node: 'test',
    };
  };

  beforeAll(async () => {
    fx = await createFixture('pglite');
    await fx.store.tenants.update(fx.A.id, { timeZone: 'Europe/Moscow' });
    const seeds: Record<string, Seed> = {
      // One call of each outcome, Monday 7 December 2026.
      answered: {
        caller: '+79161112233',
        callee: '101',
        direction: 'inbound',
        start: '2026-12-07T07:00:00Z',
        answerAfter: 4,
        trunk: 'carrier-a',
        tags: ['sales'],
      },
      busy: {
        caller: '101',
        callee: '+74950000001',
        direction: 'outbound',
        start: '2026-12-07T07:10:00Z',
        cause: 'busy',
        sipStatus: 486,
        hangupBy: 'callee',
        trunk: 'carrier-b',
      },
      abandoned: {
        caller: '+79162223344',
        callee: '600',
        direction: 'inbound',
        start: '2026-12-07T07:20:00Z',
        cause: 'cancelled',
        sipStatus: 487,
        legs: ['101', '102'],
        trunk: 'carrier-a',
        tags: ['support'],
      },
      missed: {
        caller: '102',
        callee: '101',
        direction: 'internal',
        start: '2026-12-07T07:30:00Z',
        cause: 'no-answer',
        sipStatus: 480,
        hangupBy: 'system',
      },
      declined: {
        caller: '+79163334455',
        callee: '102',
        direction: 'inbound',
        start: '2026-12-07T08:00:00Z',
        cause: 'rejected',
        sipStatus: 603,
        hangupBy: 'callee',
        trunk: 'carrier-a',
      },
      noRoute: {
        caller: '101',
        callee: '+19995550000',
        direction: 'outbound',
        start: '2026-12-07T08:10:00Z',
        cause: 'no-route',
        sipStatus: 404,
        hangupBy: 'system',
      },
      interrupted: {
        caller: '+79161112233',
        callee: '102',
        direction: 'inbound',
        start: '2026-12-07T08:20:00Z',
        status: 'interrupted',
        cause: 'interrupted',
        hangupBy: 'system',
        trunk: 'carrier-a',
      },
      ringing: {
        caller: '+79165556677',
        callee: '101',
        direction: 'inbound',
        start: '2026-12-07T08:30:00Z',
        status: 'ringing',
        cause: undefined,
        hangupBy: undefined,
      },
    };
    const rows = Object.entries(seeds).map(([id, s]) => ({
      ...row(fx.A.id, id, s),
      ...(s.status === 'ringing' ? { hangupBy: null, cause: null } : {}),
    }));
    // A generated month for the drill-down check: a fixed pseudo-random sequence.
    let x = 7;
    const rnd = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const numbers = ['+79160000001', '+79160000002', '+79160000003', 'anonymous'];
    for (let i = 0; i < 400; i++) {
      const direction = (['inbound', 'outbound', 'internal'] as const)[rnd(3)]!;
      const ext = ['101', '102', '103'][rnd(3)]!;
      const outside = numbers[rnd(numbers.length)]!;
      const answeredCall = rnd(3) > 0;
      const start = new Date(Date.UTC(2026, 10, 1) + rnd(30 * 24 * 60) * 60_000).toISOString();
      rows.push(
        row(fx.A.id, `g${i}`, {
          caller: direction === 'outbound' || direction === 'internal' ? ext : outside,
          callee:
            direction === 'outbound'
              ? outside
              : direction === 'internal'
                ? ['101', '102', '103'][rnd(3)]!
                : '600',
          direction,
          start,
          ...(answeredCall ? { answerAfter: rnd(20) } : { cause: 'no-answer', sipStatus: 480 }),
          legs: direction === 'inbound' && rnd(2) ? ['101', '102'] : [],
        }),
      );
    }
    await fx.store.db.insertInto('calls').values(rows).execute();
    // Another tenant's call that every filter would match.
    await fx.store.db
      .insertInto('calls')
      .values(row(fx.B.id, 'other', { ...seeds.answered!, callee: '101' }))
      .execute();
  });
  afterAll(async () => fx?.close());

  const dec7 = `from=${encodeURIComponent('2026-12-07T00:00:00Z')}&to=${encodeURIComponent('2026-12-08T00:00:00Z')}`;

  it('tells the outcomes apart as docs/reports.md defines them', async () => {
    expect(await ids(`${dec7}&disposition=answered`)).toEqual(['answered']);
    expect(await ids(`${dec7}&disposition=busy`)).toEqual(['busy']);
    expect(await ids(`${dec7}&disposition=abandoned`)).toEqual(['abandoned']);
    expect(await ids(`${dec7}&disposition=missed`)).toEqual(['declined', 'missed']);
    expect(await ids(`${dec7}&disposition=failed`)).toEqual(['interrupted', 'noRoute']);
    // Unanswered is all of them and the call still ringing.
    expect(await ids(`${dec7}&disposition=unanswered`)).toHaveLength(7);
    expect(await ids(`${dec7}&disposition=busy,failed`)).toEqual(['busy', 'interrupted', 'noRoute']);
  });

  it('filters by number on either side or a leg, by part or whole', async () => {
    expect(await ids(`${dec7}&number=1112233`)).toEqual(['answered', 'interrupted']);
    expect(await ids(`${dec7}&number=101&numberSide=caller`)).toEqual(['busy', 'noRoute']);
    expect(await ids(`${dec7}&number=101&numberSide=callee`)).toEqual(['answered', 'missed', 'ringing']);
    // Any side: 101 also rang for the group call on the way.
    expect(await ids(`${dec7}&number=101&numberMatch=exact`)).toEqual([
      'abandoned',
      'answered',
      'busy',
      'missed',
      'noRoute',
      'ringing',
    ]);
    expect(await ids(`${dec7}&number=%2B7916111223&numberMatch=exact`)).toEqual([]);
    // A LIKE wildcard is text, not a pattern.
    expect(await ids(`${dec7}&number=%25`)).toEqual([]);
  });

  it('filters by extension, direction, tag, trunk and a weekday × hour cell', async () => {
    expect(await ids(`${dec7}&extension=102`)).toEqual(['abandoned', 'declined', 'interrupted', 'missed']);
    expect(await ids(`${dec7}&direction=outbound`)).toEqual(['busy', 'noRoute']);
    expect(await ids(`${dec7}&direction=outbound,internal`)).toEqual(['busy', 'missed', 'noRoute']);
    expect(await ids(`${dec7}&tag=support`)).toEqual(['abandoned']);
    expect(await ids(`${dec7}&trunk=carrier-a`)).toEqual([
      'abandoned',
      'answered',
      'declined',
      'interrupted',
    ]);
    // 07:xx UTC is 10:xx in Moscow, on Monday (ISO weekday 1).
    expect(await ids(`${dec7}&weekday=1&hour=10`)).toEqual(['abandoned', 'answered', 'busy', 'missed']);
    expect(await ids(`${dec7}&weekday=1&hour=7`)).toEqual([]);
    expect(await ids(`${dec7}&trunk=carrier-a&disposition=unanswered&direction=inbound`)).toEqual([
      'abandoned',
      'declined',
      'interrupted',
    ]);
  });

  it('reaches every figure of the call report through its drill-down filters', async () => {
    const from = '2026-11-01T00:00:00+03:00';
    const to = '2026-12-01T00:00:00+03:00';
    const period = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const report = (
      await fx.call('GET', `/api/v1/tenants/${fx.A.id}/reports/calls?${period}`, { as: fx.A.admin })
    ).json;
    const missed = 'direction=inbound,internal&disposition=unanswered';
    expect((await list(period)).total).toBe(report.totals.calls);
    expect((await list(`${period}&${missed}`)).total).toBe(report.totals.missed);
    for (const cell of report.heatmap) {
      const q = `${period}&weekday=${cell.weekday}&hour=${cell.hour}`;
      expect((await list(q)).total, q).toBe(cell.calls);
      expect((await list(`${q}&${missed}`)).total, q).toBe(cell.missed);
    }
    for (const day of report.byDay) {
      const dayFrom = new Date(`${day.date}T00:00:00+03:00`);
      const dayTo = new Date(dayFrom.getTime() + 86_400_000);
      const q = `from=${dayFrom.toISOString()}&to=${dayTo.toISOString()}`;
      expect((await list(q)).total, q).toBe(day.calls);
      expect((await list(`${q}&disposition=answered`)).total, q).toBe(day.answered);
      expect((await list(`${q}&${missed}`)).total, q).toBe(day.missed);
    }
    expect(report.byExtension.length).toBeGreaterThan(0);
    for (const e of report.byExtension)
      expect((await list(`${period}&extension=${e.number}`)).total, e.number).toBe(e.calls);
    for (const m of report.missedNotReturned) {
      const q = `${period}&number=${encodeURIComponent(m.number)}&numberSide=caller&numberMatch=exact&direction=inbound&disposition=unanswered`;
      expect((await list(q)).total, q).toBe(m.missedCalls);
    }
  });

  it('exports what the filters match, CSV and Excel', async () => {
    const csv = await fx.call('GET', `${base()}/export.csv?${dec7}&trunk=carrier-a&disposition=unanswered`, {
      as: fx.A.admin,
    });
    expect(csv.status).toBe(200);
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    // The header, then 'interrupted', 'declined', 'abandoned' (newest first; the id is the last column).
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.includes(',carrier-a,'))).toBe(true);
    const res = await fx.api.app.inject({
      method: 'GET',
      url: `${base()}/export.xlsx?${dec7}&weekday=1&hour=10&direction=inbound`,
      headers: { cookie: fx.A.admin.cookie },
    });
    expect(res.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('Calls')!;
    expect(sheet.rowCount).toBe(3); // header, 'answered' and 'abandoned'
  });

  it('refuses unknown words and out-of-range cells, naming the field', async () => {
    for (const [q, field] of [
      ['direction=sideways', 'direction'],
      ['disposition=answered,lost', 'disposition'],
      ['weekday=8', 'weekday'],
      ['hour=24', 'hour'],
      ['numberSide=both', 'numberSide'],
    ] as const) {
      const res = await fx.call('GET', `${base()}?${q}`, { as: fx.A.admin });
      expect(res.status, q).toBe(400);
      expect(res.json.field, q).toBe(field);
    }
  });
});
