/**
 * SIPp as a crowd of phones under load, for the cluster interop test and bench/cluster.ts:
 * the repository's scenarios (test/interop/sipp) with log actions added, so that each call's
 * fate is known afterwards (when it started, whether a node rang or answered it, whether it
 * was hung up cleanly) and each REGISTER that was answered 200 is named. SIPp's own counters
 * only say how many failed, not which ones or when.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type RunResult, runCommand } from './process.js';

const SCENARIOS = resolve(import.meta.dirname, '../interop/sipp');

export interface LoadScenarios {
  /** Authenticated call (CSV: caller; [authentication]; domain; callee), held for -d ms. */
  uac: string;
  /** Authenticated REGISTER (CSV: user; [authentication]; domain), Expires 3600. */
  register: string;
  /** A callee that rings, answers and waits for the BYE. */
  uas: string;
}

const log = (what: string) => `<action><log message="${what} [call_id] [timestamp]"/></action>`;

/** Writes the logging variants of uac-auth.xml and register.xml into `dir`. */
export function loadScenarios(dir: string): LoadScenarios {
  const uac = readFileSync(join(SCENARIOS, 'uac-auth.xml'), 'utf8')
    .replace('<send retrans="500">', `<nop>${log('start')}</nop>\n  <send retrans="500">`)
    .replace(
      '<recv response="180" optional="true"/>',
      `<recv response="180" optional="true">${log('ring')}</recv>`,
    )
    .replace(/<!--FINAL[^>]*-->/, `<recv response="200" rrs="true" next="answered">${log('answer')}</recv>`)
    // The hold comes from -d, so one scenario serves the test (seconds) and the bench.
    .replace('<pause milliseconds="500"/>', '<pause/>')
    .replace(
      /<recv response="200"\/>\s*<nop next="end"\/>/,
      `<recv response="200">${log('done')}</recv>\n  <nop next="end"/>`,
    );
  const register = readFileSync(join(SCENARIOS, 'register.xml'), 'utf8').replace(
    /<recv response="200"\/>/,
    '<recv response="200"><action><log message="registered [field0] [timestamp]"/></action></recv>',
  );
  for (const [text, what] of [
    [uac, 'start'],
    [uac, 'done'],
    [register, 'registered'],
  ] as const)
    if (!text.includes(`message="${what} `)) throw new Error(`scenario no longer matches: ${what}`);
  const files = { uac: join(dir, 'uac-load.xml'), register: join(dir, 'register-load.xml') };
  writeFileSync(files.uac, uac);
  writeFileSync(files.register, register);
  return { ...files, uas: join(SCENARIOS, 'uas.xml') };
}

/** A SIPp injection file: SEQUENTIAL, one line per row, fields joined with ';'. */
export function writeCsv(file: string, rows: string[][]): string {
  writeFileSync(file, `SEQUENTIAL\n${rows.map((r) => r.join(';')).join('\n')}\n`);
  return file;
}

export const auth = (user: string, password: string) =>
  `[authentication username=${user} password=${password}]`;

/** Options every run shares: UDP, one socket, loopback, big buffers, no keyboard. */
export const SIPP_COMMON = ['-t', 'u1', '-i', '127.0.0.1', '-buff_size', '4194304', '-nostdin'];

/**
 * One SIPp run to its end, within `seconds` (coreutils timeout: SIPp's own -timeout does not
 * end calls that wait forever), with its log actions written to `logFile`.
 */
export function runSipp(args: string[], logFile: string, seconds: number, cwd: string): Promise<RunResult> {
  return runCommand(
    'timeout',
    [
      String(seconds),
      'sipp',
      ...args,
      ...SIPP_COMMON,
      '-timeout',
      String(Math.max(1, seconds - 5)),
      '-trace_logs',
      '-log_file',
      logFile,
    ],
    { cwd },
  );
}

/** A SIPp callee answering every call on `port` until stopped. */
export function startUas(scenario: string, port: number, cwd: string): { stop(): Promise<void> } {
  const p = spawn(
    'sipp',
    ['-sf', scenario, '-p', String(port), ...SIPP_COMMON, '-recv_timeout', '15000', '-timeout', '600'],
    { cwd, stdio: 'ignore' },
  );
  return {
    stop: () =>
      new Promise((r) => {
        if (p.exitCode !== null || p.signalCode !== null) return r();
        p.once('exit', () => r());
        p.kill('SIGKILL');
      }),
  };
}

/** What one call went through, by epoch milliseconds of each step SIPp saw. */
export interface CallFate {
  callId: string;
  start: number;
  ring?: number;
  answer?: number;
  /** The BYE was answered 200: the call completed. */
  done?: number;
}

/** Reads a run's log actions: each call's fate (uac) or each user registered (register), in order. */
export function readSippLog(file: string): { calls: CallFate[]; registered: string[] } {
  const calls = new Map<string, CallFate>();
  const registered: string[] = [];
  if (!existsSync(file)) return { calls: [], registered };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) continue;
    const [what, key] = parts;
    const at = Math.round(Number(parts.at(-1)) * 1000);
    if (what === 'registered') registered.push(key!);
    else if (what === 'start') calls.set(key!, { callId: key!, start: at });
    else if (what === 'ring' || what === 'answer' || what === 'done') {
      const c = calls.get(key!);
      if (c) c[what] = at;
    }
  }
  return { calls: [...calls.values()], registered };
}
