/**
 * Per-tenant request rate: two budgets a window (the tenant's own phones, and
 * strangers), strangers over theirs dropped over UDP and refused over
 * connections, known phones refused with a Retry-After, other tenants untouched,
 * one security event a minute per tenant carrying the count, bounded memory.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AggregatedEvents } from '../../src/pbx/aggregated-events.js';
import { SecurityLog, securityLine } from '../../src/pbx/security-events.js';
import { TenantRateLimiter } from '../../src/pbx/tenant-rate-limit.js';

function setup(opts: ConstructorParameters<typeof TenantRateLimiter>[1] = {}) {
  let now = 1_000_000;
  const clock = () => now;
  const log = new SecurityLog(pino({ level: 'silent' }), { clock });
  const l = new TenantRateLimiter(new AggregatedEvents(log, { clock }), { perSecond: 10, clock, ...opts });
  return { l, log, advance: (ms: number) => (now += ms), now: clock };
}

describe('tenant rate limiter', () => {
  it("drops strangers over the tenant's budget (20 in 2 s) over UDP while its phones go on", () => {
    const { l } = setup();
    l.vouch('t1', '192.0.2.50');
    for (let i = 0; i < 20; i++)
      expect(l.check('t1', `198.51.100.${i}`, 'UDP', 'REGISTER', 'a.test')).toBe('pass');
    expect(l.check('t1', '198.51.100.99', 'UDP', 'REGISTER', 'a.test')).toBe('drop');
    // Over a connection the address is proven: answered 503 instead of silence.
    expect(l.check('t1', '198.51.100.99', 'TCP', 'REGISTER', 'a.test')).toBe('refuse');
    for (let i = 0; i < 20; i++) expect(l.check('t1', '192.0.2.50', 'UDP', 'INVITE', 'a.test')).toBe('pass');
    // Another tenant has its own budgets.
    expect(l.check('t2', '198.51.100.1', 'UDP', 'REGISTER', 'b.test')).toBe('pass');
    expect(l.stats).toEqual({ refused: 1, dropped: 1 });
  });

  it('refuses its own phones over their budget (503), never drops them', () => {
    const { l } = setup();
    l.vouch('t1', '192.0.2.50');
    for (let i = 0; i < 20; i++) l.check('t1', '192.0.2.50', 'UDP', 'REGISTER', 'a.test');
    expect(l.check('t1', '192.0.2.50', 'UDP', 'REGISTER', 'a.test')).toBe('refuse');
    expect(l.retryAfter('t1')).toBe(2);
  });

  it('starts again each window, and forgets a known phone after its time', () => {
    const { l, advance, now } = setup({ knownMs: 60_000 });
    l.vouch('t1', '192.0.2.50', now() + 120_000);
    for (let i = 0; i < 21; i++) l.check('t1', '198.51.100.1', 'UDP', 'OPTIONS', 'a.test');
    advance(2000);
    expect(l.check('t1', '198.51.100.1', 'UDP', 'OPTIONS', 'a.test')).toBe('pass');
    expect(l.isKnown('t1', '192.0.2.50')).toBe(true);
    advance(118_000);
    expect(l.isKnown('t1', '192.0.2.50')).toBe(false);
  });

  it('records one tenant-flood event a minute per tenant, with the count since the last', () => {
    const { l, log, advance } = setup();
    for (let i = 0; i < 120; i++) l.check('t1', '198.51.100.1', 'UDP', 'INVITE', 'a.test');
    expect(log.list({ kind: 'tenant-flood' })).toEqual([
      expect.objectContaining({
        ip: '198.51.100.1',
        realm: 'a.test',
        tenantId: 't1',
        reason: 'over-10-per-second:refused-1',
      }),
    ]);
    advance(60_000);
    l.check('t1', '198.51.100.2', 'UDP', 'INVITE', 'a.test');
    expect(log.list({ kind: 'tenant-flood' })).toHaveLength(1);
    for (let i = 0; i < 21; i++) l.check('t1', '198.51.100.2', 'UDP', 'INVITE', 'a.test');
    const events = log.list({ kind: 'tenant-flood' });
    expect(events).toHaveLength(2);
    // 99 refused in the first window after its event, then this one.
    expect(events[0]!.reason).toBe('over-10-per-second:refused-100');
    // One clean line for log watchers: nothing in the reason needs escaping.
    expect(securityLine(events[0]!)).toBe(
      'SECURITY tenant-flood ip=198.51.100.2 realm=a.test method=INVITE transport=UDP reason=over-10-per-second:refused-100 until=1970-01-01T00:17:42.000Z',
    );
  });

  it("takes a tenant's own limit over the platform's, and is off at 0", () => {
    const { l } = setup({ perSecond: 0, limitOf: (t) => (t === 'small' ? 1 : null) });
    expect(l.check('small', '198.51.100.1', 'UDP', 'INVITE', 's.test')).toBe('pass');
    expect(l.check('small', '198.51.100.1', 'UDP', 'INVITE', 's.test')).toBe('pass');
    expect(l.check('small', '198.51.100.1', 'UDP', 'INVITE', 's.test')).toBe('drop');
    for (let i = 0; i < 1000; i++)
      expect(l.check('big', '198.51.100.1', 'UDP', 'INVITE', 'b.test')).toBe('pass');
  });

  it('remembers a bounded number of known addresses', () => {
    const { l } = setup({ maxKnown: 100 });
    for (let i = 0; i < 5000; i++) l.vouch('t1', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(l.knownCount).toBe(100);
    expect(l.isKnown('t1', '10.0.19.135')).toBe(true); // the last one (4999)
    expect(l.isKnown('t1', '10.0.0.0')).toBe(false);
  });
});

describe('aggregated events', () => {
  it('keeps a bounded number of keys', () => {
    const log = new SecurityLog(pino({ level: 'silent' }), { clock: () => 0 });
    const agg = new AggregatedEvents(log, { clock: () => 0, maxKeys: 10 });
    for (let i = 0; i < 1000; i++)
      agg.note(`k${i}`, () => ({
        kind: 'connection-limit',
        ip: '192.0.2.1',
        user: null,
        realm: null,
        method: null,
        transport: 'TCP',
        reason: null,
        until: null,
      }));
    expect(agg.size).toBe(10);
    expect(log.counts['connection-limit']).toBe(1000);
  });
});
