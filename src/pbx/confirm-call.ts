/**
 * Confirm-call: an outside number rung for a group or a follow-me step (a mobile,
 * a colleague's home line) must press 1 before the call is theirs. Without it a
 * mobile's own voicemail, or a carrier's "the subscriber is not available"
 * announcement answered with 200, would take the call from everyone else.
 *
 * The answered leg talks to the PBX alone on a spare relay port while the caller
 * still hears ringing and the other phones still ring: who is calling and "press
 * 1 to accept, 2 to decline". 1 hands the leg to the call (`accept`, which the
 * call refuses when someone else was quicker: the leg then hears "too late");
 * 2, hanging up, or silence after the last ask declines it, and the round goes
 * on without it.
 */
import { parseDtmfInfo } from '../media/dtmf/info.js';
import type { PlaybackResult } from '../media/engine.js';
import { type PromptName, promptFiles } from '../media/prompts.js';
import { type SayLang, sayDigits } from '../media/say.js';
import { makeResponse } from '../sip/build.js';
import type { Dialog } from '../sip/dialog.js';
import type { SipRequest } from '../sip/message/index.js';
import type { ServerTransaction } from '../sip/transaction/layer.js';
import type { ActiveCall, CallContext, CallParty } from './call.js';
import type { SpareSide } from './call-media.js';
import { KeyBuffer } from './key-buffer.js';

/** What a confirming answerer hears, built by the router in the tenant's language. */
export interface ConfirmPrompt {
  /** Who is calling, and "press 1 to accept, 2 to decline". */
  ask: string[];
  /** The call was taken by someone else (or the caller left) while they listened. */
  tooLate: string[];
  /** Seconds to wait for a key after each ask. */
  waitSec: number;
  /** How many times the question is asked before silence counts as "no". */
  tries: number;
}

/**
 * The question in the tenant's language: the caller's number digit by digit
 * (an anonymous caller is not announced), then "press 1 / press 2".
 */
export function confirmPrompt(lang: SayLang, callerNumber: string): ConfirmPrompt {
  const digits = callerNumber.replace(/[^0-9]/g, '');
  const who: PromptName[] =
    digits.length > 0 && digits.length <= 20
      ? ['confirm-call-from', ...sayDigits(digits, lang)]
      : ['confirm-call'];
  return {
    ask: promptFiles([...who, 'confirm-press'], lang),
    tooLate: promptFiles(['confirm-too-late'], lang),
    waitSec: 5,
    tries: 3,
  };
}

export interface ConfirmHooks {
  /** The answerer pressed 1: true when the call is theirs (it was still free). */
  accept(): boolean;
  /** They said no, hung up, or never answered the question. */
  declined(why: 'declined' | 'hung up' | 'no confirmation'): void;
}

/** Keys that answer the question (others ask again). */
const ACCEPT = '1';
const DECLINE = '2';

export class ConfirmingAnswer implements ActiveCall {
  state: 'ringing' | 'answered' | 'ended' = 'ringing';
  private readonly keys: KeyBuffer;
  /** asking: waiting for their key; leaving: hearing "too late" before our BYE; done: handed over or gone. */
  private phase: 'asking' | 'leaving' | 'done' = 'asking';
  private playing: Promise<PlaybackResult> | null = null;
  private stopAsking: () => void = () => {};
  private readonly stopped: Promise<void>;

  constructor(
    private readonly ctx: CallContext,
    readonly invite: SipRequest,
    readonly caller: CallParty,
    readonly callee: CallParty,
    private readonly dialog: Dialog,
    private readonly spare: SpareSide,
    private readonly prompt: ConfirmPrompt,
    private readonly hooks: ConfirmHooks,
  ) {
    this.keys = new KeyBuffer(ctx.clock);
    this.stopped = new Promise((resolve) => {
      this.stopAsking = resolve;
    });
    spare.endpoint.on((e) => {
      if (e.type === 'dtmf' && e.phase === 'end') this.keys.push(e.digit);
    });
  }

  /** Binds the leg's dialog here and asks the question. */
  start(): void {
    this.ctx.bindDialog(this.dialog.key, this, 'B');
    void this.ask().catch((err: unknown) => {
      this.ctx.log.error({ err }, 'confirm-call failed');
      this.decline('no confirmation');
    });
  }

  private async ask(): Promise<void> {
    for (let i = 0; i < this.prompt.tries; i++) {
      this.playing = this.spare.endpoint.play({ files: this.prompt.ask }, { bargeIn: true });
      await this.playing;
      this.playing = null;
      if (this.phase !== 'asking') return;
      // A key that cut the prompt short is in the buffer already (or arrives with its end).
      const key = await this.keys.next(this.prompt.waitSec * 1000, this.stopped);
      if (this.phase !== 'asking') return;
      if (key === ACCEPT) {
        if (this.hooks.accept()) {
          this.phase = 'done';
          this.stopAsking();
        } else this.tooLate();
        return;
      }
      if (key === DECLINE) return this.decline('declined');
    }
    this.decline('no confirmation');
  }

  /**
   * Someone else took the call, the caller left, or the ringing is over: they hear
   * that it is too late, then we hang up.
   */
  tooLate(quick = false): void {
    if (this.phase !== 'asking') return;
    this.phase = 'leaving';
    this.stopAsking();
    this.spare.endpoint.stopPlayback();
    // The node is going down: the BYE goes now, while there is still a transport to send it.
    if (quick) {
      this.leave(true);
      return;
    }
    void this.spare.endpoint
      .play({ files: this.prompt.tooLate }, { bargeIn: false })
      .then(() => this.leave(true));
  }

  private decline(why: 'declined' | 'hung up' | 'no confirmation'): void {
    if (this.phase !== 'asking') return;
    this.phase = 'done';
    this.stopAsking();
    this.leave(why !== 'hung up');
    this.hooks.declined(why);
  }

  /** Marks the leg as the call's own (the call rebinds the dialog to itself). */
  handOver(): void {
    this.state = 'answered';
  }

  private leave(bye: boolean): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.phase = 'done';
    this.keys.close();
    this.ctx.unbindDialog(this.dialog.key);
    this.spare.close();
    if (bye)
      this.ctx.layer.sendRequest(this.dialog.request('BYE'), this.dialog.dest, {
        response: () => {},
        timeout: () => {},
      });
  }

  inDialog(_side: 'A' | 'B', req: SipRequest, tx: ServerTransaction | null): void {
    if (!tx) return; // a retransmitted ACK of ours? (ACKs to us carry nothing to act on here)
    if (!this.dialog.accept(req)) {
      tx.respond(makeResponse(req, 500, { reason: 'CSeq Out of Order' }));
      return;
    }
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      if (this.phase === 'asking') this.decline('hung up');
      else this.leave(false);
      return;
    }
    if (req.method === 'INFO') {
      const info = parseDtmfInfo(req.headers.get('Content-Type') ?? '', req.body);
      if (info.ok) {
        this.keys.push(info.dtmf.signal);
        // Keys by INFO never reach the relay: the question is cut short here.
        if (this.playing) this.spare.endpoint.stopPlayback();
      }
      tx.respond(makeResponse(req, info.ok ? 200 : 415));
      return;
    }
    // No second offer/answer while they decide (the relay keeps the session it has); an UPDATE
    // without SDP (a session-timer refresh, RFC 4028) is simply accepted.
    const reoffer = req.method === 'INVITE' || (req.method === 'UPDATE' && req.body.length > 0);
    tx.respond(makeResponse(req, reoffer ? 491 : 200));
  }

  cancelledByCaller(): void {}

  hangup(): void {
    this.tooLate();
  }

  abort(): void {
    this.tooLate();
  }

  async flushed(): Promise<void> {}
}
