/**
 * RFC 4733 telephone-events: the 4-octet payload and the sending side.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |     event     |E|R| volume    |          duration             |
 *
 * The sender is a pure state machine driven once per packet interval by the RTP
 * pacer: it knows nothing of sockets, clocks or sequence numbers (the RTP session
 * numbers the packets it is handed). `telephoneEventPackets` runs it for a digit of
 * known length and returns the whole schedule. The receiving side is
 * telephone-event-receiver.ts.
 */
import { type DtmfSignal, eventCodeOf, FLASH_EVENT } from './digits.js';

export interface TelephoneEvent {
  /** Event code, 0-255 (RFC 4733 §3.2: 0-15 DTMF, 16 flash). */
  event: number;
  /** §2.3.2 the E bit: this packet carries the end of the event. */
  end: boolean;
  /** §2.3.4 power level of the tone in -dBm0, 0-63; 0 for events that are not tones. */
  volume: number;
  /** §2.3.5 in timestamp units since the event's (or segment's) RTP timestamp, 0-0xFFFF. */
  duration: number;
}

export type TelephoneEventParseResult = { ok: true; event: TelephoneEvent } | { ok: false; reason: string };

export const MAX_EVENT_DURATION = 0xffff;

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  if (!Number.isInteger(e.event) || e.event < 0 || e.event > 255) throw new RangeError('event is 0-255');
  if (!Number.isInteger(e.volume) || e.volume < 0 || e.volume > 63) throw new RangeError('volume is 0-63');
  if (!Number.isInteger(e.duration) || e.duration < 0 || e.duration > MAX_EVENT_DURATION)
    throw new RangeError('duration is 0-65535');
  const out = Buffer.allocUnsafe(4);
  out[0] = e.event;
  // §2.3.3: the R bit is sent as zero.
  out[1] = (e.end ? 0x80 : 0) | e.volume;
  out.writeUInt16BE(e.duration, 2);
  return out;
}

/**
 * Reads the first event block of a payload. Octets past the first four belong to
 * further blocks (§2.5.1.5, several events per packet, which senders of DTMF do
 * not use) or to redundancy, and are ignored.
 */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEventParseResult {
  if (payload.length < 4) return { ok: false, reason: 'shorter than one event block' };
  return {
    ok: true,
    event: {
      event: payload[0]!,
      end: (payload[1]! & 0x80) !== 0,
      // §2.3.3: the R bit is ignored on receipt.
      volume: payload[1]! & 0x3f,
      duration: (payload[2]! << 8) | payload[3]!,
    },
  };
}

/** One packet to hand to the RTP session, which adds sequence number, SSRC and payload type. */
export interface TelephoneEventPacket {
  marker: boolean;
  /** 32-bit RTP timestamp: the start of the event, or of its segment (§2.5.1.3). */
  timestamp: number;
  payload: Buffer;
  /** The payload's fields, for logs and tests. */
  event: TelephoneEvent;
}

export interface TelephoneEventSenderOptions {
  /** Timestamp units per packet interval: 160 is 20 ms at 8 kHz. */
  packetTicks?: number;
  /** RTP clock rate, to turn milliseconds into timestamp units. */
  clockRate?: number;
  /** Level of tone events in -dBm0 (§2.3.4); flash is sent with 0. */
  volume?: number;
  /** A digit is sent for at least this long however briefly the key was held. */
  minDurationMs?: number;
  /** §2.5.1.4: copies of each final packet. */
  endRepeats?: number;
}

interface Repeat {
  packet: TelephoneEventPacket;
  left: number;
}

/**
 * Sends one event at a time. Call `start()` when the key goes down, `tick()` once
 * per packet interval (every packetTicks of RTP time) for the packets due then,
 * and `stop()` when the key goes up; ticks after stop() carry the final packets.
 */
export class TelephoneEventSender {
  private readonly packetTicks: number;
  private readonly volume: number;
  private readonly minTicks: number;
  private readonly endRepeats: number;
  private event = -1;
  private eventVolume = 0;
  private holding = false;
  private stopRequested = false;
  private first = true;
  /** Ticks since the event started, and since its current segment started. */
  private elapsed = 0;
  private segmentStart = 0;
  private segmentTimestamp = 0;
  private repeats: Repeat[] = [];

  constructor(options: TelephoneEventSenderOptions = {}) {
    this.packetTicks = options.packetTicks ?? 160;
    const clockRate = options.clockRate ?? 8000;
    this.volume = options.volume ?? 10;
    this.minTicks = Math.round(((options.minDurationMs ?? 100) * clockRate) / 1000);
    this.endRepeats = Math.max(1, options.endRepeats ?? 3);
    if (!Number.isInteger(this.packetTicks) || this.packetTicks <= 0 || this.packetTicks > MAX_EVENT_DURATION)
      throw new RangeError('packetTicks must be a positive integer below 65536');
    if (!Number.isInteger(this.volume) || this.volume < 0 || this.volume > 63)
      throw new RangeError('volume is 0-63');
  }

  /** True while an event is held or its final packets are still to go. */
  get busy(): boolean {
    return this.holding || this.repeats.length > 0;
  }

  /** The key goes down at RTP timestamp `timestamp`. The first packet (marker set) goes out on the next tick. */
  start(signal: DtmfSignal | number, timestamp: number): void {
    if (this.holding) throw new Error('an event is already being sent; stop() it first');
    this.event = typeof signal === 'number' ? signal : eventCodeOf(signal);
    if (!Number.isInteger(this.event) || this.event < 0 || this.event > 255)
      throw new RangeError('event is 0-255');
    // §2.3.4: the volume field is zero for events that are not tones.
    this.eventVolume = this.event === FLASH_EVENT ? 0 : this.volume;
    this.holding = true;
    this.stopRequested = false;
    this.first = true;
    this.elapsed = 0;
    this.segmentStart = 0;
    this.segmentTimestamp = timestamp >>> 0;
  }

  /** The key goes up. The event ends on the first tick at which it has lasted the minimum duration. */
  stop(): void {
    if (this.holding) this.stopRequested = true;
  }

  /** Packets due at this packet interval, in sending order. */
  tick(): TelephoneEventPacket[] {
    const out: TelephoneEventPacket[] = [];
    // Copies of earlier final packets first: they describe older media time.
    for (const r of this.repeats) {
      out.push(r.packet);
      r.left--;
    }
    this.repeats = this.repeats.filter((r) => r.left > 0);
    if (!this.holding) return out;

    this.elapsed += this.packetTicks;
    if (this.elapsed - this.segmentStart > MAX_EVENT_DURATION) {
      // §2.5.1.3: past 0xFFFF the event goes on as a new segment whose timestamp is
      // the old one plus 0xFFFF. The old segment ends at 0xFFFF without the E bit
      // (§2.3.2: only the final packet of the final segment has E set), and that final
      // packet is repeated like any other (§2.5.1.4: "for each event and for each segment").
      this.final(out, MAX_EVENT_DURATION, false);
      this.segmentStart += MAX_EVENT_DURATION;
      this.segmentTimestamp = (this.segmentTimestamp + MAX_EVENT_DURATION) >>> 0;
    }
    const duration = this.elapsed - this.segmentStart;
    if (this.stopRequested && this.elapsed >= this.minTicks) {
      this.final(out, duration, true);
      this.holding = false;
    } else if (duration > 0) {
      out.push(this.packet(duration, false));
    }
    return out;
  }

  /** A segment's or the event's last packet, sent now and endRepeats - 1 more times on later ticks. */
  private final(out: TelephoneEventPacket[], duration: number, end: boolean): void {
    const p = this.packet(duration, end);
    out.push(p);
    // §2.5.1.2: only the first packet of an event carries the marker, so the copies do not.
    const copy = p.marker ? { ...p, marker: false } : p;
    if (this.endRepeats > 1) this.repeats.push({ packet: copy, left: this.endRepeats - 1 });
  }

  private packet(duration: number, end: boolean): TelephoneEventPacket {
    const event: TelephoneEvent = { event: this.event, end, volume: this.eventVolume, duration };
    // §2.5.1.2: the first packet of an event has the marker bit set. A continuing
    // segment is read here as the same event, so it goes without; the receiver
    // (telephone-event-receiver.ts) does not rely on the marker either way.
    const marker = this.first;
    this.first = false;
    return { marker, timestamp: this.segmentTimestamp, payload: encodeTelephoneEvent(event), event };
  }
}

export interface TimedTelephoneEventPacket extends TelephoneEventPacket {
  /** When to send, in timestamp units after the event's start (a multiple of packetTicks). */
  sendAt: number;
}

export interface TelephoneEventScheduleOptions extends TelephoneEventSenderOptions {
  /** RTP timestamp at which the event starts. */
  timestamp: number;
  /** How long the key is held; raised to minDurationMs and rounded up to whole packets. */
  durationMs: number;
}

/**
 * Every packet of one event of known length, with when to send it: updates every
 * packet interval on the one RTP timestamp (the first with the marker bit), then
 * the final packet with E set, three times, one interval apart.
 */
export function telephoneEventPackets(
  signal: DtmfSignal | number,
  options: TelephoneEventScheduleOptions,
): TimedTelephoneEventPacket[] {
  const sender = new TelephoneEventSender(options);
  const packetTicks = options.packetTicks ?? 160;
  const held = Math.round((options.durationMs * (options.clockRate ?? 8000)) / 1000);
  const out: TimedTelephoneEventPacket[] = [];
  sender.start(signal, options.timestamp);
  let at = 0;
  while (sender.busy) {
    at += packetTicks;
    // The key goes up during the interval that reaches the held duration.
    if (at >= held) sender.stop();
    for (const p of sender.tick()) out.push({ ...p, sendAt: at });
  }
  return out;
}
