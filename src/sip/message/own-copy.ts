/**
 * ownCopy(): a string with the same text that keeps nothing else alive.
 *
 * A value read out of a message (a branch, a nonce, a Call-ID) is, in V8, a slice of the
 * whole decoded datagram: the ~700 characters of a REGISTER stay in memory for as long
 * as the 40 characters read out of it are kept. Kept for long, in number — a completed
 * transaction's key for 32 s, a nonce's count for minutes, a binding for an hour — that
 * multiplied the live heap (~800 bytes per entry instead of ~130 measured) and with it
 * the pauses of the garbage collector's full collections, which is where the REGISTER
 * latency tail came from. Concatenating does not help (the parts are still slices);
 * slicing a fresh concatenation makes V8 copy the text into a string of its own first.
 */
export function ownCopy(s: string): string {
  return ` ${s}`.slice(1);
}
