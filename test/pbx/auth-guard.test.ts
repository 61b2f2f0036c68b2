/**
 * Brute-force protection on its own: failures counted per (address, user) and per
 * address within the window, bans that end, the allow-list, bounded tables, and
 * security log lines a hostile user name cannot forge.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuthGuard, parseCidr } from '../../src/pbx/auth-guard.js';
import { logValue, SecurityLog, securityLine } from '../../src/pbx/security-events.js';

function setup(opts: ConstructorParameters<typeof AuthGuard>[1] = {}) {
  let now = Date.parse('2026-12-07T12:00:00Z');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const clock = () => now;
  const events = new SecurityLog(pino({ level: 'info' }, sink), { clock, capacity: 50 });
  const guard = new AuthGuard(events, opts, clock);
  const fail = (ip: string, user: string) =>
    guard.failed({
      ip,
      user,
      realm: 'g.test',
      method: 'REGISTER',
      transport: 'UDP',
      reason: 'wrong-password',
    });
  return { guard, events, lines, fail, advance: (ms: number) => (now += ms) };
}

describe('auth guard', () => {
  it('bans one user from one address after 10 failures in 10 minutes, for 15 minutes', () => {
    const { guard, events, fail, advance } = setup();
    for (let i = 0; i < 9; i++) fail('192.0.2.1', '101');
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
    fail('192.0.2.1', '101');
    expect(guard.refused('192.0.2.1', '101')).toBe(true);
    // Only that pair: the same user elsewhere and another user from there are not refused.
    expect(guard.refused('192.0.2.2', '101')).toBe(false);
    expect(guard.refused('192.0.2.1', '102')).toBe(false);
    expect(events.list({ kind: 'ban' })).toHaveLength(1);
    expect(guard.activeBans()).toEqual([
      { ip: '192.0.2.1', user: '101', until: new Date(Date.parse('2026-12-07T12:15:00Z')), realm: 'g.test' },
    ]);
    advance(15 * 60_000 - 1);
    expect(guard.refused('192.0.2.1', '101')).toBe(true);
    advance(1);
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const { guard, fail, advance } = setup();
    for (let i = 0; i < 9; i++) fail('192.0.2.1', '101');
    advance(10 * 60_000);
    fail('192.0.2.1', '101');
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
  });

  it('bans the whole address after 20 failures across users', () => {
    const { guard, fail } = setup();
    for (let i = 0; i < 20; i++) fail('192.0.2.9', String(100 + i));
    expect(guard.refused('192.0.2.9', 'anyone')).toBe(true);
    expect(guard.ipBanned('192.0.2.9')).toBe(true);
    expect(guard.ipBanned('::ffff:192.0.2.9')).toBe(true);
    expect(guard.refused('192.0.2.10', 'anyone')).toBe(false);
  });

  it('does not lengthen a ban with attempts made during it', () => {
    const { guard, fail, advance } = setup({ userFailures: 2 });
    fail('192.0.2.1', '101');
    fail('192.0.2.1', '101');
    advance(14 * 60_000);
    guard.failed({
      ip: '192.0.2.1',
      user: '101',
      realm: 'g.test',
      method: 'REGISTER',
      transport: 'UDP',
      reason: 'banned',
    });
    advance(60_000);
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
  });

  it('never counts or bans the allow-list, but still logs its failures', () => {
    const { guard, events, fail } = setup({ allow: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] });
    for (let i = 0; i < 30; i++) {
      fail('10.1.2.3', '101');
      fail('2001:db8::5', '101');
      fail('192.0.2.7', '101');
    }
    expect(guard.refused('10.1.2.3', '101')).toBe(false);
    expect(guard.refused('2001:db8::5', '101')).toBe(false);
    expect(guard.refused('192.0.2.7', '101')).toBe(false);
    expect(events.list({ kind: 'ban' })).toHaveLength(0);
    expect(events.list({ kind: 'auth-failure', limit: 1000 })).toHaveLength(50); // the ring's capacity
    expect(() => setup({ allow: ['10.0.0.0/33'] })).toThrow(/not an address/);
  });

  it('keeps its tables bounded under a flood of addresses', () => {
    const { guard, fail } = setup({ maxEntries: 100, userFailures: 1, ipFailures: 0 });
    for (let i = 0; i < 5000; i++) fail(`198.51.${i >> 8}.${i & 255}`, 'x');
    const t = guard.tracked;
    expect(t.users).toBeLessThanOrEqual(100);
    expect(t.bans).toBe(100);
    // The newest bans are the ones kept.
    expect(guard.refused(`198.51.${4999 >> 8}.${4999 & 255}`, 'x')).toBe(true);
  });

  it("takes the operator's allow-list beside the setting's, replacing the previous one, and leaves out what does not parse", () => {
    const { guard, fail } = setup({ allow: ['10.0.0.0/8'], userFailures: 1 });
    expect(guard.setExtraAllow(['192.0.2.0/24', 'nonsense'])).toEqual(['nonsense']);
    expect(guard.allowed('192.0.2.1')).toBe(true);
    expect(guard.allowed('10.1.1.1')).toBe(true);
    fail('192.0.2.1', '101');
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
    guard.setExtraAllow([]);
    expect(guard.allowed('192.0.2.1')).toBe(false); // no stale cached answer
    expect(guard.allowed('10.1.1.1')).toBe(true);
  });

  it('turns its limits off with 0', () => {
    const { guard, fail } = setup({ userFailures: 0, ipFailures: 0 });
    for (let i = 0; i < 100; i++) fail('192.0.2.1', '101');
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
  });

  it('lifts a ban early', () => {
    const { guard, fail } = setup({ userFailures: 1 });
    fail('192.0.2.1', '101');
    expect(guard.lift('192.0.2.1', '101')).toBe(true);
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
    expect(guard.lift('192.0.2.1', '101')).toBe(false);
  });

  it('starts the counters again when a ban is lifted (the next miss does not ban at once)', () => {
    const { guard, fail } = setup({ userFailures: 3, ipFailures: 0 });
    for (let i = 0; i < 3; i++) fail('192.0.2.1', '101');
    expect(guard.lift('192.0.2.1', '101')).toBe(true);
    fail('192.0.2.1', '101');
    expect(guard.refused('192.0.2.1', '101')).toBe(false);
  });

  it('tells its sharing of bans decided and lifted here, and applies bans decided elsewhere without events', () => {
    const { guard, fail, events } = setup({ userFailures: 1, ipFailures: 0 });
    const told: string[] = [];
    guard.sharing = {
      banned: (b) => told.push(`ban ${b.ip} ${b.user} ${b.realm} ${b.until.toISOString()}`),
      lifted: (ip, user) => told.push(`lift ${ip} ${user}`),
    };
    fail('192.0.2.1', '101');
    guard.lift('192.0.2.1', '101');
    expect(told).toEqual(['ban 192.0.2.1 101 g.test 2026-12-07T12:15:00.000Z', 'lift 192.0.2.1 101']);
    const bansBefore = events.list({ kind: 'ban' }).length;
    guard.applyBan({
      ip: '198.51.100.7',
      user: null,
      until: new Date(Date.parse('2026-12-07T12:05:00Z')),
      realm: null,
    });
    expect(guard.refused('198.51.100.7', 'anyone')).toBe(true);
    expect(guard.banOf('198.51.100.7')).toMatchObject({ ip: '198.51.100.7', user: null });
    expect(events.list({ kind: 'ban' })).toHaveLength(bansBefore);
    // An older ban from elsewhere does not shorten one in force; an ended one is ignored.
    guard.applyBan({
      ip: '198.51.100.7',
      user: null,
      until: new Date(Date.parse('2026-12-07T12:01:00Z')),
      realm: null,
    });
    expect(guard.banOf('198.51.100.7')?.until.toISOString()).toBe('2026-12-07T12:05:00.000Z');
    guard.applyBan({
      ip: '198.51.100.8',
      user: null,
      until: new Date(Date.parse('2026-12-07T11:00:00Z')),
      realm: null,
    });
    expect(guard.banOf('198.51.100.8')).toBeNull();
    expect(guard.applyLift('198.51.100.7', null)).toBe(true);
    expect(guard.refused('198.51.100.7', 'anyone')).toBe(false);
    // Applied lifts are not told back (that would echo between nodes).
    expect(told).toHaveLength(2);
  });
});

describe('security log lines', () => {
  it('are one stable line per event, in the pino log at warn', () => {
    const { lines, fail } = setup({ userFailures: 1, ipFailures: 0 });
    fail('192.0.2.1', '101');
    expect(lines).toHaveLength(2);
    const [failure, ban] = lines.map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(failure!.level).toBe(40);
    expect(failure!.msg).toBe(
      'SECURITY auth-failure ip=192.0.2.1 user=101 realm=g.test method=REGISTER transport=UDP reason=wrong-password',
    );
    expect(ban!.msg).toBe('SECURITY ban ip=192.0.2.1 user=101 realm=g.test until=2026-12-07T12:15:00.000Z');
  });

  it('cannot be forged by a user name, realm or agent', () => {
    const hostile = '101 ip=203.0.113.66 "\r\nSECURITY auth-failure ip=203.0.113.66 юзер';
    const line = securityLine({
      kind: 'auth-failure',
      at: new Date(),
      ip: '192.0.2.1',
      user: hostile,
      realm: 'a b',
      method: 'REGISTER',
      transport: 'UDP',
      reason: 'wrong-password',
      until: null,
    });
    expect(line).not.toMatch(/[\s"]ip=203/);
    expect(line.match(/ip=/g)).toHaveLength(1);
    expect(line).not.toMatch(/[\r\n"]/);
    expect(line.split(' ')).toHaveLength(8);
    expect(logValue('x'.repeat(500))).toHaveLength(64);
    expect(decodeURIComponent(logValue('юзер 1'))).toBe('юзер 1');
  });

  it('parses CIDR ranges and refuses what is not one', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, type: 'ipv4' });
    expect(parseCidr('2001:db8::1')).toEqual({ address: '2001:db8::1', prefix: 128, type: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '10.0.0/8', '', '1.2.3.4/x'])
      expect(parseCidr(bad)).toBeNull();
  });
});
