/** Call detail records of one tenant; `CallLog` is the node-wide writer the SIP side uses. */
import { type Kysely, sql } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { CallLeg, CallRecord, CallStatus, Database } from '../schema.js';

export interface CallFilter extends ListQuery {
  status?: CallStatus | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
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
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) =>
        eb.or([eb('caller', 'ilike', p), eb('callee', 'ilike', p), eb('callerName', 'ilike', p)]),
      );
    }
    return paginate(q, { ...f, desc: f.sort ? f.desc : true }, SORT, 'startedAt');
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
}

/** Writes for the SIP side: open at the INVITE, mark answered, close at the end. */
export class CallLog {
  constructor(private readonly db: Kysely<Database>) {}

  async open(c: CallStart): Promise<string> {
    const row = await this.db
      .insertInto('calls')
      .values({ ...c, status: 'ringing', legs: '[]' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async answered(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('calls')
      .set({ status: 'answered', answeredAt: at })
      .where('id', '=', id)
      .execute();
  }

  async close(id: string, at: Date, end: CallEnd): Promise<void> {
    await this.db
      .updateTable('calls')
      .set({
        status: 'ended',
        endedAt: at,
        cause: end.cause,
        sipStatus: end.sipStatus,
        hangupBy: end.hangupBy,
        legs: JSON.stringify(end.legs),
      })
      .where('id', '=', id)
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
