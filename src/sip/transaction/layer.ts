/**
 * The transaction layer: creates the four machines, matches incoming messages to
 * them (RFC 3261 §17.1.3 for responses, §17.2.3 for requests, with the RFC 2543
 * fallback for requests whose branch lacks the magic cookie), and hands the
 * rest to the transaction user (the dialog/application layer).
 */
import { branchOf, cseqMethod, cseqNumber, MAGIC_COOKIE, makeResponse, tagOf, topVia } from '../build.js';
import { ownCopy, type SipRequest, type SipResponse, serializeMessage } from '../message/index.js';
import { InviteClientTransaction } from './ict.js';
import { InviteServerTransaction } from './ist.js';
import { NonInviteClientTransaction } from './nict.js';
import { NonInviteServerTransaction } from './nist.js';
import { txTimeout } from './timers.js';
import type { Destination, TxContext } from './types.js';

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

export interface ClientHandlers {
  response(res: SipResponse): void;
  /** Timer B/F: no answer (treat as 408). */
  timeout(): void;
  /** The request could not be sent (§8.1.3.1: treat as 503); without this handler, `timeout`. */
  transportError?(): void;
  terminated?(): void;
}

export interface TransactionUser {
  /**
   * A request that starts a new server transaction (`tx` set), or an ACK that
   * matched none (an ACK for a 2xx belongs to the dialog, `tx` null).
   */
  request(req: SipRequest, tx: ServerTransaction | null, source: Destination): void;
  /**
   * Asked before a new server transaction is made: a response to send statelessly
   * instead (RFC 3261 §8.2.7, typically a digest challenge), or null to go on.
   */
  stateless?(req: SipRequest, source: Destination): SipResponse | null;
  /** A CANCEL matched this INVITE transaction; the CANCEL itself has been answered 200. */
  cancel?(invite: InviteServerTransaction, cancel: SipRequest): void;
  /** A 2xx to an INVITE whose client transaction has ended: the dialog must ACK it again. */
  strayResponse?(res: SipResponse, source: Destination): void;
}

/** Which bound refused work (LayerLimits.overloaded). */
export type LayerBound = 'server-transactions' | 'client-transactions';

export interface LayerLimits {
  /** Refuse new server transactions with 503 past this many in progress (bounded work under floods). */
  maxServerTransactions: number;
  /**
   * Past this many client transactions in progress a new request is not sent: its
   * transaction fails at once as a transport error (the TU treats it as 503, §8.1.3.1).
   */
  maxClientTransactions: number;
  /** Told each time a bound refuses work (a security event, metrics); `req` is the request refused. */
  overloaded?: (bound: LayerBound, req: SipRequest, source: Destination | null) => void;
  /**
   * Completed non-INVITE transactions remembered for Timer J (their last response,
   * to answer retransmissions). Past this many the oldest are forgotten early: a
   * client retransmits within seconds, so losing the tail of a 32 s window is harmless.
   */
  maxCompleted: number;
}

/** A completed non-INVITE server transaction, reduced to what answers a retransmission. */
interface Completed {
  /**
   * Wire form when the sender takes bytes, held as a one-byte string of those bytes: a
   * string of its own, where a buffer would be a slice of an 8 KB pool slab that every
   * other response cut from that slab keeps alive (measured: ~40 MB of slabs for 50,000
   * kept responses, which also made the collector run full collections more often).
   */
  response: SipResponse | string;
  replyTo: Destination;
  until: number;
}

function sentBy(req: SipRequest): string {
  const v = topVia(req);
  return v ? `${v.host}:${v.port ?? ''}` : '';
}

/** §17.2.3: the key an incoming request is matched on; ACK and CANCEL map onto their INVITE as noted. */
function serverKey(req: SipRequest, method: string): string {
  const branch = branchOf(req);
  if (branch?.startsWith(MAGIC_COOKIE)) return `${branch}|${sentBy(req)}|${method}`;
  // RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number and top Via identify it.
  return [
    '2543',
    req.rawUri,
    tagOf(req.headers.get('From')) ?? '',
    req.headers.get('Call-ID') ?? '',
    cseqNumber(req),
    method,
    req.headers.get('Via') ?? '',
  ].join('|');
}

function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  /** Insertion order is expiry order (Timer J is one constant), so expiry sweeps from the front. */
  private readonly completed = new Map<string, Completed>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly limits: LayerLimits;

  constructor(
    private readonly ctx: TxContext,
    private readonly tu: TransactionUser,
    limits: Partial<LayerLimits> = {},
  ) {
    this.limits = {
      maxServerTransactions: 50_000,
      maxClientTransactions: 50_000,
      maxCompleted: 200_000,
      ...limits,
    };
  }

  /** Server transactions in progress, plus completed ones still absorbing retransmissions. */
  get serverCount(): number {
    this.expireCompleted();
    return this.servers.size + this.completed.size;
  }

  private expireCompleted(): void {
    const now = this.ctx.clock.now();
    for (const [key, c] of this.completed) {
      if (c.until > now && this.completed.size <= this.limits.maxCompleted) break;
      this.completed.delete(key);
    }
  }

  /** Server transactions in progress (what maxServerTransactions bounds). */
  get activeServerCount(): number {
    return this.servers.size;
  }

  get maxServerTransactions(): number {
    return this.limits.maxServerTransactions;
  }

  get maxClientTransactions(): number {
    return this.limits.maxClientTransactions;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  receiveRequest(req: SipRequest, source: Destination): void {
    const method = req.method;
    if (method === 'ACK') {
      const ist = this.servers.get(serverKey(req, 'INVITE'));
      if (ist instanceof InviteServerTransaction && ist.state === 'completed') {
        ist.ack();
        return;
      }
      if (ist instanceof InviteServerTransaction && ist.state === 'confirmed') return; // retransmitted ACK
      this.tu.request(req, null, source);
      return;
    }
    const key = serverKey(req, method);
    const existing = this.servers.get(key);
    if (existing) {
      existing.retransmission();
      return;
    }
    const done = this.completed.get(key);
    if (done && done.until > this.ctx.clock.now()) {
      if (typeof done.response === 'string')
        this.ctx.sender.sendBytes?.(Buffer.from(done.response, 'latin1'), done.replyTo);
      else this.ctx.sender.send(done.response, done.replyTo);
      return;
    }
    if (method !== 'CANCEL') {
      const answer = this.tu.stateless?.(req, source);
      if (answer) {
        this.ctx.sender.send(answer, source);
        return;
      }
    }
    if (this.servers.size >= this.limits.maxServerTransactions) {
      this.ctx.sender.send(makeResponse(req, 503, { headers: [['Retry-After', '5']] }), source);
      this.limits.overloaded?.('server-transactions', req, source);
      return;
    }
    if (method === 'INVITE') {
      const tx: InviteServerTransaction = new InviteServerTransaction(this.ctx, req, source, {
        timeout: () => {},
        terminated: () => this.servers.delete(key),
      });
      this.servers.set(key, tx);
      tx.start();
      this.tu.request(req, tx, source);
      return;
    }
    const tx: NonInviteServerTransaction = new NonInviteServerTransaction(this.ctx, req, source, {
      terminated: () => this.servers.delete(key),
      completed: (response) => {
        const { sender } = this.ctx;
        const wire = sender.sendBytes ? serializeMessage(response) : null;
        if (wire) sender.sendBytes?.(wire, source);
        else sender.send(response, source);
        this.completed.delete(key);
        // Kept for Timer J (32 s): a key of its own text, not slices of the whole request.
        this.completed.set(ownCopy(key), {
          response: wire ? wire.toString('latin1') : response,
          replyTo: source,
          until: this.ctx.clock.now() + txTimeout(this.ctx.timers),
        });
        this.expireCompleted();
      },
    });
    this.servers.set(key, tx);
    if (method === 'CANCEL') {
      // §9.2: a CANCEL matching an INVITE transaction is answered 200 and the TU cancels the INVITE.
      const invite = this.servers.get(serverKey(req, 'INVITE'));
      if (invite instanceof InviteServerTransaction) {
        tx.respond(makeResponse(req, 200));
        if (invite.state === 'proceeding') this.tu.cancel?.(invite, req);
      } else {
        tx.respond(makeResponse(req, 481));
      }
      return;
    }
    this.tu.request(req, tx, source);
  }

  receiveResponse(res: SipResponse, source: Destination): void {
    const branch = branchOf(res);
    const tx = branch ? this.clients.get(clientKey(branch, cseqMethod(res))) : undefined;
    if (tx) {
      tx.receive(res);
      return;
    }
    // §17.1.1.2 / RFC 6026: a 2xx retransmitted after the transaction ended goes to the dialog.
    if (res.status >= 200 && res.status < 300 && cseqMethod(res) === 'INVITE')
      this.tu.strayResponse?.(res, source);
  }

  /** Starts a client transaction. The request's top Via must carry a fresh magic-cookie branch. */
  sendRequest(req: SipRequest, dest: Destination, on: ClientHandlers): ClientTransaction {
    const branch = branchOf(req);
    if (!branch) throw new Error('request has no Via branch');
    const key = clientKey(branch, req.method);
    const handlers = {
      response: (res: SipResponse) => on.response(res),
      timeout: () => on.timeout(),
      transportError: () => (on.transportError ? on.transportError() : on.timeout()),
      terminated: () => {
        this.clients.delete(key);
        on.terminated?.();
      },
    };
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(this.ctx, req, dest, handlers)
        : new NonInviteClientTransaction(this.ctx, req, dest, handlers);
    if (this.clients.size >= this.limits.maxClientTransactions) {
      // Never started, never tracked: it fails as a request that could not be sent, later, so
      // the caller has its transaction in hand first (as with a failed send).
      setImmediate(() => tx.transportError());
      this.limits.overloaded?.('client-transactions', req, null);
      return tx;
    }
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Ends every transaction (shutdown). */
  close(): void {
    this.completed.clear();
    for (const tx of [...this.servers.values(), ...this.clients.values()]) tx.terminate();
  }
}
