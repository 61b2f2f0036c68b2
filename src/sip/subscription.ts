/**
 * The notifier side of SIP-specific event notification (RFC 6665): a SUBSCRIBE
 * creates a subscription (and a dialog) that lives until it expires, is refreshed,
 * or is ended by either side; every change of the watched resource goes out as a
 * NOTIFY carrying the Subscription-State. Event packages (message-summary for
 * voicemail lamps, dialog for busy-lamp fields, ...) only say which resource a
 * subscription watches and what its current state looks like as a body.
 *
 * Knows nothing of tenants: the caller authorises the subscriber and names the
 * resource; this module does the protocol.
 */
import { makeResponse, newTag } from './build.js';
import { contactFor, Dialog, incomingDialogKey, type LocalAddress } from './dialog.js';
import type { SipRequest, SipResponse } from './message/index.js';
import type { Clock, Timer } from './transaction/clock.js';
import type { ServerTransaction, TransactionLayer } from './transaction/layer.js';
import type { Destination } from './transaction/types.js';

export interface NotifyBody {
  contentType: string;
  body: Buffer;
}

export interface EventPackage {
  /** The Event header token, e.g. `message-summary` (RFC 3842) or `dialog` (RFC 4235). */
  event: string;
  /** Body types this package can send; a SUBSCRIBE whose Accept allows none of them gets 406. */
  contentTypes: string[];
  /** Seconds: used when SUBSCRIBE has no Expires, the shortest accepted (423 below), the longest granted. */
  expires: { default: number; min: number; max: number };
  /** The resource's current state for one subscription; null sends a NOTIFY without a body. */
  state(sub: Subscription): NotifyBody | null | Promise<NotifyBody | null>;
}

/** RFC 6665 §4.1.3 reasons, as the subscriber is told them in Subscription-State. */
export type TerminationReason = 'timeout' | 'noresource' | 'deactivated' | 'rejected' | 'giveup';

export interface Subscription {
  readonly key: string;
  readonly event: string;
  /** The Event header's id parameter: several subscriptions can share a dialog (§4.1.2.1). */
  readonly eventId: string | null;
  /** What the caller said this subscription watches (an extension, a mailbox...). */
  readonly resource: string;
  readonly dialog: Dialog;
  /** Whatever the caller attached when authorising (who subscribed, their tenant...). */
  readonly owner: unknown;
  expiresAt: number;
  state: 'active' | 'terminated';
}

export interface NotifierContext {
  layer: TransactionLayer;
  clock: Clock;
  localFor(dest: Destination): LocalAddress;
}

interface Entry {
  sub: Subscription;
  timer: Timer | null;
  /** NOTIFYs of one subscription leave in order: each waits for the previous body to be built. */
  queue: Promise<void>;
  /** A state NOTIFY is queued and has not read the state yet: further changes ride on it. */
  queued?: boolean;
}

/** `Event: foo;id=bar` → { event: 'foo', id: 'bar' }. */
export function parseEventHeader(value: string | undefined): { event: string; id: string | null } | null {
  if (!value) return null;
  const [head, ...params] = value.split(';');
  const event = head?.trim().toLowerCase();
  if (!event || !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(event)) return null;
  let id: string | null = null;
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'id' && v) id = v.trim();
  }
  return { event, id };
}

/** True when an Accept header value admits `contentType` (absent Accept admits the package default). */
function accepts(accept: string | undefined, contentType: string): boolean {
  if (accept === undefined) return true;
  const [type, sub] = contentType.toLowerCase().split('/');
  return accept.split(',').some((range) => {
    const r = range.split(';')[0]!.trim().toLowerCase();
    const [rt, rs] = r.split('/');
    return (rt === '*' || rt === type) && (rs === '*' || rs === sub);
  });
}

export class Notifier {
  private readonly packages = new Map<string, EventPackage>();
  private readonly subs = new Map<string, Entry>();
  /** How many subscriptions live in each dialog, so in-dialog requests are routed in O(1). */
  private readonly dialogs = new Map<string, number>();

  constructor(
    private readonly ctx: NotifierContext,
    packages: EventPackage[] = [],
  ) {
    for (const p of packages) this.register(p);
  }

  register(pkg: EventPackage): void {
    this.packages.set(pkg.event.toLowerCase(), pkg);
  }

  /** The Allow-Events header value (RFC 6665 §8.2.2): the packages this notifier serves. */
  get allowEvents(): string {
    return [...this.packages.keys()].join(', ');
  }

  get count(): number {
    return this.subs.size;
  }

  /** The package a SUBSCRIBE asks for, or the response refusing it (489 Bad Event). */
  packageFor(req: SipRequest): EventPackage | SipResponse {
    const ev = parseEventHeader(req.headers.get('Event'));
    const pkg = ev ? this.packages.get(ev.event) : undefined;
    if (pkg) return pkg;
    return makeResponse(req, 489, { headers: [['Allow-Events', this.allowEvents]] });
  }

  /**
   * An initial SUBSCRIBE (no To tag), already authenticated by the caller, who
   * names the resource it watches. Answers it and sends the first NOTIFY.
   */
  subscribe(
    req: SipRequest,
    tx: ServerTransaction,
    source: Destination,
    resource: string,
    owner?: unknown,
  ): void {
    const pkg = this.packageFor(req);
    if (!('event' in pkg)) {
      tx.respond(pkg);
      return;
    }
    const ev = parseEventHeader(req.headers.get('Event'))!;
    const refused = this.checkOffer(req, pkg);
    if (refused) {
      tx.respond(refused);
      return;
    }
    const expires = this.grant(req, pkg);
    const local = this.ctx.localFor(source);
    const dialog = Dialog.asUas(req, newTag(), source, local);
    if (!dialog) {
      tx.respond(makeResponse(req, 400, { reason: 'Missing Contact or From tag' }));
      return;
    }
    const sub: Subscription = {
      key: `${dialog.key}|${ev.event}|${ev.id ?? ''}`,
      event: ev.event,
      eventId: ev.id,
      resource,
      dialog,
      owner,
      expiresAt: this.ctx.clock.now() + expires * 1000,
      state: 'active',
    };
    tx.respond(this.ok(req, dialog, expires));
    if (expires === 0) {
      // A fetch (§4.4.3): one NOTIFY with the state, and the subscription is over.
      this.send({ sub, timer: null, queue: Promise.resolve() }, pkg, 'timeout');
      return;
    }
    const entry: Entry = { sub, timer: null, queue: Promise.resolve() };
    this.subs.set(sub.key, entry);
    this.dialogs.set(dialog.key, (this.dialogs.get(dialog.key) ?? 0) + 1);
    this.arm(entry);
    this.send(entry, pkg, null);
  }

  /**
   * A SUBSCRIBE inside an existing dialog: a refresh, or with Expires: 0 an
   * unsubscribe (§4.1.2.3). Returns false when no subscription of ours matches,
   * so the caller can answer 481.
   */
  refresh(req: SipRequest, tx: ServerTransaction): boolean {
    const dkey = incomingDialogKey(req);
    const ev = parseEventHeader(req.headers.get('Event'));
    const entry = dkey && ev ? this.subs.get(`${dkey}|${ev.event}|${ev.id ?? ''}`) : undefined;
    if (!entry) return false;
    const pkg = this.packages.get(entry.sub.event)!;
    if (!entry.sub.dialog.accept(req)) {
      tx.respond(makeResponse(req, 500, { reason: 'CSeq Out of Order' }));
      return true;
    }
    const refused = this.checkOffer(req, pkg);
    if (refused) {
      tx.respond(refused);
      return true;
    }
    const expires = this.grant(req, pkg);
    tx.respond(this.ok(req, entry.sub.dialog, expires));
    if (expires === 0) {
      this.end(entry, 'timeout');
      return true;
    }
    entry.sub.expiresAt = this.ctx.clock.now() + expires * 1000;
    this.arm(entry);
    this.send(entry, pkg, null);
    return true;
  }

  /** True when an in-dialog request belongs to one of our subscription dialogs. */
  owns(req: SipRequest): boolean {
    const dkey = incomingDialogKey(req);
    return dkey !== null && this.dialogs.has(dkey);
  }

  /** The resource changed: every active subscription to it of this event gets a NOTIFY. */
  notify(event: string, resource: string): void {
    const pkg = this.packages.get(event);
    if (!pkg) return;
    for (const entry of this.subs.values())
      if (entry.sub.event === pkg.event && entry.sub.resource === resource) this.send(entry, pkg, null);
  }

  /** Ends every subscription to a resource (it was deleted): `noresource` tells phones not to retry. */
  terminateResource(resource: string, reason: TerminationReason = 'noresource'): void {
    for (const entry of [...this.subs.values()]) if (entry.sub.resource === resource) this.end(entry, reason);
  }

  subscriptions(): Subscription[] {
    return [...this.subs.values()].map((e) => e.sub);
  }

  /**
   * Shutdown: `deactivated` asks subscribers to subscribe again at once (to
   * another node). Resolves when those last NOTIFYs have been handed to the wire.
   */
  async close(): Promise<void> {
    const entries = [...this.subs.values()];
    for (const entry of entries) this.end(entry, 'deactivated');
    await Promise.all(entries.map((e) => e.queue));
  }

  private checkOffer(req: SipRequest, pkg: EventPackage): SipResponse | null {
    const accept = req.headers.get('Accept');
    if (pkg.contentTypes.length && !pkg.contentTypes.some((t) => accepts(accept, t)))
      return makeResponse(req, 406, { headers: [['Accept', pkg.contentTypes.join(', ')]] });
    const raw = req.headers.get('Expires');
    if (raw !== undefined) {
      const n = Number(raw.trim());
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n))
        return makeResponse(req, 400, { reason: 'Bad Expires Header' });
      // §4.2.1.1: an interval shorter than we accept (and not 0, which ends the subscription) gets 423.
      if (n > 0 && n < pkg.expires.min)
        return makeResponse(req, 423, { headers: [['Min-Expires', String(pkg.expires.min)]] });
    }
    return null;
  }

  /** The interval granted: asked for, capped at the package maximum (§4.2.1.1 lets us shorten it). */
  private grant(req: SipRequest, pkg: EventPackage): number {
    const raw = req.headers.get('Expires');
    const asked = raw === undefined ? pkg.expires.default : Number(raw.trim());
    return Math.min(asked, pkg.expires.max);
  }

  private ok(req: SipRequest, dialog: Dialog, expires: number): SipResponse {
    return makeResponse(req, 200, {
      toTag: dialog.localTag,
      headers: [
        ['Expires', String(expires)],
        ['Contact', contactFor(dialog.local)],
      ],
    });
  }

  private arm(entry: Entry): void {
    entry.timer?.cancel();
    const ms = Math.max(0, entry.sub.expiresAt - this.ctx.clock.now());
    entry.timer = this.ctx.clock.after(ms, () => this.end(entry, 'timeout'));
  }

  private end(entry: Entry, reason: TerminationReason): void {
    if (entry.sub.state === 'terminated') return;
    this.forget(entry);
    const pkg = this.packages.get(entry.sub.event);
    if (pkg) this.send(entry, pkg, reason);
  }

  private forget(entry: Entry): void {
    entry.timer?.cancel();
    entry.sub.state = 'terminated';
    if (!this.subs.delete(entry.sub.key)) return;
    const dkey = entry.sub.dialog.key;
    const n = (this.dialogs.get(dkey) ?? 1) - 1;
    if (n > 0) this.dialogs.set(dkey, n);
    else this.dialogs.delete(dkey);
  }

  /**
   * Sends one NOTIFY with the current state; `terminated` set sends the final one.
   * Changes that come faster than NOTIFYs can be built coalesce into one carrying
   * the newest state (the body is read when the NOTIFY is built, not when queued).
   * A 481 or no answer at all ends the subscription (§4.2.2: the subscriber is gone).
   */
  private send(entry: Entry, pkg: EventPackage, terminated: TerminationReason | null): void {
    const { sub } = entry;
    if (!terminated && entry.queued) return;
    if (!terminated) entry.queued = true;
    entry.queue = entry.queue
      .then(async () => {
        if (!terminated) {
          entry.queued = false;
          if (sub.state === 'terminated') return;
        }
        const state = await pkg.state(sub);
        const left = Math.max(0, Math.ceil((sub.expiresAt - this.ctx.clock.now()) / 1000));
        const subState = terminated ? `terminated;reason=${terminated}` : `active;expires=${left}`;
        const event = sub.eventId ? `${sub.event};id=${sub.eventId}` : sub.event;
        const req = sub.dialog.request('NOTIFY', {
          headers: [
            ['Event', event],
            ['Subscription-State', subState],
          ],
          ...(state ? { body: state.body, contentType: state.contentType } : {}),
        });
        this.ctx.layer.sendRequest(req, sub.dialog.dest, {
          response: (res) => this.onNotifyAnswer(entry, res),
          timeout: () => this.drop(entry),
        });
      })
      .catch(() => this.drop(entry));
  }

  private onNotifyAnswer(entry: Entry, res: SipResponse): void {
    // §4.2.2: a 481, or any other failure, means the subscriber no longer has it; no further NOTIFY.
    if (res.status >= 300) this.drop(entry);
  }

  /** Ends a subscription without telling the subscriber (it is unreachable or refused our NOTIFY). */
  private drop(entry: Entry): void {
    this.forget(entry);
  }
}
