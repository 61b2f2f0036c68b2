/** Tenants (companies): platform-level, managed by operators. */
import { type Kysely, sql } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Database, Language, Tenant, TenantRecording } from '../schema.js';

export interface TenantInput {
  name: string;
  sipDomain: string;
  timeZone: string;
  language: Language;
  country: string;
  maxExtensions: number;
  maxConcurrentCalls: number;
  enabled?: boolean;
  /** SIP requests a second naming its domain, per budget (null: the platform's limit). */
  sipRequestsPerSecond?: number | null;
}

export interface TenantFilter extends ListQuery {
  enabled?: boolean | undefined;
}

const SORT = { name: 'name', sipDomain: 'sipDomain', createdAt: 'createdAt' };

export class TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(f: TenantFilter): Promise<Page<Tenant>> {
    let q = this.db.selectFrom('tenants').selectAll();
    if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('name', 'ilike', p), eb('sipDomain', 'ilike', p)]));
    }
    return paginate(q, f, SORT, 'name');
  }

  get(id: string): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Reads the tenant and locks its row until the transaction ends (serialises limit checks). */
  getForUpdate(id: string): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  findByDomain(domain: string): Promise<Tenant | undefined> {
    return this.db
      .selectFrom('tenants')
      .selectAll()
      .where(sql`lower(sip_domain)`, '=', domain.toLowerCase())
      .executeTakeFirst();
  }

  create(input: TenantInput): Promise<Tenant> {
    return this.db.insertInto('tenants').values(input).returningAll().executeTakeFirstOrThrow();
  }

  update(id: string, patch: Partial<TenantInput>): Promise<Tenant | undefined> {
    return this.db
      .updateTable('tenants')
      .set({ ...patch, updatedAt: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  /** The tenant's recording settings (announcement, file layout, retention). */
  async setRecording(id: string, recording: TenantRecording): Promise<void> {
    await this.db
      .updateTable('tenants')
      .set({ recording: JSON.stringify(recording), updatedAt: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('tenants')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirst();
    return r?.n ?? 0;
  }
}
