/**
 * Keys a caller pressed (RFC 4733, SIP INFO or in-band), kept until an
 * application asks for the next one: the buffer behind "press 1 for sales".
 * At most 64 are kept (a stuck key cannot grow it without bound).
 */
import type { Clock } from '../sip/transaction/clock.js';

export class KeyBuffer {
  private readonly keys: string[] = [];
  private waiter: ((d: string | null) => void) | null = null;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  push(key: string): void {
    if (this.closed) return;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(key);
    } else if (this.keys.length < 64) this.keys.push(key);
  }

  /**
   * The next key, or null after `timeoutMs`, once closed (the call ended), or once
   * `stop` settles (the asker lost interest: a key pressed after that is kept for
   * whoever asks next, not swallowed).
   */
  next(timeoutMs: number, stop?: Promise<unknown>): Promise<string | null> {
    const queued = this.keys.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const giveUp = () => {
        timer.cancel();
        if (this.waiter === settle) this.waiter = null;
        resolve(null);
      };
      const timer = this.clock.after(timeoutMs, giveUp);
      const settle = (d: string | null) => {
        timer.cancel();
        resolve(d);
      };
      this.waiter = settle;
      void stop?.then(() => {
        if (this.waiter === settle) giveUp();
      });
    });
  }

  /** The call ended: whoever waits gets null, and so does every later ask. */
  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }
}
