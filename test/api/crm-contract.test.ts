/**
 * The CRM webhook contract is published as OpenAPI 3.1 webhooks, without
 * sign-in, and it is the one the connector keeps: a call log built from a real
 * call record conforms, and the answers a CRM may give are the ones it reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmWebhookCallLog } from '../../src/api/integrations/connectors.js';
import { factsOf } from '../../src/api/integrations/hub.js';
import type { CallRecord } from '../../src/store/schema.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { contractErrors } from '../helpers/crm-contract.js';

describe('CRM webhook contract', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture('pglite');
  });
  afterAll(async () => fx?.close());

  it('is served without signing in as an OpenAPI 3.1 document of webhooks', async () => {
    const res = await fx.call('GET', '/api/v1/integrations/crm-contract', { as: null });
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    expect(Object.keys(res.json.webhooks.crmLookup).sort()).toEqual(['get', 'post']);
    expect(res.json.webhooks.crmCallLog.post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CallLog',
    );
    expect(Object.keys(res.json.components.schemas).sort()).toEqual([
      'CallFacts',
      'CallLog',
      'LookupAnswer',
      'LookupRequest',
    ]);
    // The published document is what the checks below use.
    expect(contractErrors('LookupAnswer', { name: 'Ivan' }, res.json)).toEqual([]);
  });

  it('the call log sent for a call record conforms, and a wrong one does not', () => {
    const row = {
      id: '0b6f6a43-5a61-4f25-9d7a-3b1f2c1e9a10',
      direction: 'inbound',
      caller: '+74951234567',
      callerName: 'Ivan Petrov',
      callee: '+74957654321',
      startedAt: new Date('2026-12-07T14:50:00Z'),
      answeredAt: new Date('2026-12-07T14:50:07Z'),
      endedAt: new Date('2026-12-07T14:53:10Z'),
      status: 'ended',
      cause: 'normal',
      trunk: 'Carrier',
      legs: [
        {
          number: '102',
          target: 'sip:102@x',
          startedAt: '2026-12-07T14:50:01Z',
          answeredAt: '2026-12-07T14:50:07Z',
          endedAt: '2026-12-07T14:53:10Z',
          sipStatus: 200,
        },
      ],
      trail: [],
    } as unknown as CallRecord;
    const facts = factsOf(row, 'https://pbx.example.com');
    expect(facts).not.toBeNull();
    const request = crmWebhookCallLog(
      {
        integration: { config: { callLogUrl: 'https://crm.example.com/calls' } },
        secrets: {},
      } as unknown as Parameters<typeof crmWebhookCallLog>[0],
      facts!,
    );
    const body = JSON.parse(request.body ?? '');
    expect(contractErrors('CallLog', body)).toEqual([]);
    expect(contractErrors('CallLog', { ...body, call: { ...body.call, disposition: 'lost' } })).not.toEqual(
      [],
    );
    expect(contractErrors('CallLog', { ...body, call: { ...body.call, extra: 1 } })).not.toEqual([]);
  });

  it('describes the answers the connector reads', () => {
    for (const ok of [
      { name: 'Ivan Petrov', company: 'Romashka', owner: '102', contactUrl: 'https://crm/1' },
      { owner: 'olga@example.com' },
      {},
    ])
      expect(contractErrors('LookupAnswer', ok), JSON.stringify(ok)).toEqual([]);
    expect(contractErrors('LookupAnswer', { name: 42 })).not.toEqual([]);
    expect(contractErrors('LookupRequest', { number: '+74951234567' })).toEqual([]);
  });
});
