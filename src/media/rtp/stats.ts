/**
 * Receive-side statistics of one RTP stream (RFC 3550 Appendix A): sequence
 * tracking with wrap-around cycles and a restart on a large jump (A.1), packets
 * expected and lost, with the fraction lost since the last report (A.3), and
 * interarrival jitter (A.8). `estimateMos` turns loss, jitter and delay into the
 * listening-quality score stored on call records, by the E-model of ITU-T G.107.
 */

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

export interface ReceiveReport {
  received: number;
  expected: number;
  /** Cumulative; negative when duplicates outnumber losses (RFC 3550 §6.4.1). */
  lost: number;
  /** Lost / expected since the previous report, 0..1. */
  fractionLost: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** The same in milliseconds at this stream's clock rate. */
  jitterMs: number;
  extendedHighestSeq: number;
}

export class ReceiveStats {
  private started = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  /** A.1: after a big jump, the next packet in sequence confirms a restarted stream. */
  private badSeq = SEQ_MOD + 1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitter = 0;
  private transit: number | null = null;

  constructor(private readonly clockRate = 8000) {}

  /** One packet: its sequence number, RTP timestamp and arrival time in ms. */
  onPacket(seq: number, timestamp: number, arrivalMs: number): void {
    if (!this.started) {
      this.restart(seq);
      this.started = true;
    } else if (!this.updateSeq(seq)) return;
    this.received++;
    // A.8: transit time difference in timestamp units, smoothed by 1/16.
    const arrival = Math.round((arrivalMs * this.clockRate) / 1000);
    const transit = (arrival - timestamp) | 0;
    if (this.transit !== null) {
      const d = Math.abs((transit - this.transit) | 0);
      this.jitter += (d - this.jitter) / 16;
    }
    this.transit = transit;
  }

  private restart(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = SEQ_MOD + 1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.transit = null;
  }

  /** A.1 update_seq: false when the packet is to be ignored (a jump not yet confirmed). */
  private updateSeq(seq: number): boolean {
    const delta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
    if (delta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (delta <= SEQ_MOD - MAX_MISORDER) {
      // A very large jump: believe it only if the next packet follows it.
      if (seq === this.badSeq) {
        this.restart(seq);
        return true;
      }
      this.badSeq = (seq + 1) % SEQ_MOD;
      return false;
    }
    // Otherwise a duplicate or a late packet: counted as received (A.3 allows lost < 0).
    return true;
  }

  /** The figures for an RTCP report block; resets the "since last report" interval. */
  report(): ReceiveReport {
    const extended = this.cycles + this.maxSeq;
    const expected = this.started ? extended - this.baseSeq + 1 : 0;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    return {
      received: this.received,
      expected,
      lost: expected - this.received,
      fractionLost: expectedInterval <= 0 || lostInterval <= 0 ? 0 : lostInterval / expectedInterval,
      jitter: this.jitter,
      jitterMs: (this.jitter * 1000) / this.clockRate,
      extendedHighestSeq: extended,
    };
  }
}

/**
 * Listening quality (MOS, 1 to 4.5) by the E-model (ITU-T G.107) for G.711:
 * R = 93.2 - Id - Ie,eff, where Id grows with the one-way delay (jitter buffer
 * included, taken as twice the jitter) and Ie,eff with random packet loss
 * (Ie = 0, Bpl = 25.1 for G.711 with loss concealment).
 */
export function estimateMos(q: { lossRatio: number; jitterMs: number; delayMs?: number }): number {
  const d = (q.delayMs ?? 20) + 2 * q.jitterMs + 10;
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const ppl = Math.max(0, Math.min(1, q.lossRatio)) * 100;
  const ieEff = (95 * ppl) / (ppl + 25.1);
  const r = 93.2 - id - ieEff;
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.round((1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6) * 100) / 100;
}
