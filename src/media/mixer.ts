/**
 * The conference mixer, as a pure core: the media worker's 20 ms pacer calls
 * tick() once per frame; between ticks the worker push()es each participant's
 * decoded audio (16-bit linear PCM, 8 kHz by default). tick() returns, for every
 * participant, the frame to send them, and the talker events of that frame.
 * No sockets, no timers: the worker owns those (DESIGN.md §7).
 *
 * What each participant hears (N-1 mixing): the sum of the mixed speakers other
 * than themselves, never their own voice, which would come back as an echo
 * delayed by the round trip. Only the `maxSpeakers` loudest participants (3 by
 * default) are mixed: with twenty open microphones, the hiss, keyboards and
 * rooms of the seventeen who are not speaking would otherwise add up to more
 * noise than any of them has. Loudness for this ranking is a peak envelope that
 * decays 1 dB per frame, so a speaker keeps their place through the gaps
 * between words, and a speaker in place counts 3 dB louder than they are, so two
 * similar voices do not swap places every frame. A speaker who is one of the
 * mixed ones hears the other maxSpeakers - 1.
 *
 * - muted: heard by nobody, still hears everyone; their input is consumed and
 *   dropped, so unmuting does not replay what was said while muted (only what
 *   is in the jitter queue, as for anyone). Never talking.
 * - listenOnly: a listener (a supervisor, an attendee): hears everyone, input
 *   ignored. Fixed at add().
 * - A frame that has not arrived by the tick is silence for that tick; frames
 *   that arrive early wait in a queue of up to `maxQueuedFrames` (mix/input-queue.ts).
 * - Sums are done in 32 bits and brought to 16 through a limiter and a soft
 *   clipper (mix/limiter.ts): never a wrap-around, no harsh clipping.
 *
 * Every participant gets a frame on every tick, silence when there is nothing
 * to hear, even when alone in the conference: a steady RTP stream keeps NAT
 * bindings open and keeps phones from hanging up on an RTP timeout.
 *
 * Ownership: returned frames are the mixer's own buffers, rewritten by the next
 * tick(); read them (encode, copy) before then, and never modify or transfer
 * them. Participants who hear the same mix (everyone who is not one of the mixed
 * speakers) get the same Int16Array, so an adapter can encode it once per codec
 * by identity. The output object, its map and its events array are reused too.
 * Once the participants are set up a tick allocates nothing but its event objects.
 */
import { meanSquare } from './audio/silence.js';
import { InputQueue } from './mix/input-queue.js';
import { Limiter } from './mix/limiter.js';
import { TalkerDetector, type TalkerDetectorOptions } from './mix/talker.js';

export { KNEE, softClip } from './mix/limiter.js';
export type { TalkerDetectorOptions } from './mix/talker.js';

export interface ConferenceMixerOptions {
  sampleRate?: number;
  frameMs?: number;
  /** Input frames held per participant to absorb jitter; the oldest are dropped past this. */
  maxQueuedFrames?: number;
  /** How many of the loudest participants are mixed (K). */
  maxSpeakers?: number;
  /** Talker detection thresholds and timings (frameMs is taken from the mixer). */
  talker?: Omit<TalkerDetectorOptions, 'frameMs'>;
}

export interface ParticipantOptions {
  muted?: boolean;
  listenOnly?: boolean;
}

export interface TalkerEvent {
  readonly type: 'talking-start' | 'talking-stop';
  readonly id: string;
}

export interface MixerOutput {
  /** A frame for every participant; the mixer's buffers, valid until the next tick(). */
  readonly frames: ReadonlyMap<string, Int16Array>;
  /** Talker changes of this tick, including the stops caused by remove() and setMuted() since the last. */
  readonly events: readonly TalkerEvent[];
}

export const DEFAULT_MAX_SPEAKERS = 3;
/** 60 ms: a packet or two of jitter, at the cost of that much latency only when it happens. */
export const DEFAULT_MAX_QUEUED_FRAMES = 3;
/** The ranking envelope falls 1 dB per 20 ms frame: a 30 dB lead lasts 600 ms of silence. */
const LEVEL_DECAY_PER_MS = 10 ** (-1 / 10 / 20);
/** A speaker in place counts 3 dB (x2 in energy) louder, against flapping between similar voices. */
const INCUMBENT_BONUS = 2;

interface Participant {
  readonly id: string;
  muted: boolean;
  readonly listenOnly: boolean;
  readonly queue: InputQueue;
  /** This tick's input frame; zeros when none arrived. */
  readonly input: Int16Array;
  inputIsZero: boolean;
  readonly talker: TalkerDetector;
  /** Ranking envelope, a mean square. */
  level: number;
  score: number;
  /** Among the mixed speakers this tick. */
  selected: boolean;
  /** Whether `out` (not the shared mix) was sent last tick, for the limiter hand-over. */
  ownMix: boolean;
  /** This participant's N-1 mix, used while they are a mixed speaker. */
  readonly out: Int16Array;
  readonly limiter: Limiter;
}

export class ConferenceMixer {
  readonly sampleRate: number;
  readonly frameMs: number;
  readonly frameSamples: number;
  readonly maxQueuedFrames: number;
  readonly maxSpeakers: number;
  private readonly talkerOptions: TalkerDetectorOptions;
  private readonly levelDecay: number;
  private readonly byId = new Map<string, Participant>();
  /** The same participants, in joining order, for the per-tick loops. */
  private readonly list: Participant[] = [];
  /** This tick's mixed speakers, loudest first, then nulls: a fixed K slots, never resized. */
  private readonly ranked: (Participant | null)[];
  private readonly sum: Int32Array;
  /** What everyone who is not a mixed speaker hears. */
  private readonly shared: Int16Array;
  private readonly sharedLimiter: Limiter;
  private readonly frames = new Map<string, Int16Array>();
  private readonly events: TalkerEvent[] = [];
  /** Events caused between ticks, delivered with the next one. */
  private readonly pending: TalkerEvent[] = [];
  private readonly output: MixerOutput = { frames: this.frames, events: this.events };

  constructor(options: ConferenceMixerOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.frameMs = options.frameMs ?? 20;
    this.frameSamples = Math.round((this.sampleRate * this.frameMs) / 1000);
    this.maxQueuedFrames = options.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
    this.maxSpeakers = options.maxSpeakers ?? DEFAULT_MAX_SPEAKERS;
    if (!Number.isInteger(this.frameSamples) || this.frameSamples < 1)
      throw new RangeError('sampleRate x frameMs must give at least one sample');
    if (!Number.isInteger(this.maxSpeakers) || this.maxSpeakers < 1)
      throw new RangeError('maxSpeakers must be an integer >= 1');
    this.talkerOptions = { ...options.talker, frameMs: this.frameMs };
    new TalkerDetector(this.talkerOptions); // validates the thresholds now rather than at the first add()
    this.levelDecay = LEVEL_DECAY_PER_MS ** this.frameMs;
    this.ranked = new Array<Participant | null>(this.maxSpeakers).fill(null);
    this.sum = new Int32Array(this.frameSamples);
    this.shared = new Int16Array(this.frameSamples);
    this.sharedLimiter = new Limiter(this.frameSamples, this.sampleRate);
  }

  get size(): number {
    return this.list.length;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Whether the participant is talking now (for a UI that connects mid-conference). */
  isTalking(id: string): boolean {
    return this.byId.get(id)?.talker.talking ?? false;
  }

  /** Adds a participant; a second add() of the same id is a bug in the caller and throws. */
  add(id: string, options: ParticipantOptions = {}): void {
    if (this.byId.has(id)) throw new Error(`participant ${id} is already in the conference`);
    const p: Participant = {
      id,
      muted: options.muted ?? false,
      listenOnly: options.listenOnly ?? false,
      queue: new InputQueue(this.frameSamples, this.maxQueuedFrames),
      input: new Int16Array(this.frameSamples),
      inputIsZero: true,
      talker: new TalkerDetector(this.talkerOptions),
      level: 0,
      score: 0,
      selected: false,
      ownMix: false,
      out: new Int16Array(this.frameSamples),
      limiter: new Limiter(this.frameSamples, this.sampleRate),
    };
    this.byId.set(id, p);
    this.list.push(p);
    this.frames.set(id, this.shared);
  }

  /** Removes a participant; a talking one gets a talking-stop in the next tick. False if unknown. */
  remove(id: string): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    this.byId.delete(id);
    this.list.splice(this.list.indexOf(p), 1);
    this.frames.delete(id);
    if (p.talker.reset()) this.pending.push({ type: 'talking-stop', id });
    return true;
  }

  /** Mutes or unmutes; muting a talker gives a talking-stop in the next tick. False if unknown. */
  setMuted(id: string, muted: boolean): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    p.muted = muted;
    if (muted) {
      p.level = 0;
      if (p.talker.reset()) this.pending.push({ type: 'talking-stop', id });
    }
    return true;
  }

  /**
   * Queues audio received from a participant (copied: the buffer may be reused).
   * Any length; the tick takes frameSamples at a time. False when the id is
   * unknown (a packet racing a remove) or listen-only, and the audio is dropped.
   */
  push(id: string, samples: Int16Array): boolean {
    const p = this.byId.get(id);
    if (!p || p.listenOnly) return false;
    p.queue.push(samples);
    return true;
  }

  /** Produces one frame for everyone. The result is valid until the next tick(). */
  tick(): MixerOutput {
    const events = this.events;
    events.length = 0;
    for (const e of this.pending) events.push(e);
    this.pending.length = 0;

    // 1. Take this frame's input, measure it, detect talkers.
    for (const p of this.list) {
      if (p.queue.take(p.input)) p.inputIsZero = false;
      else if (!p.inputIsZero) {
        p.input.fill(0);
        p.inputIsZero = true;
      }
      const energy = p.muted || p.inputIsZero ? 0 : meanSquare(p.input);
      const change = p.talker.process(energy);
      if (change) events.push({ type: change, id: p.id });
      p.level = Math.max(energy, p.level * this.levelDecay);
    }

    // 2. Choose the mixed speakers and sum them.
    const count = this.rank();
    const sum = this.sum;
    sum.fill(0);
    for (let r = 0; r < count; r++) {
      const input = this.ranked[r]!.input;
      for (let i = 0; i < sum.length; i++) sum[i]! += input[i]!;
    }

    // 3. Everyone gets the shared mix, except mixed speakers, who get it minus themselves.
    const sharedGainBefore = this.sharedLimiter.gain;
    this.sharedLimiter.process(sum, null, this.shared);
    for (const p of this.list) {
      if (p.selected && !p.inputIsZero) {
        // Coming off the shared mix, carry on from its gain rather than jump.
        if (!p.ownMix) p.limiter.gain = sharedGainBefore;
        p.limiter.process(sum, p.input, p.out);
        p.ownMix = true;
        this.frames.set(p.id, p.out);
      } else {
        // A speaker with no input this tick is not in the sum: the shared mix is their N-1 mix.
        p.ownMix = false;
        this.frames.set(p.id, this.shared);
      }
    }
    return this.output;
  }

  /**
   * Marks the (at most maxSpeakers) loudest candidates as selected and puts them
   * in `ranked`, loudest first; returns how many. Insertion into a list of K,
   * O(N K), no sorting of all N, no allocation. Ties go to who joined first.
   */
  private rank(): number {
    const k = this.maxSpeakers;
    const ranked = this.ranked;
    let count = 0;
    for (const p of this.list) {
      const was = p.selected;
      p.selected = false;
      if (p.muted || p.listenOnly || p.level <= 0) continue;
      const score = was ? p.level * INCUMBENT_BONUS : p.level;
      p.score = score;
      let i: number;
      if (count < k) i = count++;
      else if (score > ranked[k - 1]!.score) i = k - 1;
      else continue;
      while (i > 0 && ranked[i - 1]!.score < score) {
        ranked[i] = ranked[i - 1]!;
        i--;
      }
      ranked[i] = p;
    }
    for (let r = 0; r < count; r++) ranked[r]!.selected = true;
    // Clear the slots past `count`, so a removed participant is not kept alive here.
    for (let r = count; r < k; r++) ranked[r] = null;
    return count;
  }
}
