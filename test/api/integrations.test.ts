/**
 * Integrations against HTTP receivers started here, acting as a ticket system,
 * a CRM on our documented contract, Bitrix24 and amoCRM with their documented
 * request and answer shapes: templates filled and escaped; secrets sealed at
 * rest and never shown; the "test" button; retries after 500s; caller lookups
 * with their cache, negative cache and timeout; owners mapped to extensions;
 * connectors' call logs and contact sync into the phonebook.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TICKET_EXAMPLES } from '../../src/api/integrations/examples.js';
import { factsOf, IntegrationHub, isMissed } from '../../src/api/integrations/hub.js';
import {
  escapingFor,
  renderTemplate,
  sampleContext,
  unknownPlaceholders,
} from '../../src/api/integrations/template.js';
import { CallerLookup } from '../../src/pbx/caller-lookup.js';
import type { CallRecord } from '../../src/store/schema.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { type Receiver, startReceiver } from '../helpers/http-receiver.js';
import { until } from '../helpers/test-ua.js';

/** Waits for an asynchronous condition (the delivery log is read through the API). */
async function eventually(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ticket templates', () => {
  const ctx = sampleContext('https://pbx.test', { name: 'Acme', domain: 'acme.test' });

  it('fills placeholders, escaping for JSON, forms and XML', () => {
    const c = { ...ctx, call: { ...ctx.call!, callerName: 'Ann "the boss"\n\\ Ёж </x>' } };
    const json = renderTemplate('{"s": "Missed {{call.callerName}} {{ call.caller }}"}', c, 'json');
    expect(JSON.parse(json)).toEqual({ s: 'Missed Ann "the boss"\n\\ Ёж </x> +74951234567' });
    expect(renderTemplate('name={{call.callerName}}', c, 'form')).toBe(
      `name=${encodeURIComponent('Ann "the boss"\n\\ Ёж </x>')}`,
    );
    expect(renderTemplate('<n>{{call.callerName}}</n>', c, 'xml')).toBe(
      '<n>Ann &#34;the boss&#34;\n\\ Ёж &#60;/x&#62;</n>',
    );
    // A value that is absent (no voicemail for a missed call) is empty, not "null".
    expect(renderTemplate('[{{voicemail.transcript}}]', { ...c, voicemail: null }, 'none')).toBe('[]');
    expect(escapingFor('application/vnd.api+json; charset=utf-8')).toBe('json');
    expect(unknownPlaceholders('{{call.caller}} {{call.nope}} {{event}}')).toEqual(['call.nope']);
  });

  it('ships examples that become valid JSON for every system', () => {
    expect(TICKET_EXAMPLES.map((e) => e.id)).toEqual([
      'jira-service-management',
      'zendesk',
      'otrs',
      'redmine',
    ]);
    for (const e of TICKET_EXAMPLES) {
      expect(unknownPlaceholders(e.bodyTemplate)).toEqual([]);
      expect(() => JSON.parse(renderTemplate(e.bodyTemplate, ctx, 'json'))).not.toThrow();
    }
  });
});

describe('what a missed call is', () => {
  const t0 = Date.parse('2026-12-07T10:00:00Z');
  const row = (over: Partial<CallRecord>): CallRecord =>
    ({
      id: 'c1',
      tenantId: 't',
      sipCallId: 'x',
      caller: '+74951112233',
      callerName: '',
      callee: '+74957770000',
      direction: 'inbound',
      status: 'ended',
      startedAt: new Date(t0),
      answeredAt: null,
      endedAt: new Date(t0 + 20_000),
      cause: 'cancelled',
      sipStatus: 487,
      hangupBy: 'caller',
      legs: [],
      trail: [],
      tags: [],
      quality: null,
      mos: null,
      node: 'n',
      trunk: null,
      cost: null,
      ...over,
    }) as CallRecord;
  const leg = (number: string, answeredAt: string | null) => ({
    number,
    target: `sip:${number}@x`,
    startedAt: new Date(t0).toISOString(),
    answeredAt,
    endedAt: null,
    sipStatus: null,
  });
  const facts = (over: Partial<CallRecord>) => factsOf(row(over), 'https://pbx.test')!;

  it('is an inbound call no person answered, unless it hung up in the menu before anyone rang', () => {
    // Rang 101, nobody answered.
    expect(isMissed(facts({ legs: [leg('101', null)] }), 5)).toBe(true);
    // A menu answered it (the PBX did) and the caller left after 20 s without reaching anyone.
    expect(isMissed(facts({ answeredAt: new Date(t0 + 1000) }), 5)).toBe(true);
    // Hung up in the greeting after 3 s: not missed.
    expect(isMissed(facts({ answeredAt: new Date(t0 + 1000), endedAt: new Date(t0 + 3000) }), 5)).toBe(false);
    // A person answered.
    const answered = facts({
      answeredAt: new Date(t0 + 1000),
      legs: [leg('102', new Date(t0 + 4000).toISOString())],
    });
    expect(answered).toMatchObject({ disposition: 'answered', extension: '102', talkSec: 16 });
    expect(isMissed(answered, 5)).toBe(false);
    // Internal and outbound calls are never missed calls; internal ones are not integrations' business at all.
    expect(factsOf(row({ direction: 'internal' }), 'x')).toBeNull();
    expect(isMissed(facts({ direction: 'outbound', caller: '101', callee: '+74951112233' }), 5)).toBe(false);
    expect(facts({ cause: 'busy', legs: [leg('101', null)] }).disposition).toBe('busy');
  });
});

describe('integrations', () => {
  let fx: Fixture;
  let hub: IntegrationHub;
  let rx: Receiver;
  const base = () => `/api/v1/tenants/${fx.A.id}/integrations`;
  const admin = () => ({ as: fx.A.admin });

  async function add(body: Record<string, unknown>) {
    const res = await fx.call('POST', base(), { ...admin(), body });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json as { id: string; secretHeaders: string[]; hasToken: boolean; webhookHost: string | null };
  }
  const deliveries = async (id: string) =>
    (await fx.call('GET', `${base()}/${id}/deliveries`, admin())).json.items as {
      status: string;
      attempts: number;
      eventType: string;
      lastStatus: number | null;
      lastRequest: { method: string; url: string; body: string | null } | null;
    }[];

  beforeAll(async () => {
    rx = await startReceiver();
    fx = await createFixture('pglite', (store) => {
      hub = new IntegrationHub(store, pino({ level: 'silent' }), {
        allowPrivate: true,
        portalUrl: 'https://pbx.test',
        backoffMs: () => 30,
        maxAttempts: 3,
        pollMs: 20,
      });
      return { integrations: hub };
    });
    await hub.start();
  });
  afterAll(async () => {
    await hub?.close();
    await rx?.close();
    await fx?.close();
  });
  beforeEach(async () => {
    for (const i of (await fx.call('GET', base(), admin())).json.items as { id: string }[])
      await fx.call('DELETE', `${base()}/${i.id}`, admin());
    rx.received.length = 0;
    rx.handler = () => ({ status: 200, json: {} });
  });

  it('keeps secrets sealed and unshown; refuses bad templates at their field; only admins manage', async () => {
    const created = await add({
      kind: 'ticket',
      name: 'Redmine',
      config: {
        onMissedCall: true,
        url: `${rx.url}/issues.json`,
        contentType: 'application/json',
        headers: { accept: 'application/json' },
        bodyTemplate: '{"issue":{"subject":"Missed {{call.caller}}"}}',
      },
      secrets: { headers: { 'X-Redmine-API-Key': 'top-secret-key' } },
    });
    expect(created.secretHeaders).toEqual(['X-Redmine-API-Key']);
    expect(JSON.stringify(created)).not.toContain('top-secret-key');
    const row = await fx.store.tenant(fx.A.id).integrations.get(created.id);
    expect(row?.secrets.startsWith('v1.')).toBe(true);
    expect(row?.secrets).not.toContain('top-secret');

    const bad = await fx.call('PATCH', `${base()}/${created.id}`, {
      ...admin(),
      body: { config: { url: `${rx.url}/x`, bodyTemplate: '{"s":"{{call.nope}}"}' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('config.bodyTemplate');
    const notJson = await fx.call('PATCH', `${base()}/${created.id}`, {
      ...admin(),
      body: { config: { url: `${rx.url}/x`, bodyTemplate: '{"s": {{call.caller}}}' } },
    });
    expect(notJson.json.field).toBe('config.bodyTemplate');
    const noToken = await fx.call('POST', base(), {
      ...admin(),
      body: { kind: 'amocrm', name: 'amo', config: { url: rx.url } },
    });
    expect(noToken.json.field).toBe('secrets.token');

    expect((await fx.call('GET', base(), { as: fx.A.user })).status).toBe(403);
    expect((await fx.call('GET', base(), { as: fx.A.supervisor })).status).toBe(403);
    // Tenant B sees none of A's.
    expect(
      (await fx.call('GET', `/api/v1/tenants/${fx.B.id}/integrations`, { as: fx.B.admin })).json.items,
    ).toEqual([]);
    const templates = await fx.call('GET', `${base()}/templates`, admin());
    expect(templates.json.placeholders['call.caller']).toBeTruthy();
  });

  it('"test" sends a sample ticket with the secret header and the filled body; the log shows it without headers', async () => {
    const i = await add({
      kind: 'ticket',
      name: 'Zendesk',
      config: {
        onMissedCall: true,
        method: 'POST',
        url: `${rx.url}/api/v2/tickets.json`,
        contentType: 'application/json',
        bodyTemplate:
          '{"ticket":{"subject":"Missed call from {{call.callerName}}","comment":{"body":"{{portal.callUrl}}"}}}',
      },
      secrets: { headers: { authorization: 'Basic c2VjcmV0' } },
    });
    expect((await fx.call('POST', `${base()}/${i.id}/test`, admin())).status).toBe(202);
    await until(() => rx.received.length === 1);
    const got = rx.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/api/v2/tickets.json');
    expect(got.headers.authorization).toBe('Basic c2VjcmV0');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toEqual({
      ticket: {
        subject: 'Missed call from Test "Caller"',
        comment: { body: 'https://pbx.test/calls?call=00000000-0000-4000-8000-000000000000' },
      },
    });
    await hub.idle();
    const [d] = await deliveries(i.id);
    expect(d).toMatchObject({ status: 'delivered', eventType: 'test', lastStatus: 200 });
    expect(JSON.stringify(d)).not.toContain('c2VjcmV0');
  });

  it('retries after 500s until the ticket system takes it, and gives up after the last try', async () => {
    const i = await add({
      kind: 'ticket',
      name: 'Jira',
      config: {
        onMissedCall: true,
        url: `${rx.url}/rest/servicedeskapi/request`,
        bodyTemplate: '{"a":"{{event}}"}',
      },
    });
    let n = 0;
    rx.handler = () => ({ status: ++n <= 2 ? 500 : 201 });
    await fx.call('POST', `${base()}/${i.id}/test`, admin());
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'delivered');
    expect(rx.received).toHaveLength(3);
    expect((await deliveries(i.id))[0]).toMatchObject({ attempts: 3, lastStatus: 201 });

    rx.received.length = 0;
    rx.handler = () => ({ status: 503 });
    await fx.call('POST', `${base()}/${i.id}/test`, admin());
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'failed');
    expect(rx.received).toHaveLength(3);
    // Sent again from the log: a new delivery.
    rx.handler = () => ({ status: 200 });
    const failed = (await fx.call('GET', `${base()}/${i.id}/deliveries?status=failed`, admin())).json
      .items[0];
    expect((await fx.call('POST', `${base()}/${i.id}/deliveries/${failed.id}/replay`, admin())).status).toBe(
      202,
    );
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'delivered');
  });

  it('looks a caller up on our contract: owner by extension or email, cached, unknown numbers cached shorter', async () => {
    const i = await add({
      kind: 'crmWebhook',
      name: 'Our CRM',
      config: {
        lookup: true,
        method: 'GET',
        url: `${rx.url}/lookup`,
        timeoutMs: 1000,
        cacheTtlSec: 60,
        negativeTtlSec: 60,
      },
      secrets: { headers: { authorization: 'Bearer crm-token' } },
    });
    rx.handler = (r) => {
      const n = new URL(r.path, rx.url).searchParams.get('number');
      if (n === '+74950000001')
        return {
          json: { name: 'Ivan Petrov', company: 'Romashka', owner: '102', contactUrl: 'https://crm/1' },
        };
      if (n === '+74950000002') return { json: { name: 'Olga', owner: fx.A.user.email } };
      return { status: 404 };
    };
    const lookup = new CallerLookup({ timeoutMs: 1500 });
    lookup.add(hub.source());
    expect(await lookup.lookup(fx.A.id, '+74950000001')).toEqual({
      name: 'Ivan Petrov',
      owner: '102',
      source: 'crm:crmWebhook',
    });
    expect(rx.received[0]!.headers.authorization).toBe('Bearer crm-token');
    expect(rx.received[0]!.path).toBe('/lookup?number=%2B74950000001');
    // The user owning extension 101 is named by email.
    expect((await lookup.lookup(fx.A.id, '+74950000002'))?.owner).toBe('101');
    expect(await lookup.lookup(fx.A.id, '+74950000009')).toBeNull();
    expect(rx.received).toHaveLength(3);
    // Cached: positive and negative answers are not asked again.
    await lookup.lookup(fx.A.id, '+74950000001');
    await lookup.lookup(fx.A.id, '+74950000009');
    expect(rx.received).toHaveLength(3);
    // Another tenant's lookups do not reach this tenant's CRM.
    expect(await lookup.lookup(fx.B.id, '+74950000001')).toBeNull();
    expect(rx.received).toHaveLength(3);

    // The portal's "test lookup" asks now and shows the answer.
    const t = await fx.call('POST', `${base()}/${i.id}/lookup`, {
      ...admin(),
      body: { number: '+74950000001' },
    });
    expect(t.json).toMatchObject({
      found: true,
      name: 'Ivan Petrov',
      company: 'Romashka',
      owner: '102',
      ownerExtension: '102',
    });
    expect(rx.received).toHaveLength(4);
  });

  it('a CRM that hangs costs the caller the timeout, not the call: the lookup answers null in time', async () => {
    await add({
      kind: 'crmWebhook',
      name: 'Slow CRM',
      config: { lookup: true, method: 'POST', url: `${rx.url}/slow`, timeoutMs: 300 },
    });
    rx.handler = () => ({ hang: true });
    const lookup = new CallerLookup({ timeoutMs: 1000 });
    lookup.add(hub.source());
    const started = Date.now();
    expect(await lookup.lookup(fx.A.id, '+74951112233')).toBeNull();
    expect(Date.now() - started).toBeLessThan(1200);
    expect(JSON.parse(rx.received[0]!.body)).toEqual({ number: '+74951112233' });
  });

  it('a new voicemail opens a ticket with its mailbox, length and transcript', async () => {
    const i = await add({
      kind: 'ticket',
      name: 'Voicemail desk',
      config: {
        onMissedCall: false,
        onVoicemail: true,
        url: `${rx.url}/vm`,
        bodyTemplate:
          '{"s":"{{event}} in {{voicemail.mailbox}} from {{call.callerName}} {{call.caller}}, {{voicemail.duration}} s","t":"{{voicemail.transcript}}"}',
      },
    });
    await hub.reload();
    hub.onEvent({
      type: 'voicemail.new',
      tenantId: fx.A.id,
      message: {
        id: '00000000-0000-4000-8000-0000000000aa',
        boxId: '00000000-0000-4000-8000-0000000000bb',
        mailbox: '101',
        caller: '+74951112233',
        callerName: 'Olga',
        durationMs: 12_400,
        receivedAt: new Date().toISOString(),
      },
    });
    // Another tenant's voicemail does not reach this tenant's ticket system.
    hub.onEvent({
      type: 'voicemail.new',
      tenantId: fx.B.id,
      message: {
        id: '00000000-0000-4000-8000-0000000000cc',
        boxId: '00000000-0000-4000-8000-0000000000bb',
        mailbox: '101',
        caller: '+7000',
        callerName: '',
        durationMs: 1000,
        receivedAt: new Date().toISOString(),
      },
    });
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'delivered');
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse(rx.received[0]!.body)).toEqual({
      s: 'voicemail in 101 from Olga +74951112233, 12 s',
      t: '',
    });
  });

  it('Bitrix24: lookup by findbycomm + contact.get, call log by register + finish, contacts synced into the phonebook', async () => {
    const i = await add({
      kind: 'bitrix24',
      name: 'Bitrix24',
      config: { lookup: true, logCalls: true, userMap: { '5': '102' }, defaultUserId: '1' },
      secrets: { webhookUrl: `${rx.url}/rest/1/s3cr3tcode/` },
    });
    expect(i.webhookHost).toBe(new URL(rx.url).host);
    let finishes = 0;
    rx.handler = (r) => {
      const method = r.path.replace('/rest/1/s3cr3tcode/', '');
      const body = JSON.parse(r.body || '{}') as Record<string, unknown>;
      switch (method) {
        case 'crm.duplicate.findbycomm.json':
          return {
            json: {
              result: body.values && (body.values as string[])[0] === '+74957000001' ? { CONTACT: [7] } : [],
            },
          };
        case 'crm.contact.get.json':
          return { json: { result: { ID: '7', NAME: 'Ivan', LAST_NAME: 'Petrov', ASSIGNED_BY_ID: '5' } } };
        case 'telephony.externalcall.register.json':
          return { json: { result: { CALL_ID: 'externalCall.abc' } } };
        case 'telephony.externalcall.finish.json':
          return ++finishes === 1 ? { status: 500, json: { error: 'INTERNAL' } } : { json: { result: {} } };
        case 'crm.contact.list.json':
          return body.start === 0
            ? {
                json: {
                  result: [
                    {
                      ID: '7',
                      NAME: 'Ivan',
                      LAST_NAME: 'Petrov',
                      PHONE: [{ VALUE: '+74957000001', VALUE_TYPE: 'WORK' }],
                    },
                  ],
                  next: 1,
                  total: 2,
                },
              }
            : {
                json: {
                  result: [
                    { ID: '8', NAME: 'Olga', PHONE: [{ VALUE: '+74957000002', VALUE_TYPE: 'MOBILE' }] },
                  ],
                  total: 2,
                },
              };
        default:
          return { status: 404, json: { error: 'ERROR_METHOD_NOT_FOUND' } };
      }
    };
    const t = await fx.call('POST', `${base()}/${i.id}/lookup`, {
      ...admin(),
      body: { number: '+74957000001' },
    });
    expect(t.json).toMatchObject({ found: true, name: 'Ivan Petrov', owner: '5', ownerExtension: '102' });
    expect(t.json.contactUrl).toBe(`${rx.url}/crm/contact/details/7/`);
    expect(JSON.parse(rx.received[0]!.body)).toEqual({
      entity_type: 'CONTACT',
      type: 'PHONE',
      values: ['+74957000001'],
    });
    expect(JSON.parse(rx.received[1]!.body)).toEqual({ id: '7' });

    // A sample call log: register, finish refused once, then finish again with the same call id.
    rx.received.length = 0;
    await fx.call('POST', `${base()}/${i.id}/test`, admin());
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'delivered');
    const paths = rx.received.map((r) => r.path.split('/').pop());
    expect(paths).toEqual([
      'telephony.externalcall.register.json',
      'telephony.externalcall.finish.json',
      'telephony.externalcall.finish.json',
    ]);
    expect(JSON.parse(rx.received[0]!.body)).toMatchObject({
      USER_ID: 1,
      PHONE_NUMBER: '+74951234567',
      TYPE: 2,
      CRM_CREATE: 0,
      SHOW: 0,
    });
    expect(JSON.parse(rx.received[2]!.body)).toMatchObject({
      CALL_ID: 'externalCall.abc',
      USER_ID: 1,
      DURATION: 50,
      STATUS_CODE: '200',
    });
    // The webhook URL's key never reaches the log.
    expect(JSON.stringify(await deliveries(i.id))).not.toContain('s3cr3tcode');

    const sync = await fx.call('POST', `${base()}/${i.id}/sync`, admin());
    expect(sync.json).toEqual({ created: 2, updated: 0, removed: 0 });
    const contacts = (await fx.store.tenant(fx.A.id).contacts.list({ limit: 10, offset: 0 })).items;
    expect(contacts.map((c) => [c.name, c.source]).sort()).toEqual([
      ['Ivan Petrov', 'crm:bitrix24'],
      ['Olga', 'crm:bitrix24'],
    ]);
  });

  it('amoCRM: lookup by contacts?query with the token, calls logged to /api/v4/calls, contacts synced', async () => {
    const i = await add({
      kind: 'amocrm',
      name: 'amoCRM',
      config: { url: rx.url, lookup: true, logCalls: true, userMap: { '3001': '101' } },
      secrets: { token: 'amo-long-lived' },
    });
    expect(i.hasToken).toBe(true);
    rx.handler = (r) => {
      const u = new URL(r.path, rx.url);
      if (r.method === 'GET' && u.pathname === '/api/v4/contacts' && u.searchParams.has('query'))
        return u.searchParams.get('query') === '+74958000001'
          ? {
              json: {
                _embedded: { contacts: [{ id: 42, name: 'Anna Smirnova', responsible_user_id: 3001 }] },
              },
            }
          : { status: 204 };
      if (r.method === 'GET' && u.pathname === '/api/v4/contacts')
        return u.searchParams.get('page') === '1'
          ? {
              json: {
                _embedded: {
                  contacts: [
                    {
                      id: 42,
                      name: 'Anna Smirnova',
                      custom_fields_values: [
                        { field_code: 'PHONE', values: [{ value: '+74958000001', enum_code: 'WORK' }] },
                        { field_code: 'EMAIL', values: [{ value: 'anna@example.com', enum_code: 'WORK' }] },
                      ],
                    },
                  ],
                },
                _links: { next: { href: `${rx.url}/api/v4/contacts?page=2` } },
              },
            }
          : { status: 204 };
      if (r.method === 'POST' && u.pathname === '/api/v4/calls')
        return { json: { _embedded: { calls: [{ id: 1 }] } } };
      return { status: 404 };
    };
    const t = await fx.call('POST', `${base()}/${i.id}/lookup`, {
      ...admin(),
      body: { number: '+74958000001' },
    });
    expect(t.json).toMatchObject({
      found: true,
      name: 'Anna Smirnova',
      owner: '3001',
      ownerExtension: '101',
    });
    expect(t.json.contactUrl).toBe(`${rx.url}/contacts/detail/42`);
    expect(rx.received[0]!.headers.authorization).toBe('Bearer amo-long-lived');
    const none = await fx.call('POST', `${base()}/${i.id}/lookup`, {
      ...admin(),
      body: { number: '+74958000009' },
    });
    expect(none.json).toMatchObject({ found: false, error: null });

    rx.received.length = 0;
    await fx.call('POST', `${base()}/${i.id}/test`, admin());
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'delivered');
    const log = rx.received[0]!;
    expect(log.path).toBe('/api/v4/calls');
    const [entry] = JSON.parse(log.body) as Record<string, unknown>[];
    expect(entry).toMatchObject({
      direction: 'inbound',
      uniq: '00000000-0000-4000-8000-000000000000',
      duration: 50,
      source: 'Nimbus PBX',
      phone: '+74951234567',
      call_status: 4,
    });
    expect(typeof entry!.created_at).toBe('number');

    const sync = await fx.call('POST', `${base()}/${i.id}/sync`, admin());
    expect(sync.json).toEqual({ created: 1, updated: 0, removed: 0 });
    const [c] = (await fx.store.tenant(fx.A.id).contacts.list({ limit: 10, offset: 0, q: 'Anna' })).items;
    expect(c).toMatchObject({ name: 'Anna Smirnova', email: 'anna@example.com', source: 'crm:amocrm' });
  });

  it("copies a CRM's contacts into the phonebook on its schedule, through the delivery log, once per interval", async () => {
    // Only the CRMs that have contacts may ask for it.
    const refused = await fx.call('POST', base(), {
      ...admin(),
      body: { kind: 'crmWebhook', name: 'Ours', config: { lookup: false, syncContactsHours: 6 } },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.field).toBe('config.syncContactsHours');

    let pages = 0;
    rx.handler = (r) => {
      const u = new URL(r.path, rx.url);
      if (r.method !== 'GET' || u.pathname !== '/api/v4/contacts') return { status: 404 };
      pages++;
      return u.searchParams.get('page') === '1'
        ? {
            json: {
              _embedded: {
                contacts: [
                  {
                    id: 7,
                    name: 'Pavel Scheduled',
                    custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+74958000077' }] }],
                  },
                ],
              },
            },
          }
        : { status: 204 };
    };
    const manual = await add({
      kind: 'amocrm',
      name: 'amoCRM by hand',
      config: { url: rx.url, lookup: false, logCalls: false },
      secrets: { token: 't' },
    });
    const i = await add({
      kind: 'amocrm',
      name: 'amoCRM hourly',
      config: { url: rx.url, lookup: false, logCalls: false, syncContactsHours: 1 },
      secrets: { token: 't' },
    });
    await hub.queueDueSyncs();
    await eventually(async () => (await deliveries(i.id))[0]?.status === 'delivered');
    const [sync] = await deliveries(i.id);
    expect(sync).toMatchObject({ eventType: 'contactSync', lastStatus: 200 });
    const contacts = (await fx.store.tenant(fx.A.id).contacts.list({ limit: 10, offset: 0, q: 'Pavel' }))
      .items;
    expect(contacts.map((c) => [c.name, c.source])).toEqual([['Pavel Scheduled', 'crm:amocrm']]);
    // The integration without a schedule was not synced.
    expect(await deliveries(manual.id)).toEqual([]);

    // Within the hour nothing more is queued, however often the nodes look.
    await hub.queueDueSyncs();
    await hub.queueDueSyncs();
    await hub.idle();
    expect(await deliveries(i.id)).toHaveLength(1);
    const seen = pages;
    // An hour later, the next one.
    await fx.store.db
      .updateTable('integrationDeliveries')
      .set({ createdAt: new Date(Date.now() - 3700_000) } as never)
      .where('integrationId', '=', i.id)
      .execute();
    await hub.queueDueSyncs();
    await eventually(
      async () => (await deliveries(i.id)).filter((d) => d.status === 'delivered').length === 2,
    );
    expect(pages).toBeGreaterThan(seen);
  });
});
