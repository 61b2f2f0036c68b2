/**
 * SDP text (RFC 8866) -> our `SessionDescription`. Never throws: a body we cannot read
 * is a `malformed` error naming the line, for the SIP side to answer 400.
 *
 * sdp-transform splits lines and attributes. It is lenient by design: a line its grammar
 * does not match is skipped silently, and values come back as numbers or strings
 * depending on their text. So before it runs, one pass checks the line structure
 * (v=0 first, every line "<letter>=", an o= line) and remembers where each section's
 * o=, c= and m= lines are; afterwards every value is checked for its type, and a c=,
 * o= or m= line that is present but produced nothing is reported as malformed.
 */
import { parse as tokenize } from 'sdp-transform';
import { readConnection } from './address.js';
import { staticPayloadType } from './codecs.js';
import { readCrypto } from './crypto.js';
import { malformed, ok, type SdpResult } from './errors.js';
import { telephoneEventOf } from './events.js';
import { isRtp } from './transport.js';
import type {
  AddressFamily,
  Connection,
  Direction,
  MediaDescription,
  Origin,
  RtcpAddress,
  RtpFormat,
  SessionDescription,
} from './types.js';

/**
 * RFC 8866 §5: the type letters SDP defines. A description with any other is to be
 * ignored or rejected as a whole, never read in part; we reject it.
 */
const TYPE_LETTERS = new Set(['v', 'o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a', 'm']);

/** Where a section's lines of interest are (1-based line numbers). */
interface Section {
  m: number | null;
  c: number | null;
  o: number | null;
}

/** A value sdp-transform produced: shapes are checked field by field, never trusted. */
type Loose = { readonly [key: string]: unknown };

export function parseSdp(body: string): SdpResult<SessionDescription> {
  const scanned = scan(body);
  if (!scanned.ok) return scanned;
  const sections = scanned.value;
  let raw: Loose;
  try {
    raw = tokenize(body) as unknown as Loose;
  } catch {
    return malformed('unreadable session description');
  }

  const origin = readOrigin(raw.origin, sections[0]!.o);
  if (!origin.ok) return origin;

  let connection: Connection | null = null;
  if (sections[0]!.c !== null) {
    connection = readC(raw.connection);
    if (!connection) return malformed('malformed c= line', sections[0]!.c);
  }

  const session: SessionContext = {
    connection,
    direction: readDirection(raw.direction),
    ptime: positive(raw.ptime),
    ice: raw.iceUfrag !== undefined,
    dtls: raw.fingerprint !== undefined,
  };
  const rawMedia = Array.isArray(raw.media) ? raw.media : [];
  if (rawMedia.length !== sections.length - 1) return malformed('m= lines could not be read');
  const media: MediaDescription[] = [];
  for (let i = 0; i < rawMedia.length; i++) {
    const m = readMedia(record(rawMedia[i]) ?? {}, sections[i + 1]!, session);
    if (!m.ok) return m;
    media.push(m.value);
  }
  return ok({ origin: origin.value, name: text(raw.name) ?? '', connection, media });
}

/** Line structure, before any field is read. */
function scan(body: string): SdpResult<Section[]> {
  const lines = body.split(/\r\n|\r|\n/);
  const sections: Section[] = [{ m: null, c: null, o: null }];
  let started = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    // RFC 8866 §5 wants CRLF and no blank lines; a trailing blank line or bare LF is common, so tolerated.
    if (line.trim() === '') continue;
    const type = /^([a-z])=/.exec(line)?.[1];
    if (type === undefined) return malformed(`line ${n} is not of the form <type>=<value>`, n);
    if (!TYPE_LETTERS.has(type)) return malformed(`unknown SDP line type '${type}='`, n);
    if (!started) {
      // RFC 8866 §5.1: v=0 is the first line, and there is no other version.
      if (line.trimEnd() !== 'v=0') return malformed('a session description starts with v=0', n);
      started = true;
      continue;
    }
    if (type === 'v') return malformed('a second v= line', n);
    if (type === 'm') sections.push({ m: n, c: null, o: null });
    const current = sections[sections.length - 1]!;
    if (type === 'c' && current.c === null) current.c = n;
    if (type === 'o') {
      if (sections.length > 1 || current.o !== null) return malformed('o= belongs once at session level', n);
      current.o = n;
    }
  }
  if (!started) return malformed('empty session description');
  if (sections[0]!.o === null) return malformed('no o= line (RFC 8866 §5.2)');
  return ok(sections);
}

function readOrigin(value: unknown, line: number | null): SdpResult<Origin> {
  const o = record(value);
  const username = text(o?.username);
  const sessionId = text(o?.sessionId);
  const sessionVersion = text(o?.sessionVersion);
  const family = familyOf(o?.ipVer);
  const address = text(o?.address);
  // RFC 8866 §5.2: <sess-id> and <sess-version> are numeric strings.
  if (!username || !sessionId || !sessionVersion || !family || !address)
    return malformed('malformed o= line', line);
  if (!/^\d+$/.test(sessionId) || !/^\d+$/.test(sessionVersion)) return malformed('malformed o= line', line);
  // The o= address identifies the session only; nobody sends to it, so any token is kept as is.
  return ok({ username, sessionId, sessionVersion, connection: { family, address } });
}

interface SessionContext {
  readonly connection: Connection | null;
  readonly direction: Direction | null;
  readonly ptime: number | null;
  readonly ice: boolean;
  readonly dtls: boolean;
}

function readMedia(m: Loose, section: Section, session: SessionContext): SdpResult<MediaDescription> {
  const line = section.m;
  const kind = text(m.type);
  const port = integer(m.port, 0, 65535);
  const protocol = text(m.protocol);
  if (!kind || port === null || !protocol) return malformed('malformed m= line', line);
  const fmts = (text(m.payloads) ?? '').split(' ').filter((t) => t !== '');
  // RFC 8866 §5.14: an m= line lists at least one format; on a disabled stream nobody cares.
  if (fmts.length === 0 && port !== 0) return malformed('m= line without formats', line);

  let own: Connection | null = null;
  if (section.c !== null) {
    own = readC(m.connection);
    if (!own) return malformed('malformed c= line', section.c);
  }
  const connection = own ?? session.connection;
  // RFC 8866 §5.7: c= at session level or in every media description.
  if (!connection && port !== 0) return malformed('no c= line for this media description', line);

  const formats = isRtp(protocol) ? resolveFormats(fmts, list(m.rtp), list(m.fmtp)) : [];
  return ok({
    kind,
    port,
    protocol,
    fmts,
    formats,
    connection,
    direction: readDirection(m.direction) ?? session.direction ?? 'sendrecv',
    // a=ptime is media-level (RFC 8866 §6.4); some phones put it at session level anyway.
    ptime: positive(m.ptime) ?? session.ptime,
    maxptime: positive(m.maxptime),
    rtcp: readRtcp(m.rtcp),
    rtcpMux: m.rtcpMux === 'rtcp-mux',
    telephoneEvent: telephoneEventOf(formats),
    ice: session.ice || m.iceUfrag !== undefined || list(m.candidates).length > 0,
    dtls: session.dtls || m.fingerprint !== undefined,
    sdes: list(m.crypto).length > 0,
    crypto: list(m.crypto).flatMap((c) => {
      const read = readCrypto(c.id, c.suite, c.config, c.sessionConfig);
      return read ? [read] : [];
    }),
  });
}

/**
 * Payload types of the m= line with a known meaning: the rtpmap when there is a readable
 * one, else the RFC 3551 static assignment. Dynamic types without an rtpmap, repeats and
 * non-numbers are left out of `formats` (they stay in `fmts`). rtpmap and fmtp lines for
 * types the m= line does not list are ignored.
 */
function resolveFormats(fmts: readonly string[], rtpmaps: Loose[], fmtps: Loose[]): RtpFormat[] {
  const out: RtpFormat[] = [];
  const seen = new Set<number>();
  for (const token of fmts) {
    const pt = /^\d{1,3}$/.test(token) ? Number(token) : -1;
    if (pt < 0 || pt > 127 || seen.has(pt)) continue;
    seen.add(pt);
    const map = rtpmaps.find((r) => integer(r.payload, 0, 127) === pt);
    const name = text(map?.codec);
    const clockRate = integer(map?.rate, 1, 0xffffffff);
    const channels = map?.encoding === undefined ? 1 : integer(map.encoding, 1, 255);
    const known =
      map && name && clockRate !== null && channels !== null
        ? { name, clockRate, channels }
        : staticPayloadType(pt);
    if (!known) continue;
    const fmtp = fmtps.find((f) => integer(f.payload, 0, 127) === pt);
    out.push({ payloadType: pt, ...known, fmtp: fmtp ? text(fmtp.config) : null });
  }
  return out;
}

/** RFC 3605: `a=rtcp:<port> [IN IP4 <address>]`; unreadable, it is ignored (RTCP is an aid). */
function readRtcp(value: unknown): RtcpAddress | null {
  const r = record(value);
  const port = integer(r?.port, 1, 65535);
  if (!r || port === null) return null;
  if (r.address === undefined) return { port, connection: null };
  const family = familyOf(r.ipVer);
  const address = text(r.address);
  const connection = family && address ? readConnection(family, address) : null;
  return connection ? { port, connection } : null;
}

function readC(value: unknown): Connection | null {
  const c = record(value);
  const family = familyOf(c?.version);
  const address = text(c?.ip);
  return family && address ? readConnection(family, address) : null;
}

function readDirection(value: unknown): Direction | null {
  return value === 'sendrecv' || value === 'sendonly' || value === 'recvonly' || value === 'inactive'
    ? value
    : null;
}

function familyOf(ipVer: unknown): AddressFamily | null {
  return ipVer === 4 ? 'IP4' : ipVer === 6 ? 'IP6' : null;
}

function record(value: unknown): Loose | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : null;
}

function list(value: unknown): Loose[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v: unknown): Loose[] => {
    const r = record(v);
    return r ? [r] : [];
  });
}

/** sdp-transform turns a value into a number only when that loses nothing, so String() restores it. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : null;
}

function integer(value: unknown, min: number, max: number): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

function positive(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}
