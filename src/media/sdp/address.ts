/**
 * Connection addresses of c=, o= and a=rtcp (RFC 8866 §5.7): IPv4, IPv6 or a domain
 * name, with the multicast "/ttl/count" suffix removed (we only do unicast).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressFamily, Connection } from './types.js';

const HOSTNAME = /^(?=.*[A-Za-z-])[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** Checks an address against its <addrtype>; null when they disagree or it is not an address. */
export function readConnection(family: AddressFamily, raw: string): Connection | null {
  const address = raw.split('/')[0] ?? '';
  if (family === 'IP4' ? isIPv4(address) : isIPv6(address)) return { family, address };
  // An FQDN is legal (RFC 8866 §5.7); a name made only of digits and dots is a broken IPv4 literal.
  if (HOSTNAME.test(address)) return { family, address };
  return null;
}

/** The connection for one of our own literal addresses, its family read from its form. */
export function connectionFor(address: string): Connection {
  return { family: isIPv6(address) ? 'IP6' : 'IP4', address };
}

/**
 * RFC 3264 §8.4: c=0.0.0.0 (RFC 2543 hold, or "address not known yet") means that
 * neither RTP nor RTCP is to be sent to the peer; '::' is taken the same way for IPv6.
 */
export function isUnspecified(c: Connection): boolean {
  return c.family === 'IP4' ? c.address === '0.0.0.0' : c.address === '::';
}

export function sameConnection(a: Connection | null, b: Connection | null): boolean {
  if (a === null || b === null) return a === b;
  return a.family === b.family && a.address.toLowerCase() === b.address.toLowerCase();
}
