/**
 * Writing WAV: header bytes as the RIFF/WAVE layout prescribes, files that an
 * independent reader (wavefile) accepts, and the streaming writer's life on disk:
 * placeholder sizes while recording, patched sizes and pad byte on finish.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, parseWav } from '../../src/media/audio/wav.js';
import {
  encodeFrames,
  encodeWav,
  WavFileWriter,
  type WavWriteFormat,
  wavHeader,
  wavHeaderSize,
} from '../../src/media/audio/wav-writer.js';
import { decodeG711, encodeG711 } from '../../src/media/codecs/g711.js';

const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof import('wavefile');

interface WfFmt {
  chunkSize: number;
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

const PCM_MONO: WavWriteFormat = { encoding: 'pcm16', sampleRate: 8000, channels: 1 };
const ULAW_MONO: WavWriteFormat = { encoding: 'ulaw', sampleRate: 8000, channels: 1 };

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-wavw-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ramp = (n: number, step = 97): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => ((i * step) % 60000) - 30000);

describe('header', () => {
  it('lays out 16-bit PCM in the canonical 44 bytes', () => {
    const h = wavHeader({ encoding: 'pcm16', sampleRate: 8000, channels: 2 }, 1000);
    expect(h.length).toBe(44);
    expect(h.toString('latin1', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(36 + 1000);
    expect(h.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect([h.readUInt32LE(16), h.readUInt16LE(20), h.readUInt16LE(22)]).toEqual([16, 1, 2]);
    expect([h.readUInt32LE(24), h.readUInt32LE(28), h.readUInt16LE(32), h.readUInt16LE(34)]).toEqual([
      8000, 32000, 4, 16,
    ]);
    expect(h.toString('latin1', 36, 40)).toBe('data');
    expect(h.readUInt32LE(40)).toBe(1000);
  });

  it('gives G.711 an 18-byte format chunk and the fact chunk non-PCM formats need', () => {
    const h = wavHeader({ encoding: 'alaw', sampleRate: 8000, channels: 2 }, 802);
    expect(h.length).toBe(58);
    expect(wavHeaderSize(ULAW_MONO)).toBe(58);
    expect([h.readUInt32LE(16), h.readUInt16LE(20), h.readUInt16LE(34), h.readUInt16LE(36)]).toEqual([
      18, 6, 8, 0,
    ]);
    expect([h.readUInt32LE(28), h.readUInt16LE(32)]).toEqual([16_000, 2]);
    expect(h.toString('latin1', 38, 42)).toBe('fact');
    expect(h.readUInt32LE(46)).toBe(401); // frames
    expect(h.readUInt32LE(4)).toBe(58 - 8 + 802);
    expect(h.readUInt32LE(54)).toBe(802);
    const odd = wavHeader(ULAW_MONO, 801);
    expect(odd.readUInt32LE(4)).toBe(58 - 8 + 801 + 1); // the pad byte after odd data counts
  });

  it('uses 0xFFFFFFFF placeholders while the size is unknown', () => {
    const h = wavHeader(PCM_MONO, null);
    expect(h.readUInt32LE(4)).toBe(0xffffffff);
    expect(h.readUInt32LE(40)).toBe(0xffffffff);
  });

  it('refuses formats it cannot write', () => {
    expect(() => wavHeader({ encoding: 'pcm16', sampleRate: 0, channels: 1 }, 0)).toThrow(RangeError);
    expect(() => wavHeader({ encoding: 'pcm16', sampleRate: 8000, channels: 3 as 1 }, 0)).toThrow(RangeError);
    expect(() => encodeFrames({ ...PCM_MONO, channels: 2 }, new Int16Array(3))).toThrow(/whole number/);
  });
});

describe('whole files in memory', () => {
  it('round-trips 16-bit PCM through our reader and wavefile, mono and stereo', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2>(1, 2),
        fc.constantFrom(8000, 16_000, 44_100),
        fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 200 }),
        (channels, sampleRate, raw) => {
          const s = Int16Array.from(raw.slice(0, raw.length - (raw.length % channels)));
          const bytes = encodeWav({ encoding: 'pcm16', sampleRate, channels }, s);
          const p = parseWav(bytes);
          expect(p.frames).toBe(s.length / channels);
          expect(Buffer.from(p.data)).toEqual(encodeFrames({ encoding: 'pcm16', sampleRate, channels }, s));
          const w = new WaveFile(bytes);
          expect(w.fmt as WfFmt).toMatchObject({ audioFormat: 1, numChannels: channels, sampleRate });
          expect([...w.getSamples(true)]).toEqual([...s]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes G.711 files that wavefile reads as µ-law / A-law', () => {
    for (const [encoding, tag] of [
      ['ulaw', 7],
      ['alaw', 6],
    ] as const) {
      const s = ramp(321);
      const bytes = encodeWav({ encoding, sampleRate: 8000, channels: 1 }, s);
      expect(bytes.length).toBe(58 + 321 + 1); // odd data: padded
      const w = new WaveFile(bytes);
      expect(w.fmt as WfFmt).toMatchObject({
        chunkSize: 18,
        audioFormat: tag,
        bitsPerSample: 8,
        byteRate: 8000,
      });
      expect((w.fact as { dwSampleLength: number }).dwSampleLength).toBe(321);
      expect([...decodeWav(bytes).samples]).toEqual([...decodeG711(encodeG711(s, encoding), encoding)]);
    }
  });
});

describe('WavFileWriter', () => {
  it('streams frames to disk and patches the header on finish', async () => {
    const path = join(dir, 'stream.wav');
    const w = await WavFileWriter.create(path, PCM_MONO, { flushBytes: 1000 });
    const all = ramp(8000);
    for (let i = 0; i < all.length; i += 160) await w.write(all.subarray(i, i + 160));
    expect(w.frames).toBe(8000);
    const summary = await w.finish();
    expect(summary).toEqual({ path, frames: 8000, dataBytes: 16_000, durationMs: 1000 });
    expect(await readFile(path)).toEqual(encodeWav(PCM_MONO, all));
  });

  it('leaves a readable file with placeholder sizes while recording (what a crash leaves)', async () => {
    const path = join(dir, 'partial.wav');
    const w = await WavFileWriter.create(path, PCM_MONO, { flushBytes: 320 });
    await w.write(ramp(160));
    await w.write(ramp(160));
    await w.write(new Int16Array(10)); // buffered, below flushBytes: not on disk yet
    const p = parseWav(await readFile(path));
    expect(p.truncated).toBe(true);
    expect(p.frames).toBe(320);
    await w.close();
    await w.close(); // idempotent
    expect(parseWav(await readFile(path)).frames).toBe(320);
    expect(() => w.write(new Int16Array(1))).toThrow(/closed/);
    await expect(w.finish()).rejects.toThrow(/closed/);
  });

  it('pads an odd G.711 data chunk and counts frames in the fact chunk', async () => {
    const path = join(dir, 'odd.wav');
    const w = await WavFileWriter.create(path, ULAW_MONO);
    await w.write(ramp(161));
    const first = w.finish();
    expect(w.finish()).toBe(first); // once
    expect((await first).dataBytes).toBe(161);
    const bytes = await readFile(path);
    expect(bytes).toEqual(encodeWav(ULAW_MONO, ramp(161)));
    expect(bytes.length % 2).toBe(0);
    expect(() => w.write(new Int16Array(1))).toThrow(/closed/);
  });

  it('writes stereo A-law', async () => {
    const path = join(dir, 'stereo.wav');
    const f: WavWriteFormat = { encoding: 'alaw', sampleRate: 8000, channels: 2 };
    const w = await WavFileWriter.create(path, f);
    await w.write(ramp(320));
    await w.finish();
    const d = parseWav(await readFile(path));
    expect(d.format).toMatchObject({ encoding: 'alaw', channels: 2 });
    expect(d.frames).toBe(160);
  });

  it('does not overwrite an existing file unless asked', async () => {
    const path = join(dir, 'exists.wav');
    await writeFile(path, 'keep me');
    await expect(WavFileWriter.create(path, PCM_MONO)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('keep me');
    const w = await WavFileWriter.create(path, PCM_MONO, { overwrite: true });
    await w.finish();
    expect(parseWav(await readFile(path)).frames).toBe(0);
  });
});
