/**
 * Call transfer by REFER (RFC 3515) inside an answered, anchored call.
 *
 * Blind: the transferor (one side) asks for its place to be taken by a number.
 * The PBX answers 202, rings the target's phones with an INVITE without SDP (the
 * target offers in its 2xx; RFC 3261 §13.2.1), and when one answers, the relay's
 * side is handed to it and the transferor is let go. The transferee hears
 * ringback meanwhile; the transferor hears how it went in NOTIFYs carrying a
 * message/sipfrag status line.
 *
 * Attended: the Refer-To carries Replaces (RFC 3891) naming the transferor's other
 * call. The party on the far side of that call is handed over to this one (its
 * dialog and SDP session move; a phone gets a re-INVITE continuing its session, a
 * browser's WebRTC leg is simply pointed at this relay) and the transferor leaves
 * both calls.
 */

import { authorize } from '../sip/auth.js';
import { makeCancel, makeResponse, newCallId } from '../sip/build.js';
import { Dialog, dialogKey, type LocalAddress, viaFor } from '../sip/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { Clock, Timer } from '../sip/transaction/clock.js';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import type { Destination, Sender } from '../sip/transaction/types.js';
import { type ActiveCall, Call, type CallParty, type TrunkDial } from './call.js';
import { SDP_TYPE, sdpOf } from './call-media.js';
import type { Binding } from './location.js';
import { inviteTo } from './outgoing-invite.js';

type Side = 'A' | 'B';
const other = (s: Side): Side => (s === 'A' ? 'B' : 'A');

export interface TransferDeps {
  layer: TransactionLayer;
  sender: Sender;
  clock: Clock;
  localFor(dest: Destination): LocalAddress;
  /** A number of the call's tenant as a transfer target: an extension with its contacts. */
  resolve(
    tenantId: string,
    number: string,
  ): { party: CallParty; bindings: Binding[]; ringTimeoutSec: number } | null;
  /**
   * A number outside the company as a transfer target: through a trunk, in the
   * transferor's name (its call class). Absent: external targets are refused.
   */
  resolveExternal?(
    call: Call,
    transferor: Side,
    number: string,
  ): Promise<
    | { dest: TransferTarget; settle(answered: boolean): void }
    | { refused: { status: number; reason: string } }
  >;
  /** The call and side owning a dialog (by our key), for Replaces. */
  dialogOwner(key: string): { call: ActiveCall; side: Side } | undefined;
  /** A transfer to the tenant's park code parks the call instead (park.ts); false: not that code. */
  park?(call: Call, side: Side, target: string, req: SipRequest, tx: ServerTransaction): boolean;
}

/** Refer-To: <sip:103@example.com?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2> → its parts. */
export function parseReferTo(
  value: string,
): { user: string; replaces: { callId: string; toTag: string; fromTag: string } | null } | null {
  const m = /<([^>]+)>/.exec(value) ?? /^\s*(\S+)/.exec(value);
  const uri = m?.[1];
  if (!uri) return null;
  const [base = '', query = ''] = uri.split('?', 2);
  const user = /^sips?:([^@;]+)@/i.exec(base)?.[1];
  if (!user) return null;
  let replaces: { callId: string; toTag: string; fromTag: string } | null = null;
  for (const pair of query.split('&')) {
    const [k, v] = pair.split('=', 2);
    if (k?.toLowerCase() !== 'replaces' || v === undefined) continue;
    const decoded = decode(v);
    if (decoded === null) return null;
    const [callId, ...params] = decoded.split(';');
    const p = Object.fromEntries(params.map((x) => x.split('=', 2).map((y) => y.trim())));
    if (callId && p['to-tag'] && p['from-tag'])
      replaces = { callId: callId.trim(), toTag: p['to-tag'], fromTag: p['from-tag'] };
  }
  const name = decode(user);
  return name === null ? null : { user: name, replaces };
}

/** %-escapes undone; null for a malformed escape (the REFER is answered 400, nothing throws). */
function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Handles a REFER the call got from `side`. */
export function handleRefer(
  deps: TransferDeps,
  call: Call,
  side: Side,
  req: SipRequest,
  tx: ServerTransaction,
): void {
  const media = call.anchored;
  const referTo = req.headers.get('Refer-To') ?? req.headers.get('r');
  const target = referTo ? parseReferTo(referTo) : null;
  if (!media) {
    tx.respond(makeResponse(req, 501, { reason: 'Transfer Needs Anchored Media' }));
    return;
  }
  if (!target) {
    tx.respond(makeResponse(req, 400, { reason: 'Bad Refer-To' }));
    return;
  }
  if (target.replaces) {
    attended(deps, call, side, req, tx, target.replaces);
    return;
  }
  if (deps.park?.(call, side, target.user, req, tx)) return;
  const dest = deps.resolve(call.caller.tenantId, target.user);
  if (!dest && deps.resolveExternal) {
    const resolveExternal = deps.resolveExternal;
    void (async () => {
      const ext = await resolveExternal(call, side, target.user);
      if ('refused' in ext) {
        tx.respond(makeResponse(req, ext.refused.status, { reason: ext.refused.reason }));
        return;
      }
      if (call.state !== 'answered') {
        ext.settle(false);
        tx.respond(makeResponse(req, 481));
        return;
      }
      const id = accept(deps, call, side, req, tx);
      new BlindTransfer(deps, call, side, ext.dest, id, ext.settle).start();
    })().catch(() => tx.respond(makeResponse(req, 500)));
    return;
  }
  if (!dest) {
    tx.respond(makeResponse(req, 404));
    return;
  }
  if (dest.bindings.length === 0) {
    tx.respond(makeResponse(req, 480));
    return;
  }
  const id = accept(deps, call, side, req, tx);
  new BlindTransfer(deps, call, side, dest, id).start();
}

/** 202, and the first NOTIFY of the implicit subscription (RFC 3515 §2.4.4). */
function accept(deps: TransferDeps, call: Call, side: Side, req: SipRequest, tx: ServerTransaction): string {
  tx.respond(makeResponse(req, 202));
  const id = referIdOf(req);
  notify(deps, call, side, 100, 'Trying', false, id);
  return id;
}

/** The id of the implicit subscription a REFER creates: its CSeq number (RFC 3515 §2.4.6). */
export function referIdOf(req: SipRequest): string {
  return String(Number.parseInt(req.headers.get('CSeq') ?? '0', 10));
}

/** A NOTIFY to the transferor with the target's status as message/sipfrag. */
function notify(
  deps: TransferDeps,
  call: Call,
  side: Side,
  status: number,
  reason: string,
  final: boolean,
  referId: string,
): void {
  const d = call.dialogOf(side);
  if (!d) return; // the transferor has gone
  const out = d.request('NOTIFY', {
    headers: [
      // RFC 3515 §2.4.6: the id names the REFER this NOTIFY reports on (its CSeq number).
      ['Event', `refer;id=${referId}`],
      ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
    ],
    body: Buffer.from(`SIP/2.0 ${status} ${reason}\r\n`),
    contentType: 'message/sipfrag;version=2.0',
  });
  deps.layer.sendRequest(out, d.dest, { response: () => {}, timeout: () => {} });
}

/** Lets the transferor go: BYE on its old dialog (already retired from the call). */
function bye(deps: TransferDeps, d: Dialog | null): void {
  if (d) deps.layer.sendRequest(d.request('BYE'), d.dest, { response: () => {}, timeout: () => {} });
}

interface Fork {
  req: SipRequest;
  binding: Binding;
  state: 'trying' | 'ringing' | 'answered' | 'done';
  dialog: Dialog | null;
  ack: SipRequest | null;
  /** Challenges answered (a carrier's trunk asks for its account). */
  authTries: number;
}

/** Where a blind transfer rings: an extension's phones, or a carrier's trunk for an outside number. */
export interface TransferTarget {
  party: CallParty;
  bindings: Binding[];
  ringTimeoutSec: number;
  trunk?: TrunkDial;
}

export class BlindTransfer {
  private readonly forks: Fork[] = [];
  private done = false;
  private timer: Timer | null = null;
  private rang = false;
  private best: SipResponse | null = null;
  private readonly transferee: Side;

  constructor(
    private readonly deps: TransferDeps,
    private readonly call: Call,
    private readonly side: Side,
    private readonly dest: TransferTarget,
    /** The REFER's subscription id (none when the PBX itself moves the call: a park returning). */
    private readonly referId = '0',
    /** An outside target's counters (channels, limits): told whether it answered. */
    private readonly settle: ((answered: boolean) => void) | null = null,
  ) {
    this.transferee = other(side);
  }

  start(): void {
    const { call, deps } = this;
    call.markLeaving(this.side);
    call.step({ kind: 'transfer', id: null, name: `blind to ${this.dest.party.number}`, outcome: 'ringing' });
    // The transferee hears ringing while the target's phones ring.
    void call.anchored?.endpointOf(this.transferee).play({ tone: { region: call.tones, name: 'ringback' } });
    const from = call.partyOf(this.transferee);
    const callId = newCallId(deps.localFor(this.dest.bindings[0]!.source).host);
    const trunk = this.dest.trunk;
    for (const binding of this.dest.bindings) {
      const req = inviteTo(
        binding,
        deps.localFor(binding.source),
        trunk
          ? { from: trunk.from, to: trunk.to }
          : {
              from: { number: from.number, domain: from.domain, name: from.displayName },
              to: this.dest.party,
            },
        { callId, maxForwards: 70, carried: trunk?.headers ?? [], assertIdentity: !trunk },
      );
      if (!req) continue;
      const fork: Fork = { req, binding, state: 'trying', dialog: null, ack: null, authTries: 0 };
      this.forks.push(fork);
      this.send(fork);
    }
    this.timer = deps.clock.after(this.dest.ringTimeoutSec * 1000, () => {
      for (const f of this.forks) this.cancel(f);
      this.fail(480, 'Temporarily Unavailable');
    });
    call.onEnded(() => {
      // The transferee hung up: nothing to connect any more.
      for (const f of this.forks) this.cancel(f);
      this.finish();
    });
    if (this.forks.length === 0) this.fail(480, 'Temporarily Unavailable');
  }

  private send(fork: Fork): void {
    const req = fork.req;
    this.deps.layer.sendRequest(req, fork.binding.source, {
      response: (res) => {
        if (fork.req === req) void this.onResponse(fork, res);
      },
      timeout: () => this.onFailed(fork, makeResponse(req, 408)),
      transportError: () => this.onFailed(fork, makeResponse(req, 503)),
    });
  }

  /** A carrier's challenge: the INVITE again with the trunk's account (RFC 3261 §22.2). */
  private answerChallenge(fork: Fork, res: SipResponse): boolean {
    const creds = this.dest.trunk?.credentials;
    if (!creds || fork.authTries >= 2 || fork.state === 'done' || this.done) return false;
    const proxy = res.status === 407;
    const challenge = res.headers.get(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    const value = challenge ? authorize(challenge, creds, { method: 'INVITE', uri: fork.req.rawUri }) : null;
    if (!value) return false;
    const headers = fork.req.headers.clone();
    headers.set('Via', viaFor(this.deps.localFor(fork.binding.source)));
    headers.set('CSeq', `${Number.parseInt(headers.get('CSeq') ?? '1', 10) + 1} INVITE`);
    headers.set(proxy ? 'Proxy-Authorization' : 'Authorization', value);
    fork.req = { ...fork.req, headers };
    fork.authTries++;
    this.send(fork);
    return true;
  }

  private async onResponse(fork: Fork, res: SipResponse): Promise<void> {
    if ((res.status === 401 || res.status === 407) && this.answerChallenge(fork, res)) return;
    if (res.status < 200) {
      if (res.status === 180 && !this.rang && !this.done) {
        this.rang = true;
        notify(this.deps, this.call, this.side, 180, 'Ringing', false, this.referId);
      }
      if (fork.state === 'trying') fork.state = 'ringing';
      return;
    }
    if (res.status >= 300) {
      this.onFailed(fork, res);
      return;
    }
    const local = this.deps.localFor(fork.binding.source);
    fork.dialog ??= Dialog.asUac(fork.req, res, fork.binding.source, local);
    const d = fork.dialog;
    if (!d) return;
    if (fork.ack) {
      // A retransmitted 2xx: the same ACK again.
      this.deps.sender.send(fork.ack, d.dest);
      return;
    }
    // A retransmission while the relay is still answering this fork's offer: its ACK is coming.
    if (fork.state === 'answered') return;
    const media = this.call.anchored;
    const offer = sdpOf(res);
    if (this.done || fork.state === 'done' || !media || offer === null) {
      // Too late (another fork won, or the transfer is over), or no offer to answer: ACK and hang up.
      fork.ack = d.request('ACK', { cseq: 1 });
      this.deps.sender.send(fork.ack, d.dest);
      bye(this.deps, d);
      fork.state = 'done';
      if (!this.done && offer === null) this.onFailed(fork, makeResponse(fork.req, 488));
      return;
    }
    fork.state = 'answered';
    this.done = true;
    const answer = await media.takeOver(this.side, offer);
    fork.ack = d.request(
      'ACK',
      answer.ok ? { cseq: 1, body: Buffer.from(answer.sdp), contentType: SDP_TYPE } : { cseq: 1 },
    );
    this.deps.sender.send(fork.ack, d.dest);
    this.timer?.cancel();
    for (const f of this.forks) if (f !== fork) this.cancel(f);
    if (!answer.ok || this.call.state !== 'answered') {
      bye(this.deps, d);
      this.failed(
        answer.ok ? 487 : answer.refusal.status,
        answer.ok ? 'Request Terminated' : answer.refusal.reason,
      );
      return;
    }
    this.call.anchored?.endpointOf(this.transferee).stopPlayback();
    this.settleOnce(true);
    notify(this.deps, this.call, this.side, 200, 'OK', true, this.referId);
    const transferor = this.call.dialogOf(this.side);
    this.call.replaceParty(this.side, d, this.dest.party, {
      number: this.dest.party.number,
      target: fork.binding.contact,
    });
    bye(this.deps, transferor);
    this.call.resume(this.transferee);
    this.call.step({
      kind: 'transfer',
      id: null,
      name: `blind to ${this.dest.party.number}`,
      outcome: 'answered',
    });
  }

  private onFailed(fork: Fork, res: SipResponse): void {
    if (fork.state === 'done' || fork.state === 'answered') return;
    fork.state = 'done';
    if (!this.best || res.status === 486 || (this.best.status !== 486 && res.status < this.best.status))
      this.best = res;
    if (this.done || this.forks.some((f) => f.state === 'trying' || f.state === 'ringing')) return;
    this.fail(this.best.status, this.best.reason);
  }

  private cancel(fork: Fork): void {
    if (fork.state !== 'trying' && fork.state !== 'ringing') return;
    fork.state = 'done';
    this.deps.layer.sendRequest(makeCancel(fork.req), fork.binding.source, {
      response: () => {},
      timeout: () => {},
    });
  }

  private fail(status: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.failed(status, reason);
  }

  /** Nobody took the call: the transferor hears why; a transferee left alone is hung up. */
  private failed(status: number, reason: string): void {
    this.finish();
    this.call.step({
      kind: 'transfer',
      id: null,
      name: `blind to ${this.dest.party.number}`,
      outcome: `failed ${status}`,
    });
    if (this.call.state !== 'answered') return;
    this.call.anchored?.endpointOf(this.transferee).stopPlayback();
    // A transferee on hold hears its music again (the ringback was played over it).
    this.call.restartMusic(this.transferee);
    notify(this.deps, this.call, this.side, status, reason, true, this.referId);
    this.call.markLeaving(null);
    if (this.call.isGone(this.side)) this.call.hangup(this.side, 'transfer-failed');
  }

  private finish(): void {
    this.done = true;
    this.timer?.cancel();
    this.settleOnce(false);
  }

  private settled = false;
  private settleOnce(answered: boolean): void {
    if (this.settled || !this.settle) return;
    this.settled = true;
    this.settle(answered);
  }
}

/**
 * The transferor (`side` of `call`) asks that its other call — named by Replaces —
 * take its place: the far party of that call comes over to this one.
 */
function attended(
  deps: TransferDeps,
  call: Call,
  side: Side,
  req: SipRequest,
  tx: ServerTransaction,
  r: { callId: string; toTag: string; fromTag: string },
): void {
  const owner =
    deps.dialogOwner(dialogKey(r.callId, r.toTag, r.fromTag)) ??
    deps.dialogOwner(dialogKey(r.callId, r.fromTag, r.toTag));
  const consult = owner?.call;
  // The dialog named must be live and the transferor's own: nobody pulls another's call over.
  const own =
    owner &&
    consult instanceof Call &&
    consult !== call &&
    consult.state === 'answered' &&
    consult.anchored !== null &&
    consult.dialogOf(owner.side) !== null &&
    consult.partyOf(owner.side).number === call.partyOf(side).number;
  if (!owner || !own) {
    tx.respond(makeResponse(req, 481, { reason: 'Replaced Call Not Found' }));
    return;
  }
  if (consult.caller.tenantId !== call.caller.tenantId) {
    tx.respond(makeResponse(req, 403));
    return;
  }
  const id = accept(deps, call, side, req, tx);
  const handed = consult.handOver(other(owner.side));
  const media = call.anchored;
  if (!handed || !media) {
    notify(deps, call, side, 500, 'Server Internal Error', true, id);
    return;
  }
  const reoffer = media.adopt(side, handed.media);
  notify(deps, call, side, 200, 'OK', true, id);
  const transferor = call.dialogOf(side);
  call.replaceParty(side, handed.dialog, handed.party, null);
  bye(deps, transferor);
  call.resume(other(side));
  call.step({ kind: 'transfer', id: null, name: `attended to ${handed.party.number}`, outcome: 'answered' });
  if (reoffer === null) return;
  // A phone learns the new relay address by a re-INVITE continuing its session.
  const d = handed.dialog;
  let retried = false;
  let offer: string | null = reoffer;
  const sendReinvite = (): void => {
    if (call.state !== 'answered') return;
    // The first attempt carries the offer adopt() made; a retry makes the next version of it.
    const body = offer ?? media.offerAgain(side);
    offer = null;
    const invite = d.request('INVITE', { body: Buffer.from(body), contentType: SDP_TYPE });
    deps.layer.sendRequest(invite, d.dest, {
      response: (res) => {
        if (res.status < 200) return;
        if (res.status === 491 && !retried) {
          // Glare with the phone's own re-INVITE (RFC 3261 §14.1): try again after a moment.
          retried = true;
          deps.clock.after(2100 + Math.floor(Math.random() * 1900), sendReinvite);
          return;
        }
        if (res.status >= 300) {
          call.hangup(side, 'transfer-failed');
          return;
        }
        deps.sender.send(
          d.request('ACK', { cseq: Number.parseInt(invite.headers.get('CSeq') ?? '1', 10) }),
          d.dest,
        );
        const sdp = sdpOf(res);
        if (sdp !== null) media.answered(side, sdp);
      },
      timeout: () => call.hangup(side, 'transfer-failed'),
    });
  };
  sendReinvite();
}
