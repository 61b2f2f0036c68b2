/**
 * Playback into one leg: frames from a source, encoded in the leg's law and sent
 * on the leg's outgoing stream (which keeps sequence numbers and timestamps
 * continuous across prompts and bridged audio). Frames are pulled by the
 * worker's 20 ms pacer, so many players share one drift-free clock.
 */
import type { RtpEndpoint } from '../rtp/endpoint.js';
import { FileSource, FRAME_SAMPLES, type FrameSource, type PlayPosition } from './sources.js';

/** Source keys of generated audio live above any (endpoint id * 2^32 + SSRC) of relayed audio. */
let nextSourceKey = 2 ** 52;

/** A new source key for media made here (players, keys sent as telephone-events). */
export function newSourceKey(): number {
  return nextSourceKey++;
}

export class Player {
  private seq = 0;
  private ts = 0;
  private readonly sourceKey = newSourceKey();

  constructor(
    readonly endpoint: RtpEndpoint,
    private readonly source: FrameSource,
    readonly playId: number,
    /** A key pressed on the leg stops the playback (barge-in). */
    readonly bargeIn: boolean,
  ) {}

  /** Where a file playlist is (null for tones). */
  position(): PlayPosition | null {
    return this.source instanceof FileSource ? this.source.position() : null;
  }

  /** Sends the next frame; false when the source is finished. */
  frame(): boolean {
    const pcm = this.source.next();
    if (!pcm) return false;
    // Until the leg's SDP is known nothing is sent; the source still advances in time.
    this.endpoint.sendPcm(pcm, this.sourceKey, this.seq, this.ts);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
    return true;
  }
}
