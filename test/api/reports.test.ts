/**
 * The call report against figures worked out by hand on a small call set in
 * Moscow time: totals, days and the weekday × hour heatmap in the tenant's zone
 * (a call at 01:30 Moscow on Tuesday is 22:30 UTC on Monday), each extension's
 * load (a group call that rang 102 counts for 102), and missed callers nobody
 * called back (one returned by an outbound call drops out; anonymous never shows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('call reports', () => {
  let fx: Fixture;
  const url = (from: string, to: string) =>
    `/api/v1/tenants/${fx.A.id}/reports/calls?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

  beforeAll(async () => {
    fx = await createFixture('pglite');
    await fx.store.tenants.update(fx.A.id, { timeZone: 'Europe/Moscow' });
    const at = (iso: string, plusSec = 0) => new Date(Date.parse(iso) + plusSec * 1000);
    const call = (
      id: number,
      start: string,
      o: {
        caller: string;
        callee: string;
        direction: 'inbound' | 'outbound' | 'internal';
        answerAfter?: number;
        talk?: number;
        legs?: string[];
      },
    ) => ({
      tenantId: fx.A.id,
      sipCallId: `r${id}`,
      caller: o.caller,
      callerName: '',
      callee: o.callee,
      direction: o.direction,
      status: 'ended' as const,
      startedAt: at(start),
      answeredAt: o.answerAfter === undefined ? null : at(start, o.answerAfter),
      endedAt: at(start, (o.answerAfter ?? 0) + (o.talk ?? 20)),
      cause: o.answerAfter === undefined ? 'no-answer' : 'normal',
      sipStatus: o.answerAfter === undefined ? 480 : 200,
      hangupBy: 'caller' as const,
      legs: JSON.stringify((o.legs ?? []).map((number) => ({ number }))),
      node: 'test',
    });
    await fx.store.db
      .insertInto('calls')
      .values([
        // Monday 7 December 2026, Moscow (UTC+3).
        call(1, '2026-12-07T06:30:00Z', {
          caller: '+79160000001',
          callee: '101',
          direction: 'inbound',
          answerAfter: 5,
          talk: 60,
        }),
        call(2, '2026-12-07T06:45:00Z', {
          caller: '+79160000002',
          callee: '600',
          direction: 'inbound',
          legs: ['101', '102'],
        }),
        call(4, '2026-12-07T07:00:00Z', {
          caller: '101',
          callee: '102',
          direction: 'internal',
          answerAfter: 2,
          talk: 30,
        }),
        call(5, '2026-12-07T09:00:00Z', {
          caller: '101',
          callee: '+79160000002',
          direction: 'outbound',
          answerAfter: 10,
          talk: 120,
        }),
        call(6, '2026-12-07T12:00:00Z', { caller: 'anonymous', callee: '600', direction: 'inbound' }),
        // Tuesday 01:30 in Moscow, still Monday in UTC.
        call(3, '2026-12-07T22:30:00Z', { caller: '+79160000003', callee: '600', direction: 'inbound' }),
        // Outside the period; and another tenant's call.
        call(7, '2026-12-09T06:30:00Z', { caller: '+79160000004', callee: '101', direction: 'inbound' }),
      ])
      .execute();
    await fx.store.db
      .insertInto('calls')
      .values({
        ...call(8, '2026-12-07T06:30:00Z', { caller: '+79160000009', callee: '101', direction: 'inbound' }),
        tenantId: fx.B.id,
      })
      .execute();
  });
  afterAll(async () => fx?.close());

  it('adds up the period in the tenant’s time zone as worked out by hand', async () => {
    const res = await fx.call('GET', url('2026-12-07T00:00:00+03:00', '2026-12-09T00:00:00+03:00'), {
      as: fx.A.admin,
    });
    expect(res.status).toBe(200);
    expect(res.json.timeZone).toBe('Europe/Moscow');
    expect(res.json.totals).toEqual({
      calls: 6,
      answered: 3,
      missed: 3, // calls 2, 3 and 6 (the unanswered outbound would not count: there is none)
      inbound: 4,
      outbound: 1,
      internal: 1,
      talkSec: 210, // 60 + 30 + 120
      avgAnswerSec: 5.7, // (5 + 2 + 10) / 3
    });
    expect(res.json.byDay).toEqual([
      { date: '2026-12-07', calls: 5, answered: 3, missed: 2 },
      { date: '2026-12-08', calls: 1, answered: 0, missed: 1 },
    ]);
    expect(res.json.heatmap).toEqual([
      { weekday: 1, hour: 9, calls: 2, missed: 1 },
      { weekday: 1, hour: 10, calls: 1, missed: 0 },
      { weekday: 1, hour: 12, calls: 1, missed: 0 },
      { weekday: 1, hour: 15, calls: 1, missed: 1 },
      { weekday: 2, hour: 1, calls: 1, missed: 1 },
    ]);
    expect(res.json.byExtension).toEqual([
      // 101: answered call 1, made 4 and 5, and was rung by the group for call 2 (missed).
      { number: '101', calls: 4, answered: 3, missed: 1, talkSec: 210 },
      { number: '102', calls: 2, answered: 1, missed: 1, talkSec: 30 },
    ]);
    // +79160000002 was called back (call 5); anonymous is nobody to call back.
    expect(res.json.missedNotReturned).toEqual([
      { number: '+79160000003', missedCalls: 1, lastMissedAt: '2026-12-07T22:30:00.000Z' },
    ]);
  });

  it('is for managers, and refuses a period that is backwards or longer than a year', async () => {
    const ok = url('2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z');
    expect((await fx.call('GET', ok, { as: fx.A.supervisor })).status).toBe(200);
    expect((await fx.call('GET', ok, { as: fx.A.user })).status).toBe(403);
    const back = await fx.call('GET', url('2026-12-08T00:00:00Z', '2026-12-07T00:00:00Z'), {
      as: fx.A.admin,
    });
    expect(back).toMatchObject({ status: 400, json: { field: 'to' } });
    const long = await fx.call('GET', url('2025-01-01T00:00:00Z', '2026-12-07T00:00:00Z'), {
      as: fx.A.admin,
    });
    expect(long).toMatchObject({ status: 400, json: { field: 'to' } });
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.A.id}/reports/calls`, { as: fx.A.admin })).status,
    ).toBe(400);
  });
});
