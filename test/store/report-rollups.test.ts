/**
 * The calls report from the roll-ups (migration 0023: quarter figures, number days,
 * each number's latest answered call, kept by triggers on `calls`) against the same
 * report computed from the calls alone, on a generated call set written the ways
 * calls are written: the call log's batches (opened, answered and closed in one
 * batch or in later ones), direct inserts, the crash recovery's update, a retention
 * delete. Periods with ragged edges (not on a quarter or a UTC day), zones with
 * half- and quarter-hour offsets and a DST change, a call finalised after its
 * quarter was rolled up, a number whose only answered call is deleted, and a zone
 * whose offset was not whole quarters (the report falls back to the calls).
 */
import { type Insertable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReport } from '../../src/store/repositories/call-reports.js';
import { type CallLog, localHourRanges } from '../../src/store/repositories/calls.js';
import { QueueStatsLog, type QueueStatsRow } from '../../src/store/repositories/queues.js';
import type { CallsTable } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { backends, openTestDb, type TestDb } from '../helpers/db.js';

const EXTENSIONS = ['100', '101', '102', '103', '104', '105', '7000'];
const OUTSIDE = ['+79160000001', '+79160000002', '+79160000003', '+74950000001', '84950000002', '112'];
const ZONES = ['Europe/Moscow', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'UTC'];
const START = Date.parse('2026-10-28T00:00:00Z'); // New York leaves DST on 1 November
const SPAN = 10 * 86_400_000;

/** A small deterministic generator (the same call set on every run). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The report with lists in an order ties cannot change. */
function comparable(r: CallReport) {
  return {
    ...r,
    missedNotReturned: [...r.missedNotReturned].sort((a, b) => a.number.localeCompare(b.number)),
  };
}

describe.each(backends())('report roll-ups on %s', (backend) => {
  let t: TestDb;
  let store: Store;
  let log: CallLog;
  let tenantId: string;
  const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;

  const reports = (from: Date, to: Date, zone: string) =>
    Promise.all([
      store.tenant(tenantId).callReports.report(from, to, zone, EXTENSIONS),
      store.tenant(tenantId).callReports.report(from, to, zone, EXTENSIONS, { raw: true }),
    ]);

  /** Every period and zone below gives the same report both ways. */
  async function expectSame(): Promise<void> {
    const periods: [string, string][] = [
      ['2026-10-28T00:00:00Z', '2026-11-07T00:00:00Z'], // whole days and quarters
      ['2026-10-28T03:07:11Z', '2026-11-06T17:53:02Z'], // ragged edges
      ['2026-10-29T21:00:00Z', '2026-11-03T21:00:00Z'], // Moscow midnights
      ['2026-10-31T10:00:00Z', '2026-10-31T10:20:00Z'], // less than two quarters
      ['2026-11-01T04:45:00Z', '2026-11-01T07:15:00Z'], // New York's repeated hour
    ];
    for (const [f, to] of periods)
      for (const zone of ZONES) {
        const [rolled, raw] = await reports(new Date(f), new Date(to), zone);
        expect(comparable(rolled), `${f} – ${to} in ${zone}`).toEqual(comparable(raw));
        const scope = store.tenant(tenantId).callReports;
        const [trunks, rawTrunks] = await Promise.all([
          scope.trunks(new Date(f), new Date(to), zone),
          scope.trunks(new Date(f), new Date(to), zone, { raw: true }),
        ]);
        expect(trunks, `trunks ${f} – ${to} in ${zone}`).toEqual(rawTrunks);
      }
  }

  beforeAll(async () => {
    t = await openTestDb(backend);
    store = t.store;
    log = store.callLog;
    const tenant = await store.tenants.create({
      name: 'rollups',
      sipDomain: `rollups-${backend}.test`,
      timeZone: 'Europe/Moscow',
      language: 'en',
      country: 'RU',
      maxExtensions: 10,
      maxConcurrentCalls: 5,
    });
    tenantId = tenant.id;
    const r = prng(7);
    const direct: Insertable<CallsTable>[] = [];
    const logged: Promise<void>[] = [];
    for (let i = 0; i < 700; i++) {
      const started = new Date(START + Math.floor(r() * SPAN));
      const direction = pick(r, ['inbound', 'inbound', 'outbound', 'internal'] as const);
      const caller = direction === 'inbound' ? pick(r, [...OUTSIDE, 'anonymous']) : pick(r, EXTENSIONS);
      const callee = direction === 'outbound' ? pick(r, OUTSIDE) : pick(r, [...EXTENSIONS, '600']);
      const answered = r() < 0.6 ? new Date(started.getTime() + Math.floor(r() * 30_000)) : null;
      const ended = r() < 0.95 ? new Date((answered ?? started).getTime() + Math.floor(r() * 900_000)) : null;
      const legs = r() < 0.3 ? [pick(r, EXTENSIONS), pick(r, EXTENSIONS)] : [];
      const trunk = direction === 'internal' ? null : i % 4 < 2 ? 'carrier-a' : 'carrier-b';
      if (i % 2 === 0) {
        direct.push({
          tenantId,
          sipCallId: `d${i}`,
          caller,
          callerName: '',
          callee,
          direction,
          status: ended ? ('ended' as const) : answered ? ('answered' as const) : ('ringing' as const),
          startedAt: started,
          answeredAt: answered,
          endedAt: ended,
          legs: JSON.stringify(legs.map((number) => ({ number }))),
          trunk,
          node: 'direct',
        });
        continue;
      }
      // Through the call log, as the SIP side writes: some answered and closed in the
      // batch that opens them, some in later batches (updates of rows rolled up already).
      const { id, written } = log.open(
        { tenantId, sipCallId: `l${i}`, caller, callerName: '', callee, direction: 'internal', node: 'log' },
        started,
      );
      if (i % 3 === 0) await written;
      if (answered) logged.push(log.answered(id, answered));
      if (ended)
        logged.push(
          log.close(id, ended, {
            cause: answered ? 'normal' : 'no-answer',
            sipStatus: answered ? 200 : 480,
            hangupBy: 'caller',
            legs: legs.map((number) => ({
              number,
              target: `sip:${number}@x`,
              startedAt: started.toISOString(),
              answeredAt: null,
              endedAt: null,
              sipStatus: null,
            })),
            direction,
            trunk,
          }),
        );
      else logged.push(written);
    }
    await store.db.insertInto('calls').values(direct).execute();
    await Promise.all(logged);
    await log.drain();
  });
  afterAll(async () => t?.close());

  it('gives the same report as the calls, written by the call log and by inserts', async () => {
    const [all] = await reports(new Date(START), new Date(START + SPAN), 'Europe/Moscow');
    // The set is the one meant: every call counted, extensions and unreturned callers present.
    expect(all.totals.calls).toBe(700);
    expect(all.byExtension.length).toBeGreaterThan(5);
    expect(all.missedNotReturned.length).toBeGreaterThan(0);
    await expectSame();
  });

  it('counts a call finalised after its quarter was rolled up, and a returned call', async () => {
    const from = new Date('2026-11-02T06:00:00Z');
    const to = new Date('2026-11-02T08:00:00Z');
    const started = new Date('2026-11-02T07:01:00Z');
    const caller = '+79169999999';
    const { id, written } = log.open(
      {
        tenantId,
        sipCallId: 'late',
        caller,
        callerName: '',
        callee: '101',
        direction: 'inbound',
        node: 'log',
      },
      started,
    );
    await written;
    const [before] = await reports(from, to, 'Europe/Moscow');
    expect(before.missedNotReturned.map((m) => m.number)).toContain(caller);
    // Answered and ended an hour later, its quarter long since written.
    await log.answered(id, new Date('2026-11-02T07:01:10Z'));
    await log.close(id, new Date('2026-11-02T08:00:10Z'), {
      cause: 'normal',
      sipStatus: 200,
      hangupBy: 'caller',
      legs: [],
    });
    const [after, raw] = await reports(from, to, 'Europe/Moscow');
    expect(comparable(after)).toEqual(comparable(raw));
    expect(after.totals.calls).toBe(before.totals.calls);
    expect(after.totals.answered).toBe(before.totals.answered + 1);
    expect(after.totals.missed).toBe(before.totals.missed - 1);
    expect(after.totals.talkSec - before.totals.talkSec).toBeGreaterThanOrEqual(3540);
    // Answered now, so the caller is no longer waiting for a call back.
    expect(after.missedNotReturned.map((m) => m.number)).not.toContain(caller);
    await expectSame();
  });

  it('stays exact through the crash recovery, deletes and a number whose answered call goes', async () => {
    const scope = store.tenant(tenantId);
    const missedAt = new Date('2026-11-03T09:00:00Z');
    const returnedAt = new Date('2026-11-03T10:00:00Z');
    const number = '+79168888888';
    const base = {
      tenantId,
      callerName: '',
      node: 'gone',
      legs: '[]',
    };
    await store.db
      .insertInto('calls')
      .values([
        {
          ...base,
          sipCallId: 'm1',
          caller: number,
          callee: '600',
          direction: 'inbound',
          status: 'ended',
          startedAt: missedAt,
          endedAt: new Date(missedAt.getTime() + 20_000),
        },
        {
          ...base,
          sipCallId: 'm2',
          caller: '102',
          callee: number,
          direction: 'outbound',
          status: 'ended',
          startedAt: returnedAt,
          answeredAt: new Date(returnedAt.getTime() + 5_000),
          endedAt: new Date(returnedAt.getTime() + 65_000),
        },
      ])
      .execute();
    const period = [new Date('2026-11-03T00:00:00Z'), new Date('2026-11-04T00:00:00Z')] as const;
    const returned = await scope.callReports.report(...period, 'UTC', EXTENSIONS);
    expect(returned.missedNotReturned.map((m) => m.number)).not.toContain(number);
    // The call back is deleted (retention, an erasure): the missed call is unreturned again.
    await store.db.deleteFrom('calls').where('sipCallId', '=', 'm2').execute();
    const [again, raw] = await reports(...period, 'UTC');
    expect(comparable(again)).toEqual(comparable(raw));
    expect(again.missedNotReturned.find((m) => m.number === number)?.missedCalls).toBe(1);

    // The calls a crashed node left open are closed as interrupted (an update of many rows).
    expect(await log.closeInterrupted('log')).toBeGreaterThan(0);
    // Retention: a day's calls deleted in one statement.
    const cut = await store.db
      .deleteFrom('calls')
      .where('tenantId', '=', tenantId)
      .where('startedAt', '>=', new Date('2026-10-30T00:00:00Z'))
      .where('startedAt', '<', new Date('2026-10-31T00:00:00Z'))
      .executeTakeFirst();
    expect(Number(cut.numDeletedRows)).toBeGreaterThan(30);
    await expectSame();
  });

  it('reads the roll-up (a changed quarter shows) and honours a change of the zone', async () => {
    const from = new Date('2026-11-04T00:00:00Z');
    const to = new Date('2026-11-05T00:00:00Z');
    const [moscow] = await reports(from, to, 'Europe/Moscow');
    const [kolkata] = await reports(from, to, 'Asia/Kolkata');
    // The same calls, other local hours: the roll-up is in UTC, the zone is the report's.
    expect(kolkata.totals).toEqual(moscow.totals);
    expect(kolkata.heatmap).not.toEqual(moscow.heatmap);
    const bump = (by: number) =>
      sql`update call_quarter_stats set calls = calls + ${by}
      where tenant_id = ${tenantId}::uuid and bucket = (select min(bucket) from call_quarter_stats
        where tenant_id = ${tenantId}::uuid and bucket >= ${from} and calls > 0)
      returning bucket`.execute(store.db);
    expect((await bump(1)).rows).toHaveLength(1);
    try {
      const [rolled, raw] = await reports(from, to, 'Europe/Moscow');
      expect(rolled.totals.calls).toBe(raw.totals.calls + 1);
    } finally {
      await bump(-1);
    }
    const bumpTrunk = (by: number) =>
      sql`update call_trunk_quarters set calls = calls + ${by}
      where tenant_id = ${tenantId}::uuid and trunk = 'carrier-a' and bucket = (select min(bucket)
        from call_trunk_quarters where tenant_id = ${tenantId}::uuid and trunk = 'carrier-a'
          and bucket >= ${from} and calls > 0)
      returning bucket`.execute(store.db);
    expect((await bumpTrunk(1)).rows).toHaveLength(1);
    try {
      const scope = store.tenant(tenantId).callReports;
      const [rolled, raw] = await Promise.all([
        scope.trunks(from, to, 'Europe/Moscow'),
        scope.trunks(from, to, 'Europe/Moscow', { raw: true }),
      ]);
      const calls = (rows: typeof raw) => rows.find((x) => x.trunk === 'carrier-a')?.calls ?? 0;
      expect(calls(rolled)).toBe(calls(raw) + 1);
    } finally {
      await bumpTrunk(-1);
    }
  });

  it('finds a heatmap cell’s calls through the start ranges as the exact test does', async () => {
    const from = new Date('2026-10-28T03:07:00Z');
    const to = new Date('2026-11-06T17:53:00Z');
    for (const timeZone of ['America/New_York', 'Asia/Kolkata', 'Europe/Moscow'])
      for (const cell of [{ weekday: 7, hour: 1 }, { weekday: 3 }, { hour: 14 }, { weekday: 1, hour: 0 }]) {
        const listed = await store
          .tenant(tenantId)
          .calls.list({ limit: 1000, offset: 0, from, to, timeZone, ...cell });
        const local = sql`(started_at at time zone ${timeZone})`;
        const expected = await sql<{ id: string }>`select id from calls where tenant_id = ${tenantId}::uuid
            and started_at >= ${from} and started_at < ${to}
            and (${cell.weekday ?? null}::int is null or extract(isodow from ${local}) = ${cell.weekday ?? null}::int)
            and (${cell.hour ?? null}::int is null or extract(hour from ${local}) = ${cell.hour ?? null}::int)`.execute(
          store.db,
        );
        expect(listed.items.map((c) => c.id).sort(), `${timeZone} ${JSON.stringify(cell)}`).toEqual(
          expected.rows.map((r) => r.id).sort(),
        );
      }
  });

  it('gives the same queue report from the hourly roll-up as from queue_stats, through rewrites and deletes', async () => {
    const queues = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];
    const r = prng(11);
    const rowsOf = (): QueueStatsRow[] => {
      const out: QueueStatsRow[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < 160; i++) {
        const intervalStart = new Date(START + Math.floor(r() * (SPAN / 900_000)) * 900_000);
        const queueId = pick(r, queues);
        const n = () => Math.floor(r() * 12);
        // One row per queue, interval and agent in a batch (as the engine writes them).
        const key = `${queueId}/${intervalStart.getTime()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          tenantId,
          queueId,
          intervalStart,
          agent: '',
          figures: {
            offered: n(),
            answered: n(),
            abandoned: n(),
            answerWaitSec: n() * 7.5,
            talkSec: n() * 61,
            handled: n(),
            longestWaitSec: n() * 5,
            // A threshold with nobody answered within it still counts (SL 0, not absent).
            answeredWithin: r() < 0.8 ? { 20: n(), 30: n() } : { 20: 0 },
          },
        });
        out.push({
          tenantId,
          queueId,
          intervalStart,
          agent: pick(r, ['101', '102']),
          figures: {
            offered: n(),
            answered: n(),
            missed: n(),
            talkSec: n() * 60,
            wrapUpSec: n(),
            pauseSec: n(),
          },
        });
      }
      return out;
    };
    const periods: [string, string][] = [
      ['2026-10-28T00:00:00Z', '2026-11-07T00:00:00Z'],
      ['2026-10-28T03:07:11Z', '2026-11-06T17:53:02Z'],
      ['2026-10-29T21:00:00Z', '2026-11-03T21:00:00Z'],
      ['2026-11-01T04:45:00Z', '2026-11-01T07:15:00Z'],
    ];
    const same = async () => {
      for (const [f, to] of periods)
        for (const zone of ZONES) {
          const scope = store.tenant(tenantId).callReports;
          const [rolled, raw] = await Promise.all([
            scope.queues(new Date(f), new Date(to), zone),
            scope.queues(new Date(f), new Date(to), zone, { raw: true }),
          ]);
          expect(rolled, `queues ${f} – ${to} in ${zone}`).toEqual(raw);
        }
    };
    // Two nodes' rows; then node 1 rewrites its intervals (lower longest waits too),
    // as the engine replaces an interval's row whole while it goes on.
    const one = rowsOf();
    await new QueueStatsLog(store.db, 'node-1').save(one);
    await new QueueStatsLog(store.db, 'node-2').save(rowsOf());
    const [first] = await store
      .tenant(tenantId)
      .callReports.queues(new Date(START), new Date(START + SPAN), 'UTC');
    expect(first?.offered).toBeGreaterThan(100);
    expect(Object.keys(first?.serviceLevel ?? {})).toEqual(['20', '30']);
    await same();
    await new QueueStatsLog(store.db, 'node-1').save(
      one.map((row) => ({ ...row, figures: { ...row.figures, offered: 3, longestWaitSec: 1 } })),
    );
    await same();
    // Retention: a day of statistics deleted.
    await store.db
      .deleteFrom('queueStats')
      .where('tenantId', '=', tenantId)
      .where('intervalStart', '>=', new Date('2026-11-02T00:00:00Z'))
      .where('intervalStart', '<', new Date('2026-11-03T00:00:00Z'))
      .execute();
    await same();
    // And the roll-up is what is read: a changed hour shows.
    const bumped = await sql`update queue_hour_stats set offered = offered + 1
      where (tenant_id, queue_id, agent, bucket) = (select tenant_id, queue_id, agent, bucket from queue_hour_stats
        where tenant_id = ${tenantId}::uuid and agent = '' and rows > 0 and bucket >= ${new Date(START)}
        order by bucket, queue_id limit 1)
      returning queue_id`.execute(store.db);
    expect(bumped.rows).toHaveLength(1);
    const scope = store.tenant(tenantId).callReports;
    const [rolled, raw] = await Promise.all([
      scope.queues(new Date(START), new Date(START + SPAN), 'UTC'),
      scope.queues(new Date(START), new Date(START + SPAN), 'UTC', { raw: true }),
    ]);
    const total = (rows: typeof raw) => rows.reduce((a, q) => a + q.offered, 0);
    expect(total(rolled)).toBe(total(raw) + 1);
  });

  it('goes with a deleted tenant (its calls and queue statistics cascade through the triggers)', async () => {
    const other = await store.tenants.create({
      name: 'rollups-gone',
      sipDomain: `rollups-gone-${backend}.test`,
      timeZone: 'UTC',
      language: 'en',
      country: 'RU',
      maxExtensions: 10,
      maxConcurrentCalls: 5,
    });
    const at = new Date('2026-11-02T10:00:00Z');
    await store.db
      .insertInto('calls')
      .values({
        tenantId: other.id,
        sipCallId: 'gone-1',
        caller: '+79160000001',
        callerName: '',
        callee: '101',
        direction: 'inbound',
        status: 'ended',
        startedAt: at,
        answeredAt: new Date(at.getTime() + 5000),
        endedAt: new Date(at.getTime() + 60_000),
        legs: '[]',
        trunk: 'carrier-a',
        node: 'gone',
      })
      .execute();
    await new QueueStatsLog(store.db, 'node-1').save([
      {
        tenantId: other.id,
        queueId: '00000000-0000-4000-8000-0000000000b1',
        intervalStart: at,
        agent: '',
        figures: { offered: 1, answered: 1, longestWaitSec: 4 },
      },
    ]);
    const count = async () =>
      (
        await sql<{
          n: number;
        }>`select (select count(*) from call_quarter_stats where tenant_id = ${other.id}::uuid)
          + (select count(*) from call_trunk_quarters where tenant_id = ${other.id}::uuid)
          + (select count(*) from call_number_days where tenant_id = ${other.id}::uuid)
          + (select count(*) from call_last_answered where tenant_id = ${other.id}::uuid)
          + (select count(*) from queue_hour_stats where tenant_id = ${other.id}::uuid)
          + (select count(*) from queue_hour_within where tenant_id = ${other.id}::uuid) as n`.execute(
          store.db,
        )
      ).rows[0]!.n;
    expect(Number(await count())).toBe(5);
    expect(await store.tenants.delete(other.id)).toBe(true);
    expect(Number(await count())).toBe(0);
  });

  it('counts from the calls in a zone whose offset was not whole quarters', async () => {
    // Liberia kept UTC−0:44:30 until 1972: a quarter of UTC there spans two local hours.
    // 10:30 UTC is 09:45:30 there; the quarter from it ends at 10:00:30, so a call at
    // 10:44:45 UTC (10:00:15) is in hour 10, which that quarter's start is not.
    const started = new Date('1971-06-01T10:30:00Z');
    await store.db
      .insertInto('calls')
      .values(
        [0, 14.75, 20].map((m) => ({
          tenantId,
          sipCallId: `lr${m}`,
          caller: '101',
          callerName: '',
          callee: '102',
          direction: 'internal' as const,
          status: 'ended' as const,
          startedAt: new Date(started.getTime() + m * 60_000),
          endedAt: new Date(started.getTime() + m * 60_000 + 30_000),
          legs: '[]',
          node: 'old',
        })),
      )
      .execute();
    const from = new Date('1971-06-01T00:00:00Z');
    const to = new Date('1971-06-02T00:00:00Z');
    const [rolled, raw] = await reports(from, to, 'Africa/Monrovia');
    expect(comparable(rolled)).toEqual(comparable(raw));
    expect(rolled.heatmap.map((c) => [c.hour, c.calls])).toEqual([
      [9, 1],
      [10, 2],
    ]);
  });
});

describe('start ranges of a heatmap cell', () => {
  it('hold every instant whose local weekday and hour match, across DST changes', () => {
    const from = new Date('2026-03-01T00:00:00Z');
    const to = new Date('2026-11-30T00:00:00Z');
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const cells = [{ weekday: 7, hour: 1 }, { weekday: 7, hour: 2 }, { hour: 1 }];
    // New York and Lord Howe (a half-hour DST change) move their clocks; Kathmandu is +5:45.
    for (const zone of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        weekday: 'short',
        hour: 'numeric',
        hourCycle: 'h23',
      });
      const ranges = cells.map((c) => localHourRanges(from, to, zone, c.weekday, c.hour)!);
      for (const r of ranges) expect(r.length).toBeGreaterThan(30);
      let hits = 0;
      // Every 5 minutes of the period (offsets here change on the hour or half-hour).
      for (let at = from.getTime(); at < to.getTime(); at += 300_000) {
        const p = Object.fromEntries(format.formatToParts(at).map((x) => [x.type, x.value]));
        const weekday = days.indexOf(p.weekday!) + 1;
        const hour = Number(p.hour);
        cells.forEach((cell, i) => {
          if ((cell.weekday !== undefined && weekday !== cell.weekday) || hour !== cell.hour) return;
          hits++;
          const inside = ranges[i]!.some(([a, b]) => a.getTime() <= at && at < b.getTime());
          if (!inside) expect.fail(`${zone} ${JSON.stringify(cell)}: ${new Date(at).toISOString()} outside`);
        });
      }
      expect(hits).toBeGreaterThan(1000);
    }
  });
});
