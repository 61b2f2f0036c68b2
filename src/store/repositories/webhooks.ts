/**
 * Webhooks: a tenant's endpoints (tenant-scoped, like every tenant row) and the
 * outbox of deliveries. The outbox is claimed across tenants by the sender
 * (`WebhookOutboxStore`), with `for update skip locked` and a lease, so two nodes
 * or a crash mid-send neither lose a delivery nor send it twice at once.
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type ListQuery, type Page, paginate } from '../list.js';
import type { Database, Webhook, WebhookDelivery, WebhookDeliveryStatus } from '../schema.js';

export interface WebhookInput {
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
}

/** A fresh signing secret: 32 random bytes, hex, prefixed so it is recognisable in a config file. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

export class WebhookRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  list(): Promise<Webhook[]> {
    return this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .orderBy('createdAt')
      .execute();
  }

  get(id: string): Promise<Webhook | undefined> {
    return this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
  }

  create(input: WebhookInput): Promise<Webhook> {
    return this.db
      .insertInto('webhooks')
      .values({
        ...input,
        events: JSON.stringify(input.events),
        tenantId: this.tenantId,
        secret: newWebhookSecret(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(id: string, patch: Partial<WebhookInput> & { secret?: string }): Promise<Webhook | undefined> {
    const { events, ...rest } = patch;
    return this.db
      .updateTable('webhooks')
      .set({ ...rest, ...(events ? { events: JSON.stringify(events) } : {}), updatedAt: new Date() })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('webhooks')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** A webhook's deliveries, newest first (the log in the portal). */
  deliveries(
    webhookId: string,
    f: ListQuery & { status?: WebhookDeliveryStatus | undefined },
  ): Promise<Page<WebhookDelivery>> {
    let q = this.db
      .selectFrom('webhookDeliveries')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('webhookId', '=', webhookId);
    if (f.status) q = q.where('status', '=', f.status);
    return paginate(
      q,
      { ...f, sort: f.sort ?? 'createdAt', desc: f.sort ? f.desc : true },
      { createdAt: 'createdAt' },
      'createdAt',
    );
  }

  delivery(id: string): Promise<WebhookDelivery | undefined> {
    return this.db
      .selectFrom('webhookDeliveries')
      .selectAll()
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .executeTakeFirst();
  }
}

/** A delivery as the sender needs it: where, what, and with which secret. */
export interface DueDelivery {
  id: string;
  tenantId: string;
  webhookId: string;
  eventType: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
}

export class WebhookOutboxStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every enabled webhook of every tenant (the dispatcher's cache). */
  enabled(): Promise<Webhook[]> {
    return this.db.selectFrom('webhooks').selectAll().where('enabled', '=', true).execute();
  }

  /**
   * Queues deliveries, a statement per 500. Rows of a webhook deleted meanwhile are
   * dropped by the join (one such row must not fail the batch of every tenant).
   */
  async add(
    rows: { tenantId: string; webhookId: string; eventType: string; payload: unknown }[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map(
          (r) =>
            sql`(${r.tenantId}::uuid, ${r.webhookId}::uuid, ${r.eventType}::text, ${JSON.stringify(r.payload)}::jsonb)`,
        );
      await sql`insert into webhook_deliveries (tenant_id, webhook_id, event_type, payload)
        select v.tenant_id, v.webhook_id, v.event_type, v.payload
        from (values ${sql.join(values)}) as v (tenant_id, webhook_id, event_type, payload)
        join webhooks as w on w.id = v.webhook_id and w.tenant_id = v.tenant_id`.execute(this.db);
    }
  }

  /** Takes up to `limit` due deliveries of enabled webhooks, leased for `leaseMs`. */
  async claim(now: Date, limit: number, leaseMs: number): Promise<DueDelivery[]> {
    const until = new Date(now.getTime() + leaseMs);
    // Only deliveries of enabled webhooks are picked (a disabled one's rows wait, and cannot
    // crowd out everyone else's at the head of the queue).
    const { rows } = await sql<DueDelivery>`
      update webhook_deliveries as d set next_attempt_at = ${until}, attempts = d.attempts + 1
      from webhooks as w
      where w.id = d.webhook_id and d.id in (
        select p.id from webhook_deliveries as p
        join webhooks as e on e.id = p.webhook_id and e.enabled
        where p.status = 'pending' and p.next_attempt_at <= ${now}
        order by p.next_attempt_at limit ${limit}
        for update of p skip locked)
      returning d.id, d.tenant_id as "tenantId", d.webhook_id as "webhookId", d.event_type as "eventType",
        d.payload, d.attempts, w.url, w.secret`.execute(this.db);
    return rows;
  }

  async delivered(id: string, status: number, at: Date): Promise<void> {
    await this.db
      .updateTable('webhookDeliveries')
      .set({ status: 'delivered', lastStatus: status, lastError: null, deliveredAt: at })
      .where('id', '=', id)
      .execute();
  }

  /** A failed try: retried at `retryAt`, or given up (null). */
  async failed(id: string, status: number | null, error: string, retryAt: Date | null): Promise<void> {
    await this.db
      .updateTable('webhookDeliveries')
      .set({
        lastStatus: status,
        lastError: error.slice(0, 500),
        ...(retryAt ? { nextAttemptAt: retryAt } : { status: 'failed' }),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Forgets delivered and given-up deliveries created before `before` (the log's retention). */
  async prune(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('webhookDeliveries')
      .where('status', '!=', 'pending')
      .where('createdAt', '<', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Sends a delivery again (a replay from the log): a new row with the same event. */
  async replay(d: WebhookDelivery): Promise<void> {
    await this.add([
      { tenantId: d.tenantId, webhookId: d.webhookId, eventType: d.eventType, payload: d.payload },
    ]);
  }
}
