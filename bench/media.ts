/**
 * Concurrent anchored calls (DESIGN.md §4: >= 1,000 G.711 calls with < 0.1 %
 * packet loss on this 2-core machine, media work spread over worker threads).
 *
 *   npx tsx bench/media.ts [calls] [seconds] [workers]
 *
 * The media engine runs in this process exactly as the PBX runs it: two relay
 * endpoints per call on worker threads, bridged. The phones of every call are
 * played by bench/media/rtpgen.c (compiled here with gcc), which sends 50 packets
 * a second each way per call and measures what comes back: loss from sequence
 * numbers and RFC 3550 jitter. This process reports CPU (all threads) and memory
 * per call. The anchor in the same run is the kernel path alone: the same
 * generator with the relay replaced by sockets that are never read is not
 * meaningful, so the anchor is "loss/jitter at 100 calls" against N calls.
 */
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type MediaEndpoint, MediaEngine } from '../src/media/engine.js';
import type { RemoteMedia } from '../src/media/rtp/endpoint.js';
import { startBareRelay } from './media/bare-relay.js';

const CALLS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 20);
const WORKERS = Number(process.argv[4] ?? 2);
const GEN = join(tmpdir(), 'nimbus-rtpgen');

interface GenFigures {
  calls: number;
  sent: number;
  sendErrors: number;
  received: number;
  expected: number;
  streamsWithMedia: number;
  jitterMeanMs: number;
  jitterMaxMs: number;
}

const built = spawnSync('gcc', ['-O2', '-o', GEN, resolve(import.meta.dirname, 'media/rtpgen.c'), '-lm']);
if (built.status !== 0) throw new Error(`building rtpgen failed: ${built.stderr}`);

// Where the generator is does not matter: the relay latches to the first packet of each leg.
// Phones negotiate telephone-event as nearly all do; BENCH_INBAND=1 makes every leg one that
// does not, so the relay also decodes its audio and listens for in-band keys (Goertzel).
const remote: RemoteMedia = {
  address: '127.0.0.1',
  port: 9,
  audioPt: 8,
  recvAudioPt: 8,
  codec: 'alaw',
  telephoneEventPt: process.env.BENCH_INBAND ? null : 101,
  recvTelephoneEventPt: process.env.BENCH_INBAND ? null : 101,
  send: true,
};

async function run(calls: number): Promise<void> {
  const engine = await MediaEngine.start({
    bindAddress: '127.0.0.1',
    advertiseAddress: '127.0.0.1',
    portMin: 20000,
    portMax: 20000 + calls * 4 + 100,
    workers: WORKERS,
  });
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const pairs: [MediaEndpoint, MediaEndpoint][] = [];
  for (let i = 0; i < calls; i++) {
    const a = await engine.open();
    const b = await engine.open(a);
    a.setRemote(remote);
    b.setRemote(remote);
    a.bridge(b);
    pairs.push([a, b]);
  }
  await new Promise((r) => setTimeout(r, 500));
  const rssOpen = process.memoryUsage().rss;
  const { g, wall, cpu } = await generate(pairs.map(([a, b]) => `${a.port} ${b.port}`));
  const rssRun = process.memoryUsage().rss;
  const lost = g.expected - g.received;
  const stats = await Promise.all(pairs.flatMap(([a, b]) => [a.stats(), b.stats()]));
  const relayLoss = stats.reduce((s, x) => s + (x?.packetsLost ?? 0), 0);
  const relayIn = stats.reduce((s, x) => s + (x?.packetsReceived ?? 0), 0);
  const relayOut = stats.reduce((s, x) => s + (x?.packetsSent ?? 0), 0);
  await Promise.all(pairs.flatMap(([a, b]) => [a.close(), b.close()]));
  await engine.close();
  console.log(
    JSON.stringify({
      calls,
      workers: WORKERS,
      seconds: SECONDS,
      offeredPacketsPerSecond: Math.round(g.sent / wall),
      packetsPerSecondThroughRelay: Math.round(g.received / wall),
      // Sent but never back: includes the first packets of each leg before the other leg latched.
      unreturnedPercent: Math.round(((g.sent - g.received) / Math.max(1, g.sent)) * 1e5) / 1e3,
      lossPercent: Math.round((lost / Math.max(1, g.expected)) * 1e5) / 1e3,
      sendErrors: g.sendErrors,
      streamsWithMedia: `${g.streamsWithMedia}/${g.calls * 2}`,
      // Where packets went: generator sent -> relay read -> relay sent -> generator read.
      path: `${g.sent} -> ${relayIn} -> ${relayOut} -> ${g.received}`,
      relayCountedLoss: relayLoss,
      jitterMeanMs: g.jitterMeanMs,
      jitterMaxMs: g.jitterMaxMs,
      relayCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 1000) / 10,
      memoryPerCallKB: Math.round((rssOpen - rssBefore) / calls / 102.4) / 10,
      rssRunMB: Math.round(rssRun / 1048576),
    }),
  );
}

/** Runs the generator against the given "aPort bPort" lines; its totals, wall seconds and this process's CPU. */
async function generate(pairs: string[]): Promise<{ g: GenFigures; wall: number; cpu: NodeJS.CpuUsage }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const gen = spawn(GEN, ['127.0.0.1', String(SECONDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  gen.stdin.end(pairs.join('\n'));
  let out = '';
  gen.stdout.on('data', (d) => (out += d));
  await new Promise<void>((r) => gen.on('close', () => r()));
  return {
    g: JSON.parse(out) as GenFigures,
    wall: (performance.now() - t0) / 1000,
    cpu: process.cpuUsage(cpu0),
  };
}

/** The anchor: the same load through the barest relay Node.js can run (bench/media/bare-relay.ts). */
async function runBare(calls: number): Promise<void> {
  const relay = await startBareRelay(calls, WORKERS, 20000);
  const { g, wall, cpu } = await generate(relay.pairs);
  await relay.close();
  console.log(
    JSON.stringify({
      anchor: 'bare Node.js relay',
      calls,
      workers: WORKERS,
      packetsPerSecondThroughRelay: Math.round(g.received / wall),
      unreturnedPercent: Math.round(((g.sent - g.received) / Math.max(1, g.sent)) * 1e5) / 1e3,
      lossPercent: Math.round(((g.expected - g.received) / Math.max(1, g.expected)) * 1e5) / 1e3,
      jitterMeanMs: g.jitterMeanMs,
      jitterMaxMs: g.jitterMaxMs,
      relayCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 1000) / 10,
    }),
  );
}

// Anchors in the same run: a light load, and the target load through the bare relay.
if (process.env.BENCH_ANCHOR !== '0') {
  await run(100);
  await runBare(CALLS);
}
await run(CALLS);
