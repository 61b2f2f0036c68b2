/**
 * RTP packets (RFC 3550 §5.1): the fixed header, CSRC list, header extension
 * (§5.3.1) and padding. Parsing never throws: a datagram that is not RTP version 2
 * with consistent lengths gives a typed error, so the media port can count and drop it.
 *
 *   0                   1                   2                   3
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |           synchronization source (SSRC) identifier            |
 *   |            contributing source (CSRC) identifiers  ...        |
 */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  /** 16-bit, wraps. */
  sequence: number;
  /** 32-bit, unsigned, wraps. */
  timestamp: number;
  ssrc: number;
  csrc: number[];
  /** The header extension, when present: its 16-bit profile word and data (a multiple of 4 octets). */
  extension: { profile: number; data: Buffer } | null;
  payload: Buffer;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: string };

const FIXED = 12;

export function parseRtp(data: Buffer): RtpParseResult {
  if (data.length < FIXED) return { ok: false, reason: 'shorter than the fixed header' };
  const b0 = data[0]!;
  if (b0 >> 6 !== 2) return { ok: false, reason: 'not RTP version 2' };
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = data[1]!;
  const payloadType = b1 & 0x7f;
  // RFC 5761 §4: payload types 64-95 with the marker bit are RTCP packet types (200-223) on a muxed port.
  if (payloadType >= 72 && payloadType <= 76) return { ok: false, reason: 'an RTCP packet' };
  let offset = FIXED + cc * 4;
  if (data.length < offset) return { ok: false, reason: 'CSRC list longer than the packet' };
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(data.readUInt32BE(FIXED + i * 4));
  let extension: RtpPacket['extension'] = null;
  if (hasExtension) {
    if (data.length < offset + 4) return { ok: false, reason: 'extension header cut short' };
    const profile = data.readUInt16BE(offset);
    const words = data.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (data.length < end) return { ok: false, reason: 'extension longer than the packet' };
    extension = { profile, data: data.subarray(offset + 4, end) };
    offset = end;
  }
  let end = data.length;
  if (padding) {
    const pad = data[data.length - 1]!;
    // §5.1: the last octet counts the padding, itself included; it cannot eat into the header.
    if (pad === 0 || data.length - pad < offset) return { ok: false, reason: 'bad padding length' };
    end -= pad;
  }
  return {
    ok: true,
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType,
      sequence: data.readUInt16BE(2),
      timestamp: data.readUInt32BE(4),
      ssrc: data.readUInt32BE(8),
      csrc,
      extension,
      payload: data.subarray(offset, end),
    },
  };
}

/** The wire form of a packet (no padding: SRTP and block ciphers are not used here). */
export function serializeRtp(p: RtpPacket): Buffer {
  if (p.csrc.length > 15) throw new RangeError('at most 15 CSRCs');
  if (p.extension && p.extension.data.length % 4 !== 0)
    throw new RangeError('extension data must be whole words');
  const extLen = p.extension ? 4 + p.extension.data.length : 0;
  const out = Buffer.allocUnsafe(FIXED + p.csrc.length * 4 + extLen + p.payload.length);
  out[0] = 0x80 | (p.extension ? 0x10 : 0) | p.csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequence & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  let offset = FIXED;
  for (const c of p.csrc) {
    out.writeUInt32BE(c >>> 0, offset);
    offset += 4;
  }
  if (p.extension) {
    out.writeUInt16BE(p.extension.profile & 0xffff, offset);
    out.writeUInt16BE(p.extension.data.length / 4, offset + 2);
    p.extension.data.copy(out, offset + 4);
    offset += extLen;
  }
  p.payload.copy(out, offset);
  return out;
}

/** Sequence-number arithmetic modulo 2^16 (RFC 3550 Appendix A.1): is `a` after `b`? */
export function seqAfter(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}
