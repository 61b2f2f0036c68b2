/** What the transaction machines need from the world: a way to send, a clock, the timer values. */
import type { SipMessage } from '../message/index.js';
import type { Clock } from './clock.js';
import type { TimerValues } from './timers.js';

export type TransportName = 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';

/** Where a message goes: an address, or an existing connection (flow) to reuse. */
export interface Destination {
  transport: TransportName;
  host: string;
  port: number;
  /** Connection to send on for stream transports (RFC 5626-style flow reuse). */
  flowId?: string | undefined;
}

export interface Sender {
  /**
   * `failed` is called (never synchronously) when the transport knows the message
   * did not go out: a refused or reset connection, no flow left for a response,
   * a UDP send error (RFC 3261 §17.1.1.2, §17.1.2.2: the transaction informs the TU).
   */
  send(msg: SipMessage, dest: Destination, failed?: () => void): void;
  /** Sends a response already in wire form (kept that way to answer retransmissions cheaply). */
  sendBytes?(data: Buffer, dest: Destination): void;
}

export interface TxContext {
  clock: Clock;
  timers: TimerValues;
  sender: Sender;
}

/** RFC 3261 §17: retransmissions and wait timers only matter on unreliable transports. */
export function isReliable(t: TransportName): boolean {
  return t !== 'UDP';
}
