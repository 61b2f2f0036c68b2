/**
 * Call recordings: `RecordingRepository` is one tenant's (list, play, delete,
 * erase a customer's); `RecordingLog` is the node-wide writer the SIP side uses
 * and the retention sweeper's source of expired rows.
 */
import { type Kysely, sql } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Database, Recording } from '../schema.js';

export interface RecordingFilter extends ListQuery {
  callId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only recordings one of these extensions took part in (a user's own). */
  parties?: readonly string[] | undefined;
}

const SORT = { startedAt: 'startedAt', durationMs: 'durationMs' };

export class RecordingRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  /** Recordings that exist (stored ones, and those still being made), newest first by default. */
  list(f: RecordingFilter): Promise<Page<Recording>> {
    let q = this.db
      .selectFrom('recordings')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('status', 'in', ['stored', 'recording']);
    if (f.callId) q = q.where('callId', '=', f.callId);
    if (f.from) q = q.where('startedAt', '>=', f.from);
    if (f.to) q = q.where('startedAt', '<', f.to);
    if (f.parties) {
      const parties = [...f.parties];
      q =
        parties.length === 0
          ? q.where(sql<boolean>`false`)
          : q.where(sql<boolean>`parties ?| array[${sql.join(parties)}]::text[]`);
    }
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('caller', 'ilike', p), eb('callee', 'ilike', p)]));
    }
    return paginate(q, { ...f, desc: f.sort ? f.desc : true }, SORT, 'startedAt');
  }

  get(id: string): Promise<Recording | undefined> {
    return this.db
      .selectFrom('recordings')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The stored recordings of calls with this outside number (an erasure request), at most `limit`. */
  storedWithNumber(number: string, limit: number): Promise<Recording[]> {
    return this.db
      .selectFrom('recordings')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('status', '=', 'stored')
      .where((eb) => eb.or([eb('caller', '=', number), eb('callee', '=', number)]))
      .orderBy('startedAt')
      .limit(limit)
      .execute();
  }

  /** Marks a recording deleted (its audio is already gone); false when it was not stored. */
  async markDeleted(id: string, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('recordings')
      .set({ status: 'deleted', deletedAt: new Date(), deletedBy: by })
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .where('status', '=', 'stored')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

export interface RecordingStart {
  id: string;
  tenantId: string;
  callId: string;
  node: string;
  trigger: 'policy' | 'onDemand';
  mode: 'mixed' | 'stereo';
  storage: 'disk' | 's3';
  key: string;
  caller: string;
  callee: string;
  parties: string[];
  startedAt: Date;
}

export class RecordingLog {
  constructor(private readonly db: Kysely<Database>) {}

  async open(r: RecordingStart): Promise<void> {
    await this.db
      .insertInto('recordings')
      .values({ ...r, status: 'recording', parties: JSON.stringify(r.parties) })
      .execute();
  }

  /** The audio is in its place (`storage`/`key`): the recording can be listened to. */
  async stored(
    id: string,
    end: {
      endedAt: Date;
      durationMs: number;
      pausedMs: number;
      bytes: number;
      storage: 'disk' | 's3';
      key: string;
    },
  ): Promise<void> {
    await this.db
      .updateTable('recordings')
      .set({ status: 'stored', ...end })
      .where('id', '=', id)
      .execute();
  }

  async failed(id: string, error: string, endedAt = new Date()): Promise<void> {
    await this.db
      .updateTable('recordings')
      .set({ status: 'failed', error, endedAt })
      .where('id', '=', id)
      .execute();
  }

  /** A recording of any tenant by id (a signed link names it). */
  byId(id: string): Promise<Recording | undefined> {
    return this.db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** This node's recordings still open (a crash): for recovery at start. */
  openOn(node: string): Promise<Recording[]> {
    return this.db
      .selectFrom('recordings')
      .selectAll()
      .where('node', '=', node)
      .where('status', '=', 'recording')
      .execute();
  }

  /**
   * Stored recordings past their tenant's retention, oldest first. Each is deleted
   * by the sweeper and then marked, so a sweep that stops half-way resumes.
   */
  expired(now: Date, limit: number, node: string | null = null): Promise<Recording[]> {
    let q = this.db
      .selectFrom('recordings')
      .innerJoin('tenants', 'tenants.id', 'recordings.tenantId')
      .selectAll('recordings')
      .where('recordings.status', '=', 'stored')
      .where(sql<boolean>`(tenants.recording->>'retentionDays') is not null`)
      .where(
        sql<boolean>`recordings.started_at < ${now}::timestamptz
          - make_interval(days => (tenants.recording->>'retentionDays')::int)`,
      )
      .orderBy('recordings.startedAt')
      .limit(limit);
    if (node !== null) q = q.where('recordings.node', '=', node);
    return q.execute();
  }

  async markExpired(id: string): Promise<void> {
    await this.db
      .updateTable('recordings')
      .set({ status: 'deleted', deletedAt: new Date(), deletedBy: 'retention' })
      .where('id', '=', id)
      .where('status', '=', 'stored')
      .execute();
  }
}
