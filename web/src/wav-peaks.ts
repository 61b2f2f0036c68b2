/** The loudness outline of a WAV file, which the portal's player draws as a waveform. */

/** How many peaks a sound is summarised into (the canvas picks from them per column). */
const PEAK_BUCKETS = 2048;

/**
 * The peaks of a WAV file (8 kHz PCM16 as the server writes it; 8-bit, 24-bit,
 * 32-bit and float are read too; of several channels — a stereo call recording —
 * the louder at each moment): the largest magnitude, 0–1, of each of PEAK_BUCKETS
 * equal slices. Throws on what is not a WAV.
 */
export function wavPeaks(buf: ArrayBuffer): Float32Array {
  const v = new DataView(buf);
  const tag = (at: number) =>
    String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file');
  let format = 0;
  let channels = 1;
  let bits = 16;
  let dataAt = -1;
  let dataLen = 0;
  for (let at = 12; at + 8 <= buf.byteLength; ) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    if (id === 'fmt ') {
      format = v.getUint16(at + 8, true);
      channels = v.getUint16(at + 10, true) || 1;
      bits = v.getUint16(at + 22, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format's first two bytes.
      if (format === 0xfffe && size >= 26) format = v.getUint16(at + 32, true);
    } else if (id === 'data') {
      dataAt = at + 8;
      // A recorder that never went back to fill in the size leaves 0 or 0xFFFFFFFF: the rest of the file.
      dataLen = size === 0 || dataAt + size > buf.byteLength ? buf.byteLength - dataAt : size;
      break;
    }
    at += 8 + size + (size % 2);
  }
  if (dataAt < 0 || format === 0) throw new Error('no audio in the WAV file');
  const width = bits / 8;
  const frame = width * channels;
  const frames = Math.floor(dataLen / frame);
  const read =
    format === 3 && bits === 32
      ? (at: number) => v.getFloat32(at, true)
      : bits === 16
        ? (at: number) => v.getInt16(at, true) / 32768
        : bits === 8
          ? (at: number) => (v.getUint8(at) - 128) / 128
          : bits === 24
            ? (at: number) =>
                ((v.getInt8(at + 2) << 16) | (v.getUint8(at + 1) << 8) | v.getUint8(at)) / 8388608
            : bits === 32
              ? (at: number) => v.getInt32(at, true) / 2147483648
              : null;
  if (!read) throw new Error(`${bits}-bit audio`);
  const peaks = new Float32Array(PEAK_BUCKETS);
  if (frames === 0) return peaks;
  const per = frames / PEAK_BUCKETS;
  for (let i = 0; i < frames; i++) {
    let a = 0;
    for (let c = 0; c < channels; c++) a = Math.max(a, Math.abs(read(dataAt + i * frame + c * width)));
    const b = Math.min(PEAK_BUCKETS - 1, Math.floor(i / per));
    if (a > peaks[b]!) peaks[b] = a;
  }
  return peaks;
}
