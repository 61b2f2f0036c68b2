/**
 * SIP over UDP and TCP (RFC 3261 §18). Incoming datagrams and stream frames are
 * parsed here; the top Via of a request gets `received` and `rport` (RFC 3581) so
 * answers reach a phone behind NAT; responses and requests to a peer that reached
 * us over TCP go back on the same connection (the flow, as in RFC 5626).
 *
 * Malformed input never escapes as an exception: it is handed to `malformed()`
 * (which may answer 400) or dropped, and a stream that can no longer be framed is
 * closed. Connections are capped in number, per source address, and closed when
 * silent (connection-guard.ts).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import type { Server as HttpServer } from 'node:http';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, connect as tlsConnect } from 'node:tls';
import {
  formatVia,
  type ParseError,
  parseMessage,
  parseVia,
  rememberTopVia,
  type SipMessage,
  StreamFramer,
  serializeMessage,
} from '../message/index.js';
import type { Destination, Sender, TransportName } from '../transaction/types.js';
import { ConnectionGuard, type ConnectionGuardOptions } from './connection-guard.js';
import { WsTransport } from './websocket.js';

export interface TransportHandler {
  message(msg: SipMessage, source: Destination): void;
  /** A message that could not be parsed; `source` says where an answer would go. */
  malformed?(error: ParseError, source: Destination): void;
  /** An inbound connection closed at once: `ip` already holds the most allowed over `transport`. */
  refused?(ip: string, transport: TransportName): void;
}

export interface TransportOptions {
  host: string;
  /** UDP and TCP port; 0 picks a free one (tests). */
  port: number;
  /** Kernel receive buffer for the UDP socket: bursts past it are dropped, not queued. */
  recvBufferSize?: number;
  maxConnections?: number;
  /** Per-address caps and deadlines of TCP, TLS and WebSocket connections (connection-guard.ts). */
  connections?: Partial<ConnectionGuardOptions>;
  maxMessageSize?: number;
  /** SIP over TLS on this port with this certificate; omitted: no TLS. */
  tls?: { port: number; key: string; cert: string } | undefined;
  /**
   * Connections we open over TLS (to trunks, to phones whose flow is gone): the
   * peer's certificate is verified against the system CAs, or `ca` when given.
   * `verify: false` is for labs only.
   */
  tlsClient?: { verify: boolean; ca?: string } | undefined;
}

interface Flow {
  id: string;
  socket: Socket;
  framer: StreamFramer;
}

export class SipTransports implements Sender {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private ws: WsTransport | null = null;
  private tlsServer: TlsServer | null = null;
  tlsPort = 0;
  private readonly flows = new Map<string, Flow>();
  /** Outbound connections by "host:port", so requests to one peer share a connection. */
  private readonly byPeer = new Map<string, string>();
  private seq = 0;
  private readonly opts: Required<Omit<TransportOptions, 'tls' | 'tlsClient' | 'connections'>> &
    Pick<TransportOptions, 'tls' | 'tlsClient'>;
  /** Per-address caps, first-message and idle deadlines of stream connections. */
  readonly guard: ConnectionGuard;
  udpPort = 0;
  tcpPort = 0;
  /** Counters for /metrics and tests. */
  readonly stats = { received: 0, malformed: 0, sent: 0, sendErrors: 0 };

  constructor(
    opts: TransportOptions,
    private readonly handler: TransportHandler,
  ) {
    const { connections, ...rest } = opts;
    this.opts = {
      recvBufferSize: 4 * 1024 * 1024,
      maxConnections: 10_000,
      maxMessageSize: 64 * 1024,
      ...rest,
    };
    this.guard = new ConnectionGuard(connections);
  }

  /** Admits an inbound connection or closes it at once (over its address's cap). */
  private admit(socket: Socket, transport: TransportName): boolean {
    const ip = socket.remoteAddress;
    if (ip === undefined) {
      socket.destroy(); // already gone
      return false;
    }
    if (!this.guard.admit(ip, transport)) {
      socket.destroy();
      this.handler.refused?.(ip, transport);
      return false;
    }
    socket.once('close', () => this.guard.release(ip, transport));
    return true;
  }

  async listen(): Promise<void> {
    // Port 0: the OS picks UDP's port, and TCP must get the same one (§18: phones expect both on
    // one port). Another program may hold that TCP port: then both are given up and picked again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.listenUdpAndTcp();
        break;
      } catch (e) {
        const taken = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!taken || this.opts.port !== 0 || attempt >= 10) throw e;
      }
    }
    await this.listenTls();
    this.guard.start();
  }

  private async listenUdpAndTcp(): Promise<void> {
    const udp = createSocket({
      type: 'udp4',
      recvBufferSize: this.opts.recvBufferSize,
      lookup: lookupLiteral,
    });
    udp.on('message', (data, rinfo) => this.onDatagram(data, rinfo.address, rinfo.port));
    udp.on('error', () => {}); // ICMP errors for unreachable peers arrive here; nothing to do
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port, this.opts.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const udpPort = udp.address().port;

    const tcp = createServer((socket) => {
      if (this.admit(socket, 'TCP')) this.adopt(socket, null, 'TCP');
    });
    tcp.maxConnections = this.opts.maxConnections;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        // The same port number as UDP, as phones expect (§18: both on 5060).
        tcp.listen(udpPort, this.opts.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    this.udp = udp;
    this.udpPort = udpPort;
    this.tcp = tcp;
    this.tcpPort = (tcp.address() as { port: number }).port;
  }

  private async listenTls(): Promise<void> {
    if (this.opts.tls) {
      // SIP over TLS (RFC 3261 §26.2): the same framing and flows as TCP, encrypted.
      // A handshake counts against the first-message deadline: a client that never finishes one
      // holds a socket no longer than one that never sends a message.
      const tls = createTlsServer(
        {
          key: this.opts.tls.key,
          cert: this.opts.tls.cert,
          minVersion: 'TLSv1.2',
          handshakeTimeout: this.guard.firstMessageMs,
        },
        (socket) => this.adopt(socket, null, 'TLS'),
      );
      // Capped on the raw connection, before the handshake's cost.
      tls.on('connection', (raw: Socket) => this.admit(raw, 'TLS'));
      tls.maxConnections = this.opts.maxConnections;
      tls.on('tlsClientError', () => {}); // a failed handshake is the client's problem, not a crash
      await new Promise<void>((resolve, reject) => {
        tls.once('error', reject);
        tls.listen(this.opts.tls!.port, this.opts.host, () => {
          tls.off('error', reject);
          resolve();
        });
      });
      this.tlsServer = tls;
      this.tlsPort = (tls.address() as { port: number }).port;
    }
  }

  private onDatagram(data: Buffer, host: string, port: number): void {
    // RFC 5626 §3.5.1: a CRLF keep-alive on UDP needs no answer.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    const source: Destination = { transport: 'UDP', host, port };
    const r = parseMessage(data, { maxSize: this.opts.maxMessageSize });
    if (!r.ok) {
      this.stats.malformed++;
      this.handler.malformed?.(r.error, source);
      return;
    }
    this.deliver(r.message, source);
  }

  private deliver(msg: SipMessage, source: Destination): void {
    this.stats.received++;
    if (msg.kind === 'request') stampVia(msg, source);
    this.handler.message(msg, source);
  }

  /**
   * Takes a socket into the flow table. For connections we open, `peer` is their
   * key in byPeer and `remote` the address dialled (the socket has none until it connects).
   */
  private adopt(
    socket: Socket,
    peer: string | null,
    transport: 'TCP' | 'TLS',
    remote?: { host: string; port: number },
  ): Flow {
    const id = `${transport.toLowerCase()}:${socket.remoteAddress}:${socket.remotePort}:${++this.seq}`;
    const flow: Flow = { id, socket, framer: new StreamFramer({ maxMessageSize: this.opts.maxMessageSize }) };
    this.flows.set(id, flow);
    if (peer) this.byPeer.set(peer, id);
    socket.setNoDelay(true);
    this.guard.watch(id, () => socket.destroy(), peer !== null);
    const source: Destination = {
      transport,
      host: remote?.host ?? socket.remoteAddress ?? '',
      port: remote?.port ?? socket.remotePort ?? 0,
      flowId: id,
    };
    socket.on('data', (chunk) => {
      for (const ev of flow.framer.push(chunk)) {
        if (ev.type === 'message') {
          this.guard.heard(id);
          this.deliver(ev.message, source);
        } else if (ev.type === 'keepalive') {
          this.guard.keptAlive(id);
          if (ev.pong) socket.write('\r\n');
        } else {
          this.stats.malformed++;
          this.handler.malformed?.(ev.error, source);
          if (ev.fatal) socket.destroy();
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.guard.forget(id);
      this.flows.delete(id);
      if (peer && this.byPeer.get(peer) === id) this.byPeer.delete(peer);
    });
    return flow;
  }

  send(msg: SipMessage, dest: Destination, failed?: () => void): void {
    this.sendBytes(serializeMessage(msg), dest, msg.kind === 'response', failed);
  }

  /**
   * Sends a message already in wire form (`response`: it cannot open a new
   * connection). `failed` hears of a message known not to have gone out; it is
   * always called later, never from inside this call, so a transaction is fully
   * set up before it can be told.
   */
  sendBytes(data: Buffer, dest: Destination, response = true, failed?: () => void): void {
    this.stats.sent++;
    const fail = () => {
      this.stats.sendErrors++;
      if (failed) setImmediate(failed);
    };
    const written = (err?: Error | null) => {
      if (err) fail();
    };
    if (dest.transport === 'UDP') {
      this.udp?.send(data, dest.port, dest.host, (err) => {
        if (err) fail();
      });
      return;
    }
    if (dest.transport === 'WS' || dest.transport === 'WSS') {
      if (!this.ws?.send(data, dest.flowId)) fail();
      return;
    }
    const peer = `${dest.transport}:${dest.host}:${dest.port}`;
    const flow = (dest.flowId && this.flows.get(dest.flowId)) || this.flows.get(this.byPeer.get(peer) ?? '');
    if (flow && !flow.socket.destroyed) {
      flow.socket.write(data, written);
      return;
    }
    if (response) {
      // §18.2.2: the connection the request came on is gone; a response is not sent on a new one.
      fail();
      return;
    }
    // A request to a peer we have no connection to: open one (written data waits for the handshake;
    // a refused connection or failed handshake fails the write, which tells the transaction at once).
    const remote = { host: dest.host, port: dest.port };
    const socket =
      dest.transport === 'TLS'
        ? tlsConnect({
            ...remote,
            ...(isIP(dest.host) ? {} : { servername: dest.host }),
            minVersion: 'TLSv1.2',
            rejectUnauthorized: this.opts.tlsClient?.verify ?? true,
            ...(this.opts.tlsClient?.ca ? { ca: this.opts.tlsClient.ca } : {}),
          })
        : createConnection(remote);
    socket.on('error', () => {}); // counted through the failed write below
    this.adopt(socket, peer, dest.transport === 'TLS' ? 'TLS' : 'TCP', remote);
    // The request went out only once the connection (and TLS handshake) is up: a TLS write
    // "succeeds" into the session buffer even when the handshake is then refused.
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      written(err);
    };
    socket.once(dest.transport === 'TLS' ? 'secureConnect' : 'connect', () => settle(null));
    socket.once('close', () => settle(new Error('connection closed before it was established')));
    socket.write(data, (err) => {
      if (err) settle(err);
    });
  }

  /** Serves SIP over WebSocket on an HTTP server's `path` (RFC 7118). */
  attachWebSocket(server: HttpServer, opts: { path?: string; secure?: boolean } = {}): void {
    this.ws ??= new WsTransport(
      {
        path: opts.path ?? '/sip',
        maxMessageSize: this.opts.maxMessageSize,
        maxConnections: this.opts.maxConnections,
        guard: this.guard,
      },
      {
        message: (m, source) => this.deliver(m, source),
        refused: (ip, transport) => this.handler.refused?.(ip, transport),
        malformed: (e, source) => {
          this.stats.malformed++;
          this.handler.malformed?.(e, source);
        },
      },
    );
    this.ws.attach(server, opts.secure ?? false);
  }

  get connectionCount(): number {
    return this.flows.size + (this.ws?.connectionCount ?? 0);
  }

  /** A registration lives on this flow until `until`: it is not closed as idle before then. */
  keepFlow(flowId: string, until: number): void {
    this.guard.keep(flowId, until);
  }

  async close(): Promise<void> {
    this.guard.stop();
    this.ws?.close();
    for (const f of this.flows.values()) f.socket.destroy();
    this.flows.clear();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
    await new Promise<void>((r) => (this.tlsServer ? this.tlsServer.close(() => r()) : r()));
    await new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r()));
  }
}

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: record where the request really came from in
 * its top Via, so responses (and the registrar) use the address the packet came from.
 */
/**
 * The UDP socket's name lookup. Destinations are addresses already (resolve.ts does
 * RFC 3263 before a request is sent): answering those at once, instead of through
 * dns.lookup(), which calls back on the next tick, keeps a send a single call.
 */
function lookupLiteral(
  host: string,
  opts: LookupOneOptions,
  done: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(host);
  if (family === 4 || family === 6) done(null, host, family);
  else dnsLookup(host, opts, done);
}

function stampVia(req: SipMessage & { kind: 'request' }, source: Destination): void {
  const raw = req.headers.get('Via');
  if (raw === undefined) return;
  const top = parseVia(raw);
  if (!top) return;
  let changed = false;
  const host = top.host.charCodeAt(0) === 0x5b ? top.host.slice(1, -1) : top.host; // [IPv6]
  if (host !== source.host) {
    top.params.set('received', source.host);
    changed = true;
  }
  if (top.params.has('rport') && top.params.get('rport') === null) {
    top.params.set('rport', String(source.port));
    if (!top.params.has('received')) top.params.set('received', source.host);
    changed = true;
  }
  // The transaction layer reads this Via next (branch, sent-by): it is handed the parse.
  if (!changed) {
    rememberTopVia(req.headers, raw, top);
    return;
  }
  const stamped = formatVia(top);
  req.headers.replaceFirst('Via', stamped);
  rememberTopVia(req.headers, stamped, top);
}
