/** Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6). */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Timer } from './clock.js';
import { txTimeout } from './timers.js';
import { type Destination, isReliable, type TxContext } from './types.js';

export type NictState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NictHandlers {
  response(res: SipResponse): void;
  /** Timer F: no final answer (the TU treats it as 408). */
  timeout(): void;
  /** The transport could not send the request (§8.1.3.1: the TU treats it as 503). */
  transportError(): void;
  terminated(): void;
}

export class NonInviteClientTransaction {
  state: NictState = 'trying';
  private timerE: Timer | null = null;
  private timerF: Timer | null = null;
  private timerK: Timer | null = null;

  constructor(
    private readonly ctx: TxContext,
    readonly request: SipRequest,
    readonly dest: Destination,
    private readonly on: NictHandlers,
  ) {}

  start(): void {
    this.ctx.sender.send(this.request, this.dest, this.failed);
    if (!isReliable(this.dest.transport)) this.scheduleE(this.ctx.timers.T1);
    this.timerF = this.ctx.clock.after(txTimeout(this.ctx.timers), () => {
      if (this.state === 'trying' || this.state === 'proceeding') {
        this.on.timeout();
        this.terminate();
      }
    });
  }

  /** Timer E: doubles up to T2 while Trying; stays at T2 once Proceeding (§17.1.2.2). */
  private scheduleE(interval: number): void {
    this.timerE = this.ctx.clock.after(interval, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.ctx.sender.send(this.request, this.dest, this.failed);
      const next =
        this.state === 'proceeding' ? this.ctx.timers.T2 : Math.min(interval * 2, this.ctx.timers.T2);
      this.scheduleE(next);
    });
  }

  receive(res: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return; // completed absorbs retransmissions
    if (res.status < 200) {
      this.state = 'proceeding';
      this.on.response(res);
      return;
    }
    this.state = 'completed';
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.on.response(res);
    // Timer K: T4 on UDP to absorb retransmitted finals, 0 on reliable transports.
    this.timerK = this.ctx.clock.after(isReliable(this.dest.transport) ? 0 : this.ctx.timers.T4, () =>
      this.terminate(),
    );
  }

  private readonly failed = (): void => this.transportError();

  transportError(): void {
    if (this.state === 'trying' || this.state === 'proceeding') {
      this.on.transportError();
      this.terminate();
    }
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.timerK?.cancel();
    this.on.terminated();
  }
}
