/**
 * The operator's rate deck: price per minute by E.164 prefix. Platform objects,
 * managed by operators; the SIP side keeps the whole deck in its snapshot and
 * prices each external call by its longest matching prefix.
 */
import type { Kysely } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Database, Rate } from '../schema.js';

export interface RateInput {
  prefix: string;
  pricePerMinute: number;
  description: string;
}

export class RateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(f: ListQuery & { q?: string | undefined }): Promise<Page<Rate>> {
    let q = this.db.selectFrom('rates').selectAll();
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('prefix', 'like', p), eb('description', 'ilike', p)]));
    }
    return paginate(q, f, { prefix: 'prefix', pricePerMinute: 'pricePerMinute' }, 'prefix');
  }

  all(): Promise<Rate[]> {
    return this.db.selectFrom('rates').selectAll().orderBy('prefix').execute();
  }

  get(id: string): Promise<Rate | undefined> {
    return this.db.selectFrom('rates').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byPrefix(prefix: string): Promise<Rate | undefined> {
    return this.db.selectFrom('rates').selectAll().where('prefix', '=', prefix).executeTakeFirst();
  }

  create(input: RateInput): Promise<Rate> {
    return this.db.insertInto('rates').values(input).returningAll().executeTakeFirstOrThrow();
  }

  update(id: string, patch: Partial<RateInput>): Promise<Rate | undefined> {
    return this.db
      .updateTable('rates')
      .set({ ...patch, updatedAt: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('rates').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
