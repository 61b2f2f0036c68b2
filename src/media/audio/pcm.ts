/** 16-bit linear PCM helpers shared by the media modules. */

/** Rounds to the nearest 16-bit value, saturating instead of wrapping as Int16Array would. */
export function saturate16(v: number): number {
  return Math.min(32767, Math.max(-32768, Math.round(v)));
}

/** Floats on the 16-bit scale to Int16, rounded and saturated. */
export function toInt16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = saturate16(samples[i]!);
  return out;
}
