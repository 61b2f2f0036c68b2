/**
 * A key sent into a leg as RFC 4733 telephone-events: made here, not relayed —
 * for a key that arrived as SIP INFO or as tones in another leg's audio, toward a
 * leg that negotiated telephone-event. Driven by the worker's 20 ms pacer like a
 * player: `frame()` once per tick sends the packets due then (updates on the
 * event's one timestamp, then the final packet three times).
 */
import type { DtmfSignal } from '../dtmf/digits.js';
import { TelephoneEventSender } from '../dtmf/telephone-event.js';
import type { RtpEndpoint } from '../rtp/endpoint.js';
import { newSourceKey } from './player.js';

export class KeySender {
  private readonly sender: TelephoneEventSender;
  private readonly sourceKey = newSourceKey();
  private seq = 0;

  constructor(
    readonly endpoint: RtpEndpoint,
    signal: DtmfSignal,
    /** The event lasts at least this long (a key from INFO: its duration; from tones: until released). */
    minDurationMs: number,
  ) {
    this.sender = new TelephoneEventSender({ minDurationMs });
    this.sender.start(signal, 0);
  }

  /** The key went up: the event ends once it has lasted its minimum. */
  release(): void {
    this.sender.stop();
  }

  /** Sends this tick's packets; false once the event and its repeats are all sent. */
  frame(): boolean {
    const pt = this.endpoint.remote?.telephoneEventPt;
    if (pt === null || pt === undefined) return false;
    for (const p of this.sender.tick()) {
      const buf = Buffer.allocUnsafe(12 + p.payload.length);
      buf[0] = 0x80;
      buf[1] = (p.marker ? 0x80 : 0) | (pt & 0x7f);
      p.payload.copy(buf, 12);
      this.endpoint.sendGenerated(buf, this.sourceKey, this.seq, p.timestamp, p.payload.length);
      this.seq = (this.seq + 1) & 0xffff;
    }
    return this.sender.busy;
  }
}
