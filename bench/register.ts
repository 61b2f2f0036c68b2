/**
 * REGISTER with digest authentication (DESIGN.md §4: >= 5,000/s, 0 failures,
 * p99 < 20 ms), Nimbus against Kamailio in the same run, both driven by the same
 * SIPp scenario (test/interop/sipp/register.xml) from a separate process.
 *
 *   npx tsx bench/register.ts [registrations] [rate]
 *
 * Nimbus runs in this process (embedded database, N extensions whose secrets are
 * "pw-<number>"); Kamailio (Debian package) runs bench/kamailio/register.cfg with the
 * same passwords. Figures: completed registrations per second (each is a challenged
 * REGISTER plus the authenticated one), failures, and SIPp's response-time percentiles.
 * BENCH_NO_ANCHOR=1 skips Kamailio, for alternating runs of two Nimbus trees within one window.
 * BENCH_FLOOR=1 also runs the same load against floor(): the least a Node.js thread can do
 * per REGISTER (canned answers), which tells what latency this machine allows at the rate.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '../test/helpers/process.js';
import { sipFixture } from '../test/helpers/sip.js';
import { formatLoop, lastLoop, profiled } from './profile.js';
import { type SippFigures, sippFigures } from './sipp-results.js';

const TOTAL = Number(process.argv[2] ?? 20_000);
const WARMUP = 10_000;
const RATE = Number(process.argv[3] ?? 8_000);
const USERS = 5_000;
const DOMAIN = 'bench.example.test';
const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-reg-'));
// The test scenario, timed: response-time 1 runs from the first REGISTER to the final 200.
const scenario = join(dir, 'register.xml');
writeFileSync(
  scenario,
  readFileSync(resolve(import.meta.dirname, '../test/interop/sipp/register.xml'), 'utf8')
    .replace('<send retrans="500">', '<send retrans="500" start_rtd="1">')
    .replace('<recv response="200"', '<recv response="200" rtd="1"'),
);

async function sipp(port: number, total = TOTAL): Promise<SippFigures> {
  const t0 = performance.now();
  const r = await runCommand(
    'timeout',
    [
      '300',
      'sipp',
      '-sf',
      scenario,
      '-inf',
      join(dir, 'users.csv'),
      '-m',
      String(total),
      '-r',
      String(RATE),
      '-l',
      '2000',
      '-t',
      'u1',
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-buff_size',
      '4194304',
      '-recv_timeout',
      '5000',
      '-timeout',
      '280',
      '-nostdin',
      '-trace_rtt',
      '-rtt_freq',
      '1',
      `127.0.0.1:${port}`,
    ],
    { cwd: dir },
  );
  return sippFigures(r.out, dir, (performance.now() - t0) / 1000);
}

const rows = ['SEQUENTIAL'];
for (let i = 0; i < USERS; i++) {
  const n = String(100_000 + i);
  rows.push(`${n};[authentication username=${n} password=pw-${n}];${DOMAIN}`);
}
writeFileSync(join(dir, 'users.csv'), `${rows.join('\n')}\n`);

/** The same load against Kamailio (bench/kamailio/register.cfg), warmed up the same way. */
async function anchor(): Promise<SippFigures> {
  const kamPort = 25_060;
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(
    cfg,
    readFileSync(resolve(import.meta.dirname, 'kamailio/register.cfg'), 'utf8').replace(
      'LISTEN_PORT',
      String(kamPort),
    ),
  );
  const kam = spawn('kamailio', ['-f', cfg, '-DD', '-E', '-w', dir, '-m', '256', '-M', '32'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 1500));
  await sipp(kamPort, WARMUP);
  const figures = await sipp(kamPort);
  kam.kill('SIGTERM');
  return figures;
}

/**
 * A canned REGISTER answerer on this thread: 401 to the first REGISTER, 200 to the
 * authenticated one, headers copied by plain string search. No parser, no digest check, no
 * registrar: nothing a PBX may skip, so only a calibration of the machine and of SIPp.
 */
async function floor(): Promise<SippFigures> {
  const sock = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  sock.on('message', (m, r) => {
    const t = m.toString('latin1');
    const head = (name: string) => {
      const i = t.indexOf(`\r\n${name}: `);
      return t.slice(i + name.length + 4, t.indexOf('\r\n', i + 2));
    };
    const authorized = t.includes('\r\nAuthorization:');
    const lines = [
      authorized ? 'SIP/2.0 200 OK' : 'SIP/2.0 401 Unauthorized',
      `Via: ${head('Via')};received=${r.address}`,
      `From: ${head('From')}`,
      `To: ${head('To')};tag=floor`,
      `Call-ID: ${head('Call-ID')}`,
      `CSeq: ${head('CSeq')}`,
      authorized
        ? `Contact: ${head('Contact')};expires=3600`
        : `WWW-Authenticate: Digest realm="${DOMAIN}", nonce="0123456789abcdef", algorithm=MD5, qop="auth"`,
      'Content-Length: 0',
      '',
      '',
    ];
    sock.send(lines.join('\r\n'), r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  await sipp(port, WARMUP);
  const figures = await sipp(port);
  sock.close();
  return figures;
}

try {
  const fx = await sipFixture(
    DOMAIN,
    Array.from({ length: USERS }, (_, i) => ({ number: String(100_000 + i), secret: `pw-${100_000 + i}` })),
  );
  // Warm-up, not counted: the JIT compiles the hot path in the first second or so.
  await sipp(fx.sip.transports.udpPort, WARMUP);
  const nimbus = await profiled(() => sipp(fx.sip.transports.udpPort));
  const loop = lastLoop;
  await fx.close();

  const kamailio = process.env.BENCH_NO_ANCHOR ? null : await anchor();
  const least = process.env.BENCH_FLOOR ? await floor() : null;

  const fmt = (x: SippFigures) =>
    `${Math.round(x.rate).toLocaleString('en')} registrations/s (${x.ok} ok, ${x.failed} failed, ${x.seconds.toFixed(1)} s; ${x.latency})`;
  console.log(`offered ${TOTAL} registrations at ${RATE}/s over ${USERS} users, after ${WARMUP} not counted`);
  const perReg = loop?.cpuSeconds
    ? `; SIP thread ${Math.round((loop.cpuSeconds / TOTAL) * 1e6)} µs CPU per registration`
    : '';
  console.log(`nimbus:   ${fmt(nimbus)}; ${formatLoop(loop)}${perReg}`);
  if (kamailio) {
    console.log(`kamailio: ${fmt(kamailio)}`);
    console.log(`ratio nimbus/kamailio: ${(nimbus.rate / Math.max(1, kamailio.rate)).toFixed(2)}`);
  }
  if (least) console.log(`floor:    ${fmt(least)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
