/**
 * A tenant's own SIP request-rate limit through the API: the operator sets it,
 * reads it back and clears it (null: the platform's limit); a company's
 * administrator may not (it is what the customer pays for); out-of-range values
 * are refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';

describe("a tenant's SIP request-rate limit", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture('pglite');
  });
  afterAll(async () => fx?.close());

  it('is the operator’s to set and clear, and shown with the other limits', async () => {
    const url = `/api/v1/tenants/${fx.A.id}`;
    expect((await fx.call('GET', url, { as: fx.A.admin })).json.limits.sipRequestsPerSecond).toBeNull();
    const set = await fx.call('PATCH', url, {
      as: fx.operator,
      body: { limits: { sipRequestsPerSecond: 20 } },
    });
    expect(set.status).toBe(200);
    expect(set.json.limits.sipRequestsPerSecond).toBe(20);
    expect((await fx.store.tenants.get(fx.A.id))?.sipRequestsPerSecond).toBe(20);

    const byAdmin = await fx.call('PATCH', url, {
      as: fx.A.admin,
      body: { limits: { sipRequestsPerSecond: 0 } },
    });
    expect(byAdmin.status).toBe(403);
    const bad = await fx.call('PATCH', url, {
      as: fx.operator,
      body: { limits: { sipRequestsPerSecond: -1 } },
    });
    expect(bad.status).toBe(400);

    const cleared = await fx.call('PATCH', url, {
      as: fx.operator,
      body: { limits: { sipRequestsPerSecond: null } },
    });
    expect(cleared.json.limits.sipRequestsPerSecond).toBeNull();
  });
});
