/**
 * The audit log: who changed what, when, from where, with the record before and
 * after. Written in the same transaction as the change it describes.
 */
import type { Kysely } from 'kysely';
import { type ListQuery, type Page, paginate } from '../list.js';
import type { AuditEntry, Database } from '../schema.js';

export interface Actor {
  type: 'user' | 'api_key' | 'system';
  id: string | null;
  label: string;
  ip: string | null;
}

export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditFilter extends ListQuery {
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  action?: string | undefined;
  actorId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

const SORT = { at: 'at' };

export class AuditRepository {
  /** tenantId null: platform-level entries (tenants, operators); `listAll` sees every tenant. */
  constructor(
    private readonly db: Kysely<Database>,
    readonly tenantId: string | null,
  ) {}

  async record(actor: Actor, r: AuditRecord): Promise<void> {
    await this.db
      .insertInto('auditLog')
      .values({
        tenantId: this.tenantId,
        actorType: actor.type,
        actorId: actor.id,
        actorLabel: actor.label,
        action: r.action,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        before: JSON.stringify(r.before ?? null),
        after: JSON.stringify(r.after ?? null),
        ip: actor.ip,
      })
      .execute();
  }

  /** This tenant's entries (or, on the platform scope, entries of no tenant). */
  list(f: AuditFilter): Promise<Page<AuditEntry>> {
    return this.query(f, true);
  }

  /** Every entry of every tenant: the operator's view. */
  listAll(f: AuditFilter & { tenantId?: string | undefined }): Promise<Page<AuditEntry>> {
    return this.query(f, false);
  }

  private query(
    f: AuditFilter & { tenantId?: string | undefined },
    scoped: boolean,
  ): Promise<Page<AuditEntry>> {
    let q = this.db.selectFrom('auditLog').selectAll();
    if (scoped)
      q = this.tenantId === null ? q.where('tenantId', 'is', null) : q.where('tenantId', '=', this.tenantId);
    else if (f.tenantId) q = q.where('tenantId', '=', f.tenantId);
    if (f.resourceType) q = q.where('resourceType', '=', f.resourceType);
    if (f.resourceId) q = q.where('resourceId', '=', f.resourceId);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.actorId) q = q.where('actorId', '=', f.actorId);
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    return paginate(q, { ...f, desc: f.sort ? f.desc : true }, SORT, 'at');
  }
}
