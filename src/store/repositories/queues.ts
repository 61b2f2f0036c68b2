/**
 * Queue agents' logins and pauses, and queue statistics per 15-minute interval
 * (issue 7). Agent rows are per tenant; statistics are written in batches by the
 * queue engine (`QueueStatsLog`, platform-wide like the call log) and read per
 * tenant for reports.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

export interface QueueAgentRow {
  number: string;
  queues: string[];
  paused: boolean;
  pauseReason: string;
}

export interface QueueStatsRow {
  tenantId: string;
  queueId: string;
  intervalStart: Date;
  agent: string;
  figures: Record<string, unknown>;
}

export class QueueAgentRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  async all(): Promise<QueueAgentRow[]> {
    const rows = await this.db
      .selectFrom('queueAgents')
      .select(['number', 'queues', 'paused', 'pauseReason'])
      .where('tenantId', '=', this.tenantId)
      .orderBy('number')
      .execute();
    return rows;
  }

  async save(row: QueueAgentRow): Promise<void> {
    const values = {
      queues: JSON.stringify(row.queues),
      paused: row.paused,
      pauseReason: row.pauseReason,
      updatedAt: new Date(),
    };
    await this.db
      .insertInto('queueAgents')
      .values({ tenantId: this.tenantId, number: row.number, ...values })
      .onConflict((oc) => oc.columns(['tenantId', 'number']).doUpdateSet(values))
      .execute();
  }

  /**
   * Statistics rows of the tenant in [from, to), optionally of one queue; every
   * source's rows (nodes, restarts) come back separately for the caller to add up.
   */
  stats(q: { from: Date; to: Date; queueId?: string }): Promise<QueueStatsRow[]> {
    let query = this.db
      .selectFrom('queueStats')
      .select(['tenantId', 'queueId', 'intervalStart', 'agent', 'figures'])
      .where('tenantId', '=', this.tenantId)
      .where('intervalStart', '>=', q.from)
      .where('intervalStart', '<', q.to);
    if (q.queueId) query = query.where('queueId', '=', q.queueId);
    return query.orderBy('intervalStart').orderBy('agent').execute();
  }
}

/** Writes the engine's changed intervals: one statement per batch, each row replaced whole. */
export class QueueStatsLog {
  constructor(
    private readonly db: Kysely<Database>,
    /** This node and process run: its rows are its own. */
    private readonly source: string,
  ) {}

  async save(rows: QueueStatsRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('queueStats')
      .values(
        rows.map((r) => ({
          tenantId: r.tenantId,
          queueId: r.queueId,
          intervalStart: r.intervalStart,
          agent: r.agent,
          source: this.source,
          figures: JSON.stringify(r.figures),
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['tenantId', 'queueId', 'intervalStart', 'agent', 'source'])
          .doUpdateSet({ figures: sql`excluded.figures` }),
      )
      .execute();
  }
}
