/**
 * Call reports over the call records of a tenant, in the tenant's time zone,
 * computed by the database from the (tenant_id, started_at) index: totals, calls
 * by day, a weekday × hour heatmap, each extension's load, and callers whose
 * missed calls nobody returned. "Missed" is an inbound or internal call nobody
 * answered (the caller hung up, was refused, or reached no one).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { type QueueReportRow, queueReport, type TrunkReportRow, trunkReport } from './queue-trunk-reports.js';
import { DAY_MS, inner, QUARTER_MS, quartersFit } from './report-buckets.js';

export interface CallReport {
  totals: {
    calls: number;
    answered: number;
    missed: number;
    inbound: number;
    outbound: number;
    internal: number;
    talkSec: number;
    /** Mean seconds from start to answer, over answered calls. */
    avgAnswerSec: number | null;
  };
  byDay: { date: string; calls: number; answered: number; missed: number }[];
  /** ISO weekday (1 Monday … 7 Sunday) × hour, in the tenant's zone; only cells with calls. */
  heatmap: { weekday: number; hour: number; calls: number; missed: number }[];
  byExtension: { number: string; calls: number; answered: number; missed: number; talkSec: number }[];
  /** Outside callers whose last missed call has had no answered call with them since. */
  missedNotReturned: { number: string; missedCalls: number; lastMissedAt: string }[];
}

const n = (v: unknown) => Number(v ?? 0);

/** The numbers call_number_days keeps (an extension number's pattern); others are counted from the calls. */
const ROLLED_UP_NUMBER = /^[0-9]{2,8}$/;

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

export class CallReportRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  /** Each queue's service level, ASA, AHT, abandonment and days, and its agents (queue-trunk-reports.ts). */
  queues(from: Date, to: Date, timeZone: string, opts: { raw?: boolean } = {}): Promise<QueueReportRow[]> {
    return queueReport(this.db, this.tenantId, from, to, timeZone, opts.raw ?? false);
  }

  /** The tenant's calls per trunk: calls, minutes, peaks of concurrent channels. */
  trunks(from: Date, to: Date, timeZone: string, opts: { raw?: boolean } = {}): Promise<TrunkReportRow[]> {
    return trunkReport(this.db, this.tenantId, from, to, timeZone, new Date(), opts.raw ?? false);
  }

  /**
   * The calls report. Whole 15-minute quarters (totals, days, heatmap) and whole UTC
   * days (extension load) are read from the roll-ups migration 0023's triggers keep;
   * the period's ragged edges, and zones whose offset is not whole quarters, from the
   * calls. `raw` computes everything from the calls (tests compare the two).
   */
  async report(
    from: Date,
    to: Date,
    timeZone: string,
    extensions: readonly string[],
    opts: { raw?: boolean } = {},
  ): Promise<CallReport> {
    const t = this.tenantId;
    const local = sql`(started_at at time zone ${timeZone})`;
    const missed = sql`(answered_at is null and direction <> 'outbound')`;
    const rawRow = sql`count(*) as calls, count(answered_at) as answered,
          count(*) filter (where ${missed}) as missed,
          count(*) filter (where direction = 'inbound') as inbound,
          count(*) filter (where direction = 'outbound') as outbound,
          count(*) filter (where direction = 'internal') as internal,
          coalesce(sum(extract(epoch from ended_at - answered_at)) filter (where answered_at is not null and ended_at is not null), 0) as talk,
          coalesce(sum(extract(epoch from answered_at - started_at)) filter (where answered_at is not null), 0) as answer`;
    const quarters = opts.raw || !quartersFit(timeZone, from, to) ? null : inner(from, to, QUARTER_MS);
    const wholeDays =
      opts.raw || !extensions.every((e) => ROLLED_UP_NUMBER.test(e)) ? null : inner(from, to, DAY_MS);
    // Calls started in [from, to) outside [a, b) (the edges the roll-up does not cover).
    const edges = (col: ReturnType<typeof sql>, span: { a: Date; b: Date } | null) =>
      span
        ? sql`((${col} >= ${from} and ${col} < ${span.a}) or (${col} >= ${span.b} and ${col} < ${to}))`
        : sql`${col} >= ${from} and ${col} < ${to}`;
    // Totals, days and the heatmap come from the period's figures per local hour (at most
    // 24 × days rows), summed here: the quarters' rows and the edges' calls.
    const hoursSql = quarters
      ? sql<Record<string, unknown>>`select to_char(l, 'YYYY-MM-DD') as date,
            extract(isodow from l) as weekday, extract(hour from l) as hour,
            sum(calls) as calls, sum(answered) as answered, sum(missed) as missed, sum(inbound) as inbound,
            sum(outbound) as outbound, sum(internal) as internal, sum(talk) as talk, sum(answer) as answer
          from (
            select (bucket at time zone ${timeZone}) as l, calls, answered, missed, inbound, outbound, internal,
              talk_sec as talk, answer_sec as answer
            from call_quarter_stats
            where tenant_id = ${t}::uuid and bucket >= ${quarters.a} and bucket < ${quarters.b} and calls > 0
            union all
            select date_trunc('hour', ${local}) as l, ${rawRow}
            from calls where tenant_id = ${t}::uuid and ${edges(sql`started_at`, quarters)} group by 1
          ) u
          group by 1, 2, 3 order by 1, 3`
      : sql<Record<string, unknown>>`select to_char(date_trunc('hour', ${local}), 'YYYY-MM-DD') as date,
          extract(isodow from ${local}) as weekday, extract(hour from ${local}) as hour, ${rawRow}
        from calls where tenant_id = ${t}::uuid and started_at >= ${from} and started_at < ${to}
        group by 1, 2, 3 order by 1, 3`;
    // An extension's calls: those it made, and those to it (directly, or ringing it on the
    // way): each call unfolded into the distinct numbers it involved (caller, callee, legs).
    const numbers = sql.val([...extensions]);
    const unfolded = (where: ReturnType<typeof sql>) => sql`select x.number, count(*) as calls,
          count(c.answered_at) as answered,
          count(*) filter (where c.answered_at is null and c.direction <> 'outbound' and c.caller <> x.number) as missed,
          coalesce(sum(extract(epoch from c.ended_at - c.answered_at)) filter (where c.answered_at is not null and c.ended_at is not null), 0) as talk
        from calls c
        cross join lateral (
          select c.caller as number union select c.callee
          union select l ->> 'number' from jsonb_array_elements(c.legs) l where l ? 'number'
        ) x
        where c.tenant_id = ${t}::uuid and ${where} and x.number = any(${numbers}::text[])
        group by x.number`;
    const extensionSql = wholeDays
      ? sql<Record<string, unknown>>`select number, sum(calls) as calls, sum(answered) as answered,
            sum(missed) as missed, sum(talk) as talk
          from (
            select number, calls, answered, missed, talk_sec as talk from call_number_days
            where tenant_id = ${t}::uuid and number = any(${numbers}::text[])
              and day >= ${utcDay(wholeDays.a)}::date and day < ${utcDay(wholeDays.b)}::date
            union all
            ${unfolded(edges(sql`c.started_at`, wholeDays))}
          ) u
          group by number having sum(calls) > 0 order by sum(calls) desc, number`
      : sql<Record<string, unknown>>`${unfolded(sql`c.started_at >= ${from} and c.started_at < ${to}`)}
          order by count(*) desc, x.number`;
    const [hours, byExtension, missedNotReturned] = await Promise.all([
      hoursSql.execute(this.db),
      extensions.length === 0
        ? Promise.resolve({ rows: [] as Record<string, unknown>[] })
        : extensionSql.execute(this.db),
      opts.raw
        ? sql<
            Record<string, unknown>
          >`select m.caller as number, count(*) as missed, max(m.started_at) as last
          from calls m
          where m.tenant_id = ${t}::uuid and m.started_at >= ${from} and m.started_at < ${to}
            and m.direction = 'inbound' and m.answered_at is null and m.caller not in ('', 'anonymous')
            and not exists (
              select 1 from calls c
              where c.tenant_id = m.tenant_id and c.callee = m.caller and c.started_at > m.started_at
                and c.answered_at is not null and c.direction = 'outbound')
            and not exists (
              select 1 from calls c
              where c.tenant_id = m.tenant_id and c.caller = m.caller and c.started_at > m.started_at
                and c.answered_at is not null and c.direction = 'inbound')
          group by m.caller order by max(m.started_at) desc limit 200`.execute(this.db)
        : // A missed call is returned when the number's latest answered call (either way)
          // started after it; call_last_answered holds that latest start per number.
          sql<
            Record<string, unknown>
          >`select m.caller as number, count(*) as missed, max(m.started_at) as last
          from calls m
          left join call_last_answered k on k.tenant_id = m.tenant_id and k.number = m.caller
          where m.tenant_id = ${t}::uuid and m.started_at >= ${from} and m.started_at < ${to}
            and m.direction = 'inbound' and m.answered_at is null and m.caller not in ('', 'anonymous')
            and (k.last_at is null or k.last_at <= m.started_at)
          group by m.caller order by max(m.started_at) desc limit 200`.execute(this.db),
    ]);
    const totals = {
      calls: 0,
      answered: 0,
      missed: 0,
      inbound: 0,
      outbound: 0,
      internal: 0,
      talk: 0,
      answer: 0,
    };
    const days = new Map<string, { date: string; calls: number; answered: number; missed: number }>();
    const cells = new Map<string, { weekday: number; hour: number; calls: number; missed: number }>();
    for (const r of hours.rows) {
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += n(r[k]);
      const date = String(r.date);
      const day = days.get(date) ?? { date, calls: 0, answered: 0, missed: 0 };
      day.calls += n(r.calls);
      day.answered += n(r.answered);
      day.missed += n(r.missed);
      days.set(date, day);
      const cellKey = `${n(r.weekday)}/${n(r.hour)}`;
      const cell = cells.get(cellKey) ?? { weekday: n(r.weekday), hour: n(r.hour), calls: 0, missed: 0 };
      cell.calls += n(r.calls);
      cell.missed += n(r.missed);
      cells.set(cellKey, cell);
    }
    return {
      totals: {
        calls: totals.calls,
        answered: totals.answered,
        missed: totals.missed,
        inbound: totals.inbound,
        outbound: totals.outbound,
        internal: totals.internal,
        talkSec: Math.round(totals.talk),
        avgAnswerSec: totals.answered === 0 ? null : Math.round((totals.answer / totals.answered) * 10) / 10,
      },
      byDay: [...days.values()],
      heatmap: [...cells.values()].sort((x, y) => x.weekday - y.weekday || x.hour - y.hour),
      byExtension: byExtension.rows.map((r) => ({
        number: String(r.number),
        calls: n(r.calls),
        answered: n(r.answered),
        missed: n(r.missed),
        talkSec: Math.round(n(r.talk)),
      })),
      missedNotReturned: missedNotReturned.rows.map((r) => ({
        number: String(r.number),
        missedCalls: n(r.missed),
        lastMissedAt: (r.last instanceof Date ? r.last : new Date(String(r.last))).toISOString(),
      })),
    };
  }
}
