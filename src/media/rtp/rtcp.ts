/**
 * RTCP (RFC 3550 §6): the compound packets one media leg sends (SR or RR, then
 * SDES with a CNAME, and BYE when the leg closes) and the parts of received ones
 * the PBX uses: the peer's report block about our stream (its loss and jitter)
 * and the round-trip time from LSR/DLSR (§6.4.1). Parsing never throws; a
 * malformed compound packet yields what was readable before the fault.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** Seconds between 1900-01-01 (NTP era 0) and 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800;

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, 0..1 (8-bit fixed point on the wire). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter, timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received from this source, 0 if none. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  dlsr: number;
}

export interface SenderInfo {
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface RtcpReport {
  type: typeof RTCP_SR | typeof RTCP_RR;
  ssrc: number;
  sender: SenderInfo | null;
  blocks: ReportBlock[];
}

export interface ParsedCompound {
  reports: RtcpReport[];
  /** SSRCs that said BYE. */
  bye: number[];
  cname: string | null;
}

/** The NTP timestamp (seconds, 32-bit fraction) of a wall-clock time in ms. */
export function ntpFromMs(ms: number): { sec: number; frac: number } {
  const sec = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - sec * 1000) / 1000) * 0x1_0000_0000);
  return { sec: (sec + NTP_UNIX_OFFSET) >>> 0, frac: frac >>> 0 };
}

/** §6.4.1 LSR: the middle 32 bits of a 64-bit NTP timestamp. */
export function ntpMiddle(sec: number, frac: number): number {
  return (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0;
}

/**
 * Round-trip time in ms from a report block about our stream, received at
 * `nowMs` (§6.4.1: A - LSR - DLSR, all in 1/65536 s). Null when the peer has
 * not yet received an SR from us.
 */
export function roundTripMs(block: ReportBlock, nowMs: number): number | null {
  if (block.lsr === 0) return null;
  const now = ntpFromMs(nowMs);
  const a = ntpMiddle(now.sec, now.frac);
  const rtt = (a - block.lsr - block.dlsr) >>> 0;
  // A wrapped (negative) result means clocks or fields are inconsistent.
  if (rtt > 0x8000_0000) return null;
  return (rtt / 65536) * 1000;
}

function writeBlock(out: Buffer, off: number, b: ReportBlock): void {
  out.writeUInt32BE(b.ssrc >>> 0, off);
  out[off + 4] = Math.min(255, Math.max(0, Math.floor(b.fractionLost * 256)));
  // 24-bit two's complement, clamped to its range (§6.4.1).
  const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(b.cumulativeLost)));
  out.writeUIntBE(lost & 0xffffff, off + 5, 3);
  out.writeUInt32BE(b.extendedHighestSeq >>> 0, off + 8);
  out.writeUInt32BE(Math.round(b.jitter) >>> 0, off + 12);
  out.writeUInt32BE(b.lsr >>> 0, off + 16);
  out.writeUInt32BE(b.dlsr >>> 0, off + 20);
}

function header(out: Buffer, off: number, count: number, type: number, words: number): void {
  out[off] = 0x80 | (count & 0x1f);
  out[off + 1] = type;
  out.writeUInt16BE(words - 1, off + 2);
}

/**
 * A compound packet: SR when `sender` is given (we sent media since the last
 * report), otherwise RR; then SDES CNAME; then BYE when `bye` is set (§6.1).
 */
export function buildCompound(p: {
  ssrc: number;
  sender: SenderInfo | null;
  blocks: ReportBlock[];
  cname: string;
  bye?: boolean;
}): Buffer {
  const blocks = p.blocks.slice(0, 31);
  const reportLen = 8 + (p.sender ? 20 : 0) + blocks.length * 24;
  const cname = Buffer.from(p.cname.slice(0, 255), 'utf8').subarray(0, 255);
  // SDES chunk: SSRC, CNAME item (type, length, text), then at least one null octet, padded to a word.
  const chunk = 4 + 2 + cname.length;
  const sdesLen = 4 + Math.ceil((chunk + 1) / 4) * 4;
  const byeLen = p.bye ? 8 : 0;
  const out = Buffer.alloc(reportLen + sdesLen + byeLen);
  header(out, 0, blocks.length, p.sender ? RTCP_SR : RTCP_RR, reportLen / 4);
  out.writeUInt32BE(p.ssrc >>> 0, 4);
  let off = 8;
  if (p.sender) {
    out.writeUInt32BE(p.sender.ntpSec >>> 0, off);
    out.writeUInt32BE(p.sender.ntpFrac >>> 0, off + 4);
    out.writeUInt32BE(p.sender.rtpTimestamp >>> 0, off + 8);
    out.writeUInt32BE(p.sender.packetCount >>> 0, off + 12);
    out.writeUInt32BE(p.sender.octetCount >>> 0, off + 16);
    off += 20;
  }
  for (const b of blocks) {
    writeBlock(out, off, b);
    off += 24;
  }
  header(out, off, 1, RTCP_SDES, sdesLen / 4);
  out.writeUInt32BE(p.ssrc >>> 0, off + 4);
  out[off + 8] = 1; // CNAME
  out[off + 9] = cname.length;
  cname.copy(out, off + 10);
  off += sdesLen;
  if (p.bye) {
    header(out, off, 1, RTCP_BYE, 2);
    out.writeUInt32BE(p.ssrc >>> 0, off + 4);
  }
  return out;
}

function readBlock(data: Buffer, off: number): ReportBlock {
  const raw = data.readUIntBE(off + 5, 3);
  return {
    ssrc: data.readUInt32BE(off),
    fractionLost: data[off + 4]! / 256,
    cumulativeLost: raw & 0x800000 ? raw - 0x1000000 : raw,
    extendedHighestSeq: data.readUInt32BE(off + 8),
    jitter: data.readUInt32BE(off + 12),
    lsr: data.readUInt32BE(off + 16),
    dlsr: data.readUInt32BE(off + 20),
  };
}

/** Reads a compound RTCP packet; null when the first packet is not RTCP at all. */
export function parseCompound(data: Buffer): ParsedCompound | null {
  const out: ParsedCompound = { reports: [], bye: [], cname: null };
  let off = 0;
  let first = true;
  while (off + 4 <= data.length) {
    const b0 = data[off]!;
    const type = data[off + 1]!;
    if (b0 >> 6 !== 2 || type < 192 || type > 223) return first ? null : out;
    const len = (data.readUInt16BE(off + 2) + 1) * 4;
    if (off + len > data.length) return first ? null : out;
    const count = b0 & 0x1f;
    const end = off + len;
    if ((type === RTCP_SR || type === RTCP_RR) && len >= 8) {
      const ssrc = data.readUInt32BE(off + 4);
      let p = off + 8;
      let sender: SenderInfo | null = null;
      if (type === RTCP_SR) {
        if (p + 20 > end) return out;
        sender = {
          ntpSec: data.readUInt32BE(p),
          ntpFrac: data.readUInt32BE(p + 4),
          rtpTimestamp: data.readUInt32BE(p + 8),
          packetCount: data.readUInt32BE(p + 12),
          octetCount: data.readUInt32BE(p + 16),
        };
        p += 20;
      }
      const blocks: ReportBlock[] = [];
      for (let i = 0; i < count && p + 24 <= end; i++, p += 24) blocks.push(readBlock(data, p));
      out.reports.push({ type, ssrc, sender, blocks });
    } else if (type === RTCP_SDES && count > 0 && len >= 12) {
      // First chunk's items: look for CNAME (type 1).
      let p = off + 8;
      while (p + 2 <= end && data[p] !== 0) {
        const itemLen = data[p + 1]!;
        if (p + 2 + itemLen > end) break;
        if (data[p] === 1) out.cname = data.toString('utf8', p + 2, p + 2 + itemLen);
        p += 2 + itemLen;
      }
    } else if (type === RTCP_BYE) {
      for (let i = 0; i < count && off + 8 + i * 4 <= end; i++)
        out.bye.push(data.readUInt32BE(off + 4 + i * 4));
    }
    first = false;
    off = end;
  }
  return out;
}

/** §6.3.1 (simplified for two parties): a 5 s interval randomized to 0.5..1.5 of itself. */
export function nextReportDelayMs(random: () => number = Math.random): number {
  return 5000 * (0.5 + random());
}
