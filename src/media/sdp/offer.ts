/**
 * The offerer's side of RFC 3264: our offer to a leg (§5), our re-offers within the same
 * session (§8), and reading the peer's answer against what we offered (§6, §7).
 */

import { SRTP_SUITES } from '../rtp/srtp.js';
import { connectionFor, isUnspecified } from './address.js';
import type { Capabilities, LocalMedia } from './capabilities.js';
import {
  type CodecIdentity,
  DYNAMIC_MAX,
  DYNAMIC_MIN,
  isComfortNoise,
  isTelephoneEvent,
  sameCodec,
  TELEPHONE_EVENT,
} from './codecs.js';
import { newSdesKey } from './crypto.js';
import { agreedDirection, withoutReceive } from './direction.js';
import { answerMismatch, ok, type SdpResult } from './errors.js';
import { formatEvents, telephoneEventOf } from './events.js';
import { refused } from './negotiate.js';
import {
  type NegotiatedCodec,
  type NegotiatedSrtp,
  type NegotiatedStream,
  remoteEndpoints,
} from './stream.js';
import type { Connection, Direction, MediaDescription, RtpFormat, SessionBody } from './types.js';

/**
 * Our offer: one audio stream per relay port with our codecs in preference order and
 * telephone-event. Given the session's previous description (ours, offer or answer),
 * it keeps every m= line in its place (§8: "the number of m lines MUST NOT decrease"
 * and existing streams keep their positions): live audio streams are re-described with
 * the ports in order, the rest stay disabled with port 0 (§8.2), and extra ports are
 * appended as new streams (§8.1). Payload type numbers of the previous description are
 * reused for the same codecs (§8.3.2).
 */
export function buildOffer(
  caps: Capabilities,
  local: LocalMedia,
  previous: SessionBody | null = null,
): SessionBody {
  const connection = connectionFor(local.addresses[0]);
  const direction = local.direction ?? 'sendrecv';
  const ports = [...local.ports];
  const media: MediaDescription[] = [];
  for (const prev of previous?.media ?? []) {
    const port = prev.kind === 'audio' && prev.port !== 0 ? ports.shift() : undefined;
    media.push(port === undefined ? refused(prev) : audioOffer(port, caps, connection, direction, prev));
  }
  for (const port of ports) media.push(audioOffer(port, caps, connection, direction, null));
  return { name: '-', connection, media };
}

function audioOffer(
  port: number,
  caps: Capabilities,
  connection: Connection,
  direction: Direction,
  prev: MediaDescription | null,
): MediaDescription {
  const taken = new Set<number>();
  const formats: RtpFormat[] = [];
  const add = (codec: CodecIdentity, preferred: number | null, fmtp: string | null): void => {
    const pt = payloadTypeFor(codec, preferred, taken, prev);
    if (pt === null) return;
    taken.add(pt);
    formats.push({
      payloadType: pt,
      name: codec.name,
      clockRate: codec.clockRate,
      channels: codec.channels,
      fmtp,
    });
  };
  for (const c of caps.codecs) add(c, c.payloadType, c.fmtp);
  const te = caps.telephoneEvent;
  if (te) {
    // RFC 4733 §2.1: telephone-event shares the clock of its audio, so one per clock rate
    // offered; 8 kHz first, so that it gets the conventional number.
    const rates = [...new Set(formats.filter((f) => !isComfortNoise(f)).map((f) => f.clockRate))].sort(
      (a, b) => Number(b === 8000) - Number(a === 8000),
    );
    for (const clockRate of rates) {
      add({ name: TELEPHONE_EVENT, clockRate, channels: 1 }, te.payloadType, formatEvents(te.events));
    }
  }
  // SRTP when required, or when the stream already uses it (a re-offer must not fall back to
  // plain RTP): both suites under one key (RFC 4568 §6.1), the answer picks one. A re-offer
  // keeps our key, so the relay's running context (and its rollover counter) goes on.
  const before = prev?.crypto?.[0];
  const secure = caps.srtp === 'require' || (caps.srtp === 'accept' && before !== undefined);
  const protocol = secure
    ? before && prev
      ? prev.protocol
      : 'RTP/SAVP'
    : prev && caps.protocols.includes(prev.protocol)
      ? prev.protocol
      : caps.protocols[0];
  const key = secure ? (before?.key ?? newSdesKey()) : null;
  return {
    kind: 'audio',
    port,
    protocol,
    fmts: formats.map((f) => String(f.payloadType)),
    formats,
    connection,
    direction,
    ptime: caps.ptime,
    maxptime: null,
    rtcp: null,
    // RFC 5761 §5.1.1: offering rtcp-mux; until the answer agrees RTCP stays on port + 1.
    rtcpMux: caps.rtcpMux,
    telephoneEvent: telephoneEventOf(formats),
    ice: false,
    dtls: false,
    sdes: secure,
    ...(key ? { crypto: SRTP_SUITES.map((suite, i) => ({ tag: i + 1, suite, key })) } : {}),
  };
}

/**
 * The number for a codec in an offer: the one it had in the previous description, else
 * the preferred (static) one, else a free dynamic one. A number that meant another codec
 * earlier in the session is never reused for this one (RFC 3264 §8.3.2).
 */
function payloadTypeFor(
  codec: CodecIdentity,
  preferred: number | null,
  taken: ReadonlySet<number>,
  prev: MediaDescription | null,
): number | null {
  const meant = (pt: number): RtpFormat | undefined => prev?.formats.find((f) => f.payloadType === pt);
  const free = (pt: number): boolean => {
    const before = meant(pt);
    return !taken.has(pt) && (before === undefined || sameCodec(before, codec));
  };
  const before = prev?.formats.find((f) => sameCodec(f, codec))?.payloadType;
  if (before !== undefined && free(before)) return before;
  if (preferred !== null && free(preferred)) return preferred;
  for (let pt = DYNAMIC_MIN; pt <= DYNAMIC_MAX; pt++) if (free(pt)) return pt;
  return null;
}

export interface AnswerReading {
  /** One per audio stream the answer accepted, in m= order. */
  readonly streams: readonly NegotiatedStream[];
  /**
   * Formats of the answer that were not in our offer. RFC 3264 §6.1 allows them (the
   * answerer "MAY indicate additional media formats"), but we can never send them.
   */
  readonly unexpectedFormats: readonly { readonly index: number; readonly payloadType: number }[];
}

/**
 * Reads the peer's answer to our offer. The answer must have our m= lines with the same
 * media types (§6), and every accepted audio stream at least one of our codecs (§6.1);
 * otherwise, or when no audio stream is accepted, an `answer-mismatch` error, which
 * arriving in a 2xx or ACK can only end the call. Codecs are matched by encoding, not
 * number: the answerer may use its own numbers (§5.1), which are the ones we must send.
 */
export function readAnswer(offer: SessionBody, answer: SessionBody): SdpResult<AnswerReading> {
  if (answer.media.length !== offer.media.length) {
    return answerMismatch(`the answer has ${answer.media.length} m= lines for our ${offer.media.length}`);
  }
  const streams: NegotiatedStream[] = [];
  const unexpectedFormats: { index: number; payloadType: number }[] = [];
  for (let index = 0; index < offer.media.length; index++) {
    const ours = offer.media[index]!;
    const theirs = answer.media[index]!;
    if (theirs.kind !== ours.kind) {
      return answerMismatch(`m= line ${index} is ${theirs.kind} in the answer but ${ours.kind} in the offer`);
    }
    // §6: a stream we offered with port 0 stays disabled whatever the answer says.
    if (ours.port === 0 || theirs.port === 0 || ours.kind !== 'audio') continue;
    for (const f of theirs.formats) {
      if (!ours.formats.some((o) => sameCodec(o, f)))
        unexpectedFormats.push({ index, payloadType: f.payloadType });
    }
    const stream = readStream(index, ours, theirs);
    if (!stream) return answerMismatch(`the answer to m= line ${index} has none of our codecs`);
    if (stream.srtp === undefined)
      return answerMismatch(`the answer to m= line ${index} takes none of our a=crypto lines`);
    streams.push(stream);
  }
  if (streams.length === 0) return answerMismatch('the answer accepts no audio stream');
  return ok({ streams, unexpectedFormats });
}

function readStream(
  index: number,
  ours: MediaDescription,
  theirs: MediaDescription,
): NegotiatedStream | null {
  const codecs: NegotiatedCodec[] = [];
  for (const f of theirs.formats) {
    if (isTelephoneEvent(f) || isComfortNoise(f)) continue;
    const mine = ours.formats.find((o) => sameCodec(o, f));
    if (!mine || codecs.some((c) => sameCodec(c, f))) continue;
    codecs.push({
      name: mine.name,
      clockRate: mine.clockRate,
      channels: mine.channels,
      fmtp: f.fmtp,
      sendPayloadType: f.payloadType,
      receivePayloadType: mine.payloadType,
    });
  }
  // §7: "it SHOULD use the first media format listed in the answer when it does send".
  const [codec, ...alternatives] = codecs;
  if (!codec) return null;
  const teTheirs = telephoneEventOf(theirs.formats, codec.clockRate);
  const teOurs = telephoneEventOf(ours.formats, codec.clockRate);
  const held = theirs.connection !== null && isUnspecified(theirs.connection);
  // RFC 8035: multiplexing needs a=rtcp-mux on both sides.
  const rtcpMux = ours.rtcpMux && theirs.rtcpMux;
  // RFC 4568 §5.1.3: the answer names the offered line it took by tag, with the same suite.
  let srtp: NegotiatedSrtp | null | undefined = null;
  if (ours.crypto?.length) {
    const took = theirs.crypto?.find((c) => ours.crypto?.some((o) => o.tag === c.tag && o.suite === c.suite));
    const mine = took && ours.crypto.find((o) => o.tag === took.tag);
    srtp = took && mine ? { suite: took.suite, remoteKey: took.key, localKey: mine.key } : undefined;
  }
  return {
    index,
    localPort: ours.port,
    ...remoteEndpoints(theirs, rtcpMux),
    rtcpMux,
    // §8.4: an answer with address 0.0.0.0 cannot receive, whatever its attribute says.
    direction: agreedDirection(ours.direction, held ? withoutReceive(theirs.direction) : theirs.direction),
    codec,
    alternatives,
    telephoneEvent:
      teTheirs && teOurs
        ? {
            sendPayloadType: teTheirs.payloadType,
            receivePayloadType: teOurs.payloadType,
            clockRate: codec.clockRate,
            events: teTheirs.events,
          }
        : null,
    ptime: theirs.ptime,
    ...(srtp === undefined ? {} : { srtp }),
  };
}
