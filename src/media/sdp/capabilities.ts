/**
 * What we can do, per tenant and per leg: codecs in preference order, telephone-event,
 * packetisation, RTCP multiplexing and accepted transports (`Capabilities`), and where
 * our relay listens for this leg (`LocalMedia`).
 */
import { type CodecSpec, KNOWN_CODECS, type KnownCodecName } from './codecs.js';
import { DTMF_AND_FLASH, parseEvents } from './events.js';
import type { Direction, EventRange } from './types.js';

export interface TelephoneEventPolicy {
  /** The payload type we offer it with; 101 is the de-facto convention (Asterisk, most phones). */
  readonly payloadType: number;
  /** The events we can receive. */
  readonly events: readonly EventRange[];
}

export interface Capabilities {
  /** Codecs in preference order; an offer's formats outside this list are never chosen. */
  readonly codecs: readonly CodecSpec[];
  /** RFC 4733 telephone-event, or null when DTMF goes in-band or by SIP INFO only. */
  readonly telephoneEvent: TelephoneEventPolicy | null;
  /** Whose order decides the codec of an answer: ours or the offerer's (RFC 3264 §6.1 allows either). */
  readonly prefer: 'local' | 'remote';
  /**
   * Answer with one codec (plus telephone-event) rather than every common one, so the
   * peer cannot switch codec mid-call under a relay that does not transcode.
   */
  readonly singleCodec: boolean;
  /** a=ptime we ask for, in ms; null writes none. */
  readonly ptime: number | null;
  /** Whether we offer and accept RTP/RTCP multiplexing (RFC 5761). */
  readonly rtcpMux: boolean;
  /** m= transport protocols we accept in an offer; the first is the one we offer. */
  readonly protocols: readonly [string, ...string[]];
  /**
   * SDES-SRTP (RFC 4568) on this leg: 'off' refuses RTP/SAVP and ignores a=crypto;
   * 'accept' answers a usable a=crypto with our own key (RTP/SAVP, or RTP/AVP that
   * offers it) and offers plain RTP; 'require' also refuses a stream without usable
   * a=crypto and offers RTP/SAVP. Only a leg whose signalling is protected (TLS, WSS)
   * should get anything but 'off': the keys travel in the SDP.
   */
  readonly srtp: SrtpPolicy;
}

export type SrtpPolicy = 'off' | 'accept' | 'require';

export interface CapabilityOptions {
  /** Codec names (`'PCMA'`) or full specs, most preferred first. */
  readonly codecs: readonly (KnownCodecName | CodecSpec)[];
  /** Default: payload type 101, events 0-16 (DTMF and flash). */
  readonly telephoneEvent?: boolean | { readonly payloadType?: number; readonly events?: string };
  readonly prefer?: 'local' | 'remote';
  readonly singleCodec?: boolean;
  readonly ptime?: number | null;
  readonly rtcpMux?: boolean;
  readonly protocols?: readonly [string, ...string[]];
  readonly srtp?: SrtpPolicy;
}

export function capabilities(options: CapabilityOptions): Capabilities {
  const te = options.telephoneEvent ?? true;
  return {
    codecs: options.codecs.map((c) => (typeof c === 'string' ? KNOWN_CODECS[c] : c)),
    telephoneEvent:
      te === false
        ? null
        : {
            payloadType: (te === true ? undefined : te.payloadType) ?? 101,
            events: te === true || te.events === undefined ? DTMF_AND_FLASH : parseEvents(te.events),
          },
    prefer: options.prefer ?? 'local',
    singleCodec: options.singleCodec ?? true,
    ptime: options.ptime === undefined ? 20 : options.ptime,
    rtcpMux: options.rtcpMux ?? true,
    protocols: options.protocols ?? ['RTP/AVP'],
    srtp: options.srtp ?? 'off',
  };
}

/** Our side of one leg. */
export interface LocalMedia {
  /**
   * Relay addresses: offers use the first; an answer uses the first of the offer's
   * family (IPv4 or IPv6) and refuses the stream when there is none.
   */
  readonly addresses: readonly [string, ...string[]];
  /** One relay port per audio stream we anchor, in m= order; further audio streams are refused. */
  readonly ports: readonly number[];
  /** What we want to do; default sendrecv, sendonly to hold the peer (RFC 3264 §8.4). */
  readonly direction?: Direction;
}
