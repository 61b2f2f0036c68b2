/**
 * A recording running in a media worker: taps one leg (or two: mixed or stereo),
 * re-cuts what arrives (any packetisation) into the 20 ms frames the recorder
 * takes, and hands the recorder one frame per leg on each pacer tick. A leg whose
 * packets are late or lost is recorded as silence, so the legs stay aligned; a
 * small queue absorbs jitter and drops the oldest audio when a leg runs ahead.
 */
import type { ExternalStopReason, FileRecorder, RecordingResult } from '../recorder.js';
import type { RtpEndpoint } from '../rtp/endpoint.js';

const FRAME = 160;
/** At most this many frames wait per leg (100 ms): more means the sender runs fast. */
const MAX_QUEUED = 5;

class FrameQueue {
  private readonly frames: Int16Array[] = [];
  private partial = new Int16Array(FRAME);
  private fill = 0;

  push(pcm: Int16Array): void {
    let i = 0;
    while (i < pcm.length) {
      const take = Math.min(FRAME - this.fill, pcm.length - i);
      this.partial.set(pcm.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === FRAME) {
        this.frames.push(this.partial);
        if (this.frames.length > MAX_QUEUED) this.frames.shift();
        this.partial = new Int16Array(FRAME);
        this.fill = 0;
      }
    }
  }

  take(): Int16Array | null {
    return this.frames.shift() ?? null;
  }
}

export class Recording {
  /** While paused (a caller giving card details), slots pass and nothing is written. */
  private paused = false;
  private pausedSlots = 0;
  private readonly queues: [FrameQueue, FrameQueue | null];
  private readonly taps: [(pcm: Int16Array) => void, ((pcm: Int16Array) => void) | null];

  constructor(
    readonly recId: number,
    private readonly recorder: FileRecorder,
    private readonly a: RtpEndpoint,
    private readonly b: RtpEndpoint | null,
    /** A key pressed on leg a ends the recording (voicemail: "press # when done"). */
    readonly stopOnDtmf: boolean,
  ) {
    const qa = new FrameQueue();
    const qb = b ? new FrameQueue() : null;
    this.queues = [qa, qb];
    this.taps = [(pcm) => qa.push(pcm), qb ? (pcm) => qb.push(pcm) : null];
    a.taps.add(this.taps[0]);
    if (b && this.taps[1]) b.taps.add(this.taps[1]);
  }

  get done(): Promise<RecordingResult> {
    return this.recorder.done;
  }

  get recording(): boolean {
    return this.recorder.recording;
  }

  /** Pausing drops what the legs say until resumed: the file holds no trace of it, not even silence. */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /** Time spent paused, ms. */
  get pausedMs(): number {
    return this.pausedSlots * 20;
  }

  /** One 20 ms slot. */
  frame(): void {
    const [qa, qb] = this.queues;
    if (this.paused) {
      qa.take();
      qb?.take();
      this.pausedSlots++;
      return;
    }
    this.recorder.push({ a: qa.take(), ...(qb ? { b: qb.take() } : {}) });
    if (!this.recorder.recording) this.detach();
  }

  stop(reason: ExternalStopReason): Promise<RecordingResult> {
    this.detach();
    return this.recorder.stop(reason);
  }

  private detach(): void {
    this.a.taps.delete(this.taps[0]);
    if (this.b && this.taps[1]) this.b.taps.delete(this.taps[1]);
  }
}
