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
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '../test/helpers/process.js';
import { sipFixture } from '../test/helpers/sip.js';

const TOTAL = Number(process.argv[2] ?? 20_000);
const RATE = Number(process.argv[3] ?? 8_000);
const USERS = 5_000;
const DOMAIN = 'bench.example.test';
const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-reg-'));
const scenario = resolve(import.meta.dirname, '../test/interop/sipp/register.xml');

async function sipp(port: number): Promise<{ rate: number; ok: number; failed: number; seconds: number }> {
  const t0 = performance.now();
  const r = await runCommand('timeout', [
    '300',
    'sipp',
    '-sf',
    scenario,
    '-inf',
    join(dir, 'users.csv'),
    '-m',
    String(TOTAL),
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
    `127.0.0.1:${port}`,
  ]);
  const seconds = (performance.now() - t0) / 1000;
  const num = (label: string) =>
    Number(new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(r.out)?.[1] ?? '0');
  const ok = num('Successful call');
  const failed = num('Failed call');
  return { rate: ok / seconds, ok, failed, seconds };
}

const rows = ['SEQUENTIAL'];
for (let i = 0; i < USERS; i++) {
  const n = String(100_000 + i);
  rows.push(`${n};[authentication username=${n} password=pw-${n}];${DOMAIN}`);
}
writeFileSync(join(dir, 'users.csv'), `${rows.join('\n')}\n`);

try {
  const fx = await sipFixture(
    DOMAIN,
    Array.from({ length: USERS }, (_, i) => ({ number: String(100_000 + i), secret: `pw-${100_000 + i}` })),
  );
  const nimbus = await sipp(fx.sip.transports.udpPort);
  await fx.close();

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
  const kamailio = await sipp(kamPort);
  kam.kill('SIGTERM');

  const fmt = (x: { rate: number; ok: number; failed: number; seconds: number }) =>
    `${Math.round(x.rate).toLocaleString('en')} registrations/s (${x.ok} ok, ${x.failed} failed, ${x.seconds.toFixed(1)} s)`;
  console.log(`offered ${TOTAL} registrations at ${RATE}/s over ${USERS} users`);
  console.log(`nimbus:   ${fmt(nimbus)}`);
  console.log(`kamailio: ${fmt(kamailio)}`);
  console.log(`ratio nimbus/kamailio: ${(nimbus.rate / Math.max(1, kamailio.rate)).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
