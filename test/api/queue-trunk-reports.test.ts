/**
 * The queue and agent report and the trunk report against figures worked out by
 * hand (Moscow time, UTC+3). Queue statistics rows from two nodes (sources) for
 * the same queue add up; a row after midnight in Moscow belongs to the next day.
 * Trunk peaks: back-to-back calls (one ends as the next starts) do not overlap, a
 * call already running when an hour starts counts in it, and a call started
 * before the period counts for concurrency but not as one of its calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('queue and trunk reports', () => {
  let fx: Fixture;
  let sales = '';
  let support = '';
  const period = `from=${encodeURIComponent('2026-12-07T00:00:00+03:00')}&to=${encodeURIComponent('2026-12-09T00:00:00+03:00')}`;

  beforeAll(async () => {
    fx = await createFixture('pglite');
    await fx.store.tenants.update(fx.A.id, { timeZone: 'Europe/Moscow' });
    const queue = async (tenantId: string, name: string) =>
      (
        await fx.store.db
          .insertInto('routingObjects')
          .values({ tenantId, kind: 'queue', name, number: null, config: '{}' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    sales = await queue(fx.A.id, 'Sales');
    support = await queue(fx.A.id, 'Support');
    const q = (o: Record<string, unknown>) => ({
      offered: 0,
      answered: 0,
      abandoned: 0,
      abandonWaitSec: 0,
      answerWaitSec: 0,
      talkSec: 0,
      handled: 0,
      longestWaitSec: 0,
      answeredWithin: {},
      lostNodeFailure: 0,
      ...o,
    });
    const stat = (
      tenantId: string,
      queueId: string,
      at: string,
      source: string,
      agent: string,
      f: object,
    ) => ({
      tenantId,
      queueId,
      intervalStart: new Date(at),
      agent,
      source,
      figures: JSON.stringify(f),
    });
    await fx.store.db
      .insertInto('queueStats')
      .values([
        stat(
          fx.A.id,
          sales,
          '2026-12-07T06:00:00Z',
          'n1',
          '',
          q({
            offered: 10,
            answered: 8,
            abandoned: 2,
            answerWaitSec: 80,
            talkSec: 1200,
            handled: 8,
            longestWaitSec: 40,
            answeredWithin: { 20: 6, 30: 7 },
          }),
        ),
        stat(
          fx.A.id,
          sales,
          '2026-12-07T06:15:00Z',
          'n2',
          '',
          q({
            offered: 5,
            answered: 4,
            abandoned: 1,
            answerWaitSec: 60,
            talkSec: 400,
            handled: 3,
            longestWaitSec: 70,
            answeredWithin: { 20: 2, 30: 4 },
          }),
        ),
        // 01:00 on Tuesday in Moscow.
        stat(
          fx.A.id,
          sales,
          '2026-12-07T22:00:00Z',
          'n1',
          '',
          q({
            offered: 5,
            answered: 3,
            abandoned: 2,
            answerWaitSec: 30,
            talkSec: 300,
            handled: 3,
            longestWaitSec: 25,
            answeredWithin: { 20: 3, 30: 3 },
          }),
        ),
        stat(fx.A.id, sales, '2026-12-07T06:00:00Z', 'n1', '101', {
          offered: 6,
          answered: 5,
          missed: 1,
          talkSec: 700,
          wrapUpSec: 50,
          pauseSec: 120,
        }),
        stat(fx.A.id, sales, '2026-12-07T06:15:00Z', 'n2', '101', {
          offered: 3,
          answered: 2,
          missed: 1,
          talkSec: 200,
          wrapUpSec: 20,
          pauseSec: 0,
        }),
        stat(fx.A.id, sales, '2026-12-07T06:00:00Z', 'n1', '102', {
          offered: 4,
          answered: 3,
          missed: 1,
          talkSec: 500,
          wrapUpSec: 30,
          pauseSec: 300,
        }),
        stat(
          fx.A.id,
          support,
          '2026-12-08T10:00:00Z',
          'n1',
          '',
          q({ offered: 1, abandoned: 1, abandonWaitSec: 9 }),
        ),
        // A survivor's count of a caller lost when node n2 died (one of the abandoned).
        stat(
          fx.A.id,
          sales,
          '2026-12-08T09:00:00Z',
          'n1',
          '',
          q({ abandoned: 1, abandonWaitSec: 30, lostNodeFailure: 1 }),
        ),
        // After the period (00:00 on 9 December in Moscow), and another tenant's.
        stat(fx.A.id, support, '2026-12-08T21:00:00Z', 'n1', '', q({ offered: 100, lostNodeFailure: 3 })),
        stat(fx.B.id, sales, '2026-12-07T06:00:00Z', 'n1', '', q({ offered: 100, lostNodeFailure: 4 })),
      ])
      .execute();

    const call = (
      tenantId: string,
      id: string,
      trunk: string | null,
      start: string,
      end: string,
      answer?: string,
    ) => ({
      tenantId,
      sipCallId: id,
      caller: '+79160000001',
      callerName: '',
      callee: '101',
      direction: 'inbound' as const,
      status: 'ended' as const,
      startedAt: new Date(start),
      answeredAt: answer ? new Date(answer) : null,
      endedAt: new Date(end),
      cause: answer ? 'normal' : 'no-answer',
      sipStatus: answer ? 200 : 480,
      hangupBy: 'caller' as const,
      legs: '[]',
      trunk,
      node: 'test',
    });
    const d = (hm: string, day = '07') => `2026-12-${day}T${hm}:00Z`;
    await fx.store.db
      .insertInto('calls')
      .values([
        call(fx.A.id, 'c1', 'carrier-a', d('06:00'), d('06:10'), d('06:01')),
        call(fx.A.id, 'c2', 'carrier-a', d('06:05'), d('06:20'), d('06:05')),
        call(fx.A.id, 'c3', 'carrier-a', d('06:08'), d('06:09')),
        call(fx.A.id, 'c4', 'carrier-a', d('06:20'), d('06:30'), d('06:20')),
        call(fx.A.id, 'c5', 'carrier-a', d('06:50'), d('07:30'), d('06:50')),
        // Started at 23:30 on the 6th in Moscow, ends at 00:30 on the 7th.
        call(fx.A.id, 'c6', 'carrier-a', d('20:30', '06'), d('21:30', '06'), d('20:30', '06')),
        call(fx.A.id, 'd1', 'carrier-b', d('10:00'), d('10:05'), d('10:00')),
        call(fx.A.id, 'x1', null, d('06:00'), d('07:00'), d('06:00')),
        call(fx.B.id, 'b1', 'carrier-a', d('06:00'), d('06:10'), d('06:00')),
      ])
      .execute();
  });
  afterAll(async () => fx?.close());

  it('adds up each queue and its agents as worked out by hand', async () => {
    const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/reports/queues?${period}`, {
      as: fx.A.supervisor,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.timeZone).toBe('Europe/Moscow');
    expect(res.json.queues).toEqual([
      {
        queueId: sales,
        name: 'Sales',
        offered: 20,
        answered: 15,
        abandoned: 6,
        lostToNodeFailure: 1,
        handled: 14,
        serviceLevel: { '20': 0.55, '30': 0.7 }, // (6+2+3)/20, (7+4+3)/20
        asaSec: 11.3, // 170 / 15
        ahtSec: 135.7, // 1900 / 14
        abandonRate: 0.3,
        longestWaitSec: 70,
        byDay: [
          { date: '2026-12-07', offered: 15, answered: 12, abandoned: 3 },
          { date: '2026-12-08', offered: 5, answered: 3, abandoned: 3 },
        ],
        agents: [
          { agent: '101', offered: 9, answered: 7, missed: 2, talkSec: 900, wrapUpSec: 70, pauseSec: 120 },
          { agent: '102', offered: 4, answered: 3, missed: 1, talkSec: 500, wrapUpSec: 30, pauseSec: 300 },
        ],
      },
      {
        queueId: support,
        name: 'Support',
        offered: 1,
        answered: 0,
        abandoned: 1,
        lostToNodeFailure: 0,
        handled: 0,
        serviceLevel: {},
        asaSec: null,
        ahtSec: null,
        abandonRate: 1,
        longestWaitSec: 0,
        byDay: [{ date: '2026-12-08', offered: 1, answered: 0, abandoned: 1 }],
        agents: [],
      },
    ]);
  });

  it('finds each trunk’s calls, minutes and peaks of concurrent channels', async () => {
    const day = `from=${encodeURIComponent('2026-12-07T00:00:00+03:00')}&to=${encodeURIComponent('2026-12-08T00:00:00+03:00')}`;
    const res = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/reports/trunks?${day}`, { as: fx.A.admin });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const [a, b] = res.json.trunks;
    expect(res.json.trunks).toHaveLength(2);
    expect({ ...a, byHour: undefined }).toEqual({
      trunk: 'carrier-a',
      calls: 5, // c6 started the day before
      answered: 4,
      minutes: 74, // 9 + 15 + 10 + 40
      peak: 3, // c1, c2, c3 at 06:08 UTC; c4 starts as c2 ends
      byDay: [{ date: '2026-12-07', calls: 5, minutes: 74, peak: 3 }],
      byHour: undefined,
    });
    const hour = (h: string) => a.byHour.find((x: { hour: string }) => x.hour === `2026-12-07 ${h}:00`)?.peak;
    expect(a.byHour).toHaveLength(24);
    expect([hour('00'), hour('01'), hour('09'), hour('10'), hour('11')]).toEqual([1, 0, 3, 1, 0]);
    expect({ ...b, byHour: undefined }).toEqual({
      trunk: 'carrier-b',
      calls: 1,
      answered: 1,
      minutes: 5,
      peak: 1,
      byDay: [{ date: '2026-12-07', calls: 1, minutes: 5, peak: 1 }],
      byHour: undefined,
    });

    // The operator's view counts every tenant's calls on the trunk.
    const all = await fx.call('GET', `/api/v1/platform/reports/trunks?${day}&timeZone=Europe%2FMoscow`, {
      as: fx.operator,
    });
    expect(all.status, JSON.stringify(all.json)).toBe(200);
    expect(all.json.trunks[0]).toMatchObject({ trunk: 'carrier-a', calls: 6, minutes: 84, peak: 4 });
    expect((await fx.call('GET', `/api/v1/platform/reports/trunks?${day}`, { as: fx.A.admin })).status).toBe(
      403,
    );
    const badZone = await fx.call('GET', `/api/v1/platform/reports/trunks?${day}&timeZone=Mars%2FOlympus`, {
      as: fx.operator,
    });
    expect(badZone).toMatchObject({ status: 400, json: { field: 'timeZone' } });
  });

  it('is for managers', async () => {
    for (const r of ['queues', 'trunks'])
      expect(
        (await fx.call('GET', `/api/v1/tenants/${fx.A.id}/reports/${r}?${period}`, { as: fx.A.user })).status,
      ).toBe(403);
  });
});
