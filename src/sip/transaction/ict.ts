/**
 * INVITE client transaction: RFC 3261 §17.1.1 (Figure 5), with the Accepted
 * state of RFC 6026 §7.2 so retransmitted 2xx responses reach the TU, which ACKs
 * each of them.
 */
import { makeAckForNon2xx } from '../build.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Timer } from './clock.js';
import { txTimeout } from './timers.js';
import { type Destination, isReliable, type TxContext } from './types.js';

export type IctState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface IctHandlers {
  /** Every response the TU must see: provisional, the final one, retransmitted 2xx. */
  response(res: SipResponse): void;
  /** Timer B: no answer at all (the TU treats it as 408). */
  timeout(): void;
  /** The transport could not send the request (§8.1.3.1: the TU treats it as 503). */
  transportError(): void;
  terminated(): void;
}

export class InviteClientTransaction {
  state: IctState = 'calling';
  private timerA: Timer | null = null;
  private timerB: Timer | null = null;
  private timerD: Timer | null = null;
  private ack: SipRequest | null = null;

  constructor(
    private readonly ctx: TxContext,
    readonly request: SipRequest,
    readonly dest: Destination,
    private readonly on: IctHandlers,
  ) {}

  start(): void {
    this.ctx.sender.send(this.request, this.dest, this.failed);
    if (!isReliable(this.dest.transport)) this.scheduleA(this.ctx.timers.T1);
    this.timerB = this.ctx.clock.after(txTimeout(this.ctx.timers), () => {
      // §17.1.1.2: Timer B only ends the transaction while still Calling.
      if (this.state === 'calling') {
        this.on.timeout();
        this.terminate();
      }
    });
  }

  /** Timer A: retransmit, doubling the interval each time (no cap for INVITE). */
  private scheduleA(interval: number): void {
    this.timerA = this.ctx.clock.after(interval, () => {
      if (this.state !== 'calling') return;
      this.ctx.sender.send(this.request, this.dest, this.failed);
      this.scheduleA(interval * 2);
    });
  }

  receive(res: SipResponse): void {
    const s = res.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (s < 200) {
          this.state = 'proceeding';
          this.timerA?.cancel();
          this.on.response(res);
        } else if (s < 300) {
          this.state = 'accepted';
          this.stopRetransmitting();
          this.on.response(res);
          // RFC 6026 Timer M: absorb retransmitted 2xx for 64*T1, then end.
          this.timerD = this.ctx.clock.after(txTimeout(this.ctx.timers), () => this.terminate());
        } else {
          this.state = 'completed';
          this.stopRetransmitting();
          this.ack = makeAckForNon2xx(this.request, res);
          this.ctx.sender.send(this.ack, this.dest);
          this.on.response(res);
          // Timer D: at least 32 s on UDP to answer retransmitted finals with ACK; 0 on reliable transports.
          const d = isReliable(this.dest.transport) ? 0 : Math.max(32_000, txTimeout(this.ctx.timers) / 2);
          this.timerD = this.ctx.clock.after(d, () => this.terminate());
        }
        break;
      case 'completed':
        if (s >= 300 && this.ack) this.ctx.sender.send(this.ack, this.dest);
        break;
      case 'accepted':
        if (s >= 200 && s < 300) this.on.response(res);
        break;
      case 'terminated':
        break;
    }
  }

  /** A transport failure (e.g. connection refused) ends the transaction at once (§17.1.4), not at Timer B. */
  private readonly failed = (): void => this.transportError();

  transportError(): void {
    if (this.state === 'calling' || this.state === 'proceeding') {
      this.on.transportError();
      this.terminate();
    }
  }

  private stopRetransmitting(): void {
    this.timerA?.cancel();
    this.timerB?.cancel();
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerA?.cancel();
    this.timerB?.cancel();
    this.timerD?.cancel();
    this.on.terminated();
  }
}
