/**
 * Reports on a million call records (issue 10): fills a fresh PostgreSQL database
 * with 1,000,000 calls of one tenant over a year (plus 250,000 of four other
 * tenants as noise) and a year of 15-minute queue statistics (3 queues × 5
 * agents), all made by generate_series in the database, then times the report
 * queries 30 times each and prints p50 / p95 (target: p95 < 500 ms). The database
 * is dropped at the end.
 *
 *   npx tsx bench/reports-1m.ts [postgres://postgres@127.0.0.1:5432/test] [runs] [runs of year-long cases] [only: a regexp of case names]
 */
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrator.js';
import { Store } from '../src/store/store.js';

const ADMIN_URL = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.argv[3] ?? 30);
/** A year-long report takes seconds: fewer runs of those (not of the list pages) keep the bench within minutes. */
const YEAR_RUNS = Number(process.argv[4] ?? 5);
const ONLY = new RegExp(process.argv[5] ?? '.');
const DB = 'nimbus_bench_reports';
const CALLS = 1_000_000;
const NOISE = 250_000;
const END = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;

async function admin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  await admin(`drop database if exists ${DB}`);
  await admin(`create database ${DB}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: null });
  try {
    const { db } = handle;
    await migrateToLatest(db);
    const store = new Store(db);
    const tenant = async (name: string) =>
      (
        await sql<{
          id: string;
        }>`insert into tenants (name, sip_domain, time_zone, language, country, max_extensions, max_concurrent_calls)
          values (${name}, ${`${name}.bench.test`}, 'Europe/Moscow', 'en', 'RU', 1000, 100) returning id`.execute(
          db,
        )
      ).rows[0]!.id;
    const main = await tenant('main');
    const others = [await tenant('n1'), await tenant('n2'), await tenant('n3'), await tenant('n4')];
    // The report is given the extension numbers (the API reads them from the extensions table).
    const extensions = Array.from({ length: 50 }, (_, i) => String(100 + i));
    const fill = async (tenantId: string, count: number, seed: number) => {
      const t0 = performance.now();
      // One call every ~31.5 s over the year before END, in chunks so each statement stays small.
      const chunk = 250_000;
      for (let off = 0; off < count; off += chunk) {
        await sql`insert into calls (tenant_id, sip_call_id, caller, caller_name, callee, direction, status,
            started_at, answered_at, ended_at, cause, sip_status, hangup_by, legs, tags, trunk, node)
          select ${tenantId}::uuid, 'b' || g, c.caller, '', c.callee, c.direction, 'ended',
            c.started, case when c.outcome < 70 then c.started + (c.h % 20) * interval '1 second' end,
            c.started + (10 + c.h % 600) * interval '1 second',
            case when c.outcome < 70 then 'normal' when c.outcome < 80 then 'no-answer'
              when c.outcome < 88 then 'cancelled' when c.outcome < 94 then 'busy' else 'failed' end,
            case when c.outcome < 70 then 200 when c.outcome < 80 then 480 when c.outcome < 88 then 487
              when c.outcome < 94 then 486 else 503 end,
            case when c.outcome between 80 and 87 then 'caller' else 'callee' end,
            case when c.direction = 'inbound' and c.h % 3 = 0
              then jsonb_build_array(jsonb_build_object('number', (100 + c.h % 50)::text), jsonb_build_object('number', (101 + c.h % 49)::text))
              else '[]'::jsonb end,
            case when c.h % 10 = 0 then '["sales"]'::jsonb else '[]'::jsonb end,
            case when c.direction = 'internal' then null else 'trunk-' || (c.h % 3) end,
            'bench'
          from generate_series(${off + 1}::int, ${Math.min(count, off + chunk)}::int) g
          cross join lateral (select abs(hashint4(g + ${seed}::int)) as h) hh
          cross join lateral (select
            ${END}::timestamptz - (g::float8 * ${(365 * DAY) / count / 1000}) * interval '1 second' as started,
            hh.h, hh.h % 100 as outcome,
            case hh.h % 5 when 0 then 'internal' when 1 then 'outbound' when 2 then 'outbound' else 'inbound' end as direction,
            case when hh.h % 5 in (1, 2, 0) then (100 + hh.h % 50)::text else '+7916' || lpad((hh.h % 20000)::text, 7, '0') end as caller,
            case when hh.h % 5 = 0 then (100 + (hh.h / 7) % 50)::text when hh.h % 5 in (1, 2) then '+7495' || lpad((hh.h % 30000)::text, 7, '0') else '600' end as callee
          ) c`.execute(db);
      }
      return performance.now() - t0;
    };
    console.log(`calls of the tenant: ${CALLS} in ${((await fill(main, CALLS, 1)) / 1000).toFixed(1)} s`);
    let noise = 0;
    for (const [i, o] of others.entries()) noise += await fill(o, NOISE / others.length, 1000 + i);
    console.log(`noise: ${NOISE} calls of 4 other tenants in ${(noise / 1000).toFixed(1)} s`);
    const q0 = performance.now();
    await sql`insert into queue_stats (tenant_id, queue_id, interval_start, agent, source, figures)
      select ${main}::uuid, q.id, i, a.agent, 'bench',
        case when a.agent = '' then jsonb_build_object('offered', 10, 'answered', 8, 'abandoned', 2,
            'abandonWaitSec', 30, 'answerWaitSec', 90, 'talkSec', 1500, 'handled', 8, 'longestWaitSec', 45,
            'answeredWithin', jsonb_build_object('20', 6, '30', 7))
          else jsonb_build_object('offered', 2, 'answered', 2, 'missed', 0, 'talkSec', 300, 'wrapUpSec', 30, 'pauseSec', 60) end
      from generate_series(${new Date(END.getTime() - 365 * DAY)}::timestamptz, ${END}::timestamptz - interval '15 minutes', interval '15 minutes') i
      cross join (values ('00000000-0000-4000-8000-00000000000a'::uuid), ('00000000-0000-4000-8000-00000000000b'::uuid),
        ('00000000-0000-4000-8000-00000000000c'::uuid)) q(id)
      cross join (values (''), ('100'), ('101'), ('102'), ('103'), ('104')) a(agent)`.execute(db);
    console.log(
      `queue statistics: a year × 3 queues × (1 + 5 agents) in ${((performance.now() - q0) / 1000).toFixed(1)} s`,
    );
    await sql`analyze`.execute(db);

    const scope = store.tenant(main);
    const month = { from: new Date(END.getTime() - 30 * DAY), to: END };
    const year = { from: new Date(END.getTime() - 365 * DAY), to: END };
    const tz = 'Europe/Moscow';
    const cases: [string, () => Promise<unknown>][] = [
      ['calls report, 30 days', () => scope.callReports.report(month.from, month.to, tz, extensions)],
      ['calls report, 365 days', () => scope.callReports.report(year.from, year.to, tz, extensions)],
      ['queue report, 30 days', () => scope.callReports.queues(month.from, month.to, tz)],
      ['queue report, 365 days', () => scope.callReports.queues(year.from, year.to, tz)],
      ['trunk report, 30 days', () => scope.callReports.trunks(month.from, month.to, tz)],
      ['trunk report, 365 days', () => scope.callReports.trunks(year.from, year.to, tz)],
      [
        'calls page, 30 days, inbound unanswered',
        () =>
          scope.calls.list({
            limit: 50,
            offset: 0,
            ...month,
            direction: ['inbound'],
            disposition: ['unanswered'],
          }),
      ],
      [
        'calls page, a number (exact), any side, 365 days',
        () =>
          scope.calls.list({ limit: 50, offset: 0, ...year, number: '+79160001234', numberMatch: 'exact' }),
      ],
      [
        'calls page, heatmap cell (Mon 10:00), 365 days',
        () => scope.calls.list({ limit: 50, offset: 0, ...year, weekday: 1, hour: 10, timeZone: tz }),
      ],
      [
        'calls page, extension 120, 30 days',
        () => scope.calls.list({ limit: 50, offset: 0, ...month, extension: '120' }),
      ],
      [
        'export, first batch of 1,000, all calls',
        async () => {
          const it = scope.calls.stream({});
          await it.next();
          await it.return(undefined);
        },
      ],
    ];
    console.log(`\n| query | runs | p50 | p95 |\n| --- | --- | --- | --- |`);
    for (const [name, run] of cases) {
      if (!ONLY.test(name)) continue;
      await run(); // warm
      const times: number[] = [];
      const runs = /report, 365/.test(name) ? YEAR_RUNS : RUNS;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(
        `| ${name} | ${runs} | ${pct(times, 50).toFixed(0)} ms | ${pct(times, 95).toFixed(0)} ms |`,
      );
    }
  } finally {
    await handle.close();
    // BENCH_KEEP=1 leaves the database for EXPLAIN ANALYZE by hand.
    if (process.env.BENCH_KEEP !== '1') await admin(`drop database if exists ${DB}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
