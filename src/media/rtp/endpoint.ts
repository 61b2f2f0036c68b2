/**
 * One leg's media port in the PBX: an RTP and an RTCP socket, the latch that
 * decides where the leg really is, receive statistics, the leg's outgoing stream,
 * and RTCP reports both ways. What arrives is handed to `sink` (a bridge to the
 * other leg, a recorder, a DTMF reader); `forward` sends media from elsewhere to
 * this leg, mapping payload types and transcoding µ-law/A-law as negotiated.
 *
 * This runs in a media worker thread; nothing here touches SIP.
 */
import type { RemoteInfo } from 'node:dgram';
import { ALAW_TO_ULAW, decodeG711, encodeG711, type G711Law, ULAW_TO_ALAW } from '../codecs/g711.js';
import { DtmfDetector } from '../dtmf/goertzel.js';
import { TelephoneEventReceiver } from '../dtmf/telephone-event-receiver.js';
import type { EndpointEvent } from '../protocol.js';
import { Latch } from './latch.js';
import { OutgoingStream } from './outgoing.js';
import type { PortPair } from './ports.js';
import {
  buildCompound,
  nextReportDelayMs,
  ntpFromMs,
  ntpMiddle,
  parseCompound,
  type ReportBlock,
  roundTripMs,
} from './rtcp.js';
import { SrtpContext, type SrtpSuite } from './srtp.js';
import { estimateMos, ReceiveStats } from './stats.js';

/** What the leg's SDP said: where to send, which payload types mean what. */
export interface RemoteMedia {
  address: string;
  port: number;
  /** a=rtcp (RFC 3605), else port + 1. */
  rtcpAddress?: string;
  rtcpPort?: number;
  /**
   * Payload type numbers negotiated with this leg: what we write in packets to it
   * (from its SDP) and what we expect from it (from ours). RFC 3264 §5.1 lets the
   * two differ for dynamic types such as telephone-event.
   */
  audioPt: number;
  recvAudioPt: number;
  codec: G711Law;
  telephoneEventPt: number | null;
  recvTelephoneEventPt: number | null;
  /** False when the leg must not be sent media (it answered recvonly... i.e. it holds us, or inactive). */
  send: boolean;
  /**
   * SDES-SRTP on this leg (RFC 4568): the suite, the key the leg sent us (decrypts what
   * it sends) and ours (encrypts what we send), each the base64 of 30 octets of master
   * key and salt. Absent: plain RTP.
   */
  srtp?: SrtpKeys | null;
}

export interface SrtpKeys {
  suite: SrtpSuite;
  recvKey: string;
  sendKey: string;
}

/** Per-leg quality, as stored on the call record. */
export interface LegStats {
  packetsReceived: number;
  packetsSent: number;
  packetsLost: number;
  /** Lost / expected over the leg's life, 0..1. */
  lossRatio: number;
  jitterMs: number;
  /** From RTCP LSR/DLSR when the peer reports; null otherwise. */
  rttMs: number | null;
  /** The peer's own view of our stream (its last receiver report), 0..1. */
  remoteLossRatio: number | null;
  mos: number;
  /** Packets dropped because they came from somewhere other than the latched address. */
  foreignDropped: number;
  malformedDropped: number;
  latchedTo: string | null;
}

/** A packet handed on from an endpoint: where in `buf` the payload is. */
export interface Received {
  buf: Buffer;
  payloadType: number;
  seq: number;
  ts: number;
  ssrc: number;
  payloadStart: number;
  payloadEnd: number;
  nowMs: number;
}

export type Sink = (from: RtpEndpoint, p: Received) => void;

const SSRC_SPACE = 0x1_0000_0000;
/** Packets (about a second) a latch to an address other than the SDP's waits for the SDP's own. */
const GUESS_PACKETS = 50;
const COMFORT_NOISE = 13;

/**
 * Where the header ends (§5.1 CSRC list, §5.3.1 extension), or null when the
 * lengths it claims run past the packet: such a packet does not belong to any call.
 */
export function headerEnd(buf: Buffer): number | null {
  const b0 = buf[0]!;
  let start = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (buf.length < start + 4) return null;
    start += 4 + buf.readUInt16BE(start + 2) * 4;
  }
  return start <= buf.length ? start : null;
}

/** Offset of the payload in an RTP packet and its end before padding, or null when inconsistent. */
export function payloadBounds(buf: Buffer): [number, number] | null {
  const start = headerEnd(buf);
  if (start === null) return null;
  let end = buf.length;
  if (buf[0]! & 0x20) {
    // The last octet counts the padding, itself included: zero or eating into the header is bogus.
    const pad = buf[buf.length - 1]!;
    if (pad === 0) return null;
    end -= pad;
  }
  return start <= end ? [start, end] : null;
}

export class RtpEndpoint {
  remote: RemoteMedia | null = null;
  sink: Sink | null = null;
  private readonly latch = new Latch();
  private connection: 'none' | 'connecting' | 'connected' = 'none';
  private readonly held: Buffer[] = [];
  private readonly rtcpLatch = new Latch();
  private readonly out: OutgoingStream;
  private stats = new ReceiveStats(8000);
  private inSsrc = -1;
  private guessedPackets = 0;
  /** Totals of earlier incoming SSRCs (a phone may change SSRC on re-INVITE). */
  private priorReceived = 0;
  private priorExpected = 0;
  private jitterSum = 0;
  private jitterSamples = 0;
  private lastJitterMs = 0;
  private foreign = 0;
  private malformed = 0;
  private rtt: number | null = null;
  private remoteLoss: number | null = null;
  /** LSR for our next report block: middle of the NTP time of their last SR, and when it arrived. */
  private theirSr = 0;
  private theirSrAtMs = 0;
  private reportTimer: NodeJS.Timeout | null = null;
  private closed = false;
  lastPacketMs = 0;
  /** Keys pressed on this leg (RFC 4733), read even while the events are forwarded to a bridged leg. */
  private readonly dtmf = new TelephoneEventReceiver();
  /** While something is played into this leg, bridged media is not forwarded to it. */
  generating = false;
  /** Listeners to the leg's audio as 16-bit linear frames (recorders); decoding happens only when any listen. */
  readonly taps = new Set<(pcm: Int16Array) => void>();
  /** In-band (Goertzel) key detection, made when the leg turns out to need it. */
  private inBand: DtmfDetector | null = null;
  /** SRTP contexts of the leg's keys (what it sends us) and ours (what we send it); null on plain RTP. */
  private srtpIn: SrtpContext | null = null;
  private srtpOut: SrtpContext | null = null;
  private srtpKeys: SrtpKeys | null = null;
  /** Where events go (the worker posts them to the engine). */
  onEvent: ((e: EndpointEvent) => void) | null = null;

  constructor(
    readonly id: number,
    readonly pair: PortPair,
    private readonly cname: string,
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {
    this.out = new OutgoingStream();
    pair.rtp.on('message', this.onRtp);
    pair.rtcp.on('message', this.onRtcp);
    // A socket error (ICMP unreachable surfacing on some platforms) must not end the worker.
    pair.rtp.on('error', () => {});
    pair.rtcp.on('error', () => {});
    this.scheduleReport();
  }

  get port(): number {
    return this.pair.port;
  }

  setRemote(remote: RemoteMedia): void {
    this.remote = remote;
    this.keysFrom(remote.srtp ?? null);
    this.latch.expect(remote.address, remote.port);
    if (!this.latch.latched) this.disconnect();
    this.rtcpLatch.expect(remote.rtcpAddress ?? remote.address, remote.rtcpPort ?? remote.port + 1);
  }

  /**
   * New keys mean new contexts (RFC 4568 §7.1.4: a re-INVITE may rekey); the same keys
   * keep the running ones, whose rollover counters and replay lists must go on.
   */
  private keysFrom(k: SrtpKeys | null): void {
    const was = this.srtpKeys;
    this.srtpKeys = k;
    if (!k) {
      this.srtpIn = null;
      this.srtpOut = null;
      return;
    }
    // Each direction separately: our key kept means our context (its ROC) goes on, so a
    // keystream is never used twice; a new key of the leg's starts its context afresh.
    if (!was || was.suite !== k.suite || was.recvKey !== k.recvKey)
      this.srtpIn = new SrtpContext(k.suite, Buffer.from(k.recvKey, 'base64'));
    if (!was || was.suite !== k.suite || was.sendKey !== k.sendKey)
      this.srtpOut = new SrtpContext(k.suite, Buffer.from(k.sendKey, 'base64'));
  }

  private readonly onRtp = (data: Buffer, from: RemoteInfo): void => {
    let buf = data;
    if (buf.length < 12 || buf[0]! >> 6 !== 2) {
      this.malformed++;
      return;
    }
    const pt = buf[1]! & 0x7f;
    const r = this.remote;
    // Only a packet that belongs to the call may latch or be used: a payload type this leg
    // negotiated (before its SDP is known, none: nothing is relayed to or from a leg
    // without one) and a header whose lengths fit the packet.
    // Comfort noise (RFC 3389) is never in our SDP: relayed from a latched phone that sends
    // it anyway, but it cannot latch.
    if (
      !r ||
      (pt !== r.recvAudioPt && pt !== r.recvTelephoneEventPt && !(pt === COMFORT_NOISE && this.latch.latched))
    ) {
      this.malformed++;
      return;
    }
    // On an SRTP leg a packet belongs to the call only once its tag verifies (and it is no
    // replay): a sprayed packet never reaches the latch (rtpengine CVE-2025-53399).
    if (this.srtpIn) {
      const plain = this.srtpIn.unprotectRtp(buf);
      if (!plain) {
        this.malformed++;
        return;
      }
      buf = plain;
    }
    const bounds = payloadBounds(buf);
    if (!bounds) {
      this.malformed++;
      return;
    }
    const nowMs = this.now();
    const ssrc = buf.readUInt32BE(8);
    if (!this.latch.accept(from.address, from.port, ssrc, nowMs)) {
      this.foreign++;
      return;
    }
    // A guess stays open to the signalled address for its first packets (a connected
    // socket would never hear from there); the signalled address itself connects at once.
    if (this.latch.guessed) this.guessedPackets++;
    else this.guessedPackets = 0;
    if (this.connection === 'none' && (!this.latch.guessed || this.guessedPackets >= GUESS_PACKETS))
      this.connect();
    this.lastPacketMs = nowMs;
    const seq = buf.readUInt16BE(2);
    const ts = buf.readUInt32BE(4);
    if (ssrc !== this.inSsrc) this.newSource(ssrc);
    this.stats.onPacket(seq, ts, nowMs);
    if (r && pt === r.recvTelephoneEventPt) this.readDtmf(buf, bounds, seq, ts, nowMs);
    else if (r && pt === r.recvAudioPt && (this.taps.size > 0 || r.recvTelephoneEventPt === null)) {
      const pcm = decodeG711(buf.subarray(bounds[0], bounds[1]), r.codec);
      for (const tap of this.taps) tap(pcm);
      // A phone that negotiated no telephone-event sends keys as tones in the audio:
      // listen for them there (RFC 4733 §1 calls this the in-band fallback).
      if (r.recvTelephoneEventPt === null) this.listenInBand(pcm);
    }
    this.sink?.(this, {
      buf,
      payloadType: pt,
      seq,
      ts,
      ssrc,
      payloadStart: bounds[0],
      payloadEnd: bounds[1],
      nowMs,
    });
  };

  private readDtmf(buf: Buffer, bounds: [number, number], seq: number, ts: number, nowMs: number): void {
    const packet = {
      sequence: seq,
      timestamp: ts,
      marker: (buf[1]! & 0x80) !== 0,
      payload: buf.subarray(...bounds),
    };
    this.report(this.dtmf.process({ kind: 'packet', packet, nowMs }));
  }

  private report(events: ReturnType<TelephoneEventReceiver['process']>): void {
    for (const e of events) {
      if (e.type === 'start') this.onEvent?.({ type: 'dtmf', phase: 'start', digit: e.signal });
      else
        this.onEvent?.({ type: 'dtmf', phase: 'end', digit: e.signal, durationMs: Math.round(e.durationMs) });
    }
  }

  private listenInBand(pcm: Int16Array): void {
    this.inBand ??= new DtmfDetector();
    for (const e of this.inBand.process(pcm)) {
      if (e.type === 'start') this.onEvent?.({ type: 'dtmf', phase: 'start', digit: e.digit });
      else
        this.onEvent?.({ type: 'dtmf', phase: 'end', digit: e.digit, durationMs: Math.round(e.durationMs) });
    }
  }

  /** Time passing: a key whose end packets were all lost is ended by timeout. */
  tick(nowMs: number = this.now()): void {
    this.report(this.dtmf.process({ kind: 'tick', nowMs }));
  }

  private newSource(ssrc: number): void {
    if (this.inSsrc !== -1) {
      const r = this.stats.report();
      this.priorReceived += r.received;
      this.priorExpected += r.expected;
    }
    this.inSsrc = ssrc;
    this.stats = new ReceiveStats(8000);
    this.dtmf.reset();
  }

  /**
   * Sends media received on another endpoint to this leg: payload type mapped to
   * what this leg negotiated, µ-law/A-law transcoded in place when the two legs
   * differ, header rewritten onto our outgoing stream.
   */
  forward(from: RtpEndpoint, p: Received): void {
    const r = this.remote;
    const fr = from.remote;
    if (!r || !fr || !r.send || this.closed || this.generating || !this.latch.address) return;
    let outPt: number;
    if (p.payloadType === fr.recvAudioPt) {
      outPt = r.audioPt;
      if (r.codec !== fr.codec) {
        const table = fr.codec === 'ulaw' ? ULAW_TO_ALAW : ALAW_TO_ULAW;
        const b = p.buf;
        for (let i = p.payloadStart; i < p.payloadEnd; i++) b[i] = table[b[i]!]!;
      }
    } else if (p.payloadType === fr.recvTelephoneEventPt && r.telephoneEventPt !== null) {
      outPt = r.telephoneEventPt;
    } else if (p.payloadType === COMFORT_NOISE) {
      outPt = COMFORT_NOISE;
    } else return;
    const buf = p.buf;
    buf[1] = (buf[1]! & 0x80) | outPt;
    this.out.rewrite(buf, from.id * SSRC_SPACE + p.ssrc, p.seq, p.ts, p.nowMs, p.payloadEnd - p.payloadStart);
    this.send(buf);
  }

  /**
   * Once latched, the RTP socket is connected to the leg: the kernel then drops
   * datagrams from anyone else before they cost us anything, and sends skip the
   * per-packet address resolution dgram does for unconnected sockets.
   */
  private connect(): void {
    const { address, port } = this.latch;
    if (!address) return;
    this.connection = 'connecting';
    try {
      this.pair.rtp.connect(port, address, () => {
        if (this.connection === 'connecting') {
          this.connection = 'connected';
          for (const b of this.held.splice(0)) this.pair.rtp.send(b);
        } else this.undoConnect(); // the latch reopened meanwhile
      });
    } catch {
      // Still connected from before (an undo pending): the next packet tries again.
      this.connection = 'none';
    }
  }

  /** A new SDP reopened the latch: take packets from anywhere again until one latches. */
  private disconnect(): void {
    // A connect still in progress is undone when it completes.
    if (this.connection === 'connected') this.undoConnect();
    this.connection = 'none';
    this.held.length = 0;
    this.guessedPackets = 0;
  }

  private undoConnect(): void {
    try {
      this.pair.rtp.disconnect();
    } catch {
      // Not connected after all: nothing to undo.
    }
  }

  private send(packet: Buffer): void {
    const buf = this.srtpOut ? this.srtpOut.protectRtp(packet) : packet;
    if (this.connection === 'connected') this.pair.rtp.send(buf);
    // dgram drops what is sent while a connect is under way: hold the few packets of that moment.
    else if (this.connection === 'connecting') {
      if (this.held.length < 16) this.held.push(buf);
    } else this.pair.rtp.send(buf, this.latch.port, this.latch.address!);
  }

  /**
   * Sends 20 ms of 16-bit linear audio made here (a player, a conference mix)
   * in the leg's negotiated law and payload type. Nothing goes out before the
   * leg's SDP is known.
   */
  sendPcm(pcm: Int16Array, source: number, seq: number, ts: number): void {
    const r = this.remote;
    if (!r) return;
    const buf = Buffer.allocUnsafe(12 + pcm.length);
    buf[0] = 0x80;
    buf[1] = r.audioPt & 0x7f;
    encodeG711(pcm, r.codec, buf.subarray(12));
    this.sendGenerated(buf, source, seq, ts, pcm.length);
  }

  /** Sends a packet generated here (player, tones) as source `source`. */
  sendGenerated(buf: Buffer, source: number, seq: number, ts: number, payloadLength: number): void {
    const r = this.remote;
    if (!r?.send || this.closed || !this.latch.address) return;
    this.out.rewrite(buf, source, seq, ts, this.now(), payloadLength);
    this.send(buf);
  }

  private readonly onRtcp = (data: Buffer, from: RemoteInfo): void => {
    const buf = this.srtpIn ? this.srtpIn.unprotectRtcp(data) : data;
    const parsed = buf && parseCompound(buf);
    if (!parsed || parsed.reports.length === 0) {
      this.malformed++;
      return;
    }
    // RTCP belongs to the call only from the host its media latched to: before the leg's
    // RTP latched, reports are not taken from anyone (they would steer our reports).
    if (!this.latch.latched || from.address !== this.latch.address) {
      this.foreign++;
      return;
    }
    if (!this.rtcpLatch.accept(from.address, from.port)) {
      this.foreign++;
      return;
    }
    const nowMs = this.now();
    for (const rep of parsed.reports) {
      if (rep.sender) {
        this.theirSr = ntpMiddle(rep.sender.ntpSec, rep.sender.ntpFrac);
        this.theirSrAtMs = nowMs;
      }
      const aboutUs = rep.blocks.find((b) => b.ssrc === this.out.ssrc);
      if (aboutUs) {
        this.remoteLoss = aboutUs.fractionLost;
        const rtt = roundTripMs(aboutUs, nowMs);
        if (rtt !== null) this.rtt = rtt;
      }
    }
  };

  private scheduleReport(): void {
    this.reportTimer = setTimeout(() => {
      this.sendReport(false);
      if (!this.closed) this.scheduleReport();
    }, nextReportDelayMs());
    this.reportTimer.unref();
  }

  private reportBlock(): ReportBlock | null {
    if (this.inSsrc === -1) return null;
    const r = this.stats.report();
    this.lastJitterMs = r.jitterMs;
    this.jitterSum += r.jitterMs;
    this.jitterSamples++;
    const nowMs = this.now();
    return {
      ssrc: this.inSsrc >>> 0,
      fractionLost: r.fractionLost,
      cumulativeLost: this.priorExpected - this.priorReceived + r.lost,
      extendedHighestSeq: r.extendedHighestSeq,
      jitter: r.jitter,
      lsr: this.theirSr,
      dlsr: this.theirSr ? Math.round(((nowMs - this.theirSrAtMs) / 1000) * 65536) : 0,
    };
  }

  /** §6.4: SR if we sent media since the start, else RR; with BYE when leaving. */
  private sendReport(bye: boolean, sent?: () => void): void {
    const dest = this.rtcpLatch.address;
    if (this.closed || !dest || !this.remote) {
      sent?.();
      return;
    }
    const block = this.reportBlock();
    const ntp = ntpFromMs(this.out.lastWallMs || this.now());
    const packet = buildCompound({
      ssrc: this.out.ssrc,
      sender:
        this.out.packets > 0
          ? {
              ntpSec: ntp.sec,
              ntpFrac: ntp.frac,
              rtpTimestamp: this.out.lastRtpTs,
              packetCount: this.out.packets,
              octetCount: this.out.octets,
            }
          : null,
      blocks: block ? [block] : [],
      cname: this.cname,
      bye,
    });
    // dgram resolves the address asynchronously even for an IP: the socket may only close after the callback.
    this.pair.rtcp.send(
      this.srtpOut ? this.srtpOut.protectRtcp(packet) : packet,
      this.rtcpLatch.port,
      dest,
      sent ? () => sent() : undefined,
    );
  }

  snapshot(): LegStats {
    const r = this.stats.report();
    const received = this.priorReceived + r.received;
    const expected = this.priorExpected + r.expected;
    const lost = Math.max(0, expected - received);
    const lossRatio = expected > 0 ? lost / expected : 0;
    const jitterMs =
      this.jitterSamples > 0 ? this.jitterSum / this.jitterSamples : r.jitterMs || this.lastJitterMs;
    return {
      packetsReceived: received,
      packetsSent: this.out.packets,
      packetsLost: lost,
      lossRatio,
      jitterMs: Math.round(jitterMs * 100) / 100,
      rttMs: this.rtt === null ? null : Math.round(this.rtt * 10) / 10,
      remoteLossRatio: this.remoteLoss,
      mos: estimateMos({ lossRatio, jitterMs, delayMs: this.rtt === null ? 20 : this.rtt / 2 + 20 }),
      foreignDropped: this.foreign,
      malformedDropped: this.malformed,
      latchedTo: this.latch.latched ? `${this.latch.address}:${this.latch.port}` : null,
    };
  }

  /** Idempotent: a last report with BYE (§6.6), then the ports go back to the pool via `release`. */
  close(release: (pair: PortPair) => void): LegStats {
    const stats = this.snapshot();
    if (this.closed) return stats;
    this.sendReport(true, () => release(this.pair));
    this.closed = true;
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.sink = null;
    this.pair.rtp.off('message', this.onRtp);
    this.pair.rtcp.off('message', this.onRtcp);
    return stats;
  }
}
