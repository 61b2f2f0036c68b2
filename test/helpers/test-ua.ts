/**
 * A small user agent built on our own transaction layer and dialogs, for tests
 * that must see the exact lines on the wire and the order things happen in.
 * Two of them talk over an in-memory network driven by a manual clock (nothing
 * happens until `run()` or `clock.advance()`), or one talks UDP on loopback to a
 * running SIP service.
 */
import { createSocket, type Socket } from 'node:dgram';
import { authorize } from '../../src/sip/auth.js';
import { makeResponse, newBranch, newCallId, newTag } from '../../src/sip/build.js';
import { contactFor, Dialog, incomingDialogKey, type LocalAddress, viaFor } from '../../src/sip/dialog.js';
import {
  Headers,
  parseMessage,
  parseUri,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from '../../src/sip/message/index.js';
import { type Clock, ManualClock } from '../../src/sip/transaction/clock.js';
import { type ServerTransaction, TransactionLayer } from '../../src/sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../../src/sip/transaction/timers.js';
import type { Destination, Sender } from '../../src/sip/transaction/types.js';

/** What every UA of one test saw and did, in order. */
export class Wire {
  /** `alice>bob INVITE sip:bob@bob.test SIP/2.0`, `bob>alice SIP/2.0 180 Ringing`... */
  readonly lines: string[] = [];
  /** State changes the test UAs report: `alice dialog confirmed`... */
  readonly events: string[] = [];
  /** Every message sent, serialised, so tests can read whole messages. */
  readonly messages: { from: string; text: string }[] = [];

  take(): string[] {
    return this.lines.splice(0);
  }
}

export type RequestHandler = (req: SipRequest, tx: ServerTransaction | null, source: Destination) => void;

/** The client side of one request: every response as it came, and the final one. */
export class Exchange {
  readonly responses: SipResponse[] = [];
  timedOut = false;
  private waiters: ((r: SipResponse | null) => void)[] = [];

  /** The request as last sent (with credentials after a challenge): what a CANCEL must match. */
  latest: SipRequest;

  constructor(readonly request: SipRequest) {
    this.latest = request;
  }

  get final(): SipResponse | undefined {
    return this.responses.find((r) => r.status >= 200);
  }

  /** Resolves with the final response (null on timeout); for tests on a real clock. */
  done(): Promise<SipResponse | null> {
    const f = this.final;
    if (f || this.timedOut) return Promise.resolve(f ?? null);
    return new Promise((r) => this.waiters.push(r));
  }

  settle(r: SipResponse | null): void {
    for (const w of this.waiters.splice(0)) w(r);
  }
}

export class TestUa {
  readonly layer: TransactionLayer;
  /** Sends outside any transaction (ACK for a 2xx is the dialog's, §13.2.2.4). */
  readonly sender: Sender;
  readonly dialogs = new Map<string, Dialog>();
  private readonly handlers = new Map<string, RequestHandler>();
  credentials: { username: string; password: string } | null = null;

  constructor(
    readonly name: string,
    readonly local: LocalAddress,
    readonly clock: Clock,
    readonly wire: Wire,
    private readonly transmit: (data: Buffer, dest: Destination) => void,
  ) {
    this.sender = {
      send: (msg, dest) => {
        const data = serializeMessage(msg);
        const text = data.toString('utf8');
        const line = text.slice(0, text.indexOf('\r\n'));
        this.wire.lines.push(`${this.name}>${this.peerName(dest)} ${line}`);
        this.wire.messages.push({ from: this.name, text });
        this.transmit(data, dest);
      },
    };
    this.layer = new TransactionLayer(
      { clock, timers: DEFAULT_TIMERS, sender: this.sender },
      {
        request: (req, tx, source) => this.dispatch(req, tx, source),
        // A caller's CANCEL: the INVITE ends with 487, as any UA does.
        cancel: (invite) => {
          this.event('cancelled');
          invite.respond(this.response(invite.request, 487));
        },
      },
    );
  }

  /** Names peers in wire lines by host (`bob.test` → bob) so lines read like a ladder diagram. */
  peerName: (dest: Destination) => string = (dest) => dest.host.replace(/\.test$/, '');

  get uri(): string {
    return `sip:${this.name}@${this.local.host}:${this.local.port}`;
  }

  event(what: string): void {
    this.wire.events.push(`${this.name} ${what}`);
  }

  /** Handles incoming requests of one method (out of dialog or in). Unhandled ones get 405/481. */
  on(method: string, handler: RequestHandler): void {
    this.handlers.set(method, handler);
  }

  receive(data: Buffer, source: Destination): void {
    const parsed = parseMessage(data);
    if (!parsed.ok) throw new Error(`${this.name} got malformed SIP: ${parsed.error.reason}`);
    const m = parsed.message;
    if (m.kind === 'request') this.layer.receiveRequest(m, source);
    else this.layer.receiveResponse(m, source);
  }

  private dispatch(req: SipRequest, tx: ServerTransaction | null, source: Destination): void {
    const key = incomingDialogKey(req);
    const dialog = key ? this.dialogs.get(key) : undefined;
    if (dialog && req.method !== 'ACK' && !dialog.accept(req)) {
      tx?.respond(this.response(req, 500));
      return;
    }
    const h = this.handlers.get(req.method);
    if (h) {
      h(req, tx, source);
      return;
    }
    if (!tx) return;
    if (key && !dialog) {
      tx.respond(this.response(req, 481));
      return;
    }
    if (req.method === 'BYE' && dialog) {
      this.dialogs.delete(dialog.key);
      this.event('dialog terminated by peer');
      tx.respond(this.response(req, 200));
      return;
    }
    tx.respond(this.response(req, dialog ? 200 : 405));
  }

  /** A response to `req` with our Contact where a dialog may form. */
  response(req: SipRequest, status: number, extra: [string, string][] = [], toTag?: string): SipResponse {
    const headers: [string, string][] = [...extra];
    if (status >= 101 && status < 300 && ['INVITE', 'SUBSCRIBE'].includes(req.method))
      headers.push(['Contact', contactFor(this.local, this.name)]);
    const opts: { headers: [string, string][]; toTag?: string } = { headers };
    if (toTag) opts.toTag = toTag;
    return makeResponse(req, status, opts);
  }

  /** An out-of-dialog request to `target` (a SIP URI string), sent to `dest`. */
  buildRequest(
    method: string,
    target: string,
    opts: {
      headers?: [string, string][];
      body?: Buffer;
      contentType?: string;
      from?: string;
      to?: string;
    } = {},
  ): SipRequest {
    const uri = parseUri(target);
    if (!uri) throw new Error(`bad target ${target}`);
    const headers = new Headers();
    headers.append('Via', viaFor(this.local));
    headers.append('Max-Forwards', '70');
    headers.append('From', `${opts.from ?? `<sip:${this.name}@${this.local.host}>`};tag=${newTag()}`);
    headers.append('To', opts.to ?? `<${target}>`);
    headers.append('Call-ID', newCallId(this.local.host));
    headers.append('CSeq', `1 ${method}`);
    if (method === 'INVITE' || method === 'SUBSCRIBE')
      headers.append('Contact', contactFor(this.local, this.name));
    for (const [k, v] of opts.headers ?? []) headers.append(k, v);
    const body = opts.body ?? Buffer.alloc(0);
    if (body.length) headers.append('Content-Type', opts.contentType ?? 'application/sdp');
    return { kind: 'request', method, uri, rawUri: target, headers, body };
  }

  /**
   * Sends a request in a client transaction. With credentials set, a 401/407 is
   * answered once with the same request carrying digest credentials (CSeq + 1).
   */
  send(req: SipRequest, dest: Destination, ex = new Exchange(req)): Exchange {
    ex.latest = req;
    this.layer.sendRequest(req, dest, {
      response: (res) => {
        const answered = req.headers.has('Authorization') || req.headers.has('Proxy-Authorization');
        if ((res.status === 401 || res.status === 407) && this.credentials && !answered) {
          const again = this.withCredentials(req, res);
          if (again) {
            this.send(again, dest, ex);
            return;
          }
        }
        ex.responses.push(res);
        if (res.status >= 200 && req.method === 'INVITE') this.onInviteFinal(req, res, dest);
        if (res.status >= 200) ex.settle(res);
      },
      timeout: () => {
        ex.timedOut = true;
        ex.settle(null);
      },
    });
    return ex;
  }

  private withCredentials(req: SipRequest, res: SipResponse): SipRequest | null {
    const proxy = res.status === 407;
    const challenge = res.headers.get(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    if (!challenge || !this.credentials) return null;
    const value = authorize(challenge, this.credentials, { method: req.method, uri: req.rawUri });
    if (!value) return null;
    const headers = new Headers();
    for (const [k, v] of req.headers.entries()) {
      if (k === 'Via') headers.append(k, viaFor(this.local, newBranch()));
      else if (k === 'CSeq') headers.append(k, `${Number.parseInt(v, 10) + 1} ${req.method}`);
      else headers.append(k, v);
    }
    // Carrying credentials also marks the request as answered already: a second challenge is final.
    headers.append(proxy ? 'Proxy-Authorization' : 'Authorization', value);
    return { ...req, headers };
  }

  private onInviteFinal(invite: SipRequest, res: SipResponse, dest: Destination): void {
    if (res.status >= 300) {
      this.event(`call failed ${res.status}`);
      return;
    }
    const dialog = Dialog.asUac(invite, res, dest, this.local);
    if (!dialog) return;
    if (!this.dialogs.has(dialog.key)) {
      this.dialogs.set(dialog.key, dialog);
      this.event('dialog confirmed');
    }
    const cseq = Number.parseInt(res.headers.get('CSeq') ?? '1', 10);
    this.sender.send(dialog.request('ACK', { cseq }), dialog.dest);
  }

  /** The one dialog this UA has (most tests hold a single call). */
  get dialog(): Dialog {
    const d = [...this.dialogs.values()][0];
    if (!d) throw new Error(`${this.name} has no dialog`);
    return d;
  }

  /** A request inside `dialog` (re-INVITE, BYE, INFO, SUBSCRIBE refresh...). */
  inDialog(
    method: string,
    opts: { headers?: [string, string][]; body?: Buffer; contentType?: string; dialog?: Dialog } = {},
  ): Exchange {
    const d = opts.dialog ?? this.dialog;
    const req = d.request(method, opts);
    if (method === 'BYE') this.dialogs.delete(d.key);
    const ex = new Exchange(req);
    this.layer.sendRequest(req, d.dest, {
      response: (res) => {
        ex.responses.push(res);
        if (method === 'INVITE' && res.status >= 200 && res.status < 300)
          this.sender.send(
            d.request('ACK', { cseq: Number.parseInt(res.headers.get('CSeq') ?? '1', 10) }),
            d.dest,
          );
        if (res.status >= 200) ex.settle(res);
      },
      timeout: () => {
        ex.timedOut = true;
        ex.settle(null);
      },
    });
    return ex;
  }

  /** Answers an INVITE with 200 and our Contact, and keeps the dialog it forms. */
  accept(tx: ServerTransaction, source: Destination, body?: Buffer, toTag = newTag()): Dialog | null {
    const invite = tx.request;
    const res = this.response(invite, 200, body ? [['Content-Type', 'application/sdp']] : [], toTag);
    if (body) res.body = body;
    const dialog = Dialog.asUas(invite, toTag, source, this.local);
    if (dialog) {
      this.dialogs.set(dialog.key, dialog);
      this.event('dialog confirmed');
    }
    tx.respond(res);
    return dialog;
  }
}

/** Two or more TestUAs on an in-memory network under one manual clock. */
export class MemoryNetwork {
  readonly clock = new ManualClock();
  readonly wire = new Wire();
  private readonly uas = new Map<string, TestUa>();
  private readonly queue: { data: Buffer; dest: Destination; source: Destination }[] = [];
  /** Return true to lose a message on the way (tests of retransmission). */
  drop: (line: string, from: string) => boolean = () => false;

  ua(name: string): TestUa {
    const local: LocalAddress = { host: `${name}.test`, port: 5060, transport: 'UDP' };
    const ua = new TestUa(name, local, this.clock, this.wire, (data, dest) => {
      const text = data.toString('utf8');
      if (this.drop(text.slice(0, text.indexOf('\r\n')), name)) return;
      this.queue.push({ data, dest, source: { transport: 'UDP', host: local.host, port: local.port } });
    });
    this.uas.set(local.host, ua);
    return ua;
  }

  /** Delivers queued messages (and whatever they cause) until the network is quiet. */
  run(): void {
    for (let guard = 0; this.queue.length; guard++) {
      if (guard > 10_000) throw new Error('message storm');
      const m = this.queue.shift()!;
      this.uas.get(m.dest.host)?.receive(m.data, m.source);
    }
  }

  /** Moves time on and delivers what the timers sent. */
  advance(ms: number): void {
    this.clock.advance(ms);
    this.run();
  }
}

/** A TestUA on a UDP socket on loopback, talking to a real service. */
export async function udpUa(
  name: string,
  wire: Wire,
  clock: Clock,
  /** A loopback address of its own (a carrier is known by its address). */
  address = '127.0.0.1',
): Promise<TestUa & { socket: Socket; close(): void }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, address, () => r()));
  const local: LocalAddress = { host: address, port: socket.address().port, transport: 'UDP' };
  const ua = new TestUa(name, local, clock, wire, (data, dest) => socket.send(data, dest.port, dest.host));
  ua.peerName = () => 'pbx';
  socket.on('message', (data, rinfo) => {
    try {
      ua.receive(data, { transport: 'UDP', host: rinfo.address, port: rinfo.port });
    } catch {
      wire.events.push(`${name} got malformed SIP`);
    }
  });
  return Object.assign(ua, { socket, close: () => socket.close() });
}

/** Polls `fn` every 10 ms until it gives something truthy (returned), or fails after `ms`. */
export async function until<T>(fn: () => T | undefined | null | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
