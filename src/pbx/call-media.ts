/**
 * The media half of one B2BUA call: a relay endpoint per side (the caller, A, and
 * the callee, B) on the media engine, and the SDP offer/answer on each side done
 * separately (RFC 3264), so each phone only ever sees our relay address. Codecs
 * are chosen per side from the tenant's preference; where A and B end up on
 * different laws the relay transcodes.
 *
 * Offers and answers move like this:
 * - A's INVITE offer is answered by us at once (sent with B's 183/200); B gets our
 *   own offer. An INVITE without SDP (late offer) is fine: B still gets our offer,
 *   and A gets our offer in the 200 and answers in its ACK.
 * - A re-offer from one side (hold, resume, a new address) is answered from our
 *   side, and the other side is re-offered with the direction it implies; a
 *   re-INVITE without SDP is answered with our current offer locally.
 *
 * A browser side (WebRTC: ICE, DTLS-SRTP) is terminated by the WebRTC gateway,
 * whose plain RTP socket stands in for the browser at the relay endpoint; the
 * browser sees only the gateway's description. A browser is never re-offered:
 * when the other side holds, the relay plays music to it over the running stream.
 */
import { type LegStats, type MediaEndpoint, type MediaEngine, MediaError } from '../media/engine.js';
import type { RemoteMedia } from '../media/rtp/endpoint.js';
import {
  answerOffer,
  buildOffer,
  type Capabilities,
  capabilities,
  type Direction,
  type KnownCodecName,
  type NegotiatedStream,
  parseSdp,
  readAnswer,
  type SdpError,
  SdpSession,
  type SessionBody,
  type SessionDescription,
  type SrtpPolicy,
} from '../media/sdp/index.js';
// Types only from the gateway: werift loads with it, which start-up does in the background.
import type { PlainSide, WebRtcGateway, WebRtcLeg } from '../media/webrtc/gateway.js';
import {
  isWebRtcSdp,
  type NegotiatedAudio,
  readAnswer as readWebRtcAnswer,
  WebRtcSdpError,
} from '../media/webrtc/sdp.js';

export type Side = 'A' | 'B';

export const SDP_TYPE = 'application/sdp';

/** The SDP of a message, when it carries one (RFC 3261 §13.2.1: only application/sdp is an offer or answer). */
export function sdpOf(m: {
  headers: { get(name: string): string | undefined };
  body: Buffer;
}): string | null {
  if (!m.body.length) return null;
  const ct = (m.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  return ct === SDP_TYPE ? m.body.toString('utf8') : null;
}

/** Why SDP was refused, as the SIP status and Warning (RFC 3261 §20.43) to answer with. */
export interface MediaRefusal {
  status: 400 | 487 | 488 | 500 | 503;
  warning: string | null;
  reason: string;
}

/** Quality figures of both legs for the call record. */
export interface CallQuality {
  caller: LegStats | null;
  callee: LegStats | null;
}

const G711: Record<string, 'ulaw' | 'alaw'> = { pcmu: 'ulaw', pcma: 'alaw' };

/** The G.711 laws of a codec preference, in its order (what the gateway offers a browser). */
function lawsOf(names: readonly string[]): ('ulaw' | 'alaw')[] {
  const laws = names.map((n) => G711[n.toLowerCase()]).filter((l): l is 'ulaw' | 'alaw' => l !== undefined);
  return laws.length ? laws : ['alaw', 'ulaw'];
}

/** The relay only moves G.711 (the two laws transcode into each other without loss of sync). */
export const RELAY_CODECS: readonly KnownCodecName[] = ['PCMA', 'PCMU'];

function refusal(e: SdpError): MediaRefusal {
  if (e.code === 'malformed')
    return { status: 400, warning: null, reason: `Bad SDP: ${e.message}`.slice(0, 120) };
  return {
    status: 488,
    // RFC 3261 §20.43: warn-code, warn-agent, "warn-text".
    warning:
      e.code === 'not-acceptable' ? `${e.warning.code} nimbus "${e.message.replace(/["\\]/g, '')}"` : null,
    reason: 'Not Acceptable Here',
  };
}

/** The relay's settings for one side from a negotiated stream. */
function remoteOf(stream: NegotiatedStream, previous: RemoteMedia | null): RemoteMedia | null {
  const codec = G711[stream.codec.name.toLowerCase()];
  if (!codec) return null;
  const send = stream.direction === 'sendrecv' || stream.direction === 'sendonly';
  return {
    // An unspecified address (RFC 2543 hold) keeps the last known one but sends nothing.
    address: stream.remote?.address ?? previous?.address ?? '0.0.0.0',
    port: stream.remote?.port ?? previous?.port ?? 0,
    ...(stream.remoteRtcp
      ? { rtcpAddress: stream.remoteRtcp.address, rtcpPort: stream.remoteRtcp.port }
      : {}),
    srtp: stream.srtp
      ? { suite: stream.srtp.suite, recvKey: stream.srtp.remoteKey, sendKey: stream.srtp.localKey }
      : null,
    audioPt: stream.codec.sendPayloadType,
    recvAudioPt: stream.codec.receivePayloadType,
    codec,
    telephoneEventPt: stream.telephoneEvent?.sendPayloadType ?? null,
    recvTelephoneEventPt: stream.telephoneEvent?.receivePayloadType ?? null,
    send: send && stream.remote !== null,
  };
}

/** The direction to offer the other side so it hears what this side sends and nothing it won't take. */
function mirrored(offer: SessionBody): Direction {
  const m = offer.media.find((x) => x.kind === 'audio' && x.port !== 0);
  if (!m) return 'inactive';
  const unspecified = !m.connection || m.connection.address === '0.0.0.0' || m.connection.address === '::';
  const sends = m.direction === 'sendrecv' || m.direction === 'sendonly';
  const receives = !unspecified && (m.direction === 'sendrecv' || m.direction === 'recvonly');
  if (sends) return receives ? 'sendrecv' : 'sendonly';
  return receives ? 'recvonly' : 'inactive';
}

/** A side that is a browser: the gateway leg and the description the browser has of us. */
interface BrowserSide {
  leg: WebRtcLeg;
  /** Our SDP as the browser last got it (answer, or our offer once answered). */
  sdp: string;
  /** Our answer to the browser's re-offer, waiting to go out. */
  pendingAnswer: string | null;
  /** What the browser agreed to (kept so the side can move to another call's relay). */
  audio: NegotiatedAudio;
}

/** A side's negotiation, carried from one call's relay to another's (attended transfer). */
export interface SideHandover {
  session: SdpSession;
  browser: BrowserSide | null;
  /** Whether SRTP may be used with the party (its signalling is protected). */
  srtp: SrtpPolicy;
}

/**
 * The platform's media encryption setting (NIMBUS_MEDIA_ENCRYPTION) for a party whose
 * signalling is protected (TLS, WSS) or not. SDES sends the SRTP keys in the SDP, so
 * they are taken and given only where nobody on the path can read them: over UDP or
 * TCP a leg is always plain RTP, and RTP/SAVP from it is refused.
 */
export type MediaEncryption = 'off' | 'optional' | 'required';

export function srtpPolicy(setting: MediaEncryption, secureSignalling: boolean): SrtpPolicy {
  if (!secureSignalling || setting === 'off') return 'off';
  return setting === 'required' ? 'require' : 'accept';
}

/** The SRTP policy toward a party whose requests come over `transport`, by the engine's setting. */
export function srtpToward(engine: MediaEngine, transport: string): SrtpPolicy {
  return srtpPolicy(engine.options.mediaEncryption ?? 'optional', transport === 'TLS' || transport === 'WSS');
}

interface SideState {
  endpoint: MediaEndpoint;
  browser: BrowserSide | null;
  session: SdpSession;
  remote: RemoteMedia | null;
  /** Our offer still waiting for this side's answer (in a response or an ACK). */
  pendingOffer: SessionBody | null;
  /** An answer of ours not yet sent to this side (to its re-offer). */
  pendingAnswer: SessionBody | null;
}

export type SdpOutcome = { ok: true; sdp: string } | { ok: false; refusal: MediaRefusal };

/**
 * A callee talked to on its own port before it may take side B (confirm-call:
 * an outside number that answered hears "press 1 to accept" while the caller
 * still hears ringing). Offered and answered like a side; `takeAsCallee` makes
 * it side B, bridged to the caller, with no re-offer (its port stays the same).
 */
export interface SpareSide {
  readonly endpoint: MediaEndpoint;
  /** Our offer to it (narrowed to `codecs`, as a carrier's trunk asks). */
  offer(codecs?: readonly string[]): string;
  /** Its answer; false when it does not fit our offer. */
  answered(sdp: string): boolean;
  /** It has answered our offer (in a reliable 18x or the 2xx). */
  readonly hasAnswer: boolean;
  /** Released unless it became side B. */
  close(): void;
}

/** A side on hold stops listening: it does not want to receive (RFC 3264 §8.4, or c=0.0.0.0). */
function holds(offer: SessionBody): boolean {
  const d = mirrored(offer);
  return d === 'sendonly' || d === 'inactive';
}

/** The relay's settings for a browser side: the gateway's plain socket with what the browser agreed. */
function remoteOfBrowser(plain: PlainSide, audio: NegotiatedAudio): RemoteMedia {
  return {
    address: plain.address,
    port: plain.port,
    audioPt: audio.audioPt,
    recvAudioPt: audio.audioPt,
    codec: audio.codec,
    telephoneEventPt: audio.telephoneEventPt,
    recvTelephoneEventPt: audio.telephoneEventPt,
    send: true,
  };
}

/** Our description for the browser with another direction and the next o= version (RFC 3264 §8). */
function redirect(sdp: string, direction: Direction): string {
  const withVersion = sdp.replace(
    /^(o=\S+ \S+ )(\d+)/m,
    (_, head: string, v: string) => `${head}${BigInt(v) + 1n}`,
  );
  return withVersion.replace(/^a=(sendrecv|sendonly|recvonly|inactive)\r?$/gm, `a=${direction}`);
}

/** The direction that answers an offer's (RFC 3264 §6.1). */
function answering(d: Direction): Direction {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

function directionOf(offer: SessionBody): Direction {
  return offer.media.find((m) => m.kind === 'audio' && m.port !== 0)?.direction ?? 'sendrecv';
}

export class CallMedia {
  /** B is null for a call the PBX answers itself (an app such as the echo test). */
  private readonly sides: { A: SideState; B: SideState | null };
  /** Browser forks of the callee being offered to, by fork: all but the one that answers are closed. */
  private readonly browserForks = new Map<string, { leg: WebRtcLeg; sdp: string }>();
  /** Set when the call has a gateway (browser sides are possible). */
  private webrtc: WebRtcGateway | null = null;
  /** A browser side's media failed (ICE/DTLS never came up, or it went away): the call should end. */
  onBrowserLost: (() => void) | null = null;
  private bridged = false;
  /** What the caller's first offer asked for, passed on to the callee. */
  private callerDirection: Direction = 'sendrecv';
  private closed: Promise<CallQuality> | null = null;
  /**
   * Spare sides still open. Their owners close them (one may still say "too late"
   * after the call ended); one that becomes side B closes with the call.
   */
  private readonly spares = new Map<SpareSide, SideState>();
  /** SDES-SRTP per side: only a party whose signalling is protected gets anything but 'off'. */
  private readonly srtp: Record<Side, SrtpPolicy> = { A: 'off', B: 'off' };
  /**
   * The RTP/SAVP variant of the callee offer (for forks to phones over TLS when SRTP is
   * required), in an SDP session of its own, and B's plain session to go back to.
   */
  private calleeSecure: { offer: SessionBody; session: SdpSession; plain: SdpSession } | null = null;

  private constructor(
    private readonly engine: MediaEngine,
    private readonly caps: Capabilities,
    a: MediaEndpoint,
    b: MediaEndpoint | null,
  ) {
    const side = (endpoint: MediaEndpoint): SideState => ({
      endpoint,
      browser: null,
      session: new SdpSession({ address: engine.address }),
      remote: null,
      pendingOffer: null,
      pendingAnswer: null,
    });
    this.sides = { A: side(a), B: b ? side(b) : null };
  }

  private s(side: Side): SideState {
    const state = this.sides[side];
    if (!state) throw new Error(`this call has no ${side} side`);
    return state;
  }

  /** The caller's relay endpoint: what an app plays to and listens on. */
  get caller(): MediaEndpoint {
    return this.sides.A.endpoint;
  }

  /**
   * Opens both relay ports and reads the caller's offer (null: late offer). A
   * refusal means the INVITE is answered with it and nothing else happens.
   */
  static async open(
    engine: MediaEngine,
    offer: string | null,
    codecs: readonly string[],
    opts: {
      callee?: boolean;
      room?: string;
      webrtc?: WebRtcGateway | null;
      /** SDES-SRTP with the caller (A): see `srtpPolicy`. Default 'off'. */
      srtp?: SrtpPolicy;
    } = {},
  ): Promise<{ ok: true; media: CallMedia } | { ok: false; refusal: MediaRefusal }> {
    let parsed: SessionDescription | null = null;
    const browser = offer !== null && isWebRtcSdp(offer);
    if (browser && !opts.webrtc)
      return {
        ok: false,
        refusal: {
          status: 488,
          warning: '304 nimbus "WebRTC media is not enabled"',
          reason: 'Not Acceptable Here',
        },
      };
    if (offer !== null && !browser) {
      const r = parseSdp(offer);
      if (!r.ok) return { ok: false, refusal: refusal(r.error) };
      parsed = r.value;
    }
    const preference = codecs.filter((c): c is KnownCodecName =>
      (RELAY_CODECS as readonly string[]).includes(c),
    );
    const caps = capabilities({
      codecs: preference.length ? preference : RELAY_CODECS,
      // RTCP goes on its own port: the relay keeps RTP and RTCP apart (RFC 3550 §11).
      rtcpMux: false,
    });
    let a: MediaEndpoint | null = null;
    try {
      let b: MediaEndpoint | null = null;
      if (opts.callee === false)
        // A conference member's endpoint lives on the worker of its room.
        a = await engine.open(opts.room ? { room: opts.room } : undefined);
      else [a, b] = await engine.openPair();
      const media = new CallMedia(engine, caps, a, b);
      media.webrtc = opts.webrtc ?? null;
      media.srtp.A = opts.srtp ?? 'off';
      if (browser && offer !== null) {
        const attached = await media.answerBrowser(offer);
        if (!attached.ok) {
          await media.close();
          return attached;
        }
      } else if (parsed) {
        media.callerDirection = mirrored(parsed);
        const answered = media.answer('A', parsed);
        if (!answered.ok) {
          await media.close();
          return answered;
        }
      }
      return { ok: true, media };
    } catch (e) {
      if (!(e instanceof MediaError)) throw e; // a bug, not a media condition: let the call log it
      await a?.close();
      const exhausted = e instanceof MediaError && e.code === 'ports-exhausted';
      return {
        ok: false,
        refusal: {
          status: 503,
          warning: null,
          reason: exhausted ? 'Media Ports Exhausted' : 'Media Unavailable',
        },
      };
    }
  }

  /** Answers `side`'s offer from our side and points its relay port at it. */
  private answer(side: Side, offer: SessionDescription): { ok: true } | { ok: false; refusal: MediaRefusal } {
    const s = this.s(side);
    const bad = s.session.local ? s.session.checkReoffer(offer) : null;
    if (bad) return { ok: false, refusal: refusal(bad) };
    const r = answerOffer(offer, this.capsFor(side), {
      addresses: [this.engine.address],
      ports: [s.endpoint.port],
    });
    if (!r.ok) return { ok: false, refusal: refusal(r.error) };
    const stream = r.value.streams[0];
    const remote = stream ? remoteOf(stream, s.remote) : null;
    if (!remote) return { ok: false, refusal: { status: 488, warning: null, reason: 'Not Acceptable Here' } };
    this.setRemote(side, remote);
    s.pendingAnswer = r.value.body;
    return { ok: true };
  }

  private setRemote(side: Side, remote: RemoteMedia): void {
    const s = this.s(side);
    s.remote = remote;
    s.endpoint.setRemote(remote);
  }

  /** The caller is a browser: the gateway answers its offer, and its plain socket becomes A's remote. */
  private async answerBrowser(offer: string): Promise<{ ok: true } | { ok: false; refusal: MediaRefusal }> {
    const gw = this.webrtc!;
    try {
      const { leg, sdp } = await gw.answer(offer);
      this.attachBrowser('A', leg, sdp, leg.audio);
      return { ok: true };
    } catch (e) {
      if (e instanceof WebRtcSdpError) return { ok: false, refusal: refusal(e.sdpError) };
      return { ok: false, refusal: { status: 503, warning: null, reason: 'Media Unavailable' } };
    }
  }

  private attachBrowser(side: Side, leg: WebRtcLeg, sdp: string, audio: NegotiatedAudio): void {
    const s = this.s(side);
    s.browser = { leg, sdp, pendingAnswer: null, audio };
    leg.setTarget({ address: this.engine.localAddress, port: s.endpoint.port });
    this.setRemote(side, remoteOfBrowser(leg.plain, audio));
    const lost = () => {
      if (this.closed === null && this.s(side).browser?.leg === leg) this.onBrowserLost?.();
    };
    leg.connected.catch(lost);
    void leg.closed.then(lost);
  }

  /**
   * A new party takes `side` (call pickup, a transfer target): what was negotiated
   * with the one before is dropped, so the next offer or answer starts afresh.
   */
  resetSide(side: Side): void {
    const s = this.s(side);
    const browser = s.browser;
    s.session = new SdpSession({ address: this.engine.address });
    s.browser = null;
    s.remote = null;
    s.pendingOffer = null;
    s.pendingAnswer = null;
    // A new party: plain RTP until told otherwise (its signalling is not known here).
    this.srtp[side] = 'off';
    if (side === 'B') this.calleeSecure = null;
    if (browser) void browser.leg.close();
    for (const f of [...this.browserForks.keys()]) this.forkEnded(f);
  }

  /**
   * Takes `side`'s negotiation out of this relay to hand it to another call: the
   * SDP session (so the phone sees one continuous session, RFC 3264 §8) and a
   * browser's gateway leg, which then is not closed with this relay.
   */
  detach(side: Side): SideHandover {
    const s = this.s(side);
    const out = { session: s.session, browser: s.browser, srtp: this.srtp[side] };
    s.browser = null;
    return out;
  }

  /**
   * `side` now faces a party handed over from another call. A browser's gateway leg
   * is pointed at this relay and needs nothing more; a phone needs our re-offer
   * (returned), continuing the session it knows.
   */
  adopt(side: Side, h: SideHandover): string | null {
    this.resetSide(side);
    const s = this.s(side);
    s.session = h.session;
    this.srtp[side] = h.srtp;
    if (h.browser) {
      this.attachBrowser(side, h.browser.leg, h.browser.sdp, h.browser.audio);
      this.bridge();
      return null;
    }
    return this.offer(side);
  }

  /** Why `offer` could not be taken by a side (checked without touching anything); null: it can. */
  refusalFor(offer: string): MediaRefusal | null {
    if (isWebRtcSdp(offer))
      return this.webrtc
        ? null
        : { status: 488, warning: '304 nimbus "WebRTC media is not enabled"', reason: 'Not Acceptable Here' };
    const parsed = parseSdp(offer);
    if (!parsed.ok) return refusal(parsed.error);
    const r = answerOffer(parsed.value, this.caps, { addresses: [this.engine.address], ports: [0] });
    if (!r.ok) return refusal(r.error);
    return r.value.streams[0] ? null : { status: 488, warning: null, reason: 'Not Acceptable Here' };
  }

  /** The new party of `side` offered (pickup: its INVITE): the relay answers it and the sides are bridged. */
  async takeOver(side: Side, offer: string): Promise<SdpOutcome> {
    // Refused before anything is dropped: the party on that side keeps its media.
    const bad = this.refusalFor(offer);
    if (bad) return { ok: false, refusal: bad };
    this.resetSide(side);
    if (isWebRtcSdp(offer) && this.webrtc) {
      try {
        const { leg, sdp } = await this.webrtc.answer(offer);
        if (this.closed !== null) {
          // The call ended while the gateway answered: its leg goes too.
          await leg.close();
          return { ok: false, refusal: { status: 487, warning: null, reason: 'Request Terminated' } };
        }
        this.attachBrowser(side, leg, sdp, leg.audio);
        this.bridge();
        return { ok: true, sdp };
      } catch (e) {
        if (e instanceof WebRtcSdpError) return { ok: false, refusal: refusal(e.sdpError) };
        return { ok: false, refusal: { status: 503, warning: null, reason: 'Media Unavailable' } };
      }
    }
    const parsed = parseSdp(offer);
    if (!parsed.ok) return { ok: false, refusal: refusal(parsed.error) };
    const r = this.answer(side, parsed.value);
    if (!r.ok) return r;
    const sdp = this.reanswer(side);
    this.bridge();
    return sdp === null
      ? { ok: false, refusal: { status: 500, warning: null, reason: 'No Answer' } }
      : { ok: true, sdp };
  }

  /** Whether `side` is a browser (WebRTC through the gateway). */
  isBrowser(side: Side): boolean {
    return this.sides[side]?.browser != null;
  }

  /**
   * Our offer to one browser fork of the callee (a contact registered over
   * WebSocket): a gateway leg of its own, closed unless this fork answers.
   */
  async offerToBrowser(fork: string): Promise<string | null> {
    if (!this.webrtc) return null;
    try {
      const { leg, sdp } = await this.webrtc.offer({ codecs: lawsOf(this.caps.codecs.map((c) => c.name)) });
      if (this.closed !== null) {
        await leg.close();
        return null;
      }
      this.browserForks.set(fork, { leg, sdp });
      return sdp;
    } catch {
      return null;
    }
  }

  /**
   * A browser fork's answer (its 2xx): that fork becomes `side` (the callee's,
   * or the only side of a leg the PBX placed). False when it does not fit.
   */
  browserAnswered(fork: string, sdp: string, side: Side = 'B'): boolean {
    const offered = this.browserForks.get(fork);
    if (!offered) return this.s(side).browser !== null; // a repeated 2xx
    let audio: NegotiatedAudio;
    try {
      audio = readWebRtcAnswer(sdp);
    } catch {
      return false;
    }
    this.browserForks.delete(fork);
    offered.leg.acceptAnswer(sdp).catch(() => this.onBrowserLost?.());
    this.attachBrowser(side, offered.leg, offered.sdp, audio);
    this.s(side).pendingOffer = null;
    for (const f of [...this.browserForks.keys()]) this.forkEnded(f);
    this.bridge();
    return true;
  }

  /** A fork that will not be the callee (refused, cancelled, lost to another): its gateway leg goes. */
  forkEnded(fork: string): void {
    const f = this.browserForks.get(fork);
    if (!f) return;
    this.browserForks.delete(fork);
    void f.leg.close();
  }

  /**
   * Our offer to `side` (a new one, or a re-offer keeping the session's shape);
   * `codecs` narrows it (a carrier's trunk takes only some), in that order.
   */
  offer(side: Side, direction: Direction = 'sendrecv', codecs?: readonly string[]): string {
    const s = this.s(side);
    const body = buildOffer(
      this.capsFor(side, codecs),
      { addresses: [this.engine.address], ports: [s.endpoint.port], direction },
      s.session.local,
    );
    s.pendingOffer = body;
    return s.session.render(body);
  }

  /** The first offer to the callee, mirroring what the caller's offer asks for (narrowed to `codecs` when given). */
  offerToCallee(codecs?: readonly string[]): string {
    return this.offer('B', this.callerDirection, codecs);
  }

  /**
   * With NIMBUS_MEDIA_ENCRYPTION=required, the callee offer as RTP/SAVP with our key,
   * for forks to phones registered over TLS (the key must not travel in clear); null
   * otherwise. Its own SDP session: the plain offer stays B's until a fork answers.
   */
  secureOfferToCallee(): string | null {
    if (this.engine.options.mediaEncryption !== 'required') return null;
    const s = this.s('B');
    if (!s.pendingOffer || s.browser) return null;
    if (!this.calleeSecure) {
      const session = new SdpSession({ address: this.engine.address });
      const offer = buildOffer(
        { ...this.caps, srtp: 'require' },
        { addresses: [this.engine.address], ports: [s.endpoint.port], direction: this.callerDirection },
      );
      this.calleeSecure = { offer, session, plain: s.session };
    }
    return this.calleeSecure.session.render(this.calleeSecure.offer);
  }

  /** Our capabilities toward `side`: its SRTP policy, narrowed to `codecs` when given. */
  private capsFor(side: Side, codecs?: readonly string[]): Capabilities {
    return { ...(codecs ? this.narrowed(codecs) : this.caps), srtp: this.srtp[side] };
  }

  /** Our capabilities with only `codecs`, in their order (all of ours when none of them is ours). */
  private narrowed(codecs: readonly string[]): Capabilities {
    const kept = codecs.flatMap((n) =>
      this.caps.codecs.filter((c) => c.name.toUpperCase() === n.toUpperCase()),
    );
    return kept.length ? { ...this.caps, codecs: kept } : this.caps;
  }

  /**
   * SDP for the caller with the callee's 18x/2xx: our answer to its offer, or with
   * a late offer our own offer (only in the 2xx: an offer cannot go in an
   * unreliable provisional response, RFC 3261 §13.2.1).
   */
  forCaller(final: boolean): string | null {
    const a = this.sides.A;
    if (a.browser) return a.browser.sdp;
    if (a.pendingAnswer) return a.session.render(a.pendingAnswer);
    if (a.session.local && !a.pendingOffer) return a.session.render(a.session.local);
    if (!final) return null;
    return this.offer('A');
  }

  /** After our answer went out in a final response, it is the session's current state. */
  answerSent(side: Side): void {
    this.s(side).pendingAnswer = null;
  }

  /**
   * A side's answer to our offer (B's 18x/2xx, or an ACK with SDP). False when it
   * does not fit the offer: the caller must end that leg.
   */
  answered(side: Side, sdp: string): boolean {
    if (!this.answeredOn(this.s(side), sdp)) return false;
    this.bridge();
    return true;
  }

  /** Reads an answer to our pending offer on one side's state and points its port at the answerer. */
  private answeredOn(s: SideState, sdp: string): boolean {
    if (!s.pendingOffer) {
      // A repeated answer (183 then 200 with the same SDP): nothing new to learn.
      return true;
    }
    const parsed = parseSdp(sdp);
    if (!parsed.ok) return false;
    let offer = s.pendingOffer;
    const secure = this.calleeSecure;
    if (secure && s === this.sides.B) {
      // A fork that got the RTP/SAVP variant answers with a=crypto: its session is that one.
      const keyed = parsed.value.media.some((m) => m.kind === 'audio' && m.port !== 0 && m.crypto?.length);
      if (keyed) offer = secure.offer;
      s.session = keyed ? secure.session : secure.plain;
      this.srtp.B = keyed ? 'require' : 'off';
    }
    const r = readAnswer(offer, parsed.value);
    if (!r.ok) return false;
    const stream = r.value.streams[0];
    const remote = stream ? remoteOf(stream, s.remote) : null;
    if (!remote) return false;
    s.remote = remote;
    s.endpoint.setRemote(remote);
    return true;
  }

  /** A spare port near the caller's, for a callee that must confirm before it takes side B. */
  async openSpare(): Promise<SpareSide> {
    const endpoint = await this.engine.open(this.sides.A.endpoint);
    const s: SideState = {
      endpoint,
      browser: null,
      session: new SdpSession({ address: this.engine.address }),
      remote: null,
      pendingOffer: null,
      pendingAnswer: null,
    };
    const spare: SpareSide = {
      endpoint,
      offer: (codecs) => {
        s.pendingOffer = buildOffer(
          codecs ? this.narrowed(codecs) : this.caps,
          { addresses: [this.engine.address], ports: [endpoint.port], direction: this.callerDirection },
          s.session.local,
        );
        return s.session.render(s.pendingOffer);
      },
      answered: (sdp) => {
        const ok = this.answeredOn(s, sdp);
        s.pendingOffer = null;
        return ok;
      },
      get hasAnswer() {
        return s.remote !== null;
      },
      close: () => this.releaseSpare(spare),
    };
    this.spares.set(spare, s);
    // Closed while it opened (the call ended): released at once.
    if (this.closed !== null) this.releaseSpare(spare);
    return spare;
  }

  private releaseSpare(spare: SpareSide): void {
    if (!this.spares.delete(spare)) return;
    spare.endpoint.stopPlayback();
    void spare.endpoint.close();
  }

  /**
   * The confirmed spare becomes side B: the caller is bridged to it, and the port
   * side B had (offered to the other forks, or carrying a fork's early media) is
   * released.
   */
  takeAsCallee(spare: SpareSide): void {
    const s = this.spares.get(spare);
    if (!s) throw new Error('not a spare side of this call');
    this.spares.delete(spare);
    const old = this.sides.B;
    if (this.bridged) this.sides.A.endpoint.unbridge();
    this.bridged = false;
    s.endpoint.stopPlayback();
    this.sides.B = s;
    for (const f of [...this.browserForks.keys()]) this.forkEnded(f);
    if (old) void old.endpoint.close();
    this.bridge();
  }

  /** An early or final answer from B that carries SDP: remembered as final only with the 2xx. */
  calleeAnswered(sdp: string, final: boolean): boolean {
    const ok = this.answered('B', sdp);
    if (final) {
      this.s('B').pendingOffer = null;
      this.calleeSecure = null;
    }
    return ok;
  }

  /** Whether the callee has given an answer (in a 183 or the 2xx) that the relay uses. */
  get calleeHasAnswered(): boolean {
    return this.s('B').remote !== null;
  }

  /** The caller's ACK: its answer when we offered in the 200 (late offer). */
  ackFrom(side: Side, sdp: string | null): void {
    const s = this.s(side);
    // An ACK without SDP leaves our offer open (a retransmission with the answer may follow).
    if (!s.pendingOffer || sdp === null) return;
    this.answered(side, sdp);
    s.pendingOffer = null;
  }

  /**
   * A re-offer from `side` (re-INVITE or UPDATE with SDP): answered from our side,
   * and the re-offer for the other side returned, mirroring the new direction.
   */
  reoffer(
    side: Side,
    sdp: string,
  ): { ok: true; sdp: string | null; hold: boolean } | { ok: false; refusal: MediaRefusal } {
    const parsed = parseSdp(sdp);
    if (!parsed.ok) return { ok: false, refusal: refusal(parsed.error) };
    const s = this.s(side);
    if (s.browser) {
      // The same ICE and DTLS session goes on (no restart): only the direction changes.
      s.browser.pendingAnswer = redirect(s.browser.sdp, answering(directionOf(parsed.value)));
    } else {
      const previous = s.remote;
      const r = this.answer(side, parsed.value);
      if (!r.ok) {
        if (previous) this.setRemote(side, previous);
        return r;
      }
    }
    const other: Side = side === 'A' ? 'B' : 'A';
    // Put on hold, the other side is offered sendonly: it hears music on hold from the relay.
    const hold = holds(parsed.value);
    // A browser on the other side is not re-offered: the relay's music reaches it on the open stream.
    if (this.isBrowser(other)) return { ok: true, sdp: null, hold };
    return { ok: true, sdp: this.offer(other, hold ? 'sendonly' : mirrored(parsed.value)), hold };
  }

  /** The relay endpoint facing `side` (music on hold, prompts, recording). */
  endpointOf(side: Side): MediaEndpoint {
    return this.s(side).endpoint;
  }

  /** A re-offer answered by us alone (a call the PBX answered itself): our answer's SDP. */
  answerLocally(side: Side, sdp: string): SdpOutcome {
    const parsed = parseSdp(sdp);
    if (!parsed.ok) return { ok: false, refusal: refusal(parsed.error) };
    const browser = this.s(side).browser;
    if (browser) {
      browser.sdp = redirect(browser.sdp, answering(directionOf(parsed.value)));
      return { ok: true, sdp: browser.sdp };
    }
    const r = this.answer(side, parsed.value);
    if (!r.ok) return r;
    const answer = this.reanswer(side);
    return answer === null
      ? { ok: false, refusal: { status: 500, warning: null, reason: 'No Answer' } }
      : { ok: true, sdp: answer };
  }

  /** Our answer to `side`'s re-offer, once the other side accepted its part. */
  reanswer(side: Side): string | null {
    const s = this.s(side);
    if (s.browser?.pendingAnswer) {
      const sdp = s.browser.pendingAnswer;
      s.browser.sdp = sdp;
      s.browser.pendingAnswer = null;
      return sdp;
    }
    if (!s.pendingAnswer) return null;
    const sdp = s.session.render(s.pendingAnswer);
    s.pendingAnswer = null;
    return sdp;
  }

  /** The other side turned the re-offer down: our answer is not given. */
  reofferFailed(side: Side): void {
    this.s(side).pendingAnswer = null;
    const browser = this.s(side).browser;
    if (browser) browser.pendingAnswer = null;
    const other = this.sides[side === 'A' ? 'B' : 'A'];
    if (other) other.pendingOffer = null;
  }

  /** A re-INVITE without SDP: our current description is offered (RFC 3261 §14.2), answered in the ACK. */
  offerAgain(side: Side): string {
    const s = this.s(side);
    if (s.browser) return s.browser.sdp;
    const current = s.session.local;
    const direction = current?.media.find((m) => m.kind === 'audio' && m.port !== 0)?.direction ?? 'sendrecv';
    return this.offer(side, direction);
  }

  private bridge(): void {
    const b = this.sides.B;
    if (this.bridged || !b || !this.sides.A.remote || !b.remote) return;
    this.bridged = true;
    this.sides.A.endpoint.bridge(b.endpoint);
  }

  /** Releases both ports; resolves with each leg's figures. Idempotent. */
  close(): Promise<CallQuality> {
    const b = this.sides.B;
    if (this.closed === null) {
      for (const f of [...this.browserForks.keys()]) this.forkEnded(f);
      for (const s of [this.sides.A, b]) void s?.browser?.leg.close();
    }
    this.closed ??= Promise.all([this.sides.A.endpoint.close(), b ? b.endpoint.close() : null]).then(
      ([caller, callee]) => ({
        caller: this.sides.A.remote ? caller : null,
        callee: b?.remote ? callee : null,
      }),
    );
    return this.closed;
  }
}
