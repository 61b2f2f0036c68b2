/**
 * Interop: SIPp (Debian sip-tester), a SIP implementation nobody here wrote,
 * registers 1,000 distinct extensions with digest authentication over UDP.
 * Skipped when sipp is missing, unless NIMBUS_REQUIRE_INTEROP=1 (CI), where a
 * missing tool fails the run.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import { runCommand } from '../helpers/process.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const haveSipp = spawnSync('sipp', ['-v']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const USERS = 1000;
const DOMAIN = 'interop.example.test';

describe.runIf(haveSipp || required)('SIPp interop', () => {
  let fx: SipFixture;
  let sip: SipService;
  let tenantId = '';
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-sipp-'));

  beforeAll(async () => {
    if (!haveSipp)
      throw new Error('sipp is not installed (apt-get install sip-tester) and NIMBUS_REQUIRE_INTEROP=1');
    const users = Array.from({ length: USERS }, (_, i) => ({
      number: String(10_000 + i),
      secret: `pw-${randomBytes(6).toString('hex')}`,
    }));
    fx = await sipFixture(DOMAIN, users);
    ({ sip, tenantId } = fx);
    const rows = users.map(
      (u) => `${u.number};[authentication username=${u.number} password=${u.secret}];${DOMAIN}`,
    );
    writeFileSync(join(dir, 'users.csv'), `SEQUENTIAL\n${rows.join('\n')}\n`);
  }, 120_000);

  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`registers ${USERS} distinct users with digest auth, none failing`, async () => {
    // sipp runs as a child process while this process serves SIP: never spawnSync here.
    const r = await runCommand('timeout', [
      '120',
      'sipp',
      '-sf',
      resolve(import.meta.dirname, 'sipp/register.xml'),
      '-inf',
      join(dir, 'users.csv'),
      '-m',
      String(USERS),
      '-r',
      '200',
      '-l',
      '200',
      '-t',
      'u1',
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-recv_timeout',
      '10000',
      '-timeout',
      '100',
      '-buff_size',
      '4194304',
      '-trace_stat',
      '-stf',
      join(dir, 'stat.csv'),
      '-nostdin',
      `127.0.0.1:${sip.transports.udpPort}`,
    ]);
    expect(r.status, r.out).toBe(0);
    const registered = Array.from(
      { length: USERS },
      (_, i) => sip.location.lookup(aorOf(tenantId, String(10_000 + i)), Date.now()).length,
    );
    expect(registered.filter((n) => n === 1)).toHaveLength(USERS);
  }, 150_000);
});
