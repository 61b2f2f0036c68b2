/**
 * Our own minimal model of an SDP session description (RFC 8866), reduced to what an
 * anchoring B2BUA needs to negotiate audio: where to send, which payload types mean
 * what, the direction, packetisation and RTCP placement. Everything else on the wire
 * (bandwidth, ICE, DTLS, SSRCs, ...) is dropped on parse; a few flags survive so a
 * WebRTC offer can be recognised and handed to the WebRTC engine instead.
 *
 * Values are resolved: a media description carries its effective connection address
 * and direction even when the wire put them at session level (RFC 8866 §5.7, RFC 3264 §5.1).
 */
import type { SdesCrypto } from './crypto.js';

/** RFC 3264 §5.1 / RFC 8866 §6.7: the direction attribute; absent means sendrecv. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The <addrtype> of c= and o= (RFC 8866 §5.7). */
export type AddressFamily = 'IP4' | 'IP6';

/** A c= address (multicast TTL / count suffixes removed), a literal IP or an FQDN. */
export interface Connection {
  readonly family: AddressFamily;
  readonly address: string;
}

/** One RTP payload format of an m= line, with its rtpmap (or RFC 3551 static meaning) and fmtp. */
export interface RtpFormat {
  readonly payloadType: number;
  /** Encoding name as written; compare case-insensitively (RFC 4855 §3). */
  readonly name: string;
  readonly clockRate: number;
  /** Audio channels; 1 when the rtpmap omits them (RFC 8866 §6.6). */
  readonly channels: number;
  /** a=fmtp parameters verbatim, or null. */
  readonly fmtp: string | null;
}

/** An inclusive range of RFC 4733 event codes, as in `a=fmtp:101 0-15`. */
export interface EventRange {
  readonly from: number;
  readonly to: number;
}

/** An RFC 4733 telephone-event format of an m= line and the events it covers. */
export interface TelephoneEvent {
  readonly payloadType: number;
  readonly clockRate: number;
  readonly events: readonly EventRange[];
}

/** RFC 3605 a=rtcp: where RTCP goes when it is not RTP port + 1 on the same address. */
export interface RtcpAddress {
  readonly port: number;
  /** null: the media's own connection address. */
  readonly connection: Connection | null;
}

export interface MediaDescription {
  /** The m= media type: 'audio', 'video', 'application', 'image', ... */
  readonly kind: string;
  /** 0 means the stream is rejected or disabled (RFC 3264 §6, §8.2). */
  readonly port: number;
  /** The m= transport protocol verbatim: 'RTP/AVP', 'UDP/TLS/RTP/SAVPF', 'udptl', ... */
  readonly protocol: string;
  /** The m= format tokens exactly as listed (payload type numbers for RTP). */
  readonly fmts: readonly string[];
  /** RTP formats of `fmts` whose meaning is known (rtpmap or static type), in m= order. */
  readonly formats: readonly RtpFormat[];
  /** Media-level c= or else session-level c=; null only on a disabled (port 0) stream. */
  readonly connection: Connection | null;
  /** Media-level, else session-level, else sendrecv. */
  readonly direction: Direction;
  /** a=ptime in milliseconds (RFC 8866 §6.4), or null. */
  readonly ptime: number | null;
  /** a=maxptime in milliseconds (RFC 8866 §6.5), or null. */
  readonly maxptime: number | null;
  readonly rtcp: RtcpAddress | null;
  /** RFC 5761 §5.1.1 a=rtcp-mux. */
  readonly rtcpMux: boolean;
  /**
   * The telephone-event format to use with 8 kHz audio when there is one, else the first
   * one listed; derived from `formats` (the writer ignores it).
   */
  readonly telephoneEvent: TelephoneEvent | null;
  /** ICE (a=ice-ufrag or a=candidate) seen here or at session level; parse-only. */
  readonly ice: boolean;
  /** DTLS-SRTP (a=fingerprint) seen here or at session level; parse-only. */
  readonly dtls: boolean;
  /** SDES-SRTP (a=crypto, RFC 4568) seen; parse-only. */
  readonly sdes: boolean;
  /** The a=crypto lines the relay can honour (see crypto.ts), in order; absent or empty: none. */
  readonly crypto?: readonly SdesCrypto[];
}

/** The o= line (RFC 8866 §5.2); id and version kept as decimal strings, they may exceed 2^53. */
export interface Origin {
  readonly username: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly connection: Connection;
}

/** A description without its o= line: what negotiation produces and `SdpSession` stamps. */
export interface SessionBody {
  /** s=; written as '-' when empty. */
  readonly name: string;
  /** The session-level c=, or null. */
  readonly connection: Connection | null;
  readonly media: readonly MediaDescription[];
}

export interface SessionDescription extends SessionBody {
  readonly origin: Origin;
}
