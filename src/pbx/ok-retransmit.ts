/**
 * RFC 3261 §13.3.1.4: the UAS core (not the transaction) retransmits its 2xx to an
 * INVITE over unreliable transports, T1 doubling up to T2, until the ACK arrives;
 * with no ACK in 64*T1 the dialog is confirmed dead and is ended with BYE.
 */
import type { SipResponse } from '../sip/message/index.js';
import type { Clock, Timer } from '../sip/transaction/clock.js';
import { txTimeout } from '../sip/transaction/timers.js';
import { type Destination, isReliable, type Sender, type TxContext } from '../sip/transaction/types.js';

export interface OkRetransmission {
  /** The ACK came (or the call ended): stop. */
  stop(): void;
}

export function retransmitOk(
  ctx: { clock: Clock; sender: Sender; tx: TxContext },
  ok: SipResponse,
  dest: Destination,
  noAck: () => void,
): OkRetransmission {
  let timer: Timer | null = null;
  let stopped = false;
  if (!isReliable(dest.transport)) {
    const { T1, T2 } = ctx.tx.timers;
    const deadline = ctx.clock.now() + txTimeout(ctx.tx.timers);
    const tick = (interval: number) => {
      timer = ctx.clock.after(interval, () => {
        if (stopped) return;
        if (ctx.clock.now() >= deadline) {
          noAck();
          return;
        }
        ctx.sender.send(ok, dest);
        tick(Math.min(interval * 2, T2));
      });
    };
    tick(T1);
  }
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}
