/**
 * The `nimbus` command as a person runs it: a real process, real ports, the
 * embedded database in a temporary data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return {
    ...env,
    NIMBUS_DATA_DIR: dataDir,
    NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
    NIMBUS_SIP_PORT: '0',
    NIMBUS_SIP_TLS_PORT: '0',
    NIMBUS_HTTPS_PORT: '0',
    NIMBUS_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Every process a test started, so none outlives a failed test. */
const spawned = new Set<ChildProcess>();

function nimbus(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(p);
  p.on('exit', () => spawned.delete(p));
  return p;
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((res, rej) => {
    const p = nimbus(args, env);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      rej(new Error(`nimbus ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

/** Starts `nimbus start`, waits for the banner, and returns the process and what it printed. */
function startNode(
  env: NodeJS.ProcessEnv,
): Promise<{ proc: ChildProcess; banner: string; port: number; exited: Promise<Run> }> {
  return new Promise((res, rej) => {
    const proc = nimbus(['start', '--http-port', '0'], env);
    let stdout = '';
    let stderr = '';
    const exited = new Promise<Run>((r) => proc.on('exit', (code) => r({ code, stdout, stderr })));
    const t = setTimeout(() => rej(new Error(`no banner:\n${stdout}\n${stderr}`)), 60_000);
    proc.stderr!.on('data', (d) => (stderr += d));
    proc.stdout!.on('data', (d) => {
      stdout += d;
      const m = /REST API:\s+http:\/\/127\.0\.0\.1:(\d+)\/api\/v1/.exec(stdout);
      // The banner is complete once its closing rule (the third) has been printed.
      if (m && (stdout.match(/─{72}/g) ?? []).length >= 3) {
        clearTimeout(t);
        res({ proc, banner: stdout, port: Number(m[1]), exited });
      }
    });
    proc.on('exit', () => rej(new Error(`exited early:\n${stdout}\n${stderr}`)));
  });
}

async function login(
  port: number,
  email: string,
  password: string,
): Promise<{ status: number; cookie: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! };
}

interface Page {
  items: { id: string; sipDomain: string; number: string }[];
}

async function getJson(port: number, path: string, cookie: string): Promise<Page> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } });
  return (await res.json()) as Page;
}

describe('nimbus CLI', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-cli-'));
  afterAll(() => {
    for (const p of spawned) p.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  let operatorPassword = '';

  it('first start creates the operator and the demo tenant, prints how to sign in and register, and stops cleanly on SIGTERM', async () => {
    const { proc, banner, port, exited } = await startNode(baseEnv(dataDir));
    operatorPassword = /email\s+admin@nimbus\.local\n\s+password\s+(\S+)/.exec(banner)?.[1] ?? '';
    expect(operatorPassword).toMatch(/^\S{14}$/);
    const demoAdmin = /admin sign-in\s+admin@demo\.nimbus\.local \/ (\S+)/.exec(banner)?.[1] ?? '';
    for (const n of ['101', '102', '103', '104', '105'])
      expect(banner).toMatch(new RegExp(`user ${n}\\s+password \\S{16}`));
    expect(banner).toContain('SIP server / domain  127.0.0.1');

    const op = await login(port, 'admin@nimbus.local', operatorPassword);
    expect(op.status).toBe(200);
    const tenants = await getJson(port, '/api/v1/tenants', op.cookie);
    expect(tenants.items.map((t) => t.sipDomain)).toEqual(['127.0.0.1']);
    expect((await login(port, 'admin@demo.nimbus.local', demoAdmin)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    proc.kill('SIGTERM');
    const r = await exited;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a restart keeps every record and prints no credentials again', async () => {
    const { proc, banner, port, exited } = await startNode(baseEnv(dataDir));
    expect(banner).not.toMatch(/password\s+\S{14}/);
    expect(banner).not.toContain('user 101');
    expect(banner).toContain('credentials printed at first start');
    const op = await login(port, 'admin@nimbus.local', operatorPassword);
    expect(op.status).toBe(200);
    const tenants = await getJson(port, '/api/v1/tenants', op.cookie);
    const exts = await getJson(port, `/api/v1/tenants/${tenants.items[0]!.id}/extensions`, op.cookie);
    expect(exts.items.map((e) => e.number)).toEqual(['101', '102', '103', '104', '105']);
    // A second process must not open the embedded database the node is using.
    const clash = await run(['admin', 'create', '--email', 'clash@nimbus.local'], baseEnv(dataDir));
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/in use by process \d+/);
    proc.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });

  it('admin create, reset-password, migrate and seed-demo work on the stopped node', async () => {
    const env = baseEnv(dataDir);
    const created = await run(
      ['admin', 'create', '--email', 'ops2@nimbus.local', '--password', 'ops2-password'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const again = await run(['admin', 'create', '--email', 'ops2@nimbus.local'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    const reset = await run(['admin', 'reset-password', '--email', 'admin@nimbus.local'], env);
    expect(reset.code).toBe(0);
    operatorPassword = /: (\S+)$/.exec(reset.stdout.trim())?.[1] ?? '';
    expect(operatorPassword).toMatch(/^\S{14}$/);
    const migrate = await run(['migrate'], env);
    expect(migrate.stdout).toContain('up to date');
    const seed = await run(['seed-demo'], env);
    expect(seed.stdout).toContain('already exists');
    const user = await run(
      ['admin', 'create', '--email', 'u@demo.test', '--role', 'user', '--tenant', '127.0.0.1'],
      env,
    );
    expect(user.code, user.stderr).toBe(0);
  });

  it('refuses a bad setting at start with its name and the allowed values', async () => {
    const r = await run(['start'], baseEnv(dataDir, { NIMBUS_LOG_LEVEL: 'chatty' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('NIMBUS_LOG_LEVEL');
    expect(r.stderr).toContain('one of fatal, error, warn, info, debug, trace, silent');
    const flag = await run(['start', '--http-port', 'eighty'], baseEnv(dataDir));
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('NIMBUS_HTTP_PORT');
  });

  it('doctor says in plain words what is wrong', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await run(
        ['doctor', '--http-host', '127.0.0.1', '--http-port', String(port), '--sip-port', '0'],
        baseEnv(dataDir, {
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          REDIS_URL: 'redis://127.0.0.1:1',
        }),
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`✗ HTTP port: HTTP port ${port} is already in use by another program`);
      expect(r.stdout).toMatch(
        /✗ Database: PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none cannot be used/,
      );
      expect(r.stdout).toMatch(/✗ Redis: Redis at redis:\/\/127\.0\.0\.1:1 does not answer/);
      expect(r.stdout).toContain('✓ Node.js');
    } finally {
      busy.close();
    }
    const ok = await run(['doctor', '--http-port', '0', '--sip-port', '0'], baseEnv(dataDir));
    expect(ok.stdout).toContain('✓ Database: embedded database answers; schema is up to date');
    expect(ok.code, ok.stdout).toBe(0);
  });
});
