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

export class CallReportRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  /** Each queue's service level, ASA, AHT, abandonment and days, and its agents (queue-trunk-reports.ts). */
  queues(from: Date, to: Date, timeZone: string): Promise<QueueReportRow[]> {
    return queueReport(this.db, this.tenantId, from, to, timeZone);
  }

  /** The tenant's calls per trunk: calls, minutes, peaks of concurrent channels. */
  trunks(from: Date, to: Date, timeZone: string): Promise<TrunkReportRow[]> {
    return trunkReport(this.db, this.tenantId, from, to, timeZone);
  }

  async report(from: Date, to: Date, timeZone: string, extensions: readonly string[]): Promise<CallReport> {
    const t = this.tenantId;
    const local = sql`(started_at at time zone ${timeZone})`;
    const range = sql`tenant_id = ${t}::uuid and started_at >= ${from} and started_at < ${to}`;
    const missed = sql`(answered_at is null and direction <> 'outbound')`;
    // Totals, days and the heatmap come from one pass: the period's calls counted per local
    // hour (at most 24 × days rows), then summed here. Each pass over a month of a busy
    // tenant's calls costs ~100 ms, most of it the time-zone conversion per row.
    const [hours, byExtension, missedNotReturned] = await Promise.all([
      sql<Record<string, unknown>>`select to_char(date_trunc('hour', ${local}), 'YYYY-MM-DD') as date,
          extract(isodow from ${local}) as weekday, extract(hour from ${local}) as hour,
          count(*) as calls, count(answered_at) as answered,
          count(*) filter (where ${missed}) as missed,
          count(*) filter (where direction = 'inbound') as inbound,
          count(*) filter (where direction = 'outbound') as outbound,
          count(*) filter (where direction = 'internal') as internal,
          coalesce(sum(extract(epoch from ended_at - answered_at)) filter (where answered_at is not null and ended_at is not null), 0) as talk,
          coalesce(sum(extract(epoch from answered_at - started_at)) filter (where answered_at is not null), 0) as answer
        from calls where ${range} group by 1, 2, 3 order by 1, 3`.execute(this.db),
      // An extension's calls: those it made, and those to it (directly, or ringing it on the way).
      // One pass over the period's calls, each unfolded into the distinct numbers it involved
      // (caller, callee, legs), kept where a number is one of the extensions.
      extensions.length === 0
        ? Promise.resolve({ rows: [] as Record<string, unknown>[] })
        : sql<Record<string, unknown>>`select x.number, count(*) as calls, count(c.answered_at) as answered,
            count(*) filter (where c.answered_at is null and c.direction <> 'outbound' and c.caller <> x.number) as missed,
            coalesce(sum(extract(epoch from c.ended_at - c.answered_at)) filter (where c.answered_at is not null and c.ended_at is not null), 0) as talk
          from calls c
          cross join lateral (
            select c.caller as number union select c.callee
            union select l ->> 'number' from jsonb_array_elements(c.legs) l where l ? 'number'
          ) x
          where c.tenant_id = ${t}::uuid and c.started_at >= ${from} and c.started_at < ${to}
            and x.number = any(${sql.val([...extensions])}::text[])
          group by x.number order by count(*) desc, x.number`.execute(this.db),
      sql<Record<string, unknown>>`select m.caller as number, count(*) as missed, max(m.started_at) as last
        from calls m
        where m.tenant_id = ${t}::uuid and m.started_at >= ${from} and m.started_at < ${to}
          and m.direction = 'inbound' and m.answered_at is null and m.caller not in ('', 'anonymous')
          -- Two lookups, each down one of the (tenant, number, started_at) indexes.
          and not exists (
            select 1 from calls c
            where c.tenant_id = m.tenant_id and c.callee = m.caller and c.started_at > m.started_at
              and c.answered_at is not null and c.direction = 'outbound')
          and not exists (
            select 1 from calls c
            where c.tenant_id = m.tenant_id and c.caller = m.caller and c.started_at > m.started_at
              and c.answered_at is not null and c.direction = 'inbound')
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
