/**
 * Browser tests of the web portal: a real Chromium (Debian's, driven by
 * playwright-core) against a real node started in-process.
 *
 * - `browserTests` says whether to run them: Chromium is there, or CI demands it
 *   (NIMBUS_REQUIRE_INTEROP=1, where `launchBrowser` then fails loudly).
 * - `ensureWebBuilt` builds web/dist when it is missing or older than its sources,
 *   under a lock, so the two forked vitest workers never build at once, and
 *   without pulling files from under a node that is serving it.
 * - `startPortalNode` starts a node (in-memory database, ports 0, demo tenant).
 * - `screenshot` saves a full-page PNG under test-artifacts/screenshots/.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type NimbusNode, startNode } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const WEB_DIST = join(ROOT, 'web/dist');
export const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots');

export const CHROMIUM = process.env.NIMBUS_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
/** Run the browser suites: Chromium is installed, or CI requires them (and a missing one fails). */
export const browserTests = haveChromium || required;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

export async function launchBrowser(): Promise<Browser> {
  if (!haveChromium)
    throw new Error(`${CHROMIUM} is missing (apt-get install chromium) and NIMBUS_REQUIRE_INTEROP=1`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// --- web/dist -------------------------------------------------------------------------------

/** The newest modification time of the portal's sources (web/ without dist). */
function newestSource(dir = join(ROOT, 'web')): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path === WEB_DIST || entry.name === 'node_modules') continue;
      newest = Math.max(newest, newestSource(path));
    } else {
      // An editor's temporary file may be gone by now.
      newest = Math.max(newest, statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    }
  }
  return newest;
}

function builtUpToDate(): boolean {
  const index = join(WEB_DIST, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= newestSource();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One lock per checkout, shared by every process building it. */
const LOCK = join(
  tmpdir(),
  `nimbus-web-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a process that died is taken over.
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(LOCK, 'utf8'));
      } catch {}
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`web build lock ${LOCK} held by ${holder} for 3 minutes`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/**
 * Makes sure web/dist holds a build of the current sources: builds it when
 * index.html is missing or older than a file under web/ (about 4 s).
 *
 * The build goes to a folder of its own and is then moved in without emptying
 * web/dist: new hashed assets first, index.html last (a rename). A node of another
 * test file serving web/dist meanwhile keeps working: pages it already sent still
 * find their assets, and the next page load gets the new build.
 */
export async function ensureWebBuilt(): Promise<void> {
  if (builtUpToDate()) return;
  await withBuildLock(async () => {
    if (builtUpToDate()) return; // The other worker built it while this one waited.
    const outDir = join(ROOT, 'node_modules/.cache', `nimbus-web-build-${process.pid}`);
    const args = ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'];
    const out = await new Promise<{ status: number | null; out: string }>((res) => {
      const p = spawn('npx', [...args, '--outDir', outDir, '--emptyOutDir'], {
        cwd: ROOT,
        // Vitest sets NODE_ENV=test, which Vite would keep: React's development build.
        env: { ...process.env, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('close', (status) => res({ status, out: text.slice(-4000) }));
    });
    try {
      if (out.status !== 0 || !existsSync(join(outDir, 'index.html')))
        throw new Error(`vite build failed (${out.status}):\n${out.out}`);
      const files = filesUnder(outDir);
      for (const file of [...files.filter((f) => f !== 'index.html'), 'index.html']) {
        const target = join(WEB_DIST, file);
        mkdirSync(dirname(target), { recursive: true });
        const partial = `${target}.${process.pid}.tmp`;
        copyFileSync(join(outDir, file), partial);
        renameSync(partial, target);
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
}

// --- a node ---------------------------------------------------------------------------------

export interface PortalNode {
  node: NimbusNode;
  /** http://127.0.0.1:port, no trailing slash. */
  url: string;
  tenantId: string;
  admin: { email: string; password: string };
  operator: { email: string; password: string };
  close(): Promise<void>;
}

const OPERATOR = { email: 'operator@nimbus.test', password: 'operator-password-1' };

/**
 * A whole node for browser tests: in-memory database, ports 0, the demo tenant, a known operator.
 * `env` adds settings (NIMBUS_WEBHOOK_ALLOW_PRIVATE=true: webhooks may reach a receiver on loopback).
 */
export async function startPortalNode(opts: { env?: Record<string, string> } = {}): Promise<PortalNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-web-'));
  const config = loadConfig({
    env: {
      NIMBUS_HTTP_PORT: '0',
      NIMBUS_HTTP_HOST: '127.0.0.1',
      NIMBUS_SIP_HOST: '127.0.0.1',
      NIMBUS_SIP_PORT: '0',
      NIMBUS_SIP_TLS_PORT: '0',
      NIMBUS_HTTPS_PORT: '0',
      NIMBUS_DATA_DIR: dataDir,
      NIMBUS_PUBLIC_ADDRESS: '127.0.0.1',
      NIMBUS_LOG_LEVEL: 'silent',
      NIMBUS_MEDIA_WORKERS: '1',
      NIMBUS_ADMIN_EMAIL: OPERATOR.email,
      NIMBUS_ADMIN_PASSWORD: OPERATOR.password,
      ...opts.env,
    },
    configFile: null,
  });
  const node = await startNode(config, { inMemory: true });
  const demo = node.demo;
  if (!demo?.admin.password) {
    await node.close();
    throw new Error('the node created no demo tenant with an admin password');
  }
  return {
    node,
    url: `http://127.0.0.1:${node.httpPort}`,
    tenantId: demo.tenantId,
    admin: { email: demo.admin.email, password: demo.admin.password },
    operator: OPERATOR,
    close: async () => {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A portal node (web/dist built first) and Chromium, started side by side as every
 * browser test begins; if either fails, the other is closed before the error is thrown.
 */
export async function portalAndBrowser(
  opts: { env?: Record<string, string> } = {},
): Promise<{ portal: PortalNode; browser: Browser }> {
  const [node, chromium] = await Promise.allSettled([
    ensureWebBuilt().then(() => startPortalNode(opts)),
    launchBrowser(),
  ]);
  if (node.status === 'fulfilled' && chromium.status === 'fulfilled')
    return { portal: node.value, browser: chromium.value };
  if (node.status === 'fulfilled') await node.value.close();
  if (chromium.status === 'fulfilled') await chromium.value.close();
  throw node.status === 'rejected' ? node.reason : (chromium as PromiseRejectedResult).reason;
}

// --- artifacts ------------------------------------------------------------------------------

/** Empties test-artifacts/screenshots/, so what is there after a run is that run's. */
export function clearScreenshots(): void {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}

/** A full-page screenshot at test-artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}
