/**
 * The PBX registering itself to a SIP trunk provider (RFC 3261 §10.2): an outbound
 * REGISTER client that keeps a binding for our Contact at the carrier's registrar,
 * so the carrier knows where to send the trunk's inbound calls.
 *
 * One TrunkRegistration per trunk. It answers digest challenges, and on refreshes
 * reuses the last nonce with a growing nonce-count (RFC 7616 §3.4) so the carrier
 * is not made to challenge every refresh; it refreshes before the granted expiry,
 * fails over between the registrar's addresses (RFC 3263 §4.3) and backs off
 * exponentially while the carrier refuses or cannot be reached. Its state is
 * visible through status() and the onChange callback; nothing it does on a timer
 * throws.
 */
import type { Logger } from 'pino';
import { authorize, parseDigestParams } from '../../sip/auth.js';
import { newCallId, newTag } from '../../sip/build.js';
import { contactFor, type LocalAddress, viaFor } from '../../sip/dialog.js';
import {
  formatUri,
  Headers,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from '../../sip/message/index.js';
import type { Clock, Timer } from '../../sip/transaction/clock.js';
import type { ClientHandlers } from '../../sip/transaction/layer.js';
import type { Destination } from '../../sip/transaction/types.js';
import { inTrunkRealm } from './challenge.js';

/** First retry after a failure, doubled for each consecutive failure up to BACKOFF_MAX_SEC. */
const BACKOFF_BASE_SEC = 30;
/** A carrier that keeps refusing still hears from us every 10 minutes, not in a tight loop (nor gets us banned). */
const BACKOFF_MAX_SEC = 600;
/**
 * A long binding is refreshed this long before it expires: room for one dead
 * registrar address to time out (Timer F, 32 s) and a challenge round with the next.
 */
const REFRESH_MARGIN_SEC = 60;
/** Longest timer we set: setTimeout overflows (and fires at once) past 2^31 ms, about 24.8 days. */
const MAX_DELAY_SEC = 86_400;
/** Retry-After is honoured up to an hour: one odd header must not park a trunk for days. */
const MAX_RETRY_AFTER_SEC = 3_600;
/** Challenges answered in one exchange: stale nonces are retried, a registrar that never stops is not. */
const MAX_CHALLENGES = 3;
/** stop() waits this long for the un-REGISTER's answer: shutting down must not hang on a dead carrier. */
const UNREGISTER_WAIT_MS = 2_000;

/** What this client needs of the transaction layer (TransactionLayer fits). */
export interface RequestSender {
  sendRequest(req: SipRequest, dest: Destination, on: ClientHandlers): unknown;
}

export interface RegistrationDeps {
  layer: RequestSender;
  clock: Clock;
  /** How we name ourselves (Via, Contact) towards a destination. */
  localFor(dest: Destination): LocalAddress;
  /** Where the registrar is, in order (resolved by the caller, RFC 3263); called before each attempt. */
  resolve(): Promise<Destination[]>;
  log: Logger;
  /** User-Agent of our REGISTERs; none by default, so the product and version are not advertised. */
  userAgent?: string | null;
}

export interface RegistrationConfig {
  trunkId: string;
  /** Registrar domain: Request-URI sip:<domain>, and the host of From/To. */
  domain: string;
  /** AOR user (From/To). */
  username: string;
  /** Digest user name (often the same as `username`). */
  authUsername: string;
  /** The realm challenges must be in to be answered (null: any). */
  realm: string | null;
  password: string;
  /** Expiry asked for, in seconds. */
  expirySec: number;
  /** Our Contact user: the provider sends inbound calls to sip:<contactUser>@<us>. */
  contactUser: string;
}

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'stopped';

export interface RegistrationStatus {
  state: RegistrationState;
  /** Status code of the last final answer; null before one, or when the last attempt got none. */
  lastStatus: number | null;
  lastError: string | null;
  /** When the registrar last accepted a REGISTER (the first one or a refresh). */
  registeredAt: Date | null;
  /** When the binding the registrar last granted runs out. */
  expiresAt: Date | null;
  /** When the next REGISTER (refresh or retry) goes out; null while one is under way or when stopped. */
  nextAttemptAt: Date | null;
  /** Consecutive failed attempts; 0 after a success. */
  failures: number;
  /** The registrar address last used, e.g. "udp:203.0.113.5:5060". */
  destination: string | null;
}

/**
 * Seconds after a 2xx at which the binding is refreshed: half the granted time for
 * short bindings, REFRESH_MARGIN_SEC before expiry for long ones (whichever is later),
 * at least 1 s so a tiny grant cannot make us loop, at most a day.
 */
export function refreshAfterSec(grantedSec: number): number {
  const at = Math.max(grantedSec / 2, grantedSec - REFRESH_MARGIN_SEC);
  return Math.min(Math.max(at, 1), MAX_DELAY_SEC);
}

/** Seconds to wait after the n-th consecutive failure: 30, 60, 120 ... capped at 600. */
export function backoffSec(failures: number): number {
  return Math.min(BACKOFF_BASE_SEC * 2 ** Math.max(failures - 1, 0), BACKOFF_MAX_SEC);
}

/** How one client transaction ended. */
type Answer = { kind: 'response'; res: SipResponse } | { kind: 'timeout' } | { kind: 'transportError' };

/** How one registrar address dealt with us, challenges and 423 already handled. */
type Outcome =
  | { kind: 'ok'; status: number; grantedSec: number }
  | { kind: 'refused'; status: number; reason: string; retryAfterSec: number | null }
  | { kind: 'unreachable'; reason: string }
  /** stop() or a restart made this exchange irrelevant. */
  | { kind: 'abandoned' };

/** The challenge last answered, reused on later requests with the next nonce-count. */
interface CachedChallenge {
  header: 'Authorization' | 'Proxy-Authorization';
  challenge: string;
  nc: number;
}

interface StatusFields {
  state: RegistrationState;
  lastStatus: number | null;
  lastError: string | null;
  registeredAt: number | null;
  expiresAt: number | null;
  nextAttemptAt: number | null;
  failures: number;
  destination: string | null;
}

function label(dest: Destination): string {
  const host = dest.host.includes(':') && !dest.host.startsWith('[') ? `[${dest.host}]` : dest.host;
  return `${dest.transport.toLowerCase()}:${host}:${dest.port}`;
}

function sameDestination(a: Destination, b: Destination): boolean {
  return a.transport === b.transport && a.host === b.host && a.port === b.port;
}

/** The destination holding our binding first, so refreshes stay with the server that has it. */
function preferring(dests: Destination[], preferred: Destination | null): Destination[] {
  if (!preferred) return dests;
  const i = dests.findIndex((d) => sameDestination(d, preferred));
  return i <= 0 ? dests : [dests[i]!, ...dests.slice(0, i), ...dests.slice(i + 1)];
}

/** A delta-seconds value (RFC 3261 §25.1), or null when absent or not one. */
function deltaSeconds(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const m = /^\s*(\d{1,10})\s*$/.exec(value);
  return m ? Number(m[1]) : null;
}

/** Retry-After's leading delta-seconds; a comment or duration may follow (RFC 3261 §20.33). */
function retryAfterOf(res: SipResponse): number | null {
  const m = /^\s*(\d{1,10})/.exec(res.headers.get('Retry-After') ?? '');
  return m ? Math.min(Number(m[1]), MAX_RETRY_AFTER_SEC) : null;
}

function portOf(uri: SipUri): number {
  return uri.port ?? (uri.scheme === 'sips' || transportOf(uri) === 'tls' ? 5061 : 5060);
}

function transportOf(uri: SipUri): string {
  return (uri.params.get('transport') ?? 'udp').toLowerCase();
}

/** RFC 3261 §19.1.4, as far as a binding goes: same user, host, port and transport. */
function sameContact(a: SipUri, b: SipUri): boolean {
  return (
    a.user === b.user &&
    a.host.toLowerCase() === b.host.toLowerCase() &&
    portOf(a) === portOf(b) &&
    transportOf(a) === transportOf(b)
  );
}

/**
 * RFC 3261 §10.2.4: our binding's expiry is the `expires` parameter of our Contact in
 * the 2xx (which lists every binding of the AOR, other nodes' too), else the Expires
 * header, else what we asked. A registrar behind a NAT fixer may rewrite our host and
 * port, so when no Contact matches exactly, the only one with our user part is ours.
 */
function grantedSec(res: SipResponse, ours: SipUri | null, asked: number): number {
  const contacts = res.headers
    .getAll('Contact')
    .map((c) => parseNameAddr(c))
    .filter((c) => c !== null);
  const exact = ours ? contacts.find((c) => sameContact(c.uri, ours)) : undefined;
  const sameUser = ours ? contacts.filter((c) => c.uri.user === ours.user) : [];
  const mine = exact ?? (sameUser.length === 1 ? sameUser[0] : undefined);
  return deltaSeconds(mine?.params.get('expires')) ?? deltaSeconds(res.headers.get('Expires')) ?? asked;
}

/** Whether `authorize()` can answer this challenge (a digest with an algorithm we know). */
function answerable(challenge: string): boolean {
  return authorize(challenge, { username: '', password: '' }, { method: 'REGISTER', uri: '' }) !== null;
}

function isStale(challenge: string): boolean {
  return parseDigestParams(challenge)?.get('stale')?.toLowerCase() === 'true';
}

function refused(res: SipResponse, reason: string): Outcome {
  const retryAfterSec = res.status === 500 || res.status === 503 ? retryAfterOf(res) : null;
  return { kind: 'refused', status: res.status, reason, retryAfterSec };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class TrunkRegistration {
  private readonly log: Logger;
  /** Request-URI: the registrar's domain, no user part (§10.2). */
  private readonly registrar: SipUri;
  private readonly registrarText: string;
  /** Address of record, From and To. */
  private readonly aor: string;
  /** §10.2.4: one Call-ID for every REGISTER of this registration's life, made on first use. */
  private callId: string | null = null;
  /** §10.2.4: increases on every request, across refreshes, retries and restarts. */
  private cseq = 0;
  private fromTag = newTag();
  /** Expiry asked for: the configured one, raised by a 423's Min-Expires. */
  private askSec: number;
  private challenge: CachedChallenge | null = null;
  /** Where the binding lives: refreshes and the un-REGISTER go there first. */
  private boundTo: Destination | null = null;
  /** Where a REGISTER is outstanding: stop() unregisters there too, since it may yet succeed. */
  private inFlight: Destination | null = null;
  private timer: Timer | null = null;
  /** Bumped by start() and stop(): answers to an older generation's requests are ignored. */
  private generation = 0;
  private running = false;
  private fields: StatusFields = {
    state: 'stopped',
    lastStatus: null,
    lastError: null,
    registeredAt: null,
    expiresAt: null,
    nextAttemptAt: null,
    failures: 0,
    destination: null,
  };

  constructor(
    private readonly deps: RegistrationDeps,
    private readonly cfg: RegistrationConfig,
    private readonly onChange?: (s: RegistrationStatus) => void,
  ) {
    const registrar = parseUri(`sip:${cfg.domain}`);
    if (!registrar || registrar.user !== null)
      throw new Error(`trunk ${cfg.trunkId}: invalid registrar domain ${JSON.stringify(cfg.domain)}`);
    this.registrar = registrar;
    this.registrarText = formatUri(registrar);
    this.aor = formatUri({ ...registrar, user: cfg.username, params: new Map(), headers: new Map() });
    this.askSec = cfg.expirySec;
    this.log = deps.log.child({ trunk: cfg.trunkId });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    // A new registration: a new From tag; the Call-ID and CSeq carry on (§10.2.4).
    this.fromTag = newTag();
    this.update({ failures: 0, lastError: null });
    this.kick();
  }

  /** Unregisters (Expires: 0, waits for the answer at most ~2 s) and stops timers. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const gen = ++this.generation;
    this.timer?.cancel();
    this.timer = null;
    const dest = this.bindingAlive() ? this.boundTo : this.inFlight;
    this.update({ nextAttemptAt: null });
    if (dest) await this.unregister(dest, gen);
    if (gen === this.generation) this.update({ state: 'stopped' });
  }

  status(): RegistrationStatus {
    const f = this.fields;
    const date = (ms: number | null) => (ms === null ? null : new Date(ms));
    return {
      state: f.state,
      lastStatus: f.lastStatus,
      lastError: f.lastError,
      registeredAt: date(f.registeredAt),
      expiresAt: date(f.expiresAt),
      nextAttemptAt: date(f.nextAttemptAt),
      failures: f.failures,
      destination: f.destination,
    };
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private bindingAlive(): boolean {
    return this.boundTo !== null && this.fields.expiresAt !== null && this.fields.expiresAt > this.now();
  }

  /** Starts an attempt (first registration, refresh or retry); never throws. */
  private kick(): void {
    const gen = this.generation;
    // A refresh keeps 'registered': the binding holds while it is renewed.
    this.update({
      state: this.fields.state === 'registered' ? 'registered' : 'registering',
      nextAttemptAt: null,
    });
    this.attempt(gen).catch((err: unknown) => {
      this.log.error({ err }, 'trunk registration attempt failed unexpectedly');
      if (gen === this.generation) this.fail(null, `internal error: ${messageOf(err)}`, null);
    });
  }

  private schedule(sec: number): void {
    this.timer?.cancel();
    const gen = this.generation;
    this.timer = this.deps.clock.after(Math.min(sec, MAX_DELAY_SEC) * 1000, () => {
      if (gen === this.generation && this.running) this.kick();
    });
  }

  /** One attempt: the registrar's addresses in turn until one answers (RFC 3263 §4.3). */
  private async attempt(gen: number): Promise<void> {
    let dests: Destination[];
    try {
      dests = preferring(await this.deps.resolve(), this.boundTo);
    } catch (err) {
      if (gen === this.generation)
        this.fail(null, `could not resolve the registrar: ${messageOf(err)}`, null);
      return;
    }
    if (gen !== this.generation) return;
    if (dests.length === 0) return this.fail(null, 'the registrar resolved to no address', null);
    let last: Outcome = { kind: 'unreachable', reason: 'no address tried' };
    for (const [i, dest] of dests.entries()) {
      last = await this.registerAt(dest, this.askSec, gen);
      if (last.kind === 'abandoned') return;
      if (last.kind === 'ok') return this.succeed(dest, last);
      // An address that does not answer, or is overloaded (503), leaves the others to try.
      const tryNext = last.kind === 'unreachable' || last.status === 503;
      if (!tryNext || i === dests.length - 1) break;
      this.log.info(
        { dest: label(dest), reason: this.reasonOf(last) },
        'registrar address failed; trying the next',
      );
    }
    if (last.kind === 'refused') this.fail(last.status, last.reason, last.retryAfterSec);
    else if (last.kind === 'unreachable') this.fail(null, last.reason, null);
  }

  private reasonOf(o: Outcome): string {
    return o.kind === 'refused' ? `${o.status} ${o.reason}` : o.kind === 'unreachable' ? o.reason : o.kind;
  }

  private succeed(dest: Destination, ok: { status: number; grantedSec: number }): void {
    if (ok.grantedSec < 1) {
      this.fail(ok.status, 'the registrar granted our binding no time', null);
      return;
    }
    const now = this.now();
    const refresh = refreshAfterSec(ok.grantedSec);
    const first = this.fields.state !== 'registered';
    this.boundTo = dest;
    this.update({
      state: 'registered',
      lastStatus: ok.status,
      lastError: null,
      registeredAt: now,
      expiresAt: now + ok.grantedSec * 1000,
      nextAttemptAt: now + refresh * 1000,
      failures: 0,
      destination: label(dest),
    });
    const info = { dest: label(dest), grantedSec: ok.grantedSec, refreshInSec: refresh };
    if (first) this.log.info(info, 'trunk registered');
    else this.log.debug(info, 'trunk registration refreshed');
    this.schedule(refresh);
  }

  private fail(status: number | null, reason: string, retryAfterSec: number | null): void {
    const failures = this.fields.failures + 1;
    // Retry-After is the server's own estimate of when it can serve us again; else back off.
    const delay = Math.max(retryAfterSec ?? backoffSec(failures), 1);
    this.log.warn({ status, reason, failures, retryInSec: delay }, 'trunk registration failed');
    this.update({
      state: 'failed',
      lastStatus: status,
      lastError: reason,
      failures,
      nextAttemptAt: this.now() + delay * 1000,
    });
    this.schedule(delay);
  }

  /**
   * REGISTER at one address, answering challenges and a 423 on the way. `expiresSec`
   * 0 removes our binding (§10.2.2: only ours, never "*", which would also remove the
   * bindings other nodes hold for the same AOR).
   */
  private async registerAt(dest: Destination, expiresSec: number, gen: number): Promise<Outcome> {
    let asked = expiresSec;
    let challenges = 0;
    let raised = false;
    this.update({ destination: label(dest) });
    for (;;) {
      const local = this.deps.localFor(dest);
      const answer = await this.exchange(this.buildRegister(local, asked), dest);
      if (gen !== this.generation) return { kind: 'abandoned' };
      if (answer.kind === 'timeout') return { kind: 'unreachable', reason: `no answer from ${label(dest)}` };
      if (answer.kind === 'transportError')
        return { kind: 'unreachable', reason: `could not send to ${label(dest)}` };
      const res = answer.res;
      if (res.status >= 200 && res.status < 300)
        return { kind: 'ok', status: res.status, grantedSec: grantedSec(res, this.contactUri(local), asked) };
      if (res.status === 401 || res.status === 407) {
        const refusal = this.takeChallenge(res, challenges);
        if (refusal) return refusal;
        challenges++;
        continue;
      }
      if (res.status === 423 && asked > 0) {
        // §10.2.8: ask again for at least Min-Expires, and keep asking that from now on.
        const min = deltaSeconds(res.headers.get('Min-Expires'));
        if (raised || min === null || min <= asked) return refused(res, 'interval too brief');
        asked = min;
        this.askSec = min;
        raised = true;
        continue;
      }
      return refused(res, res.reason || 'refused by the registrar');
    }
  }

  /**
   * Takes the challenge of a 401/407 to answer next, or says why not. A challenge
   * after we answered one in this exchange means the credentials were refused,
   * unless it says the nonce was merely stale; a challenge to credentials reused
   * from an earlier exchange is simply a new nonce.
   */
  private takeChallenge(res: SipResponse, answeredSoFar: number): Outcome | null {
    const proxy = res.status === 407;
    const offers = res.headers.getAll(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    const challenge = offers.find((c) => answerable(c) && inTrunkRealm(c, this.cfg.realm));
    if (challenge === undefined)
      return refused(
        res,
        offers.some(answerable)
          ? 'challenged in a realm other than the configured one'
          : 'no digest challenge we can answer',
      );
    if (answeredSoFar > 0 && !isStale(challenge))
      return refused(res, 'credentials refused (wrong username or password?)');
    if (answeredSoFar >= MAX_CHALLENGES) return refused(res, 'the registrar keeps challenging');
    this.challenge = { header: proxy ? 'Proxy-Authorization' : 'Authorization', challenge, nc: 0 };
    return null;
  }

  private exchange(req: SipRequest, dest: Destination): Promise<Answer> {
    return new Promise((resolve) => {
      this.inFlight = dest;
      const done = (a: Answer) => {
        if (this.inFlight === dest) this.inFlight = null;
        resolve(a);
      };
      this.deps.layer.sendRequest(req, dest, {
        response: (res) => {
          if (res.status >= 200) done({ kind: 'response', res });
        },
        timeout: () => done({ kind: 'timeout' }),
        transportError: () => done({ kind: 'transportError' }),
      });
    });
  }

  private contact(local: LocalAddress): string {
    return contactFor(local, this.cfg.contactUser);
  }

  private contactUri(local: LocalAddress): SipUri | null {
    return parseNameAddr(this.contact(local))?.uri ?? null;
  }

  private buildRegister(local: LocalAddress, expiresSec: number): SipRequest {
    this.callId ??= newCallId(local.host);
    const headers = new Headers();
    headers.append('Via', viaFor(local)); // a new branch: every REGISTER is a new transaction
    headers.append('Max-Forwards', '70');
    headers.append('From', `<${this.aor}>;tag=${this.fromTag}`);
    headers.append('To', `<${this.aor}>`);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${++this.cseq} REGISTER`);
    headers.append('Contact', this.contact(local));
    headers.append('Expires', String(expiresSec));
    const auth = this.credentials();
    if (auth) headers.append(auth[0], auth[1]);
    if (this.deps.userAgent) headers.append('User-Agent', this.deps.userAgent);
    return {
      kind: 'request',
      method: 'REGISTER',
      uri: this.registrar,
      rawUri: this.registrarText,
      headers,
      body: Buffer.alloc(0),
    };
  }

  /** Credentials for the cached challenge, with the next nonce-count (counted only when qop is used). */
  private credentials(): [string, string] | null {
    const c = this.challenge;
    if (!c) return null;
    c.nc++;
    const value = authorize(
      c.challenge,
      { username: this.cfg.authUsername, password: this.cfg.password },
      { method: 'REGISTER', uri: this.registrarText },
      c.nc,
    );
    return value === null ? null : [c.header, value];
  }

  private async unregister(dest: Destination, gen: number): Promise<void> {
    let wake: (v: 'late') => void = () => {};
    const late = new Promise<'late'>((resolve) => {
      wake = resolve;
    });
    const timer = this.deps.clock.after(UNREGISTER_WAIT_MS, () => wake('late'));
    const outcome = await Promise.race([this.registerAt(dest, 0, gen), late]);
    timer.cancel();
    if (outcome === 'late') {
      this.log.warn({ dest: label(dest) }, 'no answer to the un-REGISTER; the binding will expire by itself');
      return;
    }
    if (outcome.kind === 'ok') {
      this.log.info({ dest: label(dest) }, 'trunk unregistered');
      this.boundTo = null;
      this.update({ expiresAt: null, lastStatus: outcome.status, lastError: null });
    } else if (outcome.kind !== 'abandoned') {
      this.log.warn({ dest: label(dest), reason: this.reasonOf(outcome) }, 'un-REGISTER failed');
    }
  }

  private update(patch: Partial<StatusFields>): void {
    const next = { ...this.fields, ...patch };
    const changed = (Object.keys(patch) as (keyof StatusFields)[]).some((k) => next[k] !== this.fields[k]);
    this.fields = next;
    if (!changed || !this.onChange) return;
    try {
      this.onChange(this.status());
    } catch (err) {
      // A listener's bug must not stop registrations.
      this.log.error({ err }, 'trunk registration status listener threw');
    }
  }
}
