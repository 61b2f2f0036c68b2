/**
 * One side's SDP session within a dialog (RFC 3264 §8, RFC 8866 §5.2): our o= line with
 * a fixed session id and a version that moves by one each time what we describe changes,
 * and the memory of our last description (which re-offers must keep the shape of) and
 * of the peer's last one.
 *
 * RFC 3264 §8: "the "o=" line of the new SDP MUST be identical to that in the previous
 * SDP, except that the version in the origin field MUST increment by one from the
 * previous SDP. If the version in the origin line does not increment, the SDP MUST be
 * identical to the SDP with that version number." So an unchanged re-offer (a session
 * refresh, RFC 4028) repeats the version, and any change (relay port, direction,
 * codecs, address) bumps it.
 */
import { randomInt } from 'node:crypto';
import { connectionFor } from './address.js';
import { malformed, type SdpError } from './errors.js';
import type { Origin, SessionBody, SessionDescription } from './types.js';
import { writeSdp } from './write.js';

export interface SdpSessionOptions {
  /** Our address for the o= line: it names the session and never changes with it. */
  readonly address: string;
  /** Default '-' (RFC 8866 §5.2: no user ids on hosts). */
  readonly username?: string;
  /** Decimal digits; default a random one (RFC 8866 §5.2 asks it be unique). */
  readonly sessionId?: string;
  /** Version of the first description, decimal digits; default 1. */
  readonly initialVersion?: string;
}

/** How a peer's new description relates to its previous one. */
export type RemoteChange = 'initial' | 'unchanged' | 'changed';

export class SdpSession {
  readonly sessionId: string;
  private readonly origin: Omit<Origin, 'sessionVersion'>;
  private readonly initialVersion: string;
  private current: SessionDescription | null = null;
  private currentKey = '';
  private currentText: string | null = null;
  private remoteKey: string | null = null;

  constructor(options: SdpSessionOptions) {
    const digits = /^\d+$/;
    if (options.sessionId !== undefined && !digits.test(options.sessionId))
      throw new RangeError('session id is digits');
    if (options.initialVersion !== undefined && !digits.test(options.initialVersion)) {
      throw new RangeError('session version is digits');
    }
    // 48 random bits: unique enough and still exact as a JavaScript number.
    this.sessionId = options.sessionId ?? String(randomInt(1, 2 ** 48 - 1));
    this.initialVersion = options.initialVersion ?? '1';
    this.origin = {
      username: options.username ?? '-',
      sessionId: this.sessionId,
      connection: connectionFor(options.address),
    };
  }

  /** Our last description, or null before the first. */
  get local(): SessionDescription | null {
    return this.current;
  }

  /** The o= version of our last description, or null before the first. */
  get version(): string | null {
    return this.current?.origin.sessionVersion ?? null;
  }

  /**
   * Our next description (offer or answer) with its o= line: the previous one again if
   * nothing changed, else the same id with the version one higher.
   */
  describe(body: SessionBody): SessionDescription {
    const key = bodyKey(body);
    if (this.current && key === this.currentKey) return this.current;
    const sessionVersion = this.current
      ? (BigInt(this.current.origin.sessionVersion) + 1n).toString()
      : this.initialVersion;
    this.current = { ...body, origin: { ...this.origin, sessionVersion } };
    this.currentKey = key;
    this.currentText = null;
    return this.current;
  }

  /**
   * `describe` written out as SDP text. The key already is that text with a
   * placeholder o= line, so only that line is written again (this runs per call).
   */
  render(body: SessionBody): string {
    const desc = this.describe(body);
    this.currentText ??= this.currentKey.replace(PLACEHOLDER_ORIGIN_LINE, originLine(desc.origin));
    return this.currentText;
  }

  /**
   * Notes the peer's latest description and says whether it changed. Content is compared,
   * not the o= version: phones that reuse a version for a new SDP, or bump it for the
   * same one, are common enough that the version alone would mislead.
   */
  observeRemote(desc: SessionBody): RemoteChange {
    const key = bodyKey(desc);
    const before = this.remoteKey;
    this.remoteKey = key;
    if (before === null) return 'initial';
    return before === key ? 'unchanged' : 'changed';
  }

  /**
   * Checks a peer's re-offer against the session so far (RFC 3264 §8): it keeps at least
   * our m= lines, and each live one keeps its media type. Null when it is fine; the
   * error (400) fails that re-INVITE or UPDATE only, the dialog goes on (RFC 5057 §5.1).
   */
  checkReoffer(offer: SessionBody): SdpError | null {
    const before = this.current?.media ?? [];
    if (offer.media.length < before.length) {
      return malformed(`a re-offer has ${offer.media.length} m= lines, fewer than ${before.length}`).error;
    }
    const moved = before.findIndex((m, i) => m.port !== 0 && offer.media[i]!.kind !== m.kind);
    return moved < 0 ? null : malformed(`m= line ${moved} changed its media type in a re-offer`).error;
  }
}

const PLACEHOLDER: Origin = {
  username: '-',
  sessionId: '0',
  sessionVersion: '0',
  connection: { family: 'IP4', address: '0.0.0.0' },
};

/** The o= line as writeSdp writes it (RFC 8866 §5.2). */
function originLine(o: Origin): string {
  return `o=${o.username || '-'} ${o.sessionId} ${o.sessionVersion} IN ${o.connection.family} ${o.connection.address}\r\n`;
}

const PLACEHOLDER_ORIGIN_LINE = originLine(PLACEHOLDER);

/** What a description says, o= line aside: the text written with a fixed origin. */
function bodyKey(body: SessionBody): string {
  return writeSdp({ ...body, origin: PLACEHOLDER });
}
