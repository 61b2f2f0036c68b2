/**
 * Where recordings are kept: the SigV4 signer against AWS's published examples
 * (the signature suite's "get-vanilla" and the S3 guide's ranged GET Object), and
 * S3Storage against s3rver, an S3-compatible server (it checks the access key but
 * not V4 signatures, hence the published examples) — upload with the local copy
 * removed, size, ranged reads, delete, a missing object, an unknown key refused.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskStorage, S3Storage, s3OptionsFromUrl } from '../../src/pbx/recording/storage.js';
import { signV4 } from '../../src/util/s3.js';

async function text(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('SigV4', () => {
  it("signs AWS's get-vanilla example as AWS does", () => {
    const auth = signV4({
      method: 'GET',
      host: 'example.amazonaws.com',
      path: '/',
      headers: { 'X-Amz-Date': '20150830T123600Z' },
      payloadHash: createHash('sha256').update('').digest('hex'),
      region: 'us-east-1',
      service: 'service',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      amzDate: '20150830T123600Z',
    });
    expect(auth).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it("signs the S3 guide's GET Object example with a Range header as AWS does", () => {
    const empty = createHash('sha256').update('').digest('hex');
    const auth = signV4({
      method: 'GET',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      headers: { range: 'bytes=0-9', 'x-amz-content-sha256': empty, 'x-amz-date': '20130524T000000Z' },
      payloadHash: empty,
      region: 'us-east-1',
      service: 's3',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      amzDate: '20130524T000000Z',
    });
    expect(auth).toMatch(/Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41$/);
  });

  it('reads NIMBUS_RECORDINGS_S3 and refuses one without a bucket or keys', () => {
    expect(s3OptionsFromUrl('https://AK:s%2Fecret@s3.example.net:9000/calls?region=ru-central1')).toEqual({
      endpoint: 'https://s3.example.net:9000',
      bucket: 'calls',
      region: 'ru-central1',
      accessKeyId: 'AK',
      secretAccessKey: 's/ecret',
      virtualHosted: false,
    });
    expect(() => s3OptionsFromUrl('https://AK:S@s3.example.net/')).toThrow(/bucket/);
    expect(() => s3OptionsFromUrl('https://s3.example.net/calls')).toThrow(/ACCESS_KEY/);
  });
});

describe('recording storage', () => {
  let server: S3rver;
  let endpoint: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-s3-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(dir, 'server'),
      configureBuckets: [{ name: 'calls', configs: [] }],
    });
    const address = (await server.run()) as AddressInfo;
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (accessKeyId = 'S3RVER') => ({
    endpoint,
    region: 'us-east-1',
    bucket: 'calls',
    accessKeyId,
    secretAccessKey: 'S3RVER',
  });

  it('uploads a finished recording, removes the local copy, reads ranges and deletes it', async () => {
    const storage = new S3Storage(options(), join(dir, 'spool'));
    const key = 'tenant-1/2026/12/07/rec 1.wav';
    await storage.prepare(key);
    const audio = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    writeFileSync(storage.localPath(key), audio);
    await storage.commit(key);
    expect(existsSync(storage.localPath(key))).toBe(false);
    expect(await storage.size(key)).toBe(5000);
    const whole = await storage.read(key);
    expect(whole.size).toBe(5000);
    expect((await text(whole.body)).equals(audio)).toBe(true);
    const part = await storage.read(key, { start: 100, end: 199 });
    expect(part.size).toBe(5000);
    expect((await text(part.body)).equals(audio.subarray(100, 200))).toBe(true);
    await storage.remove(key);
    expect(await storage.size(key)).toBeNull();
    await expect(storage.read(key)).rejects.toMatchObject({ code: 'ENOENT' });
    // Deleting what is gone succeeds (a retention sweep cut short runs again).
    await storage.remove(key);
  });

  it('keeps a recording object storage refuses playable from the spool, and sends it later', async () => {
    const spool = join(dir, 'spool-refused');
    const deferred: [string, unknown][] = [];
    const refusing = new S3Storage(options('NOBODY'), spool, 1, (k, err) => deferred.push([k, err]));
    const key = 'tenant-1/2026/12/07/rec-2.wav';
    await refusing.prepare(key);
    const audio = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 7));
    writeFileSync(refusing.localPath(key), audio);
    // The commit succeeds (the row becomes stored); the refusal is reported, the file kept.
    await refusing.commit(key);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]![0]).toBe(key);
    expect(deferred[0]![1]).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
    expect(existsSync(refusing.localPath(key))).toBe(true);
    // Meanwhile it plays from local disk, ranges too.
    expect(await refusing.size(key)).toBe(300);
    expect(
      (await text((await refusing.read(key, { start: 10, end: 19 })).body)).equals(audio.subarray(10, 20)),
    ).toBe(true);
    // Still refused: the retry says it waits; a file being recorded (.part) is not touched.
    writeFileSync(join(spool, 'tenant-1/2026/12/07/live.wav.part'), Buffer.alloc(10));
    expect(await refusing.retryUploads()).toEqual({ sent: 0, waiting: 1 });
    // Storage takes it again (fixed keys, a restart): the next retry sends it and frees the spool.
    const fixed = new S3Storage(options(), spool, 1);
    expect(await fixed.retryUploads()).toEqual({ sent: 1, waiting: 0 });
    expect(existsSync(fixed.localPath(key))).toBe(false);
    expect(existsSync(join(spool, 'tenant-1/2026/12/07/live.wav.part'))).toBe(true);
    expect((await text((await fixed.read(key)).body)).equals(audio)).toBe(true);
    expect(await fixed.retryUploads()).toEqual({ sent: 0, waiting: 0 });
    await fixed.remove(key);
    expect(await fixed.size(key)).toBeNull();
  });

  it('keeps keys inside the data directory', () => {
    const disk = new DiskStorage(join(dir, 'disk'));
    expect(() => disk.localPath('../../etc/passwd')).toThrow(/bad recording key/);
  });
});
