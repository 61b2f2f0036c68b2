/**
 * Scheduled email reports: a tenant's schedules (ReportScheduleRepository, scoped
 * by tenant) and the node-wide claim of due ones (ReportScheduleQueue).
 */
import type { Insertable, Kysely, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { ReportSchedule, ReportSchedulesTable } from '../report-tables.js';
import type { Database } from '../schema.js';

export type NewReportSchedule = Omit<Insertable<ReportSchedulesTable>, 'tenantId' | 'recipients'> & {
  recipients: string[];
};
export type ReportSchedulePatch = Omit<Updateable<ReportSchedulesTable>, 'tenantId' | 'id' | 'recipients'> & {
  recipients?: string[];
};

/** At most this many schedules per tenant (each one is a mail run). */
export const MAX_SCHEDULES = 50;

export class ReportScheduleRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  list(): Promise<ReportSchedule[]> {
    return this.db
      .selectFrom('reportSchedules')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('reportSchedules')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r?.n ?? 0;
  }

  get(id: string): Promise<ReportSchedule | undefined> {
    return this.db
      .selectFrom('reportSchedules')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  create(s: NewReportSchedule): Promise<ReportSchedule> {
    return this.db
      .insertInto('reportSchedules')
      .values({ ...s, tenantId: this.tenantId, recipients: JSON.stringify(s.recipients) })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(id: string, patch: ReportSchedulePatch): Promise<ReportSchedule | undefined> {
    const { recipients, ...rest } = patch;
    return this.db
      .updateTable('reportSchedules')
      .set({
        ...rest,
        ...(recipients ? { recipients: JSON.stringify(recipients) } : {}),
        updatedAt: new Date(),
      })
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('reportSchedules')
      .where('tenantId', '=', this.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

export interface ClaimedSchedule extends ReportSchedule {
  /** The time it was due (its next_run_at before the claim moved it). */
  dueAt: Date;
}

/** Due schedules of every tenant, claimed so that one node alone sends each. */
export class ReportScheduleQueue {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Claims up to `limit` due schedules: one statement picks them (skipping rows
   * another node holds locked) and moves their next_run_at a lease ahead, so no
   * other node sees them due. The sender then sets the real next run; if this node
   * dies first, the schedule comes due again when the lease ends.
   */
  async claim(now: Date, limit: number, leaseMs: number): Promise<ClaimedSchedule[]> {
    const { rows } = await sql<ReportSchedule & { dueAt: Date }>`
      with due as (
        select id, next_run_at from report_schedules
        where enabled and next_run_at <= ${now}
        order by next_run_at limit ${limit}
        for update skip locked
      )
      update report_schedules s set next_run_at = ${new Date(now.getTime() + leaseMs)}
      from due where s.id = due.id
      returning s.*, due.next_run_at as due_at`.execute(this.db);
    return rows;
  }

  /** After a run: when it is next due, and how this one went (null: sent). */
  async done(id: string, ranAt: Date, nextRunAt: Date, error: string | null): Promise<void> {
    await this.db
      .updateTable('reportSchedules')
      .set({ nextRunAt, lastRunAt: ranAt, lastError: error })
      .where('id', '=', id)
      .execute();
  }
}
