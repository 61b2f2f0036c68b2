/**
 * Interop, SDES-SRTP (issue 12): baresip (Debian baresip-core, its srtp module)
 * registers over TLS with `mediaenc=srtp-mand` and calls a second baresip on UDP
 * through the PBX. The caller's leg is SRTP (RTP/SAVP with a=crypto, the PBX's own
 * key), the callee's plain RTP; the caller's tone is found in the callee's
 * recording. Meanwhile a sprayer on another address sends plain RTP and SRTP with
 * bad tags to every port of the (small) RTP range: the callee hears none of it and
 * the call's audio goes on. Over UDP the same phone's RTP/SAVP offer is refused
 * with 488. Skipped without baresip unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { encodeG711 } from '../../src/media/codecs/g711.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import { SrtpContext } from '../../src/media/rtp/srtp.js';
import { aorOf } from '../../src/pbx/location.js';
import type { SipService } from '../../src/pbx/sip-service.js';
import { loadOrCreateCertificate } from '../../src/pbx/tls-certificate.js';
import type { CallRecord, LegQuality } from '../../src/store/schema.js';
import { dominantHz, levelAt } from '../helpers/audio.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

/** The record keeps the relay's whole leg figures, where it latched included (LegStats). */
function latchedTo(q: LegQuality | null | undefined): string | null | undefined {
  return (q as (LegQuality & { latchedTo?: string | null }) | null | undefined)?.latchedTo;
}

const haveBaresip = spawnSync('baresip', ['-h']).error === undefined;
const haveSrtp = existsSync('/usr/lib/baresip/modules/srtp.so');
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'srtp.example.test';

function writeWav(file: string, seconds: number, hz = 0): void {
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

for (const mode of ['optional', 'required'] as const)
  describe.runIf((haveBaresip && haveSrtp) || required)(
    `baresip SRTP interop (NIMBUS_MEDIA_ENCRYPTION=${mode})`,
    () => {
      const RTP_MIN = mode === 'optional' ? 41_700 : 41_740;
      const RTP_MAX = RTP_MIN + 19;
      /** SIP and RTP ports of the phones: apart per mode. */
      const at = (n: number) => n + (mode === 'optional' ? 0 : 500);
      let fx: SipFixture;
      let sip: SipService;
      const dir = mkdtempSync(join(tmpdir(), 'nimbus-baresip-srtp-'));
      const procs: ChildProcess[] = [];
      let cafile = '';

      beforeAll(async () => {
        if (!haveBaresip || !haveSrtp)
          throw new Error('baresip with its srtp module is not installed (apt-get install baresip-core)');
        const cert = await loadOrCreateCertificate({
          certFile: null,
          keyFile: null,
          dataDir: dir,
          hostName: '127.0.0.1',
        });
        cafile = join(dir, 'ca.pem');
        writeFileSync(cafile, cert.cert);
        fx = await sipFixture(
          DOMAIN,
          [
            { number: '601', secret: 'sr-secret-601' },
            { number: '602', secret: 'sr-secret-602' },
            { number: '603', secret: 'sr-secret-603' },
          ],
          {
            tls: { port: 0, key: cert.key, cert: cert.cert },
            media: {
              bindAddress: '127.0.0.1',
              portMin: RTP_MIN,
              portMax: RTP_MAX,
              workers: 1,
              mediaEncryption: mode,
            },
          },
        );
        sip = fx.sip;
        writeWav(join(dir, 'tone.wav'), 8, 1300);
        writeWav(join(dir, 'long-silence.wav'), 12);
        writeWav(join(dir, 'long-tone.wav'), 12, 700);
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
          transport: 'udp' | 'tls';
          mediaenc?: string;
          dial?: string;
          seconds: number;
          source: string;
          record?: string;
        },
      ) {
        const conf = join(dir, number);
        mkdirSync(conf, { recursive: true });
        const proxyPort = opts.transport === 'udp' ? sip.transports.udpPort : sip.transports.tlsPort;
        writeFileSync(
          join(conf, 'config'),
          [
            'poll_method epoll',
            `sip_listen 127.0.0.1:${opts.port}`,
            `sip_cafile ${cafile}`,
            'net_interface 127.0.0.1',
            `audio_source aufile,${opts.source}`,
            `audio_player aufile,${join(conf, 'heard.wav')}`,
            `rtp_ports ${opts.rtp}-${opts.rtp + 10}`,
            'module_path /usr/lib/baresip/modules',
            'module g711.so',
            'module aufile.so',
            'module srtp.so',
            ...(opts.record ? ['module sndfile.so', `snd_path ${opts.record}`] : []),
            'module_app account.so',
            'module_app menu.so',
            '',
          ].join('\n'),
        );
        writeFileSync(
          join(conf, 'accounts'),
          `<sip:${number}@${DOMAIN};transport=${opts.transport}>;auth_pass=sr-secret-${number};outbound="sip:127.0.0.1:${proxyPort};transport=${opts.transport}";regint=300;answermode=auto${opts.mediaenc ? `;mediaenc=${opts.mediaenc}` : ''}\n`,
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

      async function lastCall(callee: string): Promise<CallRecord | null> {
        let call: CallRecord | null = null;
        for (let i = 0; i < 100; i++) {
          const rows = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 5, offset: 0, q: callee });
          call = rows.items[0] ?? null;
          if (call?.status === 'ended') break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return call;
      }

      /** Sends to every port of the RTP range from 127.0.0.2: plain RTP of a 500 Hz tone, and SRTP with bad tags. */
      function spray(ms: number): Promise<number> {
        const sock = createSocket('udp4');
        const forger = new SrtpContext('AES_CM_128_HMAC_SHA1_80', Buffer.alloc(30, 0x5a));
        const tone = new Int16Array(160);
        let sent = 0;
        return new Promise((resolve) => {
          sock.bind(0, '127.0.0.2', () => {
            let seq = 0;
            const timer = setInterval(() => {
              for (let i = 0; i < 160; i++)
                tone[i] = Math.round(12_000 * Math.sin((2 * Math.PI * 500 * (seq * 160 + i)) / 8000));
              for (const pt of [0, 8]) {
                const payload = Buffer.alloc(160);
                encodeG711(tone, pt === 0 ? 'ulaw' : 'alaw', payload);
                const plain = serializeRtp({
                  marker: false,
                  payloadType: pt,
                  sequence: seq,
                  timestamp: seq * 160,
                  ssrc: 0x5a5a0000 + pt,
                  csrc: [],
                  extension: null,
                  payload,
                });
                const forged = forger.protectRtp(plain);
                for (let port = RTP_MIN; port <= RTP_MAX; port++) {
                  sock.send(plain, port, '127.0.0.1');
                  sock.send(forged, port, '127.0.0.1');
                  sent += 2;
                }
              }
              seq++;
            }, 20);
            setTimeout(() => {
              clearInterval(timer);
              sock.close();
              resolve(sent);
            }, ms);
          });
        });
      }

      it.runIf(mode === 'optional')(
        'calls from a TLS phone with mandatory SRTP to a UDP phone: the tone arrives, sprayed audio does not',
        async () => {
          const heard = join(dir, 'recordings');
          mkdirSync(heard, { recursive: true });
          const callee = phone('602', {
            port: at(25_262),
            rtp: at(26_600),
            transport: 'udp',
            seconds: 25,
            record: heard,
            source: join(dir, 'long-tone.wav'),
          });
          expect(await registered('602'), callee.output()).toBe(true);
          const heardByCaller = join(dir, 'recordings-601');
          mkdirSync(heardByCaller, { recursive: true });
          // The sprayer starts before the call does: every port of the range is hit while the legs latch.
          const spraying = spray(4500);
          const caller = phone('601', {
            record: heardByCaller,
            port: at(25_272),
            rtp: at(26_700),
            transport: 'tls',
            mediaenc: 'srtp-mand',
            dial: '602',
            seconds: 7,
            source: join(dir, 'tone.wav'),
          });
          expect(await registered('601'), caller.output()).toBe(true);
          expect(sip.location.lookup(aorOf(fx.tenantId, '601'), Date.now())[0]?.source.transport).toBe('TLS');
          expect(await spraying).toBeGreaterThan(1000);
          const out = await caller.exited;
          const call = await lastCall('602');
          expect(call, out).toMatchObject({ caller: '601', callee: '602', status: 'ended' });
          // The SRTP leg carried media both ways and latched to the phone, not the sprayer.
          expect(
            call?.quality?.caller?.packetsReceived ?? 0,
            `${out}\n----\n${callee.output()}`,
          ).toBeGreaterThan(100);
          expect(call?.quality?.callee?.packetsReceived ?? 0, out).toBeGreaterThan(100);
          // (baresip picks its RTP port within rtp_ports: 26700-26710 for the caller, 26600-26610 for the callee.)
          expect(latchedTo(call?.quality?.caller)).toMatch(/^127\.0\.0\.1:2670\d|^127\.0\.0\.1:26710$/);
          expect(latchedTo(call?.quality?.callee)).toMatch(/^127\.0\.0\.1:2660\d|^127\.0\.0\.1:26610$/);
          // The caller's leg really was SRTP: baresip says so.
          expect(out).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/);
          const decoded = readdirSync(heard).filter((f) => f.endsWith('-dec.wav'));
          expect(decoded.length, `${readdirSync(heard).join(',')}\n${callee.output()}`).toBeGreaterThan(0);
          const wav = decodeWav(readFileSync(join(heard, decoded[0]!)), { sampleRate: 8000 });
          expect(wav.durationMs).toBeGreaterThan(3000);
          // Through the whole call, the spraying included: the caller's 1300 Hz, never the sprayer's 500 Hz.
          const samples = wav.samples;
          let windows = 0;
          for (let at = 4000; at + 4000 <= samples.length - 4000; at += 4000) {
            const w = samples.subarray(at, at + 4000);
            if (levelAt(w, 1300) < 1000) continue; // before the answer or after the hang-up
            windows++;
            expect(dominantHz(w)).toBe(1300);
            expect(levelAt(w, 500)).toBeLessThan(levelAt(w, 1300) / 20);
          }
          expect(windows).toBeGreaterThanOrEqual(6);
          // And the other way: the callee's 700 Hz, encrypted in the PBX's key, decoded by the SRTP phone.
          const back = readdirSync(heardByCaller).filter((f) => f.endsWith('-dec.wav'));
          expect(back.length, readdirSync(heardByCaller).join(',')).toBeGreaterThan(0);
          const wavBack = decodeWav(readFileSync(join(heardByCaller, back[0]!)), { sampleRate: 8000 });
          expect(dominantHz(wavBack.samples.subarray(8000, 16_000))).toBe(700);
        },
        60_000,
      );

      it.runIf(mode === 'optional')(
        'refuses RTP/SAVP from a phone signalling over UDP with 488',
        async () => {
          const callee = phone('602', {
            port: at(25_282),
            rtp: at(26_800),
            transport: 'udp',
            seconds: 12,
            source: join(dir, 'long-silence.wav'),
          });
          expect(await registered('602'), callee.output()).toBe(true);
          const caller = phone('603', {
            port: at(25_292),
            rtp: at(26_900),
            transport: 'udp',
            mediaenc: 'srtp-mand',
            dial: '602',
            seconds: 4,
            source: join(dir, 'tone.wav'),
          });
          const out = await caller.exited;
          expect(out).toMatch(/488/);
          const call = await lastCall('603');
          expect(call?.answeredAt ?? null, out).toBeNull();
        },
        60_000,
      );

      it.runIf(mode === 'required')(
        'offers SRTP to a TLS phone that insists on it, and refuses a TLS caller without it',
        async () => {
          const heard = join(dir, 'recordings-req');
          mkdirSync(heard, { recursive: true });
          const callee = phone('602', {
            port: at(25_262),
            rtp: at(26_600),
            transport: 'tls',
            mediaenc: 'srtp-mand',
            seconds: 25,
            record: heard,
            source: join(dir, 'long-tone.wav'),
          });
          expect(await registered('602'), callee.output()).toBe(true);
          const caller = phone('601', {
            port: at(25_272),
            rtp: at(26_700),
            transport: 'tls',
            mediaenc: 'srtp-mand',
            dial: '602',
            seconds: 6,
            source: join(dir, 'tone.wav'),
          });
          const out = await caller.exited;
          const call = await lastCall('602');
          expect(call, `${out}\n----\n${callee.output()}`).toMatchObject({
            caller: '601',
            callee: '602',
            status: 'ended',
          });
          expect(call?.answeredAt).toBeInstanceOf(Date);
          // Both phones did SRTP with the PBX (each with its own keys), and the tone crossed.
          expect(out).toMatch(/SRTP is Enabled/);
          expect(callee.output()).toMatch(/SRTP is Enabled/);
          const decoded = readdirSync(heard).filter((f) => f.endsWith('-dec.wav'));
          expect(decoded.length, `${readdirSync(heard).join(',')}\n${callee.output()}`).toBeGreaterThan(0);
          const wav = decodeWav(readFileSync(join(heard, decoded[0]!)), { sampleRate: 8000 });
          expect(dominantHz(wav.samples.subarray(8000, 16_000))).toBe(1300);

          // A TLS caller offering plain RTP is refused: SRTP is required of it.
          const plain = phone('603', {
            port: at(25_292),
            rtp: at(26_900),
            transport: 'tls',
            dial: '602',
            seconds: 4,
            source: join(dir, 'tone.wav'),
          });
          const plainOut = await plain.exited;
          expect(plainOut).toMatch(/488/);
        },
        60_000,
      );

      it.runIf(mode === 'required')(
        'click-to-call rings a TLS phone that insists on SRTP, then another: both legs SRTP',
        async () => {
          // The phones of the test before may still run (and be registered): they must not answer here.
          for (const p of procs.splice(0)) p.kill('SIGKILL');
          const heard = join(dir, 'recordings-click');
          mkdirSync(heard, { recursive: true });
          const target = phone('601', {
            port: at(25_302),
            rtp: at(27_000),
            transport: 'tls',
            mediaenc: 'srtp-mand',
            seconds: 12,
            source: join(dir, 'long-tone.wav'),
          });
          const own = phone('602', {
            port: at(25_312),
            rtp: at(27_100),
            transport: 'tls',
            mediaenc: 'srtp-mand',
            seconds: 8,
            record: heard,
            source: join(dir, 'long-silence.wav'),
          });
          expect(await registered('601'), target.output()).toBe(true);
          expect(await registered('602'), own.output()).toBe(true);
          expect(sip.clickToCall(fx.tenantId, '602', '601')).toEqual({ ok: true });
          const out = await own.exited;
          expect(out).toMatch(/SRTP is Enabled/);
          expect(target.output()).toMatch(/SRTP is Enabled/);
          const decoded = readdirSync(heard).filter((f) => f.endsWith('-dec.wav'));
          expect(decoded.length, `${readdirSync(heard).join(',')}\n${out}`).toBeGreaterThan(0);
          const wav = decodeWav(readFileSync(join(heard, decoded[0]!)), { sampleRate: 8000 });
          // The extension's phone hears the number it asked for once that answers.
          let toneWindows = 0;
          for (let from = 0; from + 4000 <= wav.samples.length; from += 4000)
            if (dominantHz(wav.samples.subarray(from, from + 4000)) === 700) toneWindows++;
          expect(toneWindows, out).toBeGreaterThanOrEqual(4);
        },
        60_000,
      );
    },
  );
