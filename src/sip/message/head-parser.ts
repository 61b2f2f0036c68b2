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
import { scanCSeq } from './cseq.js';
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
import { isValidContactsRange, isValidNameAddrRange } from './name-addr.js';
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
 * Where the first value of each H_* header lies: in the decoded head text (or in the
 * unfolded value when it was folded) between START and END. The checks scan it there:
 * scanning the flat head text is markedly faster than scanning sliced substrings.
 */
const SRC: string[] = new Array<string>(H_COUNT).fill('');
const START = new Int32Array(H_COUNT);
const END = new Int32Array(H_COUNT);
/** The same for every Contact line (all of them are checked): source, start, end triples. */
const CONTACT_SRC: string[] = [];
const CONTACT_RANGE: number[] = [];

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

/** Collects the first problem; later ones are usually consequences of it. */
class Problems {
  failure: Failure | null = null;
  /** Whether the top Via parsed: without it no response can be sent (§18.2.2). */
  viaOk = false;
  note(reason: string, status: 400 | 505 | 413 = 400): void {
    if (this.failure === null) this.failure = { reason, status };
  }
}

interface StartLine {
  /** null when the line is unusable: the message is dropped (its length is still read). */
  kind: 'request' | 'response' | null;
  method: string;
  rawUri: string;
  uri: SipUri | null;
  status: number;
  reason: string;
  /** Where the header lines begin. */
  next: number;
}

/** The start line (§7.1 Request-Line, §7.2 Status-Line); problems go to `problems`. */
function parseStartLine(text: string, problems: Problems): StartLine {
  const len = text.length;
  const nl = text.indexOf('\n');
  const lineEnd = nl < 0 ? len : nl - 1;
  const line: StartLine = {
    kind: null,
    method: '',
    rawUri: '',
    uri: null,
    status: 0,
    reason: '',
    next: nl < 0 ? len : nl + 1,
  };
  if (nl >= 0 && (nl === 0 || text.charCodeAt(lineEnd) !== CR)) {
    problems.note('Start line not ended by CRLF');
    return line;
  }
  const startLine = text.slice(0, lineEnd);
  if (startLine.indexOf('\r') >= 0) {
    problems.note('Bare CR in start line');
    return line;
  }

  if (startLine.length >= 4 && startLine.charCodeAt(3) === SLASH && /^sip\//i.test(startLine)) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase. A broken one makes the
    // response unusable: it is dropped (§18.1.2).
    const sp = startLine.indexOf(' ');
    const version = checkVersion(sp < 0 ? startLine : startLine.slice(0, sp));
    if (version === 'malformed') {
      problems.note('Malformed status line');
      return line;
    }
    if (version === 'unsupported') {
      problems.note('SIP version not supported', 505);
      return line;
    }
    // Status-Code = 3DIGIT, 100..699 (§7.2, §21); RFC 4475 bigcode has ten digits.
    const codeEnd = sp + 4;
    if (
      sp < 0 ||
      startLine.length < codeEnd ||
      (startLine.length > codeEnd && startLine.charCodeAt(codeEnd) !== SP)
    ) {
      problems.note('Malformed status line');
      return line;
    }
    const code = parseDigits(startLine, sp + 1, codeEnd, 699);
    if (code === null || code < 100) {
      problems.note('Bad status code');
      return line;
    }
    line.kind = 'response';
    line.status = code;
    // An empty Reason-Phrase is valid (noreason); a missing SP before it is tolerated.
    line.reason = startLine.length > codeEnd ? startLine.slice(codeEnd + 1) : '';
    return line;
  }

  // Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly one SP each
  // (RFC 4475 lwsstart, lwsruri, trws put extra whitespace there).
  const sp1 = startLine.indexOf(' ');
  const method = sp1 < 0 ? startLine : startLine.slice(0, sp1);
  if (!isToken(method)) {
    problems.note('Malformed request line');
    return line;
  }
  line.kind = 'request';
  line.method = method;
  const sp2 = sp1 < 0 ? -1 : startLine.indexOf(' ', sp1 + 1);
  line.rawUri = sp1 < 0 ? '' : startLine.slice(sp1 + 1, sp2 < 0 ? startLine.length : sp2);
  const version = sp2 < 0 ? 'malformed' : checkVersion(startLine.slice(sp2 + 1));
  if (version === 'malformed') problems.note('Malformed request line');
  // Another protocol version is understood only as far as to answer 505 (§21.5.6).
  else if (version === 'unsupported') problems.note('SIP version not supported', 505);
  line.uri = parseUri(line.rawUri);
  if (line.uri === null) {
    problems.note('Malformed Request-URI');
  } else if (line.uri.headers.size > 0) {
    // §19.1.1 table: URI headers are not allowed in a Request-URI (RFC 4475 escruri).
    problems.note('Request-URI must not contain headers');
  }
  return line;
}

/**
 * Parses data[start, end): the start line and header lines, each ending in CRLF (the last
 * one may lack it when `terminated` is false, i.e. no empty line was found). The header
 * lines are read even after an unusable start line, so a stream can skip the message
 * by its Content-Length.
 */
export function parseHead(data: Buffer, start: number, end: number, terminated: boolean): ParsedHead {
  const text = decodeHead(data, start, end);
  const len = text.length;
  const problems = new Problems();
  const line = parseStartLine(text, problems);
  let pos = line.next;
  let nl = 0;
  let lineEnd = 0;

  // ---- header lines (§7.3) ----
  const fields: HeaderField[] = [];
  FIRST.fill(-1);
  COUNT.fill(0);
  CONTACT_SRC.length = 0;
  CONTACT_RANGE.length = 0;
  let info: HeaderInfo | null = null;
  // The pending header's value: text[vStart, vEnd), or `folded` once continuation lines
  // have been joined to it.
  let vStart = 0;
  let vEnd = 0;
  let folded: string | null = null;

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
    vStart = skipWs(text, colon + 1, lineEnd);
    vEnd = trimWsEnd(text, vStart, lineEnd);
    folded = null;
  }
  if (info !== null) pushField(fields, info, text, vStart, vEnd, folded);

  // Headers are checked even for an unusable start line: the stream framer needs the
  // Content-Length to skip the message; the CSeq method is compared for requests only.
  const contentLength = checkHeaders(fields, problems, line.kind === 'request' ? line.method : null);
  // §7: "the empty line MUST be present even if the message-body is not".
  if (!terminated) problems.note('No empty line after the header fields');

  if (line.kind === null)
    return { message: null, failure: problems.failure, canRespond: false, contentLength };
  const headers = Headers.fromFields(fields);
  if (line.kind === 'response') {
    return {
      message: { kind: 'response', status: line.status, reason: line.reason, headers, body: EMPTY_BODY },
      failure: problems.failure,
      canRespond: false,
      contentLength,
    };
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
    problems.viaOk && COUNT[H_FROM]! > 0 && COUNT[H_TO]! > 0 && COUNT[H_CALL_ID]! > 0 && COUNT[H_CSEQ]! > 0;
  return { message: request, failure: problems.failure, canRespond, contentLength };
}

/** Appends a header line, noting where the value of a header the checks need lies. */
function pushField(
  fields: HeaderField[],
  info: HeaderInfo,
  text: string,
  start: number,
  end: number,
  folded: string | null,
): void {
  const value = folded ?? text.slice(start, end);
  const id = info.id;
  if (id !== 0) {
    const src = folded ?? text;
    if (folded !== null) {
      start = 0;
      end = folded.length;
    }
    if (COUNT[id] === 0) {
      FIRST[id] = fields.length;
      SRC[id] = src;
      START[id] = start;
      END[id] = end;
    }
    COUNT[id] = COUNT[id]! + 1;
    if (id === H_CONTACT) {
      CONTACT_SRC.push(src);
      CONTACT_RANGE.push(start, end);
    }
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
    const src = SRC[H_VIA]!;
    problems.viaOk = isValidViaRange(src, START[H_VIA]!, nextComma(src, START[H_VIA]!, END[H_VIA]!));
    if (!problems.viaOk) problems.note('Malformed Via header');
  }
  if (COUNT[H_CSEQ]! > 0) {
    const cseq = scanCSeq(SRC[H_CSEQ]!, START[H_CSEQ]!, END[H_CSEQ]!);
    if (cseq === null) problems.note('Malformed CSeq header');
    // §8.1.1.5: the CSeq method MUST match the request's (RFC 4475 mismatch01, mismatch02).
    else if (method !== null && cseq.method !== method)
      problems.note('CSeq method does not match the request method');
  }
  if (COUNT[H_FROM]! > 0 && !isValidNameAddrRange(SRC[H_FROM]!, START[H_FROM]!, END[H_FROM]!)) {
    problems.note('Malformed From header');
  }
  if (COUNT[H_TO]! > 0 && !isValidNameAddrRange(SRC[H_TO]!, START[H_TO]!, END[H_TO]!)) {
    problems.note('Malformed To header');
  }
  if (COUNT[H_CALL_ID]! > 0) {
    // callid = word [ "@" word ]: checked only for emptiness and whitespace, since
    // deployed UAs put characters outside "word" (e.g. "=" of base64) into Call-IDs.
    const src = SRC[H_CALL_ID]!;
    const start = START[H_CALL_ID]!;
    const end = END[H_CALL_ID]!;
    const sp = src.indexOf(' ', start);
    const ht = src.indexOf('\t', start);
    if (end <= start || (sp >= 0 && sp < end) || (ht >= 0 && ht < end))
      problems.note('Malformed Call-ID header');
  }
  if (method !== null && COUNT[H_MAX_FORWARDS]! > 0) {
    // Max-Forwards = 1*DIGIT, 0..255 (§20.22; RFC 4475 scalar02).
    if (parseDigits(SRC[H_MAX_FORWARDS]!, START[H_MAX_FORWARDS]!, END[H_MAX_FORWARDS]!, 255) === null) {
      problems.note('Malformed Max-Forwards header');
    }
  }
  for (let i = 0; i < CONTACT_SRC.length; i++) {
    if (!isValidContactsRange(CONTACT_SRC[i]!, CONTACT_RANGE[2 * i]!, CONTACT_RANGE[2 * i + 1]!)) {
      problems.note('Malformed Contact header');
      break;
    }
  }
  if (COUNT[H_DATE]! > 0 && !isValidSipDate(SRC[H_DATE]!.slice(START[H_DATE]!, END[H_DATE]!))) {
    problems.note('Malformed Date header');
  }

  let contentLength: number | null = null;
  if (COUNT[H_CONTENT_LENGTH]! > 0) {
    for (let i = FIRST[H_CONTENT_LENGTH]!; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.info.id !== H_CONTENT_LENGTH) continue;
      const n = parseDigits(f.value, 0, f.value.length, MAX_CONTENT_LENGTH);
      if (n === null) {
        problems.note('Malformed Content-Length header');
        contentLength = -1;
        break;
      }
      // Repeating the same length is harmless; two different ones leave the body
      // boundary unknown (RFC 4475 mcl01).
      if (contentLength !== null && n !== contentLength) {
        problems.note('Conflicting Content-Length headers');
        contentLength = -1;
        break;
      }
      contentLength = n;
    }
  }
  // Drop the references to this message's text.
  SRC.fill('');
  CONTACT_SRC.length = 0;
  return contentLength;
}
