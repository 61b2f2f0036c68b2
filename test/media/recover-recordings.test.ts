/**
 * Recordings a crash cut short are recovered at start: the audio that reached the
 * disk becomes a valid WAV under the name the recording was meant to have;
 * empty or foreign leftovers are removed, finished recordings left alone.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { recoverRecordings } from '../../src/media/record/recover.js';
import { FileRecorder } from '../../src/media/recorder.js';
import { dominantHz } from '../helpers/audio.js';
import { until } from '../helpers/test-ua.js';

function tone(hz: number, n: number, offset: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * hz * (offset + i)) / 8000)),
  );
}

describe('recovering unfinished recordings', () => {
  it('turns what reached the disk before a crash into the recording it was meant to be', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-recover-'));
    const rec = await FileRecorder.start(join(dir, 'voicemail-1.wav'), { mode: 'single', flushBytes: 320 });
    for (let i = 0; i < 50; i++) rec.push({ a: tone(440, 160, i * 160) });
    const part = () => readdirSync(dir).find((f) => f.endsWith('.part'));
    await until(() => part() && statSync(join(dir, part()!)).size > 44 + 40 * 320);
    // The process "dies" here: nothing stops the recorder; the next start recovers.
    const report = await recoverRecordings(dir);
    expect(report).toEqual({ recovered: [join(dir, 'voicemail-1.wav')], removed: [] });
    const wav = decodeWav(readFileSync(join(dir, 'voicemail-1.wav')));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.samples.length).toBeGreaterThanOrEqual(40 * 160);
    expect(Math.abs(dominantHz(wav.samples) - 440)).toBeLessThanOrEqual(5);
    expect(readdirSync(dir)).toEqual(['voicemail-1.wav']);
    rec.close();
  });

  it('removes empty and foreign leftovers and never overwrites a finished recording', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-recover-'));
    const empty = await FileRecorder.start(join(dir, 'empty.wav'), { mode: 'single' });
    const done = await FileRecorder.start(join(dir, 'done.wav'), { mode: 'single' });
    for (let i = 0; i < 10; i++) done.push({ a: tone(1000, 160, i * 160) });
    await done.stop();
    const finished = readFileSync(join(dir, 'done.wav'));
    writeFileSync(join(dir, '.done.wav.0123456789ab.part'), finished); // a stale copy beside it
    writeFileSync(join(dir, '.junk.wav.abcdefabcdef.part'), 'not audio');
    writeFileSync(join(dir, 'notes.txt'), 'left alone');
    const report = await recoverRecordings(dir);
    expect(report.recovered).toEqual([]);
    expect(report.removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual(
      [
        '.done.wav.0123456789ab.part',
        '.junk.wav.abcdefabcdef.part',
        empty.tempPath.slice(dir.length + 1),
      ].sort(),
    );
    expect(readFileSync(join(dir, 'done.wav')).equals(finished)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['done.wav', 'notes.txt']);
    expect(await recoverRecordings(join(dir, 'missing'))).toEqual({ recovered: [], removed: [] });
    empty.close();
  });
});
