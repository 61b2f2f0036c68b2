/**
 * A conference room in a media worker: the mixer and its members' endpoints.
 * Each member's audio is tapped into the mixer; on every 20 ms tick the mix for
 * each member (everyone but themselves) is encoded in that member's law and sent
 * on their outgoing stream. Talker changes are reported as events.
 */
import { ConferenceMixer } from '../mixer.js';
import type { RtpEndpoint } from '../rtp/endpoint.js';

const FRAME = 160;
/** Above every relayed (endpoint id * 2^32 + SSRC) and player source key. */
let nextSourceKey = 2 ** 52 + 2 ** 51;

interface Member {
  endpoint: RtpEndpoint;
  tap: (pcm: Int16Array) => void;
  seq: number;
  ts: number;
  sourceKey: number;
}

export class Room {
  private readonly mixer = new ConferenceMixer();
  private readonly members = new Map<string, Member>();

  constructor(
    readonly name: string,
    private readonly talking: (endpoint: RtpEndpoint, talking: boolean) => void,
  ) {}

  get size(): number {
    return this.members.size;
  }

  join(endpoint: RtpEndpoint, opts: { muted?: boolean; listenOnly?: boolean }): void {
    const id = String(endpoint.id);
    if (this.members.has(id)) return;
    this.mixer.add(id, opts);
    const tap = (pcm: Int16Array) => {
      this.mixer.push(id, pcm);
    };
    endpoint.taps.add(tap);
    // The room owns what this leg hears from now on.
    endpoint.generating = true;
    this.members.set(id, { endpoint, tap, seq: 0, ts: 0, sourceKey: nextSourceKey++ });
  }

  leave(endpoint: RtpEndpoint): boolean {
    const id = String(endpoint.id);
    const m = this.members.get(id);
    if (!m) return false;
    endpoint.taps.delete(m.tap);
    endpoint.generating = false;
    this.members.delete(id);
    this.mixer.remove(id);
    return true;
  }

  setMuted(endpoint: RtpEndpoint, muted: boolean): void {
    this.mixer.setMuted(String(endpoint.id), muted);
  }

  /** One 20 ms slot: mix, send each member its frame, report who started or stopped talking. */
  frame(): void {
    const out = this.mixer.tick();
    for (const [id, frame] of out.frames) {
      const m = this.members.get(id);
      if (!m) continue;
      m.endpoint.sendPcm(frame, m.sourceKey, m.seq, m.ts);
      m.seq = (m.seq + 1) & 0xffff;
      m.ts = (m.ts + FRAME) >>> 0;
    }
    for (const e of out.events) {
      const m = this.members.get(e.id);
      if (m) this.talking(m.endpoint, e.type === 'talking-start');
    }
  }
}
