/**
 * A tiny authoritative DNS server on loopback UDP, answering A, AAAA, SRV and NAPTR
 * questions from a table (RFC 1035 §4 wire format; SRV per RFC 2782, NAPTR per RFC 3403).
 * It lets the SIP resolver be tested through node's real c-ares resolver instead of a
 * mock that would share the resolver's own idea of what DNS answers look like.
 *
 * A name absent from the table gets NXDOMAIN; a name present without records of the
 * asked type gets an empty NOERROR answer (NODATA), as a real zone would give.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { ResolverOptions } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';

export type DnsRecord =
  | { type: 'A'; address: string }
  | { type: 'AAAA'; address: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | {
      type: 'NAPTR';
      order: number;
      preference: number;
      flags: string;
      service: string;
      regexp?: string;
      replacement: string;
    };

/** Records by owner name; names match case-insensitively, with or without the final dot. */
export type DnsZone = Readonly<Record<string, readonly DnsRecord[]>>;

export interface DnsServer {
  port: number;
  /** Every question received, as "TYPE name", for tests that check what was (not) asked. */
  queries: string[];
  /** A resolver that asks this server only; it gives up quickly, as nothing here is slow. */
  resolver(options?: ResolverOptions): Resolver;
  close(): Promise<void>;
}

const TYPE_CODE = { A: 1, AAAA: 28, SRV: 33, NAPTR: 35 } as const;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const TTL = 60;

export async function startDnsServer(zone: DnsZone): Promise<DnsServer> {
  const table = new Map(Object.entries(zone).map(([name, records]) => [normalName(name), records]));
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, from) => answer(socket, table, queries, msg, from));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    port,
    queries,
    resolver: (options) => loopbackResolver(port, options),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A resolver pointed at a loopback port; also used by tests to aim at a port where nobody answers. */
export function loopbackResolver(port: number, options: ResolverOptions = {}): Resolver {
  const resolver = new Resolver({ timeout: 500, tries: 1, ...options });
  resolver.setServers([`127.0.0.1:${port}`]);
  return resolver;
}

function answer(
  socket: Socket,
  table: Map<string, readonly DnsRecord[]>,
  queries: string[],
  msg: Buffer,
  from: RemoteInfo,
): void {
  const question = parseQuestion(msg);
  // A datagram that is not a question we understand is dropped: the client times out, as with a broken server.
  if (!question) return;
  const typeName = typeNameOf(question.type);
  queries.push(`${typeName ?? question.type} ${question.name}`);
  const records = table.get(normalName(question.name));
  const matching = records?.filter((r) => r.type === typeName) ?? [];
  socket.send(response(msg, question, records ? matching : null), from.port, from.address);
}

interface Question {
  name: string;
  type: number;
  /** The question section exactly as received: echoing it keeps the client's letter case (DNS 0x20). */
  raw: Buffer;
  /** The name in wire form, reused as the owner of every answer. */
  rawName: Buffer;
}

function parseQuestion(msg: Buffer): Question | null {
  if (msg.length < 12 || (msg.readUInt16BE(2) & 0x8000) !== 0 || msg.readUInt16BE(4) !== 1) return null;
  const parsed = readName(msg, 12);
  if (!parsed || parsed.end + 4 > msg.length) return null;
  return {
    name: parsed.name,
    type: msg.readUInt16BE(parsed.end),
    raw: msg.subarray(12, parsed.end + 4),
    rawName: msg.subarray(12, parsed.end),
  };
}

/** Reads a possibly compressed name (RFC 1035 §4.1.4); `end` is where the field ends in the message. */
function readName(msg: Buffer, start: number): { name: string; end: number } | null {
  const labels: string[] = [];
  let at = start;
  let end: number | null = null;
  // Each pointer must go backwards, so a loop of pointers cannot keep us here.
  let limit = start;
  while (at < msg.length) {
    const len = msg[at]!;
    if (len === 0) return { name: labels.join('.'), end: end ?? at + 1 };
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= msg.length) return null;
      const target = ((len & 0x3f) << 8) | msg[at + 1]!;
      if (target >= limit) return null;
      end ??= at + 2;
      limit = target;
      at = target;
      continue;
    }
    if (len > 63 || at + 1 + len > msg.length) return null;
    labels.push(msg.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return null;
}

function response(query: Buffer, question: Question, records: readonly DnsRecord[] | null): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const opcodeAndRd = query.readUInt16BE(2) & 0x7900;
  const rcode = records === null ? RCODE_NXDOMAIN : 0;
  // QR (a response) and AA (authoritative: this server owns every name it is asked about).
  header.writeUInt16BE(0x8000 | 0x0400 | opcodeAndRd | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records?.length ?? 0, 6);
  const answers = (records ?? []).map((r) => resourceRecord(question.rawName, r));
  return Buffer.concat([header, question.raw, ...answers]);
}

function resourceRecord(owner: Buffer, record: DnsRecord): Buffer {
  const data = recordData(record);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_CODE[record.type], 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(TTL, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([owner, fixed, data]);
}

function recordData(record: DnsRecord): Buffer {
  switch (record.type) {
    case 'A':
      return ipv4Bytes(record.address);
    case 'AAAA':
      return ipv6Bytes(record.address);
    case 'SRV':
      return Buffer.concat([
        u16(record.priority),
        u16(record.weight),
        u16(record.port),
        nameBytes(record.target),
      ]);
    case 'NAPTR':
      return Buffer.concat([
        u16(record.order),
        u16(record.preference),
        characterString(record.flags),
        characterString(record.service),
        characterString(record.regexp ?? ''),
        nameBytes(record.replacement),
      ]);
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function characterString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length > 255) throw new RangeError(`DNS character-string too long: ${text}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** Uncompressed wire form; "." and "" are the root, which SRV and NAPTR use to mean "nothing here". */
function nameBytes(name: string): Buffer {
  const labels = normalName(name)
    .split('.')
    .filter((l) => l !== '');
  const parts = labels.map((label) => {
    const bytes = Buffer.from(label, 'latin1');
    if (bytes.length > 63) throw new RangeError(`DNS label too long: ${label}`);
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new TypeError(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address) || address.includes('.')) throw new TypeError(`not a plain IPv6 address: ${address}`);
  const [head = '', tail] = address.split('::');
  const groupsOf = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  const out = Buffer.alloc(16);
  [...left, ...zeros, ...right].forEach((group, i) => {
    out.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  });
  return out;
}

function typeNameOf(code: number): DnsRecord['type'] | null {
  const entry = Object.entries(TYPE_CODE).find(([, c]) => c === code);
  return entry ? (entry[0] as DnsRecord['type']) : null;
}

function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
