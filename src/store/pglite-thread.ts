/**
 * The node's side of the embedded database thread (pglite-worker.ts): queries
 * go over a message port and come back as rows or as the driver's error (with
 * its SQLSTATE code and constraint, which the store maps to typed errors).
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/worker-thread.js';
import { errorFrom, type FromDatabase, type PGliteWorkerData, type ToDatabase } from './pglite-protocol.js';

/** What the Kysely dialect needs of a PGlite: PGlite itself has it too (global test setup uses one). */
export interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
}

interface Pending {
  resolve(r: { rows: unknown[]; affectedRows?: number }): void;
  reject(e: Error): void;
}

export class PGliteThread implements PGliteLike {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the thread is gone: every later query fails with it. */
  private gone: Error | null = null;
  private exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: FromDatabase) => {
      if (m.kind !== 'result' && m.kind !== 'error') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.kind === 'result')
        p.resolve(
          m.affectedRows !== undefined ? { rows: m.rows, affectedRows: m.affectedRows } : { rows: m.rows },
        );
      else p.reject(errorFrom(m.error));
    });
    worker.on('error', (e) =>
      this.fail(new Error(`The embedded database stopped: ${e.message}`, { cause: e })),
    );
    worker.once('exit', (code) =>
      this.fail(new Error(`PGlite is closed (its thread exited with code ${code})`)),
    );
  }

  /** Starts the thread and waits until the database is open. */
  static async open(data: PGliteWorkerData): Promise<PGliteThread> {
    const worker = startWorker(new URL('./pglite-worker.js', import.meta.url), {
      workerData: data,
      ...(data.template ? { transferList: [data.template.buffer as ArrayBuffer] } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromDatabase) => {
        if (m.kind === 'ready') done(null);
        else if (m.kind === 'failed') done(errorFrom(m.error));
      };
      const onError = (e: Error) => done(e);
      const onExit = (code: number) =>
        done(new Error(`The embedded database thread exited with code ${code}`));
      const done = (e: Error | null) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (e) reject(e);
        else resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    worker.unref();
    return new PGliteThread(worker);
  }

  query<R>(sql: string, params: unknown[] = []): Promise<{ rows: R[]; affectedRows?: number }> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    const request: ToDatabase = { kind: 'query', request: { id, sql, params } };
    return new Promise((resolve, reject) => {
      // The thread keeps the process alive only while a query is out: an idle open database
      // does not hold a finished command open, and an awaited answer is never abandoned.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      this.worker.postMessage(request);
    });
  }

  get closed(): boolean {
    return this.gone !== null;
  }

  /** Closes the database (after the queries already sent) and ends the thread. */
  async close(): Promise<void> {
    if (!this.gone) {
      this.worker.ref();
      this.worker.postMessage({ kind: 'close' } satisfies ToDatabase);
    }
    await this.exited;
  }

  private fail(e: Error): void {
    this.gone ??= e;
    for (const p of this.pending.values()) p.reject(this.gone);
    this.pending.clear();
  }
}
