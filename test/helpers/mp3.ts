/**
 * MP3 files made in the test (no audio from elsewhere is committed): lamejs, an
 * MP3 encoder in JavaScript, run from its single-file build in a VM context
 * (its CommonJS entry point does not load under Node as published).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

interface Encoder {
  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array;
  flush(): Int8Array;
}

let lame: { Mp3Encoder: new (channels: number, rate: number, kbps: number) => Encoder } | null = null;

/** A 440 Hz tone of `ms` milliseconds as MP3 (stereo when asked). */
export function mp3Tone(rate: number, ms: number, channels: 1 | 2): Buffer {
  if (!lame) {
    const path = createRequire(import.meta.url).resolve('lamejs/lame.all.js');
    const ctx: Record<string, unknown> = {};
    vm.createContext(ctx);
    vm.runInContext(`${readFileSync(path, 'utf8')}\nthis.lamejs = lamejs;`, ctx);
    lame = ctx.lamejs as typeof lame;
  }
  const n = Math.round((rate * ms) / 1000);
  const samples = new Int16Array(n);
  for (let i = 0; i < n; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  const enc = new lame!.Mp3Encoder(channels, rate, 64);
  const parts: Buffer[] = [];
  // lamejs takes at most 1152 samples per call without trouble.
  for (let at = 0; at < n; at += 1152) {
    const chunk = samples.subarray(at, at + 1152);
    parts.push(Buffer.from(channels === 2 ? enc.encodeBuffer(chunk, chunk) : enc.encodeBuffer(chunk)));
  }
  parts.push(Buffer.from(enc.flush()));
  return Buffer.concat(parts);
}
