/**
 * Report roll-ups (issue 10): the calls, trunk and queue reports read every row of
 * their period, so a year of a busy tenant took seconds. Tables now hold what they
 * add up, kept by statement-level triggers on `calls` and `queue_stats` — every
 * writer (the call log's batched inserts and updates, the crash recovery that
 * closes interrupted calls, the queue engine's rewrites, retention deletes, seeds)
 * keeps them exact, and a call finalised late changes the figures of the quarter it
 * started in like any other update:
 *
 * - call_quarter_stats: per tenant and 15-minute UTC bucket of started_at, the
 *   counts and sums of the totals, days and heatmap. UTC buckets do not depend on
 *   the tenant's zone (a zone change needs no rebuild); a quarter lies inside one
 *   local hour of every zone whose offset is a whole number of quarters (all zones
 *   today; the report computes others from the calls).
 * - call_trunk_quarters: the same per trunk (calls, answered, talk): the trunk
 *   report's calls and minutes.
 * - call_number_days: per tenant, UTC day and internal-looking number (2–8 digits,
 *   the extension number's pattern) each call involved as caller, callee or a leg —
 *   the extension load.
 * - call_last_answered: per tenant and outside number, when the latest answered call
 *   with it started (inbound from it, outbound to it) — "missed, not called back"
 *   becomes one join instead of two anti-joins per missed call.
 * - queue_hour_stats and queue_hour_within: queue_stats (per queue, agent,
 *   15-minute interval and node, as JSON) added up per UTC hour in typed columns;
 *   the longest wait is a maximum, raised as rows come and looked up again when a
 *   row goes or is rewritten lower. UTC hours suit zones of whole-hour offsets; the
 *   queue report counts others from queue_stats.
 *
 * Plus a GIN index on legs (a number search on any side reads only the calls that
 * rang that number) and a partial index of unanswered inbound calls.
 */
import { type Kysely, sql } from 'kysely';

// The statements below are text: they go into the trigger functions' bodies as well as run here.

/** The 15-minute UTC bucket of a start (buckets begin at :00, :15, :30, :45 UTC). */
const QUARTER = `date_bin('15 minutes', started_at, timestamptz '2000-01-01 00:00:00+00')`;
const TALK = `coalesce(sum(extract(epoch from ended_at - answered_at)) filter (where answered_at is not null and ended_at is not null), 0)`;
const ANSWER = `coalesce(sum(extract(epoch from answered_at - started_at)) filter (where answered_at is not null), 0)`;

/** Each quarter's figures of the rows in `rows` (a transition table), times `sign`. */
const quarterFigures = (rows: string, sign: 1 | -1) => `select tenant_id, ${QUARTER} as bucket,
    ${sign} * count(*) as calls, ${sign} * count(answered_at) as answered,
    ${sign} * count(*) filter (where answered_at is null and direction <> 'outbound') as missed,
    ${sign} * count(*) filter (where direction = 'inbound') as inbound,
    ${sign} * count(*) filter (where direction = 'outbound') as outbound,
    ${sign} * count(*) filter (where direction = 'internal') as internal,
    ${sign} * ${TALK} as talk_sec, ${sign} * ${ANSWER} as answer_sec
  from ${rows} group by 1, 2`;

/** Each trunk's quarter figures of the rows in `rows`, times `sign`: the trunk report's calls and minutes. */
const trunkFigures = (rows: string, sign: 1 | -1) => `select tenant_id, trunk, ${QUARTER} as bucket,
    ${sign} * count(*) as calls, ${sign} * count(answered_at) as answered, ${sign} * ${TALK} as talk_sec
  from ${rows} where trunk is not null group by 1, 2, 3`;

/** The UTC hour of a queue statistics interval. */
const HOUR = `date_bin('1 hour', interval_start, timestamptz '2000-01-01 00:00:00+00')`;
const QS_COLS = [
  ['offered', 'offered'],
  ['answered', 'answered'],
  ['abandoned', 'abandoned'],
  ['answer_wait_sec', 'answerWaitSec'],
  ['talk_sec', 'talkSec'],
  ['handled', 'handled'],
  ['missed', 'missed'],
  ['wrap_up_sec', 'wrapUpSec'],
  ['pause_sec', 'pauseSec'],
] as const;

/** Each (queue, agent, UTC hour) sums of the queue statistics rows in `rows`, times `sign`. */
const queueFigures = (rows: string, sign: 1 | -1) => `select tenant_id, queue_id, agent, ${HOUR} as bucket,
    ${sign} * count(*) as rows,
    ${QS_COLS.map(([col, key]) => `${sign} * coalesce(sum((figures ->> '${key}')::numeric), 0) as ${col}`).join(',\n    ')}
  from ${rows} group by 1, 2, 3, 4`;

/** Each (queue, UTC hour, threshold) answered-within sums of the queue rows in `rows`, times `sign`. */
const withinFigures = (rows: string, sign: 1 | -1) => `select s.tenant_id, s.queue_id, ${HOUR} as bucket,
    w.key as threshold, ${sign} * count(*) as entries, ${sign} * sum(w.value::numeric) as answered
  from ${rows} s cross join lateral jsonb_each_text(s.figures -> 'answeredWithin') w
  where s.agent = ''
  group by 1, 2, 3, 4`;

/** The longest wait of each hour of the queue rows in `rows` (a maximum: only ever raised here). */
const raiseLongest = (
  rows: string,
) => `update queue_hour_stats h set longest_wait_sec = greatest(h.longest_wait_sec, d.longest)
  from (select tenant_id, queue_id, agent, ${HOUR} as bucket,
      max(coalesce((figures ->> 'longestWaitSec')::numeric, 0)) as longest
    from ${rows} group by 1, 2, 3, 4 order by 1, 2, 3, 4) d
  where h.tenant_id = d.tenant_id and h.queue_id = d.queue_id and h.agent = d.agent and h.bucket = d.bucket
    and d.longest > h.longest_wait_sec`;

/**
 * Hours whose longest wait may have gone down (a row deleted, or rewritten lower):
 * looked up again in queue_stats (at most four intervals × the nodes' rows).
 */
const recomputeLongest = (gone: string) => `update queue_hour_stats h set longest_wait_sec = coalesce((
    select max(coalesce((q.figures ->> 'longestWaitSec')::numeric, 0)) from queue_stats q
    where q.tenant_id = h.tenant_id and q.queue_id = h.queue_id and q.agent = h.agent
      and q.interval_start >= h.bucket and q.interval_start < h.bucket + interval '1 hour'), 0)
  from (${gone}) g
  where h.tenant_id = g.tenant_id and h.queue_id = g.queue_id and h.agent = g.agent and h.bucket = g.bucket`;

/** Each (UTC day, number) figures of the rows in `rows`, times `sign`: the extension load's. */
const numberFigures = (rows: string, sign: 1 | -1) => `select c.tenant_id,
    (c.started_at at time zone 'UTC')::date as day, x.number,
    ${sign} * count(*) as calls, ${sign} * count(c.answered_at) as answered,
    ${sign} * count(*) filter (where c.answered_at is null and c.direction <> 'outbound' and c.caller <> x.number) as missed,
    ${sign} * coalesce(sum(extract(epoch from c.ended_at - c.answered_at)) filter (where c.answered_at is not null and c.ended_at is not null), 0) as talk_sec
  from ${rows} c
  cross join lateral (
    select c.caller as number union select c.callee
    union select l ->> 'number' from jsonb_array_elements(c.legs) l where l ? 'number'
  ) x
  where x.number ~ '^[0-9]{2,8}$'
  group by 1, 2, 3`;

/** The answered calls' contacts in `rows`: the caller of an inbound call, the callee of an outbound one. */
const contacts = (rows: string) =>
  `select tenant_id, caller as number, started_at from ${rows} where answered_at is not null and direction = 'inbound'
   union all
   select tenant_id, callee, started_at from ${rows} where answered_at is not null and direction = 'outbound'`;

/** Adds `delta` (rows keyed like the table) into a figures table, in key order (two writers lock rows alike). */
function upsert(table: string, keys: string[], cols: string[], delta: string): string {
  return `insert into ${table} (${[...keys, ...cols].join(', ')})
    select ${keys.join(', ')}, ${cols.map((c) => `sum(${c})`).join(', ')} from (${delta}) d
    group by ${keys.join(', ')}
    having ${cols.map((c) => `sum(${c}) <> 0`).join(' or ')}
    order by ${keys.join(', ')}
    on conflict (${keys.join(', ')}) do update set ${cols.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;
}

/** Takes `delta` away from rows that exist (a delete: the tenant may be going too, so nothing is inserted). */
function subtract(table: string, keys: string[], cols: string[], delta: string): string {
  return `update ${table} t set ${cols.map((c) => `${c} = t.${c} + d.${c}`).join(', ')}
    from (select ${keys.join(', ')}, ${cols.map((c) => `sum(${c}) as ${c}`).join(', ')} from (${delta}) d0
      group by ${keys.join(', ')}) d
    where ${keys.map((k) => `t.${k} = d.${k}`).join(' and ')}`;
}

const Q_KEYS = ['tenant_id', 'bucket'];
const Q_COLS = ['calls', 'answered', 'missed', 'inbound', 'outbound', 'internal', 'talk_sec', 'answer_sec'];
const T_KEYS = ['tenant_id', 'trunk', 'bucket'];
const T_COLS = ['calls', 'answered', 'talk_sec'];
const QH_KEYS = ['tenant_id', 'queue_id', 'agent', 'bucket'];
const QH_COLS = ['rows', ...QS_COLS.map(([col]) => col)];
const QW_KEYS = ['tenant_id', 'queue_id', 'bucket', 'threshold'];
const QW_COLS = ['entries', 'answered'];
const N_KEYS = ['tenant_id', 'number', 'day'];
const N_COLS = ['calls', 'answered', 'missed', 'talk_sec'];

/** Moves call_last_answered forward to the newest answered contact in `rows`. */
const advanceLast = (rows: string) => `insert into call_last_answered (tenant_id, number, last_at)
  select tenant_id, number, max(started_at) from (${contacts(rows)}) s
  group by 1, 2 order by 1, 2
  on conflict (tenant_id, number) do update
    set last_at = greatest(call_last_answered.last_at, excluded.last_at)`;

/**
 * Contacts that went away (deleted, or changed by an update) and were the newest of
 * their number: that number's newest is looked up again in the calls (two index
 * lookups). Rare: a retention delete or a call's answer being taken back.
 */
const recomputeLast = (gone: string) => `update call_last_answered k set last_at = (
    select max(c.started_at) from calls c where c.tenant_id = k.tenant_id and c.answered_at is not null
      and ((c.direction = 'inbound' and c.caller = k.number) or (c.direction = 'outbound' and c.callee = k.number)))
  from (${gone}) g
  where k.tenant_id = g.tenant_id and k.number = g.number and k.last_at = g.started_at`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table call_quarter_stats (
    tenant_id uuid not null references tenants (id) on delete cascade,
    bucket timestamptz not null,
    calls integer not null,
    answered integer not null,
    missed integer not null,
    inbound integer not null,
    outbound integer not null,
    internal integer not null,
    talk_sec numeric not null,
    answer_sec numeric not null,
    primary key (tenant_id, bucket)
  )`.execute(db);
  await sql`create table call_trunk_quarters (
    tenant_id uuid not null references tenants (id) on delete cascade,
    trunk text not null,
    bucket timestamptz not null,
    calls integer not null,
    answered integer not null,
    talk_sec numeric not null,
    primary key (tenant_id, trunk, bucket)
  )`.execute(db);
  await sql`create table call_number_days (
    tenant_id uuid not null references tenants (id) on delete cascade,
    number text not null,
    day date not null,
    calls integer not null,
    answered integer not null,
    missed integer not null,
    talk_sec numeric not null,
    primary key (tenant_id, number, day)
  )`.execute(db);
  await sql`create table call_last_answered (
    tenant_id uuid not null references tenants (id) on delete cascade,
    number text not null,
    -- null: the number's answered calls have all been deleted since.
    last_at timestamptz,
    primary key (tenant_id, number)
  )`.execute(db);

  // What the calls already hold.
  await sql.raw(upsert('call_quarter_stats', Q_KEYS, Q_COLS, quarterFigures('calls', 1))).execute(db);
  await sql.raw(upsert('call_trunk_quarters', T_KEYS, T_COLS, trunkFigures('calls', 1))).execute(db);
  await sql.raw(upsert('call_number_days', N_KEYS, N_COLS, numberFigures('calls', 1))).execute(db);
  await sql.raw(advanceLast('calls')).execute(db);

  await sql
    .raw(`create function calls_rollup_insert() returns trigger language plpgsql as $$
    begin
      ${upsert('call_quarter_stats', Q_KEYS, Q_COLS, quarterFigures('new_calls', 1))};
      ${upsert('call_trunk_quarters', T_KEYS, T_COLS, trunkFigures('new_calls', 1))};
      ${upsert('call_number_days', N_KEYS, N_COLS, numberFigures('new_calls', 1))};
      ${advanceLast('new_calls')};
      return null;
    end $$`)
    .execute(db);
  // An update adds the new rows' figures and takes the old ones' away; rows whose
  // counted columns did not change cancel out (the having clause writes nothing).
  const both = (f: (rows: string, sign: 1 | -1) => string) =>
    `${f('new_calls', 1)} union all ${f('old_calls', -1)}`;
  await sql
    .raw(`create function calls_rollup_update() returns trigger language plpgsql as $$
    begin
      ${upsert('call_quarter_stats', Q_KEYS, Q_COLS, both(quarterFigures))};
      ${upsert('call_trunk_quarters', T_KEYS, T_COLS, both(trunkFigures))};
      ${upsert('call_number_days', N_KEYS, N_COLS, both(numberFigures))};
      ${advanceLast('new_calls')};
      ${recomputeLast(`${contacts('old_calls')} except ${contacts('new_calls')}`)};
      return null;
    end $$`)
    .execute(db);
  await sql
    .raw(`create function calls_rollup_delete() returns trigger language plpgsql as $$
    begin
      ${subtract('call_quarter_stats', Q_KEYS, Q_COLS, quarterFigures('old_calls', -1))};
      ${subtract('call_trunk_quarters', T_KEYS, T_COLS, trunkFigures('old_calls', -1))};
      ${subtract('call_number_days', N_KEYS, N_COLS, numberFigures('old_calls', -1))};
      ${recomputeLast(contacts('old_calls'))};
      return null;
    end $$`)
    .execute(db);
  // Transition tables allow one event per trigger, hence three.
  await sql`create trigger calls_rollup_insert after insert on calls
    referencing new table as new_calls for each statement execute function calls_rollup_insert()`.execute(db);
  await sql`create trigger calls_rollup_update after update on calls
    referencing old table as old_calls new table as new_calls
    for each statement execute function calls_rollup_update()`.execute(db);
  await sql`create trigger calls_rollup_delete after delete on calls
    referencing old table as old_calls for each statement execute function calls_rollup_delete()`.execute(db);

  // The queue report's roll-up: queue_stats (a row per queue, agent, 15-minute
  // interval and node, rewritten whole as the interval goes on) added up per UTC hour
  // into typed columns, kept by triggers on queue_stats like the calls' ones.
  await sql`create table queue_hour_stats (
    tenant_id uuid not null references tenants (id) on delete cascade,
    queue_id uuid not null,
    agent text not null,
    bucket timestamptz not null,
    -- queue_stats rows added in: an hour with none left is not reported.
    rows integer not null,
    ${sql.raw(QS_COLS.map(([col]) => `${col} numeric not null`).join(',\n    '))},
    longest_wait_sec numeric not null default 0,
    primary key (tenant_id, queue_id, agent, bucket)
  )`.execute(db);
  await sql`create table queue_hour_within (
    tenant_id uuid not null references tenants (id) on delete cascade,
    queue_id uuid not null,
    bucket timestamptz not null,
    threshold text not null,
    -- answeredWithin entries added in (a threshold with 0 answered is still reported).
    entries integer not null,
    answered numeric not null,
    primary key (tenant_id, queue_id, bucket, threshold)
  )`.execute(db);
  await sql.raw(upsert('queue_hour_stats', QH_KEYS, QH_COLS, queueFigures('queue_stats', 1))).execute(db);
  await sql.raw(raiseLongest('queue_stats')).execute(db);
  await sql.raw(upsert('queue_hour_within', QW_KEYS, QW_COLS, withinFigures('queue_stats', 1))).execute(db);
  const qsBoth = (f: (rows: string, sign: 1 | -1) => string) =>
    `${f('new_stats', 1)} union all ${f('old_stats', -1)}`;
  const qsKeys = (rows: string) => `select tenant_id, queue_id, agent, ${HOUR} as bucket,
      interval_start, source, coalesce((figures ->> 'longestWaitSec')::numeric, 0) as longest from ${rows}`;
  await sql
    .raw(`create function queue_stats_rollup_insert() returns trigger language plpgsql as $$
    begin
      ${upsert('queue_hour_stats', QH_KEYS, QH_COLS, queueFigures('new_stats', 1))};
      ${raiseLongest('new_stats')};
      ${upsert('queue_hour_within', QW_KEYS, QW_COLS, withinFigures('new_stats', 1))};
      return null;
    end $$`)
    .execute(db);
  await sql
    .raw(`create function queue_stats_rollup_update() returns trigger language plpgsql as $$
    begin
      ${upsert('queue_hour_stats', QH_KEYS, QH_COLS, qsBoth(queueFigures))};
      ${raiseLongest('new_stats')};
      ${recomputeLongest(`select o.tenant_id, o.queue_id, o.agent, o.bucket from (${qsKeys('old_stats')}) o
        left join (${qsKeys('new_stats')}) n on n.tenant_id = o.tenant_id and n.queue_id = o.queue_id
          and n.agent = o.agent and n.interval_start = o.interval_start and n.source = o.source
        where n.tenant_id is null or n.longest < o.longest`)};
      ${upsert('queue_hour_within', QW_KEYS, QW_COLS, qsBoth(withinFigures))};
      return null;
    end $$`)
    .execute(db);
  await sql
    .raw(`create function queue_stats_rollup_delete() returns trigger language plpgsql as $$
    begin
      ${subtract('queue_hour_stats', QH_KEYS, QH_COLS, queueFigures('old_stats', -1))};
      ${recomputeLongest(`select distinct tenant_id, queue_id, agent, bucket from (${qsKeys('old_stats')}) o`)};
      ${subtract('queue_hour_within', QW_KEYS, QW_COLS, withinFigures('old_stats', -1))};
      return null;
    end $$`)
    .execute(db);
  await sql`create trigger queue_stats_rollup_insert after insert on queue_stats
    referencing new table as new_stats for each statement execute function queue_stats_rollup_insert()`.execute(
    db,
  );
  await sql`create trigger queue_stats_rollup_update after update on queue_stats
    referencing old table as old_stats new table as new_stats
    for each statement execute function queue_stats_rollup_update()`.execute(db);
  await sql`create trigger queue_stats_rollup_delete after delete on queue_stats
    referencing old table as old_stats for each statement execute function queue_stats_rollup_delete()`.execute(
    db,
  );

  // "Any side" number search: calls whose legs rang the number, from the index.
  await sql`create index calls_legs_idx on calls using gin (legs jsonb_path_ops)`.execute(db);
  // Missed inbound calls of a period without reading the answered ones.
  await sql`create index calls_missed_inbound_idx on calls (tenant_id, started_at) include (caller)
    where direction = 'inbound' and answered_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const op of ['delete', 'update', 'insert']) {
    await sql.raw(`drop trigger queue_stats_rollup_${op} on queue_stats`).execute(db);
    await sql.raw(`drop function queue_stats_rollup_${op}()`).execute(db);
  }
  await sql`drop table queue_hour_within`.execute(db);
  await sql`drop table queue_hour_stats`.execute(db);
  await sql`drop index calls_missed_inbound_idx`.execute(db);
  await sql`drop index calls_legs_idx`.execute(db);
  await sql`drop trigger calls_rollup_delete on calls`.execute(db);
  await sql`drop trigger calls_rollup_update on calls`.execute(db);
  await sql`drop trigger calls_rollup_insert on calls`.execute(db);
  await sql`drop function calls_rollup_delete()`.execute(db);
  await sql`drop function calls_rollup_update()`.execute(db);
  await sql`drop function calls_rollup_insert()`.execute(db);
  await sql`drop table call_last_answered`.execute(db);
  await sql`drop table call_number_days`.execute(db);
  await sql`drop table call_trunk_quarters`.execute(db);
  await sql`drop table call_quarter_stats`.execute(db);
}
