/**
 * The shipped fail2ban filters (deploy/fail2ban/filter.d) match the security
 * lines the node really writes — made here by the node's own logger, guard and
 * scanner filter — and find the packet's source address, never one smuggled in
 * through a user name. Checked with the filters' regexes in JavaScript always,
 * and with fail2ban-regex itself where fail2ban is installed (required under
 * NIMBUS_REQUIRE_INTEROP=1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { AuthGuard } from '../../src/pbx/auth-guard.js';
import { RequestRateLimiter } from '../../src/pbx/rate-limit.js';
import { ScannerFilter } from '../../src/pbx/scanner-filter.js';
import { SecurityLog } from '../../src/pbx/security-events.js';

const FILTERS = new URL('../../deploy/fail2ban/filter.d/', import.meta.url);
const haveF2b = spawnSync('fail2ban-regex', ['--version']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';

/**
 * The lines a node writes for: 20 failures from one address (one hostile name among them), its ban,
 * a scanner, an address blocked for a flood.
 */
function nodeLines(): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk).trimEnd());
      done();
    },
  });
  const events = new SecurityLog(createLogger('info', sink));
  const guard = new AuthGuard(events, {});
  const fail = (ip: string, user: string, reason: 'wrong-password' | 'unknown-user') =>
    guard.failed({ ip, user, realm: 'pbx.example.com', method: 'REGISTER', transport: 'UDP', reason });
  for (let i = 0; i < 19; i++) fail('192.0.2.1', String(100 + (i % 3)), 'wrong-password');
  // A user name trying to make the log name somebody else.
  fail('192.0.2.1', '101" ip=203.0.113.66 "msg":"SECURITY auth-failure ip=203.0.113.66 ', 'unknown-user');
  fail('::ffff:198.51.100.4', '101', 'unknown-user');
  fail('2001:db8::7', '101', 'unknown-user');
  new ScannerFilter(events).drop('friendly-scanner', { host: '198.51.100.9', transport: 'UDP' }, 'OPTIONS');
  const flood = new RequestRateLimiter(events, { perSecond: 1 });
  for (let i = 0; i < 3; i++) flood.drop('198.51.100.20', 'UDP', 'INVITE');
  return lines;
}

/** A filter's failregex lines as JavaScript regexes: `<ADDR>` captures an IPv4 or IPv6 address. */
function failregexes(file: string): RegExp[] {
  const text = readFileSync(new URL(file, FILTERS), 'utf8');
  const m = /^failregex\s*=\s*(.+(?:\n[ \t]+\S.*)*)$/m.exec(text);
  if (!m) throw new Error(`no failregex in ${file}`);
  return m[1]!
    .split('\n')
    .map((l) => new RegExp(l.trim().replace('<ADDR>', '(?<addr>[0-9.]+|[0-9a-fA-F:]+)')));
}

function failregex(file: string): RegExp {
  return failregexes(file)[0]!;
}

function hits(re: RegExp, lines: string[]): string[] {
  return lines.flatMap((l) => {
    const m = re.exec(l);
    return m?.groups?.addr ? [m.groups.addr] : [];
  });
}

describe('fail2ban filters', () => {
  const lines = nodeLines();
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-f2b-'));
  const log = join(dir, 'nimbus.log');
  writeFileSync(log, `${lines.join('\n')}\n`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are written by the node as single JSON lines with an ISO time', () => {
    // 22 failures, the address's ban (20 in the window), one scanner, one flood.
    expect(lines).toHaveLength(25);
    for (const l of lines) {
      const o = JSON.parse(l) as { time: string; msg: string };
      expect(o.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(o.msg).toMatch(/^SECURITY (auth-failure|ban|scanner|flood) ip=\S+( [a-z]+=\S+)*$/);
    }
  });

  it('nimbus-sip finds every failure and scanner by its source address only', () => {
    const found = hits(failregex('nimbus-sip.conf'), lines);
    expect(found.filter((a) => a === '192.0.2.1')).toHaveLength(20);
    expect(found).toContain('198.51.100.4');
    expect(found).toContain('2001:db8::7');
    expect(found).toContain('198.51.100.9');
    expect(found).toHaveLength(23);
    expect(found).not.toContain('203.0.113.66');
  });

  it('nimbus-sip-ban finds the addresses the node banned or blocked for a flood', () => {
    const [ban, flood] = failregexes('nimbus-sip-ban.conf');
    expect(hits(ban!, lines)).toEqual(['192.0.2.1']);
    expect(hits(flood!, lines)).toEqual(['198.51.100.20']);
  });

  describe.runIf(haveF2b || required)('with fail2ban-regex', () => {
    const run = (filter: string) => {
      if (!haveF2b) throw new Error('fail2ban-regex is not installed (apt-get install fail2ban)');
      const r = spawnSync('fail2ban-regex', ['-v', log, new URL(filter, FILTERS).pathname], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const summary = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(r.stdout);
      return { matched: Number(summary?.[3]), out: r.stdout };
    };

    it('matches the same lines', () => {
      const sip = run('nimbus-sip.conf');
      expect(sip.matched).toBe(23);
      expect(sip.out).toContain('2001:db8::7');
      expect(sip.out).not.toMatch(/^\|\s+203\.0\.113\.66\s/m);
      const ban = run('nimbus-sip-ban.conf');
      expect(ban.matched).toBe(2);
      expect(ban.out).toMatch(/^\|\s+198\.51\.100\.20\s/m);
      expect(ban.out).toMatch(/^\|\s+192\.0\.2\.1\s/m);
    });
  });
});
