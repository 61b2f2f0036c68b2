/**
 * Where finished call recordings live: the data directory, or S3-compatible object
 * storage. Either way a recording is made on local disk first (the media worker
 * writes a `.part` file and renames it when complete); object storage then takes
 * the finished file and the local copy is removed.
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
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
  /** Takes the finished local file into storage (object storage uploads it, then the local copy goes). */
  commit(key: string): Promise<void>;
  /** The audio, or a byte range of it (inclusive); rejects with code ENOENT when it is gone. */
  read(key: string, range?: { start: number; end: number }): Promise<StoredAudio>;
  size(key: string): Promise<number | null>;
  /** Deleting what is already gone succeeds. */
  remove(key: string): Promise<void>;
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

/** Uploads are retried this many times, 1 s doubling, before the commit fails. */
const UPLOAD_ATTEMPTS = 4;

export class S3Storage implements RecordingStorage {
  readonly kind = 's3' as const;
  private readonly s3: S3Client;
  private readonly spool: DiskStorage;

  constructor(
    options: S3Options,
    spoolDir: string,
    private readonly uploadAttempts = UPLOAD_ATTEMPTS,
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
    let error: unknown = null;
    for (let attempt = 0; attempt < this.uploadAttempts; attempt++) {
      try {
        await this.s3.putFile(key, this.localPath(key), 'audio/wav');
        await this.spool.remove(key);
        return;
      } catch (e) {
        error = e;
        if (attempt + 1 < this.uploadAttempts) await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
      }
    }
    throw error;
  }

  async read(key: string, range?: { start: number; end: number }): Promise<StoredAudio> {
    try {
      return await this.s3.get(key, range);
    } catch (e) {
      if ((e as { status?: number }).status === 404) throw missing();
      throw e;
    }
  }

  size(key: string): Promise<number | null> {
    return this.s3.size(key);
  }

  remove(key: string): Promise<void> {
    return this.s3.delete(key);
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
