/**
 * Generates the default music on hold (prompts/moh/default.wav): 32 s of a calm
 * chord progression (C - Am - F - G, twice) with a slow arpeggio over soft pads,
 * 8 kHz mono 16-bit, around -18 dBFS, loopable (it starts and ends on the same
 * chord with short fades). Made here from sine partials so the project ships
 * music nobody else owns. Tenants put their own WAV files in their MOH folder.
 *
 *   npx tsx scripts/generate-moh.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { encodeWav } from '../src/media/audio/wav-writer.js';

const RATE = 8000;
const BEAT = 0.5; // seconds: 120 bpm
const CHORDS: number[][] = [
  [60, 64, 67], // C
  [57, 60, 64], // Am
  [53, 57, 60], // F
  [55, 59, 62], // G
];
const BARS = CHORDS.length * 2;
const BEATS_PER_BAR = 8;
const seconds = BARS * BEATS_PER_BAR * BEAT;
const out = new Float64Array(Math.round(seconds * RATE));

const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

/** A soft tone: fundamental plus two quiet partials, with an attack/decay envelope. */
function note(midi: number, start: number, length: number, level: number): void {
  const f = hz(midi);
  const from = Math.round(start * RATE);
  const n = Math.round(length * RATE);
  for (let i = 0; i < n && from + i < out.length; i++) {
    const t = i / RATE;
    const env = Math.min(1, t / 0.03) * Math.exp(-t * 2.2);
    const v =
      Math.sin(2 * Math.PI * f * t) +
      0.25 * Math.sin(4 * Math.PI * f * t) +
      0.08 * Math.sin(6 * Math.PI * f * t);
    out[from + i] = (out[from + i] ?? 0) + level * env * v;
  }
}

for (let bar = 0; bar < BARS; bar++) {
  const chord = CHORDS[bar % CHORDS.length]!;
  const t0 = bar * BEATS_PER_BAR * BEAT;
  // Pad: the chord an octave down, held for the bar.
  for (const m of chord) note(m - 12, t0, BEATS_PER_BAR * BEAT, 0.12);
  // Arpeggio: up and down the chord, one note per beat.
  const pattern = [0, 1, 2, 1, 0, 1, 2, 1];
  for (const [beat, k] of pattern.entries()) note(chord[k]! + 12, t0 + beat * BEAT, BEAT * 1.8, 0.1);
}

// Short fades so the loop point does not click; then scale to about -18 dBFS RMS.
const fade = Math.round(0.05 * RATE);
for (let i = 0; i < fade; i++) {
  out[i]! *= i / fade;
  out[out.length - 1 - i]! *= i / fade;
}
const rms = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
const gain = (32767 * 10 ** (-18 / 20)) / rms;
const samples = Int16Array.from(out, (v) => Math.max(-32768, Math.min(32767, Math.round(v * gain))));
const file = resolve(import.meta.dirname, '../prompts/moh/default.wav');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, encodeWav({ encoding: 'pcm16', sampleRate: RATE, channels: 1 }, samples));
console.log(`${file}: ${seconds} s`);
