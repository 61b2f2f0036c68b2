/**
 * The start line and header section of a message (RFC 3261 §7), shared by the datagram
 * parser (parse.ts) and the stream framer (stream-framer.ts), which differ only in how
 * they find the body (§18.3).
 *
 * Header values are kept raw (unfolded and trimmed, §7.3.1) and parsed on demand;
 * header-checks.ts validates the few that must be right before anything else runs.
 */
import { isUtf8 } from 'node:buffer';
import { CR, HT, isToken, SP, skipWs, trimWsEnd } from './charset.js';
import { HeaderChecks } from './header-checks.js';
import {
  H_CALL_ID,
  H_CSEQ,
  H_FROM,
  H_TO,
  type HeaderInfo,
  headerInfo,
  lookupHeaderRange,
} from './header-names.js';
import { type HeaderField, Headers } from './headers.js';
import { type Failure, Problems } from './problems.js';
import { parseStartLine } from './start-line.js';
import type { SipMessage, SipRequest } from './types.js';
import type { SipUri } from './uri.js';

export type { Failure } from './problems.js';

export interface ParsedHead {
  /** The message with an empty body; null when the start line was not usable at all. */
  message: SipMessage | null;
  /** The first problem found, or null. */
  failure: Failure | null;
  /** See ParseError.canRespond. */
  canRespond: boolean;
  /** Content-Length: null when absent, -1 when malformed, out of range or conflicting. */
  contentLength: number | null;
}

const EMPTY_BODY = Buffer.alloc(0);
/** Reused for every message: parsing is synchronous and not re-entrant. */
const CHECKS = new HeaderChecks();

/**
 * Decodes the header section. SIP text is UTF-8 (§7.3.1: quoted strings, display names,
 * reason phrases); a section that is not valid UTF-8 is decoded one character per octet
 * instead, so a broken peer's bytes are kept rather than replaced by U+FFFD.
 */
function decodeHead(data: Buffer, start: number, end: number): string {
  const text = data.toString('utf8', start, end);
  if (text.indexOf('\uFFFD') >= 0 && !isUtf8(data.subarray(start, end))) {
    return data.toString('latin1', start, end);
  }
  return text;
}

/** A SipUri standing in for a Request-URI that could not be parsed (see ParseError.partial). */
function unparsedUri(): SipUri {
  return {
    scheme: '',
    user: null,
    password: null,
    host: '',
    port: null,
    params: new Map(),
    headers: new Map(),
  };
}

/**
 * Parses data[start, end): the start line and header lines, each ending in CRLF (the last
 * one may lack it when `terminated` is false, i.e. no empty line was found). The header
 * lines are read even after an unusable start line, so a stream can skip the message
 * by its Content-Length.
 */
export function parseHead(data: Buffer, start: number, end: number, terminated: boolean): ParsedHead {
  const text = decodeHead(data, start, end);
  const problems = new Problems();
  const line = parseStartLine(text, problems);
  const fields: HeaderField[] = [];
  CHECKS.reset();
  readHeaderLines(text, line.next, fields, problems);

  // Checked even after an unusable start line: the framer needs the Content-Length.
  const contentLength = CHECKS.check(fields, problems, line.kind === 'request' ? line.method : null);
  // §7: "the empty line MUST be present even if the message-body is not".
  if (!terminated) problems.note('No empty line after the header fields');

  if (line.kind === null)
    return { message: null, failure: problems.failure, canRespond: false, contentLength };
  const headers = Headers.fromFields(fields);
  if (line.kind === 'response') {
    const message: SipMessage = {
      kind: 'response',
      status: line.status,
      reason: line.reason,
      headers,
      body: EMPTY_BODY,
    };
    return { message, failure: problems.failure, canRespond: false, contentLength };
  }
  const request: SipRequest = {
    kind: 'request',
    method: line.method,
    uri: line.uri ?? unparsedUri(),
    rawUri: line.rawUri,
    headers,
    body: EMPTY_BODY,
  };
  const canRespond =
    problems.viaOk &&
    CHECKS.lines(H_FROM) > 0 &&
    CHECKS.lines(H_TO) > 0 &&
    CHECKS.lines(H_CALL_ID) > 0 &&
    CHECKS.lines(H_CSEQ) > 0;
  return { message: request, failure: problems.failure, canRespond, contentLength };
}

/**
 * The header lines from `pos` to the end of `text` (§7.3):
 *   message-header = header-name HCOLON header-value CRLF, HCOLON = *( SP / HTAB ) ":" SWS
 * A line starting with SP or HT continues the previous one (§7.3.1). A bad line is
 * noted and skipped, so the rest still yields what a 400 response needs.
 */
function readHeaderLines(text: string, pos: number, fields: HeaderField[], problems: Problems): void {
  const len = text.length;
  let info: HeaderInfo | null = null;
  // The pending header's value: text[vStart, vEnd), or `folded` once continuation lines
  // have been joined to it.
  let vStart = 0;
  let vEnd = 0;
  let folded: string | null = null;

  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    let lineEnd: number;
    if (nl < 0) {
      lineEnd = len;
      nl = len;
    } else {
      lineEnd = nl - 1;
      if (lineEnd < pos || text.charCodeAt(lineEnd) !== CR) {
        problems.note('Header line not ended by CRLF');
        pos = nl + 1;
        continue;
      }
    }
    const lineStart = pos;
    pos = nl + 1;
    // A bare CR would end the line for some other parser: refuse it (header injection).
    const cr = text.indexOf('\r', lineStart);
    if (cr >= 0 && cr < lineEnd) {
      problems.note('Bare CR in header line');
      continue;
    }
    const c0 = text.charCodeAt(lineStart);
    if (c0 === SP || c0 === HT) {
      // Folded line (§7.3.1): LWS including the CRLF reads as one SP.
      if (info === null) {
        problems.note('Continuation line without a header');
        continue;
      }
      const s = skipWs(text, lineStart, lineEnd);
      const e = trimWsEnd(text, s, lineEnd);
      if (e > s) {
        const prev: string = folded ?? text.slice(vStart, vEnd);
        folded = prev.length > 0 ? `${prev} ${text.slice(s, e)}` : text.slice(s, e);
      }
      continue;
    }
    if (info !== null) {
      pushField(fields, info, text, vStart, vEnd, folded);
      info = null;
    }
    const colon = text.indexOf(':', lineStart);
    if (colon < 0 || colon >= lineEnd) {
      problems.note('Header line without a colon');
      continue;
    }
    const nameEnd = trimWsEnd(text, lineStart, colon);
    let known = lookupHeaderRange(text, lineStart, nameEnd);
    if (known === undefined) {
      const name = text.slice(lineStart, nameEnd);
      if (!isToken(name)) {
        problems.note('Malformed header name');
        continue;
      }
      known = headerInfo(name);
    }
    info = known;
    vStart = skipWs(text, colon + 1, lineEnd);
    vEnd = trimWsEnd(text, vStart, lineEnd);
    folded = null;
  }
  if (info !== null) pushField(fields, info, text, vStart, vEnd, folded);
}

/** Appends a header line, telling the checks where its value lies. */
function pushField(
  fields: HeaderField[],
  info: HeaderInfo,
  text: string,
  start: number,
  end: number,
  folded: string | null,
): void {
  if (info.id !== 0) {
    if (folded === null) CHECKS.record(info.id, fields.length, text, start, end);
    else CHECKS.record(info.id, fields.length, folded, 0, folded.length);
  }
  fields.push({ info, value: folded ?? text.slice(start, end) });
}
