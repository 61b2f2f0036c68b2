/**
 * A scanner learns nothing (DESIGN.md §5, issue 12): for REGISTER, INVITE,
 * OPTIONS, SUBSCRIBE and MESSAGE over UDP and TCP, an unknown user, a wrong
 * password and a user of a disabled tenant get byte-for-byte the same answer
 * (apart from the nonce, the To tag, and the branch and Call-ID we sent), from
 * the same port; a request from a stranger to an unknown number is challenged
 * exactly like one to a real extension. A right password gets something else,
 * so the comparisons can fail. No Server header unless one is configured.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/pbx/authenticate.js';
import type { Directory } from '../../src/pbx/directory.js';
import { authorize, DigestAuthenticator } from '../../src/sip/auth.js';
import { parseMessage, type SipRequest } from '../../src/sip/message/index.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const DOMAIN = 'enum.example.test';
const OFF = 'off.example.test';
const SECRET = 'right-secret-101';
const METHODS = ['REGISTER', 'INVITE', 'OPTIONS', 'SUBSCRIBE', 'MESSAGE'] as const;
type Method = (typeof METHODS)[number];

interface Case {
  /** The user the request is from (REGISTER: the AOR registered). */
  user: string;
  /** The number it is to (ignored for REGISTER). */
  target: string;
  domain: string;
  password?: string;
}

interface Answer {
  /** The response with what we sent and the nonce and To tag replaced by placeholders. */
  text: string;
  status: number;
  /** The port it came from (UDP) or the connection it came on (TCP, always ours). */
  fromPort: number;
}

let seq = 0;

/** A raw SIP client on one socket: sends text, returns the final response with the same Call-ID as bytes. */
interface RawClient {
  transport: 'UDP' | 'TCP';
  port: number;
  exchange(text: string, callId: string): Promise<{ raw: string; fromPort: number }>;
  send(text: string): void;
  close(): void;
}

async function udpClient(serverPort: number): Promise<RawClient> {
  const sock: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const waiters = new Map<string, (raw: string, port: number) => void>();
  sock.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    const callId = /\r\nCall-ID: ([^\r]+)/i.exec(text)?.[1] ?? '';
    const status = Number(text.slice(8, 11));
    if (status >= 200) waiters.get(callId)?.(text, rinfo.port);
  });
  return {
    transport: 'UDP',
    port: sock.address().port,
    exchange(text, callId) {
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no answer to ${text.split('\r\n')[0]}`)), 3000);
        waiters.set(callId, (raw, fromPort) => {
          clearTimeout(t);
          waiters.delete(callId);
          res({ raw, fromPort });
        });
        sock.send(Buffer.from(text, 'latin1'), serverPort, '127.0.0.1');
      });
    },
    send: (text) => sock.send(Buffer.from(text, 'latin1'), serverPort, '127.0.0.1'),
    close: () => sock.close(),
  };
}

async function tcpClient(serverPort: number): Promise<RawClient> {
  const sock: Socket = connect(serverPort, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let buf = '';
  const waiters = new Map<string, (raw: string) => void>();
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end + 4);
      const len = Number(/\r\nContent-Length: (\d+)/i.exec(head)?.[1] ?? '0');
      if (buf.length < end + 4 + len) return;
      const msg = buf.slice(0, end + 4 + len);
      buf = buf.slice(end + 4 + len);
      const callId = /\r\nCall-ID: ([^\r]+)/i.exec(msg)?.[1] ?? '';
      if (msg.startsWith('SIP/2.0 ') && Number(msg.slice(8, 11)) >= 200) waiters.get(callId)?.(msg);
    }
  });
  return {
    transport: 'TCP',
    port: sock.localPort!,
    exchange(text, callId) {
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no answer to ${text.split('\r\n')[0]}`)), 3000);
        waiters.set(callId, (raw) => {
          clearTimeout(t);
          waiters.delete(callId);
          // A TCP answer can only come back on this connection: the server's port is the one dialled.
          res({ raw, fromPort: serverPort });
        });
        sock.write(text);
      });
    },
    send: (text) => sock.write(text),
    close: () => sock.destroy(),
  };
}

/** The request for `c` (credentials answering `challenge` when a password is given). */
function request(
  method: Method,
  c: Case,
  client: RawClient,
  ids: { branch: string; callId: string; tag: string },
  challenge?: string,
): string {
  const ruri = method === 'REGISTER' ? `sip:${c.domain}` : `sip:${c.target}@${c.domain}`;
  const to = method === 'REGISTER' ? `<sip:${c.user}@${c.domain}>` : `<${ruri}>`;
  const body = method === 'MESSAGE' ? 'hello' : '';
  const lines = [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/${client.transport} 127.0.0.1:${client.port};branch=${ids.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${c.user}@${c.domain}>;tag=${ids.tag}`,
    `To: ${to}`,
    `Call-ID: ${ids.callId}`,
    `CSeq: ${challenge ? 2 : 1} ${method}`,
    `Contact: <sip:${c.user}@127.0.0.1:${client.port};transport=${client.transport.toLowerCase()}>`,
    'User-Agent: test-phone/1.0',
  ];
  if (method === 'SUBSCRIBE') lines.push('Event: dialog', 'Expires: 600');
  if (method === 'REGISTER') lines.push('Expires: 600');
  if (challenge && c.password !== undefined) {
    const proxy = method !== 'REGISTER' && method !== 'SUBSCRIBE';
    const value = authorize(challenge, { username: c.user, password: c.password }, { method, uri: ruri });
    lines.push(`${proxy ? 'Proxy-Authorization' : 'Authorization'}: ${value}`);
  }
  if (body) lines.push('Content-Type: text/plain');
  lines.push(`Content-Length: ${body.length}`, '', body);
  return lines.join('\r\n');
}

/**
 * Sends `c` (first without credentials; with a password, again answering the
 * challenge) and returns the last answer with every value that is ours or
 * random put back as a placeholder.
 */
async function ask(method: Method, c: Case, client: RawClient): Promise<Answer> {
  const ids = () => ({ branch: `z9hG4bK-e${++seq}`, callId: `enum-${seq}`, tag: `t${seq}` });
  const first = ids();
  let sent = first;
  let { raw, fromPort } = await client.exchange(request(method, c, client, first), first.callId);
  ack(method, raw, client, first);
  if (c.password !== undefined) {
    const challenge = /\r\n(?:WWW|Proxy)-Authenticate: ([^\r]+)/i.exec(raw)?.[1];
    if (!challenge) throw new Error(`no challenge: ${raw}`);
    sent = ids();
    ({ raw, fromPort } = await client.exchange(request(method, c, client, sent, challenge), sent.callId));
    ack(method, raw, client, sent);
  }
  const text = raw
    .replaceAll(sent.branch, '<branch>')
    .replaceAll(sent.callId, '<call-id>')
    .replaceAll(`tag=${sent.tag}`, 'tag=<from-tag>')
    .replace(/(\r\nTo: [^\r]*;tag=)[^;\r]+/, '$1<to-tag>')
    .replace(/nonce="[^"]+"/g, 'nonce="<nonce>"')
    .replaceAll(`sip:${c.user}@`, 'sip:<user>@')
    .replaceAll(`sip:${c.target}@`, 'sip:<target>@')
    .replaceAll(c.domain, '<domain>');
  return { text, status: Number(raw.slice(8, 11)), fromPort };
}

/** An INVITE's final answer is ACKed (§17.1.1.3), so UDP stops retransmitting it. */
function ack(method: Method, raw: string, client: RawClient, ids: { branch: string; callId: string }): void {
  if (method !== 'INVITE') return;
  const get = (h: string) => new RegExp(`\\r\\n${h}: ([^\\r]+)`, 'i').exec(raw)?.[1] ?? '';
  const cseq = Number.parseInt(get('CSeq'), 10);
  const ruri = raw.includes('\r\nTo: <') ? /\r\nTo: <([^>]+)>/.exec(raw)?.[1] : '';
  client.send(
    [
      `ACK ${ruri} SIP/2.0`,
      `Via: SIP/2.0/${client.transport} 127.0.0.1:${client.port};branch=${ids.branch};rport`,
      'Max-Forwards: 70',
      `From: ${get('From')}`,
      `To: ${get('To')}`,
      `Call-ID: ${ids.callId}`,
      `CSeq: ${cseq} ACK`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

describe('no enumeration', () => {
  let fx: SipFixture;

  beforeAll(async () => {
    fx = await sipFixture(
      DOMAIN,
      ['101', '102', '103', '104', '105'].map((number) => ({
        number,
        secret: number === '101' ? SECRET : undefined,
      })),
    );
    // A disabled company whose 101 has the same secret: its users are refused like strangers.
    const off = await fx.db.store.tenants.create({
      name: OFF,
      sipDomain: OFF,
      timeZone: 'UTC',
      language: 'en',
      country: 'RU',
      maxExtensions: 5,
      maxConcurrentCalls: 5,
    });
    await fx.db.store.transaction(async (tx) => {
      await tx.tenant(off.id).extensions.create({
        number: '101',
        displayName: 'Off 101',
        userId: null,
        sipSecret: SECRET,
        voicemailEnabled: false,
        voicemailPin: null,
        callClass: 'internal',
        dnd: false,
        ringTimeoutSec: 20,
        forwarding: NO_FORWARDING,
      });
    });
    await fx.db.store.tenants.update(off.id, { enabled: false });
    await fx.sip.tenantChanged(null);
  });
  afterAll(async () => fx?.close());

  for (const transport of ['UDP', 'TCP'] as const) {
    describe(`over ${transport}`, () => {
      let client: RawClient;
      beforeAll(async () => {
        client =
          transport === 'UDP'
            ? await udpClient(fx.sip.transports.udpPort)
            : await tcpClient(fx.sip.transports.tcpPort);
      });
      afterAll(() => client?.close());

      for (const method of METHODS) {
        it(`${method}: a stranger to an unknown number is challenged like one to an extension`, async () => {
          const real = await ask(method, { user: '101', target: '102', domain: DOMAIN }, client);
          const unknownTarget = await ask(method, { user: '101', target: '999', domain: DOMAIN }, client);
          const unknownUser = await ask(method, { user: '999', target: '102', domain: DOMAIN }, client);
          const offTenant = await ask(method, { user: '101', target: '102', domain: OFF }, client);
          expect(real.status).toBe(method === 'REGISTER' || method === 'SUBSCRIBE' ? 401 : 407);
          expect(real.text).toMatch(/\r\n(WWW|Proxy)-Authenticate: Digest realm="<domain>", nonce="<nonce>"/);
          for (const other of [unknownTarget, unknownUser, offTenant]) {
            expect(other.text).toBe(real.text);
            expect(other.fromPort).toBe(real.fromPort);
          }
          expect(real.fromPort).toBe(
            transport === 'UDP' ? fx.sip.transports.udpPort : fx.sip.transports.tcpPort,
          );
          expect(real.text).not.toMatch(/\r\n(Server|User-Agent):/i);
        });

        it(`${method}: unknown user, wrong password and a disabled tenant's user get the same refusal`, async () => {
          const wrong = await ask(
            method,
            { user: '101', target: '102', domain: DOMAIN, password: 'guess' },
            client,
          );
          const unknown = await ask(
            method,
            { user: '999', target: '102', domain: DOMAIN, password: SECRET },
            client,
          );
          const unknownTarget = await ask(
            method,
            { user: '101', target: '999', domain: DOMAIN, password: 'guess' },
            client,
          );
          const disabled = await ask(
            method,
            { user: '101', target: '102', domain: OFF, password: SECRET },
            client,
          );
          expect(wrong.status).toBe(403);
          for (const other of [unknown, unknownTarget, disabled]) {
            expect(other.text).toBe(wrong.text);
            expect(other.fromPort).toBe(wrong.fromPort);
          }
          expect(wrong.text).not.toMatch(/\r\n(Server|User-Agent):/i);
          // The control: the right password is let through, so the comparisons above can fail.
          const right = await ask(
            method,
            { user: '101', target: '102', domain: DOMAIN, password: SECRET },
            client,
          );
          expect(right.status).not.toBe(403);
          expect(right.status).not.toBe(407);
          expect(right.status).not.toBe(401);
        });
      }
    });
  }

  it('answers OPTIONS to the server itself (pings) to anyone, without a product name', async () => {
    const client = await udpClient(fx.sip.transports.udpPort);
    const text = [
      `OPTIONS sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${client.port};branch=z9hG4bK-ping;rport`,
      'Max-Forwards: 70',
      `From: <sip:ping@${DOMAIN}>;tag=p`,
      `To: <sip:${DOMAIN}>`,
      'Call-ID: ping-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const { raw } = await client.exchange(text, 'ping-1');
    client.close();
    expect(raw.startsWith('SIP/2.0 200 OK\r\n')).toBe(true);
    expect(raw).not.toMatch(/\r\nServer:/i);
  });
});

describe('a configured product name', () => {
  let fx: SipFixture;
  beforeAll(async () => {
    fx = await sipFixture('named.example.test', [{ number: '101' }], { serverHeader: 'Example PBX' });
  });
  afterAll(async () => fx?.close());

  it('is sent in Server, the same for a real and an unknown user', async () => {
    const client = await udpClient(fx.sip.transports.udpPort);
    const a = await ask('REGISTER', { user: '101', target: '', domain: 'named.example.test' }, client);
    const b = await ask('REGISTER', { user: '999', target: '', domain: 'named.example.test' }, client);
    client.close();
    expect(a.text).toContain('\r\nServer: Example PBX\r\n');
    expect(b.text).toBe(a.text);
  });
});

describe('timing', () => {
  /**
   * Authentication does the same hashing for an unknown user as for a wrong
   * password: no fast path tells them apart by the time an answer takes. Measured
   * in interleaved rounds (a shared machine's noise hits both alike); a fast path
   * that skipped the digest would be several times quicker.
   */
  it('takes as long for an unknown user as for a wrong password', async () => {
    const fx = await sipFixture('timing.example.test', [{ number: '101', secret: SECRET }]);
    try {
      const directory: Directory = fx.sip.directory;
      const auth = new DigestAuthenticator({ secret: Buffer.alloc(32, 1) });
      const realm = 'timing.example.test';
      const make = (user: string): SipRequest => {
        const challenge = auth.challenge(realm)[0]!;
        const value = authorize(
          challenge,
          { username: user, password: 'guess' },
          {
            method: 'REGISTER',
            uri: `sip:${realm}`,
          },
        )!;
        const raw = [
          `REGISTER sip:${realm} SIP/2.0`,
          'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t',
          `From: <sip:${user}@${realm}>;tag=1`,
          `To: <sip:${user}@${realm}>`,
          'Call-ID: t',
          'CSeq: 1 REGISTER',
          `Authorization: ${value}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        const r = parseMessage(Buffer.from(raw));
        if (!r.ok || r.message.kind !== 'request') throw new Error('bad test request');
        return r.message;
      };
      const known = make('101');
      const unknown = make('999');
      const opts = { proxy: false, party: 'To' as const, realm };
      const round = (req: SipRequest) => {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 300; i++) {
          const out = authenticate(req, directory, auth, opts);
          if (out.ok) throw new Error('accepted');
        }
        return Number(process.hrtime.bigint() - t0);
      };
      for (let i = 0; i < 20; i++) round(i % 2 ? known : unknown); // warm up both paths
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 60; i++) {
        a.push(round(known));
        b.push(round(unknown));
      }
      const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const ratio = median(b) / median(a);
      expect(ratio).toBeGreaterThan(0.75);
      expect(ratio).toBeLessThan(1.33);
    } finally {
      await fx.close();
    }
  });
});
