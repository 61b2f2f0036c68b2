/**
 * Queue and agent reports (from the 15-minute `queue_stats` rows, every node's
 * and run's rows added up) and trunk utilisation (from the call records that
 * went through a trunk), over a period in the tenant's time zone.
 *
 * Definitions (docs/reports.md): service level at T = answered within T seconds
 * / offered; ASA = wait of answered callers / answered; AHT = talk of handled
 * calls / handled; abandonment rate = abandoned / offered. A trunk's channel is
 * busy from the call's start to its end; the peak of a day or an hour is the
 * most channels busy at any instant of it, calls already running at its start
 * included.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { HOUR_MS, hoursFit, inner, QUARTER_MS, quartersFit } from './report-buckets.js';

const n = (v: unknown) => Number(v ?? 0);
const ratio = (a: number, b: number, digits = 4) =>
  b > 0 ? Math.round((a / b) * 10 ** digits) / 10 ** digits : null;

export interface QueueDay {
  date: string;
  offered: number;
  answered: number;
  abandoned: number;
}

export interface AgentRow {
  agent: string;
  offered: number;
  answered: number;
  missed: number;
  talkSec: number;
  wrapUpSec: number;
  pauseSec: number;
}

export interface QueueReportRow {
  queueId: string;
  name: string;
  offered: number;
  answered: number;
  abandoned: number;
  /** Of the abandoned, callers whose node died while they waited and who could not be called back. */
  lostToNodeFailure: number;
  handled: number;
  /** Seconds → share of offered calls answered within them (0..1). */
  serviceLevel: Record<string, number | null>;
  asaSec: number | null;
  ahtSec: number | null;
  abandonRate: number | null;
  longestWaitSec: number;
  byDay: QueueDay[];
  agents: AgentRow[];
}

export interface TrunkReportRow {
  trunk: string;
  calls: number;
  answered: number;
  /** Talk minutes (answer to end), one decimal. */
  minutes: number;
  peak: number;
  byDay: { date: string; calls: number; minutes: number; peak: number }[];
  /** Local hour ('YYYY-MM-DD HH:00') → peak; only for periods of at most 31 days. */
  byHour: { hour: string; peak: number }[];
}

/** Hours are listed per trunk only up to this long a period (a year of hours is 8,784 points). */
export const TRUNK_HOURS_MAX_DAYS = 31;
/** A call running into the period is found if it started at most this long before it. */
const LONGEST_CALL = '1 day';

export async function queueReport(
  db: Kysely<Database>,
  tenantId: string,
  from: Date,
  to: Date,
  timeZone: string,
  raw = false,
): Promise<QueueReportRow[]> {
  // Whole UTC hours from queue_hour_stats (migration 0023), the edges (and zones whose
  // offset is not whole hours, where an hour is in two local days) from queue_stats.
  const hours = raw || !hoursFit(timeZone, from, to) ? null : inner(from, to, HOUR_MS);
  const edges = hours
    ? sql`((s.interval_start >= ${from} and s.interval_start < ${hours.a}) or (s.interval_start >= ${hours.b} and s.interval_start < ${to}))`
    : sql`s.interval_start >= ${from} and s.interval_start < ${to}`;
  const range = sql`s.tenant_id = ${tenantId}::uuid and ${edges}`;
  const rolled = hours
    ? sql`h.tenant_id = ${tenantId}::uuid and h.bucket >= ${hours.a} and h.bucket < ${hours.b}`
    : sql`false`;
  const f = (k: string) => sql`coalesce((s.figures ->> ${k})::numeric, 0)`;
  const day = (col: ReturnType<typeof sql>) =>
    sql`to_char(date_trunc('day', ${col} at time zone ${timeZone}), 'YYYY-MM-DD')`;
  const [days, within, agents, names, lost] = await Promise.all([
    sql<Record<string, unknown>>`select queue, date, sum(offered) as offered, sum(answered) as answered,
        sum(abandoned) as abandoned, sum(answerwait) as answerwait, sum(talk) as talk, sum(handled) as handled,
        max(longest) as longest
      from (
        select h.queue_id as queue, ${day(sql`h.bucket`)} as date, h.offered, h.answered, h.abandoned,
          h.answer_wait_sec as answerwait, h.talk_sec as talk, h.handled, h.longest_wait_sec as longest
        from queue_hour_stats h where ${rolled} and h.agent = '' and h.rows > 0
        union all
        select s.queue_id, ${day(sql`s.interval_start`)}, ${f('offered')}, ${f('answered')}, ${f('abandoned')},
          ${f('answerWaitSec')}, ${f('talkSec')}, ${f('handled')}, ${f('longestWaitSec')}
        from queue_stats s where ${range} and s.agent = ''
      ) u
      group by 1, 2 order by 1, 2`.execute(db),
    sql<Record<string, unknown>>`select queue, threshold, sum(answered) as answered
      from (
        select h.queue_id as queue, h.threshold, h.answered from queue_hour_within h
        where ${rolled} and h.entries > 0
        union all
        select s.queue_id, w.key, w.value::numeric
        from queue_stats s cross join lateral jsonb_each_text(s.figures -> 'answeredWithin') w
        where ${range} and s.agent = ''
      ) u
      group by 1, 2`.execute(db),
    sql<Record<string, unknown>>`select queue, agent, sum(offered) as offered, sum(answered) as answered,
        sum(missed) as missed, sum(talk) as talk, sum(wrapup) as wrapup, sum(pause) as pause
      from (
        select h.queue_id as queue, h.agent, h.offered, h.answered, h.missed, h.talk_sec as talk,
          h.wrap_up_sec as wrapup, h.pause_sec as pause
        from queue_hour_stats h where ${rolled} and h.agent <> '' and h.rows > 0
        union all
        select s.queue_id, s.agent, ${f('offered')}, ${f('answered')}, ${f('missed')}, ${f('talkSec')},
          ${f('wrapUpSec')}, ${f('pauseSec')}
        from queue_stats s where ${range} and s.agent <> ''
      ) u
      group by 1, 2 order by 1, 2`.execute(db),
    db
      .selectFrom('routingObjects')
      .select(['id', 'name'])
      .where('tenantId', '=', tenantId)
      .where('kind', '=', 'queue')
      .execute(),
    // Rare rows (a partial index holds them: migration 0026), so read from queue_stats directly.
    sql<
      Record<string, unknown>
    >`select s.queue_id as queue, sum((s.figures ->> 'lostNodeFailure')::numeric) as lost
      from queue_stats s
      where s.tenant_id = ${tenantId}::uuid and s.interval_start >= ${from} and s.interval_start < ${to}
        and s.agent = '' and (s.figures ->> 'lostNodeFailure')::numeric > 0
      group by 1`.execute(db),
  ]);
  const byQueue = new Map<string, QueueReportRow & { answerWait: number; talk: number }>();
  const queue = (id: string) => {
    let q = byQueue.get(id);
    if (!q) {
      q = {
        queueId: id,
        name: names.find((x) => x.id === id)?.name ?? '',
        offered: 0,
        answered: 0,
        abandoned: 0,
        lostToNodeFailure: 0,
        handled: 0,
        serviceLevel: {},
        asaSec: null,
        ahtSec: null,
        abandonRate: null,
        longestWaitSec: 0,
        byDay: [],
        agents: [],
        answerWait: 0,
        talk: 0,
      };
      byQueue.set(id, q);
    }
    return q;
  };
  for (const r of days.rows) {
    const q = queue(String(r.queue));
    const day = {
      date: String(r.date),
      offered: n(r.offered),
      answered: n(r.answered),
      abandoned: n(r.abandoned),
    };
    q.byDay.push(day);
    q.offered += day.offered;
    q.answered += day.answered;
    q.abandoned += day.abandoned;
    q.handled += n(r.handled);
    q.answerWait += n(r.answerwait);
    q.talk += n(r.talk);
    q.longestWaitSec = Math.max(q.longestWaitSec, n(r.longest));
  }
  for (const r of lost.rows) queue(String(r.queue)).lostToNodeFailure = n(r.lost);
  const withinBy = new Map<string, [number, number][]>();
  for (const r of within.rows) {
    const list = withinBy.get(String(r.queue)) ?? [];
    list.push([n(r.threshold), n(r.answered)]);
    withinBy.set(String(r.queue), list);
  }
  for (const r of agents.rows)
    queue(String(r.queue)).agents.push({
      agent: String(r.agent),
      offered: n(r.offered),
      answered: n(r.answered),
      missed: n(r.missed),
      talkSec: Math.round(n(r.talk)),
      wrapUpSec: Math.round(n(r.wrapup)),
      pauseSec: Math.round(n(r.pause)),
    });
  return [...byQueue.values()]
    .map(({ answerWait, talk, ...q }) => {
      const sl: Record<string, number | null> = {};
      for (const [t, answered] of (withinBy.get(q.queueId) ?? []).sort((a, b) => a[0] - b[0]))
        sl[String(t)] = ratio(answered, q.offered);
      return {
        ...q,
        serviceLevel: sl,
        asaSec: ratio(answerWait, q.answered, 1),
        ahtSec: ratio(talk, q.handled, 1),
        abandonRate: ratio(q.abandoned, q.offered),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.queueId.localeCompare(b.queueId));
}

/**
 * Calls, minutes and peaks of concurrent channels per trunk. Calls and minutes of
 * whole 15-minute UTC quarters come from call_trunk_quarters (migration 0023's
 * triggers keep it), the period's ragged edges from the calls (`raw`: all from the
 * calls; tests compare). The database gives the calls' [start, end) intervals (as
 * epoch milliseconds: a year is 800,000 of them and numbers parse faster than
 * dates) and the local hours; the peaks are a sweep in code (sweepPeaks), which a
 * year of calls needs: as one SQL window over the events it sorted on disk and
 * took seconds. `tenantId` null: every tenant's calls (the operator's view).
 */
export async function trunkReport(
  db: Kysely<Database>,
  tenantId: string | null,
  from: Date,
  to: Date,
  timeZone: string,
  now = new Date(),
  raw = false,
): Promise<TrunkReportRow[]> {
  const tenant = tenantId === null ? sql`true` : sql`tenant_id = ${tenantId}::uuid`;
  const local = (col: ReturnType<typeof sql>) => sql`(${col} at time zone ${timeZone})`;
  const quarters = raw || !quartersFit(timeZone, from, to) ? null : inner(from, to, QUARTER_MS);
  const callFigures = sql`count(*) as calls, count(answered_at) as answered,
        coalesce(sum(extract(epoch from ended_at - answered_at)) filter (where answered_at is not null and ended_at is not null), 0) as talk`;
  const totalsSql = quarters
    ? sql<Record<string, unknown>>`select trunk, to_char(date_trunc('day', l), 'YYYY-MM-DD') as date,
          sum(calls) as calls, sum(answered) as answered, sum(talk) as talk
        from (
          select trunk, ${local(sql`bucket`)} as l, calls, answered, talk_sec as talk
          from call_trunk_quarters
          where ${tenant} and bucket >= ${quarters.a} and bucket < ${quarters.b} and calls > 0
          union all
          select trunk, date_trunc('hour', ${local(sql`started_at`)}) as l, ${callFigures}
          from calls
          where ${tenant} and trunk is not null
            and ((started_at >= ${from} and started_at < ${quarters.a}) or (started_at >= ${quarters.b} and started_at < ${to}))
          group by 1, 2
        ) u
        group by 1, 2 having sum(calls) > 0 order by 1, 2`
    : sql<Record<string, unknown>>`select trunk,
          to_char(date_trunc('day', ${local(sql`started_at`)}), 'YYYY-MM-DD') as date, ${callFigures}
        from calls where ${tenant} and trunk is not null and started_at >= ${from} and started_at < ${to}
        group by 1, 2 order by 1, 2`;
  const [totals, intervals, hours] = await Promise.all([
    totalsSql.execute(db),
    // The channels each call held inside the period (a call started before it is clipped to it).
    sql<{ trunk: string; s: number; e: number }>`select trunk,
          (extract(epoch from greatest(started_at, ${from}::timestamptz)) * 1000)::float8 as s,
          (extract(epoch from least(coalesce(ended_at, ${now}::timestamptz), ${to}::timestamptz)) * 1000)::float8 as e
        from calls
        where ${tenant} and trunk is not null and started_at < ${to}
          and started_at >= ${from}::timestamptz - ${LONGEST_CALL}::interval
          and coalesce(ended_at, ${now}::timestamptz) > ${from}`.execute(db),
    // Each local hour of the period: the instant it starts and its label.
    sql<{ t: Date; label: string }>`select greatest(h at time zone ${timeZone}, ${from}::timestamptz) as t,
          to_char(h, 'YYYY-MM-DD HH24:00') as label
        from generate_series(date_trunc('hour', ${local(sql`${from}::timestamptz`)}),
          ${local(sql`${to}::timestamptz`)}, '1 hour') as h
        where (h at time zone ${timeZone}) < ${to}
        order by h`.execute(db),
  ]);
  const out = new Map<string, TrunkReportRow & { talk: number }>();
  const row = (trunk: string) => {
    let r = out.get(trunk);
    if (!r) {
      r = { trunk, calls: 0, answered: 0, minutes: 0, peak: 0, byDay: [], byHour: [], talk: 0 };
      out.set(trunk, r);
    }
    return r;
  };
  for (const r of totals.rows) {
    const t = row(String(r.trunk));
    t.calls += n(r.calls);
    t.answered += n(r.answered);
    t.talk += n(r.talk);
    t.byDay.push({
      date: String(r.date),
      calls: n(r.calls),
      minutes: Math.round(n(r.talk) / 6) / 10,
      peak: 0,
    });
  }
  const withHours = to.getTime() - from.getTime() <= TRUNK_HOURS_MAX_DAYS * 86_400_000;
  for (const r of sweepPeaks(intervals.rows, hours.rows, to)) {
    const t = row(String(r.trunk));
    const hour = String(r.hour);
    const peak = n(r.peak);
    t.peak = Math.max(t.peak, peak);
    if (withHours) t.byHour.push({ hour, peak });
    const date = hour.slice(0, 10);
    let day = t.byDay.find((d) => d.date === date);
    if (!day) {
      if (peak === 0) continue;
      day = { date, calls: 0, minutes: 0, peak: 0 };
      t.byDay.push(day);
    }
    day.peak = Math.max(day.peak, peak);
  }
  return [...out.values()]
    .map(({ talk, ...t }) => ({
      ...t,
      minutes: Math.round(talk / 6) / 10,
      byDay: t.byDay.sort((a, b) => a.date.localeCompare(b.date)),
    }))
    .sort((a, b) => a.trunk.localeCompare(b.trunk));
}

/**
 * Peak channels per trunk and local hour: starts and ends each sorted, then merged
 * in time order — +1 at a start, -1 at an end, ends first at the same instant (so
 * back-to-back calls do not overlap). An hour's peak is the most channels busy at
 * any instant of it, counting those already busy when it starts.
 */
export function sweepPeaks(
  intervals: readonly { trunk: string; s: Date | number; e: Date | number }[],
  hours: readonly { t: Date; label: string }[],
  to: Date,
): { trunk: string; hour: string; peak: number }[] {
  const byTrunk = new Map<string, { s: number[]; e: number[] }>();
  for (const iv of intervals) {
    const s = Number(iv.s);
    const e = Number(iv.e);
    if (!(s < e)) continue;
    let t = byTrunk.get(iv.trunk);
    if (!t) {
      t = { s: [], e: [] };
      byTrunk.set(iv.trunk, t);
    }
    t.s.push(s);
    t.e.push(e);
  }
  const out: { trunk: string; hour: string; peak: number }[] = [];
  for (const [trunk, t] of byTrunk) {
    const starts = Float64Array.from(t.s).sort();
    const ends = Float64Array.from(t.e).sort();
    let i = 0;
    let j = 0;
    let level = 0;
    for (let h = 0; h < hours.length; h++) {
      const hourStart = hours[h]!.t.getTime();
      const hourEnd = h + 1 < hours.length ? hours[h + 1]!.t.getTime() : to.getTime();
      // Everything before the hour, and the ends at its first instant, make its opening level.
      while (i < starts.length && starts[i]! < hourStart) {
        while (j < ends.length && ends[j]! <= starts[i]!) {
          level--;
          j++;
        }
        level++;
        i++;
      }
      while (j < ends.length && ends[j]! <= hourStart) {
        level--;
        j++;
      }
      let peak = level;
      while (i < starts.length && starts[i]! < hourEnd) {
        while (j < ends.length && ends[j]! <= starts[i]!) {
          level--;
          j++;
        }
        level++;
        i++;
        if (level > peak) peak = level;
      }
      out.push({ trunk, hour: hours[h]!.label, peak });
    }
  }
  return out;
}
