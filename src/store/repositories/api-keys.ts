/** API keys: stored as a public prefix plus the SHA-256 of the secret part. */
import type { Kysely } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { ApiKey, Database, Role } from '../schema.js';

export interface ApiKeyInput {
  name: string;
  prefix: string;
  secretHash: string;
  role: Role;
  createdBy: string | null;
  expiresAt: Date | null;
}

const SORT = { name: 'name', createdAt: 'createdAt', lastUsedAt: 'lastUsedAt' };

export class ApiKeyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string | null,
  ) {}

  private scoped() {
    const q = this.db.selectFrom('apiKeys').selectAll();
    return this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
  }

  list(f: ListQuery): Promise<Page<ApiKey>> {
    let q = this.scoped();
    if (f.q) q = q.where('name', 'ilike', likePattern(f.q));
    return paginate(q, f, SORT, 'createdAt');
  }

  get(id: string): Promise<ApiKey | undefined> {
    return this.scoped().where('id', '=', id).executeTakeFirst();
  }

  create(input: ApiKeyInput): Promise<ApiKey> {
    return this.db
      .insertInto('apiKeys')
      .values({ ...input, tenantId: this.tenantId, lastUsedAt: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Deletes the keys a user created; returns them for the audit log. */
  deleteByCreator(userId: string): Promise<ApiKey[]> {
    let q = this.db.deleteFrom('apiKeys').where('createdBy', '=', userId);
    q = this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
    return q.returningAll().execute();
  }

  async delete(id: string): Promise<boolean> {
    let q = this.db.deleteFrom('apiKeys').where('id', '=', id);
    q = this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
    const r = await q.executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}

/** Look-up by prefix across tenants, for authenticating a bearer token only. */
export class ApiKeyDirectory {
  constructor(private readonly db: Kysely<Database>) {}

  findByPrefix(prefix: string): Promise<ApiKey | undefined> {
    return this.db.selectFrom('apiKeys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('apiKeys').set({ lastUsedAt: at }).where('id', '=', id).execute();
  }
}
