/**
 * A tenant's own SIP request-rate limit (issue 12: per-tenant limits "configurable per
 * platform and ideally per tenant"): requests a second naming its domain, per budget
 * (its phones, strangers). Null: the platform's NIMBUS_SIP_TENANT_RATE_LIMIT.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants add column sip_requests_per_second integer`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table tenants drop column sip_requests_per_second`.execute(db);
}
