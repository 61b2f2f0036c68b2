/**
 * The SIP message layer (RFC 3261 §7, §20, §25): parse and serialize messages, URIs and
 * the structured headers, and frame messages on streams. Imports nothing outside
 * src/sip/ and no npm package.
 */
export { formatAuthParams, parseAuthParams } from './auth-params.js';
export { type CSeq, formatCSeq, MAX_CSEQ, parseCSeq } from './cseq.js';
export { canonicalHeaderName, headerKey } from './header-names.js';
export { Headers } from './headers.js';
export { splitList } from './list.js';
export { formatNameAddr, type NameAddr, parseContacts, parseNameAddr } from './name-addr.js';
export { ownCopy } from './own-copy.js';
export { DEFAULT_MAX_DATAGRAM, parseMessage } from './parse.js';
export { quote, unquote } from './quoted.js';
export { serializeMessage } from './serialize.js';
export { isValidSipDate } from './sip-date.js';
export { type FramerEvent, StreamFramer, type StreamFramerOptions } from './stream-framer.js';
export type { ParseError, ParseResult, SipMessage, SipMethod, SipRequest, SipResponse } from './types.js';
export { formatUri, isKnownScheme, parseUri, type SipUri } from './uri.js';
export { formatVia, parseTopVia, parseVia, rememberTopVia, type Via, type ViaView } from './via.js';
