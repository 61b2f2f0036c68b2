/**
 * Opening the embedded database: the data directory's lock, then PGlite on its
 * own thread. Kept apart from connect.ts (and its query builder) so `nimbus
 * start` can begin it before loading the rest of the program.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir } from './data-dir-lock.js';
import { PGliteThread } from './pglite-thread.js';

export interface EmbeddedDb {
  pg: PGliteThread;
  /** Closes the database and frees the data directory for the next process. */
  close(): Promise<void>;
}

/**
 * @param dataDir the node's data directory (the database lives in `<dataDir>/db`); null = in memory
 * @param template a dump of a data directory to start from (tests skip initdb this way)
 */
export async function openEmbedded(dataDir: string | null, template?: Blob): Promise<EmbeddedDb> {
  let unlock = () => {};
  let dir: string | undefined;
  if (dataDir) {
    dir = join(dataDir, 'db');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dir);
  }
  try {
    const pg = await PGliteThread.open({
      ...(dir ? { dataDir: dir } : {}),
      ...(template ? { template: new Uint8Array(await template.arrayBuffer()) } : {}),
    });
    return {
      pg,
      close: async () => {
        await pg.close();
        unlock();
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}
