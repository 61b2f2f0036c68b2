/**
 * Links to a recording's audio that work without signing in, for systems that
 * fetch it themselves (a CRM attaching the recording to its call, a ticket with
 * the recording linked): the recording's id and an expiry, signed with a platform
 * secret (HMAC-SHA256). Nothing but that one file can be reached with one, and
 * only until it expires or the recording is deleted.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';

/** How long a link works (a CRM may fetch the file some time after the call). */
export const LINK_DAYS = 30;

const SECRET_NAME = 'recording-links';

export class RecordingLinks {
  private secret: Promise<Buffer> | null = null;

  constructor(
    private readonly store: Store,
    /** Where the API is reached from outside: https://pbx.example.com:8089 */
    private readonly baseUrl: string,
  ) {}

  private key(): Promise<Buffer> {
    this.secret ??= this.store
      .platformSecret(SECRET_NAME, () => randomBytes(32).toString('hex'))
      .then((hex) => Buffer.from(hex, 'hex'));
    return this.secret;
  }

  private async sign(id: string, expires: number): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(`${id}.${expires}`)
      .digest('base64url');
  }

  /** A link to the recording's audio that works for `LINK_DAYS`. */
  async url(recordingId: string, now = new Date()): Promise<string> {
    const expires = Math.floor(now.getTime() / 1000) + LINK_DAYS * 86400;
    const token = `${recordingId}.${expires}.${await this.sign(recordingId, expires)}`;
    return `${this.baseUrl}/api/v1/recording-links/${token}`;
  }

  /** The recording a token names, or null when it is forged, mangled or expired. */
  async verify(token: string, now = new Date()): Promise<string | null> {
    const m = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const [, id, exp, mac] = m as unknown as [string, string, string, string];
    const expected = Buffer.from(await this.sign(id, Number(exp)));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return Number(exp) * 1000 < now.getTime() ? null : id;
  }
}
