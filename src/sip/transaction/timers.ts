/** RFC 3261 §17.1.1.1 and Table 4: the timer values, named as the RFC names them. */
export interface TimerValues {
  /** RTT estimate. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. */
  T2: number;
  /** Maximum duration a message remains in the network. */
  T4: number;
}

export const DEFAULT_TIMERS: TimerValues = { T1: 500, T2: 4000, T4: 5000 };

/** Timer B, F, H, J (and RFC 6026 L, M): 64*T1. */
export const txTimeout = (t: TimerValues): number => 64 * t.T1;
