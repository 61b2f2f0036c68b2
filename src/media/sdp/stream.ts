/**
 * The outcome of one offer/answer exchange for one audio stream, as the RTP relay
 * needs it: where to send RTP and RTCP, which payload type numbers to write and to
 * expect, and what we may do in which direction.
 */

import type { SrtpSuite } from '../rtp/srtp.js';
import { isUnspecified } from './address.js';
import type { CodecIdentity } from './codecs.js';
import type { Direction, EventRange, MediaDescription } from './types.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface NegotiatedCodec extends CodecIdentity {
  readonly fmtp: string | null;
  /** The number the peer expects in packets we send (from its SDP). */
  readonly sendPayloadType: number;
  /** The number we expect in packets we receive (from our SDP). RFC 3264 §5.1 lets the two differ. */
  readonly receivePayloadType: number;
}

export interface NegotiatedEvents {
  readonly sendPayloadType: number;
  readonly receivePayloadType: number;
  readonly clockRate: number;
  /** The events the peer can receive. */
  readonly events: readonly EventRange[];
}

export interface NegotiatedStream {
  /** Position of the m= line. */
  readonly index: number;
  /** Our relay port for it. */
  readonly localPort: number;
  /** Where to send RTP; null when the peer gave an unspecified address (RFC 3264 §8.4). */
  readonly remote: Endpoint | null;
  /** Where to send RTCP: the RTP endpoint when muxed, else a=rtcp (RFC 3605) or port + 1. */
  readonly remoteRtcp: Endpoint | null;
  readonly rtcpMux: boolean;
  /** Our direction: 'sendonly' means we send and do not expect media. */
  readonly direction: Direction;
  /** The codec to send (RFC 3264 §6.1, §7: the first one of the answer). */
  readonly codec: NegotiatedCodec;
  /** Other codecs both sides listed, which the peer may switch to. */
  readonly alternatives: readonly NegotiatedCodec[];
  readonly telephoneEvent: NegotiatedEvents | null;
  /** The packetisation the peer asked to receive (a=ptime), or null. */
  readonly ptime: number | null;
  /** SDES-SRTP agreed for this stream; absent or null: plain RTP. */
  readonly srtp?: NegotiatedSrtp | null;
}

/** The suite both sides agreed on, the peer's key (what it sends us) and ours (what we send). */
export interface NegotiatedSrtp {
  readonly suite: SrtpSuite;
  readonly remoteKey: string;
  readonly localKey: string;
}

/** Where the peer's m= line tells us to send. */
export function remoteEndpoints(
  m: MediaDescription,
  rtcpMux: boolean,
): { remote: Endpoint | null; remoteRtcp: Endpoint | null } {
  if (!m.connection || isUnspecified(m.connection)) return { remote: null, remoteRtcp: null };
  const remote = { address: m.connection.address, port: m.port };
  // RFC 5761 §5.1.3: once multiplexing is agreed, RTCP goes to the RTP port.
  if (rtcpMux) return { remote, remoteRtcp: remote };
  if (m.rtcp)
    return {
      remote,
      remoteRtcp: { address: m.rtcp.connection?.address ?? remote.address, port: m.rtcp.port },
    };
  // RFC 3550 §11: by default RTCP uses the next (odd) port.
  return { remote, remoteRtcp: { address: remote.address, port: m.port + 1 } };
}
