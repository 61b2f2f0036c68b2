/**
 * Locating SIP servers (RFC 3263 §4): turns a trunk's host, and the port and transport
 * its configuration may pin, into the ordered places to send a request, following
 * NAPTR → SRV → A/AAAA as far as the zone publishes them.
 *
 * DNS trouble of any kind (no such name, no data, a server that does not answer)
 * only ends that step: the caller gets what the other steps found, possibly nothing,
 * and decides what an unreachable trunk means. Nothing is cached here: the caller
 * knows how long its answers may live.
 */
import type { NaptrRecord, SrvRecord } from 'node:dns';
import { promises as systemDns } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Destination, TransportName } from './transaction/types.js';

/** The transports RFC 3263 locates; WebSocket peers are reached by URL, not through DNS. */
export type SipTransport = Extract<TransportName, 'UDP' | 'TCP' | 'TLS'>;

/** The parts of node:dns/promises' Resolver used, so tests and callers can choose the servers. */
export interface DnsLike {
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export interface ResolveOptions {
  /** A port from the configuration: skips NAPTR and SRV (RFC 3263 §4.2). */
  port?: number | null;
  /** A transport from the configuration: skips NAPTR, asks only that transport's SRV. */
  transport?: SipTransport | null;
  /** Defaults to the system resolver. */
  dns?: DnsLike;
  /** Uniform in [0, 1), for the SRV weighted draw; tests pass a fixed one. */
  random?: () => number;
}

interface Service {
  transport: SipTransport;
  naptr: string;
  srvPrefix: string;
}

/** In the order RFC 3263 §4.1 has a client try them when the zone has no NAPTR. */
const SERVICES: readonly Service[] = [
  { transport: 'UDP', naptr: 'SIP+D2U', srvPrefix: '_sip._udp' },
  { transport: 'TCP', naptr: 'SIP+D2T', srvPrefix: '_sip._tcp' },
  { transport: 'TLS', naptr: 'SIPS+D2T', srvPrefix: '_sips._tcp' },
];

const DEFAULT_PORT: Readonly<Record<SipTransport, number>> = { UDP: 5060, TCP: 5060, TLS: 5061 };

interface Lookup {
  dns: DnsLike;
  random: () => number;
}

/**
 * Ordered list of places to try; empty when the name does not resolve.
 * Never throws for DNS failures; throws a RangeError for a port that is not one.
 */
export async function resolveSipTargets(host: string, opts: ResolveOptions = {}): Promise<Destination[]> {
  const port = checkedPort(opts.port);
  const transport = opts.transport ?? null;
  const literal = ipLiteral(host);
  if (literal !== null) {
    const t = transport ?? 'UDP';
    return [{ transport: t, host: literal, port: port ?? DEFAULT_PORT[t] }];
  }
  if (host === '' || host.startsWith('[')) return [];
  const lookup: Lookup = { dns: opts.dns ?? systemDns, random: opts.random ?? Math.random };
  return dedupe(await locate(lookup, host, port, transport));
}

async function locate(
  lookup: Lookup,
  host: string,
  port: number | null,
  transport: SipTransport | null,
): Promise<Destination[]> {
  if (port !== null) return addressTargets(lookup, host, transport ?? 'UDP', port);
  if (transport !== null) {
    const service = serviceOf(transport);
    const srv = await srvTargets(lookup, service, srvName(service, host));
    return srv.published ? srv.targets : addressTargets(lookup, host, transport, DEFAULT_PORT[transport]);
  }
  const viaNaptr = await naptrTargets(lookup, host);
  if (viaNaptr.length > 0) return viaNaptr;
  const srvs = await Promise.all(SERVICES.map((s) => srvTargets(lookup, s, srvName(s, host))));
  const usable = srvs.find((s) => s.targets.length > 0);
  if (usable) return usable.targets;
  // A zone that publishes SRV only to say "not here" (target ".") must not be second-guessed through A records.
  if (srvs.some((s) => s.published)) return [];
  return addressTargets(lookup, host, 'UDP', DEFAULT_PORT.UDP);
}

function checkedPort(port: number | null | undefined): number | null {
  if (port === null || port === undefined) return null;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a port number: ${port}`);
  return port;
}

/** The address of an IP literal host ("[v6]" as in a SIP URI, or bare), else null. */
function ipLiteral(host: string): string | null {
  const bracketed = /^\[(.*)\]$/.exec(host);
  if (bracketed) return isIPv6(bracketed[1]!) ? bracketed[1]! : null;
  return isIP(host) !== 0 ? host : null;
}

function serviceOf(transport: SipTransport): Service {
  return SERVICES.find((s) => s.transport === transport)!;
}

/**
 * RFC 3263 §4.1: NAPTR records for the services we speak, by order then preference,
 * each followed to its SRV name. Only terminal "S" records are used: the regexp and
 * "A"/"U" forms are not what SIP zones publish.
 */
async function naptrTargets(lookup: Lookup, host: string): Promise<Destination[]> {
  const records = await query(() => lookup.dns.resolveNaptr(host));
  const followed = records
    .filter((r) => r.flags.toUpperCase() === 'S' && !isRoot(r.replacement))
    .flatMap((r) => {
      const service = SERVICES.find((s) => s.naptr === r.service.toUpperCase());
      return service ? [{ record: r, service }] : [];
    })
    .sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference);
  const perRecord = await Promise.all(
    followed.map(({ record, service }) => srvTargets(lookup, service, record.replacement)),
  );
  return perRecord.flatMap((srv) => srv.targets);
}

/** What one SRV name said: `published` even when its only record is "." (service decidedly not offered). */
interface SrvResult {
  published: boolean;
  targets: Destination[];
}

function srvName(service: Service, host: string): string {
  return `${service.srvPrefix}.${host}`;
}

async function srvTargets(lookup: Lookup, service: Service, name: string): Promise<SrvResult> {
  const records = await query(() => lookup.dns.resolveSrv(name));
  const offered = records.filter((r) => !isRoot(r.name) && r.port > 0);
  const ordered = orderSrv(offered, lookup.random);
  const perTarget = await Promise.all(
    ordered.map((r) => addressTargets(lookup, r.name, service.transport, r.port)),
  );
  return { published: records.length > 0, targets: perTarget.flat() };
}

/**
 * RFC 2782: lowest priority first; within a priority, repeated draws weighted by
 * the records' weights so that callers together spread load as the zone asks.
 */
function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  return priorities.flatMap((p) =>
    weightedOrder(
      records.filter((r) => r.priority === p),
      random,
    ),
  );
}

function weightedOrder(group: readonly SrvRecord[], random: () => number): SrvRecord[] {
  // RFC 2782 puts weight-0 records first, so that they win only a draw of exactly 0.
  const pool = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight > 0)];
  const out: SrvRecord[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, r) => sum + r.weight, 0);
    const draw = Math.min(total, Math.floor(random() * (total + 1)));
    out.push(...pool.splice(firstReaching(pool, draw), 1));
  }
  return out;
}

/** Index of the first record whose running weight sum reaches `draw`. */
function firstReaching(pool: readonly SrvRecord[], draw: number): number {
  let running = 0;
  for (let i = 0; i < pool.length; i++) {
    running += pool[i]!.weight;
    if (running >= draw) return i;
  }
  return pool.length - 1;
}

/** IPv4 before IPv6: a PBX's v4 path to a carrier is the one most likely configured and allowed through. */
async function addressTargets(
  lookup: Lookup,
  host: string,
  transport: SipTransport,
  port: number,
): Promise<Destination[]> {
  const literal = ipLiteral(host);
  const [v4, v6] =
    literal !== null
      ? [[literal], []]
      : await Promise.all([query(() => lookup.dns.resolve4(host)), query(() => lookup.dns.resolve6(host))]);
  return [...v4, ...v6].map((address) => ({ transport, host: address, port }));
}

/** A DNS failure is an empty answer: every step has a next one or an empty result to fall to. */
async function query<T>(ask: () => Promise<T[]>): Promise<T[]> {
  try {
    return await ask();
  } catch {
    return [];
  }
}

/** c-ares gives the root name as "", zone files write it "." */
function isRoot(name: string): boolean {
  return name === '' || name === '.';
}

function dedupe(targets: readonly Destination[]): Destination[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.transport} ${t.host} ${t.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
