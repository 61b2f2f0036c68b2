/** The audit log: a tenant's own (/tenants/{tenantId}/audit-log) and the operator's view of all. */
import Type from 'typebox';
import type { Api, ApiDeps } from '../context.js';
import {
  AuditEntrySchema,
  listQuery,
  pageOf,
  TenantParams,
  Timestamp,
  toListQuery,
  Uuid,
} from '../schemas.js';
import { auditView } from '../views.js';

const filters = {
  resourceType: Type.Optional(Type.String({ maxLength: 40 })),
  resourceId: Type.Optional(Type.String({ maxLength: 64 })),
  action: Type.Optional(Type.String({ maxLength: 60 })),
  actorId: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
};

interface AuditQuery {
  from?: string;
  to?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  actorId?: string;
}

function toFilter(q: AuditQuery) {
  return {
    resourceType: q.resourceType,
    resourceId: q.resourceId,
    action: q.action,
    actorId: q.actorId,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
}

export async function auditRoutes(app: Api, { store }: ApiDeps): Promise<void> {
  app.get(
    '/api/v1/tenants/:tenantId/audit-log',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit log, newest first",
        params: TenantParams,
        querystring: listQuery(['at'], filters),
        response: { 200: pageOf(AuditEntrySchema) },
      },
    },
    async (req) => {
      const page = await store
        .tenant(req.params.tenantId)
        .audit.list({ ...toListQuery(req.query), ...toFilter(req.query) });
      return { ...page, items: page.items.map(auditView) };
    },
  );

  app.get(
    '/api/v1/audit-log',
    {
      config: { permission: 'platformAudit.read' },
      schema: {
        tags: ['platform'],
        summary: 'Every audit entry of the platform and all tenants, newest first',
        querystring: listQuery(['at'], { ...filters, tenantId: Type.Optional(Uuid) }),
        response: { 200: pageOf(AuditEntrySchema) },
      },
    },
    async (req) => {
      const page = await store.platform.audit.listAll({
        ...toListQuery(req.query),
        ...toFilter(req.query),
        tenantId: req.query.tenantId,
      });
      return { ...page, items: page.items.map(auditView) };
    },
  );
}
