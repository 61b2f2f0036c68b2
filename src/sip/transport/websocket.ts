/**
 * SIP over WebSocket (RFC 7118): browsers and SIP.js connect to `/sip` on the
 * HTTP server with the `sip` subprotocol; each WebSocket message carries exactly
 * one SIP message. Connections are flows: requests to a contact registered over
 * one go back over it.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ParseError, parseMessage, type SipMessage } from '../message/index.js';
import type { Destination, TransportName } from '../transaction/types.js';
import type { ConnectionGuard } from './connection-guard.js';

export interface WsHandler {
  message(msg: SipMessage, source: Destination): void;
  malformed(error: ParseError, source: Destination): void;
  /** An upgrade refused: `ip` already holds the most connections allowed. */
  refused(ip: string, transport: TransportName): void;
}

export interface WsOptions {
  path: string;
  maxMessageSize: number;
  maxConnections: number;
  /** Per-address cap, first-message and idle deadlines, shared with TCP and TLS. */
  guard: ConnectionGuard;
}

export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly flows = new Map<string, WebSocket>();
  private seq = 0;

  constructor(
    private readonly opts: WsOptions,
    private readonly handler: WsHandler,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxMessageSize,
      // RFC 7118 §4.1: the "sip" subprotocol must be negotiated.
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
  }

  /** Takes over HTTP upgrades to the SIP path; other upgrades are left alone. */
  attach(server: Server, secure: boolean): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== this.opts.path) return;
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes('sip') || this.flows.size >= this.opts.maxConnections) {
        socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      const transport: TransportName = secure ? 'WSS' : 'WS';
      const ip = req.socket.remoteAddress;
      if (ip === undefined) {
        socket.destroy();
        return;
      }
      if (!this.opts.guard.admit(ip, transport)) {
        // Over the address's cap: told in one line and closed at once (no upgrade, no frames).
        socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nConnection: close\r\n\r\n');
        socket.destroy();
        this.handler.refused(ip, transport);
        return;
      }
      socket.once('close', () => this.opts.guard.release(ip, transport));
      this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, req, transport));
    });
  }

  private adopt(ws: WebSocket, req: IncomingMessage, transport: TransportName): void {
    const host = req.socket.remoteAddress ?? '';
    const port = req.socket.remotePort ?? 0;
    const id = `ws:${host}:${port}:${++this.seq}`;
    this.flows.set(id, ws);
    const source: Destination = { transport, host, port, flowId: id };
    const guard = this.opts.guard;
    guard.watch(id, () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      // RFC 7118 §6 keep-alives: a bare CRLF carries no message.
      if (!isBinary && buf.toString('latin1').trim() === '') {
        guard.keptAlive(id);
        return;
      }
      const r = parseMessage(buf, { maxSize: this.opts.maxMessageSize });
      if (r.ok) {
        guard.heard(id);
        this.handler.message(r.message, source);
      } else this.handler.malformed(r.error, source);
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      guard.forget(id);
      this.flows.delete(id);
    });
  }

  /** Sends on a flow; false when that connection is gone (WebSocket clients cannot be dialled). */
  send(data: Buffer, flowId: string | undefined): boolean {
    const ws = flowId ? this.flows.get(flowId) : undefined;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    ws.send(data.toString('utf8'));
    return true;
  }

  get connectionCount(): number {
    return this.flows.size;
  }

  close(): void {
    for (const ws of this.flows.values()) ws.terminate();
    this.flows.clear();
    this.wss.close();
  }
}
