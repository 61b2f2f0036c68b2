/**
 * A call's CDR row is in the database before anyone hears of the call from the node
 * (DESIGN.md §5, issue 11): the callee is not offered the INVITE, and the caller gets no
 * 180 or 200, until the row is written. The call log batches its writes for a few ms, so
 * without this a node SIGKILLed just after ringing a phone would lose that call's row
 * (test/interop/cluster-kill-under-load.test.ts kills nodes under load). Here the batch
 * window is stretched to make the order observable; and a database that does not answer
 * only delays calls by a bounded time, it does not stop them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until } from '../helpers/test-ua.js';

const DOMAIN = 'cdr-first.example.test';

describe('the CDR row before the ringing', () => {
  let fx: SipFixture;
  let bank: PhoneBank;
  /** The callee: answers at once, and notes how many rows of calls to it the database had then. */
  let callee: TestUa & { close(): void };
  const rowsWhenOffered: number[] = [];
  /** The call log's batch window (a private setting: the test stretches it). */
  const window = (ms: number) => {
    (fx.db.store.callLog as unknown as { windowMs: number }).windowMs = ms;
  };

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '201' }, { number: '202' }]);
    bank = await phoneBank(fx, DOMAIN, ['201']);
    callee = await udpUa('202', bank.wire, systemClock);
    callee.credentials = { username: '202', password: 's-202-secret' };
    callee.on('INVITE', (req, tx, source) => {
      if (!tx) return;
      if (!req.headers.get('To')?.includes('tag=')) {
        // Read before answering: the row must be there the moment we are offered the call.
        void fx.db.store
          .tenant(fx.tenantId)
          .calls.list({ limit: 10, offset: 0 })
          .then((page) => rowsWhenOffered.push(page.items.length));
      }
      callee.accept(tx, source, PHONE_SDP);
    });
    callee.on('BYE', (req, tx) => tx?.respond(callee.response(req, 200)));
    expect(((await bank.register(callee)) as { status: number } | undefined)?.status).toBe(200);
  }, 30_000);

  afterAll(async () => {
    callee?.close();
    bank?.close();
    await fx?.close();
  });

  it('offers the call to the callee only once its row is written', async () => {
    window(300);
    const t0 = Date.now();
    const call = bank.call('201', '202');
    const answer = await call.done();
    expect(answer?.status).toBe(200);
    // The window held the row ~300 ms, and the call with it.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await until(() => rowsWhenOffered.length === 1, 5000);
    expect(rowsWhenOffered).toEqual([1]);
    window(10);
    await bank.hangupAll();
  }, 30_000);

  it('rings anyway after a bounded wait when the database does not answer', async () => {
    // The first call's row closed and nothing queued, so the next batch starts with the new window.
    for (let i = 0; ; i++) {
      await fx.db.store.callLog.drain();
      const rows = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 10, offset: 0 });
      if (rows.items[0]?.status === 'ended') break;
      if (i > 100) throw new Error(`first call not closed: ${rows.items[0]?.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // A row that takes 5 s to be written: the call waits about a second for it, then rings.
    window(5000);
    const t0 = Date.now();
    const call = bank.call('201', '202');
    await until(() => rowsWhenOffered.length === 2, 4000);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(4000);
    expect((await call.done())?.status).toBe(200);
    // Offered before its row was written (the database "did not answer"): only the first one.
    expect(rowsWhenOffered).toEqual([1, 1]);
    window(10);
    await bank.hangupAll();
    // The row still gets written, late.
    await fx.db.store.callLog.drain();
    const rows = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 10, offset: 0 });
    expect(rows.items.length).toBe(2);
  }, 30_000);
});
