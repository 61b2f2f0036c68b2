/**
 * Header names: canonical spelling, compact forms (RFC 3261 §7.3.3 and the IANA "Header
 * Fields" registry) and which headers are comma-separated lists (§7.3.1).
 *
 * Names are case-insensitive; a message's headers are compared by `key` (lower-case
 * full name), written with `name` (the canonical spelling for registered headers, the
 * spelling first seen for extension headers).
 */

export interface HeaderInfo {
  /** Spelling used when writing the header. */
  readonly name: string;
  /** Lower-case full name: the identity of the header. */
  readonly key: string;
  /** True when the grammar is `1#element`, so one line may carry several values. */
  readonly list: boolean;
  /** Small integer for the headers the parser validates (H_*), 0 for the rest. */
  readonly id: number;
  /**
   * What the serializer writes before the value: CRLF ending the previous line, the name
   * and ": ". One string per header instead of three keeps the text it assembles a
   * shallower tree, which V8 flattens faster when encoding it.
   */
  readonly lead: string;
}

export const H_OTHER = 0;
export const H_VIA = 1;
export const H_FROM = 2;
export const H_TO = 3;
export const H_CALL_ID = 4;
export const H_CSEQ = 5;
export const H_MAX_FORWARDS = 6;
export const H_CONTENT_LENGTH = 7;
export const H_CONTACT = 8;
export const H_DATE = 9;
/** Number of H_* ids, for per-message counters. */
export const H_COUNT = 10;

/**
 * Registered headers whose grammar is a comma-separated list. Never in here, although
 * their values contain commas: WWW-Authenticate, Authorization, Proxy-Authenticate,
 * Proxy-Authorization, Authentication-Info (one challenge or credentials per line,
 * §20.7, §20.27), Date (an RFC 1123 date), and text headers (Subject, Organization,
 * Server, User-Agent).
 */
const LIST_HEADERS = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Resource-Priority',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Call-Info',
  'Contact',
  'Content-Encoding',
  'Content-Language',
  'Diversion',
  'Error-Info',
  'Geolocation',
  'History-Info',
  'In-Reply-To',
  'P-Asserted-Identity',
  'P-Associated-URI',
  'P-Early-Media',
  'P-Preferred-Identity',
  'P-Visited-Network-ID',
  'Path',
  'Permission-Missing',
  'Policy-Contact',
  'Proxy-Require',
  'Reason',
  'Record-Route',
  'Recv-Info',
  'Reject-Contact',
  'Remote-Party-ID',
  'Request-Disposition',
  'Require',
  'Resource-Priority',
  'Route',
  'Security-Client',
  'Security-Server',
  'Security-Verify',
  'Service-Route',
  'Supported',
  'Trigger-Consent',
  'Unsupported',
  'User-to-User',
  'Via',
  'Warning',
];

/** Registered headers that are single values, with their canonical spelling. */
const SINGLE_HEADERS = [
  'Answer-Mode',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Content-Disposition',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Event',
  'Expires',
  'Feature-Caps',
  'Flow-Timer',
  'From',
  'Geolocation-Error',
  'Geolocation-Routing',
  'Identity',
  'Identity-Info',
  'Info-Package',
  'Join',
  'Max-Breadth',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Min-SE',
  'Organization',
  'P-Access-Network-Info',
  'P-Called-Party-ID',
  'P-Charging-Vector',
  'Priority',
  'Priv-Answer-Mode',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'RAck',
  'Refer-Sub',
  'Refer-To',
  'Referred-By',
  'Replaces',
  'Reply-To',
  'Retry-After',
  'RSeq',
  'Server',
  'Session-Expires',
  'Session-ID',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Suppress-If-Match',
  'Target-Dialog',
  'Timestamp',
  'To',
  'User-Agent',
  'WWW-Authenticate',
];

/** Compact forms: RFC 3261 §7.3.3 plus later registrations (IANA SIP parameters). */
const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const IDS: Record<string, number> = {
  via: H_VIA,
  from: H_FROM,
  to: H_TO,
  'call-id': H_CALL_ID,
  cseq: H_CSEQ,
  'max-forwards': H_MAX_FORWARDS,
  'content-length': H_CONTENT_LENGTH,
  contact: H_CONTACT,
  date: H_DATE,
};

interface Spelling {
  /** Lower-case spelling: a full name or a compact letter. */
  readonly lower: string;
  /** The same as octets, for lookupHeaderBytes(). */
  readonly octets: Uint8Array;
  readonly info: HeaderInfo;
}

/**
 * Registered spellings bucketed by length and lower-cased first letter, so the parser
 * identifies a header name in place, without slicing it out or hashing it.
 */
const MAX_NAME = 64;
const BUCKETS: (Spelling[] | undefined)[] = new Array(MAX_NAME * 128);

function addSpelling(lower: string, info: HeaderInfo): void {
  const slot = lower.length * 128 + lower.charCodeAt(0);
  const spelling = { lower, octets: Buffer.from(lower, 'latin1'), info };
  const bucket = BUCKETS[slot];
  if (bucket === undefined) BUCKETS[slot] = [spelling];
  else bucket.push(spelling);
}

const BY_KEY = new Map<string, HeaderInfo>();

/** A copy of an ASCII string as one flat string (a template literal may give a tree of parts). */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function register(name: string, list: boolean): void {
  const key = name.toLowerCase();
  const info: HeaderInfo = { name, key, list, id: IDS[key] ?? H_OTHER, lead: flat(`\r\n${name}: `) };
  BY_KEY.set(key, info);
  addSpelling(key, info);
}

for (const name of LIST_HEADERS) register(name, true);
for (const name of SINGLE_HEADERS) register(name, false);
for (const [letter, name] of Object.entries(COMPACT)) {
  const info = BY_KEY.get(name.toLowerCase());
  if (info === undefined) throw new Error(`compact form ${letter} names unknown header ${name}`);
  addSpelling(letter, info);
}

/**
 * The header lines of a typical request or response, most frequent first: the order in
 * which matchHeaderName() tries the spellings that share a first letter.
 */
const COMMON = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'max-forwards',
  'content-type',
  'content-length',
  'allow',
  'supported',
  'user-agent',
  'route',
  'record-route',
  'expires',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'require',
  'event',
  'allow-events',
  'accept',
  'server',
  'session-expires',
  'min-se',
  'subscription-state',
];

/** Every registered spelling, by the lower-cased letter it starts with, common ones first. */
const BY_FIRST: Spelling[][] = Array.from({ length: 26 }, () => []);
{
  const all = BUCKETS.flatMap((bucket) => bucket ?? []);
  const rank = (sp: Spelling): number => {
    const k = COMMON.indexOf(sp.lower);
    // Compact letters come right after the common names: cheap to try, and used by many UAs.
    return k >= 0 ? k : sp.lower.length === 1 ? COMMON.length : COMMON.length + 1;
  };
  all.sort((x, y) => rank(x) - rank(y));
  for (const sp of all) BY_FIRST[sp.lower.charCodeAt(0) - 0x61]!.push(sp);
}

/** Where matchHeaderName() found the colon. Parsing is synchronous: one variable serves. */
export const nameMatch = { colon: 0 };

/**
 * @internal The registered header whose name (any case) starts the line b[start, last)
 * and is followed by HCOLON ( *( SP / HTAB ) ":" ), with the colon's index in
 * `nameMatch.colon`; undefined when there is none — then the line is read the slow way.
 * The name is compared where it lies, without searching for the colon first.
 */
export function matchHeaderName(b: Buffer, start: number, last: number): HeaderInfo | undefined {
  let c0 = b[start]!;
  if (c0 >= 0x41 && c0 <= 0x5a) c0 |= 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return undefined;
  const candidates = BY_FIRST[c0 - 0x61]!;
  for (let k = 0; k < candidates.length; k++) {
    const spelling = candidates[k]!;
    const octets = spelling.octets;
    const len = octets.length;
    if (start + len >= last) continue;
    let i = 1;
    for (; i < len; i++) {
      let c = b[start + i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== octets[i]) break;
    }
    if (i < len) continue;
    let j = start + len;
    while (j < last && (b[j] === 0x20 || b[j] === 0x09)) j++;
    if (b[j] === 0x3a && j < last) {
      nameMatch.colon = j;
      return spelling.info;
    }
  }
  return undefined;
}

/** True when text[start, start + lower.length) equals `lower` ignoring ASCII case. */
function equalsLower(text: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = text.charCodeAt(start + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The registered header named by text[start, end) (any case, compact or full), else undefined. */
function lookupHeaderRange(text: string, start: number, end: number): HeaderInfo | undefined {
  const len = end - start;
  if (len <= 0 || len >= MAX_NAME) return undefined;
  let c0 = text.charCodeAt(start);
  if (c0 >= 0x41 && c0 <= 0x5a) c0 |= 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return undefined;
  const bucket = BUCKETS[len * 128 + c0];
  if (bucket === undefined) return undefined;
  for (const spelling of bucket) if (equalsLower(text, start, spelling.lower)) return spelling.info;
  return undefined;
}

/**
 * Info for any header name (assumed to be a token). Unknown names get a fresh info
 * that keeps the caller's spelling; they are never cached, so a peer sending random
 * names cannot grow memory.
 */
export function headerInfo(name: string): HeaderInfo {
  return (
    lookupHeaderRange(name, 0, name.length) ?? {
      name,
      key: name.toLowerCase(),
      list: false,
      id: H_OTHER,
      lead: `\r\n${name}: `,
    }
  );
}

/** The lower-case identity of a header name (compact forms resolve to the full name). */
export function headerKey(name: string): string {
  return headerInfo(name).key;
}

/** The spelling used when writing a header of this name. */
export function canonicalHeaderName(name: string): string {
  return headerInfo(name).name;
}
