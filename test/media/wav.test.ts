/**
 * Reading WAV: every supported encoding against files written by an independent
 * library (wavefile), the layouts real files come in (extra chunks, odd sizes with
 * and without their pad byte, extensible headers, cut-off recordings), and every
 * way a broken upload is refused with a WavError that names the problem.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav, parseWav, readWavFile, WavError, type WavErrorCode } from '../../src/media/audio/wav.js';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { ALAW_TO_LINEAR, encodeG711, ULAW_TO_LINEAR } from '../../src/media/codecs/g711.js';

// wavefile is CommonJS flagged __esModule with no default export; require() is the reliable way in.
const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof import('wavefile');

interface WfFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
}

function wavefileBytes(channels: number, rate: number, depth: string, perChannel: number[][]): Uint8Array {
  const w = new WaveFile();
  w.fromScratch(channels, rate, depth, channels === 1 ? perChannel[0]! : perChannel);
  return w.toBuffer();
}

// --- hand-built files -------------------------------------------------------------------

function chunk(id: string, body: Uint8Array, opts: { size?: number; pad?: boolean } = {}): Buffer {
  const h = Buffer.alloc(8);
  h.write(id, 0, 'latin1');
  h.writeUInt32LE(opts.size ?? body.length, 4);
  const pad = body.length % 2 === 1 && opts.pad !== false ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([h, body, pad]);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const h = Buffer.alloc(12);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(4 + body.length, 4);
  h.write('WAVE', 8, 'latin1');
  return Buffer.concat([h, body]);
}

function fmt(tag: number, channels: number, rate: number, bits: number, blockAlign?: number): Buffer {
  const b = Buffer.alloc(16);
  const align = blockAlign ?? channels * Math.ceil(bits / 8);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(bits, 14);
  return chunk('fmt ', b);
}

const KSDATAFORMAT_TAIL = [
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

function extensible(
  subTag: number,
  channels: number,
  rate: number,
  bits: number,
  validBits = bits,
  guidTail = KSDATAFORMAT_TAIL,
): Buffer {
  const b = Buffer.alloc(40);
  const align = (channels * bits) / 8;
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(bits, 14);
  b.writeUInt16LE(22, 16);
  b.writeUInt16LE(validBits, 18);
  b.writeUInt32LE(channels === 2 ? 3 : 4, 20);
  b.writeUInt16LE(subTag, 24);
  Buffer.from(guidTail).copy(b, 26);
  return chunk('fmt ', b);
}

function pcm16(samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => {
    b.writeInt16LE(s, 2 * i);
  });
  return b;
}

const list = chunk('LIST', Buffer.from('INFOISFT\x0e\x00\x00\x00Lavf58.29.100\x00', 'latin1'));

function expectWavError(bytes: Uint8Array, code: WavErrorCode, message?: RegExp): WavError {
  let caught: unknown;
  try {
    parseWav(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(WavError);
  const e = caught as WavError;
  expect(e.code).toBe(code);
  if (message) expect(e.message).toMatch(message);
  return e;
}

// --- encodings, against wavefile --------------------------------------------------------

describe('encodings written by wavefile', () => {
  it('reads 16-bit PCM mono exactly', () => {
    const s = [0, 1, -1, 32767, -32768, 1234, -4321];
    const d = decodeWav(wavefileBytes(1, 8000, '16', [s]));
    expect([...d.samples]).toEqual(s);
    expect(d.sampleRate).toBe(8000);
    expect(d.source).toMatchObject({
      encoding: 'pcm',
      channels: 1,
      bitsPerSample: 16,
      frames: 7,
      truncated: false,
    });
    expect(d.durationMs).toBeCloseTo(7 / 8, 9);
  });

  it('averages stereo to mono', () => {
    const d = decodeWav(
      wavefileBytes(2, 22_050, '16', [
        [1000, -1000, 32767, 3],
        [3000, 1000, 32767, 0],
      ]),
    );
    expect([...d.samples]).toEqual([2000, 0, 32767, 2]); // 1.5 rounds to 2
    expect(d.source.channels).toBe(2);
  });

  it('reads unsigned 8-bit', () => {
    const d = decodeWav(wavefileBytes(1, 8000, '8', [[0, 128, 255, 64]]));
    expect([...d.samples]).toEqual([-32768, 0, 32512, -16384]);
  });

  it('reads 24-bit, scaled to 16 bits with rounding', () => {
    const d = decodeWav(wavefileBytes(1, 48_000, '24', [[0, 256, -256, 8_388_607, -8_388_608, 384]]));
    expect([...d.samples]).toEqual([0, 1, -1, 32767, -32768, 2]);
  });

  it('reads 32-bit integer', () => {
    const d = decodeWav(
      wavefileBytes(2, 44_100, '32', [
        [65_536, 2_147_483_647],
        [65_536, -2_147_483_648],
      ]),
    );
    expect([...d.samples]).toEqual([1, 0]);
  });

  it('reads IEEE float 32 and 64, clamping full scale', () => {
    for (const depth of ['32f', '64']) {
      const d = decodeWav(wavefileBytes(1, 16_000, depth, [[0, 0.5, -0.5, 1, -1, 2]]));
      expect(d.source.encoding).toBe('float');
      expect([...d.samples]).toEqual([0, 16384, -16384, 32767, -32768, 32767]);
    }
  });

  it('reads G.711 µ-law and A-law through our decoding tables', () => {
    for (const [law, table, tag] of [
      ['ulaw', ULAW_TO_LINEAR, 7],
      ['alaw', ALAW_TO_LINEAR, 6],
    ] as const) {
      const w = new WaveFile();
      w.fromScratch(1, 8000, '16', [0, 1000, -1000, 32767, -32768, 77]);
      if (law === 'ulaw') w.toMuLaw();
      else w.toALaw();
      const octets = (w.data as { samples: Uint8Array }).samples;
      const d = decodeWav(w.toBuffer());
      expect(d.source).toMatchObject({ encoding: law, formatTag: tag, bitsPerSample: 8 });
      expect([...d.samples]).toEqual([...octets].map((o) => table[o]));
    }
  });

  it('cross-checks our writer the other way: wavefile reads what we write', () => {
    const s = Int16Array.from([0, 100, -100, 32767, -32768, 5]);
    const w = new WaveFile(encodeWav({ encoding: 'pcm16', sampleRate: 8000, channels: 2 }, s));
    expect(w.fmt as WfFmt).toMatchObject({
      audioFormat: 1,
      numChannels: 2,
      sampleRate: 8000,
      bitsPerSample: 16,
    });
    expect([...w.getSamples(true)]).toEqual([...s]);
  });
});

// --- container layouts ------------------------------------------------------------------

describe('layouts', () => {
  const data = pcm16([10, -20, 30, -40]);

  it('skips LIST and other unknown chunks wherever they are', () => {
    const f = riff(
      list,
      fmt(1, 1, 8000, 16),
      chunk('JUNK', Buffer.alloc(28)),
      list,
      chunk('data', data),
      list,
    );
    expect([...decodeWav(f).samples]).toEqual([10, -20, 30, -40]);
  });

  it('finds a format chunk that comes after the data', () => {
    const f = riff(chunk('data', data), fmt(1, 1, 8000, 16));
    expect(parseWav(f).frames).toBe(4);
  });

  it('steps over the pad byte after an odd-sized chunk', () => {
    const odd = chunk('note', Buffer.from('abc'));
    expect(odd.length).toBe(12);
    expect([...decodeWav(riff(fmt(1, 1, 8000, 16), odd, chunk('data', data))).samples]).toEqual([
      10, -20, 30, -40,
    ]);
  });

  it('tolerates a writer that forgot the pad byte', () => {
    const odd = chunk('note', Buffer.from('abc'), { pad: false });
    expect(odd.length).toBe(11);
    expect([...decodeWav(riff(fmt(1, 1, 8000, 16), odd, chunk('data', data))).samples]).toEqual([
      10, -20, 30, -40,
    ]);
  });

  it('reads an odd-sized G.711 data chunk and its pad', () => {
    const octets = encodeG711(Int16Array.from([1000, -1000, 5000]), 'alaw');
    const p = parseWav(riff(fmt(6, 1, 8000, 8), chunk('data', octets), list));
    expect(p.frames).toBe(3);
    expect(p.truncated).toBe(false);
  });

  it('uses what is there when the data size claims more than the file holds', () => {
    const full = riff(fmt(1, 2, 8000, 16), chunk('data', pcm16([1, 2, 3, 4, 5, 6])));
    const cut = full.subarray(0, full.length - 3); // 1.5 stereo frames lost
    const p = parseWav(cut);
    expect(p.truncated).toBe(true);
    expect(p.frames).toBe(2); // the partial frame is dropped
    expect([...decodeWav(cut).samples]).toEqual([2, 4]); // (1+2)/2 = 1.5 -> 2, (3+4)/2 = 3.5 -> 4
  });

  it('reads a streaming writer’s placeholder sizes (0xFFFFFFFF) as "to the end of the file"', () => {
    const f = riff(fmt(1, 1, 8000, 16), chunk('data', data, { size: 0xffffffff }));
    f.writeUInt32LE(0xffffffff, 4);
    const p = parseWav(f);
    expect(p.frames).toBe(4);
    expect(p.truncated).toBe(true);
  });

  it('ignores a RIFF size that disagrees with the file', () => {
    const f = riff(fmt(1, 1, 8000, 16), chunk('data', data));
    f.writeUInt32LE(12, 4);
    expect(parseWav(f).frames).toBe(4);
  });

  it('accepts an empty data chunk (zero-length audio is not a broken file)', () => {
    const d = decodeWav(riff(fmt(1, 1, 8000, 16), chunk('data', Buffer.alloc(0))));
    expect(d.samples.length).toBe(0);
    expect(d.durationMs).toBe(0);
  });

  it('decodes WAVE_FORMAT_EXTENSIBLE PCM, float and µ-law', () => {
    const e16 = decodeWav(riff(extensible(1, 2, 48_000, 16), chunk('data', pcm16([100, 300, -100, -300]))));
    expect(e16.source).toMatchObject({ encoding: 'pcm', extensible: true, formatTag: 1, channels: 2 });
    expect([...e16.samples]).toEqual([200, -200]);

    const floats = Buffer.alloc(8);
    floats.writeFloatLE(0.25, 0);
    floats.writeFloatLE(-0.25, 4);
    const ef = decodeWav(riff(extensible(3, 1, 44_100, 32), chunk('data', floats)));
    expect([...ef.samples]).toEqual([8192, -8192]);

    const eu = decodeWav(riff(extensible(7, 1, 8000, 8), chunk('data', Buffer.from([0xff, 0x80]))));
    expect([...eu.samples]).toEqual([0, 32124]);
  });

  it('reads 24-bit samples carried in 32-bit slots (extensible, valid bits 24)', () => {
    const b = Buffer.alloc(8);
    b.writeInt32LE(0x7fff_ff00, 0);
    b.writeInt32LE(-256 * 65536, 4);
    const d = decodeWav(riff(extensible(1, 1, 96_000, 32, 24), chunk('data', b)));
    expect([...d.samples]).toEqual([32767, -256]);
  });

  it('honours a block alignment wider than the bit depth (20-bit in 3 bytes, 24 in 4)', () => {
    const b = Buffer.alloc(6);
    b.writeIntLE(-0x10 * 256, 0, 3); // 20-bit value left-justified in 24 bits
    b.writeIntLE(0x100 * 256, 3, 3);
    expect([...decodeWav(riff(fmt(1, 1, 8000, 20), chunk('data', b))).samples]).toEqual([-16, 256]);
    const w = Buffer.alloc(4);
    w.writeInt32LE(1000 * 65536, 0);
    expect([...decodeWav(riff(fmt(1, 1, 8000, 24, 4), chunk('data', w))).samples]).toEqual([1000]);
  });

  it('turns NaN in a damaged float file into silence', () => {
    const b = Buffer.alloc(8);
    b.writeFloatLE(Number.NaN, 0);
    b.writeFloatLE(Number.NEGATIVE_INFINITY, 4);
    expect([...decodeWav(riff(fmt(3, 1, 8000, 32), chunk('data', b))).samples]).toEqual([0, -32768]);
  });

  it('works on a view into a larger buffer at an odd offset', () => {
    const f = riff(fmt(1, 1, 8000, 16), chunk('data', data));
    const big = new Uint8Array(f.length + 3);
    big.set(f, 1);
    expect([...decodeWav(big.subarray(1, 1 + f.length)).samples]).toEqual([10, -20, 30, -40]);
  });
});

// --- straight to the telephone rate ---------------------------------------------------------

describe('decoding to 8 kHz', () => {
  it('turns a 44.1 kHz stereo music file into 8 kHz mono at the same pitch and level', () => {
    const n = 44_100;
    const l = Array.from({ length: n }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 44_100)),
    );
    const d = decodeWav(wavefileBytes(2, 44_100, '16', [l, l]), { sampleRate: 8000 });
    expect(d.sampleRate).toBe(8000);
    expect(d.samples.length).toBe(8000);
    expect(d.durationMs).toBe(1000);
    expect(d.source.sampleRate).toBe(44_100);
    let ss = 0;
    let sc = 0;
    for (let i = 800; i < 7200; i++) {
      ss += d.samples[i]! * Math.sin((2 * Math.PI * 1000 * i) / 8000);
      sc += d.samples[i]! * Math.cos((2 * Math.PI * 1000 * i) / 8000);
    }
    expect(Math.hypot(ss, sc) * (2 / 6400)).toBeCloseTo(8000, -1);
  });

  it('reads a file from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nimbus-wav-'));
    afterAll(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'x.wav');
    await writeFile(
      path,
      encodeWav({ encoding: 'ulaw', sampleRate: 16_000, channels: 1 }, new Int16Array(1600)),
    );
    const d = await readWavFile(path, { sampleRate: 8000 });
    expect(d.samples.length).toBe(800);
    await expect(readWavFile(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

// --- broken files ---------------------------------------------------------------------------

describe('broken files are refused with a reason', () => {
  const data = chunk('data', pcm16([1, 2]));

  it('not a RIFF file', () => {
    expectWavError(Buffer.from('RIFF'), 'not-riff', /too short/);
    expectWavError(
      Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00', 'latin1'),
      'not-riff',
      /no RIFF/,
    );
    const rifx = riff(fmt(1, 1, 8000, 16), data);
    rifx.write('RIFX', 0, 'latin1');
    expectWavError(rifx, 'not-riff', /big-endian/);
    rifx.write('RF64', 0, 'latin1');
    expectWavError(rifx, 'not-riff', /RF64/);
  });

  it('RIFF but not WAVE', () => {
    const avi = riff(list);
    avi.write('AVI ', 8, 'latin1');
    expectWavError(avi, 'not-wave', /"AVI"/);
  });

  it('no format chunk, or no data chunk', () => {
    expectWavError(riff(list, data), 'no-fmt');
    expectWavError(riff(fmt(1, 1, 8000, 16), list), 'no-data');
    expectWavError(riff(), 'no-fmt');
    // Data running to the end of the file: the format cannot come after it.
    expectWavError(riff(chunk('data', pcm16([1]), { size: 1000 }), fmt(1, 1, 8000, 16)), 'no-fmt');
  });

  it('a format chunk that is too short or cut off', () => {
    expectWavError(riff(chunk('fmt ', Buffer.alloc(14)), data), 'bad-fmt', /14 bytes/);
    const cut = riff(fmt(1, 1, 8000, 16));
    expectWavError(cut.subarray(0, cut.length - 4), 'bad-fmt', /cut off/);
    expectWavError(
      riff(chunk('fmt ', Buffer.concat([fmt(0xfffe, 1, 8000, 16).subarray(8), Buffer.alloc(2)])), data),
      'bad-fmt',
    );
  });

  it('zero channels, too many channels, a nonsense sample rate', () => {
    expectWavError(riff(fmt(1, 0, 8000, 16, 2), data), 'zero-channels', /zero channels/);
    const e = expectWavError(riff(fmt(1, 6, 48_000, 16), data), 'unsupported-channels', /6 channels/);
    expect(e.detail).toEqual({ channels: 6 });
    expectWavError(riff(fmt(1, 1, 0, 16), data), 'bad-sample-rate');
    expectWavError(riff(fmt(1, 1, 10_000_000, 16), data), 'bad-sample-rate');
  });

  it('encodings we do not play, named when we know them', () => {
    const mp3 = expectWavError(
      riff(fmt(0x55, 2, 44_100, 0, 1), data),
      'unsupported-encoding',
      /MP3 \(format 0x0055\)/,
    );
    expect(mp3.detail).toEqual({ formatTag: 0x55, name: 'MP3' });
    expectWavError(riff(fmt(0x11, 1, 8000, 4), data), 'unsupported-encoding', /IMA ADPCM/);
    expectWavError(riff(fmt(0x1234, 1, 8000, 16), data), 'unsupported-encoding', /0x1234/);
    expectWavError(riff(extensible(0x55, 1, 8000, 16), data), 'unsupported-encoding', /MP3/);
    const foreign = [...KSDATAFORMAT_TAIL];
    foreign[13] = 0x00;
    expectWavError(riff(extensible(1, 1, 8000, 16, 16, foreign), data), 'unsupported-encoding', /GUID/);
  });

  it('bit depths an encoding cannot have', () => {
    expectWavError(riff(fmt(3, 1, 8000, 16), data), 'unsupported-bit-depth', /float bit depth 16/);
    expectWavError(riff(fmt(7, 1, 8000, 16), data), 'unsupported-bit-depth', /G.711/);
    expectWavError(riff(fmt(1, 1, 8000, 0, 2), data), 'unsupported-bit-depth');
    expectWavError(riff(fmt(1, 1, 8000, 40), data), 'unsupported-bit-depth');
  });

  it('never fails with anything but a WavError, whatever the bytes', () => {
    const good = riff(list, fmt(1, 2, 8000, 16), chunk('data', pcm16([1, 2, 3, 4, 5, 6])));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(good.length),
        (edits, cutAt) => {
          const b = Buffer.from(good);
          for (const [at, v] of edits) b[at] = v;
          try {
            const d = decodeWav(b.subarray(0, cutAt), { sampleRate: 8000 });
            expect(d.samples).toBeInstanceOf(Int16Array);
          } catch (err) {
            expect(err).toBeInstanceOf(WavError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
