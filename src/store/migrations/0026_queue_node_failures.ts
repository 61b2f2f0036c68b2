/**
 * Callers lost to a node's death (issue 11): a surviving node counts them in its queue
 * statistics as `lostNodeFailure` (also counted abandoned, so rates stay right). The queue
 * report names them apart; they are rare, so a partial index finds the few rows that have
 * any without the report reading every interval of the period again.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index queue_stats_node_failure_idx on queue_stats (tenant_id, interval_start)
    where agent = '' and (figures ->> 'lostNodeFailure')::numeric > 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index queue_stats_node_failure_idx`.execute(db);
}
