/** Messages between the embedded database's thread (pglite-worker.ts) and the node (pglite-thread.ts). */

export interface PGliteWorkerData {
  /** PGlite's data directory; absent = in memory. */
  dataDir?: string;
  /** A dump of a data directory to start from (tests skip initdb this way). */
  template?: Uint8Array;
}

export interface QueryRequest {
  id: number;
  sql: string;
  params: unknown[];
}

/** What a driver error carries that the store maps (SQLSTATE code, constraint...), as plain data. */
export interface ErrorData {
  name: string;
  message: string;
  fields: Record<string, string | number>;
}

export type FromDatabase =
  | { kind: 'ready' }
  | { kind: 'failed'; error: ErrorData }
  | { kind: 'result'; id: number; rows: unknown[]; affectedRows?: number }
  | { kind: 'error'; id: number; error: ErrorData };

export type ToDatabase = { kind: 'query'; request: QueryRequest } | { kind: 'close' };

export function errorData(e: unknown): ErrorData {
  const err = e instanceof Error ? e : new Error(String(e));
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(err)) if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  return { name: err.name, message: err.message, fields };
}

export function errorFrom(d: ErrorData): Error {
  const err = new Error(d.message);
  err.name = d.name;
  Object.assign(err, d.fields);
  return err;
}
