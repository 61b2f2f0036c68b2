/**
 * Start-up time (DESIGN.md §4: < 2 s to accepting calls with the embedded
 * database). Spawns the built `nimbus start` and times spawn -> first 200 from
 * /readyz, which answers 200 only once SIP listens (after the directory, the media
 * workers and first-start data), for a first start on an empty data directory
 * (the embedded PostgreSQL runs initdb) and for warm restarts.
 *
 *   npm run build && npx tsx bench/startup.ts [runs]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(import.meta.dirname, '../dist/cli/main.js');
const PORT = 18_000 + Math.floor(Math.random() * 1000);

async function once(dataDir: string): Promise<number> {
  const t0 = performance.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NIMBUS_DATA_DIR: dataDir,
    NIMBUS_LOG_LEVEL: 'silent',
    NIMBUS_SIP_PORT: '0',
    NIMBUS_SIP_TLS_PORT: '0',
    NIMBUS_HTTPS_PORT: '0',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const proc = spawn(
    process.execPath,
    [MAIN, 'start', '--http-port', String(PORT), '--http-host', '127.0.0.1'],
    {
      env,
      stdio: 'ignore',
    },
  );
  try {
    for (;;) {
      if (performance.now() - t0 > 60_000) throw new Error('no /readyz within 60 s');
      try {
        const res = await fetch(`http://127.0.0.1:${PORT}/readyz`);
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'nimbus-bench-start-'));
try {
  const first = await once(dir);
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await once(dir));
  warm.sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)]!;
  console.log(`first start (initdb + migrations + demo seed): ${first.toFixed(0)} ms`);
  console.log(
    `warm start, median of ${runs}: ${median.toFixed(0)} ms (min ${warm[0]!.toFixed(0)}, max ${warm.at(-1)!.toFixed(0)})`,
  );
  console.log(`target < 2000 ms warm: ${median < 2000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
