/** SDP for the media engine: parse, negotiate (RFC 3264), write, and per-leg session versions. */
export { isUnspecified } from './address.js';
export {
  type Capabilities,
  type CapabilityOptions,
  capabilities,
  type LocalMedia,
  type SrtpPolicy,
  type TelephoneEventPolicy,
} from './capabilities.js';
export {
  type CodecIdentity,
  type CodecSpec,
  KNOWN_CODECS,
  type KnownCodecName,
  sameCodec,
  staticPayloadType,
} from './codecs.js';
export { formatCrypto, newSdesKey, readCrypto, type SdesCrypto } from './crypto.js';
export { answerDirection } from './direction.js';
export {
  type SdpError,
  type SdpFailure,
  type SdpResult,
  type SdpWarning,
  WARNINGS,
  type WarningCode,
} from './errors.js';
export { DEFAULT_EVENTS, formatEvents, parseEvents, telephoneEventOf } from './events.js';
export { type Answer, answerOffer, chooseCodecs } from './negotiate.js';
export { type AnswerReading, buildOffer, readAnswer } from './offer.js';
export { parseSdp } from './parse.js';
export { type RemoteChange, SdpSession, type SdpSessionOptions } from './session.js';
export type {
  Endpoint,
  NegotiatedCodec,
  NegotiatedEvents,
  NegotiatedSrtp,
  NegotiatedStream,
} from './stream.js';
export { isRtp, isWebRtcMedia, isWebRtcOffer, type RtpProfile, rtpProfile } from './transport.js';
export type * from './types.js';
export { writeSdp } from './write.js';
