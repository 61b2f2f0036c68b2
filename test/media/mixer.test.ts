/**
 * The conference mixer core, driven tick by tick with no I/O: who hears whom
 * (N-1, mute, listen-only, the K loudest), what a loud sum sounds like (no
 * wrap-around, no square-topped clipping), the input queue, talker events, and
 * how long a tick of a 50-party conference takes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputQueue } from '../../src/media/mix/input-queue.js';
import { KNEE, Limiter } from '../../src/media/mix/limiter.js';
import { ConferenceMixer, type MixerOutput, type TalkerEvent } from '../../src/media/mixer.js';

const RATE = 8000;
const FRAME = 160;

/** Frame `index` of a sine, phase-continuous across frames. */
function tone(freq: number, amplitude: number, index = 0): Int16Array {
  const out = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (index * FRAME + i)) / RATE));
  return out;
}

function constant(value: number, length = FRAME): Int16Array {
  return new Int16Array(length).fill(value);
}

/**
 * Amplitude of the `freq` component (Goertzel). Exact for the frequencies used
 * here, multiples of 50 Hz, which fit whole periods in a 160-sample frame.
 */
function amplitudeAt(x: ArrayLike<number>, freq: number): number {
  const c = 2 * Math.cos((2 * Math.PI * freq) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2))) / x.length;
}

/** Runs `ticks` ticks, calling feed(t) before each; returns what each id heard, concatenated, and the events. */
function run(
  mixer: ConferenceMixer,
  ticks: number,
  feed: (t: number) => void,
): { heard: Map<string, Int16Array>; events: { tick: number; event: TalkerEvent }[] } {
  const parts = new Map<string, Int16Array[]>();
  const events: { tick: number; event: TalkerEvent }[] = [];
  for (let t = 0; t < ticks; t++) {
    feed(t);
    const out = mixer.tick();
    for (const [id, frame] of out.frames) {
      const list = parts.get(id) ?? [];
      parts.set(id, list);
      list.push(frame.slice()); // the mixer reuses its buffers
    }
    for (const event of out.events) events.push({ tick: t, event });
  }
  const heard = new Map<string, Int16Array>();
  for (const [id, list] of parts) {
    const all = new Int16Array(list.length * FRAME);
    for (const [i, f] of list.entries()) all.set(f, i * FRAME);
    heard.set(id, all);
  }
  return { heard, events };
}

const isSilent = (x: Int16Array): boolean => x.every((v) => v === 0);

/** Frequencies of A, B, C, D, E: distinct multiples of 50 Hz, no one a harmonic of another. */
const FREQ = { A: 400, B: 700, C: 1100, D: 1650, E: 2150 } as const;

describe('ConferenceMixer: who hears whom', () => {
  it('never sends a participant its own voice (N-1), and below the knee the mix is the exact sum', () => {
    const mixer = new ConferenceMixer();
    for (const id of ['A', 'B', 'C']) mixer.add(id);
    const { heard } = run(mixer, 10, (t) => {
      mixer.push('A', tone(FREQ.A, 6000, t));
      mixer.push('B', tone(FREQ.B, 6000, t));
      mixer.push('C', tone(FREQ.C, 6000, t));
    });
    const expectHears = (id: 'A' | 'B' | 'C', others: ('A' | 'B' | 'C')[]) => {
      const x = heard.get(id)!;
      for (const o of others) expect(amplitudeAt(x, FREQ[o])).toBeCloseTo(6000, -1);
      expect(amplitudeAt(x, FREQ[id])).toBeLessThan(1);
    };
    expectHears('A', ['B', 'C']);
    expectHears('B', ['A', 'C']);
    expectHears('C', ['A', 'B']);
    const b = tone(FREQ.B, 6000, 3);
    const c = tone(FREQ.C, 6000, 3);
    expect(heard.get('A')!.subarray(3 * FRAME, 4 * FRAME)).toEqual(b.map((v, i) => v + c[i]!));
  });

  it('lets a listen-only participant hear everyone and nobody hear it', () => {
    const mixer = new ConferenceMixer();
    for (const id of ['A', 'B', 'C']) mixer.add(id);
    mixer.add('L', { listenOnly: true });
    const pushed: boolean[] = [];
    const { heard } = run(mixer, 10, (t) => {
      mixer.push('A', tone(FREQ.A, 6000, t));
      mixer.push('B', tone(FREQ.B, 6000, t));
      mixer.push('C', tone(FREQ.C, 6000, t));
      pushed.push(mixer.push('L', tone(FREQ.D, 6000, t)));
    });
    expect(pushed.every((p) => !p)).toBe(true);
    const l = heard.get('L')!;
    for (const f of [FREQ.A, FREQ.B, FREQ.C]) expect(amplitudeAt(l, f)).toBeCloseTo(6000, -1);
    for (const id of ['A', 'B', 'C']) expect(amplitudeAt(heard.get(id)!, FREQ.D)).toBeLessThan(1);
  });

  it('lets nobody hear a muted participant, who still hears everyone, until unmuted', () => {
    const mixer = new ConferenceMixer();
    mixer.add('A');
    mixer.add('B', { muted: true });
    mixer.add('C');
    const feed = (t: number) => {
      mixer.push('A', tone(FREQ.A, 6000, t));
      mixer.push('B', tone(FREQ.B, 6000, t));
      mixer.push('C', tone(FREQ.C, 6000, t));
    };
    const muted = run(mixer, 10, feed).heard;
    expect(amplitudeAt(muted.get('A')!, FREQ.B)).toBeLessThan(1);
    expect(amplitudeAt(muted.get('C')!, FREQ.B)).toBeLessThan(1);
    expect(amplitudeAt(muted.get('A')!, FREQ.C)).toBeCloseTo(6000, -1);
    expect(amplitudeAt(muted.get('B')!, FREQ.A)).toBeCloseTo(6000, -1);
    expect(amplitudeAt(muted.get('B')!, FREQ.C)).toBeCloseTo(6000, -1);

    expect(mixer.setMuted('B', false)).toBe(true);
    const unmuted = run(mixer, 10, feed).heard;
    expect(amplitudeAt(unmuted.get('A')!, FREQ.B)).toBeCloseTo(6000, -1);
    expect(amplitudeAt(unmuted.get('B')!, FREQ.B)).toBeLessThan(1);
    expect(mixer.setMuted('nobody', true)).toBe(false);
  });

  it('treats a frame that did not arrive as silence, and sends silence when nobody speaks', () => {
    const mixer = new ConferenceMixer();
    for (const id of ['A', 'B', 'C']) mixer.add(id);
    mixer.push('A', tone(FREQ.A, 6000, 0));
    mixer.push('B', tone(FREQ.B, 6000, 0));
    let out = mixer.tick();
    expect(out.frames.get('C')!.some((v) => v !== 0)).toBe(true);
    // Only B's packet arrives: A's last frame is not repeated.
    mixer.push('B', tone(FREQ.B, 6000, 1));
    out = mixer.tick();
    expect(out.frames.get('C')).toEqual(tone(FREQ.B, 6000, 1));
    expect(out.frames.get('A')).toEqual(tone(FREQ.B, 6000, 1));
    expect(isSilent(out.frames.get('B')!)).toBe(true);
    // Nothing arrives at all.
    out = mixer.tick();
    expect(out.frames.size).toBe(3);
    for (const frame of out.frames.values()) expect(isSilent(frame)).toBe(true);
  });

  it('sends a participant alone in the conference silence (RTP keeps flowing)', () => {
    const mixer = new ConferenceMixer();
    mixer.add('A');
    const { heard } = run(mixer, 5, (t) => mixer.push('A', tone(FREQ.A, 20000, t)));
    expect(heard.get('A')!.length).toBe(5 * FRAME);
    expect(isSilent(heard.get('A')!)).toBe(true);
  });

  it('copies pushed audio, and hands everyone who hears the same mix the same buffer', () => {
    const mixer = new ConferenceMixer();
    for (const id of ['A', 'B', 'C', 'D']) mixer.add(id);
    const buf = constant(1000);
    mixer.push('A', buf);
    buf.fill(-7); // the RTP adapter reuses its decode buffer
    const out = mixer.tick();
    expect(out.frames.get('B')).toEqual(constant(1000));
    expect(out.frames.get('B')).toBe(out.frames.get('C'));
    expect(out.frames.get('B')).toBe(out.frames.get('D'));
    expect(out.frames.get('A')).not.toBe(out.frames.get('B'));
  });
});

describe('ConferenceMixer: loud sums', () => {
  it('keeps ten full-scale speakers in phase from wrapping, and limits them to a sine, not a square', () => {
    const mixer = new ConferenceMixer({ maxSpeakers: 10 });
    const ids = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const id of ids) mixer.add(id);
    const ticks = 25;
    const { heard } = run(mixer, ticks, (t) => {
      for (const id of ids) mixer.push(id, tone(FREQ.A, 32767, t)); // each hears 9x full scale
    });
    const reference = new Float64Array(ticks * FRAME);
    for (let i = 0; i < reference.length; i++) reference[i] = Math.sin((2 * Math.PI * FREQ.A * i) / RATE);
    for (const id of ids) {
      const x = heard.get(id)!;
      // Every sample has the sign of the sum: a wrap-around would flip it.
      let flipped = 0;
      for (let i = 0; i < x.length; i++)
        if (Math.abs(reference[i]!) > 0.05 && Math.sign(x[i]!) !== Math.sign(reference[i]!)) flipped++;
      expect(flipped).toBe(0);
      // Loud, but under full scale and without the third harmonic of a clamped (square-topped) sine.
      const settled = x.subarray(2 * FRAME);
      const peak = Math.max(...Array.from(settled, Math.abs));
      expect(peak).toBeGreaterThan(0.9 * KNEE);
      expect(peak).toBeLessThanOrEqual(KNEE + 1);
      const fundamental = amplitudeAt(settled, FREQ.A);
      expect(fundamental).toBeGreaterThan(0.9 * KNEE);
      expect(amplitudeAt(settled, 3 * FREQ.A)).toBeLessThan(0.01 * fundamental);
    }
  });

  it('keeps the dominant voice on top when ten full-scale voices of different pitch talk at once', () => {
    const mixer = new ConferenceMixer({ maxSpeakers: 10 });
    const freqs = [400, 550, 700, 850, 1100, 1250, 1450, 1650, 1900, 2150];
    for (const i of freqs.keys()) mixer.add(`p${i}`);
    mixer.add('L', { listenOnly: true });
    const { heard } = run(mixer, 25, (t) => {
      for (const [i, f] of freqs.entries()) mixer.push(`p${i}`, tone(f, i === 0 ? 32767 : 8000, t));
    });
    const x = heard.get('L')!.subarray(2 * FRAME);
    const dominant = amplitudeAt(x, 400);
    // Turned down together: the dominant voice stays 4x (12 dB) above each of the others.
    for (const f of freqs.slice(1)) expect(dominant / amplitudeAt(x, f)).toBeCloseTo(32767 / 8000, 0);
  });

  it('never flips the sign of the sum nor makes it louder, whatever the frames (property)', () => {
    const sample = fc.integer({ min: -32768, max: 32767 });
    const frame = fc.array(fc.array(sample, { minLength: 10, maxLength: 10 }), {
      minLength: 16,
      maxLength: 16,
    });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), (frames) => {
        // Ten speakers' samples per position (16 positions per frame), several frames in a row.
        const limiter = new Limiter(16);
        const sum = new Int32Array(16);
        const own = new Int16Array(16);
        const out = new Int16Array(16);
        for (const f of frames) {
          f.forEach((speakers, i) => {
            sum[i] = speakers.reduce((a, b) => a + b, 0);
            own[i] = speakers[0]!;
          });
          limiter.process(sum, own, out);
          for (let i = 0; i < 16; i++) {
            const x = sum[i]! - own[i]!;
            expect(out[i]! * x).toBeGreaterThanOrEqual(0);
            expect(Math.abs(out[i]!)).toBeLessThanOrEqual(Math.abs(x));
            expect(out[i]!).toBeGreaterThan(-32768); // symmetric: the soft clipper stops at ±32767
          }
        }
      }),
    );
  });
});

describe('ConferenceMixer: input queue', () => {
  it('plays two frames pushed in one tick interval over two ticks', () => {
    const mixer = new ConferenceMixer();
    mixer.add('A');
    mixer.add('B');
    mixer.push('A', constant(100));
    mixer.push('A', constant(200));
    expect(mixer.tick().frames.get('B')).toEqual(constant(100));
    expect(mixer.tick().frames.get('B')).toEqual(constant(200));
    expect(isSilent(mixer.tick().frames.get('B')!)).toBe(true);
  });

  it('drops the oldest frames past three', () => {
    const mixer = new ConferenceMixer();
    mixer.add('A');
    mixer.add('B');
    for (const v of [100, 200, 300, 400, 500]) mixer.push('A', constant(v));
    const heard = [0, 1, 2, 3].map(() => mixer.tick().frames.get('B')![0]);
    expect(heard).toEqual([300, 400, 500, 0]);
  });

  it('assembles 10 ms packets into frames and waits for a whole frame', () => {
    const mixer = new ConferenceMixer();
    mixer.add('A');
    mixer.add('B');
    mixer.push('A', constant(100, 80));
    expect(isSilent(mixer.tick().frames.get('B')!)).toBe(true);
    mixer.push('A', constant(200, 80));
    const frame = mixer.tick().frames.get('B')!;
    expect(Array.from(frame.subarray(0, 80)).every((v) => v === 100)).toBe(true);
    expect(Array.from(frame.subarray(80)).every((v) => v === 200)).toBe(true);
  });

  it('wraps around its ring and reports what it dropped', () => {
    const q = new InputQueue(4, 3); // 12 samples
    const out = new Int16Array(4);
    const seq = (from: number, to: number) => Int16Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(q.push(seq(1, 6))).toBe(0);
    expect(q.take(out)).toBe(true);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(q.push(seq(7, 14))).toBe(0); // 10 queued, running past the end of the ring
    expect(q.push(seq(15, 18))).toBe(2); // 5 and 6 make room
    const taken: number[] = [];
    while (q.take(out)) taken.push(...out);
    expect(taken).toEqual(Array.from(seq(7, 18)));
    expect(q.push(seq(1, 20))).toBe(8); // longer than the ring: only the newest 12 stay
    expect(q.length).toBe(12);
    expect(q.take(out)).toBe(true);
    expect(Array.from(out)).toEqual([9, 10, 11, 12]);
  });
});

/** -23.8 dBFS: ordinary speech level. */
const SPEECH = 3000;
/** -42 dBFS: between the stop (-45) and start (-40) thresholds. */
const MURMUR = 368;

/** Talker events of a script of levels, one amplitude (0: no packet) per tick, as [tick, type]. */
function talk(levels: number[], mixer = new ConferenceMixer()): [number, string][] {
  if (!mixer.has('A')) mixer.add('A');
  const { events } = run(mixer, levels.length, (t) => {
    if (levels[t]! > 0) mixer.push('A', tone(FREQ.A, levels[t]!, t));
  });
  return events.map(({ tick, event }) => {
    expect(event.id).toBe('A');
    return [tick, event.type];
  });
}

const times = (n: number, level: number): number[] => new Array<number>(n).fill(level);

describe('ConferenceMixer: talker detection', () => {
  it('starts after 60 ms above -40 dBFS and stops after 600 ms below -45 dBFS', () => {
    const events = talk([...times(3, SPEECH), ...times(40, 0)]);
    expect(events).toEqual([
      [2, 'talking-start'],
      [32, 'talking-stop'], // the 30th silent frame: ticks 3..32
    ]);
  });

  it('ignores blips shorter than 60 ms', () => {
    expect(talk([...times(2, SPEECH), 0, ...times(2, SPEECH), 0, SPEECH, ...times(40, 0)])).toEqual([]);
  });

  it('keeps talking through pauses under 600 ms and through a trailing murmur', () => {
    const mixer = new ConferenceMixer();
    const events = talk(
      [...times(5, SPEECH), ...times(29, 0), ...times(5, SPEECH), ...times(50, MURMUR), ...times(29, 0)],
      mixer,
    );
    expect(events).toEqual([[2, 'talking-start']]);
    expect(mixer.isTalking('A')).toBe(true);
  });

  it('does not start on a murmur between the two thresholds', () => {
    expect(talk(times(50, MURMUR))).toEqual([]);
  });

  it('follows configured thresholds and timings', () => {
    const mixer = new ConferenceMixer({ talker: { startDbfs: -20, startMs: 100, stopMs: 200 } });
    expect(talk(times(20, SPEECH), mixer)).toEqual([]); // -23.8 dBFS is under -20
    const loud = 12000; // -11.7 dBFS
    expect(talk([...times(5, loud), ...times(10, 0)], mixer)).toEqual([
      [4, 'talking-start'],
      [14, 'talking-stop'],
    ]);
  });

  it('emits talking-stop on the next tick when a talker is removed or muted', () => {
    const mixer = new ConferenceMixer();
    for (const id of ['A', 'B', 'C']) mixer.add(id);
    const { events } = run(mixer, 4, (t) => {
      mixer.push('A', tone(FREQ.A, SPEECH, t));
      mixer.push('B', tone(FREQ.B, SPEECH, t));
    });
    expect(events.map((e) => e.event)).toEqual([
      { type: 'talking-start', id: 'A' },
      { type: 'talking-start', id: 'B' },
    ]);
    expect(mixer.remove('A')).toBe(true);
    expect(mixer.remove('A')).toBe(false);
    mixer.setMuted('B', true);
    mixer.setMuted('C', true); // not talking: no event
    expect(mixer.isTalking('B')).toBe(false);
    let out: MixerOutput = mixer.tick();
    expect(out.events).toEqual([
      { type: 'talking-stop', id: 'A' },
      { type: 'talking-stop', id: 'B' },
    ]);
    expect(out.frames.has('A')).toBe(false);
    expect(mixer.size).toBe(2);
    // A muted participant talking into the phone does not start talking either.
    for (let t = 0; t < 10; t++) {
      mixer.push('B', tone(FREQ.B, SPEECH, t));
      out = mixer.tick();
      expect(out.events).toEqual([]);
    }
    expect(mixer.push('A', tone(FREQ.A, SPEECH))).toBe(false);
  });
});

describe('ConferenceMixer: only the K loudest are mixed', () => {
  const speakers = ['A', 'B', 'C', 'D', 'E'] as const;

  it('mixes the three loudest of five, and a mixed speaker hears the other two', () => {
    const mixer = new ConferenceMixer();
    for (const id of speakers) mixer.add(id);
    mixer.add('L', { listenOnly: true });
    const amp = { A: 12000, B: 6000, C: 3000, D: 1500, E: 750 };
    const { heard } = run(mixer, 10, (t) => {
      for (const id of speakers) mixer.push(id, tone(FREQ[id], amp[id], t));
    });
    const l = heard.get('L')!;
    for (const id of ['A', 'B', 'C'] as const) expect(amplitudeAt(l, FREQ[id])).toBeCloseTo(amp[id], -1);
    for (const id of ['D', 'E'] as const) expect(amplitudeAt(l, FREQ[id])).toBeLessThan(1);
    const a = heard.get('A')!;
    expect(amplitudeAt(a, FREQ.B)).toBeCloseTo(amp.B, -1);
    expect(amplitudeAt(a, FREQ.C)).toBeCloseTo(amp.C, -1);
    for (const id of ['A', 'D', 'E'] as const) expect(amplitudeAt(a, FREQ[id])).toBeLessThan(1);
    // Who is not mixed hears the three mixed ones, like the listener.
    expect(heard.get('D')).toEqual(l);
  });

  it('lets a clearly louder newcomer in, but not one only slightly louder than a speaker in place', () => {
    const mixer = new ConferenceMixer();
    for (const id of speakers) mixer.add(id);
    mixer.add('L', { listenOnly: true });
    const amp = { A: 12000, B: 6000, C: 3000, D: 0, E: 0 };
    const feed = (t: number) => {
      for (const id of speakers) if (amp[id] > 0) mixer.push(id, tone(FREQ[id], amp[id], t));
    };
    run(mixer, 5, feed);
    amp.D = 3600; // +1.6 dB over C: under the 3 dB advantage of the speaker in place
    let l = run(mixer, 10, feed).heard.get('L')!;
    expect(amplitudeAt(l, FREQ.C)).toBeCloseTo(3000, -1);
    expect(amplitudeAt(l, FREQ.D)).toBeLessThan(1);
    amp.D = 5000; // +4.4 dB over C
    l = run(mixer, 10, feed).heard.get('L')!.subarray(FRAME); // from the tick after the change
    expect(amplitudeAt(l, FREQ.D)).toBeCloseTo(5000, -1);
    expect(amplitudeAt(l, FREQ.C)).toBeLessThan(1);
  });

  it('keeps a speaker in place through a short pause instead of letting a quieter voice in', () => {
    const mixer = new ConferenceMixer({ maxSpeakers: 1 });
    mixer.add('A');
    mixer.add('B');
    mixer.add('L', { listenOnly: true });
    // A speaks, pauses 100 ms (between words), speaks again; B murmurs all along.
    const { heard } = run(mixer, 20, (t) => {
      if (t < 5 || t >= 10) mixer.push('A', tone(FREQ.A, SPEECH, t));
      mixer.push('B', tone(FREQ.B, 300, t));
    });
    expect(amplitudeAt(heard.get('L')!, FREQ.B)).toBeLessThan(1);
  });
});

describe('ConferenceMixer: cost', () => {
  it('mixes a 50-party conference in well under a millisecond per tick', () => {
    const mixer = new ConferenceMixer();
    const n = 50;
    const frames: Int16Array[][] = [];
    for (let p = 0; p < n; p++) {
      mixer.add(`p${p}`);
      // Ten speakers at various levels and forty open microphones with low noise, 50 distinct frames each.
      frames.push(
        Array.from({ length: 50 }, (_, t) =>
          p < 10
            ? tone(300 + 50 * p, 1000 + 800 * p, t)
            : tone(3000, 40, t).map((v, i) => v + ((i * 7919 + t * p) % 31) - 15),
        ),
      );
    }
    const ticks = 3000;
    const took: number[] = [];
    for (let t = 0; t < ticks; t++) {
      for (let p = 0; p < n; p++) mixer.push(`p${p}`, frames[p]![t % 50]!);
      const t0 = performance.now();
      mixer.tick();
      took.push(performance.now() - t0);
    }
    const measured = took.slice(500).sort((a, b) => a - b); // after warm-up (JIT)
    const mean = measured.reduce((a, b) => a + b, 0) / measured.length;
    const p99 = measured[Math.floor(measured.length * 0.99)]!;
    console.log(
      `ConferenceMixer.tick(), 50 participants: mean ${(mean * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs`,
    );
    expect(mean).toBeLessThan(1);
  });
});

describe('ConferenceMixer: construction', () => {
  it('rejects impossible settings and a duplicate participant', () => {
    expect(() => new ConferenceMixer({ maxSpeakers: 0 })).toThrow(RangeError);
    expect(() => new ConferenceMixer({ talker: { startDbfs: -40, stopDbfs: -30 } })).toThrow(RangeError);
    const mixer = new ConferenceMixer({ sampleRate: 16000 });
    expect(mixer.frameSamples).toBe(320);
    mixer.add('A');
    expect(() => mixer.add('A')).toThrow(/already/);
  });
});
