import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ResolveOptions, resolveSipTargets } from '../../src/sip/resolve.js';
import { type DnsServer, type DnsZone, loopbackResolver, startDnsServer } from '../helpers/dns-server.js';

const srv = (priority: number, weight: number, port: number, target: string) =>
  ({ type: 'SRV', priority, weight, port, target }) as const;
const naptr = (order: number, preference: number, service: string, replacement: string, flags = 'S') =>
  ({ type: 'NAPTR', order, preference, flags, service, replacement }) as const;
const a = (address: string) => ({ type: 'A', address }) as const;
const aaaa = (address: string) => ({ type: 'AAAA', address }) as const;

const ZONE: DnsZone = {
  // NAPTR listed out of order, plus records a SIP client must skip: a non-terminal flag, SCTP.
  'carrier.example': [
    naptr(20, 1, 'SIPS+D2T', '_sips._tcp.carrier.example'),
    naptr(10, 20, 'SIP+D2U', '_sip._udp.carrier.example'),
    naptr(10, 10, 'SIP+D2T', '_sip._tcp.carrier.example'),
    naptr(1, 1, 'SIP+D2U', 'udp-a.carrier.example', 'A'),
    naptr(1, 1, 'SIP+D2S', '_sip._sctp.carrier.example'),
    a('192.0.2.99'),
  ],
  '_sip._tcp.carrier.example': [srv(10, 0, 5060, 'tcp.carrier.example')],
  '_sip._udp.carrier.example': [srv(10, 0, 5070, 'udp.carrier.example')],
  '_sips._tcp.carrier.example': [srv(10, 0, 5061, 'tcp.carrier.example')],
  '_sip._sctp.carrier.example': [srv(10, 0, 5060, 'sctp.carrier.example')],
  'tcp.carrier.example': [a('192.0.2.10'), aaaa('2001:db8::10')],
  'udp.carrier.example': [a('192.0.2.11')],
  'udp-a.carrier.example': [a('192.0.2.12')],
  'sctp.carrier.example': [a('192.0.2.13')],

  'udp-first.example': [
    naptr(10, 10, 'SIP+D2U', '_sip._udp.udp-first.example'),
    naptr(20, 10, 'SIP+D2T', '_sip._tcp.udp-first.example'),
  ],
  '_sip._udp.udp-first.example': [srv(0, 0, 5060, 'sbc.udp-first.example')],
  '_sip._tcp.udp-first.example': [srv(0, 0, 5060, 'sbc.udp-first.example')],
  'sbc.udp-first.example': [a('192.0.2.15')],

  // No NAPTR. Priority 10 holds weights 10, 30 and 0 (listed last, drawn as if first); priority 20 is the backup.
  'weighted.example': [],
  '_sip._udp.weighted.example': [
    srv(20, 0, 5060, 'backup.weighted.example'),
    srv(10, 10, 5062, 'b.weighted.example'),
    srv(10, 30, 5063, 'c.weighted.example'),
    srv(10, 0, 5061, 'a.weighted.example'),
  ],
  '_sip._tcp.weighted.example': [srv(0, 0, 5060, 'c.weighted.example')],
  '_sips._tcp.weighted.example': [srv(0, 0, 5061, 'c.weighted.example')],
  'a.weighted.example': [a('192.0.2.21')],
  'b.weighted.example': [a('192.0.2.22')],
  'c.weighted.example': [a('192.0.2.23')],
  'backup.weighted.example': [a('192.0.2.24')],

  'tcp-only.example': [],
  '_sip._tcp.tcp-only.example': [srv(0, 0, 5080, 'sbc.tcp-only.example')],
  'sbc.tcp-only.example': [a('192.0.2.30')],

  // UDP decidedly not offered ("."), TCP is.
  'no-udp.example': [],
  '_sip._udp.no-udp.example': [srv(0, 0, 0, '.')],
  '_sip._tcp.no-udp.example': [srv(0, 0, 5060, 'sbc.no-udp.example')],
  'sbc.no-udp.example': [a('192.0.2.35')],

  // No SIP here at all, says the zone, though the name has an address.
  'no-sip.example': [a('192.0.2.40')],
  '_sip._udp.no-sip.example': [srv(0, 0, 0, '.')],

  'plain.example': [a('192.0.2.50'), aaaa('2001:db8::50')],

  'dup.example': [],
  '_sip._udp.dup.example': [srv(10, 0, 5060, 'sbc.dup.example'), srv(20, 0, 5060, 'sbc.dup.example')],
  'sbc.dup.example': [a('192.0.2.60')],
};

let server: DnsServer;

beforeAll(async () => {
  server = await startDnsServer(ZONE);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.queries.length = 0;
});

function resolve(host: string, opts: ResolveOptions = {}) {
  return resolveSipTargets(host, { dns: server.resolver(), ...opts });
}

const udp = (host: string, port: number) => ({ transport: 'UDP', host, port });
const tcp = (host: string, port: number) => ({ transport: 'TCP', host, port });
const tls = (host: string, port: number) => ({ transport: 'TLS', host, port });

describe('IP literals', () => {
  it.each([
    ['192.0.2.1', {}, [udp('192.0.2.1', 5060)]],
    ['[2001:db8::1]', {}, [udp('2001:db8::1', 5060)]],
    ['2001:db8::1', {}, [udp('2001:db8::1', 5060)]],
    ['192.0.2.1', { transport: 'TLS' }, [tls('192.0.2.1', 5061)]],
    ['[2001:db8::1]', { transport: 'TCP', port: 5080 }, [tcp('2001:db8::1', 5080)]],
  ] as const)('%s %o is used as it is, without DNS', async (host, opts, expected) => {
    expect(await resolve(host, opts)).toEqual(expected);
    expect(server.queries).toEqual([]);
  });

  it('refuses a bracketed name that is not IPv6', async () => {
    expect(await resolve('[plain.example]')).toEqual([]);
  });
});

describe('a name with a port', () => {
  it('uses its A then AAAA records, over UDP unless told otherwise', async () => {
    expect(await resolve('plain.example', { port: 5080 })).toEqual([
      udp('192.0.2.50', 5080),
      udp('2001:db8::50', 5080),
    ]);
    expect(server.queries.sort()).toEqual(['A plain.example', 'AAAA plain.example']);
  });

  it('keeps the transport given and skips NAPTR and SRV even where they exist', async () => {
    expect(await resolve('carrier.example', { port: 5090, transport: 'TCP' })).toEqual([
      tcp('192.0.2.99', 5090),
    ]);
    expect(server.queries.filter((q) => !q.startsWith('A'))).toEqual([]);
  });

  it('rejects a port that is not one', async () => {
    await expect(resolve('plain.example', { port: 0 })).rejects.toThrow(RangeError);
  });
});

describe('NAPTR', () => {
  it('follows the SIP services by order then preference, each through SRV to A then AAAA', async () => {
    expect(await resolve('carrier.example')).toEqual([
      tcp('192.0.2.10', 5060),
      tcp('2001:db8::10', 5060),
      udp('192.0.2.11', 5070),
      tls('192.0.2.10', 5061),
      tls('2001:db8::10', 5061),
    ]);
    expect(server.queries).not.toContain('SRV _sip._sctp.carrier.example');
    expect(server.queries).not.toContain('A udp-a.carrier.example');
  });

  it('puts UDP first when the zone orders it first', async () => {
    expect(await resolve('udp-first.example')).toEqual([udp('192.0.2.15', 5060), tcp('192.0.2.15', 5060)]);
  });

  it('is not asked when the transport is given', async () => {
    expect(await resolve('carrier.example', { transport: 'UDP' })).toEqual([udp('192.0.2.11', 5070)]);
    expect(server.queries.some((q) => q.startsWith('NAPTR'))).toBe(false);
  });
});

describe('SRV', () => {
  const order = (value: number) => () => value;
  const PORT_OF: Record<string, number> = { '192.0.2.21': 5061, '192.0.2.22': 5062, '192.0.2.23': 5063 };

  it.each([
    // The draw is floor(r × (sum + 1)); the first record whose running weight reaches it is taken.
    [0, ['192.0.2.21', '192.0.2.22', '192.0.2.23', '192.0.2.24']],
    [0.2, ['192.0.2.22', '192.0.2.23', '192.0.2.21', '192.0.2.24']],
    [0.5, ['192.0.2.23', '192.0.2.22', '192.0.2.21', '192.0.2.24']],
  ])('orders by priority, then by weighted draw (random %s)', async (r, hosts) => {
    const targets = await resolve('weighted.example', { random: order(r) });
    expect(targets.map((t) => t.host)).toEqual(hosts);
    expect(targets.every((t) => t.transport === 'UDP')).toBe(true);
    expect(targets.map((t) => t.port)).toEqual(hosts.map((h) => PORT_OF[h] ?? 5060));
  });

  it('spreads load as the weights say', async () => {
    let x = 0;
    // A Weyl sequence: repeatable, yet evenly spread over [0, 1) as a ratio check needs.
    const random = () => {
      x = (x + 0.618_033_988_75) % 1;
      return x;
    };
    const dns = server.resolver();
    const first = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const [top] = await resolveSipTargets('weighted.example', { dns, random });
      first.set(top!.host, (first.get(top!.host) ?? 0) + 1);
    }
    // Expected shares 30/41 and 10/41 (+ 1/41 for weight 0): about 146, 49 and 5.
    expect(first.get('192.0.2.23')).toBeGreaterThan(120);
    expect(first.get('192.0.2.22')).toBeGreaterThan(25);
    expect(first.get('192.0.2.24')).toBeUndefined();
  });

  it('tries _sip._udp, _sip._tcp, _sips._tcp: the first with records wins', async () => {
    expect(await resolve('tcp-only.example')).toEqual([tcp('192.0.2.30', 5080)]);
  });

  it('asks only the given transport', async () => {
    expect(await resolve('weighted.example', { transport: 'TLS' })).toEqual([tls('192.0.2.23', 5061)]);
    expect(server.queries).toContain('SRV _sips._tcp.weighted.example');
    expect(server.queries).not.toContain('SRV _sip._udp.weighted.example');
  });

  it('takes target "." as the service not being offered', async () => {
    expect(await resolve('no-udp.example')).toEqual([tcp('192.0.2.35', 5060)]);
    expect(await resolve('no-udp.example', { transport: 'UDP' })).toEqual([]);
  });

  it('does not fall back to A records when the zone says there is no SIP service', async () => {
    expect(await resolve('no-sip.example')).toEqual([]);
  });

  it('lists a destination reached through several records once', async () => {
    expect(await resolve('dup.example')).toEqual([udp('192.0.2.60', 5060)]);
  });
});

describe('no SRV', () => {
  it('falls back to A then AAAA on 5060 over UDP', async () => {
    expect(await resolve('plain.example')).toEqual([udp('192.0.2.50', 5060), udp('2001:db8::50', 5060)]);
  });

  it('uses 5061 for TLS and 5060 for TCP', async () => {
    expect(await resolve('plain.example', { transport: 'TLS' })).toEqual([
      tls('192.0.2.50', 5061),
      tls('2001:db8::50', 5061),
    ]);
    expect(await resolve('plain.example', { transport: 'TCP' })).toEqual([
      tcp('192.0.2.50', 5060),
      tcp('2001:db8::50', 5060),
    ]);
  });
});

describe('names that do not resolve', () => {
  it('gives nothing for an unknown name', async () => {
    expect(await resolve('unknown.example')).toEqual([]);
    expect(await resolve('unknown.example', { port: 5060 })).toEqual([]);
    expect(await resolve('')).toEqual([]);
  });

  it('gives nothing, without throwing, when the DNS server port is closed', async () => {
    const port = await closedPort();
    const dns = loopbackResolver(port, { timeout: 200, tries: 1 });
    expect(await resolveSipTargets('plain.example', { dns })).toEqual([]);
  });

  it('gives nothing, without throwing, when the DNS server does not answer', async () => {
    const silent = await bindSilent();
    try {
      const dns = loopbackResolver(silent.address().port, { timeout: 200, tries: 1 });
      const started = Date.now();
      expect(await resolveSipTargets('plain.example', { dns })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });
});

async function bindSilent(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', () => done()));
  return socket;
}

async function closedPort(): Promise<number> {
  const socket = await bindSilent();
  const { port } = socket.address();
  await new Promise<void>((done) => socket.close(() => done()));
  return port;
}
