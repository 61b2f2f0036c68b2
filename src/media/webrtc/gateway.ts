/**
 * The server end of the browser softphone's media: terminates ICE and DTLS-SRTP (werift)
 * and turns the browser's audio into plain RTP on a loopback UDP socket, which the media
 * engine relays like any desk phone's. One `WebRtcLeg` per call leg:
 *
 *   browser <-- ICE/DTLS-SRTP (werift) --> leg <-- plain RTP, loopback --> media engine
 *
 * - Browser -> engine: every RTP packet werift decrypts, if its payload type is the
 *   negotiated audio or telephone-event one, is sent unchanged (header and payload) from
 *   the plain socket to the target set with `setTarget`.
 * - Engine -> browser: RTP arriving on the plain socket from the target goes to the
 *   browser; werift puts its own SSRC on it and encrypts it. Sequence numbers and
 *   timestamps pass through: the engine's outgoing stream is already continuous.
 *   RTCP from the engine is dropped (werift reports to the browser on its own).
 * - Only G.711 (PCMU, PCMA) and telephone-event/8000 are negotiated, because that is
 *   what the engine speaks; nothing is transcoded here.
 * - SDP is never trickled: `answer` and `offer` return descriptions with every candidate,
 *   as SIP.js in the browser does.
 *
 * A leg that never connects releases its sockets after `connectTimeoutMs`; `close()`
 * releases them at any time, and closing the gateway closes every leg it made.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import {
  MediaStreamTrack,
  type PeerConfig,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpPacket,
} from 'werift';
import {
  finishLocalDescription,
  type NegotiatedAudio,
  readAnswer,
  readOffer,
  type WebRtcAudioCodec,
} from './sdp.js';

export { isWebRtcSdp, type NegotiatedAudio, type WebRtcAudioCodec, WebRtcSdpError } from './sdp.js';

/** A UDP address of plain RTP. */
export interface PlainSide {
  readonly address: string;
  readonly port: number;
}

export interface WebRtcLeg {
  /** Where the leg's plain RTP socket is: the media engine sends this leg's RTP here. */
  readonly plain: PlainSide;
  /**
   * What was agreed with the browser (the plain side uses the same payload types). For a
   * leg we offered it is our preference until `acceptAnswer` settles it.
   */
  readonly audio: NegotiatedAudio;
  /**
   * The media engine endpoint's address: plain RTP for the browser is accepted only from
   * there, and the browser's RTP is sent there. Until it is set the browser's RTP is dropped.
   */
  setTarget(t: PlainSide): void;
  /** For a leg we offered: the browser's answer. Rejects with `WebRtcSdpError` when it does not fit. */
  acceptAnswer(sdp: string): Promise<void>;
  /** ICE + DTLS done. Rejects when they fail, time out, or the leg is closed first. */
  readonly connected: Promise<void>;
  /** Resolves once the leg is closed for any reason (close(), timeout, the browser gone). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export interface WebRtcGatewayOptions {
  /** Address the ICE sockets bind to; default all interfaces. */
  bindAddress?: string;
  /**
   * Addresses put in the host candidates, e.g. the public address of a node behind 1:1
   * NAT. Default: `bindAddress` when it is a specific address, else every non-internal
   * interface address (IPv4 only unless `ipv6`).
   */
  advertiseAddresses?: string[];
  /** With neither of the above: also offer candidates on IPv6 interface addresses. */
  ipv6?: boolean;
  /** UDP port range of the ICE sockets (inclusive, min < max); default ephemeral ports. */
  portMin?: number;
  portMax?: number;
  /** Address of the plain RTP sockets, which only the local media engine talks to; default 127.0.0.1. */
  plainAddress?: string;
  /** How long a leg may take to connect once both descriptions are in place; default 30 s. */
  connectTimeoutMs?: number;
}

export interface OfferOptions {
  /** G.711 laws to offer, most preferred first; default both, µ-law first. */
  codecs?: readonly WebRtcAudioCodec[];
}

/** Our telephone-event payload type in offers (the usual one; answers use the browser's). */
const OFFER_EVENT_PT = 101;
const STATIC_PT: Readonly<Record<WebRtcAudioCodec, number>> = { ulaw: 0, alaw: 8 };
const MIME: Readonly<Record<WebRtcAudioCodec, string>> = { ulaw: 'audio/PCMU', alaw: 'audio/PCMA' };

function g711(codec: WebRtcAudioCodec, payloadType: number): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: MIME[codec], clockRate: 8000, channels: 1, payloadType });
}

function telephoneEvent(payloadType: number): RTCRtpCodecParameters {
  // 0-16: DTMF and flash, what the engine's RFC 4733 code understands.
  return new RTCRtpCodecParameters({
    mimeType: 'audio/telephone-event',
    clockRate: 8000,
    payloadType,
    parameters: '0-16',
  });
}

/** RFC 5761 §4: on a muxed port, second octets 200-204 (PT 72-76 with the marker bit) are RTCP. */
function isRtcp(buf: Buffer): boolean {
  const pt = buf[1]! & 0x7f;
  return pt >= 72 && pt <= 76;
}

/** A small FIFO mutex. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

class Leg implements WebRtcLeg {
  readonly plain: PlainSide;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;
  private negotiated: NegotiatedAudio;
  private target: PlainSide | null = null;
  private timer: NodeJS.Timeout | null = null;
  private isConnected = false;
  private closing: Promise<void> | null = null;
  private settle!: (error?: Error) => void;
  private markClosed!: () => void;
  /** What we send to the browser: the engine's RTP, written into werift. */
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private transceiver: RTCRtpTransceiver | null = null;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly socket: Socket,
    audio: NegotiatedAudio,
    private readonly timeoutMs: number,
    private readonly onClosed: (leg: Leg) => void,
  ) {
    const a = socket.address();
    this.plain = { address: a.address, port: a.port };
    this.negotiated = audio;
    this.connected = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    // Nobody has to await `connected`: a leg closed before connecting must not be an unhandled rejection.
    this.connected.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.markClosed = resolve;
    });

    socket.on('message', (buf, rinfo) => this.fromEngine(buf, rinfo));
    // A send to a vanished target (ICMP unreachable) surfaces here; the media just stops.
    socket.on('error', () => {});

    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => this.fromBrowser(rtp));
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        this.isConnected = true;
        this.clearTimer();
        this.settle();
      } else if (state === 'failed') {
        // Before connecting: ICE or DTLS failed. After: consent expired, the browser is gone.
        this.settle(new Error('WebRTC leg failed (ICE or DTLS)'));
        void this.close();
      }
    });
  }

  get audio(): NegotiatedAudio {
    return this.negotiated;
  }

  setTarget(t: PlainSide): void {
    this.target = { address: t.address, port: t.port };
  }

  /** werift's answer to a (trimmed) browser offer, gathered: every candidate is in it. */
  async localAnswer(offer: string, gatherLock: Lock): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await this.pc.createAnswer();
    return gatherLock.run(async () => {
      this.noPublicStun();
      await this.pc.setLocalDescription(answer);
      return this.localSdp();
    });
  }

  /** werift's offer, gathered. */
  async localOffer(gatherLock: Lock): Promise<string> {
    const offer = await this.pc.createOffer();
    return gatherLock.run(async () => {
      this.noPublicStun();
      await this.pc.setLocalDescription(offer);
      return this.localSdp();
    });
  }

  /** werift's setLocalDescription returns once gathering is over; the description then holds the candidates. */
  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    return sdp;
  }

  /** Adds the sendrecv audio transceiver carrying `track` (and with it werift's transport). */
  addAudio(): void {
    this.transceiver = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
  }

  /**
   * werift's ICE agent falls back to stun.l.google.com:19302 when no STUN server is
   * configured (even with iceServers: []) and waits up to 5 s for it while gathering.
   * A PBX must not call out to Google, and its candidates are host ones by design.
   * Run before gathering, once the transports exist.
   */
  private noPublicStun(): void {
    for (const t of this.pc.iceTransports) t.connection.stunServer = undefined;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    if (this.closing) throw new Error('WebRTC leg is closed');
    if (this.pc.signalingState !== 'have-local-offer') throw new Error('WebRTC leg has no offer to answer');
    try {
      const audio = readAnswer(sdp);
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      this.negotiated = audio;
    } catch (e) {
      // An answer is final (it came in a 2xx): a leg that cannot take it is of no more use.
      this.settle(e instanceof Error ? e : new Error(String(e)));
      await this.close();
      throw e;
    }
    this.startTimer();
  }

  /** Both descriptions are in place: from now on the leg has `timeoutMs` to connect. */
  startTimer(): void {
    if (this.isConnected || this.closing || this.timer) return;
    this.timer = setTimeout(() => {
      this.settle(new Error(`WebRTC leg did not connect within ${this.timeoutMs} ms`));
      void this.close();
    }, this.timeoutMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private fromBrowser(rtp: RtpPacket): void {
    const { audioPt, telephoneEventPt } = this.negotiated;
    const pt = rtp.header.payloadType;
    if (!this.target || (pt !== audioPt && pt !== telephoneEventPt)) return;
    this.socket.send(rtp.serialize(), this.target.port, this.target.address);
  }

  private fromEngine(buf: Buffer, from: RemoteInfo): void {
    const t = this.target;
    if (!t || from.port !== t.port || from.address !== t.address) return;
    if (buf.length < 12 || buf[0]! >> 6 !== 2 || isRtcp(buf) || !this.isConnected) return;
    const pt = buf[1]! & 0x7f;
    const { audioPt, telephoneEventPt } = this.negotiated;
    if (pt === audioPt) {
      // Through the track, so werift's sender stamps its SSRC and counts for its sender reports.
      this.track.writeRtp(buf);
    } else if (pt === telephoneEventPt) {
      // werift's sender rewrites every packet's payload type to its first codec's, which
      // would turn an RFC 4733 event into noise; events go to the transport directly.
      const sender = this.transceiver?.sender;
      if (sender?.dtlsTransport.state !== 'connected') return;
      const rtp = RtpPacket.deSerialize(buf);
      rtp.header.ssrc = sender.ssrc;
      void sender.dtlsTransport.sendRtp(rtp.payload, rtp.header);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.clearTimer();
      this.settle(new Error('WebRTC leg closed before it connected'));
      this.track.stop();
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
      await this.pc.close().catch(() => {});
      this.onClosed(this);
      this.markClosed();
    })();
    return this.closing;
  }
}

export class WebRtcGateway {
  private readonly legs = new Set<Leg>();
  /**
   * werift picks a port in a range by binding and closing a probe socket, then binds the
   * real one later: two legs gathering at once could pick the same port, and the loser's
   * bind error is thrown from a socket nobody listens on. Gathering is quick (host
   * candidates only), so legs of one gateway take turns.
   */
  private readonly gatherLock = new Lock();
  private readonly plainAddress: string;
  private readonly timeoutMs: number;
  private readonly ice: Partial<PeerConfig>;
  private isClosed = false;

  constructor(opts: WebRtcGatewayOptions = {}) {
    this.plainAddress = opts.plainAddress ?? '127.0.0.1';
    this.timeoutMs = opts.connectTimeoutMs ?? 30_000;
    const bind = opts.bindAddress && !['0.0.0.0', '::'].includes(opts.bindAddress) ? opts.bindAddress : null;
    for (const a of [...(opts.advertiseAddresses ?? []), ...(bind ? [bind] : [])])
      if (isIP(a) === 0) throw new TypeError(`WebRTC gateway: ${a} is not an IP address`);
    const advertise = opts.advertiseAddresses?.length ? opts.advertiseAddresses : bind ? [bind] : null;
    if ((opts.portMin === undefined) !== (opts.portMax === undefined))
      throw new TypeError('WebRTC gateway: give both portMin and portMax, or neither');
    if (opts.portMin !== undefined && opts.portMax !== undefined && !(opts.portMin < opts.portMax))
      throw new RangeError('WebRTC gateway: portMin must be below portMax');
    this.ice = {
      iceServers: [],
      // Without this werift binds each candidate's socket to the wildcard address.
      ...(bind ? { iceInterfaceAddresses: isIP(bind) === 6 ? { udp6: bind } : { udp4: bind } } : {}),
      // Explicit candidates: turn interface enumeration off and list them as "additional"
      // host addresses, the one way werift accepts loopback or an address it cannot see
      // (a NAT's public one). Its own enumeration skips loopback and internal interfaces.
      ...(advertise
        ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: [...new Set(advertise)] }
        : { iceUseIpv4: true, iceUseIpv6: opts.ipv6 ?? false }),
      ...(opts.portMin !== undefined && opts.portMax !== undefined
        ? { icePortRange: [opts.portMin, opts.portMax] as [number, number] }
        : {}),
    };
  }

  /** The browser offered (an INVITE from the softphone): our answer, with all candidates. */
  async answer(offerSdp: string): Promise<{ leg: WebRtcLeg; sdp: string }> {
    const offer = readOffer(offerSdp);
    const { audio } = offer;
    const codecs = [g711(audio.codec, audio.audioPt)];
    if (audio.telephoneEventPt !== null) codecs.push(telephoneEvent(audio.telephoneEventPt));
    const leg = await this.newLeg(codecs, audio);
    try {
      const sdp = offer.completeAnswer(
        finishLocalDescription(await leg.localAnswer(offer.forWerift, this.gatherLock)),
      );
      leg.startTimer();
      return { leg, sdp };
    } catch (e) {
      await leg.close();
      throw e;
    }
  }

  /**
   * We call the browser: our offer, with all candidates; its answer goes to
   * `leg.acceptAnswer`. The connect timeout starts with the answer: until then (the call
   * is ringing) the owner closes the leg if it is never answered.
   */
  async offer(opts: OfferOptions = {}): Promise<{ leg: WebRtcLeg; sdp: string }> {
    const laws: WebRtcAudioCodec[] = [...new Set(opts.codecs ?? (['ulaw', 'alaw'] as const))];
    const first = laws[0];
    if (!first) throw new TypeError('WebRTC gateway: offer at least one codec');
    const codecs = [...laws.map((c) => g711(c, STATIC_PT[c])), telephoneEvent(OFFER_EVENT_PT)];
    const leg = await this.newLeg(codecs, {
      codec: first,
      audioPt: STATIC_PT[first],
      telephoneEventPt: OFFER_EVENT_PT,
    });
    try {
      return { leg, sdp: finishLocalDescription(await leg.localOffer(this.gatherLock)) };
    } catch (e) {
      await leg.close();
      throw e;
    }
  }

  /** Closes every leg. */
  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all([...this.legs].map((l) => l.close()));
  }

  private async newLeg(codecs: RTCRtpCodecParameters[], audio: NegotiatedAudio): Promise<Leg> {
    if (this.isClosed) throw new Error('WebRTC gateway is closed');
    const socket = createSocket(isIP(this.plainAddress) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.plainAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (this.isClosed) {
      // close() ran while the socket was binding: it could not see this leg.
      socket.close();
      throw new Error('WebRTC gateway is closed');
    }
    const pc = new RTCPeerConnection({
      ...this.ice,
      codecs: { audio: codecs, video: [] },
      headerExtensions: { audio: [], video: [] },
      bundlePolicy: 'max-bundle',
    });
    const leg = new Leg(pc, socket, audio, this.timeoutMs, (l) => this.legs.delete(l));
    this.legs.add(leg);
    leg.addAudio();
    return leg;
  }
}
