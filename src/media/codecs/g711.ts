/**
 * G.711 (ITU-T G.711): 16-bit linear PCM <-> 8-bit µ-law (PCMU, RTP payload type 0)
 * and A-law (PCMA, payload type 8), and transcoding between the two laws.
 *
 * Decoding is a 256-entry table per law. Encoding follows the segment (exponent)
 * and mantissa construction of the standard; µ-law works on 14-bit magnitudes with
 * the bias of 33 (132 at 16-bit scale), A-law on 13-bit magnitudes. Transcoding
 * goes through linear, once, into a 256-entry table per direction.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** One linear sample (clamped to 16 bits) to a µ-law octet. */
export function linearToUlaw(sample: number): number {
  let s = sample | 0;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > ULAW_CLIP) s = ULAW_CLIP;
  s += ULAW_BIAS;
  // The segment is the position of the highest set bit above bit 7 (s is 132..32767).
  const exponent = 31 - Math.clz32(s) - 7;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function ulawToLinearSlow(octet: number): number {
  const u = ~octet & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

/** One linear sample (clamped to 16 bits) to an A-law octet. */
export function linearToAlaw(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, sample | 0)) >> 3; // 13-bit
  let mask: number;
  if (s >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    s = -s - 1;
  }
  // Segments end at 0x1f, 0x3f, 0x7f ... 0xfff; past the last the value saturates.
  const segment = s < 0x20 ? 0 : 31 - Math.clz32(s) - 4;
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (s >> 1) & 0x0f : (s >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

function alawToLinearSlow(octet: number): number {
  const a = octet ^ 0x55;
  let t = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  if (segment === 0) t += 8;
  else {
    t += 0x108;
    if (segment > 1) t <<= segment - 1;
  }
  return a & 0x80 ? t : -t;
}

/** Linear value of every µ-law / A-law octet. */
export const ULAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, i) => ulawToLinearSlow(i));
export const ALAW_TO_LINEAR: Int16Array = Int16Array.from({ length: 256 }, (_, i) => alawToLinearSlow(i));
/** Octet of one law for each octet of the other, through linear. */
export const ULAW_TO_ALAW: Uint8Array = Uint8Array.from(ULAW_TO_LINEAR, (v) => linearToAlaw(v));
export const ALAW_TO_ULAW: Uint8Array = Uint8Array.from(ALAW_TO_LINEAR, (v) => linearToUlaw(v));

export type G711Law = 'ulaw' | 'alaw';

/** Encodes 16-bit linear samples into one octet each. */
export function encodeG711(
  samples: Int16Array,
  law: G711Law,
  out = Buffer.allocUnsafe(samples.length),
): Buffer {
  const f = law === 'ulaw' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < samples.length; i++) out[i] = f(samples[i]!);
  return out;
}

/** Decodes octets into 16-bit linear samples. */
export function decodeG711(
  octets: Uint8Array,
  law: G711Law,
  out = new Int16Array(octets.length),
): Int16Array {
  const table = law === 'ulaw' ? ULAW_TO_LINEAR : ALAW_TO_LINEAR;
  for (let i = 0; i < octets.length; i++) out[i] = table[octets[i]!]!;
  return out;
}

/** Converts a payload from one law to the other, octet by octet (no state: safe per packet). */
export function transcodeG711(octets: Uint8Array, from: G711Law, to: G711Law): Buffer {
  const out = Buffer.allocUnsafe(octets.length);
  if (from === to) {
    out.set(octets);
    return out;
  }
  const table = from === 'ulaw' ? ULAW_TO_ALAW : ALAW_TO_ULAW;
  for (let i = 0; i < octets.length; i++) out[i] = table[octets[i]!]!;
  return out;
}
