/**
 * One call through the B2BUA: the caller's leg (A, where we are the UAS) and the
 * callee's forked legs (B, where we are the UAC). Provisional answers are relayed,
 * the first 2xx wins and the other forks are cancelled, a caller's CANCEL cancels
 * every fork, and once answered every in-dialog request (BYE, re-INVITE for hold,
 * UPDATE, INFO) is carried to the other side. With a media engine the call's
 * media is anchored: each side negotiates SDP with our relay (`CallMedia`), never
 * with the other phone; without one (signalling-only tests) SDP passes through.
 *
 * Every path by which a call ends goes through `end()`, which closes the CDR row.
 */
import type { Logger } from 'pino';
import { parseDtmfInfo } from '../media/dtmf/info.js';
import type { MediaEngine, PlaybackResult } from '../media/engine.js';
import type { RecordingSummary } from '../media/protocol.js';
import type { ToneRegion } from '../media/tones.js';
import type { WebRtcGateway } from '../media/webrtc/gateway.js';
import type { ClientCredentials } from '../sip/auth.js';
import { makeCancel, makeResponse, newCallId, newTag, reasonPhrase, stableTag } from '../sip/build.js';
import { contactFor, Dialog, incomingDialogKey, type LocalAddress } from '../sip/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/index.js';
import type { Clock, Timer } from '../sip/transaction/clock.js';
import type { InviteServerTransaction } from '../sip/transaction/ist.js';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import type { Destination, Sender, TxContext } from '../sip/transaction/types.js';
import type { CallLog } from '../store/repositories/calls.js';
import type { CallLeg, RouteStep } from '../store/schema.js';
import {
  CallMedia,
  type CallQuality,
  type MediaRefusal,
  SDP_TYPE,
  type SideHandover,
  type SpareSide,
  sdpOf,
  srtpToward,
} from './call-media.js';
import { CallRecord } from './call-record.js';
import type { CallerIdentity } from './caller-lookup.js';
import { ConfirmingAnswer, type ConfirmPrompt } from './confirm-call.js';
import type { PbxEvents } from './events.js';
import { KeyBuffer } from './key-buffer.js';
import { type Binding, isBrowserBinding } from './location.js';
import type { MusicOnHold } from './moh.js';
import { type OkRetransmission, retransmitOk } from './ok-retransmit.js';
import { ackOptions, inviteTo, withCredentials } from './outgoing-invite.js';
import type { InCallRecorder, RecordableCall } from './recording/service.js';

export interface CallContext {
  layer: TransactionLayer;
  sender: Sender;
  tx: TxContext;
  clock: Clock;
  localFor(dest: Destination): LocalAddress;
  /** Anchors call media; null: SDP passes through untouched. */
  media: MediaEngine | null;
  /** Terminates WebRTC for browser softphones (null: browsers cannot take part in anchored calls). */
  webrtc: WebRtcGateway | null;
  /** What a party put on hold hears. */
  moh: MusicOnHold;
  callLog: CallLog;
  /** Where calls report starting, answering and ending (live views, events socket). */
  events: PbxEvents | null;
  log: Logger;
  node: string;
  /** Dialog registry of the SIP service: in-dialog requests find their call here. */
  bindDialog(key: string, call: ActiveCall, side: 'A' | 'B'): void;
  unbindDialog(key: string): void;
  /** The call started ringing or was answered (busy lamps follow). */
  changed(call: ActiveCall): void;
  ended(call: ActiveCall): void;
  /** Records answered calls by the tenant's policy (null: recording is off on this node). */
  recordings?: { answered(call: RecordableCall): InCallRecorder | null } | null;
  /** A REFER inside an answered call (a transfer); unset: transfers are refused 501. */
  refer?(call: Call, side: 'A' | 'B', req: SipRequest, tx: ServerTransaction): void;
}

/**
 * What the SIP service needs of any call it carries: a B2BUA call between phones
 * (`Call`) or one the PBX answers itself (`AppCall`: echo test, later IVR and voicemail).
 */
export interface ActiveCall {
  readonly state: 'ringing' | 'answered' | 'ended';
  readonly invite: SipRequest;
  readonly caller: CallParty;
  readonly callee: CallParty;
  /** A request inside one of the call's dialogs; `tx` is null for ACK. */
  inDialog(side: 'A' | 'B', req: SipRequest, tx: ServerTransaction | null): void;
  cancelledByCaller(): void;
  /** Ends the call from our side. */
  hangup(from: 'A' | 'B', cause: string): void;
  /** Something failed on our side. */
  abort(): void;
  /** Resolves when the call's CDR writes so far are done. */
  flushed(): Promise<void>;
}

export interface CallParty {
  tenantId: string;
  number: string;
  displayName: string;
  domain: string;
}

/**
 * A fork that goes out through a carrier's trunk rather than to a registered
 * phone: the identity the carrier should show, and the account to answer its
 * digest challenges with.
 */
export interface TrunkDial {
  trunkName: string;
  /** Who is calling as the carrier is told (the caller ID; "anonymous" with Privacy: id). */
  from: { number: string; domain: string; name: string };
  to: { number: string; domain: string };
  /** Identity headers in the trunk's style (P-Asserted-Identity, Remote-Party-ID, Privacy). */
  headers: [string, string][];
  credentials: ClientCredentials | null;
  /** The trunk's configured digest realm: challenges in another realm are not answered (null: any). */
  realm: string | null;
  /** The codecs the trunk takes, preferred first (the offer to it is narrowed to them). */
  codecs?: readonly string[];
}

/** What the PBX can do with a party it holds alone (see `Call.heldParty`). */
export interface HeldParty {
  play(files: string[], opts?: { bargeIn?: boolean }): Promise<PlaybackResult>;
  music(): () => void;
  silence(): void;
  record(
    path: string,
    opts: { maxDurationMs: number; silence?: { afterMs: number } },
  ): Promise<{ summary?: RecordingSummary; error?: string }>;
  stopRecording(): void;
  beep(): Promise<PlaybackResult>;
  nextKey(timeoutMs: number, stop?: Promise<unknown>): Promise<string | null>;
}

/**
 * What a party holds until it leaves (a trunk channel, its external-call ticket),
 * given back by the call it leaves from — which an attended transfer may have
 * made another call than the one it was taken in, so a cost goes on the right record.
 */
export type Release = (endingCall: { addCost(minor: number): void }) => void;

/** One party a ring round rings: all its registered contacts at once (parallel forking). */
export interface RingTarget {
  /** Who is rung: the To of the forks, the CDR leg, the busy lamp. */
  party: CallParty;
  bindings: Binding[];
  /** Seconds after the round starts before it rings. */
  delaySec: number;
  /** Seconds it rings before it counts as not answering. */
  timeoutSec: number;
  /** Set when the "contact" is a carrier's trunk (its binding is the trunk's address). */
  trunk?: TrunkDial;
  /** The answerer must press 1 before the call is theirs (an outside number; see confirm-call.ts). */
  confirm?: ConfirmPrompt;
}

export interface RingOptions {
  /** Seconds the whole round rings. */
  timeoutSec: number;
  /** The caller's name as the rung phones show it (a ring group puts its name first). */
  callerName?: string;
  /** Intercom: the phone is asked to answer by itself, on its speaker. */
  autoAnswer?: boolean;
  /**
   * A caller the PBX answered keeps hearing what it plays (a queue's music):
   * no ringback and no early media from the rung phones.
   */
  quiet?: boolean;
}

/**
 * Headers phones read as "answer this by yourself": RFC 5373 Answer-Mode, and the
 * Call-Info / Alert-Info forms most desk phones (Yealink, Polycom, Grandstream, Snom) use.
 */
export function autoAnswerHeaders(domain: string): [string, string][] {
  return [
    ['Answer-Mode', 'Auto'],
    ['Call-Info', `<sip:${domain}>;answer-after=0`],
    ['Alert-Info', '<http://localhost>;info=alert-autoanswer'],
  ];
}

/** How a ring round ended: answered (the call is bridged), over (the caller left), or not answered. */
export type RingOutcome =
  | { kind: 'answered'; party: CallParty }
  | { kind: 'ended' }
  | { kind: 'unanswered'; status: number; cause: UnansweredCause; reason: string };

export type UnansweredCause = 'busy' | 'no-answer' | 'rejected' | 'failed';

/**
 * How a ring round that nobody answered ended, from its best failure (RFC 3261
 * §16.7 ranking) — or, with none, whether anything rang at all.
 */
export function unanswered(best: SipResponse | null, rang: boolean): RingOutcome {
  if (!best)
    return {
      kind: 'unanswered',
      status: 480,
      cause: rang ? 'no-answer' : 'failed',
      reason: 'Temporarily Unavailable',
    };
  const s = best.status;
  const cause: UnansweredCause =
    s === 486 || s === 600
      ? 'busy'
      : s === 408 || s === 480
        ? 'no-answer'
        : s === 603
          ? 'rejected'
          : 'failed';
  return { kind: 'unanswered', status: s, cause, reason: best.reason };
}

interface Round {
  done: (o: RingOutcome) => void;
  legs: BLeg[];
  /** Targets whose forks are not sent yet (waiting for their delay or a browser offer). */
  pending: number;
  timers: Timer[];
  best: SipResponse | null;
  callerName: string;
  /** Extra headers on this round's INVITEs (intercom: ask the phone to answer by itself). */
  headers: [string, string][];
  /** The caller hears what the PBX plays, not the rung phones' ringing (RingOptions.quiet). */
  quiet: boolean;
  closed: boolean;
  /** How many targets the round rings. */
  targets: number;
  /** Its ringing time is over (only a confirming answerer keeps it open). */
  expired: boolean;
}

interface BLeg {
  invite: SipRequest;
  binding: Binding;
  party: CallParty;
  round: Round;
  /** Set for a browser fork (a contact registered over WebSocket): its key in the call's media. */
  browser: string | null;
  dialog: Dialog | null;
  state: 'trying' | 'ringing' | 'confirming' | 'answered' | 'failed' | 'cancelled';
  ack: SipRequest | null;
  record: CallLeg;
  /** Through a trunk: how to answer its challenges, and how many we answered. */
  trunk: TrunkDial | null;
  authTries: number;
  /** Confirm-call: the leg's own relay port and question, until it presses 1 (then it is side B). */
  confirm: { spare: SpareSide; prompt: ConfirmPrompt; answer: ConfirmingAnswer | null } | null;
  /** The 2xx it answered with (what the caller's 2xx is made from once it confirms). */
  ok: SipResponse | null;
}

type Side = 'A' | 'B';

/** Which final answer the caller hears when every fork failed (RFC 3261 §16.7: 6xx, then best 4xx). */
function rank(status: number): number {
  if (status >= 600) return 0;
  if (status === 486) return 1;
  if (status === 487) return 5;
  if (status >= 400 && status < 500) return 2;
  if (status >= 500) return 3;
  return 4;
}

export class Call implements ActiveCall {
  state: 'ringing' | 'answered' | 'ended' = 'ringing';
  /** The PBX answered the caller itself (answerEarly): later answers are bridged without a 2xx. */
  private aAnswered = false;
  /** Keys the caller pressed while the PBX had answered it (or a transferee the PBX holds). */
  private readonly keys: KeyBuffer;
  /** Sides whose relay keys feed `keys`. */
  private readonly keysFrom = new Set<Side>();
  /** A prompt playing to the caller that a key may interrupt (INFO keys stop it here). */
  private bargeInPlay: Promise<PlaybackResult> | null = null;
  /** Music the PBX plays to the caller it answered (a queue's), stopped when an agent answers. */
  private readonly callerAudio = new Set<() => void>();
  /** Numbers browser forks' keys in the relay, unique for the call. */
  private forkSeq = 0;
  /** The ring round in progress: the router waits on it. */
  private round: Round | null = null;
  /** The routing steps the call went through, for the CDR. */
  private readonly trail: RouteStep[] = [];
  /** Tags from IVR menus and choices, for the CDR and events. */
  private readonly tags: string[] = [];
  /** Who the outside caller is, as the phonebook or a CRM knows them (see `identify`). */
  private callerIdentity: CallerIdentity | null = null;
  /** The trunk the call came in on or went out through. */
  private trunkUsed: { name: string; direction: 'inbound' | 'outbound' } | null = null;
  /** What its legs through trunks cost by the rate deck (minor units); null: nothing priced. */
  private cost: number | null = null;
  private readonly aTag: string;
  private aDialog: Dialog | null = null;
  private readonly legs: BLeg[] = [];
  private winner: BLeg | null = null;
  /** The call's CDR row (writes queued in order behind the SIP path). */
  private readonly cdr: CallRecord;
  private okRetransmit: OkRetransmission | null = null;
  /** A side being transferred away: its BYE takes it out without ending the call. */
  private leaving: Side | null = null;
  /** Dialogs of parties transferred out of the call: their late requests get a quiet answer. */
  private readonly retired = new Set<string>();
  /** Run once when the call ends (a transfer in progress cancels its forks). */
  private readonly endHooks: (() => void)[] = [];
  /** What each side's party holds until it leaves (see holdUntilEnd). */
  private readonly held: Record<Side, Release[]> = { A: [], B: [] };
  /** Our 2xx to a phone that took the call by pickup, until its ACK. */
  private okRetransmitB: OkRetransmission | null = null;
  /** Routing objects the call was taken into (kind and id), in order: what recording policy reads. */
  private readonly visited: { kind: string; id: string }[] = [];
  /** The call's recording control once answered (null: nobody records it or may). */
  private recorder: InCallRecorder | null = null;
  private readonly bCallId: string;
  /** A re-INVITE or other request relayed and not yet answered, per side it came from. */
  private pending = new Map<Side, ServerTransaction>();
  private media: CallMedia | null = null;
  /** The relay is playing ringback to the caller (the callee rings without early media). */
  private ringback = false;
  /** Music on hold playing to a side, and how to stop it. */
  private readonly onHold = new Map<Side, () => void>();
  /** The SDP body each fork is offered (ours when anchored, the caller's otherwise). */
  private offerToB: Buffer;

  constructor(
    private readonly ctx: CallContext,
    readonly invite: SipRequest,
    /** The caller's INVITE transaction; null for a call the PBX placed to the caller (originate). */
    private readonly aTx: InviteServerTransaction | null,
    private readonly aSource: Destination,
    /** Who called; after a transfer, whoever took the caller's place. */
    public caller: CallParty,
    /** The number dialled; once answered, the party who answered. */
    public callee: CallParty,
    /** The tenant's codec preference for its side of the relay, and its national tones. */
    private readonly local: { codecs: readonly string[]; tones: ToneRegion } = { codecs: [], tones: 'eu' },
    /** The row opened already (originate: from the first INVITE to the caller); else one is opened now. */
    record?: CallRecord,
  ) {
    this.aTag = stableTag(invite);
    this.keys = new KeyBuffer(ctx.clock);
    this.offerToB = invite.body;
    this.bCallId = newCallId(ctx.localFor(aSource).host);
    // The row is written behind the SIP path (batched); later writes queue after it.
    this.cdr = record ?? CallRecord.of(ctx, invite, caller, callee);
  }

  /**
   * A call the PBX placed to the caller (originate: a campaign, a "call me back"
   * form): the caller's phone has answered our INVITE (`invite`, dialog `dialog`)
   * on side A of `media`. It is then routed like a caller the PBX answered itself
   * (as a menu would): no 2xx to send, whoever answers is bridged, keys reach menus.
   */
  static originated(
    ctx: CallContext,
    invite: SipRequest,
    dialog: Dialog,
    media: CallMedia,
    caller: CallParty,
    callee: CallParty,
    local: { codecs: readonly string[]; tones: ToneRegion },
    record: CallRecord,
  ): Call {
    const call = new Call(ctx, invite, null, dialog.dest, caller, callee, local, record);
    call.media = media;
    media.onBrowserLost = () => call.browserLost();
    call.offerToB = Buffer.from(media.offerToCallee());
    call.aAnswered = true;
    call.aDialog = dialog;
    ctx.bindDialog(dialog.key, call, 'A');
    call.keysFrom.add('A');
    media.caller.on((e) => {
      if (e.type === 'dtmf' && e.phase === 'end') call.keys.push(e.digit);
    });
    call.cdr.answered(new Date());
    return call;
  }

  /** The call's record id: what live views, events and the call-control API name it by. */
  get recordId(): string {
    return this.cdr.callId;
  }

  /**
   * Opens the call's media (when anchored). False: the call is over already (the
   * caller cancelled while the ports were opened, or the offer was refused).
   */
  async open(): Promise<boolean> {
    // Nobody is rung (so no phone hears of the call from us) before its row is written.
    const recorded = this.cdr.recorded();
    if (this.ctx.media) {
      const opened = await CallMedia.open(this.ctx.media, sdpOf(this.invite), this.local.codecs, {
        webrtc: this.ctx.webrtc,
        srtp: srtpToward(this.ctx.media, this.aSource.transport),
      });
      await recorded;
      if (this.state === 'ended') {
        if (opened.ok) await opened.media.close();
        return false;
      }
      if (!opened.ok) {
        this.refuse(opened.refusal);
        return false;
      }
      this.media = opened.media;
      this.media.onBrowserLost = () => this.browserLost();
      this.offerToB = Buffer.from(opened.media.offerToCallee());
    } else await recorded;
    return this.state === 'ringing';
  }

  /** The router is about to ring `extension` (its owner's closed portal gets a push). */
  offered(extension: string): void {
    this.cdr.offered(extension);
  }

  /**
   * The call goes through a carrier's trunk: an inbound call that came in on it,
   * or one routing sends out (the CDR shows direction and trunk; the last one tried counts).
   */
  throughTrunk(name: string, direction: 'inbound' | 'outbound'): void {
    if (this.trunkUsed?.direction === 'inbound') return;
    this.trunkUsed = { name, direction };
  }

  /** Who the caller is, when a lookup found them (the CRM's responsible manager is `owner`). */
  get identity(): CallerIdentity | null {
    return this.callerIdentity;
  }

  /**
   * The caller is someone the phonebook (or a CRM) knows: phones rung from now on
   * show `identity.name`, live views hear it, and the CDR keeps it as the caller's name.
   */
  identify(identity: CallerIdentity): void {
    this.callerIdentity = identity;
    if (!identity.name || identity.name === this.caller.displayName) return;
    this.caller = { ...this.caller, displayName: identity.name };
    this.cdr.identified(identity.name);
  }

  addCost(minor: number): void {
    this.cost = (this.cost ?? 0) + minor;
  }

  /** The party on `side` came in from a carrier: whatever number it shows, it is nobody of the company. */
  isOutside(side: Side): boolean {
    return side === 'A' && this.trunkUsed?.direction === 'inbound';
  }

  /** Tags the call (an IVR menu or choice): kept on the CDR, told to live views. At most 20. */
  tag(t: string): void {
    if (this.tags.includes(t) || this.tags.length >= 20) return;
    this.tags.push(t);
    this.cdr.tagged(t);
  }

  /** Adds a step to the call's routing trail (kept on the CDR). */
  step(s: Omit<RouteStep, 'at'>): void {
    if (this.trail.length < 100) this.trail.push({ at: new Date().toISOString(), ...s });
  }

  /**
   * Rings `targets` — each after its delay, all of a target's contacts at once —
   * until one answers (the call is bridged to it), every fork fails, the round
   * times out, or the caller leaves. The caller keeps hearing one ringing
   * throughout, however many rounds the router runs.
   */
  ring(targets: RingTarget[], opts: RingOptions): Promise<RingOutcome> {
    if (this.state !== 'ringing' || this.round) return Promise.resolve({ kind: 'ended' });
    return new Promise((done) => {
      const round: Round = {
        done,
        legs: [],
        pending: 0,
        timers: [],
        best: null,
        callerName: opts.callerName ?? this.caller.displayName,
        headers: opts.autoAnswer ? autoAnswerHeaders(this.caller.domain) : [],
        quiet: opts.quiet === true,
        closed: false,
        targets: targets.length,
        expired: false,
      };
      this.round = round;
      round.timers.push(
        this.ctx.clock.after(opts.timeoutSec * 1000, () => {
          for (const leg of round.legs) if (leg.state !== 'confirming') this.cancelLeg(leg);
          // An outside number that answered and is deciding (confirm-call) still may take the
          // call: the round closes when it has (checkRound), however long the question takes.
          round.expired = true;
          this.checkRound(round);
        }),
      );
      for (const target of targets) {
        round.pending++;
        const go = () => {
          this.ringTarget(round, target).then(
            () => this.checkRound(round),
            (e: unknown) => {
              this.ctx.log.error({ err: e }, 'ringing a target failed');
              round.pending--;
              this.checkRound(round);
            },
          );
        };
        if (target.delaySec > 0) round.timers.push(this.ctx.clock.after(target.delaySec * 1000, go));
        else go();
      }
      this.checkRound(round);
    });
  }

  /**
   * The offer for a trunk that takes only some codecs, when it is the round's only
   * target (the relay holds one pending offer toward side B, so forks of a shared
   * round get the same one).
   */
  private offerFor(round: Round, target: RingTarget): Buffer | null {
    const codecs = target.trunk?.codecs;
    if (!codecs?.length || !this.media || round.targets !== 1) return null;
    return Buffer.from(this.media.offerToCallee(codecs));
  }

  /** Sends a target's forks: a browser (registered over WebSocket) gets a WebRTC offer of its own. */
  private async ringTarget(round: Round, target: RingTarget): Promise<void> {
    const media = this.media;
    // Each browser fork's key in the relay, fixed before the offers are awaited (other targets may start meanwhile).
    const keys = target.bindings.map((b) => `${this.forkSeq++}:${b.contact}`);
    const offers = await Promise.all(
      target.bindings.map((b, i) =>
        media && this.ctx.webrtc && isBrowserBinding(b) ? media.offerToBrowser(keys[i]!) : null,
      ),
    );
    round.pending--;
    if (round.closed || round.expired) {
      offers.forEach((o, i) => {
        if (o) media?.forkEnded(keys[i]!);
      });
      return;
    }
    const mine: BLeg[] = [];
    if (target.confirm && media && target.trunk && target.bindings[0]) {
      // Confirm-call: the outside number is offered a port of its own, where it hears the question.
      let spare: SpareSide;
      try {
        spare = await media.openSpare();
      } catch (err) {
        // No port for it (exhausted, engine closing): this number is not rung; the others are.
        this.ctx.log.warn({ err, number: target.party.number }, 'no media port for a confirm-call fork');
        return;
      }
      const leg =
        round.closed || round.expired
          ? null
          : this.fork(
              round,
              target.party,
              target.bindings[0],
              null,
              target.trunk,
              Buffer.from(spare.offer(target.trunk.codecs)),
            );
      if (leg) {
        leg.confirm = { spare, prompt: target.confirm, answer: null };
        mine.push(leg);
      } else spare.close();
    } else
      target.bindings.forEach((b, i) => {
        const offer = offers[i];
        const leg = offer
          ? this.fork(round, target.party, b, { key: keys[i]!, sdp: offer })
          : // A browser cannot take plain RTP: without a gateway offer it is not rung.
            !(media && isBrowserBinding(b))
            ? this.fork(round, target.party, b, null, target.trunk ?? null, this.offerFor(round, target))
            : null;
        if (leg) mine.push(leg);
      });
    if (mine.length === 0) return;
    this.ctx.changed(this);
    round.timers.push(
      this.ctx.clock.after(target.timeoutSec * 1000, () => {
        // One that answered and is deciding gets the time the question takes.
        for (const leg of mine) if (leg.state !== 'confirming') this.cancelLeg(leg);
        this.ctx.changed(this);
        this.checkRound(round);
      }),
    );
  }

  /** The round is over when nothing rings and nothing is waiting to: report its best failure. */
  private checkRound(round: Round): void {
    if (round.closed) return;
    if (round.legs.some((l) => l.state === 'confirming')) return;
    if (round.expired) {
      this.closeRound(round, {
        kind: 'unanswered',
        status: 480,
        cause: 'no-answer',
        reason: 'Temporarily Unavailable',
      });
      return;
    }
    if (round.pending > 0) return;
    if (round.legs.some((l) => l.state === 'trying' || l.state === 'ringing')) return;
    const f = round.best;
    if (!f) {
      // Nobody answered before their own timeout (forks cancelled), or nobody could be rung.
      this.closeRound(round, unanswered(null, round.legs.length > 0));
      return;
    }
    this.closeRound(round, unanswered(f, true));
  }

  private closeRound(round: Round, outcome: RingOutcome): void {
    if (round.closed) return;
    round.closed = true;
    for (const t of round.timers) t.cancel();
    if (this.round === round) this.round = null;
    // The phones this round rang stop: their lamps go dark.
    if (this.state !== 'ended') this.ctx.changed(this);
    round.done(outcome);
  }

  /** The router gives up: the caller gets `status` (nobody answered, or nowhere to go). */
  finish(status: number, cause: string, reason?: string): void {
    for (const leg of this.legs) this.cancelLeg(leg);
    if (this.round) this.closeRound(this.round, { kind: 'ended' });
    this.finishUnanswered(status, cause, reason ?? reasonPhrase(status));
  }

  /** The caller's INVITE cannot be served: its SDP was refused, or no media ports were left. */
  private refuse(r: MediaRefusal): void {
    this.aTx?.respond(
      makeResponse(this.invite, r.status, {
        toTag: this.aTag,
        reason: r.reason,
        headers: r.warning ? [['Warning', r.warning]] : [],
      }),
    );
    this.end(r.status === 503 ? 'failed' : 'rejected', r.status, 'system');
  }

  /**
   * The offer for a phone's fork: the RTP/SAVP variant for one registered over TLS
   * when SRTP is required (NIMBUS_MEDIA_ENCRYPTION), else the one callee offer.
   */
  private calleeOffer(binding: Binding, trunk: TrunkDial | null): Buffer {
    if (trunk || binding.source.transport !== 'TLS' || !this.media) return this.offerToB;
    const secure = this.media.secureOfferToCallee();
    return secure === null ? this.offerToB : Buffer.from(secure);
  }

  private fork(
    round: Round,
    party: CallParty,
    binding: Binding,
    browser: { key: string; sdp: string } | null = null,
    trunk: TrunkDial | null = null,
    offer: Buffer | null = null,
  ): BLeg | null {
    const carried: [string, string][] = [...round.headers, ...(trunk?.headers ?? [])];
    for (const name of ['Allow', 'Supported']) {
      const v = this.invite.headers.get(name);
      if (v !== undefined) carried.push([name, v]);
    }
    const req = inviteTo(
      binding,
      this.ctx.localFor(binding.source),
      trunk
        ? { from: trunk.from, to: trunk.to }
        : {
            from: { number: this.caller.number, domain: this.caller.domain, name: round.callerName },
            to: party,
          },
      {
        // A carrier is told who calls in the trunk's own identity headers (carried above).
        assertIdentity: trunk === null,
        callId: this.bCallId,
        maxForwards: Number.parseInt(this.invite.headers.get('Max-Forwards') ?? '70', 10) - 1,
        carried,
        body: browser ? Buffer.from(browser.sdp) : (offer ?? this.calleeOffer(binding, trunk)),
        contentType: this.media ? SDP_TYPE : this.invite.headers.get('Content-Type'),
      },
    );
    if (!req) return null;
    const record: CallLeg = {
      number: party.number,
      target: binding.contact,
      startedAt: new Date().toISOString(),
      answeredAt: null,
      endedAt: null,
      sipStatus: null,
    };
    const leg: BLeg = {
      invite: req,
      binding,
      party,
      round,
      browser: browser?.key ?? null,
      dialog: null,
      state: 'trying',
      ack: null,
      record,
      trunk,
      authTries: 0,
      confirm: null,
      ok: null,
    };
    this.legs.push(leg);
    round.legs.push(leg);
    this.sendLeg(leg);
    return leg;
  }

  private sendLeg(leg: BLeg): void {
    const req = leg.invite;
    this.ctx.layer.sendRequest(req, leg.binding.source, {
      response: (res) => {
        // A late answer to an INVITE we re-sent with credentials is not this fork's any more.
        if (leg.invite === req) this.onLegResponse(leg, res);
      },
      timeout: () => this.onLegFailed(leg, makeResponse(req, 408)),
      // A refused connection to the contact fails this fork now, not after Timer B (§8.1.3.1: 503).
      transportError: () => this.onLegFailed(leg, makeResponse(req, 503)),
    });
  }

  /**
   * A carrier challenged a fork (401/407): the INVITE goes again with credentials,
   * same Call-ID and From tag, next CSeq, new branch (RFC 3261 §22.2). Twice at
   * most: a second challenge of the same kind means the account is wrong.
   */
  private answerChallenge(leg: BLeg, res: SipResponse): boolean {
    const creds = leg.trunk?.credentials;
    if (!creds || leg.authTries >= 2 || leg.state === 'cancelled' || leg.round !== this.round) return false;
    const again = withCredentials(
      leg.invite,
      res,
      creds,
      this.ctx.localFor(leg.binding.source),
      leg.trunk?.realm ?? null,
    );
    if (!again) return false;
    leg.invite = again;
    leg.authTries++;
    this.sendLeg(leg);
    return true;
  }

  private onLegResponse(leg: BLeg, res: SipResponse): void {
    const s = res.status;
    if ((s === 401 || s === 407) && this.state === 'ringing' && this.answerChallenge(leg, res)) return;
    if (s < 200) {
      if (
        s === 100 ||
        this.state !== 'ringing' ||
        (leg.state !== 'trying' && leg.state !== 'ringing') ||
        leg.round !== this.round
      )
        return;
      leg.state = 'ringing';
      if (leg.confirm) {
        // Its early SDP answers its own port's offer (a carrier using 100rel may not repeat it in
        // the 2xx), not side B's: the caller hears our ringback, not the carrier's early media.
        const early = sdpOf(res);
        if (early !== null) leg.confirm.spare.answered(early);
        if (!leg.round.quiet) this.ringingToCaller();
        return;
      }
      if (this.aAnswered) {
        // The PBX answered the caller already: ringing is played to it, never signalled
        // (and not at all in a quiet round: a queue's caller keeps hearing its music).
        if (leg.round.quiet) return;
        const sdp = leg.browser ? null : sdpOf(res);
        if (sdp !== null && this.media?.calleeAnswered(sdp, false)) this.stopRingback();
        else this.startRingback();
        return;
      }
      // Relay ringing (and early media SDP) to the caller under our single A-side tag.
      if (this.media) {
        // A browser's early SDP is not used: its answer comes with the 2xx.
        const sdp = leg.browser ? null : sdpOf(res);
        if (sdp !== null && this.media.calleeAnswered(sdp, false)) {
          // Early media from the callee (183 with SDP): it is heard instead of our ringback.
          this.stopRingback();
          this.aTx?.respond(this.toA(s, res, this.media.forCaller(false)));
        } else if (s === 180 && sdp === null) {
          // Ringing without media: the relay plays ringback in the tenant's national tones,
          // so every caller (a browser softphone too) hears the same, familiar signal.
          const early = this.media.forCaller(false);
          if (early !== null) this.startRingback();
          this.aTx?.respond(this.toA(s, res, early));
        } else this.aTx?.respond(this.toA(s, res, null));
      } else this.aTx?.respond(this.toA(s, res));
      return;
    }
    if (s < 300) this.onLegAnswered(leg, res);
    else this.onLegFailed(leg, res);
  }

  /** Ringing without the callee's media: our ringback, and a 180 to a caller not answered yet. */
  private ringingToCaller(): void {
    if (this.aAnswered) {
      this.startRingback();
      return;
    }
    const early = this.media?.forCaller(false) ?? null;
    if (early !== null) this.startRingback();
    this.aTx?.respond(this.toA(180, makeResponse(this.invite, 180), early));
  }

  private startRingback(): void {
    if (this.ringback || !this.media) return;
    this.ringback = true;
    void this.media.caller.play({ tone: { region: this.local.tones, name: 'ringback' } });
  }

  private stopRingback(): void {
    if (!this.ringback) return;
    this.ringback = false;
    this.media?.caller.stopPlayback();
  }

  private onLegAnswered(leg: BLeg, res: SipResponse): void {
    // Every 2xx is ACKed (a retransmission gets the same ACK again).
    if (!leg.dialog)
      leg.dialog = Dialog.asUac(leg.invite, res, leg.binding.source, this.ctx.localFor(leg.binding.source));
    if (!leg.dialog) return;
    leg.ack ??= leg.dialog.request('ACK', ackOptions(leg.invite));
    this.ctx.sender.send(leg.ack, leg.dialog.dest);
    if (leg.state === 'answered' || leg.state === 'failed' || leg.state === 'confirming') return;
    // A confirm leg's 2xx again (our ACK was lost) after it was told "too late": nothing more to do.
    if (leg.ok !== null) return;
    if (this.state !== 'ringing' || leg.state === 'cancelled' || leg.round !== this.round) {
      // A second fork answered, one whose ringing was over (its CANCEL crossed the 2xx),
      // or the caller already left: hang it up.
      leg.state = 'answered';
      leg.confirm?.spare.close();
      this.byeLeg(leg);
      return;
    }
    if (leg.confirm) {
      this.confirming(leg, leg.confirm, res);
      return;
    }
    let callerSdp: string | null = null;
    if (this.media) {
      // §13.2.1: the 2xx carries the answer to our offer (or repeats the one of a 183).
      const sdp = sdpOf(res);
      const usable = leg.browser
        ? sdp !== null && this.media.browserAnswered(leg.browser, sdp)
        : sdp === null
          ? this.media.calleeHasAnswered
          : this.media.calleeAnswered(sdp, true);
      if (!usable) {
        // An answer we cannot use: this fork is hung up and counts as refused.
        this.byeLeg(leg);
        this.onLegFailed(leg, makeResponse(leg.invite, 488));
        return;
      }
      callerSdp = this.media.forCaller(true);
      this.stopRingback();
    }
    this.win(leg, res, callerSdp);
  }

  /**
   * An outside number answered a confirm-call fork: it hears the question on its
   * own port while the others ring on; it takes the call only by pressing 1.
   */
  private confirming(leg: BLeg, c: NonNullable<BLeg['confirm']>, res: SipResponse): void {
    const sdp = sdpOf(res);
    const dialog = leg.dialog;
    // No SDP in the 2xx: the answer came in a reliable 18x (then the spare has it already).
    if (!dialog || !(sdp === null ? c.spare.hasAnswer : c.spare.answered(sdp))) {
      c.spare.close();
      this.byeLeg(leg);
      this.onLegFailed(leg, makeResponse(leg.invite, 488));
      return;
    }
    leg.state = 'confirming';
    leg.ok = res;
    leg.record.sipStatus = res.status;
    const step = (outcome: string) =>
      this.step({ kind: 'confirm', id: null, name: leg.party.number, outcome });
    c.answer = new ConfirmingAnswer(this.ctx, leg.invite, this.caller, leg.party, dialog, c.spare, c.prompt, {
      accept: () => {
        if (this.state !== 'ringing' || leg.round !== this.round || leg.state !== 'confirming' || !this.media)
          return false;
        step('accepted');
        c.answer?.handOver();
        this.media.takeAsCallee(c.spare);
        this.stopRingback();
        this.win(leg, res, this.media.forCaller(true));
        return true;
      },
      declined: (why) => {
        step(why);
        if (leg.state !== 'confirming') return;
        leg.state = 'failed';
        leg.record.endedAt = new Date().toISOString();
        this.ctx.changed(this);
        this.checkRound(leg.round);
      },
    });
    c.answer.start();
    this.ctx.changed(this);
  }

  /** `leg` takes the call: it becomes side B, the caller is answered (unless the PBX did), the rest stop. */
  private win(leg: BLeg, res: SipResponse, callerSdp: string | null): void {
    if (!leg.dialog) return;
    leg.state = 'answered';
    leg.record.answeredAt = new Date().toISOString();
    leg.record.sipStatus = res.status;
    this.winner = leg;
    this.state = 'answered';
    this.callee = leg.party;
    this.ctx.bindDialog(leg.dialog.key, this, 'B');
    for (const other of this.legs) if (other !== leg) this.cancelLeg(other);

    // A caller the PBX answered already is simply bridged (the relay joined the sides above),
    // once the music or prompt it was hearing stops.
    if (this.aAnswered) this.silenceCaller();
    if (!this.aAnswered) this.answerCaller(this.media ? this.toA(200, res, callerSdp) : this.toA(200, res));
    this.closeRound(leg.round, { kind: 'answered', party: leg.party });
    this.recordByPolicy();
    this.ctx.changed(this);
  }

  /** The caller hears the call was answered: our 2xx, its dialog, the CDR. */
  private answerCaller(ok: SipResponse): void {
    this.media?.answerSent('A');
    this.aDialog = Dialog.asUas(this.invite, this.aTag, this.aSource, this.ctx.localFor(this.aSource));
    if (this.aDialog) this.ctx.bindDialog(this.aDialog.key, this, 'A');
    this.aTx?.respond(ok);
    this.okRetransmit = retransmitOk(this.ctx, ok, this.aSource, () => this.hangup('A', 'failed'));
    this.cdr.answered(new Date());
  }

  /** Extensions ringing for this call now (what pickup looks for). */
  ringingNumbers(): string[] {
    if (this.state !== 'ringing') return [];
    const live = this.legs.filter((l) => l.state === 'trying' || l.state === 'ringing');
    return [...new Set(live.map((l) => l.party.number))];
  }

  /**
   * Another phone takes this ringing call (pickup: *8, or ** and the extension):
   * every fork is cancelled, the relay answers the picker's offer, and the picker's
   * own INVITE becomes the answered side B. Needs anchored media: the picker must
   * talk to our relay, not to the caller's offer.
   */
  async pickUp(
    invite: SipRequest,
    tx: InviteServerTransaction,
    source: Destination,
    party: CallParty,
  ): Promise<void> {
    const media = this.media;
    if (this.state !== 'ringing' || !media) {
      tx.respond(
        makeResponse(invite, media ? 481 : 488, {
          reason: media ? 'Call Already Answered' : 'Not Acceptable Here',
        }),
      );
      return;
    }
    const picked = sdpOf(invite);
    const bad = picked === null ? null : media.refusalFor(picked);
    if (bad) {
      // The picker's phone cannot take this call's media: only the picker is refused.
      tx.respond(makeResponse(invite, bad.status, { reason: bad.reason }));
      return;
    }
    // Taken now: forks answering from here on are hung up as late.
    const round = this.round;
    for (const leg of this.legs) this.cancelLeg(leg);
    if (round) this.closeRound(round, { kind: 'answered', party });
    this.stopRingback();
    const offer = sdpOf(invite);
    // A picker without SDP gets our offer in the 2xx and answers in its ACK (RFC 3261 §13.2.1).
    let sdp: string;
    if (offer === null) {
      media.resetSide('B');
      sdp = media.offer('B');
    } else {
      const r = await media.takeOver('B', offer);
      if (!r.ok) {
        tx.respond(makeResponse(invite, r.refusal.status, { reason: r.refusal.reason }));
        this.finish(480, 'failed', 'Temporarily Unavailable');
        return;
      }
      sdp = r.sdp;
    }
    if (this.state !== 'ringing') {
      // The caller hung up while the relay got ready.
      tx.respond(makeResponse(invite, 487));
      return;
    }
    const local = this.ctx.localFor(source);
    const tag = newTag();
    const dialog = Dialog.asUas(invite, tag, source, local);
    if (!dialog) {
      tx.respond(makeResponse(invite, 400, { reason: 'Bad Dialog' }));
      this.finish(480, 'failed', 'Temporarily Unavailable');
      return;
    }
    const ok = makeResponse(invite, 200, {
      toTag: tag,
      headers: [
        ['Contact', contactFor(local)],
        ['Content-Type', SDP_TYPE],
      ],
      body: Buffer.from(sdp),
    });
    const at = new Date().toISOString();
    const leg: BLeg = {
      invite,
      binding: {
        contact: invite.headers.get('Contact')?.replace(/^[^<]*<([^>]*)>.*$/, '$1') ?? '',
        expiresAt: Number.MAX_SAFE_INTEGER,
        callId: invite.headers.get('Call-ID') ?? '',
        cseq: 1,
        source,
        path: [],
        userAgent: invite.headers.get('User-Agent') ?? null,
        q: 1,
      },
      party,
      round: round ?? {
        done: () => {},
        legs: [],
        pending: 0,
        timers: [],
        best: null,
        callerName: '',
        headers: [],
        quiet: false,
        closed: true,
        targets: 0,
        expired: false,
      },
      browser: null,
      dialog,
      state: 'answered',
      ack: null,
      record: {
        number: party.number,
        target: 'pickup',
        startedAt: at,
        answeredAt: at,
        endedAt: null,
        sipStatus: 200,
      },
      trunk: null,
      authTries: 0,
      confirm: null,
      ok: null,
    };
    this.legs.push(leg);
    this.winner = leg;
    this.state = 'answered';
    this.callee = party;
    this.ctx.bindDialog(dialog.key, this, 'B');
    tx.respond(ok);
    media.answerSent('B');
    this.okRetransmitB = retransmitOk(this.ctx, ok, source, () => this.hangup('B', 'failed'));
    this.answerCaller(this.toA(200, makeResponse(this.invite, 200), media.forCaller(true)));
    this.recordByPolicy();
    this.ctx.changed(this);
  }

  entered(kind: string, id: string): void {
    this.visited.push({ kind, id });
  }

  /** Answered: recorded now if policy says so, or its parties may start a recording with the code. */
  private recordByPolicy(): void {
    const media = this.media;
    if (!this.ctx.recordings || !media || this.recorder) return;
    this.recorder = this.ctx.recordings.answered({
      tenantId: this.caller.tenantId,
      callId: this.cdr.callId,
      callerNumber: this.caller.number,
      calleeNumber: this.callee.number,
      direction: this.trunkUsed?.direction ?? 'internal',
      visited: this.visited,
      tones: this.local.tones,
      endpoints: () => ({ A: media.endpointOf('A'), B: media.endpointOf('B') }),
    });
  }

  private onLegFailed(leg: BLeg, res: SipResponse): void {
    if (leg.browser) this.media?.forkEnded(leg.browser);
    if (leg.state !== 'confirming' && leg.state !== 'answered') leg.confirm?.spare.close();
    if (leg.state === 'failed' || leg.state === 'cancelled' || leg.state === 'answered') return;
    leg.state = 'failed';
    leg.record.sipStatus = res.status;
    leg.record.endedAt = new Date().toISOString();
    const round = leg.round;
    if (!round.best || rank(res.status) < rank(round.best.status)) round.best = res;
    if (this.state === 'ringing') this.checkRound(round);
  }

  private failAll(status: number, cause: string, reason: string): void {
    for (const leg of this.legs) this.cancelLeg(leg);
    this.finish(status, cause, reason);
  }

  private finishUnanswered(status: number, cause: string, reason: string): void {
    if (this.state !== 'ringing') return;
    if (this.aAnswered) {
      // Answered by the PBX: nobody took it, so the PBX hangs up.
      this.hangup('A', cause);
      return;
    }
    this.aTx?.respond(makeResponse(this.invite, status, { toTag: this.aTag, reason }));
    this.end(cause, status, null);
  }

  /**
   * The PBX answers the caller itself while the call is still routed (an IVR menu,
   * a queue's music): the relay's answer goes out now; whoever answers later is
   * bridged to the caller without another 2xx, and the caller's keys reach
   * `nextKey`. Needs anchored media.
   */
  answerEarly(): boolean {
    const media = this.media;
    // Answered already (an earlier menu, or a call the PBX placed to the caller): nothing more to do.
    if (this.aAnswered) return this.state === 'ringing';
    if (this.state !== 'ringing' || !media) return false;
    this.stopRingback();
    this.aAnswered = true;
    if (!this.keysFrom.has('A')) {
      this.keysFrom.add('A');
      media.caller.on((e) => {
        if (e.type === 'dtmf' && e.phase === 'end') this.keys.push(e.digit);
      });
    }
    this.answerCaller(this.toA(200, makeResponse(this.invite, 200), media.forCaller(true)));
    this.ctx.changed(this);
    return true;
  }

  /** Music on hold to the caller (answered by the PBX) until the returned function is called or someone answers. */
  musicToCaller(): () => void {
    const media = this.media;
    if (!media || this.state === 'ended') return () => {};
    const stop = this.ctx.moh.start(media.caller, this.caller.tenantId, this.caller.number);
    const once = () => {
      if (!this.callerAudio.delete(once)) return;
      stop();
    };
    this.callerAudio.add(once);
    return once;
  }

  /** The caller hears music from the PBX now (waiting in a queue between announcements). */
  get callerHearsMusic(): boolean {
    return this.callerAudio.size > 0;
  }

  /** Whatever the PBX plays to the caller stops: music and prompts. */
  silenceCaller(): void {
    for (const stop of [...this.callerAudio]) stop();
    this.media?.caller.stopPlayback();
  }

  /** Whether the PBX has answered the caller (it hears prompts, music or ringing from the relay). */
  get answeredByPbx(): boolean {
    return this.aAnswered;
  }

  /** Plays to the caller (once the PBX answered): prompts, with barge-in by a key unless told not to. */
  playToCaller(files: string[], opts: { bargeIn?: boolean } = {}): Promise<PlaybackResult> {
    if (!this.media || this.state === 'ended') return Promise.resolve({ end: 'closed' });
    const play = this.media.caller.play({ files }, opts);
    // Keys sent as SIP INFO never reach the relay: a barge-in play is stopped by them here.
    const mine = opts.bargeIn === true ? play : null;
    this.bargeInPlay = mine;
    void play.then(() => {
      if (this.bargeInPlay === mine) this.bargeInPlay = null;
    });
    return play;
  }

  /** Records the caller (voicemail, once the PBX answered) into a WAV at `path`. */
  recordCaller(
    path: string,
    opts: { maxDurationMs: number; silence?: { afterMs: number } },
  ): Promise<{ summary?: RecordingSummary; error?: string }> {
    if (!this.media || this.state === 'ended') return Promise.resolve({ error: 'call ended' });
    return this.media.caller.record(path, { mode: 'single', ...opts });
  }

  stopRecordingCaller(): void {
    this.media?.caller.stopRecording('dtmf');
  }

  /** The beep before a recording. */
  beepToCaller(): Promise<PlaybackResult> {
    if (!this.media || this.state === 'ended') return Promise.resolve({ end: 'closed' });
    return this.media.caller.play({ tone: { region: this.local.tones, name: 'beep' } }, { bargeIn: false });
  }

  /** The caller's next key (RFC 4733, INFO or in-band), or null after `timeoutMs` or at hang-up. */
  nextKey(timeoutMs: number, stop?: Promise<unknown>): Promise<string | null> {
    return this.keys.next(timeoutMs, stop);
  }

  /**
   * The PBX alone with one side's party (a transferee handed to a menu, a queue or
   * a mailbox once its transferor left): prompts, music, recording and keys on
   * that side's relay endpoint. Null without anchored media.
   */
  heldParty(side: Side): HeldParty | null {
    const media = this.media;
    if (!media) return null;
    const endpoint = media.endpointOf(side);
    const party = this.partyOf(side);
    // Keys from the relay (RFC 4733, in-band) join those sent as INFO (which `alone` takes) in one buffer.
    const keys = this.keys;
    if (!this.keysFrom.has(side)) {
      this.keysFrom.add(side);
      endpoint.on((e) => {
        if (e.type === 'dtmf' && e.phase === 'end') keys.push(e.digit);
      });
    }
    const audio = new Set<() => void>();
    const live = () => this.state !== 'ended';
    return {
      play: (files, opts = {}) =>
        live() ? endpoint.play({ files }, opts) : Promise.resolve({ end: 'closed' }),
      music: () => {
        if (!live()) return () => {};
        const stop = this.ctx.moh.start(endpoint, party.tenantId, party.number);
        const once = () => {
          if (audio.delete(once)) stop();
        };
        audio.add(once);
        return once;
      },
      silence: () => {
        for (const stop of [...audio]) stop();
        endpoint.stopPlayback();
      },
      record: (path, opts) =>
        live()
          ? endpoint.record(path, { mode: 'single', ...opts })
          : Promise.resolve({ error: 'call ended' }),
      stopRecording: () => endpoint.stopRecording('dtmf'),
      beep: () =>
        live()
          ? endpoint.play({ tone: { region: this.local.tones, name: 'beep' } }, { bargeIn: false })
          : Promise.resolve({ end: 'closed' }),
      nextKey: (timeoutMs, stop) => keys.next(timeoutMs, stop),
    };
  }

  /** The caller's CANCEL (the transaction layer already answered it 200; we answer the INVITE 487). */
  cancelledByCaller(): void {
    if (this.state !== 'ringing') return;
    for (const leg of this.legs) this.cancelLeg(leg);
    this.aTx?.respond(makeResponse(this.invite, 487, { toTag: this.aTag }));
    this.end('cancelled', 487, 'caller');
  }

  private cancelLeg(leg: BLeg, quick = false): void {
    if (leg.browser) this.media?.forkEnded(leg.browser);
    if (leg.state === 'confirming') {
      // It answered and was deciding: too late now (told so, unless the node is shutting down).
      this.step({ kind: 'confirm', id: null, name: leg.party.number, outcome: 'too late' });
      leg.state = 'cancelled';
      leg.record.endedAt = new Date().toISOString();
      leg.confirm?.answer?.tooLate(quick);
      return;
    }
    if (leg.state === 'trying' || leg.state === 'ringing') {
      leg.confirm?.spare.close();
      leg.state = 'cancelled';
      leg.record.endedAt = new Date().toISOString();
      // §9.1: a CANCEL for a fork that has not answered even provisionally still goes out; it is harmless.
      this.ctx.layer.sendRequest(makeCancel(leg.invite), leg.binding.source, {
        response: () => {},
        timeout: () => {},
      });
    }
  }

  private byeLeg(leg: BLeg): void {
    if (!leg.dialog) return;
    this.ctx.layer.sendRequest(leg.dialog.request('BYE'), leg.dialog.dest, {
      response: () => {},
      timeout: () => {},
    });
    this.ctx.unbindDialog(leg.dialog.key);
  }

  /** A request inside one of this call's dialogs. `tx` is null for ACK. */
  inDialog(side: Side, req: SipRequest, tx: ServerTransaction | null): void {
    const key = incomingDialogKey(req);
    if (key && this.retired.has(key)) {
      // A transferred party's BYE (or anything else) after it left: it is out already.
      tx?.respond(makeResponse(req, req.method === 'BYE' ? 200 : 481));
      return;
    }
    const here = side === 'A' ? this.aDialog : this.winner?.dialog;
    const there = side === 'A' ? this.winner?.dialog : this.aDialog;
    if (req.method === 'BYE' && side === this.leaving && here && tx) {
      // The transferor hangs up while its transfer goes on: only it leaves.
      tx.respond(makeResponse(req, 200));
      this.retire(side);
      return;
    }
    if (req.method === 'REFER' && here && there && tx && here.accept(req)) {
      if (this.ctx.refer && this.state === 'answered' && this.leaving === null)
        this.ctx.refer(this, side, req, tx);
      else
        tx.respond(
          makeResponse(req, this.leaving === null ? 501 : 491, {
            reason: this.leaving === null ? 'Transfer Not Available' : 'Transfer In Progress',
          }),
        );
      return;
    }
    if (!here) {
      tx?.respond(makeResponse(req, 481));
      return;
    }
    if (!there) {
      this.alone(side, here, req, tx);
      return;
    }
    if (req.method === 'ACK') {
      if (side === 'A') this.okRetransmit?.stop();
      else this.okRetransmitB?.stop();
      // The ACK may carry the answer to an offer of ours (late offer, or a re-INVITE without SDP).
      this.media?.ackFrom(side, sdpOf(req));
      return; // the B side's 2xx were ACKed by us already
    }
    if (!here.accept(req)) {
      tx?.respond(makeResponse(req, 500, { reason: 'CSeq Out of Order' }));
      return;
    }
    if (!tx) return;
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      this.ctx.layer.sendRequest(there.request('BYE'), there.dest, { response: () => {}, timeout: () => {} });
      this.end('normal', null, side === 'A' ? 'caller' : 'callee');
      return;
    }
    if (req.method === 'INVITE' && this.pending.size > 0) {
      // §14.1: a re-INVITE while another is in progress is refused with 491 (glare).
      tx.respond(makeResponse(req, 491));
      return;
    }
    const offer = this.media && (req.method === 'INVITE' || req.method === 'UPDATE') ? sdpOf(req) : null;
    if (this.media && req.method === 'INVITE' && offer === null) {
      // §14.2: a re-INVITE without SDP asks for our offer; the relay answers it itself and
      // the answer comes in the ACK. The other phone has nothing to learn.
      tx.respond(
        makeResponse(req, 200, {
          headers: [
            ['Contact', contactFor(here.local)],
            ['Content-Type', SDP_TYPE],
          ],
          body: Buffer.from(this.media.offerAgain(side)),
        }),
      );
      return;
    }
    let body = req.body;
    let contentType = req.headers.get('Content-Type');
    let hold: boolean | undefined;
    if (this.media && offer !== null) {
      // A re-offer (hold, resume, new address): answered by the relay, and the other side
      // re-offered only what it implies (direction), with our relay address.
      const outcome = this.media.reoffer(side, offer);
      if (!outcome.ok) {
        const r = outcome.refusal;
        tx.respond(
          makeResponse(req, r.status, {
            reason: r.reason,
            headers: r.warning ? [['Warning', r.warning]] : [],
          }),
        );
        return;
      }
      if (outcome.sdp === null) {
        // The other side is a browser: nothing to re-offer it; the relay answers and plays the music.
        this.holdChanged(side === 'A' ? 'B' : 'A', outcome.hold);
        const answer = this.media.reanswer(side);
        tx.respond(
          makeResponse(req, 200, {
            headers: [
              ...(req.method === 'INVITE'
                ? ([['Contact', contactFor(here.local)]] as [string, string][])
                : []),
              ...(answer !== null ? ([['Content-Type', SDP_TYPE]] as [string, string][]) : []),
            ],
            body: answer === null ? Buffer.alloc(0) : Buffer.from(answer),
          }),
        );
        return;
      }
      body = Buffer.from(outcome.sdp);
      contentType = SDP_TYPE;
      hold = outcome.hold;
    }
    if (req.method === 'INFO' && this.media) {
      // A key sent as INFO reaches the other phone the way that phone takes keys (RFC 4733
      // events if it negotiated telephone-event, else tones): not every phone or carrier
      // takes INFO. The recording code is read from it too.
      const info = parseDtmfInfo(req.headers.get('Content-Type') ?? '', req.body);
      if (info.ok) {
        this.recorder?.key(side, info.dtmf.signal);
        this.media
          .endpointOf(side === 'A' ? 'B' : 'A')
          .sendKey(info.dtmf.signal, info.dtmf.durationMs ?? 160);
        tx.respond(makeResponse(req, 200));
        return;
      }
    }
    // re-INVITE (hold/unhold), UPDATE, INFO, MESSAGE...: carried across, answer relayed back.
    this.pending.set(side, tx);
    const other: Side = side === 'A' ? 'B' : 'A';
    const out = there.request(req.method, { body, ...(contentType ? { contentType } : {}) });
    this.ctx.layer.sendRequest(out, there.dest, {
      response: (res) => {
        if (res.status < 200 && res.status !== 100 && req.method !== 'INVITE') return;
        if (res.status === 100) return;
        if (req.method === 'INVITE' && res.status >= 200 && res.status < 300) {
          // We are the UAC on this side: ACK its 2xx ourselves; the ACK from the other side is absorbed.
          this.ctx.sender.send(
            there.request('ACK', { cseq: Number.parseInt(out.headers.get('CSeq') ?? '1', 10) }),
            there.dest,
          );
        }
        if (res.status >= 200) this.pending.delete(side);
        if (this.media && offer !== null) {
          if (res.status >= 200 && res.status < 300 && hold !== undefined) this.holdChanged(other, hold);
          tx.respond(this.relayAnchored(req, res, here, side, other));
          return;
        }
        tx.respond(this.relay(req, res, here));
      },
      timeout: () => {
        this.pending.delete(side);
        if (this.media && offer !== null) this.media.reofferFailed(side);
        tx.respond(makeResponse(req, 408));
      },
    });
  }

  /** `side` was put on hold (it hears music from the relay) or taken off it. */
  private holdChanged(side: Side, held: boolean): void {
    const playing = this.onHold.get(side);
    if (held && !playing && this.media) {
      const party = side === 'A' ? this.caller : this.callee;
      this.onHold.set(
        side,
        this.ctx.moh.start(this.media.endpointOf(side), this.caller.tenantId, party.number),
      );
    } else if (!held && playing) {
      playing();
      this.onHold.delete(side);
    }
  }

  /** The answer to a re-offer that went through the relay: the other side's status, our SDP. */
  private relayAnchored(
    req: SipRequest,
    res: SipResponse,
    here: Dialog,
    side: Side,
    other: Side,
  ): SipResponse {
    const media = this.media!;
    let sdp: string | null = null;
    if (res.status >= 200 && res.status < 300) {
      const theirs = sdpOf(res);
      if (theirs !== null) media.answered(other, theirs);
      sdp = media.reanswer(side);
    } else if (res.status >= 300) media.reofferFailed(side);
    const headers: [string, string][] = [];
    if (sdp !== null) headers.push(['Content-Type', SDP_TYPE]);
    if (res.status >= 200 && res.status < 300 && req.method === 'INVITE')
      headers.push(['Contact', contactFor(here.local)]);
    return makeResponse(req, res.status, {
      reason: res.reason || reasonPhrase(res.status),
      headers,
      body: sdp === null ? Buffer.alloc(0) : Buffer.from(sdp),
    });
  }

  /** A response for the side that sent `req`, carrying the other side's status, reason and body. */
  private relay(req: SipRequest, res: SipResponse, here: Dialog): SipResponse {
    const headers: [string, string][] = [];
    const ct = res.headers.get('Content-Type');
    if (ct && res.body.length) headers.push(['Content-Type', ct]);
    if (res.status >= 200 && res.status < 300 && req.method === 'INVITE')
      headers.push(['Contact', contactFor(here.local)]);
    return makeResponse(req, res.status, {
      reason: res.reason || reasonPhrase(res.status),
      headers,
      body: res.body,
    });
  }

  /**
   * Builds the caller's copy of a callee's response: our tag, our Contact, and
   * `sdp` (anchored: our own SDP or none) or else the callee's body as it came.
   */
  private toA(status: number, res: SipResponse, sdp?: string | null): SipResponse {
    const headers: [string, string][] = [['Contact', contactFor(this.ctx.localFor(this.aSource))]];
    let body = res.body;
    if (sdp !== undefined) {
      body = sdp === null ? Buffer.alloc(0) : Buffer.from(sdp);
      if (sdp !== null) headers.push(['Content-Type', SDP_TYPE]);
    } else {
      const ct = res.headers.get('Content-Type');
      if (ct && res.body.length) headers.push(['Content-Type', ct]);
    }
    for (const name of ['Allow', 'Supported']) {
      const v = res.headers.get(name);
      if (v !== undefined) headers.push([name, v]);
    }
    return makeResponse(this.invite, status, {
      toTag: this.aTag,
      headers,
      body,
      reason: res.reason || reasonPhrase(status),
    });
  }

  /** Something failed on our side: a ringing call is refused 500, an answered one hung up. */
  abort(): void {
    if (this.state === 'ringing') this.failAll(500, 'failed', 'Server Internal Error');
    else this.hangup('A', 'failed');
  }

  /** A browser side's media never connected or went away (ICE/DTLS): the call cannot go on. */
  private browserLost(): void {
    if (this.state === 'ringing') this.failAll(480, 'media-failed', 'Temporarily Unavailable');
    else this.hangup('A', 'media-failed');
  }

  /** A limit ends the call (a cap reached while it runs): an answered call is hung up with `cause`. */
  cutOff(cause: string): void {
    if (this.state === 'answered') this.hangup('A', cause);
  }

  /** Ends an answered call from our side (e.g. no ACK): BYE to both parties. */
  hangup(_from: Side, cause: string): void {
    if (this.state === 'ended') return;
    if (this.aDialog)
      this.ctx.layer.sendRequest(this.aDialog.request('BYE'), this.aDialog.dest, {
        response: () => {},
        timeout: () => {},
      });
    if (this.winner) this.byeLeg(this.winner);
    this.end(cause, null, 'system');
  }

  // --- Transfers (the REFER handling is transfer.ts; these are the call's part of it) ---

  /** The call-progress tones the tenant's callers know. */
  get tones(): ToneRegion {
    return this.local.tones;
  }

  /** The relay, when media is anchored (transfers need it). */
  get anchored(): CallMedia | null {
    return this.media;
  }

  dialogOf(side: Side): Dialog | null {
    return (side === 'A' ? this.aDialog : this.winner?.dialog) ?? null;
  }

  partyOf(side: Side): CallParty {
    return side === 'A' ? this.caller : this.callee;
  }

  /** Runs `fn` when the call ends (at once if it has). */
  onEnded(fn: () => void): void {
    if (this.state === 'ended') fn();
    else this.endHooks.push(fn);
  }

  /**
   * What the party on `side` holds while it is on the phone (a trunk channel, its
   * place in the external-call limits): released when it leaves — with the call,
   * or later elsewhere if an attended transfer hands the party to another call.
   */
  holdUntilEnd(release: Release, side: Side = 'B'): void {
    if (this.state === 'ended') release(this);
    else this.held[side].push(release);
  }

  /** The party taking `side` brings what it holds from its old call (attended transfer). */
  adoptHeld(side: Side, releases: Release[]): void {
    for (const r of releases) this.holdUntilEnd(r, side);
  }

  /** `side` is being transferred away (null: the transfer is over). */
  markLeaving(side: Side | null): void {
    this.leaving = side;
  }

  /** Whether a side's party is gone (hung up during its transfer). */
  isGone(side: Side): boolean {
    return this.dialogOf(side) === null;
  }

  /** Takes `side`'s party out: its dialog is retired (late requests answered quietly) and forgotten. */
  retire(side: Side): Dialog | null {
    const d = this.dialogOf(side);
    if (!d) return null;
    this.retired.add(d.key);
    if (side === 'A') this.aDialog = null;
    else if (this.winner) this.winner.dialog = null;
    // The party who left is off the phone: lamps and "on the phone" checks follow.
    this.ctx.changed(this);
    return d;
  }

  /**
   * A new party takes `side` (a transfer target answered, or the party handed over
   * from another call): its dialog now carries the side's in-dialog requests.
   */
  replaceParty(
    side: Side,
    dialog: Dialog,
    party: CallParty,
    leg: { number: string; target: string } | null,
  ): void {
    this.retire(side);
    this.ctx.bindDialog(dialog.key, this, side);
    if (side === 'A') {
      this.aDialog = dialog;
      this.caller = party;
    } else {
      this.callee = party;
      if (this.winner) this.winner.dialog = dialog;
    }
    if (leg) {
      const at = new Date().toISOString();
      this.legs.push({
        ...(this.winner as BLeg),
        party,
        dialog,
        state: 'answered',
        record: { ...leg, startedAt: at, answeredAt: at, endedAt: null, sipStatus: 200 },
      });
    }
    this.leaving = null;
    this.ctx.changed(this);
  }

  /**
   * A request from a party whose other side has left for now (parked, or its
   * transferor gone while the target rings): its BYE ends the call, a re-offer is
   * answered by the relay, anything else is simply accepted.
   */
  private alone(side: Side, here: Dialog, req: SipRequest, tx: ServerTransaction | null): void {
    if (req.method === 'ACK') {
      if (side === 'A') this.okRetransmit?.stop();
      else this.okRetransmitB?.stop();
      this.media?.ackFrom(side, sdpOf(req));
      return;
    }
    if (!here.accept(req)) {
      tx?.respond(makeResponse(req, 500, { reason: 'CSeq Out of Order' }));
      return;
    }
    if (!tx) return;
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      this.end('normal', null, side === 'A' ? 'caller' : 'callee');
      return;
    }
    if (req.method === 'INFO') {
      // Keys as SIP INFO while the PBX has the caller (an IVR menu).
      const info = parseDtmfInfo(req.headers.get('Content-Type') ?? '', req.body);
      if (info.ok) {
        this.keys.push(info.dtmf.signal);
        if (this.bargeInPlay) this.media?.caller.stopPlayback();
      }
      tx.respond(makeResponse(req, 200));
      return;
    }
    const offer = req.method === 'INVITE' || req.method === 'UPDATE' ? sdpOf(req) : null;
    if (this.media && offer !== null) {
      const r = this.media.answerLocally(side, offer);
      if (!r.ok) {
        tx.respond(makeResponse(req, r.refusal.status, { reason: r.refusal.reason }));
        return;
      }
      const headers: [string, string][] = [['Content-Type', SDP_TYPE]];
      if (req.method === 'INVITE') headers.push(['Contact', contactFor(here.local)]);
      tx.respond(makeResponse(req, 200, { headers, body: Buffer.from(r.sdp) }));
      return;
    }
    if (this.media && req.method === 'INVITE') {
      tx.respond(
        makeResponse(req, 200, {
          headers: [
            ['Contact', contactFor(here.local)],
            ['Content-Type', SDP_TYPE],
          ],
          body: Buffer.from(this.media.offerAgain(side)),
        }),
      );
      return;
    }
    if (req.method === 'REFER') {
      // Nobody is bridged yet (a menu, a queue has the caller): nothing to transfer. A 200 here
      // would tell the phone its transfer was taken when nothing will happen (RFC 3515 wants 202
      // and NOTIFYs for one that is).
      tx.respond(makeResponse(req, 501, { reason: 'Transfer Not Available' }));
      return;
    }
    tx.respond(makeResponse(req, 200));
  }

  /** The music `side` hears starts again (a ringback played over it has stopped). */
  restartMusic(side: Side): void {
    const stop = this.onHold.get(side);
    if (!stop) return;
    stop();
    this.onHold.delete(side);
    this.holdChanged(side, true);
  }

  /** The side whose party is being transferred away, if any. */
  get leavingSide(): Side | null {
    return this.leaving;
  }

  /** `side` hears music on hold from the relay (a parked call). */
  startMusic(side: Side): void {
    this.holdChanged(side, true);
  }

  /**
   * A phone's INVITE takes the empty `side` of an answered call (a parked call
   * retrieved): the relay answers its offer (or offers in the 2xx when it sent none).
   */
  async takeSide(
    side: Side,
    invite: SipRequest,
    tx: InviteServerTransaction,
    source: Destination,
    party: CallParty,
  ): Promise<boolean> {
    const media = this.media;
    if (this.state !== 'answered' || !media || this.dialogOf(side)) {
      tx.respond(makeResponse(invite, 481));
      return false;
    }
    const offer = sdpOf(invite);
    let sdp: string;
    if (offer === null) {
      media.resetSide(side);
      sdp = media.offer(side);
    } else {
      const r = await media.takeOver(side, offer);
      if (!r.ok) {
        tx.respond(makeResponse(invite, r.refusal.status, { reason: r.refusal.reason }));
        return false;
      }
      sdp = r.sdp;
    }
    const local = this.ctx.localFor(source);
    const tag = newTag();
    const dialog = this.state === 'answered' ? Dialog.asUas(invite, tag, source, local) : null;
    if (!dialog) {
      tx.respond(makeResponse(invite, this.state === 'answered' ? 400 : 487));
      return false;
    }
    const ok = makeResponse(invite, 200, {
      toTag: tag,
      headers: [
        ['Contact', contactFor(local)],
        ['Content-Type', SDP_TYPE],
      ],
      body: Buffer.from(sdp),
    });
    this.replaceParty(side, dialog, party, { number: party.number, target: 'retrieved' });
    tx.respond(ok);
    media.answerSent(side);
    const retransmit = retransmitOk(this.ctx, ok, source, () => this.hangup(side, 'failed'));
    if (side === 'A') this.okRetransmit = retransmit;
    else this.okRetransmitB = retransmit;
    this.resume(side === 'A' ? 'B' : 'A');
    return true;
  }

  /** Music on hold to `side` stops, and a phone that was re-offered "hold" is re-offered sendrecv. */
  resume(side: Side): void {
    const stop = this.onHold.get(side);
    if (!stop) return;
    stop();
    this.onHold.delete(side);
    const d = this.dialogOf(side);
    const media = this.media;
    if (!d || !media || media.isBrowser(side)) return;
    const req = d.request('INVITE', {
      body: Buffer.from(media.offer(side, 'sendrecv')),
      contentType: SDP_TYPE,
    });
    this.ctx.layer.sendRequest(req, d.dest, {
      response: (res) => {
        if (res.status < 200) return;
        if (res.status < 300) {
          this.ctx.sender.send(
            d.request('ACK', { cseq: Number.parseInt(req.headers.get('CSeq') ?? '1', 10) }),
            d.dest,
          );
          const sdp = sdpOf(res);
          if (sdp !== null) media.answered(side, sdp);
        } else media.reofferFailed(side === 'A' ? 'B' : 'A');
      },
      timeout: () => {},
    });
  }

  /**
   * Hands `side`'s party over to another call (attended transfer): its dialog and
   * SDP session leave with it, this call ends without a BYE to it (the other side,
   * the transferor, gets one).
   */
  handOver(side: Side): { dialog: Dialog; party: CallParty; media: SideHandover; held: Release[] } | null {
    const d = this.dialogOf(side);
    if (!d || !this.media || this.state !== 'answered') return null;
    // Whatever was on hold stops: the party goes on elsewhere.
    this.onHold.get(side)?.();
    this.onHold.delete(side);
    // What the party holds (a trunk channel) goes with it.
    const held = this.held[side].splice(0);
    const out = { dialog: d, party: this.partyOf(side), media: this.media.detach(side), held };
    this.ctx.unbindDialog(d.key);
    if (side === 'A') this.aDialog = null;
    else if (this.winner) this.winner.dialog = null;
    this.hangup(side === 'A' ? 'B' : 'A', 'transferred');
    return out;
  }

  private end(
    cause: string,
    sipStatus: number | null,
    hangupBy: 'caller' | 'callee' | 'system' | null,
  ): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    // Phones still ringing for this call stop (a caller the PBX answered leaves with BYE, not CANCEL);
    // at shutdown an outside number deciding on confirm-call gets its BYE at once, not after a prompt.
    for (const leg of this.legs) this.cancelLeg(leg, cause === 'shutdown');
    if (this.round) this.closeRound(this.round, { kind: 'ended' });
    for (const hook of this.endHooks.splice(0)) hook();
    // Released before the record closes: what a release costs lands on this call's record.
    for (const release of [...this.held.A.splice(0), ...this.held.B.splice(0)]) release(this);
    this.keys.close();
    for (const key of this.retired) this.ctx.unbindDialog(key);
    this.okRetransmit?.stop();
    this.okRetransmitB?.stop();
    for (const stop of this.onHold.values()) stop();
    this.onHold.clear();
    if (this.aDialog) this.ctx.unbindDialog(this.aDialog.key);
    if (this.winner?.dialog) this.ctx.unbindDialog(this.winner.dialog.key);
    const at = new Date();
    for (const l of this.legs) l.record.endedAt ??= at.toISOString();
    const legs = this.legs.map((l) => l.record);
    // The relay's final figures come back from its worker; the CDR row closes with them.
    const quality: Promise<CallQuality | null> = this.media ? this.media.close() : Promise.resolve(null);
    this.cdr.ended(
      at,
      quality.then((q) => ({
        cause,
        sipStatus,
        hangupBy,
        legs,
        trail: this.trail,
        tags: this.tags,
        quality: q,
        ...(this.trunkUsed ? { direction: this.trunkUsed.direction, trunk: this.trunkUsed.name } : {}),
        ...(this.cost !== null ? { cost: Math.round(this.cost) } : {}),
      })),
    );
    this.ctx.ended(this);
  }

  /** Resolves when every CDR write queued so far is done (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.cdr.flushed();
  }
}
