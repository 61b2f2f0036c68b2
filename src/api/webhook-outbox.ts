/**
 * Webhooks: PBX events POSTed to a tenant's endpoints, signed, through an outbox.
 *
 * An event (src/pbx/events.ts) is matched against the tenant's enabled webhooks
 * held in memory (the SIP thread only pushes to a list); matches are written to
 * `webhook_deliveries` in batches every 50 ms, and a sender claims due rows
 * (leased, `skip locked`) and POSTs them. 2xx is delivered; anything else is
 * retried with backoff (10 s doubling to an hour, 10 tries) and then given up,
 * kept in the log for a replay. Rows outlive the process, so a restart loses
 * nothing that reached the table. Each request carries
 *   X-Nimbus-Event, X-Nimbus-Delivery (the row), X-Nimbus-Timestamp (Unix s) and
 *   X-Nimbus-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * so a receiver checks who sent it and refuses replays of old requests.
 * Endpoints on loopback, private or link-local addresses are refused unless the
 * operator allows them (a tenant must not reach into the operator's network).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { PbxEvent } from '../pbx/events.js';
import type { DueDelivery } from '../store/repositories/webhooks.js';
import type { Store } from '../store/store.js';
import { SerialRunner } from '../util/serial-runner.js';

/** The event types a webhook may ask for. */
export const WEBHOOK_EVENTS = [
  'call.started',
  'call.answered',
  'call.ended',
  'call.tagged',
  'registration',
  'voicemail.new',
  'fraud.blocked',
  'limit.reached',
  'limit.warning',
  'queue.updated',
  'queue.join',
  'queue.leave',
  'queue.abandon',
  'agent.state',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What a delivery's body holds: the event, with an id that stays the same when it is sent again. */
export interface WebhookEnvelope {
  id: string;
  type: string;
  tenantId: string;
  occurredAt: string;
  data: unknown;
}

export interface WebhookOutboxOptions {
  /** Loopback and private endpoints are allowed (tests, closed networks). */
  allowPrivate: boolean;
  pollMs?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Delay before the next try after `attempts` tries. */
  backoffMs?: (attempts: number) => number;
}

const LEASE_MS = 2 * 60_000;
const RETENTION_MS = 30 * 24 * 3600_000;
const BATCH_MS = 50;

const PRIVATE = new BlockList();
// Not the public Internet: this host, private and shared (CGN) networks, link-local (cloud
// metadata), IETF protocol assignments, benchmarking, multicast and reserved space.
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
// IPv6: IPv4-compatible (::a.b.c.d, also :: and ::1), NAT64 and 6to4 (they carry an IPv4
// address that could be private), unique local, link-local, multicast.
for (const [net, bits] of [
  ['::', 96],
  ['64:ff9b::', 96],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return PRIVATE.check(ip, 'ipv4');
  if (family !== 6) return false;
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  if (/^::ffff:/i.test(ip)) return true; // the hex form of a mapped address: refused rather than decoded
  return PRIVATE.check(ip, 'ipv6');
}

/** Why a webhook URL cannot be used, or null: http(s) only, and no private address unless allowed. */
export async function urlProblem(url: string, allowPrivate: boolean): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'Not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'Only http and https URLs';
  if (u.username || u.password) return 'Credentials do not belong in the URL (use the signature)';
  if (allowPrivate) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `${host} does not resolve`;
  }
  return addresses.some(isPrivateAddress) ? `${host} is a loopback or private address` : null;
}

/** The signature header value for a body sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** An HTTP request to a tenant's endpoint (webhooks, ticket systems, CRMs). */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Absent for a GET. */
  body?: string;
}

/** The answer: its status and up to 1 MB of its body (a CRM's lookup answer is read; the rest ignored). */
export interface OutboundResponse {
  status: number;
  body: string;
}

const MAX_ANSWER = 1024 * 1024;

/** Retry delay after `attempts` tries: 10 s doubling to an hour. */
export const defaultBackoff = (attempts: number): number => Math.min(10_000 * 2 ** (attempts - 1), 3600_000);

/**
 * Sends a request and resolves with the answer (a redirect is a status like any
 * other: it is not followed, as it could lead anywhere). The address is checked
 * where the connection is made — the name resolved once, for the check and the
 * connection alike — so a name that answers with a public address for a check and
 * a private one for the request (DNS rebinding) gets nowhere.
 */
export function sendHttp(
  r: OutboundRequest,
  timeoutMs: number,
  allowPrivate: boolean,
  signal?: AbortSignal,
): Promise<OutboundResponse> {
  const u = new URL(r.url);
  const literal = u.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(literal) && isPrivateAddress(literal))
    return Promise.reject(new Error(`${literal} is a loopback or private address`));
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = !allowPrivate && addresses.some((a) => isPrivateAddress(a.address));
      if (bad) return callback(new Error(`${hostname} resolves to a loopback or private address`), '', 0);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} does not resolve`), '', 0);
      callback(null, first.address, first.family);
    });
  };
  return new Promise((resolve, reject) => {
    const headers =
      r.body === undefined
        ? r.headers
        : { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: r.method, headers, lookup, timeout: timeoutMs, ...(signal ? { signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ANSWER) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          clearTimeout(whole);
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER),
          });
        });
        res.on('error', (e) => {
          clearTimeout(whole);
          reject(e);
        });
      },
    );
    // The whole exchange, not only a quiet socket, has `timeoutMs`.
    const whole = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => {
      clearTimeout(whole);
      reject(e);
    });
    req.end(r.body);
  });
}

export class WebhookOutbox {
  /** Enabled webhooks by tenant: id and the event types they want. */
  private hooks = new Map<string, { id: string; events: Set<string> }[]>();
  private batch: { tenantId: string; webhookId: string; eventType: string; payload: WebhookEnvelope }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private poll: NodeJS.Timeout | null = null;
  private prune: NodeJS.Timeout | null = null;
  private readonly sender = new SerialRunner(
    () => this.run(),
    (err) => this.log.error({ err }, 'webhook sender failed'),
  );
  private closed = false;
  /** Closing: no new claims, but what is in memory is still written. */
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
    private readonly opts: WebhookOutboxOptions,
  ) {}

  get allowPrivate(): boolean {
    return this.opts.allowPrivate;
  }

  async start(): Promise<void> {
    await this.reload();
    this.poll = setInterval(() => this.kick(), this.opts.pollMs ?? 5000);
    this.poll.unref();
    // The log keeps 30 days of finished deliveries (pending ones stay until they are done).
    this.prune = setInterval(() => {
      this.store.webhookOutbox
        .prune(new Date(Date.now() - RETENTION_MS))
        .catch((err: unknown) => this.log.warn({ err }, 'webhook log pruning failed'));
    }, 3600_000);
    this.prune.unref();
    this.kick();
  }

  /** The webhooks changed (created, edited, deleted): matched from now on. */
  async reload(): Promise<void> {
    const hooks = new Map<string, { id: string; events: Set<string> }[]>();
    for (const w of await this.store.webhookOutbox.enabled()) {
      const list = hooks.get(w.tenantId) ?? [];
      list.push({ id: w.id, events: new Set(w.events) });
      hooks.set(w.tenantId, list);
    }
    this.hooks = hooks;
  }

  /** An event from the PBX: queued for each webhook that wants it. Never blocks the caller. */
  enqueue(e: PbxEvent): void {
    const hooks = this.hooks.get(e.tenantId);
    if (!hooks || this.closed) return;
    let envelope: WebhookEnvelope | null = null;
    for (const h of hooks) {
      if (!h.events.has(e.type)) continue;
      envelope ??= {
        id: randomUUID(),
        type: e.type,
        tenantId: e.tenantId,
        occurredAt: new Date().toISOString(),
        data: e,
      };
      this.batch.push({ tenantId: e.tenantId, webhookId: h.id, eventType: e.type, payload: envelope });
    }
    if (this.batch.length && !this.flushTimer)
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.flushing = this.flushing.then(() => this.flush());
      }, BATCH_MS);
  }

  /** A test event to one webhook now (the portal's "send a test"). */
  async ping(tenantId: string, webhookId: string): Promise<void> {
    const payload: WebhookEnvelope = {
      id: randomUUID(),
      type: 'ping',
      tenantId,
      occurredAt: new Date().toISOString(),
      data: { message: 'A test delivery from Nimbus PBX' },
    };
    await this.store.webhookOutbox.add([{ tenantId, webhookId, eventType: 'ping', payload }]);
    this.kick();
  }

  private async flush(): Promise<void> {
    const rows = this.batch.splice(0);
    if (!rows.length) return;
    try {
      await this.store.webhookOutbox.add(rows);
      this.kick();
    } catch (err) {
      // The database is away: the events are kept for the next flush (bounded, newest dropped last).
      this.log.error({ err, events: rows.length }, 'webhook deliveries could not be queued');
      this.batch.unshift(...rows.slice(-10_000));
      if (!this.flushTimer && !this.closed)
        this.flushTimer = setTimeout(() => {
          this.flushTimer = null;
          this.flushing = this.flushing.then(() => this.flush());
        }, 5000);
    }
  }

  /** Looks at the outbox soon. */
  kick(): void {
    if (!this.closed) this.sender.kick();
  }

  /** Waits until what is queued now has been tried (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
    await this.sender.idle();
  }

  /**
   * Stops: what is queued in memory is written to the outbox, sends in flight finish,
   * and the rest waits in the table for the next start (a slow endpoint cannot hold
   * the shutdown up past its current try).
   */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.poll) clearInterval(this.poll);
    if (this.prune) clearInterval(this.prune);
    await this.idle();
    this.closed = true;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const due = await this.store.webhookOutbox.claim(new Date(), 20, LEASE_MS);
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.send(d)));
    }
  }

  private async send(d: DueDelivery): Promise<void> {
    const body = JSON.stringify(d.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string;
    try {
      ({ status } = await sendHttp(
        {
          method: 'POST',
          url: d.url,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'NimbusPBX-Webhooks/1',
            'x-nimbus-event': d.eventType,
            'x-nimbus-delivery': d.id,
            'x-nimbus-timestamp': String(timestamp),
            'x-nimbus-signature': signWebhook(d.secret, timestamp, body),
          },
          body,
        },
        this.opts.timeoutMs ?? 10_000,
        this.opts.allowPrivate,
      ));
      if (status >= 200 && status < 300) {
        await this.store.webhookOutbox.delivered(d.id, status, new Date());
        return;
      }
      error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const max = this.opts.maxAttempts ?? 10;
    const backoff = this.opts.backoffMs ?? defaultBackoff;
    const retry = d.attempts >= max ? null : new Date(Date.now() + backoff(d.attempts));
    this.log.warn({ url: d.url, attempts: d.attempts, error }, 'webhook not delivered');
    await this.store.webhookOutbox.failed(d.id, status, error, retry);
  }
}
