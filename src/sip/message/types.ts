/**
 * SIP messages (RFC 3261 §7) and the typed outcome of parsing one.
 */
import type { Headers } from './headers.js';
import type { SipUri } from './uri.js';

/** A method token, case-sensitive (§7.1): 'INVITE', or any extension token. */
export type SipMethod = string;

export interface SipRequest {
  kind: 'request';
  method: SipMethod;
  /** The Request-URI. serializeMessage() writes formatUri(uri). */
  uri: SipUri;
  /** The Request-URI exactly as received (for logs, and for schemes this stack does not parse). */
  rawUri: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  /** Reason-Phrase as received; may be empty (RFC 4475 §3.1.1.13 noreason). */
  reason: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export interface ParseError {
  /** Human-readable: fit for the reason phrase of a 400 or a log line. */
  reason: string;
  /** What a UAS should answer: 400 Bad Request, 505 Version Not Supported, 413 too large. */
  status: 400 | 505 | 413;
  /**
   * True when enough of a request was understood to build a response (§8.2.6.2 copies
   * Via, From, To, Call-ID and CSeq; §18.2.2 routes it by the top Via): the method, a
   * parseable top Via and present From, To, Call-ID and CSeq. Always false for a
   * response, which is simply dropped (§18.1.2).
   */
  canRespond: boolean;
  /**
   * The request as far as it was parsed, present whenever the start line was a request
   * line. When the Request-URI itself was the problem, `partial.uri` has scheme '' and
   * `partial.rawUri` holds the text.
   */
  partial?: SipRequest;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: ParseError };
