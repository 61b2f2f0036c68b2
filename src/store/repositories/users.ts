/**
 * Portal users. A repository is bound to one tenant (or to the platform, for
 * operators, when tenantId is null) and every query it makes carries that scope.
 */
import { type Kysely, sql } from 'kysely';
import { type ListQuery, likePattern, type Page, paginate } from '../list.js';
import type { Database, Language, Role, User } from '../schema.js';

export interface UserInput {
  email: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  language?: Language | null;
  disabled?: boolean;
}

export interface UserPatch {
  email?: string;
  displayName?: string;
  passwordHash?: string;
  role?: Role;
  language?: Language | null;
  disabled?: boolean;
  totpSecret?: string | null;
  totpEnabled?: boolean;
  totpLastStep?: number | null;
  lastLoginAt?: Date;
}

export interface UserFilter extends ListQuery {
  role?: Role | undefined;
  disabled?: boolean | undefined;
}

const SORT = { email: 'email', displayName: 'displayName', role: 'role', createdAt: 'createdAt' };

export class UserRepository {
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string | null,
  ) {}

  private scoped() {
    const q = this.db.selectFrom('users').selectAll();
    return this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
  }

  list(f: UserFilter): Promise<Page<User>> {
    let q = this.scoped();
    if (f.role) q = q.where('role', '=', f.role);
    if (f.disabled !== undefined) q = q.where('disabled', '=', f.disabled);
    if (f.q) {
      const p = likePattern(f.q);
      q = q.where((eb) => eb.or([eb('email', 'ilike', p), eb('displayName', 'ilike', p)]));
    }
    return paginate(q, f, SORT, 'email');
  }

  get(id: string): Promise<User | undefined> {
    return this.scoped().where('id', '=', id).executeTakeFirst();
  }

  create(input: UserInput): Promise<User> {
    return this.db
      .insertInto('users')
      .values({
        tenantId: this.tenantId,
        email: input.email.toLowerCase(),
        displayName: input.displayName,
        passwordHash: input.passwordHash,
        role: input.role,
        language: input.language ?? null,
        disabled: input.disabled ?? false,
        totpSecret: null,
        lastLoginAt: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(id: string, patch: UserPatch): Promise<User | undefined> {
    const set = {
      ...patch,
      ...(patch.email ? { email: patch.email.toLowerCase() } : {}),
      updatedAt: new Date(),
    };
    let q = this.db.updateTable('users').set(set).where('id', '=', id);
    q = this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
    return q.returningAll().executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    let q = this.db.deleteFrom('users').where('id', '=', id);
    q = this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
    const r = await q.executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async countByRole(role: Role): Promise<number> {
    const r = await this.scoped()
      .clearSelect()
      .select(sql<number>`count(*)::int`.as('n'))
      .where('role', '=', role)
      .where('disabled', '=', false)
      .executeTakeFirst();
    return r?.n ?? 0;
  }
}

/** Look-ups across all tenants, for sign-in only: an email is unique platform-wide. */
export class AccountDirectory {
  constructor(private readonly db: Kysely<Database>) {}

  findByEmail(email: string): Promise<User | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where(sql`lower(email)`, '=', email.toLowerCase())
      .executeTakeFirst();
  }

  findById(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async countOperators(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('role', '=', 'operator')
      .executeTakeFirst();
    return r?.n ?? 0;
  }
}
