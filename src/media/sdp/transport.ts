/**
 * Transport protocols of m= lines (RFC 8866 §5.14, RFC 3551, RFC 4585, RFC 3711,
 * RFC 5764): which ones carry RTP, and which mark a WebRTC stream, so the B2BUA can
 * send such an offer to the WebRTC engine (werift) instead of the plain RTP relay.
 */
import type { MediaDescription, SessionDescription } from './types.js';

export type RtpProfile = 'AVP' | 'AVPF' | 'SAVP' | 'SAVPF';

/** The RTP profile of a protocol: RTP/AVP, TCP/RTP/AVP, UDP/TLS/RTP/SAVPF, ...; null if not RTP. */
export function rtpProfile(protocol: string): RtpProfile | null {
  const m = /(?:^|\/)RTP\/(AVP|AVPF|SAVP|SAVPF)$/i.exec(protocol);
  return m ? (m[1]!.toUpperCase() as RtpProfile) : null;
}

export function isRtp(protocol: string): boolean {
  return rtpProfile(protocol) !== null;
}

/**
 * WebRTC media (RFC 8829 §5.1.2, RFC 8827): a secure feedback profile, or ICE with a
 * DTLS fingerprint. Browsers (SIP.js over WSS) always offer UDP/TLS/RTP/SAVPF.
 */
export function isWebRtcMedia(m: MediaDescription): boolean {
  return rtpProfile(m.protocol) === 'SAVPF' || (m.ice && m.dtls);
}

/** True when any live audio stream of a description is WebRTC media. */
export function isWebRtcOffer(desc: SessionDescription): boolean {
  return desc.media.some((m) => m.kind === 'audio' && m.port !== 0 && isWebRtcMedia(m));
}
