/**
 * The first line of a message (RFC 3261 §7.1 Request-Line, §7.2 Status-Line):
 *   Request-Line = Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
 * Exactly one SP separates the elements: RFC 4475 lwsstart, lwsruri and trws put extra
 * whitespace there and must be refused.
 */
import { CR, isToken, parseDigits, SLASH, SP } from './charset.js';
import type { Problems } from './problems.js';
import { parseUri, type SipUri } from './uri.js';

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

/** Reads the start line of the decoded head `text`; problems go to `problems`. */
export function parseStartLine(text: string, problems: Problems): StartLine {
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
  const startLine = text.slice(0, lineEnd);
  if (startLine.indexOf('\r') >= 0) {
    problems.note('Bare CR in start line');
    return line;
  }
  if (startLine.length >= 4 && startLine.charCodeAt(3) === SLASH && /^sip\//i.test(startLine)) {
    parseStatusLine(startLine, line, problems);
  } else {
    parseRequestLine(startLine, line, problems);
  }
  return line;
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
function parseRequestLine(startLine: string, line: StartLine, problems: Problems): void {
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
}
