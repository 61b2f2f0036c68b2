/** Call detail records of one tenant; `CallLog` is the node-wide writer the SIP side uses. */
import { randomUUID } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { IANAZone } from 'luxon';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { CallLeg, CallQualityRecord, CallRecord, CallStatus, Database, RouteStep } from '../schema.js';

export interface CallFilter extends ListQuery {
  status?: CallStatus | undefined;
  /** Only calls that picked up this tag (an IVR menu or choice). */
  tag?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only calls from or to one of these numbers (a user's own history: their extensions). */
  parties?: readonly string[] | undefined;
  /** A number searched for on the side `numberSide` says (default any: caller, callee or a leg rung). */
  number?: string | undefined;
  numberSide?: 'caller' | 'callee' | 'any' | undefined;
  /** 'contains' (default) finds part of a number; 'exact' the whole number (what a drill-down passes). */
  numberMatch?: 'contains' | 'exact' | undefined;
  /** Calls an extension made, took, or was rung for on the way (as the extension report counts them). */
  extension?: string | undefined;
  /** Any of these directions. */
  direction?: readonly CallDirection[] | undefined;
  /** Any of these outcomes (see `dispositionSql`). */
  disposition?: readonly Disposition[] | undefined;
  trunk?: string | undefined;
  /** ISO weekday (1 Monday) and hour of the start in `timeZone` — a heatmap cell. */
  weekday?: number | undefined;
  hour?: number | undefined;
  timeZone?: string | undefined;
}

export const CALL_DIRECTIONS = ['internal', 'inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];
export const DISPOSITIONS = ['answered', 'unanswered', 'missed', 'abandoned', 'busy', 'failed'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/**
 * A call's outcome from its record (docs/reports.md): answered when anyone answered;
 * otherwise, in this order, busy (486/600 or the cause 'busy'), abandoned (the caller
 * hung up while it rang), missed (it rang and nobody answered or someone declined),
 * failed (everything else that ended unanswered: no route, refused by a limit, an
 * error, interrupted). 'unanswered' is all four. A call still ringing is none of them.
 */
export function dispositionSql(d: Disposition, alias = ''): RawBuilder<boolean> {
  const c = (name: string) => sql.ref(alias ? `${alias}.${name}` : name);
  const unanswered = sql`${c('answered_at')} is null`;
  const ended = sql`${c('status')} <> 'ringing'`;
  // coalesce: a null cause or status must read as "no", or `not busy` would be null and drop the row.
  const busy = sql`coalesce(${c('cause')} = 'busy' or ${c('sip_status')} in (486, 600), false)`;
  const abandoned = sql`coalesce(${c('cause')} = 'cancelled' or ${c('hangup_by')} = 'caller', false)`;
  const missed = sql`coalesce(${c('cause')} in ('no-answer', 'rejected') or ${c('sip_status')} in (408, 480, 487, 603), false)`;
  switch (d) {
    case 'answered':
      return sql<boolean>`${c('answered_at')} is not null`;
    case 'unanswered':
      return sql<boolean>`${unanswered}`;
    case 'busy':
      return sql<boolean>`(${unanswered} and ${ended} and ${busy})`;
    case 'abandoned':
      return sql<boolean>`(${unanswered} and ${ended} and not ${busy} and ${abandoned})`;
    case 'missed':
      return sql<boolean>`(${unanswered} and ${ended} and not ${busy} and not ${abandoned} and ${missed})`;
    case 'failed':
      return sql<boolean>`(${unanswered} and ${ended} and not ${busy} and not ${abandoned} and not ${missed})`;
  }
}

const SORT = { startedAt: 'startedAt' };

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The start ranges that hold every instant of [from, to) whose local time in `zone`
 * is on ISO `weekday` and in `hour` (either may be absent): each matching local
 * day or hour, taken back to UTC with the zone's smallest and largest offset in
 * the period (sampled each day, so a DST change is covered either way), then
 * merged. A superset: the exact test stays with the query. Null when there would
 * be too many to help (a long period with only a weekday is 52 ranges; only an
 * hour, one a day).
 */
export function localHourRanges(
  from: Date,
  to: Date,
  zone: string,
  weekday: number | undefined,
  hour: number | undefined,
): [Date, Date][] | null {
  const z = IANAZone.create(zone);
  if (!z.isValid || to.getTime() - from.getTime() > 400 * DAY_MS) return null;
  let minOff = Number.POSITIVE_INFINITY;
  let maxOff = Number.NEGATIVE_INFINITY;
  for (let at = from.getTime(); ; at = Math.min(at + DAY_MS / 2, to.getTime())) {
    const off = z.offset(at) * 60_000;
    minOff = Math.min(minOff, off);
    maxOff = Math.max(maxOff, off);
    if (at >= to.getTime()) break;
  }
  // Local wall-clock days, as milliseconds of a UTC calendar.
  const firstDay = Math.floor((from.getTime() + minOff) / DAY_MS) * DAY_MS;
  const lastDay = Math.floor((to.getTime() + maxOff) / DAY_MS) * DAY_MS;
  const out: [number, number][] = [];
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    const isoDow = ((new Date(day).getUTCDay() + 6) % 7) + 1;
    if (weekday !== undefined && isoDow !== weekday) continue;
    const start = hour === undefined ? day : day + hour * HOUR_MS;
    const end = hour === undefined ? day + DAY_MS : start + HOUR_MS;
    const a = Math.max(from.getTime(), start - maxOff);
    const b = Math.min(to.getTime(), end - minOff);
    if (a >= b) continue;
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  if (out.length > 400) return null;
  return out.map(([a, b]) => [new Date(a), new Date(b)]);
}

export class CallRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  list(f: CallFilter): Promise<Page<CallRecord>> {
    return paginate(this.filtered(f), { ...f, desc: f.sort ? f.desc : true }, SORT, 'startedAt');
  }

  /**
   * Every call the filter matches, newest first, in batches of `batch` rows read by
   * keyset (started_at, id): an export of a year of calls never holds more than a
   * batch, and a call started meanwhile neither shifts nor repeats a row.
   */
  async *stream(f: Omit<CallFilter, 'limit' | 'offset'>, batch = 1000): AsyncGenerator<CallRecord[]> {
    let after: { at: string; id: string } | null = null;
    for (;;) {
      // The key carries the start to the microsecond as text (a JavaScript Date holds
      // milliseconds, which would make the key skip or repeat rows), so the order is the
      // index's own (tenant_id, started_at desc, id desc) and a batch reads no more rows
      // than it returns.
      let q = this.filtered({ ...f, limit: batch, offset: 0 }).select(
        sql<string>`to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('keyAt'),
      );
      if (after) {
        const { at, id } = after;
        q = q.where(sql<boolean>`(started_at, id) < (${at}::timestamptz, ${id}::uuid)`);
      }
      const rows = await q.orderBy('startedAt', 'desc').orderBy('id', 'desc').limit(batch).execute();
      if (rows.length === 0) return;
      yield rows.map(({ keyAt: _, ...row }) => row);
      const last = rows[rows.length - 1]!;
      after = { at: last.keyAt, id: last.id };
      if (rows.length < batch) return;
    }
  }

  private filtered(f: CallFilter) {
    let q = this.db.selectFrom('calls').selectAll().where('tenantId', '=', this.tenantId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.tag) q = q.where(sql<boolean>`tags @> ${JSON.stringify([f.tag])}::jsonb`);
    if (f.from) q = q.where('startedAt', '>=', f.from);
    if (f.to) q = q.where('startedAt', '<', f.to);
    if (f.parties) {
      const parties = [...f.parties];
      if (parties.length === 0) q = q.where(sql<boolean>`false`);
      else
        q = q.where((eb) =>
          eb.or([
            eb('caller', 'in', parties),
            eb('callee', 'in', parties),
            // Calls that rang one of the numbers on the way (a ring group, a forward).
            ...parties.map((p) => sql<boolean>`legs @> ${JSON.stringify([{ number: p }])}::jsonb`),
          ]),
        );
    }
    if (f.number) {
      const exact = f.numberMatch === 'exact';
      const number = f.number;
      const side = f.numberSide ?? 'any';
      const p = likePattern(number);
      q = q.where((eb) => {
        const on = (col: 'caller' | 'callee') => (exact ? eb(col, '=', number) : eb(col, 'ilike', p));
        if (side === 'caller') return on('caller');
        if (side === 'callee') return on('callee');
        // A leg's number is matched whole: legs are the tenant's own extensions.
        return eb.or([
          on('caller'),
          on('callee'),
          sql<boolean>`legs @> ${JSON.stringify([{ number }])}::jsonb`,
        ]);
      });
    }
    if (f.extension) {
      const e = f.extension;
      q = q.where((eb) =>
        eb.or([
          eb('caller', '=', e),
          eb('callee', '=', e),
          sql<boolean>`legs @> ${JSON.stringify([{ number: e }])}::jsonb`,
        ]),
      );
    }
    if (f.direction?.length) q = q.where('direction', 'in', [...f.direction]);
    if (f.disposition?.length) {
      const ds = f.disposition;
      q = q.where((eb) => eb.or(ds.map((d) => dispositionSql(d))));
    }
    if (f.trunk) q = q.where('trunk', '=', f.trunk);
    const local = sql`(started_at at time zone ${f.timeZone ?? 'UTC'})`;
    if (f.weekday !== undefined) q = q.where(sql<boolean>`extract(isodow from ${local}) = ${f.weekday}`);
    if (f.hour !== undefined) q = q.where(sql<boolean>`extract(hour from ${local}) = ${f.hour}`);
    if ((f.weekday !== undefined || f.hour !== undefined) && f.from && f.to) {
      // The test above reads every call of the period; these start ranges (a superset of
      // the cell's instants) let the (tenant_id, started_at) index skip the other hours.
      const ranges = localHourRanges(f.from, f.to, f.timeZone ?? 'UTC', f.weekday, f.hour);
      if (ranges) {
        const within = ranges.map(([a, b]) => sql<boolean>`(started_at >= ${a} and started_at < ${b})`);
        q = q.where(within.length ? sql<boolean>`(${sql.join(within, sql` or `)})` : sql<boolean>`false`);
      }
    }
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) =>
        eb.or([eb('caller', 'ilike', p), eb('callee', 'ilike', p), eb('callerName', 'ilike', p)]),
      );
    }
    return q;
  }

  /** Start, answer and end times of the calls started in [from, to) — what day statistics are made of. */
  timesBetween(
    from: Date,
    to: Date,
    parties?: readonly string[],
  ): Promise<{ startedAt: Date; answeredAt: Date | null; endedAt: Date | null }[]> {
    let q = this.db
      .selectFrom('calls')
      .select(['startedAt', 'answeredAt', 'endedAt'])
      .where('tenantId', '=', this.tenantId)
      .where('startedAt', '>=', from)
      .where('startedAt', '<', to);
    if (parties) {
      const list = [...parties];
      if (list.length === 0) return Promise.resolve([]);
      q = q.where((eb) => eb.or([eb('caller', 'in', list), eb('callee', 'in', list)]));
    }
    return q.orderBy('startedAt').limit(100_000).execute();
  }

  get(id: string): Promise<CallRecord | undefined> {
    return this.db
      .selectFrom('calls')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }
}

export interface CallStart {
  tenantId: string;
  sipCallId: string;
  caller: string;
  callerName: string;
  callee: string;
  direction: 'internal' | 'inbound' | 'outbound';
  node: string;
}

export interface CallEnd {
  cause: string;
  sipStatus: number | null;
  hangupBy: 'caller' | 'callee' | 'system' | null;
  legs: CallLeg[];
  /** The routing steps the call went through (empty for calls that were not routed). */
  trail?: RouteStep[];
  /** Tags the call picked up on its way (an IVR menu or choice tags it: "sales", "vip"). */
  tags?: string[];
  /** Media quality per leg when the call's media was anchored. */
  quality?: CallQualityRecord | null;
  /** Set when routing took the call out through a trunk (the row opened as internal). */
  direction?: CallStart['direction'];
  /** The trunk an external call went through. */
  trunk?: string | null;
  /** What it cost by the rate deck, minor units (rounded). */
  cost?: number | null;
  /** The caller's name as found after the row opened (the phonebook, a CRM), replacing the one sent. */
  callerName?: string | null;
}

/** The worse of the two legs' MOS, for sorting and reports. */
function worstMos(q: CallQualityRecord | null | undefined): number | null {
  const values = [q?.caller?.mos, q?.callee?.mos].filter((m): m is number => typeof m === 'number');
  return values.length ? Math.min(...values) : null;
}

type CallOp =
  | { kind: 'open'; id: string; call: CallStart; at: Date }
  | { kind: 'answered'; id: string; at: Date }
  | { kind: 'close'; id: string; at: Date; end: CallEnd };

interface Queued {
  op: CallOp;
  done: () => void;
  failed: (e: unknown) => void;
}

/** What one batch does to one call's row: everything queued for it, newest state winning. */
interface RowChange {
  open: { call: CallStart; at: Date } | null;
  answeredAt: Date | null;
  close: { at: Date; end: CallEnd } | null;
}

/** Retries of a batch the database refused (it went away): 0.5 s doubling, about 15 s in all. */
const RETRIES = 5;
/** Ops per batch: at most ~20 parameters each, well under PostgreSQL's 65,535 per statement. */
const MAX_BATCH = 2000;

export interface CallLogOptions {
  /**
   * How long the first write queued waits for others before the batch leaves. Each
   * statement costs the embedded database a fixed ~0.3 ms on the SIP thread whatever
   * its size, so a window of a few ms turns the three writes of each call into a few
   * statements per window. A crash within the window loses those rows' latest writes
   * (DESIGN.md §5 allows the row to appear a few ms after the INVITE).
   */
  batchWindowMs?: number;
}

/**
 * Writes for the SIP side: open at the INVITE, mark answered, close at the end.
 * Writes queue up for a few ms and leave in batches of one statement: the calls
 * opened in the batch are inserted already in their newest state (a call answered
 * within the window is inserted answered), the others updated, so under load the
 * database does one statement per window instead of three per call, and the SIP
 * path never waits. Batches leave one at a time, which keeps each call's writes in
 * order. A batch the database refuses is retried with backoff before its writers
 * hear of it.
 */
export class CallLog {
  private queue: Queued[] = [];
  private running: Promise<void> | null = null;
  private readonly windowMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    options: CallLogOptions = {},
  ) {
    this.windowMs = options.batchWindowMs ?? 10;
  }

  /** The row's id is known at once; the promise settles when the row is written. */
  open(c: CallStart, at = new Date()): { id: string; written: Promise<void> } {
    const id = randomUUID();
    return { id, written: this.enqueue({ kind: 'open', id, call: c, at }) };
  }

  answered(id: string, at: Date): Promise<void> {
    return this.enqueue({ kind: 'answered', id, at });
  }

  close(id: string, at: Date, end: CallEnd): Promise<void> {
    return this.enqueue({ kind: 'close', id, at, end });
  }

  /** Resolves when everything queued so far is written (or has failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private enqueue(op: CallOp): Promise<void> {
    return new Promise((done, failed) => {
      this.queue.push({ op, done, failed });
      this.running ??= this.run();
    });
  }

  /** Writes batches until the queue is empty; one batch at a time keeps each call's writes in order. */
  private async run(): Promise<void> {
    while (this.queue.length) {
      // Let the writes of the next few ms join this batch (a full batch leaves at once).
      if (this.queue.length < MAX_BATCH) await new Promise((r) => setTimeout(r, this.windowMs));
      const batch = this.queue.splice(0, MAX_BATCH);
      let error: unknown = null;
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        try {
          await this.write(batch);
          error = null;
          break;
        } catch (e) {
          error = e;
          if (attempt < RETRIES) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
        }
      }
      for (const q of batch) error ? q.failed(error) : q.done();
    }
    this.running = null;
  }

  private async write(batch: Queued[]): Promise<void> {
    const rows = new Map<string, RowChange>();
    for (const { op } of batch) {
      let row = rows.get(op.id);
      if (!row) {
        row = { open: null, answeredAt: null, close: null };
        rows.set(op.id, row);
      }
      if (op.kind === 'open') row.open = { call: op.call, at: op.at };
      else if (op.kind === 'answered') row.answeredAt = op.at;
      else row.close = { at: op.at, end: op.end };
    }
    const inserts: RawBuilder<unknown>[] = [];
    const updates: RawBuilder<unknown>[] = [];
    for (const [id, row] of rows) {
      const { close, answeredAt } = row;
      const end = close?.end;
      const status = close ? 'ended' : answeredAt ? 'answered' : 'ringing';
      // The columns the answer and the end set; null where this batch leaves them as they are.
      const changed = sql`${status}::text, ${answeredAt}::timestamptz, ${close?.at ?? null}::timestamptz,
        ${end?.cause ?? null}::text, ${end?.sipStatus ?? null}::integer, ${end?.hangupBy ?? null}::text,
        ${end ? JSON.stringify(end.legs) : null}::jsonb, ${end ? JSON.stringify(end.trail ?? []) : null}::jsonb,
        ${end ? JSON.stringify(end.tags ?? []) : null}::jsonb,
        ${end?.quality ? JSON.stringify(end.quality) : null}::jsonb, ${end ? worstMos(end.quality) : null}::real,
        ${end?.direction ?? null}::text, ${end?.trunk ?? null}::text, ${end?.cost ?? null}::integer,
        ${end?.callerName ?? null}::text`;
      if (row.open) {
        const c = row.open.call;
        inserts.push(sql`(${id}::uuid, ${c.tenantId}::uuid, ${c.sipCallId}::text, ${c.caller}::text,
          ${c.callerName}::text, ${c.callee}::text, ${c.direction}::text, ${c.node}::text,
          ${row.open.at}::timestamptz, ${changed})`);
      } else updates.push(sql`(${id}::uuid, ${changed})`);
    }
    // One statement, so no transaction around it: the new rows go in through a WITH, which
    // cannot see them, so a row opened in this batch is inserted in its newest state above
    // and only rows of earlier batches are updated.
    const insert = sql`insert into calls (id, tenant_id, sip_call_id, caller, caller_name, callee,
        direction, node, started_at, status, answered_at, ended_at, cause, sip_status, hangup_by,
        legs, trail, tags, quality, mos, trunk, cost)
      select id, tenant_id, sip_call_id, caller, coalesce(new_caller_name, caller_name), callee,
        coalesce(new_direction, direction),
        node, started_at, status, answered_at, ended_at, cause, sip_status, hangup_by, coalesce(legs, '[]'),
        coalesce(trail, '[]'), coalesce(tags, '[]'), quality, mos, trunk, cost
      from (values ${sql.join(inserts)}) as v (id, tenant_id, sip_call_id, caller, caller_name,
        callee, direction, node, started_at, status, answered_at, ended_at, cause, sip_status,
        hangup_by, legs, trail, tags, quality, mos, new_direction, trunk, cost, new_caller_name)`;
    const update = sql`update calls as c set status = v.status,
        answered_at = coalesce(v.answered_at, c.answered_at), ended_at = coalesce(v.ended_at, c.ended_at),
        cause = coalesce(v.cause, c.cause), sip_status = coalesce(v.sip_status, c.sip_status),
        hangup_by = coalesce(v.hangup_by, c.hangup_by), legs = coalesce(v.legs, c.legs),
        trail = coalesce(v.trail, c.trail), tags = coalesce(v.tags, c.tags),
        quality = coalesce(v.quality, c.quality), mos = coalesce(v.mos, c.mos),
        direction = coalesce(v.direction, c.direction), trunk = coalesce(v.trunk, c.trunk),
        cost = coalesce(v.cost, c.cost), caller_name = coalesce(v.caller_name, c.caller_name)
      from (values ${sql.join(updates)}) as v (id, status, answered_at, ended_at, cause, sip_status,
        hangup_by, legs, trail, tags, quality, mos, direction, trunk, cost, caller_name)
      where c.id = v.id`;
    if (inserts.length && updates.length) await sql`with opened as (${insert}) ${update}`.execute(this.db);
    else if (inserts.length) await insert.execute(this.db);
    else if (updates.length) await update.execute(this.db);
  }

  /**
   * A dead node's calls still open, closed as interrupted by a surviving node, with what the
   * live views need to drop them (the node itself can no longer say they ended).
   */
  async closeInterruptedOf(node: string): Promise<
    {
      id: string;
      tenantId: string;
      caller: string;
      callerName: string;
      callee: string;
      startedAt: Date;
      answeredAt: Date | null;
      endedAt: Date | null;
    }[]
  > {
    return this.db
      .updateTable('calls')
      .set({ status: 'interrupted', endedAt: sql`now()`, cause: 'interrupted', hangupBy: 'system' })
      .where('node', '=', node)
      .where('status', 'in', ['ringing', 'answered'])
      .returning(['id', 'tenantId', 'caller', 'callerName', 'callee', 'startedAt', 'answeredAt', 'endedAt'])
      .execute();
  }

  /** After a crash: this node's calls still open are closed as interrupted. */
  async closeInterrupted(node: string): Promise<number> {
    const r = await this.db
      .updateTable('calls')
      .set({ status: 'interrupted', endedAt: sql`now()`, cause: 'interrupted', hangupBy: 'system' })
      .where('node', '=', node)
      .where('status', 'in', ['ringing', 'answered'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
