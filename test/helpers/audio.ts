/** Listening to audio in tests: Goertzel power at a frequency, and the strongest one. */

/** Goertzel magnitude of `hz` in 8 kHz audio, per sample (comparable across lengths). */
export function levelAt(x: Int16Array, hz: number, rate = 8000): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - k * s1 * s2)) / Math.max(1, x.length);
}

/** The strongest frequency between 200 and 3800 Hz, in `step` Hz steps. */
export function dominantHz(x: Int16Array, step = 5): number {
  let best = 0;
  let bestLevel = -1;
  for (let hz = 200; hz <= 3800; hz += step) {
    const l = levelAt(x, hz);
    if (l > bestLevel) {
      bestLevel = l;
      best = hz;
    }
  }
  return best;
}
