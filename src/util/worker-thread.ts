/**
 * Starts a worker thread whether the program runs from dist/ (plain JavaScript)
 * or from the TypeScript sources (tests, tsx).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const fromSource = import.meta.url.endsWith('.ts');

/**
 * @param entry the worker module's URL as built, e.g. `new URL('./worker.js', import.meta.url)`;
 *   from the sources its `.ts` twin is loaded instead.
 */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!fromSource) return new Worker(entry, options);
  // `--import tsx` in a worker's execArgv is not honoured by Node 20, so a small bootstrap
  // registers tsx's loader before importing the entry.
  const source = new URL(entry.href.replace(/\.js$/, '.ts'));
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then(async ({ register }) => { register(); await import(${JSON.stringify(source.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
