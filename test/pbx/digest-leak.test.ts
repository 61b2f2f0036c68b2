/**
 * No digest leak (issue 12, FreeSWITCH CVE-2021-41158): the PBX computes a
 * trunk's credentials only for a challenge from that trunk, in its configured
 * realm. A phone that challenges the PBX's INVITE with the trunk's realm, or a
 * carrier that challenges in another realm, gets no Authorization header at all,
 * and the call fails. Real SIP on loopback: phones and a carrier on our test UA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDigestParams } from '../../src/sip/auth.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DOMAIN = 'digest.example.test';
const MOBILE = '89161234567';
const REALM = 'carrier.example';

const challenge = (realm: string, nonce: string) => `Digest realm="${realm}", nonce="${nonce}", qop="auth"`;
const hasCredentials = (r: SipRequest) =>
  r.headers.get('Authorization') !== undefined || r.headers.get('Proxy-Authorization') !== undefined;

describe('answers to 401/407 only go to the trunk the request was sent to', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };
  /** The realm the carrier challenges with next. */
  let carrierRealm = REALM;
  const carrierInvites: SipRequest[] = [];

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '101', callClass: 'national' }, { number: '102' }], {
      media: { bindAddress: '127.0.0.1', portMin: 41_500, portMax: 41_599, workers: 1 },
    });
    const store = fx.db.store;
    carrier = await udpUa('carrier', new Wire(), systemClock, '127.0.0.2');
    let nonces = 0;
    carrier.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
      if (!tx) return;
      carrierInvites.push(req);
      if (req.headers.get('To')?.includes('tag=')) {
        const res = carrier.response(req, 200, [['Content-Type', 'application/sdp']]);
        res.body = PHONE_SDP;
        tx.respond(res);
        return;
      }
      if (!hasCredentials(req)) {
        tx.respond(
          carrier.response(req, 407, [['Proxy-Authenticate', challenge(carrierRealm, `n${++nonces}`)]]),
        );
        return;
      }
      setTimeout(() => carrier.accept(tx, source, PHONE_SDP), 20);
    });
    const trunk = await store.trunks.create(
      trunkInput('Carrier', '127.0.0.2', carrier.local.port, {
        username: 'acct-77',
        password: 'trunk-secret',
        realm: REALM,
      }),
    );
    await store.tenant(fx.tenantId).routing.create('outboundRoute', {
      name: 'Russia',
      number: null,
      config: {
        priority: 10,
        patterns: [{ match: '_8XXXXXXXXXX', strip: 0, prepend: '' }],
        trunkIds: [trunk.id],
        callerId: null,
      },
    });
    await store.db
      .updateTable('tenants')
      .set({ maxCallClass: 'national' })
      .where('id', '=', fx.tenantId)
      .execute();
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, ['101', '102']);
    for (const n of ['101', '102'])
      expect((await bank.register(bank.get(n))) as { status: number }).toMatchObject({ status: 200 });
  }, 60_000);

  afterAll(async () => {
    bank?.close();
    carrier?.close();
    await fx?.close();
  });

  it("answers the trunk's own challenge in its realm (the account is used where it belongs)", async () => {
    carrierInvites.length = 0;
    carrierRealm = REALM;
    expect((await bank.call('101', MOBILE).done())?.status).toBe(200);
    const answered = carrierInvites.filter(hasCredentials);
    expect(answered).toHaveLength(1);
    const params = parseDigestParams(answered[0]!.headers.get('Proxy-Authorization')!);
    expect(params?.get('realm')).toBe(REALM);
    expect(params?.get('username')).toBe('acct-77');
    await bank.hangupAll();
  });

  it('sends no credentials to a carrier that challenges in a realm other than the configured one', async () => {
    carrierInvites.length = 0;
    carrierRealm = 'victim.example';
    const status = (await bank.call('101', MOBILE).done())?.status ?? 0;
    expect(status).toBeGreaterThanOrEqual(400);
    expect(carrierInvites.length).toBeGreaterThanOrEqual(1);
    expect(carrierInvites.some(hasCredentials)).toBe(false);
    await until(() => fx.sip.calls.size === 0);
    carrierRealm = REALM;
  });

  it("sends no credentials to a phone that challenges the PBX's INVITE with the trunk's realm", async () => {
    carrierInvites.length = 0;
    const phone = bank.get('102');
    const challenged: SipRequest[] = [];
    phone.on('INVITE', (req: SipRequest, tx: ServerTransaction | null) => {
      if (!tx) return;
      challenged.push(req);
      const www = hasCredentials(req)
        ? []
        : [['WWW-Authenticate', challenge(REALM, `p${challenged.length}`)]];
      tx.respond(phone.response(req, 401, www as [string, string][]));
    });
    const status = (await bank.call('101', '102').done())?.status ?? 0;
    expect(status).toBeGreaterThanOrEqual(400);
    expect(challenged.length).toBeGreaterThanOrEqual(1);
    expect(challenged.some(hasCredentials)).toBe(false);
    // And nothing was sent anywhere else either (the trunk was not involved).
    expect(carrierInvites).toHaveLength(0);
    await until(() => fx.sip.calls.size === 0);
  });
});
