/** What a SIPp run of the benchmarks produced: its counters, its rate and its response times. */
export interface SippFigures {
  /** Successful calls (registrations, for the REGISTER scenario) per second of the run. */
  rate: number;
  ok: number;
  failed: number;
  seconds: number;
  /** Response-time 1 percentiles (see rttSummary). */
  latency: string;
}

/** Reads SIPp's final statistics screen (`out`) and the response times it left in `dir`. */
export function sippFigures(out: string, dir: string, seconds: number): SippFigures {
  if (process.env.BENCH_DEBUG) console.log(out);
  const num = (label: string) =>
    Number(new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(out)?.[1] ?? '0');
  const ok = num('Successful call');
  return { rate: ok / seconds, ok, failed: num('Failed call'), seconds, latency: rttSummary(dir) };
}

/**
 * Reads the response times SIPp wrote with `-trace_rtt -rtt_freq 1` (one row per
 * measured call: date_ms;response_time_ms;rtd_no, whole milliseconds) and deletes the file, so
 * the next run in the same directory starts clean.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function rttSummary(dir: string): string {
  const times: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n').slice(1)) {
      const v = Number(line.split(';')[1]);
      if (line && Number.isFinite(v)) times.push(v);
    }
    if (process.env.BENCH_KEEP_RTT)
      writeFileSync(`${process.env.BENCH_KEEP_RTT}.${Date.now()}`, readFileSync(join(dir, f)));
    rmSync(join(dir, f));
  }
  if (!times.length) return 'no response times recorded';
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`;
}
