/**
 * Integrations on real calls from a carrier (a UA of ours at its own loopback
 * address) against an HTTP receiver acting as the CRM and the ticket system:
 * the CRM's name reaches the phone; a CRM that hangs costs the caller the lookup
 * timeout and the phone still rings; a missed call opens a ticket and is logged
 * to the CRM; the CRM's responsible manager rings first on an inbound route
 * ("responsible manager first") and is offered the caller first in a queue
 * (sticky agent), the queue's own strategy deciding otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntegrationHub, sealKey, sealSecrets } from '../../src/api/integrations/hub.js';
import { RecordingLinks } from '../../src/api/recording-links.js';
import type { Call } from '../../src/pbx/call.js';
import { DiskStorage } from '../../src/pbx/recording/storage.js';
import { parseNameAddr } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { contractErrors } from '../helpers/crm-contract.js';
import { type Receiver, startReceiver } from '../helpers/http-receiver.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DOMAIN = 'crm.example.test';
const CARRIER_HOST = '127.0.0.7';
const DID_ROUTE = '+74957771000';
const DID_QUEUE = '+74957772000';
const PHONES = ['101', '102', '301', '302', '303'];

describe('integrations on calls from a carrier', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };
  let rx: Receiver;
  let hub: IntegrationHub;
  const store = () => fx.db.store.tenant(fx.tenantId);
  const recordingsDir = mkdtempSync(join(tmpdir(), 'nimbus-crm-rec-'));
  /** What the CRM answers per number (absent: 404; 'hang': never). */
  const crm = new Map<string, { name: string; owner?: string } | 'hang'>();

  beforeAll(async () => {
    rx = await startReceiver();
    rx.handler = (r) => {
      const u = new URL(r.path, rx.url);
      if (u.pathname === '/lookup') {
        const a = crm.get(u.searchParams.get('number') ?? '');
        if (a === 'hang') return { hang: true };
        return a ? { json: a } : { status: 404 };
      }
      return { status: 201, json: { id: 1 } };
    };
    fx = await sipFixture(
      DOMAIN,
      PHONES.map((number) => ({ number })),
      {
        media: { bindAddress: '127.0.0.1', portMin: 44400, portMax: 44599, workers: 1 },
        recordings: new DiskStorage(recordingsDir),
      },
    );
    carrier = await udpUa('carrier', new Wire(), systemClock, CARRIER_HOST);
    const trunk = await fx.db.store.trunks.create(trunkInput('Carrier', CARRIER_HOST, carrier.local.port));
    for (const number of [DID_ROUTE, DID_QUEUE])
      await fx.db.store.numbers.create({ number, tenantId: fx.tenantId, trunkId: trunk.id, note: '' });
    const ext101 = (await store().extensions.getByNumber('101'))!;
    await store().routing.create('inboundRoute', {
      name: 'Main',
      number: DID_ROUTE,
      config: { callerRules: [], destination: { kind: 'extension', id: ext101.id }, ownerFirstSec: 2 },
    });
    const q = await store().routing.create('queue', {
      name: 'Sales',
      number: '700',
      config: queueConfig({
        members: ['301', '302', '303'].map((n) => queueMember(n)),
        agentRingSec: 20,
        ownerFirstSec: 10,
      }),
    });
    await store().routing.create('inboundRoute', {
      name: 'Sales line',
      number: DID_QUEUE,
      config: { callerRules: [], destination: { kind: 'queue', id: q.id } },
    });
    const key = await sealKey(fx.db.store);
    await store().integrations.create({
      kind: 'crmWebhook',
      name: 'CRM',
      enabled: true,
      config: {
        lookup: true,
        method: 'GET',
        url: `${rx.url}/lookup`,
        // Generous for a loaded machine; the hanging CRM below shows the wait is bounded by it.
        timeoutMs: 1000,
        logCalls: true,
        callLogUrl: `${rx.url}/calls`,
      },
      secrets: sealSecrets(key, { headers: { authorization: 'Bearer t' } }),
    });
    await store().integrations.create({
      kind: 'ticket',
      name: 'Helpdesk',
      enabled: true,
      config: {
        onMissedCall: true,
        url: `${rx.url}/tickets`,
        contentType: 'application/json',
        bodyTemplate:
          '{"subject":"Missed call from {{call.callerName}} {{call.caller}}","link":"{{portal.callUrl}}"}',
      },
      secrets: '',
    });
    hub = new IntegrationHub(fx.db.store, pino({ level: 'silent' }), {
      allowPrivate: true,
      portalUrl: 'https://pbx.test',
      pollMs: 50,
      recordingLinks: new RecordingLinks(fx.db.store, 'https://pbx.test'),
    });
    await hub.start();
    fx.sip.callerLookup.add(hub.source());
    fx.sip.events.on((e) => hub.onEvent(e));
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, PHONES);
  }, 30_000);

  afterAll(async () => {
    bank?.close();
    carrier?.close();
    await hub?.close();
    await fx?.close();
    await rx?.close();
    rmSync(recordingsDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    for (const c of fx.sip.calls) c.hangup('A', 'test');
    await until(() => fx.sip.calls.size === 0, 5000);
    bank.reset();
    for (const n of PHONES) bank.get(n).mode = 'ring';
    rx.received.length = 0;
  });

  /** The carrier calls `did` from `from` (E.164 without the plus) named `name`. */
  function callFrom(from: string, did: string, name = from): void {
    const req = carrier.buildRequest('INVITE', `sip:${did.slice(1)}@127.0.0.1`, {
      from: `"${name}" <sip:${from}@${CARRIER_HOST}>`,
      headers: [['P-Asserted-Identity', `<sip:${from}@${CARRIER_HOST}>`]],
      body: PHONE_SDP,
      contentType: 'application/sdp',
    });
    carrier.send(req, { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort });
  }
  const invites = (n: string) => bank.get(n).invites;
  const shownName = (n: string) =>
    parseNameAddr(invites(n).at(-1)?.headers.get('From') ?? '')?.displayName ?? '';
  const hangUpAll = async () => {
    for (const c of fx.sip.calls) c.hangup('A', 'test');
    await until(() => fx.sip.calls.size === 0, 5000);
  };
  const received = (path: string) => rx.received.filter((r) => r.path === path);

  it("shows the CRM's name; a missed call opens a ticket and is logged to the CRM as missed", async () => {
    crm.set('+79161110001', { name: 'Ivan "Vanya" Petrov' });
    callFrom('79161110001', DID_ROUTE, 'MTS');
    await until(() => invites('101').length === 1, 5000);
    // (The phone's From cannot carry the quotes as they are; the record and the ticket keep them.)
    expect(shownName('101')).toContain('Vanya');
    await hangUpAll();
    await until(() => received('/tickets').length === 1 && received('/calls').length === 1, 15_000);
    const ticket = JSON.parse(received('/tickets')[0]!.body) as { subject: string; link: string };
    expect(ticket.subject).toBe('Missed call from Ivan "Vanya" Petrov +79161110001');
    expect(ticket.link).toMatch(/^https:\/\/pbx\.test\/calls\?call=[0-9a-f-]{36}$/);
    const log = JSON.parse(received('/calls')[0]!.body) as { event: string; call: Record<string, unknown> };
    expect(log.event).toBe('call.ended');
    // What a real call delivered keeps the published contract (GET /api/v1/integrations/crm-contract).
    expect(contractErrors('CallLog', log)).toEqual([]);
    expect(log.call).toMatchObject({
      direction: 'inbound',
      caller: '+79161110001',
      externalNumber: '+79161110001',
      disposition: 'missed',
      talkSec: 0,
      extension: null,
      rang: ['101'],
      recordingUrl: null,
    });
    expect(received('/calls')[0]!.headers.authorization).toBe('Bearer t');
  });

  it("a CRM that does not answer costs the caller its timeout: the phone rings anyway, with the carrier's name", async () => {
    crm.set('+79161110002', 'hang');
    const started = Date.now();
    callFrom('79161110002', DID_ROUTE, 'Some Company');
    await until(() => invites('101').length === 1, 5000);
    const ms = Date.now() - started;
    // The CRM's timeout (1 s), within the lookup's deadline (1.5 s), then the phone rings.
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2500);
    expect(shownName('101')).toBe('Some Company');
    await hangUpAll();
  });

  it('logs a recorded call to the CRM with a link to its recording that plays without signing in', async () => {
    const ext = (await store().extensions.getByNumber('101'))!;
    const always = {
      inboundExternal: 'always',
      inboundInternal: 'onDemand',
      outboundExternal: 'onDemand',
      outboundInternal: 'onDemand',
    } as const;
    await store().extensions.update(ext.id, { recording: always });
    await fx.sip.tenantChanged(fx.tenantId);
    try {
      crm.set('+79161110009', { name: 'Pavel' });
      callFrom('79161110009', DID_ROUTE);
      await until(() => invites('101').length === 1, 5000);
      bank.get('101').pickUp();
      await until(() => [...fx.sip.calls].some((c) => (c as Call).state === 'answered'), 5000);
      await new Promise((r) => setTimeout(r, 300));
      await hangUpAll();
      // (A log of the test before may arrive meanwhile: this call's is the one from its caller.)
      const logOf = () =>
        received('/calls')
          .map((r) => JSON.parse(r.body) as { call: { caller: string; recordingUrl: string | null } })
          .find((l) => l.call.caller === '+79161110009');
      const log = await until(logOf, 15_000);
      expect(log.call.recordingUrl).toMatch(/^https:\/\/pbx\.test\/api\/v1\/recording-links\/[\w.-]+$/);
      const token = log.call.recordingUrl!.split('/').pop()!;
      const id = await new RecordingLinks(fx.db.store, '').verify(token);
      expect((await store().recordings.get(id!))?.caller).toBe('+79161110009');
    } finally {
      await store().extensions.update(ext.id, { recording: { ...always, inboundExternal: 'onDemand' } });
      await fx.sip.tenantChanged(fx.tenantId);
    }
  });

  it('rings the responsible manager first on the inbound route, then the route goes on', async () => {
    crm.set('+79161110003', { name: 'Olga', owner: '102' });
    const started = Date.now();
    callFrom('79161110003', DID_ROUTE);
    await until(() => invites('102').length === 1, 5000);
    expect(shownName('102')).toBe('Olga');
    expect(invites('101')).toHaveLength(0);
    await until(() => invites('101').length === 1, 6000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const call = [...fx.sip.calls][0] as Call;
    expect(call.identity).toMatchObject({ owner: '102', source: 'crm:crmWebhook' });
    await hangUpAll();
  });

  it('offers a queue caller to the responsible agent first (sticky agent), the strategy deciding otherwise', async () => {
    crm.set('+79161110004', { name: 'Anna', owner: '303' });
    callFrom('79161110004', DID_QUEUE);
    await until(() => invites('303').length === 1, 5000);
    await new Promise((r) => setTimeout(r, 300));
    // Linear would have rung 301 first.
    expect(invites('301')).toHaveLength(0);
    bank.get('303').pickUp();
    await until(() => [...fx.sip.calls].some((c) => (c as Call).state === 'answered'), 5000);
    await hangUpAll();

    // An owner who is not this queue's agent changes nothing: linear rings 301.
    bank.reset();
    for (const n of PHONES) bank.get(n).mode = 'ring';
    crm.set('+79161110005', { name: 'Boris', owner: '102' });
    callFrom('79161110005', DID_QUEUE);
    await until(() => invites('301').length === 1, 5000);
    expect(invites('303')).toHaveLength(0);
    await hangUpAll();
  });
});
