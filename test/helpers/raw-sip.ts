/**
 * A raw SIP client for tests that compare answers byte for byte: sends text over
 * UDP, TCP, TLS, WS or WSS from an address of its own, returns the final answer as it came, and
 * `ask()` runs one request (and its digest retry) and puts back as placeholders
 * every value that is ours or random (branch, Call-ID, tags, nonce, user, domain).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { authorize } from '../../src/sip/auth.js';

export type Method = 'REGISTER' | 'INVITE' | 'OPTIONS' | 'SUBSCRIBE' | 'MESSAGE';

export interface Case {
  /** The user the request is from (REGISTER: the AOR registered). */
  user: string;
  /** The number it is to (ignored for REGISTER). */
  target: string;
  domain: string;
  password?: string;
  /** The digest user name, when not `user` (one that could not stand in a URI). */
  authUser?: string;
}

export interface Answer {
  /** The response with what we sent and the nonce and To tag replaced by placeholders. */
  text: string;
  status: number;
  /** The port it came from (UDP) or the connection it came on (TCP, always ours). */
  fromPort: number;
}

let seq = 0;

/** A raw SIP client on one socket: sends text, returns the final response with the same Call-ID as bytes. */
export interface RawClient {
  transport: 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';
  address: string;
  port: number;
  exchange(text: string, callId: string): Promise<{ raw: string; fromPort: number }>;
  send(text: string): void;
  close(): void;
}

export async function udpClient(serverPort: number, address = '127.0.0.1'): Promise<RawClient> {
  const sock: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  const waiters = new Map<string, (raw: string, port: number) => void>();
  sock.on('message', (data, rinfo) => {
    const text = data.toString('latin1');
    const callId = /\r\nCall-ID: ([^\r]+)/i.exec(text)?.[1] ?? '';
    const status = Number(text.slice(8, 11));
    if (status >= 200) waiters.get(callId)?.(text, rinfo.port);
  });
  return {
    transport: 'UDP',
    address,
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

/** Over TCP, or over TLS with `tls` (the node's certificate is not checked: it is self-signed in tests). */
export async function tcpClient(serverPort: number, address = '127.0.0.1', tls = false): Promise<RawClient> {
  const tcp = connect({ port: serverPort, host: '127.0.0.1', localAddress: address });
  // TLS runs over a TCP socket of our own: that is how it gets the local address asked for.
  const sock: Socket = tls ? tlsConnect({ socket: tcp, rejectUnauthorized: false }) : tcp;
  await new Promise<void>((r) => sock.once(tls ? 'secureConnect' : 'connect', () => r()));
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
    transport: tls ? 'TLS' : 'TCP',
    address,
    port: sock.localPort!,
    exchange(text, callId) {
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no answer to ${text.split('\r\n')[0]}`)), 3000);
        waiters.set(callId, (raw) => {
          clearTimeout(t);
          waiters.delete(callId);
          // A TCP or TLS answer can only come back on this connection: the server's port is the one dialled.
          res({ raw, fromPort: serverPort });
        });
        sock.write(text);
      });
    },
    send: (text) => sock.write(text),
    close: () => sock.destroy(),
  };
}

/**
 * Over WebSocket (RFC 7118, subprotocol "sip"), or secure WebSocket with `secure` (the
 * node's certificate is not checked), to `url` from `address`. One SIP message per frame.
 */
export async function wsClient(url: string, address = '127.0.0.1', secure = false): Promise<RawClient> {
  const ws = new WebSocket(url, 'sip', { localAddress: address, rejectUnauthorized: false });
  // The local port of the connection (what a Via names), from the upgrade's response.
  let local = 0;
  ws.once('upgrade', (res) => {
    local = res.socket.localPort ?? 0;
  });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  const serverPort = Number(new URL(url).port);
  const waiters = new Map<string, (raw: string) => void>();
  ws.on('message', (d: Buffer) => {
    const msg = d.toString('latin1');
    const callId = /\r\nCall-ID: ([^\r]+)/i.exec(msg)?.[1] ?? '';
    if (msg.startsWith('SIP/2.0 ') && Number(msg.slice(8, 11)) >= 200) waiters.get(callId)?.(msg);
  });
  return {
    transport: secure ? 'WSS' : 'WS',
    address,
    port: local,
    exchange(text, callId) {
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no answer to ${text.split('\r\n')[0]}`)), 3000);
        waiters.set(callId, (raw) => {
          clearTimeout(t);
          waiters.delete(callId);
          // Answers come back on this connection: the server's port is the one dialled.
          res({ raw, fromPort: serverPort });
        });
        ws.send(Buffer.from(text, 'latin1'));
      });
    },
    send: (text) => ws.send(Buffer.from(text, 'latin1')),
    close: () => ws.terminate(),
  };
}

/** The request for `c` (credentials answering `challenge` when a password is given). */
export function request(
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
    `Via: SIP/2.0/${client.transport} ${client.address}:${client.port};branch=${ids.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${c.user}@${c.domain}>;tag=${ids.tag}`,
    `To: ${to}`,
    `Call-ID: ${ids.callId}`,
    `CSeq: ${challenge ? 2 : 1} ${method}`,
    `Contact: <sip:${c.user}@${client.address}:${client.port};transport=${client.transport.toLowerCase()}>`,
    'User-Agent: test-phone/1.0',
  ];
  if (method === 'SUBSCRIBE') lines.push('Event: dialog', 'Expires: 600');
  if (method === 'REGISTER') lines.push('Expires: 600');
  if (challenge && c.password !== undefined) {
    const proxy = method !== 'REGISTER' && method !== 'SUBSCRIBE';
    const value = authorize(
      challenge,
      { username: c.authUser ?? c.user, password: c.password },
      { method, uri: ruri },
    );
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
export async function ask(method: Method, c: Case, client: RawClient): Promise<Answer> {
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
    .replaceAll(c.domain, '<domain>')
    .replaceAll(`${client.address}:${client.port}`, '<client>')
    .replace(/;rport=\d+/, ';rport=<port>')
    .replace(`;received=${client.address}`, ';received=<address>');
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
      `Via: SIP/2.0/${client.transport} ${client.address}:${client.port};branch=${ids.branch};rport`,
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
