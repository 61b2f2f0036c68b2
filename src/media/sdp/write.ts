/**
 * Our `SessionDescription` -> SDP text, in the line order of RFC 8866 §5
 * (v o s c t, then per media m c a) with CRLF after every line. Written by hand rather
 * than through sdp-transform's writer, which prints the o= version through Number()
 * (losing digits past 2^53) and changes the object it is given.
 *
 *   v=0
 *   o=- 3958123456 2 IN IP4 203.0.113.10
 *   s=-
 *   c=IN IP4 203.0.113.10
 *   t=0 0
 *   m=audio 40000 RTP/AVP 8 0 101
 *   a=rtpmap:8 PCMA/8000          static types too (RFC 3264 §6.1: SHOULD)
 *   a=rtpmap:0 PCMU/8000
 *   a=rtpmap:101 telephone-event/8000
 *   a=fmtp:101 0-16
 *   a=ptime:20
 *   a=sendrecv                    always explicit, never left to the session default
 *   a=rtcp-mux
 */
import { sameConnection } from './address.js';
import { formatCrypto } from './crypto.js';
import { isRtp } from './transport.js';
import type { Connection, MediaDescription, SessionDescription } from './types.js';

const CRLF = '\r\n';

export function writeSdp(desc: SessionDescription): string {
  const o = desc.origin;
  const lines = [
    'v=0',
    `o=${o.username || '-'} ${o.sessionId} ${o.sessionVersion} IN ${o.connection.family} ${o.connection.address}`,
    // RFC 8866 §5.3: s= is never empty; "-" is the usual way to say "no name".
    `s=${desc.name || '-'}`,
  ];
  if (desc.connection) lines.push(cLine(desc.connection));
  // RFC 3264 §5: t=0 0, the session is unbounded.
  lines.push('t=0 0');
  for (const m of desc.media) writeMedia(lines, m, desc.connection);
  return lines.join(CRLF) + CRLF;
}

function writeMedia(lines: string[], m: MediaDescription, session: Connection | null): void {
  const pts = m.fmts.length > 0 ? m.fmts : m.formats.map((f) => String(f.payloadType));
  // RFC 8866 §5.14 needs one format even on a disabled stream, where it means nothing.
  lines.push(`m=${m.kind} ${m.port} ${m.protocol} ${pts.length > 0 ? pts.join(' ') : '0'}`);
  // RFC 3264 §6 and §8.2: a stream with port 0 needs no attributes; its formats are ignored.
  if (m.port === 0) return;
  if (m.connection && !sameConnection(m.connection, session)) lines.push(cLine(m.connection));
  // rtpmap and fmtp for each listed RTP payload type, once; other protocols have no rtpmap.
  const listed = new Set(isRtp(m.protocol) ? pts : []);
  const formats = m.formats.filter(
    (f, i) =>
      listed.has(String(f.payloadType)) && m.formats.findIndex((g) => g.payloadType === f.payloadType) === i,
  );
  for (const f of formats) {
    // RFC 8866 §6.6: the channel count is written only when it is not 1.
    const channels = f.channels === 1 ? '' : `/${f.channels}`;
    lines.push(`a=rtpmap:${f.payloadType} ${f.name}/${f.clockRate}${channels}`);
  }
  for (const f of formats)
    if (f.fmtp !== null && f.fmtp !== '') lines.push(`a=fmtp:${f.payloadType} ${f.fmtp}`);
  for (const c of m.crypto ?? []) lines.push(`a=crypto:${formatCrypto(c)}`);
  const rtcp = m.rtcp;
  // RFC 3605 §2.1: a=rtcp only when RTCP is not on the next port of the same address.
  if (
    rtcp &&
    !(rtcp.port === m.port + 1 && (rtcp.connection === null || sameConnection(rtcp.connection, m.connection)))
  ) {
    lines.push(
      rtcp.connection
        ? `a=rtcp:${rtcp.port} IN ${rtcp.connection.family} ${rtcp.connection.address}`
        : `a=rtcp:${rtcp.port}`,
    );
  }
  if (m.ptime !== null) lines.push(`a=ptime:${m.ptime}`);
  if (m.maxptime !== null) lines.push(`a=maxptime:${m.maxptime}`);
  lines.push(`a=${m.direction}`);
  if (m.rtcpMux) lines.push('a=rtcp-mux');
}

function cLine(c: Connection): string {
  return `c=IN ${c.family} ${c.address}`;
}
