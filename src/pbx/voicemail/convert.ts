/**
 * Uploaded greetings to what the relay plays: 8 kHz mono 16-bit WAV. WAV in any
 * layout the WAV reader knows, MP3 (mpg123-decoder, WebAssembly) and Ogg Vorbis
 * (@wasm-audio-decoders/ogg-vorbis) are decoded; anything else, or a file that
 * does not decode, is refused with a reason a person can act on.
 */
import { resample, TELEPHONY_RATE } from '../../media/audio/resample.js';
import { decodeWav, WavError } from '../../media/audio/wav.js';
import { encodeWav } from '../../media/audio/wav-writer.js';

/** The longest greeting taken (longer uploads are refused, not cut). */
export const MAX_GREETING_SEC = 180;

export class AudioUploadError extends Error {
  constructor(
    readonly reason: 'unsupported' | 'corrupt' | 'too-long' | 'empty',
    message: string,
  ) {
    super(message);
    this.name = 'AudioUploadError';
  }
}

export type AudioFormat = 'wav' | 'mp3' | 'ogg';

/** The container, by its first bytes (the Content-Type is only a hint). */
export function sniffFormat(b: Uint8Array): AudioFormat | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (b.length >= 4 && ascii(0, 4) === 'OggS') return 'ogg';
  if (b.length >= 3 && ascii(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame sync: 11 bits set, layer not reserved.
  if (b.length >= 2 && b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0 && ((b[1] ?? 0) & 0x06) !== 0)
    return 'mp3';
  return null;
}

function toTelephony(channels: Float32Array[], rate: number): Int16Array {
  const n = channels[0]?.length ?? 0;
  const mono = new Float32Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) mono[i]! += (ch[i] ?? 0) / channels.length;
  // The decoders give floats in [-1, 1]; the resampler takes them in 16-bit scale.
  for (let i = 0; i < n; i++) mono[i] = Math.max(-1, Math.min(1, mono[i]!)) * 32767;
  return resample(mono, rate, TELEPHONY_RATE);
}

async function decodeMp3(bytes: Uint8Array): Promise<Int16Array> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  const d = new MPEGDecoder();
  await d.ready;
  try {
    const r = d.decode(bytes);
    if (r.samplesDecoded === 0 || !r.sampleRate)
      throw new AudioUploadError('corrupt', 'The MP3 file holds no audio that could be decoded');
    return toTelephony(r.channelData, r.sampleRate);
  } finally {
    d.free();
  }
}

async function decodeOgg(bytes: Uint8Array): Promise<Int16Array> {
  const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
  const d = new OggVorbisDecoder();
  await d.ready;
  try {
    const r = await d.decodeFile(bytes);
    if (r.samplesDecoded === 0 || !r.sampleRate)
      throw new AudioUploadError(
        'corrupt',
        'The Ogg file holds no Vorbis audio that could be decoded (Opus is not supported)',
      );
    return toTelephony(r.channelData, r.sampleRate);
  } finally {
    d.free();
  }
}

/** Decodes an upload to 8 kHz mono and returns it as a 16-bit PCM WAV file's bytes. */
export async function convertGreeting(bytes: Uint8Array): Promise<{ wav: Buffer; durationMs: number }> {
  if (bytes.length === 0) throw new AudioUploadError('empty', 'The file is empty');
  const format = sniffFormat(bytes);
  if (!format)
    throw new AudioUploadError(
      'unsupported',
      'Not a WAV, MP3 or Ogg Vorbis file (the format was not recognised)',
    );
  let samples: Int16Array;
  try {
    samples =
      format === 'wav'
        ? decodeWav(bytes, { sampleRate: TELEPHONY_RATE }).samples
        : format === 'mp3'
          ? await decodeMp3(bytes)
          : await decodeOgg(bytes);
  } catch (e) {
    if (e instanceof AudioUploadError) throw e;
    if (e instanceof WavError)
      throw new AudioUploadError(
        e.code.startsWith('unsupported') ? 'unsupported' : 'corrupt',
        `The WAV file cannot be used: ${e.message}`,
      );
    throw new AudioUploadError('corrupt', `The ${format.toUpperCase()} file could not be decoded`);
  }
  const durationMs = (samples.length * 1000) / TELEPHONY_RATE;
  if (samples.length === 0) throw new AudioUploadError('empty', 'The file holds no audio');
  if (durationMs > MAX_GREETING_SEC * 1000)
    throw new AudioUploadError('too-long', `A greeting may be at most ${MAX_GREETING_SEC} seconds long`);
  return {
    wav: encodeWav({ encoding: 'pcm16', sampleRate: TELEPHONY_RATE, channels: 1 }, samples),
    durationMs,
  };
}
