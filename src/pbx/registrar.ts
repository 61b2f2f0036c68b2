/**
 * The registrar (RFC 3261 §10.3) for every tenant domain: digest-authenticated
 * REGISTER, several contacts per extension, expiry with Min-Expires (423),
 * removal by Expires: 0 and by "*", Call-ID/CSeq ordering, and Path (RFC 3327).
 *
 * Unknown domain, unknown user, wrong password and a user registering someone
 * else's extension all get the same answers, so a scanner learns nothing.
 */
import type { DigestAuthenticator } from '../sip/auth.js';
import { makeResponse } from '../sip/build.js';
import {
  formatUri,
  ownCopy,
  parseContacts,
  type SipRequest,
  type SipResponse,
} from '../sip/message/index.js';
import type { Destination } from '../sip/transaction/types.js';
import { type AuthWatch, authenticate } from './authenticate.js';
import type { Directory } from './directory.js';
import { aorOf, type Binding, type LocationService } from './location.js';

function ownOrNull(s: string | undefined): string | null {
  return s === undefined ? null : ownCopy(s);
}

export interface RegistrarOptions {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  maxContactsPerAor: number;
}

export const REGISTRAR_DEFAULTS: RegistrarOptions = {
  minExpires: 60,
  maxExpires: 3600,
  defaultExpires: 3600,
  maxContactsPerAor: 10,
};

export class Registrar {
  private readonly opts: RegistrarOptions;

  constructor(
    private readonly directory: Directory,
    private readonly location: LocationService,
    private readonly auth: DigestAuthenticator,
    private readonly clock: () => number = Date.now,
    opts: Partial<RegistrarOptions> = {},
    /** Brute-force protection: failures counted per source, banned sources refused. */
    private readonly watch?: AuthWatch,
    /** The source a REGISTER is judged by: the phone's, when it came through a trusted proxy. */
    private readonly judgedBy: (req: SipRequest, source: Destination) => Destination = (_req, source) =>
      source,
  ) {
    this.opts = { ...REGISTRAR_DEFAULTS, ...opts };
  }

  handle(req: SipRequest, source: Destination): SipResponse {
    const realm = req.uri.host.toLowerCase();
    const authn = authenticate(req, this.directory, this.auth, {
      proxy: false,
      party: 'To',
      realm,
      source: this.judgedBy(req, source),
      ...(this.watch ? { watch: this.watch } : {}),
    });
    if (!authn.ok) return authn.response;
    const { tenant, ext } = authn;
    const aor = aorOf(tenant.id, ext.number);
    const now = this.clock();
    const current = this.location.lookup(aor, now);
    const contactValues = req.headers.getAll('Contact');
    const expiresHeader = req.headers.get('Expires');
    const headerExpires = expiresHeader === undefined ? null : Number.parseInt(expiresHeader, 10);
    if (headerExpires !== null && !(headerExpires >= 0))
      return makeResponse(req, 400, { reason: 'Bad Expires' });
    const callId = req.headers.get('Call-ID') ?? '';
    const cseq = Number.parseInt(req.headers.get('CSeq') ?? '', 10);

    if (contactValues.length === 0) return this.ok(req, current, now); // a query (§10.2.3)

    const parsed = contactValues.map((v) => parseContacts(v));
    if (parsed.some((p) => p === null)) return makeResponse(req, 400, { reason: 'Bad Contact' });
    // §10.3 step 6: "*" is only valid alone and with Expires: 0.
    if (parsed.some((p) => p === '*')) {
      if (parsed.length !== 1 || headerExpires !== 0)
        return makeResponse(req, 400, { reason: 'Invalid Wildcard Contact' });
      if (current.some((b) => b.callId === callId && b.cseq >= cseq))
        return makeResponse(req, 500, { reason: 'Out of Order' });
      this.location.store(aor, []);
      return this.ok(req, [], now);
    }

    const next = new Map(current.map((b) => [b.contact, b]));
    // A binding lives for up to an hour: its text is copied out of the request (ownCopy) so it
    // does not keep the whole REGISTER in memory with it.
    const path = req.headers.getAll('Path').map(ownCopy);
    const kept = { callId: ownCopy(callId), userAgent: ownOrNull(req.headers.get('User-Agent')) };
    for (const list of parsed as Exclude<(typeof parsed)[number], '*' | null>[]) {
      for (const c of list) {
        const contact = formatUri(c.uri);
        const param = c.params.get('expires');
        let expires =
          param !== undefined && param !== null
            ? Number.parseInt(param, 10)
            : (headerExpires ?? this.opts.defaultExpires);
        if (!Number.isFinite(expires) || expires < 0) expires = this.opts.defaultExpires;
        if (expires > 0 && expires < this.opts.minExpires) {
          return makeResponse(req, 423, { headers: [['Min-Expires', String(this.opts.minExpires)]] });
        }
        expires = Math.min(expires, this.opts.maxExpires);
        const existing = next.get(contact);
        // §10.3 step 7: same Call-ID with a CSeq not higher is an old or replayed request.
        if (existing && existing.callId === callId && existing.cseq >= cseq) {
          return makeResponse(req, 500, { reason: 'Out of Order' });
        }
        if (expires === 0) {
          next.delete(contact);
          continue;
        }
        const q = Number.parseFloat(c.params.get('q') ?? '1');
        const binding: Binding = {
          contact: ownCopy(contact),
          expiresAt: now + expires * 1000,
          callId: kept.callId,
          cseq,
          source,
          path,
          userAgent: kept.userAgent,
          q: Number.isFinite(q) ? q : 1,
        };
        next.set(contact, binding);
      }
    }
    if (next.size > this.opts.maxContactsPerAor) {
      return makeResponse(req, 403, { reason: `At Most ${this.opts.maxContactsPerAor} Contacts` });
    }
    const bindings = [...next.values()];
    this.location.store(aor, bindings);
    return this.ok(req, bindings, now);
  }

  /** §10.3 step 8: 200 with every current binding and its remaining lifetime. */
  private ok(req: SipRequest, bindings: Binding[], now: number): SipResponse {
    const headers: [string, string][] = bindings.map((b) => [
      'Contact',
      `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
    ]);
    for (const p of req.headers.getAll('Path')) headers.push(['Path', p]);
    headers.push(['Date', new Date(now).toUTCString()]);
    return makeResponse(req, 200, { headers });
  }
}
