/**
 * The anchor for bench/media.ts: the least a Node.js relay can do per packet —
 * worker threads with one dgram socket per leg, latch to the first sender,
 * connect, send every packet to the bridged leg unchanged. No RTP parsing, no
 * statistics, no rewriting. What Nimbus's relay carries against this in the same
 * run is the cost of its own per-packet work; what this carries is the ceiling of
 * Node's UDP sockets on the machine.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

interface Slice {
  base: number;
  calls: number;
}

/** Starts `workers` threads relaying `calls` calls on ports from `base`; returns the "aPort bPort" lines. */
export async function startBareRelay(
  calls: number,
  workers: number,
  base: number,
): Promise<{ pairs: string[]; close: () => Promise<void> }> {
  const per = Math.ceil(calls / workers);
  const threads: Worker[] = [];
  const pairs: string[] = [];
  for (let w = 0; w < workers; w++) {
    const slice: Slice = { base: base + w * per * 2, calls: Math.min(per, calls - w * per) };
    // Run from source under tsx: the worker registers tsx's loader before importing this file.
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const t = new Worker(code, { eval: true, workerData: slice });
    await new Promise((r) => t.once('message', r));
    threads.push(t);
    for (let i = 0; i < slice.calls; i++) pairs.push(`${slice.base + i * 2} ${slice.base + i * 2 + 1}`);
  }
  return { pairs, close: async () => void (await Promise.all(threads.map((t) => t.terminate()))) };
}

function relay({ base, calls }: Slice): void {
  const sockets: Socket[] = [];
  const connected: boolean[] = [];
  let bound = 0;
  for (let i = 0; i < calls * 2; i++) {
    const s = createSocket('udp4');
    s.bind(base + i, '127.0.0.1', () => {
      if (++bound === calls * 2) parentPort?.postMessage('ready');
    });
    sockets.push(s);
    connected.push(false);
  }
  sockets.forEach((s, i) => {
    const peer = sockets[i ^ 1]!;
    let latching = false;
    s.on('message', (buf, from) => {
      if (!connected[i]) {
        if (!latching) s.connect(from.port, from.address, () => (connected[i] = true));
        latching = true;
        return;
      }
      if (connected[i ^ 1]) peer.send(buf);
    });
  });
}

if (!isMainThread) relay(workerData as Slice);
