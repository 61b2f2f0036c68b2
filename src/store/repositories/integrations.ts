/**
 * Integrations: a tenant's ticket systems and CRMs (tenant-scoped like every
 * tenant row), and the outbox of their deliveries, claimed across tenants by the
 * sender with `for update skip locked` and a lease, as webhooks' are.
 */
import { type Kysely, sql } from 'kysely';
import type {
  Integration,
  IntegrationConfig,
  IntegrationDelivery,
  IntegrationDeliveryStatus,
  IntegrationKind,
} from '../integration-tables.js';
import { type ListQuery, type Page, paginate } from '../list.js';
import type { Database } from '../schema.js';

export interface IntegrationInput {
  kind: IntegrationKind;
  name: string;
  enabled: boolean;
  config: IntegrationConfig;
  /** Already sealed. */
  secrets: string;
}

export class IntegrationRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  list(): Promise<Integration[]> {
    return this.db
      .selectFrom('integrations')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .orderBy('createdAt')
      .execute();
  }

  get(id: string): Promise<Integration | undefined> {
    return this.db
      .selectFrom('integrations')
      .selectAll()
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
  }

  create(input: IntegrationInput): Promise<Integration> {
    return this.db
      .insertInto('integrations')
      .values({ ...input, config: JSON.stringify(input.config), tenantId: this.tenantId })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(id: string, patch: Partial<Omit<IntegrationInput, 'kind'>>): Promise<Integration | undefined> {
    const { config, ...rest } = patch;
    return this.db
      .updateTable('integrations')
      .set({ ...rest, ...(config ? { config: JSON.stringify(config) } : {}), updatedAt: new Date() })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('integrations')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  deliveries(
    integrationId: string,
    f: ListQuery & { status?: IntegrationDeliveryStatus | undefined },
  ): Promise<Page<IntegrationDelivery>> {
    let q = this.db
      .selectFrom('integrationDeliveries')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('integrationId', '=', integrationId);
    if (f.status) q = q.where('status', '=', f.status);
    return paginate(
      q,
      { ...f, sort: f.sort ?? 'createdAt', desc: f.sort ? f.desc : true },
      { createdAt: 'createdAt' },
      'createdAt',
    );
  }

  delivery(id: string): Promise<IntegrationDelivery | undefined> {
    return this.db
      .selectFrom('integrationDeliveries')
      .selectAll()
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
  }
}

/** A delivery as the sender needs it, with its integration. */
export interface DueIntegrationDelivery {
  id: string;
  tenantId: string;
  integrationId: string;
  eventType: string;
  payload: unknown;
  state: Record<string, unknown>;
  attempts: number;
}

export class IntegrationOutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every enabled integration of every tenant (the sender's and the lookup's cache). */
  enabled(): Promise<Integration[]> {
    return this.db.selectFrom('integrations').selectAll().where('enabled', '=', true).execute();
  }

  byId(id: string): Promise<Integration | undefined> {
    return this.db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Queues deliveries; rows of an integration deleted meanwhile are dropped by the join. */
  async add(
    rows: { tenantId: string; integrationId: string; eventType: string; payload: unknown }[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map(
          (r) =>
            sql`(${r.tenantId}::uuid, ${r.integrationId}::uuid, ${r.eventType}::text, ${JSON.stringify(r.payload)}::jsonb)`,
        );
      await sql`insert into integration_deliveries (tenant_id, integration_id, event_type, payload)
        select v.tenant_id, v.integration_id, v.event_type, v.payload
        from (values ${sql.join(values)}) as v (tenant_id, integration_id, event_type, payload)
        join integrations as i on i.id = v.integration_id and i.tenant_id = v.tenant_id`.execute(this.db);
    }
  }

  /**
   * Queues a contact sync of the integration unless one was queued after `since`; true when queued.
   * One statement, so nodes checking at the same moment rarely both queue (a second sync is harmless).
   */
  async queueSyncUnlessSince(tenantId: string, integrationId: string, since: Date): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      insert into integration_deliveries (tenant_id, integration_id, event_type, payload)
      select i.tenant_id, i.id, 'contactSync', '{}'::jsonb from integrations as i
      where i.id = ${integrationId}::uuid and i.tenant_id = ${tenantId}::uuid and i.enabled
        and not exists (
          select 1 from integration_deliveries as d
          where d.integration_id = i.id and d.event_type = 'contactSync' and d.created_at > ${since})
      returning id`.execute(this.db);
    return rows.length > 0;
  }

  /** Takes up to `limit` due deliveries of enabled integrations, leased for `leaseMs`. */
  async claim(now: Date, limit: number, leaseMs: number): Promise<DueIntegrationDelivery[]> {
    const until = new Date(now.getTime() + leaseMs);
    const { rows } = await sql<DueIntegrationDelivery>`
      update integration_deliveries as d set next_attempt_at = ${until}, attempts = d.attempts + 1
      where d.id in (
        select p.id from integration_deliveries as p
        join integrations as e on e.id = p.integration_id and e.enabled
        where p.status = 'pending' and p.next_attempt_at <= ${now}
        order by p.next_attempt_at limit ${limit}
        for update of p skip locked)
      returning d.id, d.tenant_id as "tenantId", d.integration_id as "integrationId",
        d.event_type as "eventType", d.payload, d.state, d.attempts`.execute(this.db);
    return rows;
  }

  /** What a connector learnt mid-way (kept for the next try). */
  async saveState(id: string, state: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('integrationDeliveries')
      .set({ state: JSON.stringify(state) })
      .where('id', '=', id)
      .execute();
  }

  async delivered(id: string, status: number, at: Date, request: unknown, response: string): Promise<void> {
    await this.db
      .updateTable('integrationDeliveries')
      .set({
        status: 'delivered',
        lastStatus: status,
        lastError: null,
        deliveredAt: at,
        lastRequest: JSON.stringify(request),
        lastResponse: response.slice(0, 2000),
      })
      .where('id', '=', id)
      .execute();
  }

  /** A failed try: retried at `retryAt`, or given up (null). */
  async failed(
    id: string,
    f: {
      status: number | null;
      error: string;
      retryAt: Date | null;
      request: unknown;
      response: string | null;
    },
  ): Promise<void> {
    await this.db
      .updateTable('integrationDeliveries')
      .set({
        lastStatus: f.status,
        lastError: f.error.slice(0, 500),
        lastRequest: f.request === null ? null : JSON.stringify(f.request),
        lastResponse: f.response?.slice(0, 2000) ?? null,
        ...(f.retryAt ? { nextAttemptAt: f.retryAt } : { status: 'failed' }),
      })
      .where('id', '=', id)
      .execute();
  }

  async prune(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('integrationDeliveries')
      .where('status', '!=', 'pending')
      .where('createdAt', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async replay(d: IntegrationDelivery): Promise<void> {
    await this.add([
      { tenantId: d.tenantId, integrationId: d.integrationId, eventType: d.eventType, payload: d.payload },
    ]);
  }
}
