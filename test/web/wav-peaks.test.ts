import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { wavPeaks } from '../../web/src/wav-peaks.js';

const arrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

describe('the peaks of a WAV file', () => {
  it('summarises mono PCM16 into 2048 slices, loud where the sound is loud', () => {
    const n = 8000;
    const samples = new Int16Array(n);
    // Silence in the first half, a tone at half scale in the second.
    for (let i = n / 2; i < n; i++) samples[i] = Math.round(16384 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    const peaks = wavPeaks(
      arrayBuffer(encodeWav({ encoding: 'pcm16', sampleRate: 8000, channels: 1 }, samples)),
    );
    expect(peaks.length).toBe(2048);
    expect(Math.max(...peaks.slice(0, 1000))).toBe(0);
    expect(Math.max(...peaks.slice(1100))).toBeCloseTo(0.5, 2);
  });

  it('takes the louder channel of a stereo call recording at each moment', () => {
    const n = 4000;
    const samples = new Int16Array(n * 2);
    // The caller (left) speaks first, the callee (right) after.
    for (let i = 0; i < n; i++) samples[2 * i + (i < n / 2 ? 0 : 1)] = i % 2 ? 8192 : -8192;
    const peaks = wavPeaks(
      arrayBuffer(encodeWav({ encoding: 'pcm16', sampleRate: 8000, channels: 2 }, samples)),
    );
    expect(Math.min(...peaks)).toBeCloseTo(0.25, 3);
  });

  it('refuses what is not a WAV file', () => {
    expect(() => wavPeaks(arrayBuffer(Buffer.from('not a wave file at all')))).toThrow('not a WAV file');
  });
});
