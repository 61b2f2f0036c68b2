/**
 * Trusted SIP proxies (NIMBUS_SIP_TRUSTED_PROXIES): behind Kamailio every request
 * arrives from Kamailio's address, so bans, the rate limit, the scanner filter and the
 * security events would lump every phone together (one guesser bans them all, and a
 * ban of "the address" means nothing). For a request whose transport source is a
 * trusted proxy, they go by the address the proxy received it from instead.
 *
 * That address is read from the Via the proxy found on top when the request reached it
 * (the second Via here, below the proxy's own): its `received` parameter, else its
 * sent-by host. RFC 3261 §18.2.1 has a proxy stamp `received` with the packet's source
 * whenever the sent-by is not that address, and Kamailio also overwrites a `received`
 * the client put there itself (test/interop/kamailio-trusted-proxy.test.ts sends a
 * forged one), so a phone cannot choose the address it is judged by. Chosen over a
 * header the proxy adds (X-…: $si) because it needs nothing configured on the proxy,
 * and nothing the proxy must remember to strip: a header that a misconfigured proxy
 * passed through from the phone would be believed; a forged `received` is not.
 *
 * Through a chain of trusted proxies, the walk goes on down the Vias to the first hop
 * that is not trusted; below that, every Via is the client's own say-so.
 *
 * From any source that is not trusted, nothing in the message is believed: the
 * transport source is the address. A trusted proxy's own requests (its OPTIONS probes,
 * with only its own Via) are judged by its own address.
 */
import { BlockList, isIP } from 'node:net';
import { parseVia, type SipRequest, splitList } from '../sip/message/index.js';
import type { Destination, TransportName } from '../sip/transaction/types.js';
import { parseCidr } from './auth-guard.js';
import { plainIp } from './security-events.js';

const TRANSPORTS: ReadonlySet<string> = new Set<TransportName>(['UDP', 'TCP', 'TLS', 'WS', 'WSS']);

export class TrustedProxies {
  private readonly list = new BlockList();
  /** Answers by address (bounded): with proxies set, every request asks. */
  private readonly cache = new Map<string, boolean>();
  /** The answer per request: asked before the transaction and again at authentication. */
  private readonly judged = new WeakMap<SipRequest, Destination>();

  constructor(private readonly entries: readonly string[] = []) {
    for (const entry of entries) {
      const c = parseCidr(entry);
      if (!c) throw new Error(`not an address or CIDR range: ${JSON.stringify(entry)}`);
      this.list.addSubnet(c.address, c.prefix, c.type);
    }
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  trusted(host: string): boolean {
    // BlockList.check() costs about a microsecond: skipped when nothing is trusted, as by default.
    if (this.entries.length === 0) return false;
    const known = this.cache.get(host);
    if (known !== undefined) return known;
    const a = plainIp(host);
    const family = isIP(a);
    const yes = family !== 0 && this.list.check(a, family === 4 ? 'ipv4' : 'ipv6');
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(host, yes);
    return yes;
  }

  /**
   * The source `req` is judged by: `source` itself, or, when that is a trusted proxy,
   * the client it relayed the request for (address, port and transport of the client's
   * own hop). Through a chain of trusted proxies (an SBC behind Kamailio, both listed),
   * the first hop that is not one of them. Only for judging: answers still go back the
   * way the request came.
   */
  clientOf(req: SipRequest, source: Destination): Destination {
    if (!this.trusted(source.host)) return source;
    // Parsing a Via costs a few microseconds; a request is judged at least twice.
    const known = this.judged.get(req);
    if (known) return known;
    const judged = this.walk(req, source);
    this.judged.set(req, judged);
    return judged;
  }

  private walk(req: SipRequest, source: Destination): Destination {
    let judged = source;
    let index = 0;
    for (const line of req.headers.getAll('Via'))
      for (const element of splitList(line)) {
        // Via 0 is the proxy's own; each next one is what the hop above received it from.
        if (index++ === 0) continue;
        const hop = hopOf(element, judged.transport);
        if (!hop) return judged;
        judged = hop;
        // Past a hop nobody vouches for, every further Via is that client's own say-so.
        if (!this.trusted(hop.host) || index > 8) return judged;
      }
    return judged;
  }
}

/** Where one Via says its request came from: `received` (stamped by the hop above), else sent-by. */
function hopOf(element: string, fallback: TransportName): Destination | null {
  const via = parseVia(element);
  if (!via) return null;
  const host = plainIp(via.params.get('received') ?? via.host);
  if (!isIP(host)) return null;
  const rport = via.params.get('rport');
  const port = rport && /^\d{1,5}$/.test(rport) ? Number(rport) : (via.port ?? 5060);
  const transport = TRANSPORTS.has(via.transport) ? (via.transport as TransportName) : fallback;
  return { transport, host, port };
}
