/** Call detail records of one tenant; `CallLog` is the node-wide writer the SIP side uses. */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { CallLeg, CallQualityRecord, CallRecord, CallStatus, Database, RouteStep } from '../schema.js';

export interface CallFilter extends ListQuery {
  status?: CallStatus | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only calls from or to one of these numbers (a user's own history: their extensions). */
  parties?: readonly string[] | undefined;
}

const SORT = { startedAt: 'startedAt' };

export class CallRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  list(f: CallFilter): Promise<Page<CallRecord>> {
    let q = this.db.selectFrom('calls').selectAll().where('tenantId', '=', this.tenantId);
    if (f.status) q = q.where('status', '=', f.status);
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
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) =>
        eb.or([eb('caller', 'ilike', p), eb('callee', 'ilike', p), eb('callerName', 'ilike', p)]),
      );
    }
    return paginate(q, { ...f, desc: f.sort ? f.desc : true }, SORT, 'startedAt');
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
  /** Media quality per leg when the call's media was anchored. */
  quality?: CallQualityRecord | null;
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

/** Retries of a batch the database refused (it went away): 0.5 s doubling, about 15 s in all. */
const RETRIES = 5;

/**
 * Writes for the SIP side: open at the INVITE, mark answered, close at the end.
 * Writes queue up and leave in batches (one multi-row INSERT and one UPDATE per
 * kind per batch, in one transaction), so under load the database does a few
 * statements per batch instead of three per call, and the SIP path never waits.
 * A batch the database refuses is retried with backoff before its writers hear of it.
 */
export class CallLog {
  private queue: Queued[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly db: Kysely<Database>) {}

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
    // Let the current burst of SIP work queue its writes first.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, 2000);
      let error: unknown = null;
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        try {
          await this.write(batch.map((q) => q.op));
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

  private async write(ops: CallOp[]): Promise<void> {
    const opens = ops.filter((o) => o.kind === 'open');
    // Per call, the newest state wins: an answer and a hang-up in one batch become one row update.
    const answeredAt = new Map<string, Date>();
    const closes = new Map<string, { at: Date; end: CallEnd }>();
    for (const o of ops) {
      if (o.kind === 'answered') answeredAt.set(o.id, o.at);
      if (o.kind === 'close') closes.set(o.id, { at: o.at, end: o.end });
    }
    await this.db.transaction().execute(async (trx) => {
      if (opens.length)
        await trx
          .insertInto('calls')
          .values(opens.map((o) => ({ id: o.id, ...o.call, startedAt: o.at, status: 'ringing', legs: '[]' })))
          .execute();
      const answeredOnly = [...answeredAt].filter(([id]) => !closes.has(id));
      if (answeredOnly.length)
        await sql`update calls as c set status = 'answered', answered_at = v.at
          from (values ${sql.join(answeredOnly.map(([id, at]) => sql`(${id}::uuid, ${at}::timestamptz)`))}) as v (id, at)
          where c.id = v.id`.execute(trx);
      if (closes.size)
        await sql`update calls as c set status = 'ended',
            answered_at = coalesce(v.answered_at, c.answered_at), ended_at = v.ended_at, cause = v.cause,
            sip_status = v.sip_status, hangup_by = v.hangup_by, legs = v.legs, trail = v.trail, quality = v.quality, mos = v.mos
          from (values ${sql.join(
            [...closes].map(
              ([id, { at, end }]) =>
                sql`(${id}::uuid, ${answeredAt.get(id) ?? null}::timestamptz, ${at}::timestamptz, ${end.cause}::text,
                  ${end.sipStatus}::integer, ${end.hangupBy}::text, ${JSON.stringify(end.legs)}::jsonb,
                  ${JSON.stringify(end.trail ?? [])}::jsonb, ${end.quality ? JSON.stringify(end.quality) : null}::jsonb, ${worstMos(end.quality)}::real)`,
            ),
          )}) as v (id, answered_at, ended_at, cause, sip_status, hangup_by, legs, trail, quality, mos)
          where c.id = v.id`.execute(trx);
    });
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
