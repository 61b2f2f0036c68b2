/**
 * The click-to-call route: who may start a call from which extension, and how
 * the SIP side's refusals read as problems. The calls themselves are placed in
 * test/pbx/click-to-call.test.ts; here the SIP side records what it was asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('click-to-call API', () => {
  let fx: Fixture;
  const asked: string[] = [];
  const url = () => `/api/v1/tenants/${fx.A.id}/calls/click-to-call`;

  beforeAll(async () => {
    fx = await createFixture('pglite', {
      callControl: {
        clickToCall: (tenantId, from, to) => {
          asked.push(`${tenantId === fx.A.id ? 'A' : '?'} ${from} -> ${to}`);
          if (to === '999')
            return { ok: false, status: 403, code: 'call-class', reason: 'international calls not allowed' };
          if (from === '108')
            return {
              ok: false,
              status: 409,
              code: 'not-registered',
              reason: 'Extension 108 has no registered phone',
            };
          return { ok: true };
        },
      },
    });
  });
  afterAll(async () => fx?.close());

  it('an admin starts a call from any extension; a user only from their own', async () => {
    const own = (await fx.store.tenant(fx.A.id).extensions.get(fx.A.ownExtensionId))!.number;
    const other = (await fx.store.tenant(fx.A.id).extensions.get(fx.A.otherExtensionId))!.number;
    const byAdmin = await fx.call('POST', url(), {
      as: fx.A.admin,
      body: { from: other, to: '89161234567' },
    });
    expect(byAdmin.status).toBe(202);
    expect(byAdmin.json).toEqual({ from: other, to: '89161234567' });
    expect((await fx.call('POST', url(), { as: fx.A.user, body: { from: own, to: '102' } })).status).toBe(
      202,
    );
    const notMine = await fx.call('POST', url(), { as: fx.A.user, body: { from: other, to: '102' } });
    expect(notMine.status).toBe(403);
    expect(notMine.json.field).toBe('from');
    expect(asked).toEqual([`A ${other} -> 89161234567`, `A ${own} -> 102`]);
  });

  it("the SIP side's refusals name the field they concern", async () => {
    const cls = await fx.call('POST', url(), { as: fx.A.admin, body: { from: '101', to: '999' } });
    expect(cls).toMatchObject({
      status: 403,
      json: { field: 'to', detail: 'international calls not allowed' },
    });
    const unregistered = await fx.call('POST', url(), { as: fx.A.admin, body: { from: '108', to: '102' } });
    expect(unregistered).toMatchObject({ status: 409, json: { field: 'from' } });
    const bad = await fx.call('POST', url(), { as: fx.A.admin, body: { from: '101', to: 'sales' } });
    expect(bad).toMatchObject({ status: 400, json: { field: 'to' } });
  });
});
