/**
 * What payload formats mean: the static payload types of RFC 3551 §6 (usable without an
 * rtpmap), the codecs a tenant can name in its preference list, and how two formats are
 * recognised as the same codec across offer and answer.
 */

/** A codec we can offer or accept. */
export interface CodecSpec {
  /** Encoding name as it appears in rtpmap. */
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number;
  /** The static payload type (RFC 3551 §6), or a preferred dynamic one; null: allocate. */
  readonly payloadType: number | null;
  /** fmtp parameters we ask for, or null. */
  readonly fmtp: string | null;
}

/** The encoding facts two formats must share to be one codec. */
export interface CodecIdentity {
  readonly name: string;
  readonly clockRate: number;
  readonly channels: number;
}

/**
 * RFC 3551 §6 Tables 4 and 5: payload types with a fixed encoding. An m= line may list
 * them with no rtpmap (RFC 8866 §6.6), which older desk phones and SIPp scenarios do.
 */
const STATIC_TYPES: ReadonlyMap<number, CodecIdentity> = new Map(
  (
    [
      [0, 'PCMU', 8000, 1],
      [3, 'GSM', 8000, 1],
      [4, 'G723', 8000, 1],
      [5, 'DVI4', 8000, 1],
      [6, 'DVI4', 16000, 1],
      [7, 'LPC', 8000, 1],
      [8, 'PCMA', 8000, 1],
      // §4.5.2: G.722 samples at 16 kHz but its RTP clock runs at 8000 for historical reasons.
      [9, 'G722', 8000, 1],
      [10, 'L16', 44100, 2],
      [11, 'L16', 44100, 1],
      [12, 'QCELP', 8000, 1],
      [13, 'CN', 8000, 1],
      [14, 'MPA', 90000, 1],
      [15, 'G728', 8000, 1],
      [16, 'DVI4', 11025, 1],
      [17, 'DVI4', 22050, 1],
      [18, 'G729', 8000, 1],
      [25, 'CelB', 90000, 1],
      [26, 'JPEG', 90000, 1],
      [28, 'nv', 90000, 1],
      [31, 'H261', 90000, 1],
      [32, 'MPV', 90000, 1],
      [33, 'MP2T', 90000, 1],
      [34, 'H263', 90000, 1],
    ] as const
  ).map(([pt, name, clockRate, channels]) => [pt, { name, clockRate, channels }]),
);

export function staticPayloadType(pt: number): CodecIdentity | undefined {
  return STATIC_TYPES.get(pt);
}

/** RFC 3551 §3: 96-127 is the dynamic range. */
export const DYNAMIC_MIN = 96;
export const DYNAMIC_MAX = 127;

/** Codecs a tenant can name by name in its preference list. */
export const KNOWN_CODECS = {
  PCMU: { name: 'PCMU', clockRate: 8000, channels: 1, payloadType: 0, fmtp: null },
  PCMA: { name: 'PCMA', clockRate: 8000, channels: 1, payloadType: 8, fmtp: null },
  G722: { name: 'G722', clockRate: 8000, channels: 1, payloadType: 9, fmtp: null },
  // RFC 7587 §7: always opus/48000/2 in rtpmap whatever is actually sent.
  opus: { name: 'opus', clockRate: 48000, channels: 2, payloadType: null, fmtp: 'useinbandfec=1' },
} as const satisfies Record<string, CodecSpec>;

export type KnownCodecName = keyof typeof KNOWN_CODECS;

export const TELEPHONE_EVENT = 'telephone-event';

export function isTelephoneEvent(f: { readonly name: string }): boolean {
  return f.name.toLowerCase() === TELEPHONE_EVENT;
}

/** RFC 3389 comfort noise: not a codec to choose, only an aid to one. */
export function isComfortNoise(f: { readonly name: string }): boolean {
  return f.name.toLowerCase() === 'cn';
}

/** Same encoding: name case-insensitively (RFC 4855 §3), clock rate and channel count. */
export function sameCodec(a: CodecIdentity, b: CodecIdentity): boolean {
  return (
    a.name.toLowerCase() === b.name.toLowerCase() && a.clockRate === b.clockRate && a.channels === b.channels
  );
}
