/**
 * A call the PBX places itself (we are the UAC from the first INVITE): the
 * smallest such call — the relay's offer in the INVITE, the answer taken from
 * the 2xx, a CANCEL when it rings too long, BYE either way. Its audio is one
 * relay endpoint that joins a conference room: paging puts many listen-only legs
 * in one room, a queue callback puts the agent's and the customer's legs in a
 * room of two. Browsers (WebSocket contacts) cannot take plain RTP: callers pick
 * a phone's contact.
 */
import { makeCancel, makeResponse, newCallId } from '../sip/build.js';
import { Dialog, type LocalAddress } from '../sip/dialog.js';
import type { SipRequest } from '../sip/message/index.js';
import type { Timer } from '../sip/transaction/clock.js';
import type { ServerTransaction } from '../sip/transaction/layer.js';
import type { ActiveCall, CallContext, CallParty, TrunkDial } from './call.js';
import { CallMedia, SDP_TYPE, sdpOf, srtpToward } from './call-media.js';
import { type Binding, isBrowserBinding } from './location.js';
import { ackOptions, inviteTo, withCredentials } from './outgoing-invite.js';

export interface OutboundLegOptions {
  /** Who the phone is told is calling (the caller-ID it shows). */
  from: { number: string; domain: string; name: string };
  /** The conference room the leg's audio joins once answered (unless `holdOutOfRoom`). */
  room: string;
  listenOnly?: boolean;
  /** Extra headers on the INVITE (paging asks the phone to answer by itself). */
  headers?: [string, string][];
  codecs: readonly string[];
  /** Seconds it rings before it is cancelled (0: until the phone or Timer B gives up). */
  ringSec?: number;
  /** Answered legs wait outside the room until `joinRoom()` (a callback's agent waits for the customer). */
  holdOutOfRoom?: boolean;
  /** Out through a carrier's trunk (the binding is its address): its identity headers and account. */
  trunk?: TrunkDial;
  /**
   * A two-sided relay opened by the caller of `start` (originate): the leg is its side A,
   * joins no room, and once answered is handed to a `Call` (`handOff`) that goes on with it.
   */
  media?: CallMedia;
}

/** The one gateway offer a PBX-placed leg makes to a browser, by this key. */
const BROWSER_FORK = 'leg';

/** A browser's contact (over WebSocket, directly or through a front proxy): WebRTC only. */
export function isBrowserContact(b: Binding): boolean {
  return isBrowserBinding(b);
}

export class OutboundLeg implements ActiveCall {
  state: 'ringing' | 'answered' | 'ended' = 'ringing';
  invite!: SipRequest;
  /** How the leg's ringing ended: answered (its audio is in the room, or waiting to join), or not. */
  readonly outcome: Promise<'answered' | 'failed'>;
  /** Settles when the leg is over (hung up by either side, or never answered). */
  readonly ended: Promise<void>;
  /** Who hung up an answered leg: the phone ('callee') or we did ('system'). */
  endedBy: 'callee' | 'system' | null = null;
  answeredAt: Date | null = null;
  private settleOutcome: (o: 'answered' | 'failed') => void = () => {};
  private settleEnded: () => void = () => {};
  private dialog: Dialog | null = null;
  private media: CallMedia | null = null;
  private ack: SipRequest | null = null;
  private binding: Binding | null = null;
  private ringTimer: Timer | null = null;
  /** Challenges answered (a carrier's trunk asks for its account). */
  private authTries = 0;
  /** The leg rings a browser (WebRTC through the gateway). */
  private browser = false;

  constructor(
    private readonly ctx: CallContext,
    readonly caller: CallParty,
    readonly callee: CallParty,
    private readonly opts: OutboundLegOptions,
  ) {
    this.outcome = new Promise((resolve) => {
      this.settleOutcome = resolve;
    });
    this.ended = new Promise((resolve) => {
      this.settleEnded = resolve;
    });
  }

  /** Calls the phone at `binding`; false when it could not even be tried. */
  async start(binding: Binding): Promise<boolean> {
    const engine = this.ctx.media;
    const browser = isBrowserContact(binding);
    // A browser takes WebRTC only: through the gateway, or not at all.
    if (!engine || (browser && !this.ctx.webrtc)) return this.fail();
    const opened = this.opts.media
      ? { ok: true as const, media: this.opts.media }
      : await CallMedia.open(engine, null, this.opts.codecs, {
          callee: false,
          room: this.opts.room,
          webrtc: this.ctx.webrtc,
          // A phone over TLS may get SRTP (offered only when required); a carrier never.
          srtp: this.opts.trunk || browser ? 'off' : srtpToward(engine, binding.source.transport),
        });
    if (!opened.ok) return this.fail();
    this.media = opened.media;
    this.media.onBrowserLost = () => this.hangup();
    const offer = browser ? await opened.media.offerToBrowser(BROWSER_FORK) : opened.media.offer('A');
    // Hung up while the relay opened: nothing is sent.
    if (this.state !== 'ringing' || offer === null) return this.fail();
    this.browser = browser;
    const local: LocalAddress = this.ctx.localFor(binding.source);
    const trunk = this.opts.trunk;
    const req = inviteTo(
      binding,
      local,
      trunk ? { from: trunk.from, to: trunk.to } : { from: this.opts.from, to: this.callee },
      {
        callId: newCallId(local.host),
        maxForwards: 70,
        carried: [...(this.opts.headers ?? []), ...(trunk?.headers ?? [])],
        body: Buffer.from(offer),
        contentType: SDP_TYPE,
        assertIdentity: !trunk,
      },
    );
    if (!req) return this.fail();
    this.binding = binding;
    if (this.opts.ringSec)
      this.ringTimer = this.ctx.clock.after(this.opts.ringSec * 1000, () => this.hangup());
    this.send(req, binding, local);
    this.ctx.changed(this);
    return true;
  }

  private send(req: SipRequest, binding: Binding, local: LocalAddress): void {
    this.invite = req;
    this.ctx.layer.sendRequest(req, binding.source, {
      response: (res) => {
        if (this.invite !== req) return; // an answer to the INVITE before we added credentials
        const creds = this.opts.trunk?.credentials;
        if (
          (res.status === 401 || res.status === 407) &&
          creds &&
          this.authTries < 2 &&
          this.state === 'ringing'
        ) {
          const again = withCredentials(req, res, creds, local, this.opts.trunk?.realm ?? null);
          if (again) {
            this.authTries++;
            this.send(again, binding, local);
            return;
          }
        }
        if (res.status < 200) return;
        if (res.status >= 300) {
          void this.end(null);
          return;
        }
        this.dialog ??= Dialog.asUac(req, res, binding.source, local);
        const d = this.dialog;
        if (!d) return;
        this.ack ??= d.request('ACK', ackOptions(req));
        this.ctx.sender.send(this.ack, d.dest);
        if (this.state !== 'ringing') {
          // Answered after we gave up (a CANCEL crossed the 2xx): hang up at once.
          if (this.state === 'ended') this.bye();
          return;
        }
        const sdp = sdpOf(res);
        const usable =
          sdp !== null &&
          !!this.media &&
          (this.browser ? this.media.browserAnswered(BROWSER_FORK, sdp, 'A') : this.media.answered('A', sdp));
        if (!usable) {
          this.bye();
          void this.end('system');
          return;
        }
        this.ringTimer?.cancel();
        this.state = 'answered';
        this.answeredAt = new Date();
        this.ctx.bindDialog(d.key, this, 'B');
        if (!this.opts.holdOutOfRoom && !this.opts.media) this.joinRoom();
        this.ctx.changed(this);
        this.settleOutcome('answered');
      },
      timeout: () => void this.end(null),
      transportError: () => void this.end(null),
    });
  }

  /**
   * The answered leg's dialog and INVITE for the call taking it over (originate): the leg
   * forgets them, so nothing it does later (a late 2xx, its end) touches that call.
   * Null unless answered.
   */
  handOff(): { dialog: Dialog; invite: SipRequest } | null {
    const d = this.dialog;
    if (this.state !== 'answered' || !d) return null;
    this.dialog = null;
    this.media = null;
    this.ringTimer?.cancel();
    // Stays "answered" for a retransmitted 2xx (it is ACKed again, not hung up); the call owns the rest.
    this.settleEnded();
    return { dialog: d, invite: this.invite };
  }

  /** The answered leg's audio joins its room. */
  joinRoom(): void {
    this.media?.caller.stopPlayback();
    this.media?.caller.joinConference(this.opts.room, { listenOnly: this.opts.listenOnly === true });
  }

  /** Plays a tone to the answered leg while it waits out of the room (ringback for a callback's agent). */
  tone(t: Parameters<CallMedia['caller']['play']>[0]): void {
    void this.media?.caller.play(t);
  }

  inDialog(_side: 'A' | 'B', req: SipRequest, tx: ServerTransaction | null): void {
    if (!tx) return;
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      void this.end('callee');
      return;
    }
    // The relay holds no second offer/answer for these legs: hold and transfer are not offered.
    tx.respond(makeResponse(req, req.method === 'INVITE' || req.method === 'UPDATE' ? 488 : 200));
  }

  cancelledByCaller(): void {}

  hangup(): void {
    if (this.state === 'answered') this.bye();
    else if (this.state === 'ringing' && this.invite && this.binding)
      this.ctx.layer.sendRequest(makeCancel(this.invite), this.binding.source, {
        response: () => {},
        timeout: () => {},
      });
    void this.end('system');
  }

  abort(): void {
    this.hangup();
  }

  private bye(): void {
    const d = this.dialog;
    if (d) this.ctx.layer.sendRequest(d.request('BYE'), d.dest, { response: () => {}, timeout: () => {} });
  }

  private fail(): false {
    void this.media?.close();
    this.state = 'ended';
    this.settleOutcome('failed');
    this.settleEnded();
    return false;
  }

  private async end(by: 'callee' | 'system' | null): Promise<void> {
    if (this.state === 'ended') return;
    const wasAnswered = this.state === 'answered';
    this.state = 'ended';
    this.ringTimer?.cancel();
    if (wasAnswered) this.endedBy = by;
    if (this.dialog) this.ctx.unbindDialog(this.dialog.key);
    this.settleOutcome('failed');
    this.ctx.ended(this);
    await this.media?.close();
    this.settleEnded();
  }

  async flushed(): Promise<void> {}
}
