/**
 * The start line and header section of a message (RFC 3261 §7), shared by the datagram
 * parser (parse.ts) and the stream framer (stream-framer.ts), which differ only in how
 * they find the body (§18.3).
 *
 * Header values are kept raw (unfolded and trimmed, §7.3.1) and parsed on demand;
 * header-checks.ts validates the few that must be right before anything else runs.
 */
import { isUtf8 } from 'node:buffer';
import { headBytesOf } from './bytes.js';
import { C_TOKEN, CR, HT, isOctet, SP, skipWs, skipWsAt, trimWsEnd, trimWsEndAt } from './charset.js';
import { HeaderChecks } from './header-checks.js';
import {
  H_CALL_ID,
  H_CSEQ,
  H_FROM,
  H_TO,
  type HeaderInfo,
  headerInfo,
  matchHeaderName,
  nameMatch,
} from './header-names.js';
import { Headers } from './headers.js';
import { type Failure, Problems } from './problems.js';
import { parseStartLine } from './start-line.js';
import type { SipMessage, SipRequest } from './types.js';
import { emptyUri } from './uri.js';

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
  /** Index in the data of the CRLF CRLF that ends the head, -1 when there is none. */
  headEnd: number;
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

/**
 * Parses data[start, end): the start line and header lines, each ending in CRLF (the last
 * one may lack it when `terminated` is false, i.e. no empty line was found). The header
 * lines are read even after an unusable start line, so a stream can skip the message
 * by its Content-Length.
 */
export function parseHead(data: Buffer, start: number, end: number, terminated: boolean): ParsedHead {
  const text = decodeHead(data, start, end);
  // The scanners read octets (see bytes.ts): the datagram's own when the text has one
  // character per octet (ASCII, or the Latin-1 fallback), else a copy of the text.
  const aligned = text.length === end - start;
  return readHead(text, aligned ? data : headBytesOf(text), aligned ? start : 0, terminated ? end - 2 : -1);
}

/**
 * parseHead() of data[start...] that is all ASCII, already decoded as `text`, whose end
 * is not known yet: the head ends at its first empty line, as if found by searching for
 * the first CRLF CRLF (§7), which the line reader comes upon anyway.
 */
export function parseHeadToEmptyLine(data: Buffer, start: number, text: string): ParsedHead {
  return readHead(text, data, start, FIND_END);
}

/** readHead()'s `headEnd` when the lines are to be read up to the first empty line. */
const FIND_END = -2;

function readHead(text: string, b: Buffer, base: number, headEnd: number): ParsedHead {
  const problems = new Problems();
  const line = parseStartLine(text, b, base, problems);
  const infos: HeaderInfo[] = [];
  const values: string[] = [];
  CHECKS.reset(text, b, base);
  const stop = readHeaderLines(text, b, base, line.next, infos, values, problems, headEnd === FIND_END);
  if (headEnd === FIND_END) headEnd = stop < 0 ? -1 : base + stop - 2;

  // Checked even after an unusable start line: the framer needs the Content-Length.
  const contentLength = CHECKS.check(infos, values, problems, line.kind === 'request' ? line.method : null);
  // §7: "the empty line MUST be present even if the message-body is not".
  if (headEnd < 0) problems.note('No empty line after the header fields');

  if (line.kind === null)
    return { message: null, failure: problems.failure, canRespond: false, contentLength, headEnd };
  const headers = Headers.fromLines(infos, values);
  if (line.kind === 'response') {
    const message: SipMessage = {
      kind: 'response',
      status: line.status,
      reason: line.reason,
      headers,
      body: EMPTY_BODY,
    };
    return { message, failure: problems.failure, canRespond: false, contentLength, headEnd };
  }
  const request: SipRequest = {
    kind: 'request',
    method: line.method,
    // A Request-URI that could not be parsed stands as an empty one (see ParseError.partial).
    uri: line.uri ?? emptyUri(),
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
  return { message: request, failure: problems.failure, canRespond, contentLength, headEnd };
}

/**
 * The header lines from `pos` to the end of `text` (§7.3):
 *   message-header = header-name HCOLON header-value CRLF, HCOLON = *( SP / HTAB ) ":" SWS
 * A line starting with SP or HT continues the previous one (§7.3.1). A bad line is
 * noted and skipped, so the rest still yields what a 400 response needs. With `toEmpty`
 * the lines end at the first empty line that follows a CRLF, whose index is returned
 * (-1 when there is none).
 */
function readHeaderLines(
  text: string,
  b: Buffer,
  base: number,
  pos: number,
  infos: HeaderInfo[],
  values: string[],
  problems: Problems,
  toEmpty: boolean,
): number {
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
      if (lineEnd < pos || b[base + lineEnd] !== CR) {
        problems.note('Header line not ended by CRLF');
        pos = nl + 1;
        continue;
      }
    }
    const lineStart = pos;
    pos = nl + 1;
    if (toEmpty && lineEnd === lineStart && lineStart >= 2 && b[base + lineStart - 2] === CR) {
      if (info !== null) pushLine(infos, values, info, text, vStart, vEnd, folded);
      return lineStart;
    }
    // A bare CR would end the line for some other parser: refuse it (header injection).
    const cr = text.indexOf('\r', lineStart);
    if (cr >= 0 && cr < lineEnd) {
      problems.note('Bare CR in header line');
      continue;
    }
    const c0 = b[base + lineStart];
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
      pushLine(infos, values, info, text, vStart, vEnd, folded);
      info = null;
    }
    // header-name HCOLON, HCOLON = *( SP / HTAB ) ":" SWS. A registered name is matched
    // where it lies; any other line has its colon found natively and its name checked.
    const nameStart = base + lineStart;
    let known = matchHeaderName(b, nameStart, base + lineEnd);
    let colon = nameMatch.colon - base;
    if (known === undefined) {
      colon = text.indexOf(':', lineStart);
      if (colon < 0 || colon >= lineEnd) {
        problems.note('Header line without a colon');
        continue;
      }
      // Not a registered name (those were all tried): an extension header, whose name
      // must be a token.
      const nameEnd = trimWsEndAt(b, nameStart, base + colon);
      let t = nameStart;
      while (t < nameEnd && isOctet(b[t]!, C_TOKEN)) t++;
      if (t === nameStart || t !== nameEnd) {
        problems.note('Malformed header name');
        continue;
      }
      known = headerInfo(text.slice(lineStart, nameEnd - base));
    }
    info = known;
    const last = base + lineEnd;
    const i = skipWsAt(b, base + colon + 1, last);
    vStart = i - base;
    vEnd = trimWsEndAt(b, i, last) - base;
    folded = null;
  }
  if (info !== null) pushLine(infos, values, info, text, vStart, vEnd, folded);
  return -1;
}

/** Appends a header line, telling the checks where its value lies. */
function pushLine(
  infos: HeaderInfo[],
  values: string[],
  info: HeaderInfo,
  text: string,
  start: number,
  end: number,
  folded: string | null,
): void {
  if (info.id !== 0) {
    if (folded === null) CHECKS.record(info.id, infos.length, text, start, end);
    else CHECKS.record(info.id, infos.length, folded, 0, folded.length);
  }
  infos.push(info);
  values.push(folded ?? text.slice(start, end));
}
