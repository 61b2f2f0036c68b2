/**
 * Routing objects of one tenant (calendars, time conditions, ring groups, inbound
 * routes): one repository for every kind, since they differ only in the JSON
 * settings the API checks. Always scoped to the tenant and to one kind.
 */
import { type Kysely, sql } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Database, RoutingKind, RoutingObject } from '../schema.js';

export interface RoutingInput {
  name: string;
  number: string | null;
  config: unknown;
}

const SORT = { name: 'name', number: 'numberSort', createdAt: 'createdAt' };

export class RoutingRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string,
  ) {}

  private scoped(kind: RoutingKind) {
    return this.db
      .selectFrom('routingObjects')
      .selectAll()
      .select(sql<string>`lpad(coalesce(number, ''), 20, '0')`.as('numberSort'))
      .where('tenantId', '=', this.tenantId)
      .where('kind', '=', kind);
  }

  async list(kind: RoutingKind, f: ListQuery): Promise<Page<RoutingObject>> {
    let q = this.scoped(kind);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('name', 'ilike', p), eb('number', 'ilike', p)]));
    }
    const page = await paginate(q, f, SORT, 'name');
    return { ...page, items: page.items.map(strip) };
  }

  /** Every routing object of the tenant, all kinds (the snapshot the router and the checks read). */
  all(): Promise<RoutingObject[]> {
    return this.db
      .selectFrom('routingObjects')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
  }

  async get(kind: RoutingKind, id: string): Promise<RoutingObject | undefined> {
    const row = await this.scoped(kind).where('id', '=', id).executeTakeFirst();
    return row && strip(row);
  }

  /** The routing object (any kind) holding a dialable number or DID. */
  byNumber(number: string): Promise<RoutingObject | undefined> {
    return this.db
      .selectFrom('routingObjects')
      .selectAll()
      .where('tenantId', '=', this.tenantId)
      .where('number', '=', number)
      .executeTakeFirst();
  }

  create(kind: RoutingKind, input: RoutingInput): Promise<RoutingObject> {
    return this.db
      .insertInto('routingObjects')
      .values({ ...input, kind, tenantId: this.tenantId, config: JSON.stringify(input.config) })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(kind: RoutingKind, id: string, input: RoutingInput): Promise<RoutingObject | undefined> {
    return this.db
      .updateTable('routingObjects')
      .set({ ...input, config: JSON.stringify(input.config), updatedAt: new Date() })
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .where('kind', '=', kind)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(kind: RoutingKind, id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('routingObjects')
      .where('id', '=', id)
      .where('tenantId', '=', this.tenantId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}

function strip<T extends { numberSort?: string }>(row: T): Omit<T, 'numberSort'> {
  const { numberSort: _, ...rest } = row;
  return rest;
}
