/**
 * The SIP side of a node: transports, the transaction layer and the UA core that
 * dispatches requests (registrar, OPTIONS; calls arrive with the B2BUA).
 * Malformed requests that can still be answered get a stateless 400 (or 505/413).
 */
import type { Logger } from 'pino';
import { DigestAuthenticator } from '../sip/auth.js';
import { makeResponse } from '../sip/build.js';
import {
  isKnownScheme,
  type ParseError,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../sip/message/index.js';
import { systemClock } from '../sip/transaction/clock.js';
import { type ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../sip/transaction/timers.js';
import type { Destination } from '../sip/transaction/types.js';
import { SipTransports } from '../sip/transport/transports.js';
import type { Store } from '../store/store.js';
import { Directory } from './directory.js';
import { type LocationService, MemoryLocation } from './location.js';
import { Registrar } from './registrar.js';

export const ALLOW = 'REGISTER, OPTIONS';

export interface SipServiceOptions {
  host: string;
  port: number;
  /** Shared secret for digest nonces; the same on every node of a cluster. */
  secret: Buffer;
  /** Product name in Server headers; none by default (scanners learn nothing). */
  serverHeader?: string | null;
}

export class SipService {
  readonly transports: SipTransports;
  readonly layer: TransactionLayer;
  readonly directory: Directory;
  readonly location: LocationService;
  readonly registrar: Registrar;
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: SipServiceOptions,
    store: Store,
    private readonly log: Logger,
  ) {
    this.directory = new Directory(store);
    this.location = new MemoryLocation();
    this.registrar = new Registrar(
      this.directory,
      this.location,
      new DigestAuthenticator({ secret: opts.secret }),
    );
    this.transports = new SipTransports(
      { host: opts.host, port: opts.port },
      {
        message: (m, source) => this.onMessage(m, source),
        malformed: (e, source) => this.onMalformed(e, source),
      },
    );
    this.layer = new TransactionLayer(
      { clock: systemClock, timers: DEFAULT_TIMERS, sender: this.transports },
      { request: (req, tx, source) => this.onRequest(req, tx, source) },
    );
  }

  async start(): Promise<void> {
    await this.directory.loadAll();
    await this.transports.listen();
    this.sweep = setInterval(() => this.location.sweep(Date.now()), 30_000);
    this.sweep.unref();
  }

  private onMessage(m: SipMessage, source: Destination): void {
    try {
      if (m.kind === 'request') this.layer.receiveRequest(m, source);
      else this.layer.receiveResponse(m, source);
    } catch (e) {
      // A bug must cost one message, never the process.
      this.log.error({ err: e }, 'SIP message handling failed');
    }
  }

  private onMalformed(e: ParseError, source: Destination): void {
    this.log.debug({ reason: e.reason, from: `${source.host}:${source.port}` }, 'malformed SIP message');
    if (e.canRespond && e.partial && e.partial.method !== 'ACK') {
      this.transports.send(makeResponse(e.partial, e.status, { reason: e.reason.slice(0, 100) }), source);
    }
  }

  private onRequest(req: SipRequest, tx: ServerTransaction | null, source: Destination): void {
    if (!tx) return; // an ACK for a 2xx: no dialogs yet
    tx.respond(this.decorate(this.answer(req, source)));
  }

  /** The UA core's decision for a request that opened a server transaction. */
  private answer(req: SipRequest, source: Destination): SipResponse {
    if (!isKnownScheme(req.uri)) return makeResponse(req, 416);
    const mf = Number.parseInt(req.headers.get('Max-Forwards') ?? '70', 10);
    if (mf <= 0) return makeResponse(req, 483);
    switch (req.method) {
      case 'REGISTER':
        return this.registrar.handle(req, source);
      case 'OPTIONS':
        return makeResponse(req, 200, {
          headers: [
            ['Allow', ALLOW],
            ['Accept', 'application/sdp'],
          ],
        });
      case 'INVITE':
      case 'BYE':
      case 'CANCEL':
        // Calls arrive with the B2BUA; until then say so plainly.
        return makeResponse(req, 501, { headers: [['Allow', ALLOW]] });
      default:
        return makeResponse(req, 405, { headers: [['Allow', ALLOW]] });
    }
  }

  private decorate<T extends { headers: { append(n: string, v: string): void } }>(res: T): T {
    if (this.opts.serverHeader) res.headers.append('Server', this.opts.serverHeader);
    return res;
  }

  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.layer.close();
    await this.transports.close();
  }
}
