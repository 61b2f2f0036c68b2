/**
 * The recorder core, with no I/O: what each mode writes, legs kept aligned when a
 * frame is missing, the maximum duration, and voicemail silence detection that
 * stops the recording and leaves the trailing silence out of it.
 */
import { describe, expect, it } from 'vitest';
import { dbfs, meanSquare, SilenceDetector } from '../../src/media/audio/silence.js';
import { RecorderCore, type RecorderOutput, type RecordingStop } from '../../src/media/recorder.js';

const N = 160;

/** A 20 ms frame: speech-like level (a 300 Hz tone at about -16 dBFS) or silence. */
function voice(seq = 0): Int16Array {
  return Int16Array.from({ length: N }, (_, i) =>
    Math.round(6000 * Math.sin((2 * Math.PI * 300 * (seq * N + i)) / 8000)),
  );
}
const quiet = (level = 0): Int16Array => Int16Array.from({ length: N }, (_, i) => (i % 2 ? level : -level));
const constant = (v: number): Int16Array => new Int16Array(N).fill(v);

function audio(outs: RecorderOutput[]): Int16Array[] {
  return outs.flatMap((o) => (o.kind === 'audio' ? [o.samples] : []));
}
function stops(outs: RecorderOutput[]): RecordingStop[] {
  return outs.flatMap((o) => (o.kind === 'stopped' ? [o.stop] : []));
}

describe('modes', () => {
  it('single: records leg a; a missing frame is silence; leg b is ignored', () => {
    const r = new RecorderCore({ mode: 'single' });
    expect(r.channels).toBe(1);
    const a = constant(7);
    const out = audio([...r.process({ a, b: constant(9) }), ...r.process({}), ...r.process({ a: null })]);
    expect(out.map((f) => f[0])).toEqual([7, 0, 0]);
    expect(out.every((f) => f.length === N)).toBe(true);
    a.fill(1); // the caller reuses its buffer: what was recorded must not change
    expect(out[0]![0]).toBe(7);
  });

  it('mixed: sums the legs, saturating, and keeps going when one leg is missing', () => {
    const r = new RecorderCore({ mode: 'mixed' });
    const out = audio([
      ...r.process({ a: constant(1000), b: constant(-300) }),
      ...r.process({ a: constant(30_000), b: constant(30_000) }),
      ...r.process({ a: constant(-30_000), b: constant(-30_000) }),
      ...r.process({ b: constant(5) }),
    ]);
    expect(out.map((f) => f[0])).toEqual([700, 32767, -32768, 5]);
  });

  it('stereo: leg a left, leg b right, silence where a leg sent nothing', () => {
    const r = new RecorderCore({ mode: 'stereo' });
    expect(r.channels).toBe(2);
    const [both, onlyB, onlyA] = audio([
      ...r.process({ a: constant(1), b: constant(2) }),
      ...r.process({ b: constant(3) }),
      ...r.process({ a: constant(4) }),
    ]);
    expect(both!.length).toBe(2 * N);
    expect([...both!.subarray(0, 4)]).toEqual([1, 2, 1, 2]);
    expect([...onlyB!.subarray(0, 4)]).toEqual([0, 3, 0, 3]);
    expect([...onlyA!.subarray(0, 4)]).toEqual([4, 0, 4, 0]);
  });

  it('refuses frames that are not 20 ms', () => {
    const r = new RecorderCore({ mode: 'mixed' });
    expect(() => r.process({ a: new Int16Array(80) })).toThrow(/leg a frame has 80 samples, 160 expected/);
    expect(() => r.process({ a: constant(0), b: new Int16Array(240) })).toThrow(/leg b/);
    const wide = new RecorderCore({ mode: 'single', sampleRate: 16_000 });
    expect(audio(wide.process({ a: new Int16Array(320) }))[0]!.length).toBe(320);
  });
});

describe('stopping', () => {
  it('stops at the maximum duration, once', () => {
    const r = new RecorderCore({ mode: 'single', maxDurationMs: 1000 });
    const outs: RecorderOutput[] = [];
    for (let i = 0; i < 60; i++) outs.push(...r.process({ a: voice(i) }));
    expect(audio(outs).length).toBe(50);
    expect(stops(outs)).toEqual([
      { reason: 'max-duration', durationMs: 1000, elapsedMs: 1000, voicedMs: 1000 },
    ]);
    expect(r.stopped?.reason).toBe('max-duration');
    expect(r.process({ a: voice() })).toEqual([]);
    expect(r.stop('hangup')).toEqual([]);
  });

  it('reports the reason it is given: hangup, DTMF, explicit', () => {
    for (const reason of ['hangup', 'dtmf', 'explicit'] as const) {
      const r = new RecorderCore({ mode: 'stereo' });
      for (let i = 0; i < 10; i++) r.process({ a: voice(i) });
      expect(stops(r.stop(reason))).toEqual([{ reason, durationMs: 200, elapsedMs: 200, voicedMs: 200 }]);
    }
  });

  it('records quiet as it comes when silence detection is off', () => {
    const r = new RecorderCore({ mode: 'single' });
    for (let i = 0; i < 500; i++) r.process({ a: quiet() });
    expect(stops(r.stop('hangup'))[0]).toMatchObject({ durationMs: 10_000, voicedMs: 0 });
  });
});

describe('silence detection (voicemail)', () => {
  const silence = { afterMs: 3000, keepMs: 0, windowMs: 100 };

  it('ends the recording after the configured quiet and trims the trailing silence', () => {
    const r = new RecorderCore({ mode: 'single', silence });
    const outs: RecorderOutput[] = [];
    for (let i = 0; i < 100; i++) outs.push(...r.process({ a: voice(i) })); // 2 s of speech
    let slots = 100;
    while (!r.stopped && slots < 1000) {
      outs.push(...r.process({ a: quiet(20) })); // line noise, about -64 dBFS
      slots++;
    }
    const [stop] = stops(outs);
    expect(stop!.reason).toBe('silence');
    // The 100 ms window still holds speech for 4 frames after it ends; 3 s of quiet follow.
    expect(stop!.elapsedMs).toBe(2000 + 80 + 3000);
    expect(stop!.durationMs).toBe(2080);
    expect(stop!.voicedMs).toBe(2080);
    expect(audio(outs).length).toBe(104);
    expect(r.process({ a: voice() })).toEqual([]);
  });

  it('keeps keepMs of the quiet so the last word is not clipped', () => {
    const r = new RecorderCore({ mode: 'single', silence: { ...silence, keepMs: 200 } });
    for (let i = 0; i < 50; i++) r.process({ a: voice(i) });
    let last: RecorderOutput[] = [];
    while (!r.stopped) last = r.process({ a: quiet() });
    expect(stops(last)[0]).toMatchObject({ durationMs: 1000 + 80 + 200, elapsedMs: 1000 + 80 + 3000 });
    expect(audio(last).length).toBe(10); // the kept head of the held-back quiet, written at the end
  });

  it('writes pauses inside the message in full and in order once speech resumes', () => {
    const r = new RecorderCore({ mode: 'single', silence });
    const outs: RecorderOutput[] = [];
    const sent: Int16Array[] = [];
    const push = (f: Int16Array): void => {
      sent.push(f);
      outs.push(...r.process({ a: f }));
    };
    for (let i = 0; i < 25; i++) push(voice(i));
    for (let i = 0; i < 100; i++) push(quiet(3)); // a 2 s pause: held back, not yet written
    expect(audio(outs).length).toBe(25 + 4);
    for (let i = 0; i < 25; i++) push(voice(i));
    outs.push(...r.stop('hangup'));
    const written = audio(outs);
    expect(written.length).toBe(150);
    expect(written).toEqual(sent);
    expect(stops(outs)[0]).toMatchObject({ reason: 'hangup', durationMs: 3000 });
  });

  it('trims the trailing quiet on a hangup too', () => {
    const r = new RecorderCore({ mode: 'single', silence });
    for (let i = 0; i < 50; i++) r.process({ a: voice(i) });
    for (let i = 0; i < 60; i++) r.process({ a: quiet() }); // 1.2 s, under the 3 s limit
    expect(stops(r.stop('hangup'))[0]).toMatchObject({ durationMs: 1080, elapsedMs: 2200 });
  });

  it('reports no voice when the caller said nothing', () => {
    const r = new RecorderCore({ mode: 'single', silence: { afterMs: 2000 } });
    const outs: RecorderOutput[] = [];
    while (!r.stopped) outs.push(...r.process({}));
    expect(stops(outs)[0]).toEqual({ reason: 'silence', durationMs: 100, elapsedMs: 2000, voicedMs: 0 });
  });

  it('lets a click through the window without ending the silence count early or late by much', () => {
    const r = new RecorderCore({ mode: 'single', silence });
    for (let i = 0; i < 50; i++) r.process({ a: voice(i) });
    let slots = 50;
    while (!r.stopped) {
      const f = quiet();
      if (slots === 100) f[0] = 20_000; // one click, 1 s into the quiet
      r.process({ a: f });
      slots++;
    }
    // The click is loud enough to count as sound: the 3 s restart after its window passes.
    expect(r.stopped!.elapsedMs).toBe((100 + 5 + 150) * 20);
  });

  it('measures both legs in stereo', () => {
    const r = new RecorderCore({ mode: 'stereo', silence });
    const outs: RecorderOutput[] = [];
    for (let i = 0; i < 50; i++) outs.push(...r.process({ b: voice(i) }));
    for (let i = 0; i < 200 && !r.stopped; i++) outs.push(...r.process({}));
    expect(stops(outs)[0]).toMatchObject({ reason: 'silence', durationMs: 1080, voicedMs: 1080 });
  });
});

describe('SilenceDetector', () => {
  it('measures levels in dBFS', () => {
    expect(dbfs(meanSquare(constant(32767)))).toBeCloseTo(0, 3);
    expect(dbfs(meanSquare(constant(328)))).toBeCloseTo(-40, 1);
    expect(dbfs(meanSquare(new Int16Array(N)))).toBe(Number.NEGATIVE_INFINITY);
    expect(meanSquare(new Int16Array(0))).toBe(0);
  });

  it('averages over its window and can be reset', () => {
    const d = new SilenceDetector({ thresholdDbfs: -40, windowMs: 60 });
    expect(d.push(constant(1000))).toBe(false); // -30 dBFS
    expect(d.push(constant(0))).toBe(false); // window mean still above
    expect(d.push(constant(0))).toBe(false);
    expect(d.push(constant(0))).toBe(true); // the loud frame has left the window
    d.reset();
    expect(d.push(constant(100))).toBe(true); // -50 dBFS
  });
});
