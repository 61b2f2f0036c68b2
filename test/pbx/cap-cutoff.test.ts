/**
 * A tenant that asks for it has its external calls cut off when they take it
 * past its daily spend cap while talking (issue 12: caps "block new calls and can
 * clear active ones"); one that does not keeps them, and only new calls are
 * refused. Real SIP: a phone on our stack, the PBX with anchored media, and a
 * carrier (our test UA) that answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import type { CallRecord } from '../../src/store/schema.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const DOMAIN = 'caps.example.test';
const MOBILE = '89161234567';

describe('a spend cap reached during calls', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  let carrier: TestUa & { close(): void };

  async function lastCall(): Promise<CallRecord> {
    await Promise.all([...fx.sip.calls].map((c) => c.flushed()));
    for (let i = 0; ; i++) {
      await fx.db.store.callLog.drain();
      const row = (await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 1, offset: 0 })).items[0];
      if ((row && row.status === 'ended') || i > 300) return row!;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function caps(clearCallsAtCap: boolean): Promise<void> {
    await fx.db.store.db
      .updateTable('tenants')
      .set({ dailySpendCap: 100, clearCallsAtCap })
      .where('id', '=', fx.tenantId)
      .execute();
    // A fresh day of spend for each case.
    fx.sip.carriers.limits.baseline(fx.tenantId, 'UTC', 0, 0, null);
    await fx.sip.tenantChanged(fx.tenantId);
  }

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '101', callClass: 'national' }], {
      media: { bindAddress: '127.0.0.1', portMin: 47800, portMax: 47999, workers: 1 },
      capCheckMs: 100,
    });
    const store = fx.db.store;
    carrier = await udpUa('carrier', new Wire(), systemClock, '127.0.0.2');
    carrier.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
      if (!tx) return;
      if (req.headers.get('To')?.includes('tag=')) {
        const res = carrier.response(req, 200, [['Content-Type', 'application/sdp']]);
        res.body = PHONE_SDP;
        tx.respond(res);
        return;
      }
      tx.respond(carrier.response(req, 180));
      setTimeout(() => carrier.accept(tx, source, PHONE_SDP), 20);
    });
    const trunk = await store.trunks.create(trunkInput('Carrier', '127.0.0.2', carrier.local.port));
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
    // 60 a second: a cap of 100 is passed within two seconds of talking.
    await store.rates.create({ prefix: '+7', pricePerMinute: 3600, description: 'Russia' });
    await store.db
      .updateTable('tenants')
      .set({ maxCallClass: 'national' })
      .where('id', '=', fx.tenantId)
      .execute();
    await fx.sip.tenantChanged(null);
    bank = await phoneBank(fx, DOMAIN, ['101']);
  }, 60_000);

  afterAll(async () => {
    bank?.close();
    carrier?.close();
    await fx?.close();
  });

  it('cuts off a talking call at the cap when the tenant asks: BYE to both sides, the cause on the record', async () => {
    await caps(true);
    expect((await bank.call('101', MOBILE).done())?.status).toBe(200);
    await until(() => carrier.dialogs.size === 1, 3000);
    const answeredAt = Date.now();
    // Both sides are hung up by the PBX once the spend so far reaches 100 (under two seconds).
    await until(() => bank.get('101').dialogs.size === 0 && carrier.dialogs.size === 0, 6000);
    const after = Date.now() - answeredAt;
    expect(after).toBeGreaterThan(1000);
    expect(after).toBeLessThan(4500);
    const row = await lastCall();
    expect(row).toMatchObject({ callee: MOBILE, cause: 'spend-cap', trunk: 'Carrier' });
    expect(row.cost).toBeGreaterThanOrEqual(100);
    // And the next call is refused before anything rings.
    expect((await bank.call('101', MOBILE).done())?.status).toBe(403);
  });

  it('keeps a talking call past the cap when the tenant did not ask; only the next call is refused', async () => {
    await caps(false);
    expect((await bank.call('101', MOBILE).done())?.status).toBe(200);
    await until(() => carrier.dialogs.size === 1, 3000);
    await new Promise((r) => setTimeout(r, 2600));
    expect(bank.get('101').dialogs.size).toBe(1);
    expect(carrier.dialogs.size).toBe(1);
    for (const d of [...bank.get('101').dialogs.values()])
      await bank.get('101').inDialog('BYE', { dialog: d }).done();
    const row = await lastCall();
    expect(row.cause).not.toBe('spend-cap');
    expect(row.cost).toBeGreaterThan(100);
    expect((await bank.call('101', MOBILE).done())?.status).toBe(403);
  });
});
