/**
 * CPU profile of one stretch of a benchmark (not its set-up): with BENCH_PROFILE=file
 * set, `profiled()` records the V8 CPU profile of `fn` into that .cpuprofile file,
 * which Chrome DevTools or `npx tsx scripts/profile-top.ts` can read. It also measures,
 * always, how busy the event loop (the SIP thread) was and how late it ran timers:
 * a latency percentile that moves between runs is read against these.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface LoopFigures {
  /** Share of the stretch the event loop was busy (event-loop utilisation), 0..1. */
  busy: number;
  /** Event-loop delay percentiles (ms): how long work waited for the thread. */
  delayP99: number;
  delayMax: number;
  /**
   * CPU seconds the thread itself used (user + system, from /proc/thread-self/stat): unlike
   * `busy`, not inflated when other processes take the core, so two trees can be compared
   * per request on a shared machine. Null where /proc is missing.
   */
  cpuSeconds: number | null;
}

/** This thread's user + system CPU time in seconds (Linux), or null. */
function threadCpuSeconds(): number | null {
  try {
    // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** The last stretch `profiled()` measured. */
export let lastLoop: LoopFigures | null = null;

export function formatLoop(l: LoopFigures | null): string {
  if (!l) return '';
  const cpu = l.cpuSeconds === null ? '' : `, ${l.cpuSeconds.toFixed(2)} CPU-s`;
  return `SIP thread busy ${Math.round(l.busy * 100)} %${cpu}, loop delay p99 ${l.delayP99.toFixed(1)} ms, max ${l.delayMax.toFixed(1)} ms`;
}

export async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = threadCpuSeconds();
  delay.enable();
  const done = () => {
    delay.disable();
    lastLoop = {
      busy: performance.eventLoopUtilization(elu0).utilization,
      delayP99: delay.percentile(99) / 1e6,
      delayMax: delay.max / 1e6,
      cpuSeconds: cpu0 === null ? null : (threadCpuSeconds() ?? cpu0) - cpu0,
    };
  };
  const file = process.env.BENCH_PROFILE;
  if (!file) {
    try {
      return await fn();
    } finally {
      done();
    }
  }
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    done();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
