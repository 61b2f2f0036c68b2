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

import { makeCancel, makeResponse, newCallId } from '../sip/build.js';
import { Dialog, dialogKey, type LocalAddress } from '../sip/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { Clock, Timer } from '../sip/transaction/clock.js';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import type { Destination, Sender } from '../sip/transaction/types.js';
import {
  type ActiveCall,
  Call,
  type CallParty,
  type RingOutcome,
  type RingTarget,
  type TrunkDial,
  unanswered,
} from './call.js';
import { SDP_TYPE, sdpOf } from './call-media.js';
import type { Binding } from './location.js';
import { ackOptions, inviteTo, withCredentials } from './outgoing-invite.js';
import { RoutedTransfer } from './routed-transfer.js';
import type { RoutedCall } from './routing/context.js';

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
  /**
   * A number of the tenant that is not one extension (a ring group, queue, menu or
   * DID): the transferee is routed there like a caller. Null: not such a number.
   */
  routeTo?(
    call: Call,
    transferor: Side,
    number: string,
  ): { name: string; run(routed: RoutedCall): Promise<void> } | null;
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
  // Only the company's own phones transfer: a carrier's party cannot send the call elsewhere.
  if (call.isOutside(side)) {
    tx.respond(makeResponse(req, 403, { reason: 'Transfers From Outside Refused' }));
    return;
  }
  if (target.replaces) {
    attended(deps, call, side, req, tx, target.replaces);
    return;
  }
  if (deps.park?.(call, side, target.user, req, tx)) return;
  const dest = deps.resolve(call.caller.tenantId, target.user);
  const routed = dest ? null : deps.routeTo?.(call, side, target.user);
  if (routed) {
    const ringer = new TransferRinger(deps, call, side, accept(deps, call, side, req, tx));
    ringer.begin(routed.name);
    const transferee = new RoutedTransfer(ringer, call);
    routed
      .run(transferee)
      // A router that returns without an answer has said why (finish); this is the last guard.
      .then(() => transferee.finish(480, 'failed'))
      .catch(() => transferee.finish(500, 'failed', 'Server Internal Error'));
    return;
  }
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
  target: RingTarget;
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

interface Round {
  forks: Fork[];
  timers: Timer[];
  /** Targets whose delay has not passed yet. */
  pending: number;
  best: SipResponse | null;
  closed: boolean;
  done(o: RingOutcome): void;
}

/**
 * Rings for a transfer: rounds of targets (each after its delay, for its own
 * time) with INVITEs without SDP; the first to answer takes the transferor's
 * place (the relay's side is handed to it) and the transferor is let go. The
 * transferee hears ringback meanwhile; the transferor hears how it goes in NOTIFYs.
 * A blind transfer to an extension is one round; a transfer to a group, queue or
 * menu number is routed (routed-transfer.ts) and may run several.
 */
export class TransferRinger {
  /** Someone took the call, or the transfer is over. */
  done = false;
  private rang = false;
  private round: Round | null = null;
  /** What the transfer was to, for the trail. */
  private name = '';
  readonly transferee: Side;

  constructor(
    private readonly deps: TransferDeps,
    readonly call: Call,
    readonly side: Side,
    /** The REFER's subscription id (none when the PBX itself moves the call: a park returning). */
    private readonly referId = '0',
    private readonly label = 'blind',
  ) {
    this.transferee = other(side);
  }

  /** The transfer starts: the transferor is on its way out, the transferee hears ringing. */
  begin(name: string): void {
    const { call } = this;
    this.name = name;
    call.markLeaving(this.side);
    call.step({ kind: 'transfer', id: null, name: `${this.label} to ${name}`, outcome: 'ringing' });
    void call.anchored?.endpointOf(this.transferee).play({ tone: { region: call.tones, name: 'ringback' } });
    call.onEnded(() => {
      // The transferee hung up: nothing to connect any more.
      this.done = true;
      if (this.round) this.close(this.round, { kind: 'ended' });
    });
  }

  /** One round: resolves when a target answers (the call is theirs), all fail, time runs out, or the call ends. */
  ring(targets: RingTarget[], timeoutSec: number): Promise<RingOutcome> {
    if (this.done || this.call.state !== 'answered') return Promise.resolve({ kind: 'ended' });
    return new Promise((done) => {
      const round: Round = { forks: [], timers: [], pending: 0, best: null, closed: false, done };
      this.round = round;
      round.timers.push(
        this.deps.clock.after(timeoutSec * 1000, () =>
          this.close(round, {
            kind: 'unanswered',
            status: 480,
            cause: 'no-answer',
            reason: 'Temporarily Unavailable',
          }),
        ),
      );
      for (const t of targets) {
        round.pending++;
        const go = () => {
          round.pending--;
          if (round.closed) return;
          const mine = this.forkTarget(round, t);
          round.timers.push(
            this.deps.clock.after(t.timeoutSec * 1000, () => {
              for (const f of mine) this.cancel(f);
              this.check(round);
            }),
          );
          this.check(round);
        };
        if (t.delaySec > 0) round.timers.push(this.deps.clock.after(t.delaySec * 1000, go));
        else go();
      }
      this.check(round);
    });
  }

  private forkTarget(round: Round, target: RingTarget): Fork[] {
    const from = this.call.partyOf(this.transferee);
    const trunk = target.trunk;
    const first = target.bindings[0];
    if (!first) return [];
    const callId = newCallId(this.deps.localFor(first.source).host);
    const mine: Fork[] = [];
    for (const binding of target.bindings) {
      const req = inviteTo(
        binding,
        this.deps.localFor(binding.source),
        trunk
          ? { from: trunk.from, to: trunk.to }
          : { from: { number: from.number, domain: from.domain, name: from.displayName }, to: target.party },
        { callId, maxForwards: 70, carried: trunk?.headers ?? [], assertIdentity: !trunk },
      );
      if (!req) continue;
      const fork: Fork = { req, binding, target, state: 'trying', dialog: null, ack: null, authTries: 0 };
      round.forks.push(fork);
      mine.push(fork);
      this.send(round, fork);
    }
    return mine;
  }

  private send(round: Round, fork: Fork): void {
    const req = fork.req;
    this.deps.layer.sendRequest(req, fork.binding.source, {
      response: (res) => {
        if (fork.req === req) void this.onResponse(round, fork, res);
      },
      timeout: () => this.onFailed(round, fork, makeResponse(req, 408)),
      transportError: () => this.onFailed(round, fork, makeResponse(req, 503)),
    });
  }

  /** A carrier's challenge: the INVITE again with the trunk's account (RFC 3261 §22.2). */
  private answerChallenge(round: Round, fork: Fork, res: SipResponse): boolean {
    const creds = fork.target.trunk?.credentials;
    if (!creds || fork.authTries >= 2 || fork.state === 'done' || round.closed) return false;
    const again = withCredentials(
      fork.req,
      res,
      creds,
      this.deps.localFor(fork.binding.source),
      fork.target.trunk?.realm ?? null,
    );
    if (!again) return false;
    fork.req = again;
    fork.authTries++;
    this.send(round, fork);
    return true;
  }

  private async onResponse(round: Round, fork: Fork, res: SipResponse): Promise<void> {
    if ((res.status === 401 || res.status === 407) && this.answerChallenge(round, fork, res)) return;
    if (res.status < 200) {
      if (res.status === 180 && !this.rang && !this.done) {
        this.rang = true;
        notify(this.deps, this.call, this.side, 180, 'Ringing', false, this.referId);
      }
      if (fork.state === 'trying') fork.state = 'ringing';
      return;
    }
    if (res.status >= 300) {
      this.onFailed(round, fork, res);
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
    if (this.done || round.closed || fork.state === 'done' || !media || offer === null) {
      // Too late (another fork won, or the transfer is over), or no offer to answer: ACK and hang up.
      fork.ack = d.request('ACK', ackOptions(fork.req));
      this.deps.sender.send(fork.ack, d.dest);
      bye(this.deps, d);
      const wasLive = fork.state !== 'done';
      fork.state = 'done';
      if (!this.done && !round.closed && offer === null && wasLive)
        this.onFailed(round, fork, makeResponse(fork.req, 488), true);
      return;
    }
    fork.state = 'answered';
    this.done = true;
    const answer = await media.takeOver(this.side, offer);
    const ack = ackOptions(fork.req);
    fork.ack = d.request(
      'ACK',
      answer.ok ? { ...ack, body: Buffer.from(answer.sdp), contentType: SDP_TYPE } : ack,
    );
    this.deps.sender.send(fork.ack, d.dest);
    for (const f of round.forks) if (f !== fork) this.cancel(f);
    if (!answer.ok || this.call.state !== 'answered') {
      bye(this.deps, d);
      this.close(round, { kind: 'ended' });
      this.failed(
        answer.ok ? 487 : answer.refusal.status,
        answer.ok ? 'Request Terminated' : answer.refusal.reason,
      );
      return;
    }
    this.call.anchored?.endpointOf(this.transferee).stopPlayback();
    notify(this.deps, this.call, this.side, 200, 'OK', true, this.referId);
    const transferor = this.call.dialogOf(this.side);
    const party = fork.target.party;
    this.call.replaceParty(this.side, d, party, { number: party.number, target: fork.binding.contact });
    bye(this.deps, transferor);
    this.call.resume(this.transferee);
    this.call.step({
      kind: 'transfer',
      id: null,
      name: `${this.label} to ${party.number}`,
      outcome: 'answered',
    });
    this.close(round, { kind: 'answered', party });
  }

  private onFailed(round: Round, fork: Fork, res: SipResponse, force = false): void {
    if (!force && (fork.state === 'done' || fork.state === 'answered')) return;
    fork.state = 'done';
    const b = round.best;
    if (!b || res.status === 486 || (b.status !== 486 && res.status < b.status)) round.best = res;
    this.check(round);
  }

  /** The round is over when nothing rings and nothing waits to: it reports its best failure. */
  private check(round: Round): void {
    if (round.closed || round.pending > 0) return;
    if (round.forks.some((f) => f.state === 'trying' || f.state === 'ringing' || f.state === 'answered'))
      return;
    const f = round.best;
    this.close(round, unanswered(f, round.forks.length > 0));
  }

  private close(round: Round, outcome: RingOutcome): void {
    if (round.closed) return;
    round.closed = true;
    for (const t of round.timers) t.cancel();
    for (const f of round.forks) this.cancel(f);
    if (this.round === round) this.round = null;
    round.done(outcome);
  }

  private cancel(fork: Fork): void {
    if (fork.state !== 'trying' && fork.state !== 'ringing') return;
    fork.state = 'done';
    this.deps.layer.sendRequest(makeCancel(fork.req), fork.binding.source, {
      response: () => {},
      timeout: () => {},
    });
  }

  /**
   * The PBX takes the transferee itself (a menu, a queue, a mailbox): the transfer
   * succeeded as far as the transferor is concerned, and it is let go.
   */
  handedToPbx(): void {
    this.done = true;
    if (this.round) this.close(this.round, { kind: 'ended' });
    this.call.anchored?.endpointOf(this.transferee).stopPlayback();
    notify(this.deps, this.call, this.side, 200, 'OK', true, this.referId);
    bye(this.deps, this.call.retire(this.side));
    this.call.resume(this.transferee);
    this.call.step({
      kind: 'transfer',
      id: null,
      name: `${this.label} to ${this.name}`,
      outcome: 'taken by the PBX',
    });
  }

  /** Rings again once the PBX holds the transferee (a queue's agents, a menu's choice). */
  reopen(): void {
    this.done = false;
  }

  /** Nobody took the call: the transferor hears why; a transferee left alone is hung up. */
  failed(status: number, reason: string): void {
    this.done = true;
    if (this.round) this.close(this.round, { kind: 'ended' });
    this.call.step({
      kind: 'transfer',
      id: null,
      name: `${this.label} to ${this.name}`,
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
}

/** A blind transfer to one extension's phones (or one outside number): a single round. */
export class BlindTransfer {
  private readonly ringer: TransferRinger;

  constructor(
    deps: TransferDeps,
    call: Call,
    side: Side,
    private readonly dest: TransferTarget,
    /** The REFER's subscription id (none when the PBX itself moves the call: a park returning). */
    referId = '0',
    /** An outside target's counters (channels, limits): told whether it answered. */
    private readonly settle: ((answered: boolean) => void) | null = null,
  ) {
    this.ringer = new TransferRinger(deps, call, side, referId);
  }

  start(): void {
    const { dest } = this;
    this.ringer.begin(dest.party.number);
    const target: RingTarget = {
      party: dest.party,
      bindings: dest.bindings,
      delaySec: 0,
      timeoutSec: dest.ringTimeoutSec,
      ...(dest.trunk ? { trunk: dest.trunk } : {}),
    };
    void this.ringer.ring([target], dest.ringTimeoutSec).then((outcome) => {
      this.settle?.(outcome.kind === 'answered');
      if (outcome.kind === 'unanswered') this.ringer.failed(outcome.status, outcome.reason);
    });
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
  call.adoptHeld(side, handed.held);
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

/** Where the call-control API sends a party: a number as a phone would dial it, or a routed destination. */
export type PbxTransferTarget =
  | { number: string }
  | { name: string; run(routed: RoutedCall): Promise<void> }
  | { extension: TransferTarget };

/**
 * The PBX moves one party of an answered call elsewhere (the call-control API):
 * a blind transfer as if the other party had sent REFER and hung up at once —
 * the same ringer, routed transfer and external checks as `handleRefer`, without
 * NOTIFYs (nobody asked). Refused before anyone is hung up when it cannot start.
 */
export async function transferByPbx(
  deps: TransferDeps,
  call: Call,
  transferee: Side,
  to: PbxTransferTarget,
): Promise<{ ok: true } | { ok: false; status: number; reason: string }> {
  const side = other(transferee);
  if (call.state !== 'answered' || !call.anchored)
    return {
      ok: false,
      status: 409,
      reason: call.anchored ? 'Call Not Answered' : 'Transfer Needs Anchored Media',
    };
  if (call.leavingSide !== null || call.isGone(transferee) || call.isGone(side))
    return { ok: false, status: 409, reason: 'Transfer In Progress' };
  const tenantId = call.caller.tenantId;
  const number = 'number' in to ? to.number : null;
  const dest = 'extension' in to ? to.extension : number !== null ? deps.resolve(tenantId, number) : null;
  const routed =
    'run' in to ? to : !dest && number !== null ? (deps.routeTo?.(call, side, number) ?? null) : null;
  // The party let go: its BYE now; the transferee hears ringback meanwhile.
  const letGo = () => bye(deps, call.retire(side));
  if (routed) {
    const ringer = new TransferRinger(deps, call, side);
    ringer.begin(routed.name);
    letGo();
    const moved = new RoutedTransfer(ringer, call);
    routed
      .run(moved)
      .then(() => moved.finish(480, 'failed'))
      .catch(() => moved.finish(500, 'failed', 'Server Internal Error'));
    return { ok: true };
  }
  if (dest) {
    if (dest.bindings.length === 0) return { ok: false, status: 480, reason: 'Temporarily Unavailable' };
    new BlindTransfer(deps, call, side, dest, '0').start();
    letGo();
    return { ok: true };
  }
  if (number === null || !deps.resolveExternal) return { ok: false, status: 404, reason: 'Not Found' };
  const ext = await deps.resolveExternal(call, side, number);
  if ('refused' in ext) return { ok: false, ...ext.refused };
  if (call.state !== 'answered' || call.leavingSide !== null) {
    ext.settle(false);
    return { ok: false, status: 409, reason: 'Call Changed' };
  }
  new BlindTransfer(deps, call, side, ext.dest, '0', ext.settle).start();
  letGo();
  return { ok: true };
}
