/** MP3 files made in the test (no audio from elsewhere is committed), with the product's own encoder. */
import { encodeMp3 } from '../../src/media/audio/mp3-encoder.js';

/** A 440 Hz tone of `ms` milliseconds as MP3 (stereo when asked). */
export function mp3Tone(rate: number, ms: number, channels: 1 | 2): Buffer {
  const n = Math.round((rate * ms) / 1000);
  const samples = new Int16Array(n);
  for (let i = 0; i < n; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return encodeMp3(samples, rate, 64, channels);
}
