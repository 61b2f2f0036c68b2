/** Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8). */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Timer } from './clock.js';
import { txTimeout } from './timers.js';
import { type Destination, isReliable, type TxContext } from './types.js';

export type NistState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NistHandlers {
  terminated(): void;
  /**
   * Completed on an unreliable transport: when given, the owner sends the final response
   * and takes over absorbing retransmissions for Timer J (keeping only the response, in
   * wire form: serialised once for both) and this object ends at once, so a busy server
   * holds a response per recent request rather than a whole transaction with its timer.
   */
  completed?(last: SipResponse): void;
}

export class NonInviteServerTransaction {
  state: NistState = 'trying';
  private last: SipResponse | null = null;
  private timerJ: Timer | null = null;

  constructor(
    private readonly ctx: TxContext,
    readonly request: SipRequest,
    readonly replyTo: Destination,
    private readonly on: NistHandlers,
  ) {}

  respond(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'terminated') return;
    this.last = res;
    if (res.status >= 200 && this.on.completed && !isReliable(this.replyTo.transport)) {
      this.state = 'completed';
      this.on.completed(res);
      this.terminate();
      return;
    }
    this.ctx.sender.send(res, this.replyTo);
    if (res.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.state = 'completed';
    // Timer J: keep answering retransmissions for 64*T1 on UDP; none needed on reliable transports.
    this.timerJ = this.ctx.clock.after(
      isReliable(this.replyTo.transport) ? 0 : txTimeout(this.ctx.timers),
      () => this.terminate(),
    );
  }

  /** A retransmitted request: send the last response again (nothing while Trying). */
  retransmission(): void {
    if (this.last && (this.state === 'proceeding' || this.state === 'completed')) {
      this.ctx.sender.send(this.last, this.replyTo);
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerJ?.cancel();
    this.on.terminated();
  }
}
