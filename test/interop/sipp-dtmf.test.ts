/**
 * Interop: SIPp calls the key read-back test (*44) and presses 2, 4, 7, # as RFC 4733
 * telephone-events from its recorded pcaps. The PBX answers with anchored media,
 * hears the keys and reads them back (played into the call as RTP).
 * Skipped without SIPp unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../helpers/process.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const haveSipp = spawnSync('sipp', ['-v']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'dtmf.example.test';

describe.runIf(haveSipp || required)('RFC 4733 keys from SIPp to a PBX application', () => {
  let fx: SipFixture;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-sipp-dtmf-'));
  const logs: string[] = [];

  beforeAll(async () => {
    if (!haveSipp)
      throw new Error('sipp is not installed (apt-get install sip-tester) and NIMBUS_REQUIRE_INTEROP=1');
    fx = await sipFixture(
      DOMAIN,
      [{ number: '401', secret: 'dtmf-secret-401' }],
      { media: { bindAddress: '127.0.0.1', portMin: 46_000, portMax: 46_099, workers: 1 } },
      pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    );
    writeFileSync(
      join(dir, 'caller.csv'),
      `SEQUENTIAL\n401;[authentication username=401 password=dtmf-secret-401];${DOMAIN};*44\n`,
    );
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hears the keys and reads them back', async () => {
    const r = await runCommand('timeout', [
      '40',
      'sipp',
      '-sf',
      resolve(import.meta.dirname, 'sipp/uac-dtmf.xml'),
      '-inf',
      join(dir, 'caller.csv'),
      '-m',
      '1',
      '-t',
      'u1',
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-mp',
      String(28_000 + Math.floor(Math.random() * 1000) * 2),
      '-recv_timeout',
      '15000',
      '-nostdin',
      `127.0.0.1:${fx.sip.transports.udpPort}`,
    ]);
    expect(r.status, r.out).toBe(0);
    const heard = logs
      .map((l) => JSON.parse(l) as { msg: string; digits?: string })
      .find((l) => l.msg === 'key read-back heard');
    expect(heard?.digits, logs.join('')).toBe('247');
    let row = null;
    for (let i = 0; i < 100 && row?.status !== 'ended'; i++) {
      row = (await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 5, offset: 0 })).items[0] ?? null;
      if (row?.status !== 'ended') await new Promise((res) => setTimeout(res, 50));
    }
    expect(row).toMatchObject({
      caller: '401',
      callee: '*44',
      status: 'ended',
      cause: 'normal',
      hangupBy: 'caller',
    });
    // The 40 event packets came in; the beep and the read-back ("two four seven") went out.
    expect(row?.quality?.caller?.packetsReceived).toBe(40);
    expect(row?.quality?.caller?.packetsSent ?? 0).toBeGreaterThan(60);
  }, 60_000);
});
