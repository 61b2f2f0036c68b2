/**
 * One outgoing RTP stream as the far end sees it: our own SSRC, and sequence
 * numbers and timestamps that run on without a break when what feeds the stream
 * changes — the other leg after a re-INVITE, a different bridged party, a prompt,
 * music on hold. Phones' jitter buffers misbehave on sequence jumps or a new
 * SSRC mid-call, so the B2BUA rewrites every header it forwards (RFC 3550 §8.2:
 * a translator that changes the content takes on a stream of its own).
 */

const SEQ_MOD = 0x10000;

export class OutgoingStream {
  readonly ssrc: number;
  /** Last sequence number and timestamp sent. */
  private seq: number;
  private ts: number;
  private lastSentMs = -1;
  /** The source currently feeding the stream and the offsets mapping its numbering onto ours. */
  private source = -1;
  private seqOffset = 0;
  private tsOffset = 0;
  packets = 0;
  octets = 0;
  /** For sender reports: the RTP timestamp last sent and the wall time it was sent at. */
  lastRtpTs = 0;
  lastWallMs = 0;

  constructor(random: () => number = Math.random) {
    this.ssrc = Math.floor(random() * 0x1_0000_0000) >>> 0;
    // §5.1: initial sequence number and timestamp are random.
    this.seq = Math.floor(random() * SEQ_MOD);
    this.ts = Math.floor(random() * 0x1_0000_0000) >>> 0;
  }

  /**
   * Rewrites the header of `buf` (an RTP packet from `source`, any numbering) in
   * place for sending. A new source is spliced on after the last packet sent,
   * its timestamp advanced by the wall time in between, with the marker bit set
   * to tell the receiver's jitter buffer (§5.1: the beginning of a talkspurt).
   */
  rewrite(
    buf: Buffer,
    source: number,
    inSeq: number,
    inTs: number,
    nowMs: number,
    payloadLength: number,
  ): void {
    if (source !== this.source) {
      const next = (this.seq + 1) % SEQ_MOD;
      this.seqOffset = (next - inSeq + SEQ_MOD) % SEQ_MOD;
      const gap = this.lastSentMs < 0 ? 0 : Math.max(160, Math.round((nowMs - this.lastSentMs) * 8));
      this.tsOffset = (this.ts + gap - inTs) >>> 0;
      this.source = source;
      buf[1] = buf[1]! | 0x80;
    }
    const seq = (inSeq + this.seqOffset) % SEQ_MOD;
    const ts = (inTs + this.tsOffset) >>> 0;
    buf.writeUInt16BE(seq, 2);
    buf.writeUInt32BE(ts, 4);
    buf.writeUInt32BE(this.ssrc, 8);
    // Late (reordered) packets keep their place but do not move "last sent" backwards.
    if (this.packets === 0 || (seq - this.seq + SEQ_MOD) % SEQ_MOD < 0x8000) {
      this.seq = seq;
      this.ts = ts;
    }
    this.lastSentMs = nowMs;
    this.lastRtpTs = this.ts;
    this.lastWallMs = nowMs;
    this.packets++;
    this.octets += payloadLength;
  }

  /** Forgets the current source, so the next packet splices on as a new one. */
  detach(): void {
    this.source = -1;
  }
}
