/**
 * FileRecorder on a real file system: the final name appears only when the
 * recording is complete (temporary file, patched header, fsync, rename), an abort
 * or a failure leaves nothing behind, a crash leaves only a recoverable `.part`,
 * and the files are WAVs an independent reader accepts.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, parseWav } from '../../src/media/audio/wav.js';
import { FileRecorder, PARTIAL_SUFFIX, RecorderError } from '../../src/media/recorder.js';

const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof import('wavefile');

const N = 160;
const tone = (seq: number, amp = 6000): Int16Array =>
  Int16Array.from({ length: N }, (_, i) =>
    Math.round(amp * Math.sin((2 * Math.PI * 440 * (seq * N + i)) / 8000)),
  );

let root = '';
let dirNo = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nimbus-rec-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A fresh directory per test, so listings show only that test's files. */
async function freshDir(): Promise<string> {
  const d = join(root, `t${dirNo++}`);
  await mkdir(d);
  return d;
}

describe('FileRecorder', () => {
  it('writes into a temporary file and renames it into place when stopped', async () => {
    const dir = await freshDir();
    const path = join(dir, 'call.wav');
    const rec = await FileRecorder.start(path, { mode: 'single', flushBytes: 1024 });
    expect(rec.recording).toBe(true);
    expect(rec.tempPath.startsWith(join(dir, '.call.wav.'))).toBe(true);
    expect(rec.tempPath.endsWith(PARTIAL_SUFFIX)).toBe(true);
    const sent: number[] = [];
    for (let i = 0; i < 100; i++) {
      const f = tone(i);
      sent.push(...f);
      rec.push({ a: f });
    }
    expect(await readdir(dir)).toEqual([rec.tempPath.slice(dir.length + 1)]); // nothing under the final name yet
    const result = await rec.stop('hangup');
    expect(result).toEqual({
      path,
      reason: 'hangup',
      durationMs: 2000,
      elapsedMs: 2000,
      voicedMs: 2000,
      bytes: 44 + 32_000,
    });
    expect(await readdir(dir)).toEqual(['call.wav']);
    const bytes = await readFile(path);
    expect(bytes.length).toBe(result.bytes);
    const d = decodeWav(bytes);
    expect(d.source.truncated).toBe(false);
    expect([...d.samples]).toEqual(sent);
    expect(rec.recording).toBe(false);
    expect(await rec.stop()).toBe(result); // the same answer again
    rec.push({ a: tone(0) }); // frames arriving during teardown are ignored
    rec.close();
    await rec.abort(); // too late to abort: the recording stands
    expect(await readdir(dir)).toEqual(['call.wav']);
  });

  it('records both legs in stereo, which wavefile reads as two channels', async () => {
    const dir = await freshDir();
    const path = join(dir, 'stereo.wav');
    const rec = await FileRecorder.start(path, { mode: 'stereo' });
    for (let i = 0; i < 10; i++) rec.push(i % 2 ? { a: tone(i) } : { a: tone(i), b: tone(i, 100) });
    await rec.stop('explicit');
    const w = new WaveFile(await readFile(path));
    expect(w.fmt).toMatchObject({ audioFormat: 1, numChannels: 2, sampleRate: 8000, bitsPerSample: 16 });
    const s = w.getSamples(true);
    expect(s.length).toBe(2 * 10 * N);
    expect(s[2 * N + 1]).toBe(0); // frame 1 had no leg b: silence, still aligned
    expect(s[1]).toBe(tone(0, 100)[0]);
  });

  it('finishes by itself at the maximum duration', async () => {
    const dir = await freshDir();
    const path = join(dir, 'max.wav');
    const rec = await FileRecorder.start(path, { mode: 'mixed', maxDurationMs: 500 });
    for (let i = 0; i < 40; i++) rec.push({ a: tone(i), b: tone(i) });
    const result = await rec.done;
    expect(result).toMatchObject({ reason: 'max-duration', durationMs: 500 });
    expect(parseWav(await readFile(path)).frames).toBe(4000);
  });

  it('ends a µ-law voicemail on silence with the trailing silence trimmed', async () => {
    const dir = await freshDir();
    const path = join(dir, 'vm.wav');
    const rec = await FileRecorder.start(path, {
      mode: 'single',
      encoding: 'ulaw',
      maxDurationMs: 120_000,
      silence: { afterMs: 2000, keepMs: 0 },
    });
    for (let i = 0; i < 75; i++) rec.push({ a: tone(i) });
    for (let i = 0; i < 200 && rec.recording; i++) rec.push({});
    const result = await rec.done;
    expect(result).toMatchObject({
      reason: 'silence',
      durationMs: 1580,
      elapsedMs: 3580,
      bytes: 58 + 12_640,
    });
    const p = parseWav(await readFile(path));
    expect(p.format).toMatchObject({ encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    expect(p.frames).toBe(12_640);
  });

  it('abort deletes the temporary file and rejects `done`', async () => {
    const dir = await freshDir();
    const path = join(dir, 'gone.wav');
    const rec = await FileRecorder.start(path, { mode: 'single', flushBytes: 320 });
    for (let i = 0; i < 20; i++) rec.push({ a: tone(i) });
    await rec.abort();
    expect(await readdir(dir)).toEqual([]);
    const err = await rec.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecorderError);
    expect((err as RecorderError).code).toBe('aborted');
    await expect(rec.stop()).rejects.toMatchObject({ code: 'aborted' });
    await rec.abort(); // idempotent
    rec.close();
  });

  it('close() aborts a recording in progress', async () => {
    const dir = await freshDir();
    const rec = await FileRecorder.start(join(dir, 'closed.wav'), { mode: 'single' });
    rec.push({ a: tone(0) });
    rec.close();
    rec.close();
    await expect(rec.done).rejects.toMatchObject({ code: 'aborted' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves only a recoverable .part file if the process dies mid-recording', async () => {
    const dir = await freshDir();
    const rec = await FileRecorder.start(join(dir, 'crash.wav'), { mode: 'single', flushBytes: 3200 });
    for (let i = 0; i < 50; i++) rec.push({ a: tone(i) });
    await new Promise((r) => setTimeout(r, 50)); // let the queued writes land
    // "Crash": read what is on disk without stopping.
    const names = await readdir(dir);
    expect(names).toHaveLength(1);
    expect(names[0]!.endsWith(PARTIAL_SUFFIX)).toBe(true);
    const p = parseWav(await readFile(join(dir, names[0]!)));
    expect(p.truncated).toBe(true); // placeholder sizes: "to the end of the file"
    expect(p.frames).toBe(8000); // every full 3200-byte batch
    await rec.abort();
  });

  it('reports a failure as an io error and leaves no file behind', async () => {
    const dir = await freshDir();
    const path = join(dir, 'fail.wav');
    const rec = await FileRecorder.start(path, { mode: 'single' });
    rec.push({ a: tone(0) });
    await unlink(rec.tempPath); // the rename will find nothing to move
    const err = await rec.stop('hangup').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecorderError);
    expect((err as RecorderError).code).toBe('io');
    expect(((err as RecorderError).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails to start when the directory does not exist', async () => {
    await expect(FileRecorder.start(join(root, 'nope', 'x.wav'), { mode: 'single' })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
