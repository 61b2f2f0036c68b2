/**
 * Interop: baresip (Debian), a SIP phone nobody here wrote, registers over UDP and
 * over TCP and calls a second baresip that answers by itself, through the B2BUA.
 * Skipped without baresip unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import { dominantHz } from '../helpers/audio.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const haveBaresip = spawnSync('baresip', ['-h']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'baresip.example.test';
// The phones' fixed ports lie below Linux's ephemeral range (32768-60999): there an outgoing
// connection of a parallel test may already hold the port and baresip would fail to bind.

/** `seconds` of 8 kHz mono 16-bit audio: silence, or a sine at `hz` (what the phones "say"). */
function writeWav(file: string, seconds = 1, hz = 0): void {
  const samples = 8000 * seconds;
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
  for (let i = 0; i < samples && hz > 0; i++)
    b.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * hz * i) / 8000)), 44 + i * 2);
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
    fx = await sipFixture(
      DOMAIN,
      [
        { number: '501', secret: 'bs-secret-501' },
        { number: '502', secret: 'bs-secret-502' },
        { number: '503', secret: 'bs-secret-503' },
        { number: '504', secret: 'bs-secret-504' },
        { number: '505', secret: 'bs-secret-505' },
      ],
      { media: { bindAddress: '127.0.0.1', portMin: 45_000, portMax: 45_099, workers: 2 } },
    );
    sip = fx.sip;
    writeWav(join(dir, 'silence.wav'));
    writeWav(join(dir, 'tone.wav'), 8, 1300);
    // baresip hangs up when its audio source ends: the callee's lasts longer than the call.
    writeWav(join(dir, 'long-silence.wav'), 10);
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function phone(
    number: string,
    opts: {
      port: number;
      rtp: number;
      transport: 'udp' | 'tcp';
      dial?: string;
      seconds: number;
      /** WAV the phone sends; default silence. */
      source?: string;
      /** Directory where baresip's sndfile module dumps what the phone sent and heard. */
      record?: string;
    },
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
        `audio_source aufile,${opts.source ?? join(dir, 'silence.wav')}`,
        `audio_player aufile,${join(conf, 'heard.wav')}`,
        `rtp_ports ${opts.rtp}-${opts.rtp + 10}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        ...(opts.record ? ['module sndfile.so', `snd_path ${opts.record}`] : []),
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
    const callee = phone('502', { port: 25_062, rtp: 26_000, transport: 'udp', seconds: 20 });
    expect(await registered('502'), callee.output()).toBe(true);
    const tcpPhone = phone('503', { port: 25_072, rtp: 26_100, transport: 'tcp', seconds: 20 });
    expect(await registered('503'), tcpPhone.output()).toBe(true);
    expect(sip.location.lookup(aorOf(fx.tenantId, '503'), Date.now())[0]?.source.transport).toBe('TCP');

    const caller = phone('501', { port: 25_082, rtp: 26_200, transport: 'udp', dial: '502', seconds: 6 });
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

  it("anchors the media: a tone one phone plays arrives in the other phone's recording, through the relay", async () => {
    const heard = join(dir, 'recordings');
    mkdirSync(heard, { recursive: true });
    const callee = phone('505', {
      port: 25_092,
      rtp: 26_300,
      transport: 'udp',
      seconds: 20,
      record: heard,
      source: join(dir, 'long-silence.wav'),
    });
    expect(await registered('505'), callee.output()).toBe(true);
    const caller = phone('504', {
      port: 25_102,
      rtp: 26_400,
      transport: 'udp',
      dial: '505',
      seconds: 6,
      source: join(dir, 'tone.wav'),
    });
    const out = await caller.exited;
    let call = null;
    for (let i = 0; i < 50; i++) {
      const rows = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 5, offset: 0, q: '505' });
      call = rows.items[0] ?? null;
      if (call?.status === 'ended') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(call, out).toMatchObject({ caller: '504', callee: '505', status: 'ended' });
    // Both legs carried media through the relay (each phone sends 50 packets a second).
    expect(call?.quality?.caller?.packetsReceived ?? 0, `${out}\n----\n${callee.output()}`).toBeGreaterThan(
      100,
    );
    expect(call?.quality?.callee?.packetsReceived ?? 0, out).toBeGreaterThan(100);
    expect(call?.quality?.caller?.packetsLost).toBe(0);
    // What the callee decoded is the caller's 1300 Hz tone.
    const decoded = readdirSync(heard).filter((f) => f.endsWith('-dec.wav'));
    expect(decoded.length, `${readdirSync(heard).join(',')}\n${callee.output()}`).toBeGreaterThan(0);
    const wav = decodeWav(readFileSync(join(heard, decoded[0]!)), { sampleRate: 8000 });
    expect(wav.durationMs).toBeGreaterThan(1500);
    const middle = wav.samples.subarray(4000, 12_000);
    expect(dominantHz(middle)).toBe(1300);
  }, 60_000);
});
