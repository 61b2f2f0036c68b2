/**
 * MP3 encoding (voicemail to email "as MP3", a tenth of the WAV's size): lamejs,
 * an LGPL MP3 encoder written in JavaScript, run from its single-file build in a
 * VM context — its CommonJS entry point refers to globals it never defines and
 * does not load under Node as published. Loaded on first use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

interface Encoder {
  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array;
  flush(): Int8Array;
}
type Lame = { Mp3Encoder: new (channels: number, rate: number, kbps: number) => Encoder };

let lame: Lame | null = null;

function load(): Lame {
  if (lame) return lame;
  const path = createRequire(import.meta.url).resolve('lamejs/lame.all.js');
  const ctx: Record<string, unknown> = {};
  vm.createContext(ctx);
  vm.runInContext(`${readFileSync(path, 'utf8')}\nthis.lamejs = lamejs;`, ctx);
  lame = ctx.lamejs as Lame;
  return lame;
}

/** Mono (or stereo: the same samples twice) 16-bit PCM at `rate` as MP3 of `kbps` (8 kHz speech: 16–32). */
export function encodeMp3(samples: Int16Array, rate: number, kbps: number, channels: 1 | 2 = 1): Buffer {
  const enc = new (load().Mp3Encoder)(channels, rate, kbps);
  const parts: Buffer[] = [];
  // One MPEG frame's worth at a time: lamejs mishandles larger chunks.
  for (let at = 0; at < samples.length; at += 1152) {
    const chunk = samples.subarray(at, at + 1152);
    parts.push(Buffer.from(channels === 2 ? enc.encodeBuffer(chunk, chunk) : enc.encodeBuffer(chunk)));
  }
  parts.push(Buffer.from(enc.flush()));
  return Buffer.concat(parts);
}
