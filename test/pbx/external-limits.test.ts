/**
 * External-call limits and trunk health, without a network: calls at once per
 * tenant and per extension, the daily minutes cap (in the tenant's day, with one
 * alert), the anomaly rule for short international calls, and the OPTIONS checks
 * that mark a trunk down so calls skip it.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type ExternalCallOwner, ExternalLimits, FRAUD_RULE } from '../../src/pbx/trunks/limits.js';
import { TrunkSet } from '../../src/pbx/trunks/trunk-set.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import type { ClientHandlers } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import type { Trunk } from '../../src/store/schema.js';
import { trunkInput } from '../helpers/trunks.js';

const owner = (over: Partial<ExternalCallOwner> = {}): ExternalCallOwner => ({
  tenantId: 't1',
  timeZone: 'Europe/Moscow',
  maxExternalCalls: 2,
  dailyExternalMinutes: null,
  dailySpendCap: null,
  spendAlertPercent: 80,
  extension: { number: '101', maxExternalCalls: null },
  ...over,
});

describe('external-call limits', () => {
  it('counts calls at once per tenant and per extension, and frees them at the end', () => {
    const limits = new ExternalLimits(
      () => new Date(),
      () => {},
    );
    const a = limits.take(owner(), false, 0);
    expect(limits.check(owner())).toBeNull();
    const b = limits.take(owner(), false, 0);
    expect(limits.check(owner())).toMatchObject({ status: 503, cause: 'external-limit' });
    a.end(1000);
    a.end(1000); // twice is once
    expect(limits.active('t1')).toBe(1);
    const own = owner({ maxExternalCalls: 10, extension: { number: '101', maxExternalCalls: 1 } });
    expect(limits.check(own)).toMatchObject({ cause: 'external-limit' });
    expect(limits.check({ ...own, extension: { number: '102', maxExternalCalls: 1 } })).toBeNull();
    b.end(2000);
    expect(limits.active('t1')).toBe(0);
  });

  it("caps answered minutes per day in the tenant's zone, alerting once", () => {
    let now = new Date('2026-12-07T20:00:00Z'); // 23:00 in Moscow
    const alerts: string[] = [];
    const limits = new ExternalLimits(
      () => now,
      () => {},
      (t, m) => alerts.push(`${t}:${m}`),
    );
    const capped = owner({ dailyExternalMinutes: 2, maxExternalCalls: 10 });
    const call = limits.take(capped, false, 0);
    call.answered(0);
    call.end(90_000); // 1.5 min
    expect(limits.check(capped)).toBeNull();
    const second = limits.take(capped, false, 0);
    second.answered(0);
    second.end(31_000); // 2.02 min in all
    expect(limits.check(capped)).toMatchObject({ status: 403, cause: 'minutes-cap' });
    expect(limits.check(capped)).toMatchObject({ cause: 'minutes-cap' });
    expect(alerts).toEqual(['t1:2']);
    // Past midnight in Moscow (21:00 UTC) the day's minutes start again.
    now = new Date('2026-12-07T21:00:01Z');
    expect(limits.check(capped)).toBeNull();
    // Unanswered calls cost nothing.
    limits.take(capped, false, 0).end(60_000);
    expect(limits.check(capped)).toBeNull();
  });

  it('prices answered seconds by the rate, warns once at the share and refuses at the cap, per tenant day', () => {
    let now = new Date('2026-12-07T12:00:00Z');
    const told: string[] = [];
    const limits = new ExternalLimits(
      () => now,
      () => {},
      () => {},
      (t, what, spent, cap) => told.push(`${t}:${what}:${Math.round(spent)}/${cap}`),
    );
    const capped = owner({ maxExternalCalls: 10, dailySpendCap: 1000, spendAlertPercent: 80 });
    const talk = (seconds: number, price: number | null) => {
      const t = limits.take(capped, false, 0, price);
      t.answered(0);
      return t.end(seconds * 1000);
    };
    // 3 minutes at 200 a minute: 600; not priced, nothing; unanswered, nothing.
    expect(talk(180, 200)).toBe(600);
    expect(talk(600, null)).toBeNull();
    expect(limits.take(capped, false, 0, 500).end(60_000)).toBe(0);
    expect(limits.check(capped)).toBeNull();
    expect(told).toEqual([]);
    // 75 s more at 200: 850 in all, past 80 % of 1000: warned, once.
    talk(75, 200);
    talk(3, 200);
    expect(told).toEqual(['t1:warning:850/1000']);
    expect(limits.check(capped)).toBeNull();
    // A call that runs past the cap is not cut off, but the next one is refused; "reached" once.
    talk(60, 200);
    expect(limits.spentToday('t1', 'Europe/Moscow')).toBeCloseTo(1060);
    expect(limits.check(capped)).toMatchObject({ status: 403, cause: 'spend-cap' });
    expect(limits.check(capped)).toMatchObject({ cause: 'spend-cap' });
    expect(told).toEqual(['t1:warning:850/1000', 't1:reached:1060/1000']);
    // Another tenant has its own day's spend; the next Moscow day starts from nothing.
    expect(limits.check({ ...capped, tenantId: 't2' })).toBeNull();
    now = new Date('2026-12-07T21:00:01Z');
    expect(limits.check(capped)).toBeNull();
    // What the call records said at start counts as spent today, and what it had been told then
    // (990 is past the warning share) is not told again after a restart.
    limits.baseline('t1', 'Europe/Moscow', 0, 990, capped);
    expect(limits.check(capped)).toBeNull();
    const said = told.length;
    talk(6, 200);
    expect(limits.check(capped)).toMatchObject({ cause: 'spend-cap' });
    expect(told.slice(said)).toEqual(['t1:reached:1010/1000']);
    // Moving the tenant's zone across the date line does not start a fresh day early.
    const moved = { ...capped, timeZone: 'Pacific/Kiritimati' };
    expect(limits.check(moved)).toMatchObject({ cause: 'spend-cap' });
    // At the end of the Moscow day it began as, a new day starts (in the zone the tenant has now).
    now = new Date('2026-12-08T21:00:01Z');
    expect(limits.check(moved)).toBeNull();
  });

  it('cuts off running calls at the spend or minutes cap when the tenant asks, counting what they used so far', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const told: string[] = [];
    const limits = new ExternalLimits(
      () => now,
      () => {},
      () => {},
      (t, what, spent, cap) => told.push(`${t}:${what}:${Math.round(spent)}/${cap}`),
    );
    const cuts: string[] = [];
    const capped = owner({
      maxExternalCalls: 10,
      dailySpendCap: 1000,
      spendAlertPercent: 80,
      clearCallsAtCap: true,
    });
    limits.baseline('t1', 'Europe/Moscow', 0, 400, capped);
    // Two answered calls at 100 a minute and one still ringing; an emergency call has no cutter.
    const a = limits.take(capped, false, 0, 100, (c) => cuts.push(`a:${c}`));
    const b = limits.take(capped, false, 0, 100, (c) => cuts.push(`b:${c}`));
    const ringing = limits.take(capped, false, 0, 100, (c) => cuts.push(`ringing:${c}`));
    const emergency = limits.take(capped, false, 0, 100, null);
    a.answered(0);
    b.answered(60_000);
    emergency.answered(0);
    // At 1 min: 400 + 100 (a) + 0 (b) + 100 (emergency) = 600: nothing happens.
    expect(limits.enforce(60_000)).toBe(0);
    expect(cuts).toEqual([]);
    // At 3 min 30 s: 400 + 350 + 250 + 350 = 1350 >= 1000: the answered calls go, once (not the
    // emergency call, nor the one still ringing).
    expect(limits.enforce(210_000)).toBe(2);
    expect(cuts).toEqual(['a:spend-cap', 'b:spend-cap']);
    expect(told).toContain('t1:reached:1350/1000');
    expect(limits.enforce(220_000)).toBe(0);
    // Their ends count as any call's: what they cost is spent, and new calls are refused.
    a.end(211_000);
    b.end(211_000);
    ringing.end(211_000);
    emergency.end(211_000);
    expect(limits.spentToday('t1', 'Europe/Moscow')).toBeGreaterThan(1000);
    expect(limits.check(capped)).toMatchObject({ cause: 'spend-cap' });

    // The minutes cap the same way; and a tenant that did not ask keeps its calls (refused next time only).
    const minutes = new ExternalLimits(
      () => now,
      () => {},
    );
    const mCuts: string[] = [];
    const byMinutes = owner({
      tenantId: 't3',
      maxExternalCalls: 10,
      dailyExternalMinutes: 2,
      clearCallsAtCap: true,
    });
    const m = minutes.take(byMinutes, false, 0, null, (c) => mCuts.push(c));
    m.answered(0);
    expect(minutes.enforce(119_000)).toBe(0);
    expect(minutes.enforce(120_000)).toBe(1);
    expect(mCuts).toEqual(['minutes-cap']);
    const keeps = owner({ tenantId: 't4', maxExternalCalls: 10, dailyExternalMinutes: 2 });
    const k = minutes.take(keeps, false, 0, null, () => mCuts.push('t4'));
    k.answered(0);
    expect(minutes.enforce(600_000)).toBe(0);
    expect(mCuts).toEqual(['minutes-cap']);
  });

  it('blocks an extension after a burst of short international calls, not after spread-out or long ones', () => {
    const blocked: string[] = [];
    const limits = new ExternalLimits(
      () => new Date(),
      (t, n, why) => blocked.push(`${t}/${n}: ${why}`),
    );
    const o = owner({ maxExternalCalls: 100 });
    const short = (at: number, international = true) => limits.take(o, international, at).end(at + 5_000);
    // Long calls and national ones do not count.
    const long = limits.take(o, true, 0);
    long.answered(0);
    long.end(FRAUD_RULE.shortSec * 1000 + 1);
    for (let i = 0; i < 10; i++) short(i * 1000, false);
    // Spread out further than the window: never five inside it.
    const spacing = (FRAUD_RULE.windowSec * 1000) / (FRAUD_RULE.calls - 1) + 1000;
    for (let i = 0; i < FRAUD_RULE.calls; i++) short(1_000_000 + i * spacing);
    expect(blocked).toEqual([]);
    // A burst.
    for (let i = 0; i < FRAUD_RULE.calls; i++) short(10_000_000 + i * 10_000);
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatch(/^t1\/101: 5 international calls shorter than 30 s within 10 min$/);
    // Calls of the tenant's own configuration (no extension) never block anybody.
    const tenantCalls = owner({ extension: null, maxExternalCalls: 100 });
    for (let i = 0; i < 10; i++) limits.take(tenantCalls, true, 0).end(1000);
    expect(blocked).toHaveLength(1);
  });
});

describe('trunk health checks', () => {
  const trunk = (over: Partial<Trunk> = {}): Trunk => ({
    ...trunkInput('Carrier', '192.0.2.10', 5060, {
      addresses: ['198.51.100.0/24'],
      maxChannels: 1,
      numberFormat: 'e164',
      optionsIntervalSec: 30,
    }),
    id: 'tr1',
    codecs: ['PCMA'],
    createdAt: new Date(),
    updatedAt: new Date(),
    ...over,
  });

  function harness() {
    const clock = new ManualClock();
    const sent: { req: SipRequest; dest: Destination; on: ClientHandlers }[] = [];
    const set = new TrunkSet({
      layer: {
        sendRequest: (req, dest, on) => {
          sent.push({ req, dest, on });
        },
      },
      clock,
      localFor: () => ({ host: '127.0.0.1', port: 5060, transport: 'UDP' }),
      log: pino({ level: 'silent' }),
    });
    return { clock, sent, set };
  }
  const flush = () => new Promise((r) => setTimeout(r, 10));

  it('pings with OPTIONS on its interval: an answer is up, silence is down, and calls skip it', async () => {
    const { clock, sent, set } = harness();
    set.sync([trunk()]);
    clock.advance(0);
    await flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.req.method).toBe('OPTIONS');
    expect(sent[0]!.dest).toMatchObject({ host: '192.0.2.10', port: 5060 });
    // Any final answer, even 404, proves the carrier is there.
    sent[0]!.on.response({ status: 404 } as never);
    await flush();
    expect(set.status()[0]!.health.state).toBe('up');
    expect(set.isDown('tr1')).toBe(false);
    clock.advance(30_000);
    await flush();
    expect(sent).toHaveLength(2);
    sent[1]!.on.timeout();
    await flush();
    expect(set.isDown('tr1')).toBe(true);
    await set.stop();
  });

  it('knows its calls by address, counts channels, and keeps them across a settings change', () => {
    const { set } = harness();
    set.sync([trunk({ optionsIntervalSec: null })]);
    const invite = { uri: { user: '74951110001' } } as SipRequest;
    expect(set.identify({ transport: 'UDP', host: '198.51.100.7', port: 5060 }, invite)?.id).toBe('tr1');
    expect(set.identify({ transport: 'UDP', host: '::ffff:198.51.100.7', port: 5060 }, invite)?.id).toBe(
      'tr1',
    );
    expect(set.identify({ transport: 'UDP', host: '203.0.113.1', port: 5060 }, invite)).toBeNull();
    expect(set.acquire('tr1')).toBe(true);
    expect(set.acquire('tr1')).toBe(false); // one channel
    set.sync([trunk({ optionsIntervalSec: null, maxChannels: 2 })]);
    expect(set.status()[0]!.channels).toBe(1);
    expect(set.acquire('tr1')).toBe(true);
    set.release('tr1');
    set.release('tr1');
    set.release('tr1'); // never below zero
    expect(set.status()[0]!.channels).toBe(0);
    // A disabled trunk takes no calls.
    set.sync([trunk({ enabled: false })]);
    expect(set.identify({ transport: 'UDP', host: '198.51.100.7', port: 5060 }, invite)).toBeNull();
  });
});
