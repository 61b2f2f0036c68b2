/**
 * Call control for integrations: click-to-call — a CRM or the portal asks the
 * PBX to ring an extension and, once it answers, the number to call. A user may
 * start calls from their own extensions only. The call's outcome is on its
 * record (and in the events) like any other call's.
 */
import Type from 'typebox';
import type { Api, ApiDeps } from '../context.js';
import { principalOf } from '../context.js';
import { ApiError } from '../errors.js';
import { TenantParams } from '../schemas.js';

const Number_ = Type.String({
  pattern: '^\\+?[0-9*#]{2,20}$',
  description: 'An extension, or an outside number as the extension would dial it',
});

export async function callControlRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.post(
    '/api/v1/tenants/:tenantId/calls/click-to-call',
    {
      config: { permission: 'calls.originate' },
      schema: {
        tags: ['calls'],
        summary:
          "Ring an extension's phone; once it answers, call the number and join them (the extension's own call: its class and limits)",
        params: TenantParams,
        body: Type.Object(
          {
            from: Type.String({ pattern: '^[0-9]{2,10}$', description: 'The extension that makes the call' }),
            to: Number_,
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ from: Type.String(), to: Type.String() }) },
      },
    },
    async (req, reply) => {
      const { tenantId } = req.params;
      const { from, to } = req.body;
      if (req.access === 'own') {
        const userId = principalOf(req).userId;
        const ext = await store.tenant(tenantId).extensions.getByNumber(from);
        if (!ext || !userId || ext.userId !== userId)
          throw new ApiError('FORBIDDEN', 'Calls are started from your own extensions only', 'from');
      }
      if (!deps.callControl) throw new ApiError('CALLS_UNAVAILABLE');
      const r = deps.callControl.clickToCall(tenantId, from, to);
      if (!r.ok) {
        if (r.status === 404) throw new ApiError('NOT_FOUND', r.reason, 'from');
        if (r.status === 409) throw new ApiError('CONFLICT', r.reason, 'from');
        if (r.status === 503) throw new ApiError('CALLS_UNAVAILABLE', r.reason);
        if (r.status === 403) throw new ApiError('FORBIDDEN', r.reason, 'to');
        throw new ApiError('VALIDATION_FAILED', r.reason, 'to');
      }
      reply.code(202);
      return { from, to };
    },
  );
}
