/**
 * Trunks (the operator's carrier connections) and the number pool: platform
 * objects managed by operators. A tenant reads only the numbers given to it.
 */
import type { Kysely } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Database, PoolNumber, Trunk, TrunksTable } from '../schema.js';

/** A trunk as written: JSON columns as values (the repository serialises them). */
export type TrunkInput = Omit<
  Trunk,
  'id' | 'createdAt' | 'updatedAt' | 'addresses' | 'codecs' | 'tenantIds'
> & {
  addresses: string[];
  codecs: string[];
  tenantIds: string[] | null;
};

function row(input: Partial<TrunkInput>): Partial<Record<keyof TrunksTable, unknown>> {
  const { addresses, codecs, tenantIds, ...rest } = input;
  return {
    ...rest,
    ...(addresses !== undefined ? { addresses: JSON.stringify(addresses) } : {}),
    ...(codecs !== undefined ? { codecs: JSON.stringify(codecs) } : {}),
    ...(tenantIds !== undefined ? { tenantIds: tenantIds === null ? null : JSON.stringify(tenantIds) } : {}),
  };
}

export class TrunkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(f: ListQuery): Promise<Page<Trunk>> {
    let q = this.db.selectFrom('trunks').selectAll();
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('name', 'ilike', p), eb('host', 'ilike', p)]));
    }
    return paginate(q, f, { name: 'name', createdAt: 'createdAt' }, 'name');
  }

  /** Every trunk (the SIP side's snapshot). */
  all(): Promise<Trunk[]> {
    return this.db.selectFrom('trunks').selectAll().orderBy('name').execute();
  }

  get(id: string): Promise<Trunk | undefined> {
    return this.db.selectFrom('trunks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  create(input: TrunkInput): Promise<Trunk> {
    return this.db
      .insertInto('trunks')
      .values(row(input) as never)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(id: string, patch: Partial<TrunkInput>): Promise<Trunk | undefined> {
    return this.db
      .updateTable('trunks')
      .set({ ...row(patch), updatedAt: new Date() } as never)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('trunks').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}

export interface NumberFilter extends ListQuery {
  /** A tenant's numbers; `null`: numbers given to nobody. */
  tenantId?: string | null | undefined;
  trunkId?: string | undefined;
}

export interface NumberInput {
  number: string;
  tenantId: string | null;
  trunkId: string | null;
  note: string;
}

export class NumberRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(f: NumberFilter): Promise<Page<PoolNumber>> {
    let q = this.db.selectFrom('numbers').selectAll();
    if (f.tenantId === null) q = q.where('tenantId', 'is', null);
    else if (f.tenantId !== undefined) q = q.where('tenantId', '=', f.tenantId);
    if (f.trunkId !== undefined) q = q.where('trunkId', '=', f.trunkId);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('number', 'like', p), eb('note', 'ilike', p)]));
    }
    return paginate(q, f, { number: 'number', createdAt: 'createdAt' }, 'number');
  }

  /** Every number given to a tenant (the SIP side's snapshot: DID → tenant). */
  assigned(): Promise<PoolNumber[]> {
    return this.db.selectFrom('numbers').selectAll().where('tenantId', 'is not', null).execute();
  }

  get(id: string): Promise<PoolNumber | undefined> {
    return this.db.selectFrom('numbers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byNumber(number: string): Promise<PoolNumber | undefined> {
    return this.db.selectFrom('numbers').selectAll().where('number', '=', number).executeTakeFirst();
  }

  create(input: NumberInput): Promise<PoolNumber> {
    return this.db.insertInto('numbers').values(input).returningAll().executeTakeFirstOrThrow();
  }

  update(id: string, patch: Partial<NumberInput>): Promise<PoolNumber | undefined> {
    return this.db
      .updateTable('numbers')
      .set({ ...patch, updatedAt: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('numbers').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
