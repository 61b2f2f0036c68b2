/**
 * Caller names from the phonebook: a carrier (a UA of ours at its own loopback
 * address) calls one of the tenant's numbers; when the caller's number is in the
 * phonebook — written any way, "8 (916) …" for a "+7916…" caller — the phone rung
 * shows the contact's name instead of what the carrier sent, and the call record
 * keeps it. An unknown caller keeps the carrier's name; a change to the phonebook
 * counts from the next call; the Call carries the identity for routing by owner.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Call } from '../../src/pbx/call.js';
import type { CallerIdentity } from '../../src/pbx/caller-lookup.js';
import { parseNameAddr } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DOMAIN = 'names.example.test';
const CARRIER_HOST = '127.0.0.6';
const DID = '+74957770000';

describe('caller names from the phonebook', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };
  const store = () => fx.db.store.tenant(fx.tenantId);
  const identities: (CallerIdentity | null)[] = [];

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '101' }]);
    carrier = await udpUa('carrier', new Wire(), systemClock, CARRIER_HOST);
    const trunk = await fx.db.store.trunks.create(trunkInput('Carrier', CARRIER_HOST, carrier.local.port));
    await fx.db.store.numbers.create({ number: DID, tenantId: fx.tenantId, trunkId: trunk.id, note: '' });
    const ext = await store().extensions.getByNumber('101');
    await store().routing.create('inboundRoute', {
      name: 'Main',
      number: DID,
      config: { callerRules: [], destination: { kind: 'extension', id: ext!.id } },
    });
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, ['101']);
    bank.get('101').mode = 'ring';
  }, 30_000);

  afterAll(async () => {
    bank?.close();
    carrier?.close();
    await fx?.close();
  });

  beforeEach(async () => {
    for (const c of fx.sip.calls) c.hangup('A', 'test');
    await until(() => fx.sip.calls.size === 0);
    bank.reset();
    bank.get('101').mode = 'ring';
  });

  /** The carrier calls our number from `from` (E.164 without the plus, as the trunk is set up) named `name`. */
  async function callFrom(from: string, name: string): Promise<string> {
    const phone = bank.get('101');
    const before = phone.invites.length;
    const req = carrier.buildRequest('INVITE', `sip:${DID.slice(1)}@127.0.0.1`, {
      from: `"${name}" <sip:${from}@${CARRIER_HOST}>`,
      headers: [['P-Asserted-Identity', `<sip:${from}@${CARRIER_HOST}>`]],
      body: PHONE_SDP,
      contentType: 'application/sdp',
    });
    carrier.send(req, { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort });
    await until(() => phone.invites.length > before, 5000);
    const call = [...fx.sip.calls].find((c): c is Call => c instanceof Call);
    identities.push(call?.identity ?? null);
    const invite = phone.invites[phone.invites.length - 1]!;
    return parseNameAddr(invite.headers.get('From') ?? '')?.displayName ?? '';
  }

  /** The newest call record once closed. */
  async function lastRecord() {
    for (const c of fx.sip.calls) c.hangup('A', 'test');
    await until(() => fx.sip.calls.size === 0);
    for (let i = 0; i < 200; i++) {
      await fx.db.store.callLog.drain();
      const row = (await store().calls.list({ limit: 1, offset: 0 })).items[0];
      if (row?.status === 'ended') return row;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no ended call record');
  }

  it("shows the phonebook's name on the phone and in the call record", async () => {
    const c = await store().contacts.create({
      name: 'Мария Иванова',
      company: 'Ромашка',
      numbers: [{ number: '8 (916) 555-12-34', label: 'mobile' }],
    });
    await fx.sip.contactsChanged(fx.tenantId);
    expect(await callFrom('79165551234', '79165551234')).toBe('Мария Иванова');
    expect(identities.at(-1)).toMatchObject({ name: 'Мария Иванова', source: 'phonebook' });
    const row = await lastRecord();
    expect(row.caller).toBe('+79165551234');
    expect(row.callerName).toBe('Мария Иванова');

    // A carrier's own name gives way to the phonebook's too; a renamed contact counts from the next call.
    await store().contacts.update(c.id, { name: 'Maria Ivanova' });
    await fx.sip.contactsChanged(fx.tenantId);
    expect(await callFrom('79165551234', 'MTS Subscriber')).toBe('Maria Ivanova');
    expect((await lastRecord()).callerName).toBe('Maria Ivanova');
  });

  it("keeps the carrier's name for a caller the phonebook does not know", async () => {
    expect(await callFrom('74991112233', 'Some Company')).toBe('Some Company');
    expect(identities.at(-1)).toBeNull();
    expect((await lastRecord()).callerName).toBe('Some Company');
  });
});
