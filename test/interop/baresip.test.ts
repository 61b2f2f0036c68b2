/**
 * Interop: baresip (Debian), a SIP phone nobody here wrote, registers over UDP and
 * over TCP and calls a second baresip that answers by itself, through the B2BUA.
 * Skipped without baresip unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const haveBaresip = spawnSync('baresip', ['-h']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'baresip.example.test';

/** One second of 8 kHz mono 16-bit silence: what the phones "say". */
function silenceWav(file: string): void {
  const samples = 8000;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples * 2, 40);
  writeFileSync(file, b);
}

describe.runIf(haveBaresip || required)('baresip interop', () => {
  let fx: SipFixture;
  let sip: SipService;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-baresip-'));
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    if (!haveBaresip)
      throw new Error('baresip is not installed (apt-get install baresip-core) and NIMBUS_REQUIRE_INTEROP=1');
    fx = await sipFixture(DOMAIN, [
      { number: '501', secret: 'bs-secret-501' },
      { number: '502', secret: 'bs-secret-502' },
      { number: '503', secret: 'bs-secret-503' },
    ]);
    sip = fx.sip;
    silenceWav(join(dir, 'silence.wav'));
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function phone(
    number: string,
    opts: { port: number; rtp: number; transport: 'udp' | 'tcp'; dial?: string; seconds: number },
  ) {
    const conf = join(dir, number);
    mkdirSync(conf, { recursive: true });
    const proxyPort = opts.transport === 'udp' ? sip.transports.udpPort : sip.transports.tcpPort;
    writeFileSync(
      join(conf, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${opts.port}`,
        'net_interface 127.0.0.1',
        `audio_source aufile,${join(dir, 'silence.wav')}`,
        `audio_player aufile,${join(conf, 'heard.wav')}`,
        `rtp_ports ${opts.rtp}-${opts.rtp + 10}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module_app account.so',
        'module_app menu.so',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(conf, 'accounts'),
      `<sip:${number}@${DOMAIN};transport=${opts.transport}>;auth_pass=bs-secret-${number};outbound="sip:127.0.0.1:${proxyPort};transport=${opts.transport}";regint=300;answermode=auto\n`,
    );
    const args = [
      '-f',
      conf,
      '-t',
      String(opts.seconds),
      ...(opts.dial ? ['-e', `/dial sip:${opts.dial}@${DOMAIN}`] : []),
    ];
    const p = spawn('baresip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout?.on('data', (d) => (out += d));
    p.stderr?.on('data', (d) => (out += d));
    procs.push(p);
    const exited = new Promise<string>((r) => p.on('close', () => r(out)));
    return { exited, output: () => out };
  }

  async function registered(number: string, ms = 10_000): Promise<boolean> {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (sip.location.lookup(aorOf(fx.tenantId, number), Date.now()).length) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  it('registers over UDP and TCP, and one calls the other, which answers', async () => {
    const callee = phone('502', { port: 35_062, rtp: 36_000, transport: 'udp', seconds: 20 });
    expect(await registered('502'), callee.output()).toBe(true);
    const tcpPhone = phone('503', { port: 35_072, rtp: 36_100, transport: 'tcp', seconds: 20 });
    expect(await registered('503'), tcpPhone.output()).toBe(true);
    expect(sip.location.lookup(aorOf(fx.tenantId, '503'), Date.now())[0]?.source.transport).toBe('TCP');

    const caller = phone('501', { port: 35_082, rtp: 36_200, transport: 'udp', dial: '502', seconds: 6 });
    const out = await caller.exited;
    let call = null;
    for (let i = 0; i < 50; i++) {
      const rows = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 5, offset: 0, q: '502' });
      call = rows.items[0] ?? null;
      if (call?.status === 'ended') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(call, out).toMatchObject({ caller: '501', callee: '502', status: 'ended', cause: 'normal' });
    expect(call?.answeredAt).toBeInstanceOf(Date);
  }, 60_000);
});
