/**
 * Call setup through the B2BUA (DESIGN.md §4: >= 500 calls/s, 0 failed): SIPp
 * callers (digest-authenticated INVITE, ACK, 500 ms of talk, BYE) through Nimbus
 * to a SIPp callee that rings and answers, and the same load through Kamailio as a
 * stateful, record-routing proxy (bench/kamailio/proxy.cfg) in the same run.
 *
 *   npx tsx bench/calls.ts [calls] [rate]
 *
 * Nimbus runs in this process on the embedded database, so each call also opens
 * and closes its CDR row, and anchors its media as in production: two relay
 * endpoints on the media workers, SDP rewritten on both sides, ringback played
 * while the callee rings. BENCH_NO_MEDIA=1 measures signalling alone;
 * BENCH_MEDIA_WORKERS sets the number of media workers (default 2). BENCH_NO_ANCHOR=1
 * skips Kamailio, for alternating runs of two Nimbus trees within one window.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { aorOf } from '../src/pbx/location.js';
import { runCommand } from '../test/helpers/process.js';
import { sipFixture } from '../test/helpers/sip.js';
import { formatLoop, lastLoop, profiled } from './profile.js';
import { type SippFigures, sippFigures } from './sipp-results.js';

const TOTAL = Number(process.argv[2] ?? 10_000);
const RATE = Number(process.argv[3] ?? 500);
const DOMAIN = 'calls.bench.test';
const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-calls-'));
const scenarios = resolve(import.meta.dirname, '../test/interop/sipp');

writeFileSync(
  join(dir, 'caller.csv'),
  `SEQUENTIAL\n301;[authentication username=301 password=pw-301];${DOMAIN};302\n`,
);
writeFileSync(
  join(dir, 'uac.xml'),
  readFileSync(join(scenarios, 'uac-auth.xml'), 'utf8')
    // Response-time 1 runs from the first INVITE to the 200: the whole setup, challenge included.
    .replace('<send retrans="500">', '<send retrans="500" start_rtd="1">')
    .replace(/<!--FINAL[^>]*-->/, '<recv response="200" rrs="true" rtd="1" next="answered"/>'),
);

const common = ['-t', 'u1', '-i', '127.0.0.1', '-buff_size', '4194304', '-nostdin'];

/** The SIPp callee, on its own port per run so one run's leftovers never answer the next. */
function callee(port: number): ChildProcess {
  return spawn('sipp', ['-sf', join(scenarios, 'uas.xml'), '-p', String(port), ...common], {
    stdio: 'ignore',
  });
}

async function callers(port: number): Promise<SippFigures> {
  const t0 = performance.now();
  const r = await runCommand(
    'timeout',
    [
      '600',
      'sipp',
      '-sf',
      join(dir, 'uac.xml'),
      '-inf',
      join(dir, 'caller.csv'),
      '-m',
      String(TOTAL),
      '-r',
      String(RATE),
      '-l',
      String(RATE * 3),
      '-p',
      '0',
      ...common,
      '-recv_timeout',
      '10000',
      '-timeout',
      '590',
      '-trace_rtt',
      '-rtt_freq',
      '1',
      `127.0.0.1:${port}`,
    ],
    { cwd: dir },
  );
  return sippFigures(r.out, dir, (performance.now() - t0) / 1000);
}

/** The same load through Kamailio as a stateful, record-routing proxy. */
async function anchor(): Promise<SippFigures> {
  const kamPort = 25_070;
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(
    cfg,
    readFileSync(resolve(import.meta.dirname, 'kamailio/proxy.cfg'), 'utf8')
      .replaceAll('LISTEN_PORT', String(kamPort))
      .replaceAll('UAS_PORT', '26072'),
  );
  const kam = spawn('kamailio', ['-f', cfg, '-DD', '-E', '-w', dir, '-m', '256', '-M', '32'], {
    stdio: 'ignore',
  });
  const uas2 = callee(26_072);
  await new Promise((r) => setTimeout(r, 1500));
  const figures = await callers(kamPort);
  kam.kill('SIGTERM');
  uas2.kill('SIGKILL');
  return figures;
}

try {
  // Media anchored as in production: every call opens two relay endpoints and rewrites SDP.
  const fx = await sipFixture(
    DOMAIN,
    [
      { number: '301', secret: 'pw-301' },
      { number: '302', ringTimeoutSec: 60 },
    ],
    process.env.BENCH_NO_MEDIA
      ? {}
      : {
          media: {
            bindAddress: '127.0.0.1',
            portMin: 20_000,
            portMax: 40_000,
            workers: Number(process.env.BENCH_MEDIA_WORKERS ?? 2),
          },
        },
  );
  fx.sip.location.store(aorOf(fx.tenantId, '302'), [
    {
      contact: 'sip:302@127.0.0.1:26071',
      expiresAt: Date.now() + 3_600_000,
      callId: 'bench',
      cseq: 1,
      source: { transport: 'UDP', host: '127.0.0.1', port: 26_071 },
      path: [],
      userAgent: 'sipp',
      q: 1,
    },
  ]);
  const uas1 = callee(26_071);
  await new Promise((r) => setTimeout(r, 500));
  const nimbus = await profiled(() => callers(fx.sip.transports.udpPort));
  const loop = lastLoop;
  const rows = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 1, offset: 0 });
  await fx.close();
  uas1.kill('SIGKILL');

  const kamailio = process.env.BENCH_NO_ANCHOR ? null : await anchor();
  const fmt = (x: SippFigures) =>
    `${Math.round(x.rate).toLocaleString('en')} calls/s (${x.ok} ok, ${x.failed} failed, ${x.seconds.toFixed(1)} s, setup ${x.latency})`;
  console.log(`offered ${TOTAL} calls at ${RATE}/s, 500 ms each`);
  console.log(`nimbus:   ${fmt(nimbus)}; CDR rows: ${rows.total}; ${formatLoop(loop)}`);
  if (kamailio) {
    console.log(`kamailio: ${fmt(kamailio)}`);
    console.log(`ratio nimbus/kamailio: ${(nimbus.rate / Math.max(1, kamailio.rate)).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
