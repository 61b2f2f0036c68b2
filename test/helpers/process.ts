/** Runs a command without blocking the event loop (the SIP service under test lives in this process). */
import { spawn } from 'node:child_process';

export interface RunResult {
  status: number | null;
  /** stdout and stderr together, the last 4,000 characters. */
  out: string;
}

export function runCommand(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (status) => res({ status, out: out.slice(-4000) }));
  });
}
