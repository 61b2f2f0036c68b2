/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7), with RFC 6026's
 * Accepted state: after a 2xx the transaction stays for Timer L to absorb
 * retransmitted INVITEs, while the TU (dialog) retransmits the 2xx itself.
 */
import { makeResponse } from '../build.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Timer } from './clock.js';
import { txTimeout } from './timers.js';
import { type Destination, isReliable, type TxContext } from './types.js';

export type IstState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface IstHandlers {
  /** Timer H: a 300-699 answer was never ACKed. */
  timeout(): void;
  terminated(): void;
}

/** §17.2.1: if the TU has not answered within 200 ms, send 100 Trying so the client stops retransmitting. */
export const TRYING_DELAY_MS = 200;

export class InviteServerTransaction {
  state: IstState = 'proceeding';
  private last: SipResponse | null = null;
  private trying: Timer | null = null;
  private timerG: Timer | null = null;
  private timerH: Timer | null = null;
  private timerIL: Timer | null = null;

  constructor(
    private readonly ctx: TxContext,
    readonly request: SipRequest,
    /** Where responses go: the request's source (RFC 3261 §18.2.2, RFC 3581 rport). */
    readonly replyTo: Destination,
    private readonly on: IstHandlers,
  ) {}

  start(): void {
    this.trying = this.ctx.clock.after(TRYING_DELAY_MS, () => {
      if (this.state === 'proceeding' && this.last === null) this.respond(makeResponse(this.request, 100));
    });
  }

  /** The TU answers. Provisional and final responses are sent and remembered for retransmission. */
  respond(res: SipResponse): void {
    if (this.state !== 'proceeding') return;
    this.trying?.cancel();
    this.last = res;
    this.ctx.sender.send(res, this.replyTo);
    if (res.status < 200) return;
    if (res.status < 300) {
      this.state = 'accepted';
      this.timerIL = this.ctx.clock.after(txTimeout(this.ctx.timers), () => this.terminate());
      return;
    }
    this.state = 'completed';
    if (!isReliable(this.replyTo.transport)) this.scheduleG(this.ctx.timers.T1);
    this.timerH = this.ctx.clock.after(txTimeout(this.ctx.timers), () => {
      if (this.state === 'completed') {
        this.on.timeout();
        this.terminate();
      }
    });
  }

  /** Timer G: retransmit the final response, doubling up to T2, until the ACK arrives. */
  private scheduleG(interval: number): void {
    this.timerG = this.ctx.clock.after(interval, () => {
      if (this.state !== 'completed' || !this.last) return;
      this.ctx.sender.send(this.last, this.replyTo);
      this.scheduleG(Math.min(interval * 2, this.ctx.timers.T2));
    });
  }

  /** A retransmitted INVITE: answer with the last response sent, if any. */
  retransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) {
      this.ctx.sender.send(this.last, this.replyTo);
    }
  }

  /** ACK for our 300-699: stop retransmitting; Timer I absorbs further ACKs. */
  ack(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.timerG?.cancel();
    this.timerH?.cancel();
    const i = isReliable(this.replyTo.transport) ? 0 : this.ctx.timers.T4;
    this.timerIL = this.ctx.clock.after(i, () => this.terminate());
  }

  get lastResponse(): SipResponse | null {
    return this.last;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.trying?.cancel();
    this.timerG?.cancel();
    this.timerH?.cancel();
    this.timerIL?.cancel();
    this.on.terminated();
  }
}
