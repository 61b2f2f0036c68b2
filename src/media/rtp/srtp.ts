/**
 * SRTP and SRTCP (RFC 3711) with the two SDES suites phones offer (RFC 4568 §6.2):
 * AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 — AES-128 in counter mode,
 * HMAC-SHA1 tags of 80 or 32 bits on RTP (SRTCP always 80), no MKI, key derivation
 * rate 0. node:crypto does the AES and HMAC; this module does the framing: session
 * keys (§4.3), the packet index and rollover counter (§3.3.1), the replay window
 * (§3.3.2) and the SRTCP trailer (E-bit and index, §3.4).
 *
 * One `SrtpContext` is one master key, i.e. one direction of a leg: the keys the
 * phone sent us in its a=crypto decrypt what it sends, ours encrypt what we send.
 * `unprotect*` authenticates before anything else and returns null on any failure,
 * so a forged or replayed packet never reaches the latch or the other leg.
 */
import { type Cipher, createCipheriv, createHash, type Hash, timingSafeEqual } from 'node:crypto';

export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

/** Ours in order of preference. */
export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

export const MASTER_KEY_LENGTH = 16;
export const MASTER_SALT_LENGTH = 14;

/** RFC 3711 §4.3.1 key derivation labels. */
export const LABEL = {
  rtpEncryption: 0,
  rtpAuth: 1,
  rtpSalt: 2,
  rtcpEncryption: 3,
  rtcpAuth: 4,
  rtcpSalt: 5,
} as const;

const AUTH_KEY_LENGTH = 20;
const SRTCP_TAG = 10;
/** §3.3.2: the replay list covers at least 64 packets. */
const REPLAY_WINDOW = 64;
/** Streams (SSRCs) tracked per direction; made only after a packet authenticated. */
const MAX_STREAMS = 16;

export function isSrtpSuite(s: string): s is SrtpSuite {
  return (SRTP_SUITES as readonly string[]).includes(s);
}

/** The RTP authentication tag length of a suite, in octets. */
export function rtpTagLength(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
}

/**
 * §4.3.1 with key_derivation_rate 0 (r = 0): the AES-CM keystream under the master
 * key, IV = (label · 2^48 XOR master_salt) · 2^16, first `length` octets.
 */
export function deriveSessionKey(
  masterKey: Buffer,
  masterSalt: Buffer,
  label: number,
  length: number,
): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, MASTER_SALT_LENGTH);
  // key_id = label || r (56 bits) lines up with the last 7 octets of the 14-octet salt.
  iv[7]! ^= label;
  return createCipheriv('aes-128-ctr', masterKey, iv).update(Buffer.alloc(length));
}

/** §4.1.1: IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16). */
function counterIv(salt: Buffer, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  salt.copy(iv, 0, 0, MASTER_SALT_LENGTH);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  // The 48-bit index occupies octets 8..13.
  const hi = Math.floor(index / 0x1_0000_0000);
  iv.writeUInt16BE((iv.readUInt16BE(8) ^ hi) & 0xffff, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ index) >>> 0, 10);
  return iv;
}

/**
 * AES in counter mode under one session key. One ECB cipher is kept and fed the
 * packet's counter blocks (IV with the block number in its low 16 bits, as §4.1.1
 * counts them): creating a CTR cipher per packet costs more than the encryption.
 */
class AesCm {
  private readonly ecb: Cipher;

  constructor(
    key: Buffer,
    private readonly salt: Buffer,
  ) {
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  /** XORs the keystream of (ssrc, index) into `data` in place. */
  apply(ssrc: number, index: number, data: Buffer): void {
    const n = Math.ceil(data.length / 16);
    if (n === 0) return;
    const iv = counterIv(this.salt, ssrc, index);
    const blocks = Buffer.allocUnsafe(n * 16);
    for (let b = 0; b < n; b++) {
      iv.copy(blocks, b * 16);
      blocks.writeUInt16BE(b, b * 16 + 14);
    }
    const ks = this.ecb.update(blocks);
    for (let i = 0; i < data.length; i++) data[i]! ^= ks[i]!;
  }
}

/** The AES-CM keystream XORed with `data` (a copy) for one packet: exported for the RFC 3711 B.2 vectors. */
export function aesCm(key: Buffer, salt: Buffer, ssrc: number, index: number, data: Buffer): Buffer {
  const out = Buffer.from(data);
  new AesCm(key, salt).apply(ssrc, index, out);
  return out;
}

/**
 * HMAC-SHA1 (RFC 2104) under one session key: the hashes of the padded key are
 * made once and copied per packet, instead of a new HMAC and its key schedule each time.
 */
class HmacSha1 {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: Buffer) {
    const ipad = Buffer.alloc(64, 0x36);
    const opad = Buffer.alloc(64, 0x5c);
    for (let i = 0; i < key.length; i++) {
      ipad[i]! ^= key[i]!;
      opad[i]! ^= key[i]!;
    }
    this.inner = createHash('sha1').update(ipad);
    this.outer = createHash('sha1').update(opad);
  }

  /** The first `length` octets of the MAC of `parts` in order. */
  mac(parts: Buffer[], length: number): Buffer {
    const h = this.inner.copy();
    for (const p of parts) h.update(p);
    return this.outer.copy().update(h.digest()).digest().subarray(0, length);
  }
}

interface SessionKeys {
  cipher: AesCm;
  auth: HmacSha1;
}

function sessionKeys(master: Buffer, salt: Buffer, rtcp: boolean): SessionKeys {
  const base = rtcp ? LABEL.rtcpEncryption : LABEL.rtpEncryption;
  return {
    cipher: new AesCm(
      deriveSessionKey(master, salt, base, MASTER_KEY_LENGTH),
      deriveSessionKey(master, salt, base + 2, MASTER_SALT_LENGTH),
    ),
    auth: new HmacSha1(deriveSessionKey(master, salt, base + 1, AUTH_KEY_LENGTH)),
  };
}

/** §3.3.2 replay list over packet indices: the highest seen and which of the last 64 were. */
class ReplayWindow {
  private highest = -1;
  private readonly seen = new Float64Array(REPLAY_WINDOW).fill(-1);

  /** True when `index` is new and not too old; does not record it. */
  fresh(index: number): boolean {
    if (index > this.highest) return true;
    if (index <= this.highest - REPLAY_WINDOW) return false;
    return this.seen[index % REPLAY_WINDOW] !== index;
  }

  record(index: number): void {
    this.seen[index % REPLAY_WINDOW] = index;
    if (index > this.highest) this.highest = index;
  }
}

/** Per-SSRC receive state: rollover counter, highest sequence number, replay list. */
interface RtpReceiveState {
  roc: number;
  sl: number;
  replay: ReplayWindow;
}

/**
 * §3.3.1 (Appendix A): the index of a packet with sequence number `seq`, guessed
 * from the ROC and highest sequence number seen; returns [roc guess, index].
 */
export function estimateIndex(roc: number, sl: number, seq: number): [number, number] {
  let v = roc;
  if (sl < 32768) {
    if (seq - sl > 32768) v = roc - 1;
  } else if (sl - 32768 > seq) v = roc + 1;
  // A ROC of -1 (a packet from before the first one, across a wrap) wraps the 32-bit counter.
  const wrapped = v < 0 ? 0xffffffff : v >>> 0;
  return [wrapped, wrapped * 65536 + seq];
}

/** The length of an RTP header (fixed part, CSRCs, extension), or null when it runs past `limit`. */
function rtpHeaderLength(buf: Buffer, limit: number): number | null {
  if (limit < 12) return null;
  let n = 12 + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (limit < n + 4) return null;
    n += 4 + buf.readUInt16BE(n + 2) * 4;
  }
  return n <= limit ? n : null;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  private readonly rtp: SessionKeys;
  private readonly rtcp: SessionKeys;
  private readonly tag: number;
  private readonly receive = new Map<number, RtpReceiveState>();
  /** Sender side: per SSRC, the ROC and the highest sequence number sent. */
  private readonly send = new Map<number, { roc: number; sl: number }>();
  private readonly rtcpReplay = new Map<number, ReplayWindow>();
  private rtcpIndex = 0;

  /** `keySalt`: the 30 octets of an a=crypto inline key (master key then master salt). */
  constructor(suite: SrtpSuite, keySalt: Buffer) {
    if (keySalt.length !== MASTER_KEY_LENGTH + MASTER_SALT_LENGTH)
      throw new RangeError('an SRTP master key and salt are 30 octets');
    this.suite = suite;
    const key = keySalt.subarray(0, MASTER_KEY_LENGTH);
    const salt = keySalt.subarray(MASTER_KEY_LENGTH);
    this.rtp = sessionKeys(key, salt, false);
    this.rtcp = sessionKeys(key, salt, true);
    this.tag = rtpTagLength(suite);
  }

  /** An RTP packet to send: payload encrypted, tag appended (a new buffer). */
  protectRtp(packet: Buffer): Buffer {
    const header = rtpHeaderLength(packet, packet.length);
    if (header === null) throw new RangeError('not an RTP packet');
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let s = this.send.get(ssrc);
    if (!s) {
      s = { roc: 0, sl: seq };
      if (this.send.size >= MAX_STREAMS) this.send.clear();
      this.send.set(ssrc, s);
    }
    const [roc, index] = estimateIndex(s.roc, s.sl, seq);
    if (roc === (s.roc + 1) >>> 0) {
      s.roc = roc;
      s.sl = seq;
    } else if (roc === s.roc && seq > s.sl) s.sl = seq;
    const out = Buffer.allocUnsafe(packet.length + this.tag);
    packet.copy(out, 0, 0, packet.length);
    this.rtp.cipher.apply(ssrc, index, out.subarray(header, packet.length));
    const rocBytes = Buffer.allocUnsafe(4);
    rocBytes.writeUInt32BE(roc, 0);
    this.rtp.auth.mac([out.subarray(0, packet.length), rocBytes], this.tag).copy(out, packet.length);
    return out;
  }

  /**
   * A received SRTP packet: authenticated (tag over header, encrypted payload and the
   * estimated ROC), checked against replay, then decrypted in place. Returns the
   * plain RTP packet (a view of `packet` without the tag), or null.
   */
  unprotectRtp(packet: Buffer): Buffer | null {
    const end = packet.length - this.tag;
    const header = rtpHeaderLength(packet, end);
    if (header === null) return null;
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const state = this.receive.get(ssrc);
    // §3.3.1: the first packet of a stream has ROC 0 and sets s_l.
    const [roc, index] = state ? estimateIndex(state.roc, state.sl, seq) : [0, seq];
    if (state && !state.replay.fresh(index)) return null;
    const rocBytes = Buffer.allocUnsafe(4);
    rocBytes.writeUInt32BE(roc, 0);
    const expected = this.rtp.auth.mac([packet.subarray(0, end), rocBytes], this.tag);
    if (!timingSafeEqual(expected, packet.subarray(end))) return null;
    let s = state;
    if (!s) {
      if (this.receive.size >= MAX_STREAMS) this.receive.delete(this.receive.keys().next().value!);
      s = { roc: 0, sl: seq, replay: new ReplayWindow() };
      this.receive.set(ssrc, s);
    }
    if (roc === (s.roc + 1) >>> 0) {
      s.roc = roc;
      s.sl = seq;
    } else if (roc === s.roc && seq > s.sl) s.sl = seq;
    s.replay.record(index);
    this.rtp.cipher.apply(ssrc, index, packet.subarray(header, end));
    return packet.subarray(0, end);
  }

  /** An RTCP compound packet to send: encrypted after the first 8 octets, E-bit and index, 80-bit tag. */
  protectRtcp(packet: Buffer): Buffer {
    if (packet.length < 8) throw new RangeError('not an RTCP packet');
    const ssrc = packet.readUInt32BE(4);
    const index = this.rtcpIndex;
    this.rtcpIndex = (this.rtcpIndex + 1) & 0x7fffffff;
    const out = Buffer.allocUnsafe(packet.length + 4 + SRTCP_TAG);
    packet.copy(out, 0, 0, packet.length);
    this.rtcp.cipher.apply(ssrc, index, out.subarray(8, packet.length));
    out.writeUInt32BE((0x80000000 | index) >>> 0, packet.length);
    const signed = packet.length + 4;
    this.rtcp.auth.mac([out.subarray(0, signed)], SRTCP_TAG).copy(out, signed);
    return out;
  }

  /** A received SRTCP packet: authenticated, replay-checked, decrypted when its E-bit says so; or null. */
  unprotectRtcp(packet: Buffer): Buffer | null {
    const signed = packet.length - SRTCP_TAG;
    const end = signed - 4;
    if (end < 8) return null;
    const expected = this.rtcp.auth.mac([packet.subarray(0, signed)], SRTCP_TAG);
    if (!timingSafeEqual(expected, packet.subarray(signed))) return null;
    const ssrc = packet.readUInt32BE(4);
    const word = packet.readUInt32BE(end);
    const index = word & 0x7fffffff;
    let replay = this.rtcpReplay.get(ssrc);
    if (replay && !replay.fresh(index)) return null;
    if (!replay) {
      if (this.rtcpReplay.size >= MAX_STREAMS) this.rtcpReplay.delete(this.rtcpReplay.keys().next().value!);
      replay = new ReplayWindow();
      this.rtcpReplay.set(ssrc, replay);
    }
    replay.record(index);
    if (word & 0x80000000) this.rtcp.cipher.apply(ssrc, index, packet.subarray(8, end));
    return packet.subarray(0, end);
  }
}
