/**
 * The embedded database's own thread. PGlite is PostgreSQL compiled to
 * WebAssembly: opening it takes most of a second and every query runs its
 * backend on the calling thread. Here both happen beside the node's main thread,
 * so start-up overlaps loading the rest of the program (DESIGN.md §4: < 2 s) and
 * call records are written without taking time from SIP.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { errorData, type FromDatabase, type PGliteWorkerData, type ToDatabase } from './pglite-protocol.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs as a worker thread');
const data = workerData as PGliteWorkerData;
const post = (m: FromDatabase) => port.postMessage(m);

let pg: PGlite;
try {
  pg = await PGlite.create({
    ...(data.dataDir ? { dataDir: data.dataDir } : {}),
    ...(data.template ? { loadDataDir: new Blob([data.template]) } : {}),
  });
  post({ kind: 'ready' });
} catch (e) {
  post({ kind: 'failed', error: errorData(e) });
  process.exit(1);
}

// PGlite runs one statement at a time; queries arrive in the order the node's driver sent them.
// `last` settles after the latest query, so closing waits for the ones already sent.
let last: Promise<unknown> = Promise.resolve();
port.on('message', (m: ToDatabase) => {
  if (m.kind === 'close') {
    void last.then(() => pg.close()).finally(() => process.exit(0));
    return;
  }
  const { id, sql, params } = m.request;
  last = pg.query(sql, params).then(
    (r) =>
      post({
        kind: 'result',
        id,
        rows: r.rows,
        ...(r.affectedRows !== undefined ? { affectedRows: r.affectedRows } : {}),
      }),
    (e: unknown) => post({ kind: 'error', id, error: errorData(e) }),
  );
});
