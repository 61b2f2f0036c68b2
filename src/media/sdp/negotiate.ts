/**
 * The answerer's side of RFC 3264 §6: from a peer's offer and our capabilities, our
 * answer and, per accepted audio stream, what the relay needs (`NegotiatedStream`).
 *
 * - The answer has exactly the offer's m= lines in the offer's order (§6). A stream we
 *   do not take (not audio, a transport we lack, no common codec, no relay port left)
 *   is refused with port 0, keeping its place.
 * - Codecs: those of the offer we also have, ordered by our preference or the
 *   offerer's; offered payload type numbers are kept (§6.1: "that same payload type
 *   number SHOULD be used for that codec in the answer").
 * - telephone-event joins when offered at the chosen codec's clock rate (RFC 4733 §2.1),
 *   with the offered number and the events both sides know.
 * - Direction by §6.1: sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive,
 *   sendrecv -> what we want; c=0.0.0.0 counts as "do not send to me" (§8.4).
 * - If nothing is taken, a 488 error with the Warning code that explains it best.
 */
import { connectionFor, isUnspecified } from './address.js';
import type { Capabilities, LocalMedia } from './capabilities.js';
import { type CodecSpec, isComfortNoise, isTelephoneEvent, sameCodec } from './codecs.js';
import { newSdesKey } from './crypto.js';
import { answerDirection, withoutReceive } from './direction.js';
import { malformed, notAcceptable, ok, type SdpFailure, type SdpResult } from './errors.js';
import { formatEvents, intersectEvents, telephoneEventOf } from './events.js';
import {
  type NegotiatedCodec,
  type NegotiatedSrtp,
  type NegotiatedStream,
  remoteEndpoints,
} from './stream.js';
import type { MediaDescription, RtpFormat, SessionBody } from './types.js';

export interface Answer {
  /** Our answer, to be stamped with an o= line by `SdpSession`. */
  readonly body: SessionBody;
  /** One per accepted audio stream, in m= order. */
  readonly streams: readonly NegotiatedStream[];
}

export function answerOffer(offer: SessionBody, caps: Capabilities, local: LocalMedia): SdpResult<Answer> {
  const media: MediaDescription[] = [];
  const streams: NegotiatedStream[] = [];
  let refusal: SdpFailure | null = null;
  let nextPort = 0;
  offer.media.forEach((m, index) => {
    const port = local.ports[nextPort];
    if (m.kind !== 'audio' || m.port === 0 || port === undefined) {
      media.push(refused(m));
      return;
    }
    const taken = answerStream(m, index, port, caps, local);
    if (!taken.ok) {
      refusal ??= taken;
      media.push(refused(m));
      return;
    }
    nextPort++;
    media.push(taken.value.media);
    streams.push(taken.value.stream);
  });
  const first = streams[0];
  if (!first) return refusal ?? notAcceptable(304, 'the offer has no audio stream');
  const connection = media[first.index]!.connection;
  return ok({ body: { name: '-', connection, media }, streams });
}

/** RFC 3264 §6: port 0 refuses a stream; its formats are ignored, but one must be listed. */
export function refused(m: MediaDescription): MediaDescription {
  return {
    kind: m.kind,
    port: 0,
    protocol: m.protocol,
    fmts: m.fmts.slice(0, 1),
    formats: [],
    connection: null,
    direction: 'inactive',
    ptime: null,
    maxptime: null,
    rtcp: null,
    rtcpMux: false,
    telephoneEvent: null,
    ice: false,
    dtls: false,
    sdes: false,
  };
}

interface Taken {
  readonly media: MediaDescription;
  readonly stream: NegotiatedStream;
}

function answerStream(
  m: MediaDescription,
  index: number,
  port: number,
  caps: Capabilities,
  local: LocalMedia,
): SdpResult<Taken> {
  // RFC 3264 §6: a transport we do not do (WebRTC's DTLS-SRTP, SRTP on a leg whose
  // signalling is not protected) is refused; WebRTC offers are meant to be routed to
  // the WebRTC engine before they get here.
  const savp = m.protocol.toUpperCase() === 'RTP/SAVP';
  if (savp && caps.srtp === 'off')
    return notAcceptable(302, 'SRTP (RTP/SAVP) is taken only from a phone signalling over TLS');
  if (!savp && !caps.protocols.includes(m.protocol))
    return notAcceptable(302, `transport ${m.protocol} is not supported`);
  // RFC 4568 §5.1.2: the first offered a=crypto line we can use; RTP/AVP with a=crypto is
  // best-effort SRTP, taken the same way where SRTP may be used and else answered plain.
  const pick = caps.srtp === 'off' ? undefined : m.crypto?.[0];
  if (!pick && (savp || caps.srtp === 'require'))
    return notAcceptable(302, savp ? 'no a=crypto line we can use' : 'media encryption (SRTP) is required');
  const srtp: NegotiatedSrtp | null = pick
    ? { suite: pick.suite, remoteKey: pick.key, localKey: newSdesKey() }
    : null;
  const offered = m.connection;
  // parseSdp guarantees an address on a live stream; a hand-made body might not have one.
  if (!offered) return malformed('a live stream without a connection address');
  const address = local.addresses.map(connectionFor).find((c) => c.family === offered.family);
  if (!address) return notAcceptable(301, `no relay address of family ${offered.family}`);
  const chosen = chooseCodecs(m.formats, caps);
  const primary = chosen[0];
  if (!primary) return notAcceptable(305, 'no codec in common with the offer');

  const te = caps.telephoneEvent ? telephoneEventOf(m.formats, primary.spec.clockRate) : null;
  const events = te && caps.telephoneEvent ? intersectEvents(te.events, caps.telephoneEvent.events) : [];
  const formats: RtpFormat[] = chosen.map(({ offered, spec }) => ({
    payloadType: offered.payloadType,
    name: spec.name,
    clockRate: spec.clockRate,
    channels: spec.channels,
    fmtp: spec.fmtp,
  }));
  if (te && events.length > 0) {
    formats.push({
      payloadType: te.payloadType,
      name: 'telephone-event',
      clockRate: te.clockRate,
      channels: 1,
      fmtp: formatEvents(events),
    });
  }
  // §8.4: an offer with address 0.0.0.0 asks us not to send, whatever its attribute says.
  const asked = isUnspecified(offered) ? withoutReceive(m.direction) : m.direction;
  const direction = answerDirection(asked, local.direction ?? 'sendrecv');
  // RFC 8035: rtcp-mux in an answer only when the offer had it.
  const rtcpMux = m.rtcpMux && caps.rtcpMux;
  const media: MediaDescription = {
    kind: 'audio',
    port,
    protocol: m.protocol,
    fmts: formats.map((f) => String(f.payloadType)),
    formats,
    connection: address,
    direction,
    ptime: caps.ptime,
    maxptime: null,
    rtcp: null,
    rtcpMux,
    telephoneEvent: telephoneEventOf(formats),
    ice: false,
    dtls: false,
    sdes: srtp !== null,
    ...(srtp && pick ? { crypto: [{ tag: pick.tag, suite: srtp.suite, key: srtp.localKey }] } : {}),
  };
  const [codec, ...alternatives] = chosen.map(({ offered, spec }) => negotiatedCodec(offered, spec));
  const stream: NegotiatedStream = {
    index,
    localPort: port,
    ...remoteEndpoints(m, rtcpMux),
    rtcpMux,
    direction,
    codec: codec!,
    alternatives,
    telephoneEvent:
      te && events.length > 0
        ? {
            sendPayloadType: te.payloadType,
            receivePayloadType: te.payloadType,
            clockRate: te.clockRate,
            events: te.events,
          }
        : null,
    ptime: m.ptime,
    srtp,
  };
  return { ok: true, value: { media, stream } };
}

interface Choice {
  readonly offered: RtpFormat;
  readonly spec: CodecSpec;
}

/**
 * Offered formats we have, best first. The same codec offered under two numbers is taken
 * once, under the first. telephone-event and comfort noise are never "the codec".
 */
export function chooseCodecs(offered: readonly RtpFormat[], caps: Capabilities): Choice[] {
  const matches: (Choice & { rank: number; position: number })[] = [];
  offered.forEach((f, position) => {
    if (isTelephoneEvent(f) || isComfortNoise(f)) return;
    const rank = caps.codecs.findIndex((c) => sameCodec(c, f));
    const spec = caps.codecs[rank];
    if (spec && !matches.some((x) => x.rank === rank)) matches.push({ offered: f, spec, rank, position });
  });
  matches.sort((a, b) => (caps.prefer === 'local' ? a.rank - b.rank : a.position - b.position));
  const choices = matches.map(({ offered, spec }) => ({ offered, spec }));
  return caps.singleCodec ? choices.slice(0, 1) : choices;
}

function negotiatedCodec(offered: RtpFormat, spec: CodecSpec): NegotiatedCodec {
  return {
    name: spec.name,
    clockRate: spec.clockRate,
    channels: spec.channels,
    fmtp: offered.fmtp,
    sendPayloadType: offered.payloadType,
    receivePayloadType: offered.payloadType,
  };
}
