/**
 * The start line and header section of a message (RFC 3261 §7.1, §7.2, §7.3), shared by
 * the datagram parser (parse.ts) and the stream framer (stream-framer.ts), which differ
 * only in how they find the body (§18.3).
 *
 * Header values are kept raw; only the headers a transaction and a response need are
 * checked here (§8.1.1, §8.2.6.2): top Via, From, To, Call-ID, CSeq, Max-Forwards,
 * Content-Length, and Contact and Date, whose RFC 4475 malformations (regbadct,
 * baddate) must be caught before an application trusts them. The checks run the typed
 * parsers in validate-only mode, which allocates nothing.
 */
import { isUtf8 } from 'node:buffer';
import { CR, HT, isToken, parseDigits, SLASH, SP, skipWs, trimWsEnd } from './charset.js';
import { parseCSeq } from './cseq.js';
import {
  H_CALL_ID,
  H_CONTACT,
  H_CONTENT_LENGTH,
  H_COUNT,
  H_CSEQ,
  H_DATE,
  H_FROM,
  H_MAX_FORWARDS,
  H_TO,
  H_VIA,
  type HeaderInfo,
  headerInfo,
  lookupHeaderRange,
} from './header-names.js';
import { type HeaderField, Headers } from './headers.js';
import { nextComma } from './list.js';
import { isValidContacts, isValidNameAddrRange } from './name-addr.js';
import { isValidSipDate } from './sip-date.js';
import type { SipMessage, SipRequest } from './types.js';
import { parseUri, type SipUri } from './uri.js';
import { isValidViaRange } from './via.js';

export interface Failure {
  reason: string;
  status: 400 | 505 | 413;
}

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

/** Content-Length, like CSeq, must fit a signed 32-bit integer. */
const MAX_CONTENT_LENGTH = 2 ** 31 - 1;
const EMPTY_BODY = Buffer.alloc(0);

const NAMES: Record<number, string> = {
  [H_VIA]: 'Via',
  [H_FROM]: 'From',
  [H_TO]: 'To',
  [H_CALL_ID]: 'Call-ID',
  [H_CSEQ]: 'CSeq',
  [H_MAX_FORWARDS]: 'Max-Forwards',
};

/** The headers without which a response cannot be built or matched (§8.1.1). */
const MANDATORY = [H_VIA, H_FROM, H_TO, H_CALL_ID, H_CSEQ];
/** Headers that are not lists and so may appear once only (§7.3.1; RFC 4475 multi01). */
const SINGLE = [H_FROM, H_TO, H_CALL_ID, H_CSEQ, H_MAX_FORWARDS];

/**
 * Per-parse scratch: index of the first field and number of fields per H_* id. Parsing is
 * synchronous and not re-entrant, so one pair of arrays serves every call.
 */
const FIRST = new Int32Array(H_COUNT);
const COUNT = new Int32Array(H_COUNT);

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

type VersionCheck = 'ok' | 'unsupported' | 'malformed';

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1; ABNF literals are case-insensitive). */
function checkVersion(v: string): VersionCheck {
  if (v === 'SIP/2.0') return 'ok';
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(v)) return 'malformed';
  return v.toUpperCase() === 'SIP/2.0' ? 'ok' : 'unsupported';
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

function unusable(reason: string, status: 400 | 505 = 400): ParsedHead {
  return { message: null, failure: { reason, status }, canRespond: false, contentLength: null };
}

/** Collects the first problem; later ones are usually consequences of it. */
class Problems {
  failure: Failure | null = null;
  /** Whether the top Via parsed: without it no response can be sent (§18.2.2). */
  viaOk = false;
  note(reason: string, status: 400 | 505 | 413 = 400): void {
    if (this.failure === null) this.failure = { reason, status };
  }
}

/**
 * Parses data[start, end): the start line and header lines, each ending in CRLF (the last
 * one may lack it when `terminated` is false, i.e. no empty line was found).
 */
export function parseHead(data: Buffer, start: number, end: number, terminated: boolean): ParsedHead {
  const text = decodeHead(data, start, end);
  const len = text.length;
  const problems = new Problems();

  // ---- start line (§7.1 Request-Line, §7.2 Status-Line) ----
  let nl = text.indexOf('\n');
  let lineEnd = nl < 0 ? len : nl - 1;
  if (nl >= 0 && (nl === 0 || text.charCodeAt(lineEnd) !== CR))
    return unusable('Start line not ended by CRLF');
  const startLine = text.slice(0, lineEnd);
  if (startLine.indexOf('\r') >= 0) return unusable('Bare CR in start line');
  let pos = nl < 0 ? len : nl + 1;

  let method = '';
  let rawUri = '';
  let uri: SipUri | null = null;
  let status = 0;
  let reason = '';
  const isResponse = startLine.length >= 4 && startLine.charCodeAt(3) === SLASH && /^sip\//i.test(startLine);

  if (isResponse) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase. A broken response is
    // dropped (§18.1.2), so the first problem ends parsing.
    const sp = startLine.indexOf(' ');
    const version = checkVersion(sp < 0 ? startLine : startLine.slice(0, sp));
    if (version === 'malformed') return unusable('Malformed status line');
    if (version === 'unsupported') return unusable('SIP version not supported', 505);
    // Status-Code = 3DIGIT, 100..699 (§7.2, §21); RFC 4475 bigcode has ten digits.
    const codeEnd = sp + 4;
    if (
      sp < 0 ||
      startLine.length < codeEnd ||
      (startLine.length > codeEnd && startLine.charCodeAt(codeEnd) !== SP)
    ) {
      return unusable('Malformed status line');
    }
    const code = parseDigits(startLine, sp + 1, codeEnd, 699);
    if (code === null || code < 100) return unusable('Bad status code');
    status = code;
    // An empty Reason-Phrase is valid (noreason); a missing SP before it is tolerated.
    reason = startLine.length > codeEnd ? startLine.slice(codeEnd + 1) : '';
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly one SP each
    // (RFC 4475 lwsstart, lwsruri, trws put extra whitespace there).
    const sp1 = startLine.indexOf(' ');
    method = sp1 < 0 ? startLine : startLine.slice(0, sp1);
    if (!isToken(method)) return unusable('Malformed request line');
    const sp2 = sp1 < 0 ? -1 : startLine.indexOf(' ', sp1 + 1);
    rawUri = sp1 < 0 ? '' : startLine.slice(sp1 + 1, sp2 < 0 ? startLine.length : sp2);
    const version = sp2 < 0 ? 'malformed' : checkVersion(startLine.slice(sp2 + 1));
    if (version === 'malformed') problems.note('Malformed request line');
    // Another protocol version is understood only as far as to answer 505 (§21.5.6).
    else if (version === 'unsupported') problems.note('SIP version not supported', 505);
    uri = parseUri(rawUri);
    if (uri === null) {
      problems.note('Malformed Request-URI');
    } else if (uri.headers.size > 0) {
      // §19.1.1 table: URI headers are not allowed in a Request-URI (RFC 4475 escruri).
      problems.note('Request-URI must not contain headers');
    }
  }

  // ---- header lines (§7.3) ----
  const fields: HeaderField[] = [];
  FIRST.fill(-1);
  COUNT.fill(0);
  let info: HeaderInfo | null = null;
  let value = '';

  while (pos < len) {
    nl = text.indexOf('\n', pos);
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
      if (e > s) value = value.length > 0 ? `${value} ${text.slice(s, e)}` : text.slice(s, e);
      continue;
    }
    if (info !== null) {
      pushField(fields, info, value);
      info = null;
    }
    const colon = text.indexOf(':', lineStart);
    if (colon < 0 || colon >= lineEnd) {
      problems.note('Header line without a colon');
      continue;
    }
    // HCOLON = *( SP / HTAB ) ":" SWS
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
    const vs = skipWs(text, colon + 1, lineEnd);
    value = text.slice(vs, trimWsEnd(text, vs, lineEnd));
  }
  if (info !== null) pushField(fields, info, value);

  const contentLength = checkHeaders(fields, problems, isResponse ? null : method);
  // §7: "the empty line MUST be present even if the message-body is not".
  if (!terminated) problems.note('No empty line after the header fields');

  const headers = Headers.fromFields(fields);
  if (isResponse) {
    return {
      message: { kind: 'response', status, reason, headers, body: EMPTY_BODY },
      failure: problems.failure,
      canRespond: false,
      contentLength,
    };
  }
  const request: SipRequest = {
    kind: 'request',
    method,
    uri: uri ?? unparsedUri(),
    rawUri,
    headers,
    body: EMPTY_BODY,
  };
  const canRespond =
    problems.viaOk && COUNT[H_FROM]! > 0 && COUNT[H_TO]! > 0 && COUNT[H_CALL_ID]! > 0 && COUNT[H_CSEQ]! > 0;
  return { message: request, failure: problems.failure, canRespond, contentLength };
}

function firstValue(fields: HeaderField[], id: number): string {
  return fields[FIRST[id]!]!.value;
}

function pushField(fields: HeaderField[], info: HeaderInfo, value: string): void {
  const id = info.id;
  if (id !== 0) {
    if (COUNT[id] === 0) FIRST[id] = fields.length;
    COUNT[id] = COUNT[id]! + 1;
  }
  fields.push({ info, value });
}

/**
 * Checks the headers everything downstream relies on; returns the Content-Length (null
 * when absent, -1 when unusable). `method` is null for a response.
 */
function checkHeaders(fields: HeaderField[], problems: Problems, method: string | null): number | null {
  for (const id of MANDATORY) if (COUNT[id] === 0) problems.note(`Missing ${NAMES[id]} header`);
  for (const id of SINGLE) if (COUNT[id]! > 1) problems.note(`Multiple ${NAMES[id]} headers`);

  if (COUNT[H_VIA]! > 0) {
    // Only the top Via decides where a response goes (§18.2.2); the others are checked
    // by whoever reads them.
    const via = firstValue(fields, H_VIA);
    problems.viaOk = isValidViaRange(via, 0, nextComma(via, 0, via.length));
    if (!problems.viaOk) problems.note('Malformed Via header');
  }
  if (COUNT[H_CSEQ]! > 0) {
    const cseq = parseCSeq(firstValue(fields, H_CSEQ));
    if (cseq === null) problems.note('Malformed CSeq header');
    // §8.1.1.5: the CSeq method MUST match the request's (RFC 4475 mismatch01, mismatch02).
    else if (method !== null && cseq.method !== method)
      problems.note('CSeq method does not match the request method');
  }
  if (COUNT[H_FROM]! > 0) {
    const from = firstValue(fields, H_FROM);
    if (!isValidNameAddrRange(from, 0, from.length)) problems.note('Malformed From header');
  }
  if (COUNT[H_TO]! > 0) {
    const to = firstValue(fields, H_TO);
    if (!isValidNameAddrRange(to, 0, to.length)) problems.note('Malformed To header');
  }
  if (COUNT[H_CALL_ID]! > 0) {
    // callid = word [ "@" word ]: checked only for emptiness and whitespace, since
    // deployed UAs put characters outside "word" (e.g. "=" of base64) into Call-IDs.
    const callId = firstValue(fields, H_CALL_ID);
    if (callId.length === 0 || callId.indexOf(' ') >= 0 || callId.indexOf('\t') >= 0) {
      problems.note('Malformed Call-ID header');
    }
  }
  if (method !== null && COUNT[H_MAX_FORWARDS]! > 0) {
    // Max-Forwards = 1*DIGIT, 0..255 (§20.22; RFC 4475 scalar02).
    const mf = firstValue(fields, H_MAX_FORWARDS);
    if (parseDigits(mf, 0, mf.length, 255) === null) problems.note('Malformed Max-Forwards header');
  }

  let contentLength: number | null = null;
  if (COUNT[H_CONTENT_LENGTH]! > 0) {
    for (let i = FIRST[H_CONTENT_LENGTH]!; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.info.id !== H_CONTENT_LENGTH) continue;
      const n = parseDigits(f.value, 0, f.value.length, MAX_CONTENT_LENGTH);
      if (n === null) {
        problems.note('Malformed Content-Length header');
        return -1;
      }
      // Repeating the same length is harmless; two different ones leave the body
      // boundary unknown (RFC 4475 mcl01).
      if (contentLength !== null && n !== contentLength) {
        problems.note('Conflicting Content-Length headers');
        return -1;
      }
      contentLength = n;
    }
  }
  if (COUNT[H_CONTACT]! > 0) {
    for (let i = FIRST[H_CONTACT]!; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.info.id === H_CONTACT && !isValidContacts(f.value)) {
        problems.note('Malformed Contact header');
        break;
      }
    }
  }
  if (COUNT[H_DATE]! > 0 && !isValidSipDate(firstValue(fields, H_DATE)))
    problems.note('Malformed Date header');
  return contentLength;
}
