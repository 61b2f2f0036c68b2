/**
 * CPU profile of one stretch of a benchmark (not its set-up): with BENCH_PROFILE=file
 * set, `profiled()` records the V8 CPU profile of `fn` into that .cpuprofile file,
 * which Chrome DevTools or `npx tsx scripts/profile-top.ts` can read.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
