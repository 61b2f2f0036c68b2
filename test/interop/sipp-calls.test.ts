/**
 * Interop: calls through the B2BUA between two SIPp instances. The caller
 * authenticates its INVITE (407), the callee is reached through the location
 * service; answered, busy, unavailable and DND calls are checked on the wire (SIPp's
 * exit code) and in the CDR rows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import type { TestDb } from '../helpers/db.js';
import { type RunResult, runCommand } from '../helpers/process.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const haveSipp = spawnSync('sipp', ['-v']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'calls.example.test';
const SCENARIOS = resolve(import.meta.dirname, 'sipp');

function run(args: string[], seconds = 30): Promise<RunResult> {
  return runCommand('timeout', [String(seconds), 'sipp', ...args]);
}

describe.runIf(haveSipp || required)('calls through the B2BUA with SIPp', () => {
  let fx: SipFixture;
  let db: TestDb;
  let sip: SipService;
  let tenantId = '';
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-sipp-calls-'));
  const secret = 'caller-secret-301';
  let uasPort = 0;

  beforeAll(async () => {
    if (!haveSipp)
      throw new Error('sipp is not installed (apt-get install sip-tester) and NIMBUS_REQUIRE_INTEROP=1');
    fx = await sipFixture(DOMAIN, [
      { number: '301', secret },
      { number: '302' },
      { number: '303' },
      { number: '304', dnd: true },
      { number: '305' },
      { number: '306' },
      { number: '307', ringTimeoutSec: 5 },
      { number: '308' },
      { number: '309' },
    ]);
    ({ db, sip, tenantId } = fx);
    writeFileSync(
      join(dir, 'caller.csv'),
      `SEQUENTIAL\n301;[authentication username=301 password=${secret}];${DOMAIN};CALLEE\n`,
    );
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Puts a callee "registered" at a SIPp UAS address (registration itself is tested elsewhere). */
  function bind(number: string, port: number) {
    sip.location.store(aorOf(tenantId, number), [
      {
        contact: `sip:${number}@127.0.0.1:${port}`,
        expiresAt: Date.now() + 600_000,
        callId: `bind-${number}`,
        cseq: 1,
        source: { transport: 'UDP', host: '127.0.0.1', port },
        path: [],
        userAgent: 'sipp',
        q: 1,
      },
    ]);
  }

  function uacScenario(callee: string, final: number | 'cancel'): string {
    writeFileSync(
      join(dir, `caller-${callee}.csv`),
      readFileSync(join(dir, 'caller.csv'), 'utf8').replace('CALLEE', callee),
    );
    if (final === 'cancel') return join(SCENARIOS, 'uac-cancel.xml');
    const xml = readFileSync(join(SCENARIOS, 'uac-auth.xml'), 'utf8').replace(
      /<!--FINAL[^>]*-->/,
      final === 200
        ? '<recv response="200" rrs="true" next="answered"/>'
        : `<recv response="${final}" next="failed"/>`,
    );
    const file = join(dir, `uac-${callee}-${final}.xml`);
    writeFileSync(file, xml);
    writeFileSync(
      join(dir, `caller-${callee}.csv`),
      readFileSync(join(dir, 'caller.csv'), 'utf8').replace('CALLEE', callee),
    );
    return file;
  }

  const common = [
    '-m',
    '1',
    '-t',
    'u1',
    '-i',
    '127.0.0.1',
    '-recv_timeout',
    '15000',
    '-timeout',
    '25',
    '-nostdin',
  ];

  async function call(callee: string, final: number | 'cancel', uas: string | null) {
    uasPort = 20_000 + Math.floor(Math.random() * 20_000);
    if (uas) bind(callee, uasPort);
    const callee$ = uas ? run(['-sf', join(SCENARIOS, uas), '-p', String(uasPort), ...common]) : null;
    await new Promise((r) => setTimeout(r, 300));
    const caller = await run([
      '-sf',
      uacScenario(callee, final),
      '-inf',
      join(dir, `caller-${callee}.csv`),
      '-p',
      '0',
      ...common,
      `127.0.0.1:${sip.transports.udpPort}`,
    ]);
    const calleeRun = callee$ ? await callee$ : null;
    // CDR writes are asynchronous to the SIP path (batched): flush them, then wait until the row is closed.
    for (let i = 0; i < 100; i++) {
      await db.store.callLog.drain();
      const rows = await db.store.tenant(tenantId).calls.list({ limit: 50, offset: 0 });
      if (rows.items.every((r) => r.status === 'ended')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const rows = await db.store.tenant(tenantId).calls.list({ limit: 50, offset: 0, q: callee });
    return { caller, callee: calleeRun, cdr: rows.items[0] };
  }

  it('connects an answered call and records it', async () => {
    const r = await call('302', 200, 'uas.xml');
    expect(r.caller.status, r.caller.out).toBe(0);
    expect(r.callee?.status, r.callee?.out).toBe(0);
    expect(r.cdr).toMatchObject({
      caller: '301',
      callee: '302',
      status: 'ended',
      cause: 'normal',
      hangupBy: 'caller',
    });
    expect(r.cdr?.answeredAt).toBeInstanceOf(Date);
    expect(r.cdr?.legs).toHaveLength(1);
    // The record is visible through the API as well.
    const { buildApi } = await import('../../src/api/server.js');
    const api = await buildApi({
      store: db.store,
      config: { sessionHours: 1, publicAddress: '127.0.0.1' },
      logger: pino({ level: 'silent' }),
    });
    const token = await import('../../src/api/routes/api-keys.js').then((m) => m.newApiToken());
    await db.store.tenant(tenantId).apiKeys.create({
      name: 'cdr',
      prefix: token.prefix,
      secretHash: token.secretHash,
      role: 'supervisor',
      createdBy: null,
      expiresAt: null,
    });
    const res = await api.app.inject({
      url: `/api/v1/tenants/${tenantId}/calls?q=302`,
      headers: { authorization: `Bearer ${token.token}` },
    });
    expect(res.json().items[0]).toMatchObject({
      caller: '301',
      callee: '302',
      cause: 'normal',
      direction: 'internal',
    });
    await api.app.close();
  }, 60_000);

  it('relays busy (486) from the callee', async () => {
    const r = await call('303', 486, 'uas-busy.xml');
    expect(r.caller.status, r.caller.out).toBe(0);
    expect(r.callee?.status, r.callee?.out).toBe(0);
    expect(r.cdr).toMatchObject({ status: 'ended', cause: 'busy', sipStatus: 486 });
  }, 60_000);

  it('answers 486 for an extension on do-not-disturb and 480 for one not registered', async () => {
    const dnd = await call('304', 486, null);
    expect(dnd.caller.status, dnd.caller.out).toBe(0);
    const away = await call('305', 480, null);
    expect(away.caller.status, away.caller.out).toBe(0);
  }, 60_000);

  it('cancels every fork when the caller gives up', async () => {
    const r = await call('306', 'cancel', 'uas-cancelled.xml');
    expect(r.caller.status, r.caller.out).toBe(0);
    expect(r.callee?.status, r.callee?.out).toBe(0);
    expect(r.cdr).toMatchObject({
      status: 'ended',
      cause: 'cancelled',
      hangupBy: 'caller',
      answeredAt: null,
    });
  }, 60_000);

  it('gives up after the ring timeout with 480 and cancels the callee', async () => {
    const started = Date.now();
    const r = await call('307', 480, 'uas-cancelled.xml');
    expect(r.caller.status, r.caller.out).toBe(0);
    expect(r.callee?.status, r.callee?.out).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(4_500);
    expect(r.cdr).toMatchObject({ status: 'ended', cause: 'no-answer', sipStatus: 480 });
  }, 60_000);

  it('a DID call follows its inbound route, time condition and ring group: the hunt passes a busy SIPp and another answers', async () => {
    const scope = db.store.tenant(tenantId);
    const cal = await scope.routing.create('calendar', {
      name: 'Always open',
      number: null,
      config: {
        timeZone: 'Europe/Moscow',
        weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' }],
        holidays: [],
        productionCalendar: null,
        override: null,
      },
    });
    const group = await scope.routing.create('ringGroup', {
      name: 'Hunt',
      number: '650',
      config: {
        strategy: 'sequential',
        members: ['308', '309'].map((number) => ({ number, delaySec: 0, timeoutSec: 10 })),
        ringTimeoutSec: 30,
        skipBusy: true,
        callerIdPrefix: 'Hunt: ',
        timeoutDestination: null,
      },
    });
    const tc = await scope.routing.create('timeCondition', {
      name: 'Hours',
      number: null,
      config: {
        calendarId: cal.id,
        whenOpen: { kind: 'ringGroup', id: group.id },
        whenClosed: { kind: 'hangup', cause: 'unavailable' },
      },
    });
    await scope.routing.create('inboundRoute', {
      name: 'Main',
      number: '+74951234567',
      config: { callerRules: [], destination: { kind: 'timeCondition', id: tc.id } },
    });
    await sip.tenantChanged(tenantId);
    const busyPort = 20_000 + Math.floor(Math.random() * 10_000);
    const answerPort = busyPort + 10_000;
    bind('308', busyPort);
    bind('309', answerPort);
    const busy = run(['-sf', join(SCENARIOS, 'uas-busy.xml'), '-p', String(busyPort), ...common]);
    const answer = run(['-sf', join(SCENARIOS, 'uas.xml'), '-p', String(answerPort), ...common]);
    await new Promise((r) => setTimeout(r, 300));
    const caller = await run([
      '-sf',
      uacScenario('+74951234567', 200),
      '-inf',
      join(dir, 'caller-+74951234567.csv'),
      '-p',
      '0',
      ...common,
      `127.0.0.1:${sip.transports.udpPort}`,
    ]);
    const [b, a] = await Promise.all([busy, answer]);
    expect(caller.status, caller.out).toBe(0);
    expect(b.status, b.out).toBe(0);
    expect(a.status, a.out).toBe(0);
    let row = null;
    for (let i = 0; i < 100 && row?.status !== 'ended'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = (await scope.calls.list({ limit: 1, offset: 0, q: '+74951234567' })).items[0] ?? null;
    }
    expect(row?.trail.map((s) => `${s.kind}: ${s.outcome}`)).toEqual([
      'inboundRoute: default destination',
      expect.stringMatching(/^timeCondition: open: weekly/),
      'ringGroup: answered by 309',
    ]);
    expect(row?.legs.map((l) => [l.number, l.sipStatus])).toEqual([
      ['308', 486],
      ['309', 200],
    ]);
  }, 60_000);
});
