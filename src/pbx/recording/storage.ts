/**
 * Where finished call recordings live: the data directory, or S3-compatible object
 * storage. Either way a recording is made on local disk first (the media worker
 * writes a `.part` file and renames it when complete); object storage then takes
 * the finished file and the local copy is removed.
 *
 * When object storage cannot take a file (down, refusing), the recording is not
 * lost nor unplayable: it stays in the local spool, is served from there, and
 * `retryUploads()` (run at start and every few minutes) sends it later.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { S3Client, type S3Options } from '../../util/s3.js';

export interface StoredAudio {
  body: Readable;
  /** Size of the whole file. */
  size: number;
}

export interface RecordingStorage {
  readonly kind: 'disk' | 's3';
  /** The local file a recording under `key` is written to while it is made. */
  localPath(key: string): string;
  /** Makes sure `localPath(key)`'s directory exists. */
  prepare(key: string): Promise<void>;
  /**
   * Takes the finished local file into storage (object storage uploads it, then the local copy
   * goes; an upload that fails leaves the file to be served locally and sent later).
   */
  commit(key: string): Promise<void>;
  /** The audio, or a byte range of it (inclusive); rejects with code ENOENT when it is gone. */
  read(key: string, range?: { start: number; end: number }): Promise<StoredAudio>;
  size(key: string): Promise<number | null>;
  /** Deleting what is already gone succeeds. */
  remove(key: string): Promise<void>;
  /** Object storage: sends what is still waiting locally (failed or interrupted uploads). */
  retryUploads?(): Promise<{ sent: number; waiting: number }>;
}

/** Keys are made by us (tenant/yyyy/mm/dd/id.wav); anything that would leave the root is refused. */
function safeJoin(root: string, key: string): string {
  const p = normalize(join(root, key));
  if (!p.startsWith(`${normalize(root)}/`)) throw new Error(`bad recording key ${key}`);
  return p;
}

function missing(): Error {
  return Object.assign(new Error('recording audio is gone'), { code: 'ENOENT' });
}

export class DiskStorage implements RecordingStorage {
  readonly kind = 'disk' as const;

  constructor(private readonly root: string) {}

  localPath(key: string): string {
    return safeJoin(this.root, key);
  }

  async prepare(key: string): Promise<void> {
    await mkdir(dirname(this.localPath(key)), { recursive: true });
  }

  async commit(): Promise<void> {}

  async read(key: string, range?: { start: number; end: number }): Promise<StoredAudio> {
    const path = this.localPath(key);
    const size = (await stat(path)).size;
    return { body: createReadStream(path, range ?? {}), size };
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.localPath(key))).size;
    } catch {
      return null;
    }
  }

  async remove(key: string): Promise<void> {
    await unlink(this.localPath(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

/** Uploads are retried this many times, 1 s doubling, before the file waits in the spool. */
const UPLOAD_ATTEMPTS = 4;

/** Every finished recording under `dir` (the worker's `.part` files are still being written). */
async function finishedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    },
  );
  return entries.filter((e) => e.isFile() && e.name.endsWith('.wav')).map((e) => join(e.parentPath, e.name));
}

export class S3Storage implements RecordingStorage {
  readonly kind = 's3' as const;
  private readonly s3: S3Client;
  private readonly spool: DiskStorage;

  constructor(
    options: S3Options,
    private readonly spoolDir: string,
    private readonly uploadAttempts = UPLOAD_ATTEMPTS,
    /** An upload failed every try: the file waits in the spool (say so in the log). */
    private readonly onDeferred: (key: string, err: unknown) => void = () => {},
  ) {
    this.s3 = new S3Client(options);
    this.spool = new DiskStorage(spoolDir);
  }

  localPath(key: string): string {
    return this.spool.localPath(key);
  }

  prepare(key: string): Promise<void> {
    return this.spool.prepare(key);
  }

  async commit(key: string): Promise<void> {
    await this.upload(key, this.uploadAttempts);
  }

  /** Sends the spooled file of `key`; false (file kept, `onDeferred` told) when every try failed. */
  private async upload(key: string, attempts: number): Promise<boolean> {
    let error: unknown = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await this.s3.putFile(key, this.localPath(key), 'audio/wav');
        await this.spool.remove(key);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // sent meanwhile by a retry
        error = e;
        if (attempt + 1 < attempts) await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
      }
    }
    this.onDeferred(key, error);
    return false;
  }

  /**
   * Sends every finished file still in the spool (uploads that failed, a node restarted
   * meanwhile); one try each. Returns how many were sent and how many still wait.
   */
  async retryUploads(): Promise<{ sent: number; waiting: number }> {
    let sent = 0;
    let waiting = 0;
    for (const path of await finishedFiles(this.spoolDir)) {
      const key = path.slice(this.spoolDir.replace(/\/+$/, '').length + 1);
      if (await this.upload(key, 1)) sent++;
      else waiting++;
    }
    return { sent, waiting };
  }

  async read(key: string, range?: { start: number; end: number }): Promise<StoredAudio> {
    // Not uploaded yet: played from the spool.
    if ((await this.spool.size(key)) !== null) return this.spool.read(key, range);
    try {
      return await this.s3.get(key, range);
    } catch (e) {
      if ((e as { status?: number }).status === 404) throw missing();
      throw e;
    }
  }

  async size(key: string): Promise<number | null> {
    return (await this.spool.size(key)) ?? this.s3.size(key);
  }

  async remove(key: string): Promise<void> {
    await this.spool.remove(key);
    await this.s3.delete(key);
  }
}

/** `NIMBUS_RECORDINGS_S3` (https://KEY:SECRET@host/bucket?region=…) as client options. */
export function s3OptionsFromUrl(url: string): S3Options {
  const u = new URL(url);
  const bucket = decodeURIComponent(u.pathname.split('/').filter(Boolean)[0] ?? '');
  if (!bucket) throw new Error('NIMBUS_RECORDINGS_S3 names no bucket (https://KEY:SECRET@host/bucket)');
  if (!u.username || !u.password)
    throw new Error('NIMBUS_RECORDINGS_S3 needs ACCESS_KEY:SECRET@ before the host');
  return {
    endpoint: `${u.protocol}//${u.host}`,
    bucket,
    region: u.searchParams.get('region') ?? 'us-east-1',
    accessKeyId: decodeURIComponent(u.username),
    secretAccessKey: decodeURIComponent(u.password),
    virtualHosted: u.searchParams.get('virtualHosted') === '1',
  };
}
