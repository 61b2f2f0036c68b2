/**
 * RFC 4733 telephone-events, receiving side: turns the event packets of one RTP
 * stream into digit start and end reports, once per event whatever the network did
 * to its packets.
 *
 * An event is identified by its RTP timestamp (§2.5.2, the receiver's procedures:
 * packets with the same timestamp update one event; a new timestamp is a new event).
 * From that:
 * - a lost first packet does not lose the digit: any packet with a new timestamp
 *   starts it, marker or not;
 * - the E-bit packet, its retransmissions (§2.5.1.4) and late updates of an ended
 *   event are recognised by timestamp and dropped;
 * - if every end packet is lost, the event ends when the next event starts or after
 *   `timeoutMs` without a packet of it;
 * - order between events comes from the sequence number, so a late packet of an
 *   older event is never taken for a new one (and a sender that jumps its timestamps
 *   still gets its new events seen);
 * - an event longer than 0xFFFF units arrives in segments (§2.5.1.3): a packet of the
 *   same event code whose timestamp is the open event's segment timestamp plus
 *   0xFFFF continues it.
 *
 * A pure core: packets and ticks in, reports out, time passed in by the caller.
 * One receiver per RTP stream; `reset()` when the SSRC changes.
 */
import { seqAfter } from '../rtp/packet.js';
import { type DtmfSignal, signalOfEventCode } from './digits.js';
import { decodeTelephoneEvent, MAX_EVENT_DURATION } from './telephone-event.js';

export interface ReceivedEventPacket {
  sequence: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
}

export type TelephoneEventInput =
  | { kind: 'packet'; packet: ReceivedEventPacket; nowMs: number }
  | { kind: 'tick'; nowMs: number };

export type EventEndCause =
  /** The E bit arrived. */
  | 'end'
  /** No packet of the event for timeoutMs: its end packets were lost. */
  | 'timeout'
  /** A new event started before this one's end was seen. */
  | 'next-event';

export type DtmfEvent =
  /** Reported on the first packet seen of an event, so prompts can stop at once (barge-in). */
  | { type: 'start'; signal: DtmfSignal; timestamp: number }
  | {
      type: 'end';
      signal: DtmfSignal;
      /** RTP timestamp of the event (of its first segment). */
      timestamp: number;
      /** Timestamp units, all segments together: the last duration heard. */
      duration: number;
      durationMs: number;
      cause: EventEndCause;
    };

export interface TelephoneEventReceiverOptions {
  clockRate?: number;
  /** End an event heard nothing of for this long. Senders update every 20-50 ms. */
  timeoutMs?: number;
}

interface OpenEvent {
  signal: DtmfSignal;
  code: number;
  timestamp: number;
  segmentTimestamp: number;
  /** Every segment timestamp of this event, to recognise their late packets. */
  segments: number[];
  /** Duration of the segments before the current one. */
  base: number;
  /** Longest duration heard in the current segment. */
  segmentDuration: number;
  lastHeardMs: number;
}

/** How many ended events are remembered to drop their retransmissions and late packets. */
const CLOSED_MEMORY = 16;
/** Beyond this quiet time sequence numbers are not compared: the 16-bit space may have wrapped. */
const ORDER_WINDOW_MS = 2000;

export class TelephoneEventReceiver {
  private readonly clockRate: number;
  private readonly timeoutMs: number;
  /** Slack on the segment timestamp step of §2.5.1.3, for senders that round it to a packet. */
  private readonly segmentSlack: number;
  private open: OpenEvent | null = null;
  private closed: number[] = [];
  private maxSeq: number | null = null;
  private lastPacketMs = 0;

  constructor(options: TelephoneEventReceiverOptions = {}) {
    this.clockRate = options.clockRate ?? 8000;
    this.timeoutMs = options.timeoutMs ?? 500;
    this.segmentSlack = Math.round(this.clockRate / 8);
  }

  process(input: TelephoneEventInput): DtmfEvent[] {
    const out: DtmfEvent[] = [];
    this.expire(input.nowMs, out);
    if (input.kind === 'packet') this.onPacket(input.packet, input.nowMs, out);
    return out;
  }

  /** Forgets everything, for a new SSRC; an open event is dropped without a report. */
  reset(): void {
    this.open = null;
    this.closed = [];
    this.maxSeq = null;
  }

  private onPacket(p: ReceivedEventPacket, nowMs: number, out: DtmfEvent[]): void {
    const decoded = decodeTelephoneEvent(p.payload);
    if (!decoded.ok) return;
    const e = decoded.event;
    const signal = signalOfEventCode(e.event);
    // Events other than DTMF and flash (tones, modem and fax signals) are not ours to report.
    if (signal === null) return;
    const ts = p.timestamp >>> 0;
    const inOrder = this.advanceSequence(p.sequence, nowMs);
    const open = this.open;

    if (open && ts === open.segmentTimestamp) {
      // An update, a retransmission or the end of the open event. A different event
      // code on the same timestamp is a broken sender: ignored.
      if (e.event !== open.code) return;
      open.segmentDuration = Math.max(open.segmentDuration, e.duration);
      open.lastHeardMs = nowMs;
      if (e.end) this.finish('end', out);
      return;
    }
    // Retransmitted end packets and late updates of an event already reported.
    if (this.closed.includes(ts) || open?.segments.includes(ts)) return;
    // A packet older than one already processed, of an event never seen: reporting
    // it now would put digits out of order, so it is dropped.
    if (!inOrder) return;

    if (open && e.event === open.code && this.continues(open, ts)) {
      // §2.5.1.3: the next segment of a long event.
      open.base += (ts - open.segmentTimestamp) >>> 0;
      open.segmentTimestamp = ts;
      open.segments.push(ts);
      open.segmentDuration = e.duration;
      open.lastHeardMs = nowMs;
      if (e.end) this.finish('end', out);
      return;
    }

    if (open) this.finish('next-event', out);
    this.open = {
      signal,
      code: e.event,
      timestamp: ts,
      segmentTimestamp: ts,
      segments: [ts],
      base: 0,
      segmentDuration: e.duration,
      lastHeardMs: nowMs,
    };
    out.push({ type: 'start', signal, timestamp: ts });
    // Start and every update lost: the end packet alone still reports the digit.
    if (e.end) this.finish('end', out);
  }

  /** Is this sequence number newer than every one before it? Records it if so. */
  private advanceSequence(seq: number, nowMs: number): boolean {
    const fresh =
      this.maxSeq === null || nowMs - this.lastPacketMs > ORDER_WINDOW_MS || seqAfter(seq, this.maxSeq);
    if (fresh) this.maxSeq = seq & 0xffff;
    this.lastPacketMs = nowMs;
    return fresh;
  }

  private continues(open: OpenEvent, ts: number): boolean {
    const step = (ts - open.segmentTimestamp) >>> 0;
    return Math.abs(step - MAX_EVENT_DURATION) <= this.segmentSlack;
  }

  private expire(nowMs: number, out: DtmfEvent[]): void {
    if (this.open && nowMs - this.open.lastHeardMs > this.timeoutMs) this.finish('timeout', out);
  }

  private finish(cause: EventEndCause, out: DtmfEvent[]): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    const duration = open.base + open.segmentDuration;
    out.push({
      type: 'end',
      signal: open.signal,
      timestamp: open.timestamp,
      duration,
      durationMs: Math.round((duration * 1000) / this.clockRate),
      cause,
    });
    this.closed.push(...open.segments);
    if (this.closed.length > CLOSED_MEMORY) this.closed.splice(0, this.closed.length - CLOSED_MEMORY);
  }
}
