/**
 * Media direction algebra (RFC 3264 §5.1, §6.1): a direction is a pair of flags seen
 * from the side that wrote it.
 */
import type { Direction } from './types.js';

export interface Flow {
  readonly send: boolean;
  readonly recv: boolean;
}

export function flowOf(d: Direction): Flow {
  return { send: d === 'sendrecv' || d === 'sendonly', recv: d === 'sendrecv' || d === 'recvonly' };
}

export function directionOf(f: Flow): Direction {
  if (f.send) return f.recv ? 'sendrecv' : 'sendonly';
  return f.recv ? 'recvonly' : 'inactive';
}

/**
 * RFC 3264 §6.1: an answer may only send what the offer will receive and receive what
 * the offer sends; `wanted` narrows it further (sendonly offer -> recvonly, inactive ->
 * inactive, sendrecv -> whatever we want).
 */
export function answerDirection(offered: Direction, wanted: Direction): Direction {
  const o = flowOf(offered);
  const w = flowOf(wanted);
  return directionOf({ send: o.recv && w.send, recv: o.send && w.recv });
}

/** What we may do after an exchange, our offered direction against the peer's answer. */
export function agreedDirection(ours: Direction, theirs: Direction): Direction {
  const o = flowOf(ours);
  const t = flowOf(theirs);
  return directionOf({ send: o.send && t.recv, recv: o.recv && t.send });
}

/**
 * The direction an offer effectively asks for: RFC 3264 §8.4 says not to send to an
 * unspecified address, so c=0.0.0.0 with sendrecv is RFC 2543 hold, i.e. sendonly.
 */
export function withoutReceive(d: Direction): Direction {
  return directionOf({ send: flowOf(d).send, recv: false });
}
