/**
 * The first line of a message (RFC 3261 §7.1 Request-Line, §7.2 Status-Line):
 *   Request-Line = Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
 * Exactly one SP separates the elements: RFC 4475 lwsstart, lwsruri and trws put extra
 * whitespace there and must be refused.
 */
import { source } from './bytes.js';
import { C_TOKEN, CR, isOctet, isToken, parseDigits, SLASH, SP } from './charset.js';
import type { Problems } from './problems.js';
import { emptyUri, parseUriAt, type SipUri, scanUri } from './uri.js';

export interface StartLine {
  /** null when the line is unusable: the message is dropped (its length is still read). */
  kind: 'request' | 'response' | null;
  method: string;
  rawUri: string;
  /** null when the Request-URI did not parse (the problem is noted). */
  uri: SipUri | null;
  status: number;
  reason: string;
  /** Index in the text where the header lines begin. */
  next: number;
}

type VersionCheck = 'ok' | 'unsupported' | 'malformed';

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1; ABNF literals are case-insensitive). */
function checkVersion(v: string): VersionCheck {
  if (v === 'SIP/2.0') return 'ok';
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(v)) return 'malformed';
  return v.toUpperCase() === 'SIP/2.0' ? 'ok' : 'unsupported';
}

/**
 * Reads the start line of the decoded head `text`, whose octets are in `b` from `base` on
 * (see bytes.ts); problems go to `problems`.
 */
export function parseStartLine(text: string, b: Buffer, base: number, problems: Problems): StartLine {
  const nl = text.indexOf('\n');
  const lineEnd = nl < 0 ? text.length : nl - 1;
  const line: StartLine = {
    kind: null,
    method: '',
    rawUri: '',
    uri: null,
    status: 0,
    reason: '',
    next: nl < 0 ? text.length : nl + 1,
  };
  if (nl >= 0 && (nl === 0 || text.charCodeAt(lineEnd) !== CR)) {
    problems.note('Start line not ended by CRLF');
    return line;
  }
  if (nl >= 0 && readUsualRequestLine(text, b, base, lineEnd, line)) return line;
  const startLine = text.slice(0, lineEnd);
  if (startLine.indexOf('\r') >= 0) {
    problems.note('Bare CR in start line');
    return line;
  }
  if (startLine.length >= 4 && startLine.charCodeAt(3) === SLASH && /^sip\//i.test(startLine)) {
    parseStatusLine(startLine, line, problems);
  } else {
    parseRequestLine(startLine, b, base, line, problems);
  }
  return line;
}

/** True when b[i, i + 7) is "SIP/2.0", the SIP-Version of every request this stack answers (§7.1). */
function isSip20(b: Buffer, i: number): boolean {
  return (
    b[i] === 0x53 &&
    b[i + 1] === 0x49 &&
    b[i + 2] === 0x50 &&
    b[i + 3] === 0x2f &&
    b[i + 4] === 0x32 &&
    b[i + 5] === 0x2e &&
    b[i + 6] === 0x30
  );
}

/**
 * The usual Request-Line read straight from the octets: a method token, SP, a URI
 * (scanned once, up to the SP after it), SP, "SIP/2.0". Every octet is checked by the
 * part that reads it, so none can be a bare CR. True when the line is that, `line`
 * filled; false when anything differs, and the general reading below takes over (and
 * finds what is wrong, in the order it reports problems).
 */
function readUsualRequestLine(
  text: string,
  b: Buffer,
  base: number,
  lineEnd: number,
  line: StartLine,
): boolean {
  const end = base + lineEnd;
  let sp1 = base;
  while (sp1 < end && isOctet(b[sp1]!, C_TOKEN)) sp1++;
  if (sp1 === base || sp1 >= end || b[sp1] !== SP) return false;
  const uri = emptyUri();
  source.text = text;
  source.shift = -base;
  const sp2 = scanUri(b, sp1 + 1, end, uri);
  if (sp2 < 0 || end - sp2 !== 8 || b[sp2] !== SP || uri.headers.size > 0 || !isSip20(b, sp2 + 1))
    return false;
  line.kind = 'request';
  line.method = text.slice(0, sp1 - base);
  line.rawUri = text.slice(sp1 + 1 - base, sp2 - base);
  line.uri = uri;
  return true;
}

/** A broken Status-Line makes the response unusable: it is dropped (§18.1.2). */
function parseStatusLine(startLine: string, line: StartLine, problems: Problems): void {
  const sp = startLine.indexOf(' ');
  const version = checkVersion(sp < 0 ? startLine : startLine.slice(0, sp));
  if (version === 'malformed') {
    problems.note('Malformed status line');
    return;
  }
  if (version === 'unsupported') {
    problems.note('SIP version not supported', 505);
    return;
  }
  // Status-Code = 3DIGIT, 100..699 (§7.2, §21); RFC 4475 bigcode has ten digits.
  const codeEnd = sp + 4;
  if (
    sp < 0 ||
    startLine.length < codeEnd ||
    (startLine.length > codeEnd && startLine.charCodeAt(codeEnd) !== SP)
  ) {
    problems.note('Malformed status line');
    return;
  }
  const code = parseDigits(startLine, sp + 1, codeEnd, 699);
  if (code === null || code < 100) {
    problems.note('Bad status code');
    return;
  }
  line.kind = 'response';
  line.status = code;
  // An empty Reason-Phrase is valid (RFC 4475 noreason); a missing SP before it is tolerated.
  line.reason = startLine.length > codeEnd ? startLine.slice(codeEnd + 1) : '';
}

/**
 * A Request-Line with a valid method is usable even when the rest is wrong, so that the
 * UAS can answer 400 or 505 (RFC 4475 §3.1.2).
 */
function parseRequestLine(
  startLine: string,
  b: Buffer,
  base: number,
  line: StartLine,
  problems: Problems,
): void {
  const sp1 = startLine.indexOf(' ');
  const method = sp1 < 0 ? startLine : startLine.slice(0, sp1);
  // Method = INVITEm / ... / extension-method (a token), case-sensitive (§7.1).
  if (!isToken(method)) {
    problems.note('Malformed request line');
    return;
  }
  line.kind = 'request';
  line.method = method;
  const sp2 = sp1 < 0 ? -1 : startLine.indexOf(' ', sp1 + 1);
  const uriStart = sp1 < 0 ? 0 : sp1 + 1;
  const uriEnd = sp1 < 0 ? 0 : sp2 < 0 ? startLine.length : sp2;
  line.rawUri = startLine.slice(uriStart, uriEnd);
  const version = sp2 < 0 ? 'malformed' : checkVersion(startLine.slice(sp2 + 1));
  if (version === 'malformed') problems.note('Malformed request line');
  // Another protocol version is understood only as far as to answer 505 (§21.5.6).
  else if (version === 'unsupported') problems.note('SIP version not supported', 505);
  // The Request-URI is read where it lies: the start line is the first line of the head.
  line.uri = parseUriAt(b, base + uriStart, base + uriEnd, startLine, -base);
  if (line.uri === null) {
    problems.note('Malformed Request-URI');
  } else if (line.uri.headers.size > 0) {
    // §19.1.1 table: URI headers are not allowed in a Request-URI (RFC 4475 escruri).
    problems.note('Request-URI must not contain headers');
  }
}
