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
} from '../media/sdp/index.js';

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
  status: 400 | 488 | 500 | 503;
  warning: string | null;
  reason: string;
}

/** Quality figures of both legs for the call record. */
export interface CallQuality {
  caller: LegStats | null;
  callee: LegStats | null;
}

const G711: Record<string, 'ulaw' | 'alaw'> = { pcmu: 'ulaw', pcma: 'alaw' };

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

interface SideState {
  endpoint: MediaEndpoint;
  session: SdpSession;
  remote: RemoteMedia | null;
  /** Our offer still waiting for this side's answer (in a response or an ACK). */
  pendingOffer: SessionBody | null;
  /** An answer of ours not yet sent to this side (to its re-offer). */
  pendingAnswer: SessionBody | null;
}

export type SdpOutcome = { ok: true; sdp: string } | { ok: false; refusal: MediaRefusal };

/** A side on hold stops listening: it does not want to receive (RFC 3264 §8.4, or c=0.0.0.0). */
function holds(offer: SessionBody): boolean {
  const d = mirrored(offer);
  return d === 'sendonly' || d === 'inactive';
}

export class CallMedia {
  /** B is null for a call the PBX answers itself (an app such as the echo test). */
  private readonly sides: { A: SideState; B: SideState | null };
  private bridged = false;
  /** What the caller's first offer asked for, passed on to the callee. */
  private callerDirection: Direction = 'sendrecv';
  private closed: Promise<CallQuality> | null = null;

  private constructor(
    private readonly engine: MediaEngine,
    private readonly caps: Capabilities,
    a: MediaEndpoint,
    b: MediaEndpoint | null,
  ) {
    const side = (endpoint: MediaEndpoint): SideState => ({
      endpoint,
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
    opts: { callee?: boolean; room?: string } = {},
  ): Promise<{ ok: true; media: CallMedia } | { ok: false; refusal: MediaRefusal }> {
    let parsed: SessionDescription | null = null;
    if (offer !== null) {
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
      if (parsed) {
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
    const r = answerOffer(offer, this.caps, { addresses: [this.engine.address], ports: [s.endpoint.port] });
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

  /** Our offer to `side` (a new one, or a re-offer keeping the session's shape). */
  offer(side: Side, direction: Direction = 'sendrecv'): string {
    const s = this.s(side);
    const body = buildOffer(
      this.caps,
      { addresses: [this.engine.address], ports: [s.endpoint.port], direction },
      s.session.local,
    );
    s.pendingOffer = body;
    return s.session.render(body);
  }

  /** The first offer to the callee, mirroring what the caller's offer asks for. */
  offerToCallee(): string {
    return this.offer('B', this.callerDirection);
  }

  /**
   * SDP for the caller with the callee's 18x/2xx: our answer to its offer, or with
   * a late offer our own offer (only in the 2xx: an offer cannot go in an
   * unreliable provisional response, RFC 3261 §13.2.1).
   */
  forCaller(final: boolean): string | null {
    const a = this.sides.A;
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
    const s = this.s(side);
    if (!s.pendingOffer) {
      // A repeated answer (183 then 200 with the same SDP): nothing new to learn.
      return true;
    }
    const parsed = parseSdp(sdp);
    if (!parsed.ok) return false;
    const r = readAnswer(s.pendingOffer, parsed.value);
    if (!r.ok) return false;
    const stream = r.value.streams[0];
    const remote = stream ? remoteOf(stream, s.remote) : null;
    if (!remote) return false;
    this.setRemote(side, remote);
    this.bridge();
    return true;
  }

  /** An early or final answer from B that carries SDP: remembered as final only with the 2xx. */
  calleeAnswered(sdp: string, final: boolean): boolean {
    const ok = this.answered('B', sdp);
    if (final) this.s('B').pendingOffer = null;
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
  reoffer(side: Side, sdp: string): SdpOutcome & { hold?: boolean } {
    const parsed = parseSdp(sdp);
    if (!parsed.ok) return { ok: false, refusal: refusal(parsed.error) };
    const previous = this.s(side).remote;
    const r = this.answer(side, parsed.value);
    if (!r.ok) {
      if (previous) this.setRemote(side, previous);
      return r;
    }
    const other: Side = side === 'A' ? 'B' : 'A';
    // Put on hold, the other side is offered sendonly: it hears music on hold from the relay.
    const hold = holds(parsed.value);
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
    if (!s.pendingAnswer) return null;
    const sdp = s.session.render(s.pendingAnswer);
    s.pendingAnswer = null;
    return sdp;
  }

  /** The other side turned the re-offer down: our answer is not given. */
  reofferFailed(side: Side): void {
    this.s(side).pendingAnswer = null;
    const other = this.sides[side === 'A' ? 'B' : 'A'];
    if (other) other.pendingOffer = null;
  }

  /** A re-INVITE without SDP: our current description is offered (RFC 3261 §14.2), answered in the ACK. */
  offerAgain(side: Side): string {
    const s = this.s(side);
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
    this.closed ??= Promise.all([this.sides.A.endpoint.close(), b ? b.endpoint.close() : null]).then(
      ([caller, callee]) => ({
        caller: this.sides.A.remote ? caller : null,
        callee: b?.remote ? callee : null,
      }),
    );
    return this.closed;
  }
}
