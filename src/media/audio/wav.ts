/**
 * WAV reading: a strict, small RIFF walker and sample decoder.
 *
 * Layout (Microsoft RIFF/WAVE, little-endian):
 *
 *   "RIFF" u32 size "WAVE"  then chunks:  id[4] u32 size body[size] (pad byte if size is odd)
 *   "fmt " u16 formatTag u16 channels u32 sampleRate u32 byteRate u16 blockAlign u16 bits
 *          [u16 cbSize [u16 validBits u32 channelMask guid[16] subFormat]]   (0xFFFE: extensible)
 *   "data" the interleaved frames
 *
 * Accepted: PCM 8 (unsigned) / 16 / 24 / 32-bit (and odd depths in those containers),
 * IEEE float 32/64, G.711 µ-law (7) and A-law (6), each plain or as
 * WAVE_FORMAT_EXTENSIBLE; one or two channels; any sample rate. Unknown chunks
 * (LIST, fact, cue, bext, JUNK...) are skipped.
 *
 * Tolerated, because real files do it: a missing pad byte after an odd-sized chunk,
 * a RIFF size that disagrees with the file, and a data size larger than what is
 * there (a recording cut short, or a streaming writer's placeholder): the audio
 * present is used and `truncated` says so. Everything else that is wrong is a
 * `WavError` naming the problem.
 *
 * We read the bytes ourselves rather than through `wavefile` because we want these
 * tolerances, typed errors, and straight-to-Int16 decoding without a Float64
 * copy of every sample; the tests use `wavefile` as the independent writer.
 */
import { readFile } from 'node:fs/promises';
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from '../codecs/g711.js';
import { toInt16 } from './pcm.js';
import { resample } from './resample.js';
import { WavError } from './wav-error.js';

export { WavError, type WavErrorCode } from './wav-error.js';

export type WavEncoding = 'pcm' | 'float' | 'ulaw' | 'alaw';

export interface WavFormat {
  readonly encoding: WavEncoding;
  /** The effective tag (for an extensible file, the one in its sub-format GUID). */
  readonly formatTag: number;
  readonly extensible: boolean;
  readonly channels: number;
  readonly sampleRate: number;
  /** As declared; samples are read from containers of `bytesPerSample`. */
  readonly bitsPerSample: number;
  readonly bytesPerSample: number;
  /** Bytes per frame (one sample of every channel). */
  readonly blockAlign: number;
}

export interface ParsedWav {
  readonly format: WavFormat;
  /** Whole frames of audio (a trailing partial frame is left out). */
  readonly data: Uint8Array;
  readonly frames: number;
  /** The data chunk claimed more bytes than the file holds. */
  readonly truncated: boolean;
}

export interface DecodedWav {
  /** Mono (channels averaged), 16-bit. */
  readonly samples: Int16Array;
  /** Rate of `samples`: the file's, or the one asked for. */
  readonly sampleRate: number;
  readonly durationMs: number;
  /** The file as found. */
  readonly source: ParsedWav['format'] & { readonly frames: number; readonly truncated: boolean };
}

export interface DecodeOptions {
  /** Resample to this rate (e.g. 8000 for the telephone network); default: keep the file's. */
  sampleRate?: number;
}

const TAG_PCM = 0x0001;
const TAG_FLOAT = 0x0003;
const TAG_ALAW = 0x0006;
const TAG_ULAW = 0x0007;
const TAG_EXTENSIBLE = 0xfffe;

/** What people most often put in a .wav that we cannot play, for a clearer message. */
const TAG_NAMES: Readonly<Record<number, string>> = {
  2: 'Microsoft ADPCM',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  80: 'MPEG audio',
  85: 'MP3',
  353: 'Windows Media Audio',
  5648: 'AAC',
};

/** Bytes 2..15 of KSDATAFORMAT_SUBTYPE_*: the GUID is {tag}-0000-0010-8000-00AA00389B71. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const MAX_SAMPLE_RATE = 768_000;

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

/** Chunk ids are four printable ASCII characters; used to find a missing pad byte. */
function looksLikeChunkId(b: Uint8Array, at: number): boolean {
  if (at + 8 > b.length) return false;
  for (let i = 0; i < 4; i++) {
    const c = b[at + i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function hex(tag: number): string {
  return `0x${tag.toString(16).padStart(4, '0')}`;
}

function unsupportedEncoding(tag: number): WavError {
  const name = TAG_NAMES[tag];
  return new WavError(
    'unsupported-encoding',
    `unsupported WAV encoding ${name ? `${name} (format ${hex(tag)})` : `format ${hex(tag)}`}: use PCM, float, µ-law or A-law`,
    { formatTag: tag, ...(name ? { name } : {}) },
  );
}

function parseFmt(b: Uint8Array, view: DataView, at: number, size: number): WavFormat {
  if (size < 16) throw new WavError('bad-fmt', `WAV format chunk is ${size} bytes, at least 16 expected`);
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const declaredAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  const extensible = tag === TAG_EXTENSIBLE;
  if (extensible) {
    if (size < 40)
      throw new WavError('bad-fmt', 'WAV extensible format chunk is too short for its sub-format');
    const guid = at + 24;
    for (let i = 0; i < GUID_TAIL.length; i++)
      if (b[guid + 2 + i] !== GUID_TAIL[i])
        throw new WavError('unsupported-encoding', 'unsupported WAV sub-format (not a standard audio GUID)');
    tag = view.getUint16(guid, true);
  }
  if (channels === 0) throw new WavError('zero-channels', 'WAV format declares zero channels');
  if (channels > 2)
    throw new WavError('unsupported-channels', `WAV has ${channels} channels; mono or stereo expected`, {
      channels,
    });
  if (sampleRate === 0 || sampleRate > MAX_SAMPLE_RATE)
    throw new WavError('bad-sample-rate', `WAV sample rate ${sampleRate} Hz is out of range`, { sampleRate });

  let encoding: WavEncoding;
  let widths: readonly number[]; // container sizes in bytes that this encoding may use
  switch (tag) {
    case TAG_PCM:
      encoding = 'pcm';
      if (bits < 1 || bits > 32) throw badDepth(bits, 'PCM');
      widths = [1, 2, 3, 4];
      break;
    case TAG_FLOAT:
      encoding = 'float';
      if (bits !== 32 && bits !== 64) throw badDepth(bits, 'float');
      widths = [bits / 8];
      break;
    case TAG_ULAW:
    case TAG_ALAW:
      encoding = tag === TAG_ULAW ? 'ulaw' : 'alaw';
      if (bits !== 8) throw badDepth(bits, 'G.711');
      widths = [1];
      break;
    default:
      throw unsupportedEncoding(tag);
  }
  // Samples sit left-justified in whole bytes. A block alignment wider than that
  // (24-bit samples in 4-byte slots) is honoured when it is a width we can read.
  const minimal = Math.ceil(bits / 8);
  const slot = declaredAlign % channels === 0 ? declaredAlign / channels : 0;
  const bytesPerSample = slot >= minimal && widths.includes(slot) ? slot : minimal;
  return {
    encoding,
    formatTag: tag,
    extensible,
    channels,
    sampleRate,
    bitsPerSample: bits,
    bytesPerSample,
    blockAlign: bytesPerSample * channels,
  };
}

function badDepth(bits: number, kind: string): WavError {
  return new WavError('unsupported-bit-depth', `unsupported ${kind} bit depth ${bits} in WAV`, { bits });
}

/** Finds the format and the audio; throws WavError when the file cannot be played. */
export function parseWav(bytes: Uint8Array): ParsedWav {
  if (bytes.length < 12) throw new WavError('not-riff', 'file is too short to be a WAV file');
  const riff = fourcc(bytes, 0);
  if (riff !== 'RIFF') {
    if (riff === 'RIFX') throw new WavError('not-riff', 'big-endian (RIFX) WAV files are not supported');
    if (riff === 'RF64') throw new WavError('not-riff', '64-bit (RF64) WAV files are not supported');
    throw new WavError('not-riff', 'not a WAV file (no RIFF header)');
  }
  if (fourcc(bytes, 8) !== 'WAVE')
    throw new WavError('not-wave', `RIFF file of form "${fourcc(bytes, 8).trim()}", not WAVE audio`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | null = null;
  let dataAt = -1;
  let dataLen = 0;
  let truncated = false;
  // The RIFF size is not trusted: writers that crash or stream leave it wrong.
  let pos = 12;
  while (pos + 8 <= bytes.length && !(format && dataAt >= 0)) {
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    const avail = bytes.length - body;
    if (id === 'fmt ' && !format) {
      if (size > avail) throw new WavError('bad-fmt', 'WAV format chunk is cut off');
      format = parseFmt(bytes, view, body, size);
    } else if (id === 'data' && dataAt < 0) {
      dataAt = body;
      dataLen = Math.min(size, avail);
      if (size > avail) {
        truncated = true;
        break; // it runs to the end of the file: nothing can follow
      }
    }
    let next = body + size;
    if (size % 2 === 1) {
      // Chunks are word-aligned, but some writers forget the pad byte after an odd size:
      // skip it unless a chunk visibly starts right where it should have been.
      const padMissing = !looksLikeChunkId(bytes, next + 1) && looksLikeChunkId(bytes, next);
      if (!padMissing) next += 1;
    }
    pos = next;
  }
  if (!format) throw new WavError('no-fmt', 'WAV file has no format chunk');
  if (dataAt < 0) throw new WavError('no-data', 'WAV file has no audio data chunk');
  const frames = Math.floor(dataLen / format.blockAlign);
  return {
    format,
    data: bytes.subarray(dataAt, dataAt + frames * format.blockAlign),
    frames,
    truncated,
  };
}

/** One sample, scaled to the 16-bit range but not rounded (so resampling rounds once). */
type SampleReader = (view: DataView, at: number) => number;

function readerFor(f: WavFormat): SampleReader {
  switch (f.encoding) {
    case 'ulaw':
      return (v, at) => ULAW_TO_LINEAR[v.getUint8(at)]!;
    case 'alaw':
      return (v, at) => ALAW_TO_LINEAR[v.getUint8(at)]!;
    case 'float': {
      const get = f.bytesPerSample === 8 ? DataView.prototype.getFloat64 : DataView.prototype.getFloat32;
      return (v, at) => {
        const x = get.call(v, at, true) * 32768;
        // NaN and infinities in a damaged float file become silence / full scale, not garbage.
        return Number.isNaN(x) ? 0 : Math.min(32767, Math.max(-32768, x));
      };
    }
    case 'pcm':
      switch (f.bytesPerSample) {
        case 1:
          return (v, at) => (v.getUint8(at) - 128) * 256; // 8-bit WAV is unsigned
        case 2:
          return (v, at) => v.getInt16(at, true);
        case 3:
          return (v, at) =>
            ((v.getUint8(at + 2) << 24) | (v.getUint8(at + 1) << 16) | (v.getUint8(at) << 8)) / 65536;
        default:
          return (v, at) => v.getInt32(at, true) / 65536;
      }
  }
}

/** The audio as mono floats on the 16-bit scale (channels averaged). */
function toMonoFloat(p: ParsedWav): Float32Array {
  const { format: f, data } = p;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = readerFor(f);
  const out = new Float32Array(p.frames);
  const step = f.bytesPerSample;
  for (let i = 0, at = 0; i < p.frames; i++, at += f.blockAlign) {
    out[i] = f.channels === 2 ? (read(view, at) + read(view, at + step)) / 2 : read(view, at);
  }
  return out;
}

/** Decodes a WAV file's bytes to 16-bit mono, at its own rate or resampled. */
export function decodeWav(bytes: Uint8Array, options: DecodeOptions = {}): DecodedWav {
  const parsed = parseWav(bytes);
  const { format } = parsed;
  const rate = options.sampleRate ?? format.sampleRate;
  let samples: Int16Array;
  if (
    format.encoding === 'pcm' &&
    format.bytesPerSample === 2 &&
    format.channels === 1 &&
    rate === format.sampleRate
  ) {
    // The common case (our own prompts) needs no float pass.
    const view = new DataView(parsed.data.buffer, parsed.data.byteOffset, parsed.data.byteLength);
    samples = new Int16Array(parsed.frames);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(2 * i, true);
  } else {
    const mono = toMonoFloat(parsed);
    samples = rate === format.sampleRate ? toInt16(mono) : resample(mono, format.sampleRate, rate);
  }
  return {
    samples,
    sampleRate: rate,
    durationMs: (samples.length * 1000) / rate,
    source: { ...format, frames: parsed.frames, truncated: parsed.truncated },
  };
}

/** Reads and decodes a WAV file; I/O errors pass through, format errors are WavError. */
export async function readWavFile(path: string, options: DecodeOptions = {}): Promise<DecodedWav> {
  return decodeWav(await readFile(path), options);
}
